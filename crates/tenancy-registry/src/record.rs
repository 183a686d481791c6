//! What the registry holds: a tenant's record, the sign-up it was made from, and its audit
//! trail.

use tenancy::contract::lifecycle::State;

/// `raw` as one of the platform's `tiers` (a sign-up's choice, an admin's tier change), or
/// what is wrong with it, for a 400 that names the field.
pub fn offered_tier(raw: &str, tiers: &[String]) -> Result<String, String> {
    let tier =
        tenancy::model::TierName::parse(raw).map_err(|invalid| format!("{} ({})", invalid.message, invalid.help))?;
    if tiers.iter().any(|t| t == tier.as_str()) {
        Ok(tier.as_str().to_owned())
    } else {
        Err(format!("`{tier}` is not offered; choose one of {}", tiers.join(", ")))
    }
}

/// A validated sign-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The tenant id asked for (a DNS label, checked by the core's `TenantId`).
    pub tenant_id: String,
    /// The display name.
    pub name: String,
    /// The admin's email, lower-cased: the tenant's first user.
    pub email: String,
    /// One of the platform's tiers.
    pub tier: String,
}

/// A tenant's lifecycle record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The sign-up it was made from.
    pub registration: Registration,
    /// Where the tenant is in its life.
    pub state: State,
    /// Incremented by every transition; the number of the last audit entry.
    pub version: u64,
    /// The onboarding build, once started.
    pub build_id: Option<String>,
}

impl Record {
    /// The record a new sign-up starts with: `requested`, version 1, no build yet.
    pub fn requested(registration: &Registration) -> Self {
        Self { registration: registration.clone(), state: State::Requested, version: 1, build_id: None }
    }
}

/// Who asked, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The principal: `registration` for a public sign-up, the admin's subject, the job's name.
    pub actor: String,
    /// The request id, or the build id for the onboarding job.
    pub request_id: String,
    /// Seconds since the epoch.
    pub at: u64,
}

impl Caller {
    /// `actor` with `request_id`, now.
    pub fn now(actor: impl Into<String>, request_id: impl Into<String>) -> Self {
        let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Self { actor: actor.into(), request_id: request_id.into(), at }
    }
}

/// One audit entry: one per version of the record, never overwritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The record's version this entry made.
    pub version: u64,
    /// The event (`register`, then the lifecycle's events).
    pub event: String,
    /// The state it left (`None` for the sign-up that made the record).
    pub from: Option<String>,
    /// The state it moved the tenant to.
    pub to: String,
    /// The cause, for a failure.
    pub cause: Option<String>,
    /// The tier the tenant moved to, for a tier change.
    pub tier: Option<String>,
    /// Who did it, with which request, when.
    pub caller: Caller,
    /// Whether the lifecycle topic has taken it.
    pub published: bool,
}

impl AuditEntry {
    /// The entry of a sign-up.
    pub(crate) fn register(caller: &Caller) -> Self {
        Self {
            version: 1,
            event: "register".into(),
            from: None,
            to: State::Requested.name().into(),
            cause: None,
            tier: None,
            caller: caller.clone(),
            published: false,
        }
    }

    /// The entry of a transition written as `version`.
    pub(crate) fn transition(
        version: u64,
        from: &State,
        to: &State,
        event: &tenancy::contract::lifecycle::Event,
        caller: &Caller,
    ) -> Self {
        let cause = match to {
            State::Failed { cause, .. } => Some(cause.clone()),
            _ => None,
        };
        Self {
            version,
            event: event.name().into(),
            from: Some(from.name().into()),
            to: to.name().into(),
            cause,
            tier: crate::new_tier(event).map(str::to_owned),
            caller: caller.clone(),
            published: false,
        }
    }
}

/// What a sign-up did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new record, in state `requested`.
    Created(Record),
    /// The same sign-up was made before (same key, or same email and id): its record.
    Existing(Record),
}

impl Outcome {
    /// The record, new or existing.
    pub fn record(&self) -> &Record {
        match self {
            Self::Created(r) | Self::Existing(r) => r,
        }
    }
}

/// Decides a sign-up that found its id, email or key taken, from who holds them: the same
/// sign-up again (idempotent), or a conflict naming the field. `Ok(None)` when nothing is
/// claimed (the write that won was itself cancelled): the client should retry.
pub(crate) fn resolve(
    registration: &Registration,
    key_owner: Option<String>,
    email_owner: Option<String>,
    record: Option<Record>,
) -> Result<Option<Record>, crate::RegistryError> {
    use crate::RegistryError::Conflict;
    if let Some(owner) = key_owner {
        return match record {
            Some(r) if owner == registration.tenant_id && r.registration == *registration => Ok(Some(r)),
            _ => Err(Conflict {
                field: "Idempotency-Key",
                problem: "this key was used for another registration; send a new key",
            }),
        };
    }
    match (email_owner, record) {
        (Some(owner), Some(r)) if owner == registration.tenant_id => Ok(Some(r)),
        (Some(_), _) => {
            Err(Conflict { field: "email", problem: "this email has registered another tenant; sign in instead" })
        }
        (None, Some(_)) => Err(Conflict { field: "tenantId", problem: "this tenant id is taken; choose another" }),
        (None, None) => Ok(None),
    }
}
