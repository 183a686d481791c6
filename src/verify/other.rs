//! "A resource that is not mine", decided once per tenant instead of once per pair: whether an
//! IAM pattern granted to tenant A matches the name of a resource of *any* other tenant, whose
//! name is `before + id + after` for an id that is a valid tenant id other than A's.
//!
//! It runs the pattern's wildcard automaton (`*` any run, `?` one character) over `before`,
//! then explores every id symbolically, one character at a time, with the set of pattern
//! positions reached, whether the id so far is still a prefix of A's, and its length: a small,
//! finite search (positions x prefix x length), so a proof costs microseconds and covers
//! tenants that do not exist yet. When the pattern can match another tenant, the answer is a
//! witness id, for the finding.

use std::collections::{BTreeSet, VecDeque};

/// The longest tenant id (a DNS label).
pub const MAX_ID: usize = 63;

/// The characters of a tenant id: lowercase letters, digits and `-` (not first nor last).
fn id_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

/// An id other than `own` such that `pattern` matches `before + id + after`, if any.
pub fn witness(pattern: &str, before: &str, after: &str, own: &str, case_insensitive: bool) -> Option<String> {
    let fold = |c: char| if case_insensitive { c.to_ascii_lowercase() } else { c };
    let pattern: Vec<char> = pattern.chars().map(fold).collect();
    let own: Vec<char> = own.chars().collect();
    let mut start = closure(&pattern, [0].into_iter().collect());
    for c in before.chars() {
        start = step(&pattern, &start, fold(c));
        if start.is_empty() {
            return None;
        }
    }
    // The characters worth trying: those the pattern or A's id names, and one that neither
    // does (any such character behaves like any other).
    let mut alphabet: BTreeSet<char> =
        pattern.iter().copied().chain(own.iter().copied()).filter(|c| id_char(*c)).collect();
    if let Some(fresh) = ('a'..='z').chain('0'..='9').find(|c| !alphabet.contains(c)) {
        alphabet.insert(fresh);
    }

    // (positions, how much of A's id the candidate still equals (None: diverged), length,
    // whether it ends with `-`, which no id may)
    type State = (BTreeSet<usize>, Option<usize>, usize, bool);
    let mut seen: BTreeSet<State> = BTreeSet::new();
    let mut queue: VecDeque<(State, String)> = VecDeque::new();
    queue.push_back(((start, Some(0), 0, false), String::new()));
    while let Some(((positions, same, len, dash), id)) = queue.pop_front() {
        if !seen.insert((positions.clone(), same, len, dash)) {
            continue;
        }
        let is_own = same == Some(own.len()) && len == own.len();
        let valid_end = len > 0 && !dash;
        if valid_end && !is_own && accepts(&pattern, &positions, after.chars().map(fold)) {
            return Some(id);
        }
        if len == MAX_ID {
            continue;
        }
        for &c in &alphabet {
            if c == '-' && len == 0 {
                continue;
            }
            let next = step(&pattern, &positions, fold(c));
            if next.is_empty() {
                continue;
            }
            let same = same.filter(|k| own.get(*k) == Some(&c)).map(|k| k + 1);
            let mut longer = id.clone();
            longer.push(c);
            queue.push_back(((next, same, len + 1, c == '-'), longer));
        }
    }
    None
}

fn closure(pattern: &[char], mut positions: BTreeSet<usize>) -> BTreeSet<usize> {
    let mut more: Vec<usize> = positions.iter().copied().collect();
    while let Some(i) = more.pop() {
        if pattern.get(i) == Some(&'*') && positions.insert(i + 1) {
            more.push(i + 1);
        }
    }
    positions
}

fn step(pattern: &[char], positions: &BTreeSet<usize>, c: char) -> BTreeSet<usize> {
    let mut next = BTreeSet::new();
    for &i in positions {
        match pattern.get(i) {
            Some('*') => {
                next.insert(i);
            }
            Some('?') => {
                next.insert(i + 1);
            }
            Some(l) if *l == c => {
                next.insert(i + 1);
            }
            _ => {}
        }
    }
    closure(pattern, next)
}

fn accepts(pattern: &[char], positions: &BTreeSet<usize>, rest: impl Iterator<Item = char>) -> bool {
    let mut at = positions.clone();
    for c in rest {
        at = step(pattern, &at, c);
        if at.is_empty() {
            return false;
        }
    }
    at.contains(&pattern.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "arn:aws:dynamodb:eu-west-1:1:table/saas-order-";

    /// Whether `pattern` (after `T`) reaches another tenant than `own`; a witness must be a
    /// valid id other than `own` that the pattern matches.
    fn reaches(pattern: &str, own: &str, after: &str) -> Option<String> {
        let full = format!("{T}{pattern}");
        let got = witness(&full, T, after, own, false);
        if let Some(id) = &got {
            assert_ne!(id, own);
            assert!(crate::model::TenantId::parse(id).is_ok(), "{id} is not a valid tenant id");
            assert!(
                super::super::iam::wildcard(&full, &format!("{T}{id}{after}"), false),
                "{full} does not match {id}"
            );
        }
        got
    }

    #[test]
    fn an_exact_grant_matches_no_one_else() {
        assert_eq!(reaches("acme", "acme", ""), None);
        assert_eq!(reaches("acme/index/*", "acme", ""), None);
        assert_eq!(reaches("acme/index/*", "acme", "/index/by-date"), None);
    }

    #[test]
    fn wildcards_that_reach_another_tenant_are_shown_with_a_witness() {
        for pattern in ["*", "acme*", "acm?", "a*e", "acme-*", "*acme", "?cme"] {
            assert!(reaches(pattern, "acme", "").is_some(), "{pattern}");
        }
        // The witness is the shortest such id.
        assert_eq!(reaches("acme*", "acme", "").map(|w| w.len()), Some(5));
        assert_eq!(reaches("acme-*", "acme", "").map(|w| w.len()), Some(6));
    }

    #[test]
    fn another_tenants_literal_name_is_found() {
        assert_eq!(reaches("globex", "acme", "").as_deref(), Some("globex"));
    }

    #[test]
    fn suffixes_and_case_count() {
        // The index of another tenant's table, through a wildcard before `/index`.
        assert!(reaches("*/index/*", "acme", "/index/by-date").is_some());
        // Actions match case-insensitively.
        assert_eq!(witness("TABLE/ACME*", "table/", "", "acme", true).map(|w| w.len()), Some(5));
        // A pattern longer than any id cannot match; nor one whose id part has a `/`.
        assert_eq!(witness(&format!("x{}", "?".repeat(64)), "x", "", "a", false), None);
        assert_eq!(reaches("a/b", "acme", ""), None);
    }
}
