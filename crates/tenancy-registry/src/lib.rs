//! The tenant registry of the control plane: where each tenant's lifecycle is kept, shared by
//! the registration service, the tenant management service and the onboarding job, so that all
//! three write the same records through the same rules.
//!
//! - **One table** (`Pk`, `Sk`; see [`dynamo`]) holds each tenant's record, its append-only
//!   audit trail and the claims that make a sign-up idempotent.
//! - **Every transition is a conditional write.** [`transition`] reads the record, asks the
//!   core's state machine ([`tenancy::contract::lifecycle`]) what the event does, and writes the
//!   new state and its audit entry in one transaction that holds only if the record's version is
//!   still the one read. Two writers racing on one tenant cannot both win; the loser reads
//!   again and finds the event either done ([`Change::Already`]) or refused.
//! - **Every transition is published** to the platform's lifecycle topic ([`events`]). The audit
//!   entry is the outbox: it is written unpublished with the transition and marked published
//!   after SNS took it, and [`publish_pending`] sends what a crash left unsent, in version order.
//!   Delivery is at least once; subscribers drop repeats by `(tenantId, version)`.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use tenancy::contract::lifecycle::{Event, State};
//! use tenancy_registry::{Caller, Change, MemoryRegistry, Outcome, Registration, Registry, transition};
//!
//! let registry = MemoryRegistry::default();
//! let caller = Caller { actor: "registration".into(), request_id: "req-1".into(), at: 1 };
//! let acme = Registration {
//!     tenant_id: "acme".into(), name: "Acme".into(), email: "ops@acme.example".into(), tier: "basic".into(),
//! };
//! assert!(matches!(registry.register(&acme, None, &caller).await?, Outcome::Created(_)));
//! let Change::Moved(record) = transition(&registry, "acme", &Event::Provision, &caller).await? else { panic!() };
//! assert_eq!((record.state, record.version), (State::Provisioning, 2));
//! // The same event again (a job retried after a crash) changes nothing.
//! assert!(matches!(transition(&registry, "acme", &Event::Provision, &caller).await?, Change::Already(_)));
//! // An event the state does not allow is refused, and nothing is written.
//! assert!(transition(&registry, "acme", &Event::Suspend, &caller).await.is_err());
//! assert_eq!(registry.audit("acme").await?.len(), 2);
//! # Ok::<(), tenancy_registry::RegistryError>(()) }).unwrap();
//! ```

pub mod directory;
pub mod dynamo;
mod error;
pub mod events;
pub mod jobs;
mod memory;
mod record;
pub mod users;

pub use directory::{Directory, DynamoDirectory, MemoryDirectory, SignIn};
pub use dynamo::DynamoRegistry;
pub use error::RegistryError;
pub use events::{Events, LifecycleEvent, RecordedEvents, SnsEvents, publish_pending};
pub use jobs::{CodeBuildJobs, Job, Jobs, RecordedJobs};
pub use memory::MemoryRegistry;
pub use record::{AuditEntry, Caller, Outcome, Record, Registration, offered_tier};
pub use users::{CognitoUsers, Created, MemoryUsers, Scope, User, Users, UsersError};

use async_trait::async_trait;
use tenancy::contract::lifecycle::{Applied, Event, Transition};

/// Where the lifecycle is kept: the primitive operations, each one atomic. The rules that
/// combine them ([`transition`], [`publish_pending`]) are written once, over this trait.
#[async_trait]
pub trait Registry: Send + Sync {
    /// Records `registration` as `requested` with its first audit entry and its claims, or finds
    /// the same sign-up made before. Another sign-up holding the id, the email or the key is a
    /// [`RegistryError::Conflict`] naming the field.
    async fn register(
        &self,
        registration: &Registration,
        key: Option<&str>,
        caller: &Caller,
    ) -> Result<Outcome, RegistryError>;
    /// The tenant's record, read consistently.
    async fn record(&self, tenant: &str) -> Result<Option<Record>, RegistryError>;
    /// Writes `transition` over `record` as version `record.version + 1`, with its audit entry,
    /// only if the stored record is still at `record.version`: `Ok(None)` when it is not (another
    /// writer moved it first).
    async fn write(
        &self,
        record: &Record,
        transition: &Transition,
        event: &Event,
        caller: &Caller,
    ) -> Result<Option<Record>, RegistryError>;
    /// Notes the onboarding build of `tenant`, unless one is noted already; returns the record.
    async fn set_build(&self, tenant: &str, build_id: &str) -> Result<Record, RegistryError>;
    /// Up to `limit` records, resuming after the tenant `after` (the `next` of the page before):
    /// every record once over a whole walk, in the store's order. For administrators' listings.
    async fn list(&self, after: Option<&str>, limit: usize) -> Result<Page, RegistryError>;
    /// The audit trail of `tenant`, oldest first.
    async fn audit(&self, tenant: &str) -> Result<Vec<AuditEntry>, RegistryError>;
    /// Marks the audit entry `version` of `tenant` as published.
    async fn mark_published(&self, tenant: &str, version: u64) -> Result<(), RegistryError>;
    /// Whether the store answers.
    async fn ready(&self) -> Result<(), RegistryError>;
}

/// One page of [`Registry::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub records: Vec<Record>,
    /// Where the next page starts (the last record's tenant), or `None` after the last page.
    pub next: Option<String>,
}

/// What [`transition`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The event moved the tenant: the record as written.
    Moved(Record),
    /// The event's effect was already recorded (a retry): the record, unchanged.
    Already(Record),
}

impl Change {
    /// The record after the event.
    pub fn record(&self) -> &Record {
        match self {
            Self::Moved(r) | Self::Already(r) => r,
        }
    }
}

/// How many times [`transition`] reads again after losing a race before it gives up.
pub const ATTEMPTS: u32 = 5;

/// The tier an event moves the tenant to, if it is a tier change: the one event that writes
/// more than the state.
pub fn new_tier(event: &Event) -> Option<&str> {
    match event {
        Event::ChangeTier { tier } => Some(tier),
        _ => None,
    }
}

/// Applies `event` to `tenant`: reads the record, lets the lifecycle decide, and writes the
/// transition conditionally on the version read. A lost race reads again (at most
/// [`ATTEMPTS`] times), so the event is judged against the state that won.
///
/// Publishing is separate ([`publish_pending`]): a write that succeeded is never undone because
/// SNS was unreachable.
pub async fn transition(
    registry: &dyn Registry,
    tenant: &str,
    event: &Event,
    caller: &Caller,
) -> Result<Change, RegistryError> {
    for _ in 0..ATTEMPTS {
        let record = registry.record(tenant).await?.ok_or_else(|| RegistryError::NotFound { tenant: tenant.into() })?;
        let applied = record.state.apply(event)?;
        // A tier is not a state: the repeat of a tier change is the tier the record holds.
        if new_tier(event).is_some_and(|tier| tier == record.registration.tier) {
            return Ok(Change::Already(record));
        }
        match applied {
            Applied::Already => return Ok(Change::Already(record)),
            Applied::Moved(t) => {
                if let Some(written) = registry.write(&record, &t, event, caller).await? {
                    return Ok(Change::Moved(written));
                }
            }
        }
    }
    Err(RegistryError::Contended { tenant: tenant.into(), attempts: ATTEMPTS })
}
