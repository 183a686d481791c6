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
}

impl Tenant {
    /// A tenant of tier `tier`; the tier is checked against the platform's tiers when it is built.
    pub fn new(id: TenantId, name: DisplayName, tier: TierName, admin_email: EmailAddress) -> Self {
        Self { id, name, tier, admin_email }
    }
}
