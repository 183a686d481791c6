//! The domain: platform, cluster, services, tiers, tenants, and the names derived from them.
//!
//! This module does no IO and knows nothing of YAML, CloudFormation or Kubernetes. A
//! [`Platform`] exists only once validated as a whole ([`PlatformBuilder::build`]), so the
//! compilers downstream never re-check what is checked here.

mod cluster;
mod names;
pub mod naming;
mod path;
mod platform;
mod problem;
mod service;
mod sites;
mod tenant;
mod tier;
mod tier_move;
mod validate;

pub use cluster::{Cluster, NodeGroup};
pub use names::{
    AccountId, AttributeName, ClusterName, DisplayName, DomainName, EmailAddress, HostedZoneId, InstanceType, Invalid,
    KubernetesVersion, PlatformName, PrincipalArn, Quantity, Region, RoutePath, ServiceName, TenantId, TierName,
};
pub use naming::{
    BaselineNames, CellNames, DerivedName, NameKind, PoolNames, TENANT_SERVICE_ACCOUNT, TenantNames, cell_of,
};
pub use path::{FieldPath, Segment};
pub use platform::{Platform, PlatformBuilder};
pub use problem::{Anchor, Problem, Problems};
pub use service::{Service, Storage, TableKeys};
pub use sites::{SHARED_DIR, Site, WEB_DIR, WebSources};
pub use tenant::{Serving, Tenant};
pub use tier::{
    Autoscaling, CELL_FIXED_OUTPUTS, CELL_FIXED_RESOURCES, CELL_TENANT_RESOURCES, Compute, ContainerResources,
    DataRetention, Identity, Placement, Quotas, RateLimit, StorageModel, Tier,
};
pub use tier_move::tier_move;
pub use validate::{MAX_CELLS, MAX_PRIORITY, SUPPORTED_KUBERNETES_MINORS};

/// Builders shared by the model's unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A service with a one-attribute key, routed at `/<name>`.
    pub fn service(name: &str, silo: bool) -> Service {
        let keys = TableKeys { partition_key: AttributeName::parse("Id").unwrap(), sort_key: None };
        Service::new(
            ServiceName::parse(name).unwrap(),
            8080,
            RoutePath::parse(&format!("/{name}")).unwrap(),
            if silo { Storage::Silo(keys) } else { Storage::Pool(keys) },
        )
    }
}
