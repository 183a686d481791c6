//! Where a store gets the DynamoDB client for one tenant's data: [`TenantData`]. The stores ask
//! for a client per operation, naming the tenant, and never know the compute mode:
//!
//! - dedicated ([`PodData`]): the pod's own client, whose role is the tenant's, after checking the
//!   tenant is the one this Deployment serves;
//! - pooled (`pooled::Tenants`, feature `pooled`): a client with credentials vended for that
//!   tenant alone (STS AssumeRole with the session tag `TenantId`), never the pod's own.
//!
//! It does no authentication: the request's token is verified before a handler runs.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;

use crate::error::AppError;

/// The DynamoDB clients a store uses.
#[async_trait]
pub trait TenantData: Send + Sync {
    /// A client that may reach `tenant`'s data (and, in pooled mode, nobody else's).
    async fn dynamodb(&self, tenant: &str) -> Result<Client, AppError>;

    /// The pod's own client, for readiness only: DescribeTable, which reads a table's metadata,
    /// never its items. In pooled mode its role may do nothing with tenant data.
    fn pod_dynamodb(&self) -> &Client;
}

/// Dedicated compute: the pod's own client for the tenant it serves (any tenant when `served`
/// is `None`, as the tests and the product service's own pooled-table tests run it).
pub struct PodData {
    client: Client,
    served: Option<String>,
}

impl PodData {
    /// The pod's `client`, for every tenant (the router's extractor checks the served tenant).
    pub fn new(client: Client) -> Self {
        Self { client, served: None }
    }

    /// The pod's `client`, for `tenant` only.
    pub fn serving(client: Client, tenant: &str) -> Self {
        Self { client, served: Some(tenant.to_owned()) }
    }
}

#[async_trait]
impl TenantData for PodData {
    async fn dynamodb(&self, tenant: &str) -> Result<Client, AppError> {
        // The extractor refuses these first; this keeps a store from ever reaching another
        // tenant's data through a handler that forgot to ask.
        if self.served.as_deref().is_some_and(|served| served != tenant) {
            return Err(AppError::Forbidden("this service does not serve this tenant".into()));
        }
        Ok(self.client.clone())
    }

    fn pod_dynamodb(&self) -> &Client {
        &self.client
    }
}
