//! Tenants: the customers of the platform.

use super::{DisplayName, EmailAddress, TenantId, TierName};

/// A tenant of the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: DisplayName,
    pub tier: TierName,
    /// Receives the first sign-in invitation; becomes the tenant's admin user.
    pub admin_email: EmailAddress,
}

impl Tenant {
    pub fn new(id: TenantId, name: DisplayName, tier: TierName, admin_email: EmailAddress) -> Self {
        Self { id, name, tier, admin_email }
    }
}
