//! Services: the microservices every tenant runs, and how each stores its data.

use super::{AttributeName, RoutePath, ServiceName};

/// A microservice deployed for every tenant, e.g. `product` or `order`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: ServiceName,
    /// The container port the service listens on.
    pub port: u16,
    /// The path prefix under `/<tenant>` that the ingress routes to it, e.g. `/products`.
    pub path: RoutePath,
    pub storage: Storage,
}

impl Service {
    /// A service whose image the images step builds from `services/<name>/Dockerfile`; the
    /// digest it pushes reaches the Deployments through a binding, never a blueprint constant.
    pub fn new(name: ServiceName, port: u16, path: RoutePath, storage: Storage) -> Self {
        Self { name, port, path, storage }
    }
}

/// Where a service keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// One table per tenant; the tenant's role may touch only its own table.
    Silo(TableKeys),
    /// One table shared by all tenants, partitioned by tenant id; the tenant's role may touch
    /// only items whose partition key equals its id (`dynamodb:LeadingKeys`).
    Pool(TableKeys),
}

impl Storage {
    pub fn keys(&self) -> &TableKeys {
        match self {
            Storage::Silo(keys) | Storage::Pool(keys) => keys,
        }
    }
}

/// The key schema of a DynamoDB table (string attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableKeys {
    pub partition_key: AttributeName,
    pub sort_key: Option<AttributeName>,
}
