//! Services: the microservices every tenant runs, and how each stores its data.

use super::{AttributeName, RoutePath, ServiceName};

/// A microservice deployed for every tenant, e.g. `product` or `order`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service's name (a DNS label of at most 30 characters). It names the ECR repository
    /// `<platform>/<name>`, the pooled table `<platform>-<name>` or the silo tables
    /// `<platform>-<name>-<tenant>`, and the service's Kubernetes objects.
    pub name: ServiceName,
    /// The container port the service listens on.
    pub port: u16,
    /// The path prefix under `/<tenant>` that the ingress routes to it, e.g. `/products`.
    pub path: RoutePath,
    /// Where the service keeps its data: a table per tenant, or one table shared by all.
    pub storage: Storage,
}

impl Service {
    /// Where the service keeps a tier's data under `model`: its own storage, or, for a silo
    /// service a tier pools, one table keyed by tenant ([`POOLED_PARTITION_KEY`]) whose sort key
    /// is the silo table's partition key. Validation refuses a tier that would silo a pooled
    /// service, so that case keeps the service's own storage.
    ///
    /// [`POOLED_PARTITION_KEY`]: super::naming::POOLED_PARTITION_KEY
    pub fn storage_as(&self, model: super::StorageModel) -> Storage {
        match (&self.storage, model) {
            (Storage::Silo(keys), super::StorageModel::Pool) => Storage::Pool(TableKeys {
                partition_key: AttributeName::parse(super::naming::POOLED_PARTITION_KEY)
                    .expect("a valid attribute name"),
                sort_key: Some(keys.partition_key.clone()),
            }),
            (storage, _) => storage.clone(),
        }
    }

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
    /// The model without its keys.
    pub fn model(&self) -> super::StorageModel {
        match self {
            Storage::Silo(_) => super::StorageModel::Silo,
            Storage::Pool(_) => super::StorageModel::Pool,
        }
    }

    /// The key schema of the service's table, whichever the storage model.
    pub fn keys(&self) -> &TableKeys {
        match self {
            Storage::Silo(keys) | Storage::Pool(keys) => keys,
        }
    }
}

/// The key schema of a DynamoDB table (string attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableKeys {
    /// The partition key. In a pool table it holds the tenant id, to which `dynamodb:LeadingKeys`
    /// confines each tenant's role.
    pub partition_key: AttributeName,
    /// The sort key, if the table has one.
    pub sort_key: Option<AttributeName>,
}
