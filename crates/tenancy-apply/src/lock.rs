//! What an apply locks, and for how long it waits.
//!
//! Applies of disjoint parts of a plan run at once (the pipeline runs the baseline steps of one
//! wave and the eight tenant shards in parallel); an apply of everything excludes every other.
//! So a lock has two levels: the platform, held *shared* by every partial apply and
//! *exclusively* by `all`, and one part per unit a partial apply touches, held exclusively:
//!
//! - `step:<id>` for a baseline step;
//! - `shard:<i>/<K>` for tenants, where K is the pipeline's shard count. `tenant:<id>` and a
//!   tenant step take the shard of that tenant; `shard:i/K` takes itself; a shard of another
//!   count takes every canonical shard (its tenants may be in any of them).
//!
//! Two partial applies conflict exactly when their parts intersect, and the parts of one apply
//! are taken in sorted order, so two applies waiting on each other cannot deadlock.

use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use super::select::{Selection, shard_of};
use super::state::StateError;
use tenancy::compile::TENANT_SHARDS;

/// The parts of the platform an apply holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockScope {
    /// Everything, exclusively: no other apply runs.
    Platform,
    /// These parts exclusively, and the platform shared.
    Parts(BTreeSet<String>),
}

impl LockScope {
    /// What applying `selection` must hold.
    pub fn of(selection: &Selection) -> Self {
        let shard = |tenant: &str| format!("shard:{}/{TENANT_SHARDS}", shard_of(tenant, TENANT_SHARDS));
        let parts = match selection {
            // Everything upstream of a step: the whole platform, by all accounts.
            Selection::All | Selection::Through(_) => return LockScope::Platform,
            Selection::Pools => BTreeSet::from(["pools".to_owned()]),
            Selection::Tenant(tenant) => BTreeSet::from([shard(tenant)]),
            Selection::Step(step) => match step.tenant() {
                Some(tenant) => BTreeSet::from([shard(tenant)]),
                None => BTreeSet::from([format!("step:{step}")]),
            },
            Selection::Shard { index, count } if *count == TENANT_SHARDS => {
                BTreeSet::from([format!("shard:{index}/{count}")])
            }
            Selection::Shard { .. } => (1..=TENANT_SHARDS).map(|i| format!("shard:{i}/{TENANT_SHARDS}")).collect(),
        };
        LockScope::Parts(parts)
    }

    /// What applying `selection`, which runs `steps`, must hold: [`Self::of`], and the pools'
    /// part when it runs a pool step (a pooled tenant's onboarding updates its cell), so that
    /// two applies never update one cell stack at once.
    pub fn of_steps(selection: &Selection, steps: &BTreeSet<tenancy::plan::StepId>) -> Self {
        match Self::of(selection) {
            LockScope::Parts(mut parts)
                if steps.iter().any(|s| s.as_str().starts_with(tenancy::contract::steps::POOL_PREFIX)) =>
            {
                parts.insert("pools".to_owned());
                LockScope::Parts(parts)
            }
            scope => scope,
        }
    }

    /// Whether this scope holds the platform exclusively.
    pub fn is_platform(&self) -> bool {
        matches!(self, LockScope::Platform)
    }
}

impl fmt::Display for LockScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockScope::Platform => f.write_str("the whole platform"),
            LockScope::Parts(parts) => f.write_str(&parts.iter().cloned().collect::<Vec<_>>().join(", ")),
        }
    }
}

/// How long to wait for a lock another apply holds, and how often to look again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockWait {
    pub timeout: Duration,
    pub poll: Duration,
}

impl Default for LockWait {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(600), poll: Duration::from_secs(2) }
    }
}

/// A held lock. Release it explicitly and await the release: a lock released in `Drop` needs
/// async work that a runtime shutting down never finishes, and a leaked lock blocks every
/// later apply until its lease ends.
#[async_trait]
pub trait LockGuard: Send + Sync {
    /// Releases the lock. An error means the lock was no longer ours to release (its lease ran
    /// out and another apply took it), which the caller reports.
    async fn release(self: Box<Self>) -> Result<(), StateError>;
}

/// One hold on a lock, as `tenancy unlock` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The lock item or file, and the kind of hold (`lock#platform (shared)`, `lock.shard_1_8`).
    pub lock: String,
    /// Who holds it, as it wrote itself into the lock.
    pub holder: String,
    /// When its lease ends (seconds since the epoch); none for a local lock, which lasts as
    /// long as its process.
    pub expires: Option<u64>,
    /// Whether it still holds: a lease not yet ended, or a process still running.
    pub live: bool,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.lock, self.holder)?;
        match (self.expires, self.live) {
            (Some(expires), true) => write!(f, ", lease until {}", utc(expires)),
            (Some(expires), false) => write!(f, ", lease ended {} (no longer held)", utc(expires)),
            (None, true) => f.write_str(", a running process"),
            (None, false) => f.write_str(", not held (its process has ended)"),
        }
    }
}

/// Who holds a lock: the CodeBuild build, or the host, plus the process and a nonce, so two
/// applies never mistake each other's lock for their own.
pub fn holder_id() -> String {
    let place = std::env::var("CODEBUILD_BUILD_ID")
        .map(|id| format!("codebuild:{id}"))
        .or_else(|_| std::env::var("HOSTNAME").map(|h| format!("host:{h}")))
        .unwrap_or_else(|_| "host:local".into());
    format!("{place}:pid{}:{:08x}", std::process::id(), fastrand::u32(..))
}

/// Seconds since the epoch, now.
pub fn epoch_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `seconds` since the epoch as an RFC 3339 UTC time, for messages about leases.
pub fn utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm, proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenancy::plan::StepId;

    fn parts(selection: &str) -> LockScope {
        LockScope::of(&selection.parse::<Selection>().unwrap())
    }

    fn overlap(a: &str, b: &str) -> bool {
        match (parts(a), parts(b)) {
            (LockScope::Platform, _) | (_, LockScope::Platform) => true,
            (LockScope::Parts(x), LockScope::Parts(y)) => !x.is_disjoint(&y),
        }
    }

    #[test]
    fn disjoint_selections_take_disjoint_parts() {
        let shards: Vec<String> = (1..=TENANT_SHARDS).map(|i| format!("shard:{i}/{TENANT_SHARDS}")).collect();
        for (i, a) in shards.iter().enumerate() {
            for b in &shards[i + 1..] {
                assert!(!overlap(a, b), "{a} and {b}");
            }
        }
        assert!(!overlap("step:baseline/cluster", "step:baseline/images"));
        assert!(!overlap("step:baseline/cluster", "shard:1/8"));
    }

    #[test]
    fn overlapping_selections_share_a_part() {
        let acme = shard_of("acme", TENANT_SHARDS);
        let shard = format!("shard:{acme}/{TENANT_SHARDS}");
        assert!(overlap("tenant:acme", &shard));
        assert!(overlap("step:tenant/acme/k8s", "tenant:acme"));
        assert!(overlap("shard:1/3", &shard), "a shard of another count may hold any tenant");
        for selection in ["tenant:acme", "step:baseline/cluster", "shard:2/8"] {
            assert!(overlap("all", selection));
        }
        assert_eq!(LockScope::of(&Selection::Step(StepId::new("baseline/stack"))).to_string(), "step:baseline/stack");
    }

    #[test]
    fn utc_formats_epoch_seconds() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_796_083_200 + 3_661), "2026-12-01T01:01:01Z");
    }

    #[test]
    fn holders_are_unique() {
        assert_ne!(holder_id(), holder_id());
    }
}
