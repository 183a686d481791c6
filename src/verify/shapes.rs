//! Tenants of one shape are proven once. Two tenants whose files (and plan.json steps) are the
//! same once each one's id is replaced by a marker were compiled from the same tier by the same
//! compiler: every check verify makes reads the id only as an opaque name (the other tenant is
//! symbolic, see `other`), so the proof of one is the proof of the other with the id swapped.
//! A fleet of 10,000 tenants in four tiers is parsed and evaluated four times; the rest is
//! reading, replacing and comparing bytes.
//!
//! Conservative on purpose:
//! - the comparison is exact (the whole normalized text, not only a hash), and the id length is
//!   part of the key (the symbolic search bounds an id at 63 characters, so a pattern's reach
//!   can depend on the length);
//! - a shape is reused only when its first tenant had no finding that fails, other than accepted
//!   ones (counted for every tenant of the shape, listed for the first; least-privilege warnings
//!   are listed once per shape); a tenant of a shape with any other finding is checked in full,
//!   so every such finding names its own files and lines;
//! - a tenant whose text already holds the marker is never normalized.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use super::{AcceptedList, Location, Property, Report, TenantSummary};

/// Stands for the tenant's id in a normalized text: a control character, which no generated
/// YAML or JSON holds unescaped.
const MARK: char = '\u{1}';

/// A tenant's files and plan steps with its id replaced by the marker.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Normalized {
    id_len: usize,
    parts: Vec<String>,
}

/// `files` and `steps` (their plan.json entries) of tenant `id`, normalized; `None` when they
/// cannot be (the marker already occurs, or the id is empty).
pub fn normalize(id: &str, files: &BTreeMap<String, String>, steps: &[String]) -> Option<Normalized> {
    if id.is_empty() {
        return None;
    }
    let mut parts = Vec::with_capacity(files.len() * 2 + steps.len());
    for text in files.keys().chain(files.values()).chain(steps) {
        if text.contains(MARK) || text.contains(FREE) {
            return None;
        }
        parts.push(without_descriptions(&text.replace(id, &MARK.to_string())));
    }
    Some(Normalized { id_len: id.len(), parts })
}

/// Stands for a resource's `Description`, which holds the tenant's display name and which no
/// check reads.
const FREE: char = '\u{2}';

