//! Tenants: the customers of the platform.

use super::{DisplayName, EmailAddress, TenantId, TierName};

/// A tenant of the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The tenant's id (a DNS label of at most 63 characters): every per-tenant name derives from it,
    /// e.g. the namespace `tenant-<id>`.
    pub id: TenantId,
    /// The tenant's human-readable name, shown in its stack's description.
    pub name: DisplayName,
    /// The name of the tenant's tier; it must be one of the platform's tiers (checked at build).
    pub tier: TierName,
    /// Receives the first sign-in invitation; becomes the tenant's admin user.
    pub admin_email: EmailAddress,
    /// Whether the tenant's requests are served.
    pub serving: Serving,
}

/// Whether a tenant's requests are served. This is the part of the lifecycle
/// (`contract::lifecycle`) that the deployed platform itself carries: a suspended
/// tenant keeps its stack, table, users and deployments, and its ingress refuses every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Serving {
    /// Requests are served.
    #[default]
    Active,
    /// Every request to the tenant's API is answered 403 at the ingress; nothing is deleted.
    Suspended,
}

impl Tenant {
    /// A tenant of tier `tier`, served; the tier is checked against the platform's tiers when it
    /// is built.
    pub fn new(id: TenantId, name: DisplayName, tier: TierName, admin_email: EmailAddress) -> Self {
        Self { id, name, tier, admin_email, serving: Serving::Active }
    }

    /// The same tenant, suspended: its ingress answers 403, and its data is kept.
    pub fn suspended(self) -> Self {
        Self { serving: Serving::Suspended, ..self }
    }

    /// Whether the tenant is suspended.
    pub fn is_suspended(&self) -> bool {
        self.serving == Serving::Suspended
    }
}
