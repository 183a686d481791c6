//! Where each tenant's users sign in, from the tenant table (`<platform>-tenant`, one item per
//! tenant, written by the plan's `register` step with what the tenant's stack made: `Issuer`,
//! `ClientId`, `UserPoolId`, and the tenant's `Tier` and `AccessRoleArn`). Tenant management
//! answers `/auth-info` from it; user management finds the pool a tenant's users live in, and the
//! issuer their tokens must come from; a pooled product or order service finds whether it serves
//! the tenant (its tier) and which role to assume for the tenant's data (`AccessRoleArn`).
//!
//! It only reads: a record of a deleted (or removed) tenant reads as no record.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::RegistryError;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

/// Every DynamoDB action [`DynamoDirectory`] calls, on the tenant table only.
pub use tenancy::contract::calls::DIRECTORY_IAM_ACTIONS as IAM_ACTIONS;

/// A tenant's sign-in settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// The token issuer (its discovery document names the hosted UI's endpoints).
    pub issuer: String,
    /// The tenant application's app client.
    pub client_id: String,
    /// The user pool the tenant's users are in: its own, or the pool shared by pooled tenants.
    pub user_pool_id: String,
    /// The pool's hosted UI (`<prefix>.auth.<region>.amazoncognito.com`), where the tenant's app
    /// sends its users to sign in; none in a record written before tenancy wrote it.
    pub domain: Option<String>,
    /// The tenant's tier (`Tier`): a pooled service serves only the tenants of its own.
    pub tier: Option<String>,
    /// The tenant-access role (`AccessRoleArn`) a pooled service assumes, with the session tag
    /// `TenantId=<tenant>`, to reach this tenant's data; none until the plan's register step has
    /// written it (a tenant not yet provisioned for pooled compute).
    pub access_role_arn: Option<String>,
}

/// Where sign-in settings are read.
#[async_trait]
pub trait Directory: Send + Sync {
    /// The settings of `tenant`, if its stack has been deployed.
    async fn sign_in(&self, tenant: &str) -> Result<Option<SignIn>, RegistryError>;
}

/// The tenant table on DynamoDB.
pub struct DynamoDirectory {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoDirectory {
    /// The tenant table `table`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }
}

#[async_trait]
impl Directory for DynamoDirectory {
    async fn sign_in(&self, tenant: &str) -> Result<Option<SignIn>, RegistryError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("TenantId", AttributeValue::S(tenant.into()))
            .send()
            .await
            .map_err(|e| RegistryError::Unavailable {
                what: "read the tenant table",
                message: aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string(),
            })?;
        let Some(item) = out.item else { return Ok(None) };
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        // A record written before the stack's outputs reached it, or of a deleted tenant.
        if matches!(text("Status").as_deref(), Some("deleted" | "removed")) {
            return Ok(None);
        }
        Ok(match (text("Issuer"), text("ClientId"), text("UserPoolId")) {
            (Some(issuer), Some(client_id), Some(user_pool_id)) => Some(SignIn {
                issuer,
                client_id,
                user_pool_id,
                domain: text("SignInDomain"),
                tier: text("Tier"),
                access_role_arn: text("AccessRoleArn"),
            }),
            _ => None,
        })
    }
}

/// Sign-in settings in memory, for tests.
#[derive(Default)]
pub struct MemoryDirectory {
    settings: Mutex<HashMap<String, SignIn>>,
}

impl MemoryDirectory {
    /// Sets `tenant`'s settings.
    pub fn insert(&self, tenant: &str, sign_in: SignIn) {
        self.settings.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(tenant.into(), sign_in);
    }

    /// Forgets `tenant` (as if it had been offboarded).
    pub fn remove(&self, tenant: &str) {
        self.settings.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(tenant);
    }
}

#[async_trait]
impl Directory for MemoryDirectory {
    async fn sign_in(&self, tenant: &str) -> Result<Option<SignIn>, RegistryError> {
        Ok(self.settings.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(tenant).cloned())
    }
}