/// `text` with the value of every one-line `Description:` replaced by [`FREE`]. Only values
/// that cannot change how the rest of the document parses: single-quoted and closed, or plain
/// without `: `, ` #` or a leading indicator. Anything else stays, and two texts that differ
/// there are two shapes.
fn without_descriptions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let indent = body.len() - body.trim_start().len();
        let Some(value) = body[indent..].strip_prefix("Description: ") else {
            out.push_str(line);
            continue;
        };
        let quoted = value.len() >= 2
            && value.starts_with('\'')
            && value.ends_with('\'')
            && !value[1..value.len() - 1].contains('\'');
        let plain = !value.is_empty()
            && !value
                .starts_with(['\'', '"', '|', '>', '[', '{', '&', '*', '!', '%', '@', '`', '#', '-', '?', ':', ','])
            && !value.contains(": ")
            && !value.contains(" #")
            && !value.ends_with(':');
        if quoted || plain {
            out.push_str(&body[..indent]);
            out.push_str("Description: ");
            out.push(FREE);
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

struct Shape {
    normalized: Normalized,
    checked: BTreeMap<Property, u64>,
    /// Its accepted findings, by property.
    repeated: BTreeMap<Property, u64>,
    /// The fleet-pass facts, with the marker for the id.
    summary: TenantSummary,
}

/// The shapes proven so far in this run.
#[derive(Default)]
pub struct Shapes {
    by_hash: Mutex<HashMap<u64, Vec<Shape>>>,
}

fn hash(n: &Normalized) -> u64 {
    let mut h = DefaultHasher::new();
    n.hash(&mut h);
    h.finish()
}

impl Shapes {
    /// The result for tenant `id` of a shape already proven clean, if there is one.
    pub fn reuse(&self, id: &str, normalized: &Normalized) -> Option<(Report, TenantSummary)> {
        let shapes = self.by_hash.lock().expect("not poisoned");
        let shape = shapes.get(&hash(normalized))?.iter().find(|s| &s.normalized == normalized)?;
        let report = Report {
            findings: Vec::new(),
            checked: shape.checked.clone(),
            tenants: 1,
            repeated: shape.repeated.clone(),
            by_shape: 1,
        };
        Some((report, instantiate(&shape.summary, id)))
    }

    /// Records a tenant's result as its shape's, when nothing in it fails but what `accepted`
    /// accepts.
    pub fn remember(
        &self,
        id: &str,
        normalized: Normalized,
        (report, summary): (&Report, &TenantSummary),
        accepted: Option<&AcceptedList>,
    ) {
        let is_accepted = |f: &&super::Finding| accepted.is_some_and(|a| a.reason(f).is_some());
        if report.findings.iter().any(|f| f.property.fails() && !is_accepted(&f)) {
            return;
        }
        let mut repeated: BTreeMap<Property, u64> = BTreeMap::new();
        for f in report.findings.iter().filter(|f| f.property.fails()) {
            *repeated.entry(f.property).or_default() += 1;
        }
        let mut shapes = self.by_hash.lock().expect("not poisoned");
        let entry = shapes.entry(hash(&normalized)).or_default();
        if entry.iter().any(|s| s.normalized == normalized) {
            return;
        }
        let summary = swap(summary, id, &MARK.to_string());
        entry.push(Shape { normalized, checked: report.checked.clone(), repeated, summary });
    }
}

fn instantiate(summary: &TenantSummary, id: &str) -> TenantSummary {
    let mut out = swap(summary, &MARK.to_string(), id);
    out.id = id.to_owned();
    out
}

/// The summary with `from` replaced by `to` in every string that came from the files.
fn swap(summary: &TenantSummary, from: &str, to: &str) -> TenantSummary {
    let at = |l: &Location| Location { file: l.file.replace(from, to), line: l.line };
    TenantSummary {
        id: summary.id.replace(from, to),
        routes: summary.routes.iter().map(|(h, p, l)| (h.replace(from, to), p.replace(from, to), at(l))).collect(),
        egress_to_others: summary.egress_to_others.as_ref().map(at),
        ingress_from_others: summary.ingress_from_others.as_ref().map(at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(id: &str, extra: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(
            format!("tenants/{id}/k8s.yaml"),
            format!("namespace: tenant-{id}\nhost: api.example.com{extra}\n"),
        )])
    }

    #[test]
    fn tenants_that_differ_only_by_their_id_share_a_shape() {
        let (a, b) =
            (normalize("acme", &files("acme", ""), &[]).unwrap(), normalize("ajax", &files("ajax", ""), &[]).unwrap());
        assert_eq!(a, b);
        // Another length, another text, or a plan step of another shape: another shape.
        assert_ne!(a, normalize("acme2", &files("acme2", ""), &[]).unwrap());
        assert_ne!(a, normalize("ajax", &files("ajax", "\nextra: 1"), &[]).unwrap());
        assert_ne!(a, normalize("ajax", &files("ajax", ""), &["{\"role\":\"x\"}".into()]).unwrap());
        // A text that already holds the marker is never normalized.
        assert!(normalize("acme", &files("acme", "\u{1}"), &[]).is_none());
    }

    #[test]
    fn descriptions_are_neutral_only_where_they_cannot_change_the_parse() {
        let n = |d: &str| without_descriptions(&format!("A:\n  Description: {d}\n  B: 1\n"));
        assert_eq!(n("'Tenant 0, tier basic'"), n("'Tenant 4, tier basic'"));
        assert_eq!(n("Pods of tenant x"), n("Pods of tenant y"));
        // Not neutral: a block, a flow collection, an open quote, a `: ` that makes a mapping.
        for odd in ["|", "[a, b]", "'open", "a: b", "x #c"] {
            assert_ne!(n(odd), n("plain"), "{odd}");
        }
    }

    #[test]
    fn a_clean_shape_is_reused_with_the_members_own_names() {
        let shapes = Shapes::default();
        let summary = TenantSummary {
            id: "acme".into(),
            routes: vec![(
                "api.example.com".into(),
                "/acme/orders".into(),
                Location { file: "tenants/acme/k8s.yaml".into(), line: 7 },
            )],
            egress_to_others: None,
            ingress_from_others: None,
        };
        let mut report = Report::default();
        report.count(Property::Network, 3);
        shapes.remember("acme", normalize("acme", &files("acme", ""), &[]).unwrap(), (&report, &summary), None);
        let (r, s) = shapes.reuse("ajax", &normalize("ajax", &files("ajax", ""), &[]).unwrap()).expect("reused");
        assert_eq!(r.checked.get(&Property::Network), Some(&3));
        assert_eq!(s.id, "ajax");
        assert_eq!(s.routes[0].1, "/ajax/orders");
        assert_eq!(s.routes[0].2.file, "tenants/ajax/k8s.yaml");
        assert!(shapes.reuse("ajax", &normalize("ajax", &files("ajax", "x"), &[]).unwrap()).is_none());
    }
}
