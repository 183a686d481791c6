//! The token vending machine: credentials scoped to one tenant, obtained by assuming the
//! tenant-access role with the session tag `TenantId=<tenant>`. The role's policy keys
//! `dynamodb:LeadingKeys` (and, for silo tables, the table ARN) to `${aws:PrincipalTag/TenantId}`,
//! so the session can reach that tenant's items only, whatever the code asks.
//!
//! It does not cache (`pooled::Tenants` does) and never falls back to the pod's own credentials.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_dynamodb::config::Credentials;

/// What the pooled pod's own role calls here, on the tenant-access roles: AssumeRole, and
/// TagSession because the request carries a session tag (the access roles' trust policies must
/// allow both to the pod's role).
pub const VENDING_IAM_ACTIONS: [&str; 2] = ["sts:AssumeRole", "sts:TagSession"];

/// The session tag the access roles' policies read (`${aws:PrincipalTag/TenantId}`).
pub const TENANT_TAG: &str = "TenantId";

/// How long a vended session lasts: STS's minimum, so a credential that leaks is short-lived.
pub const SESSION_SECONDS: i32 = 900;

/// Credentials for one tenant, and how long they remain valid from now.
#[derive(Debug, Clone)]
pub struct Vended {
    pub credentials: Credentials,
    pub valid_for: Duration,
}

/// Where tenant-scoped credentials come from.
#[async_trait]
pub trait Vending: Send + Sync {
    /// Credentials for `tenant`'s data only, from its access role `role_arn`. The error is a
    /// plain description, logged; the client is told only that the service is not ready.
    async fn vend(&self, tenant: &str, role_arn: &str) -> Result<Vended, String>;
}

/// The role session name for `tenant`: `tenant-<id>`, within STS's 64 characters and its
/// character set (`[\w+=,.@-]`; anything else becomes `-`). Only ids the tenant directory holds
/// reach here, which are DNS labels, so nothing is replaced in practice.
pub fn session_name(tenant: &str) -> String {
    let name: String = format!("tenant-{tenant}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) { c } else { '-' })
        .take(64)
        .collect();
    name
}

/// STS, with the pod's own credentials.
pub struct StsVending {
    client: aws_sdk_sts::Client,
}

impl StsVending {
    pub fn new(client: aws_sdk_sts::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl Vending for StsVending {
    async fn vend(&self, tenant: &str, role_arn: &str) -> Result<Vended, String> {
        let tag = aws_sdk_sts::types::Tag::builder()
            .key(TENANT_TAG)
            .value(tenant)
            .build()
            .map_err(|e| format!("the session tag for {tenant}: {e}"))?;
        let out = self
            .client
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name(tenant))
            .tags(tag)
            .duration_seconds(SESSION_SECONDS)
            .send()
            .await
            .map_err(|e| format!("assume {role_arn} for {tenant}: {}", aws_sdk_sts::error::DisplayErrorContext(e)))?;
        let vended = out.credentials().ok_or_else(|| format!("assume {role_arn} for {tenant}: no credentials"))?;
        let expires = SystemTime::try_from(*vended.expiration())
            .map_err(|e| format!("assume {role_arn} for {tenant}: the expiry is unreadable: {e}"))?;
        let credentials = Credentials::new(
            vended.access_key_id(),
            vended.secret_access_key(),
            Some(vended.session_token().to_owned()),
            Some(expires),
            "tenant-vending",
        );
        Ok(Vended { credentials, valid_for: expires.duration_since(SystemTime::now()).unwrap_or_default() })
    }
}

#[cfg(test)]
mod tests {
    use super::session_name;

    #[test]
    fn session_names_are_valid_for_sts() {
        assert_eq!(session_name("acme"), "tenant-acme");
        assert_eq!(session_name(&"a".repeat(63)).len(), 64);
        assert_eq!(session_name("a b/c"), "tenant-a-b-c");
    }
}
