//! Tiers: how isolated a tenant is and how much it may use.

use std::collections::BTreeMap;

use super::{Quantity, ServiceName, TierName};

/// A service tier such as `basic` or `premium`. Tenants pick one; everything about their
/// isolation and limits follows from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// The tier's name (a DNS label of at most 30 characters). Its PriorityClass is
    /// `<platform>-<tier>`, its dedicated node group, if any, `tier-<tier>`.
    pub name: TierName,
    /// Where the tier's tenants' workloads run: a namespace each, or the tier's pool namespace.
    pub compute: Compute,
    /// Services this tier keeps in another storage model than the service's own: `order` (a
    /// silo service) in one table shared by the tier's tenants, keyed by tenant, for example.
    /// Only silo services can be pooled this way (see [`Tier::storage_model`]).
    pub storage: BTreeMap<ServiceName, StorageModel>,
    /// How many cell stacks hold the per-tenant AWS resources of a pooled tier's tenants (an app
    /// client, two groups, the admin user, silo tables). A tenant's cell is a stable hash of its
    /// id ([`crate::model::cell_of`]); the count is fixed for the tier's life, since growing it
    /// moves about one tenant in `cells + 1` to the new cell. Unused by dedicated tiers.
    pub cells: u32,
    /// Where the tier's tenants' users sign in: a user pool each, or a group in the shared pool.
    pub identity: Identity,
    /// The ResourceQuota of each tenant's namespace; each container's requests and limits derive from
    /// it (see [`Tier::container_resources`]).
    pub quotas: Quotas,
    /// Replicas of each service's Deployment before autoscaling acts.
    pub replicas: u32,
    /// The HorizontalPodAutoscaler bounds of each service's Deployment.
    pub autoscaling: Autoscaling,
    /// The rate limit of each tenant's API at the ingress, per client address.
    pub rate_limit: RateLimit,
    /// The value of the tier's PriorityClass: higher is scheduled first and evicted last.
    pub priority: u32,
    /// Whether the tier's pods run on the shared node group or on a tainted node group of its own.
    pub placement: Placement,
    /// What happens to a tenant's silo tables when the tenant or its stack is deleted.
    pub data_retention: DataRetention,
}

impl Tier {
    /// A tier with dedicated compute, dedicated identity, modest quotas and shared nodes;
    /// adjust fields from there.
    pub fn new(name: TierName) -> Self {
        Self {
            name,
            compute: Compute::Dedicated,
            storage: BTreeMap::new(),
            cells: 1,
            identity: Identity::Dedicated,
            quotas: Quotas::default(),
            replicas: 1,
            autoscaling: Autoscaling { min: 1, max: 2, target_cpu_percent: 70 },
            rate_limit: RateLimit { requests_per_second: 10, burst: 20 },
            priority: 1000,
            placement: Placement::Shared,
            data_retention: DataRetention::Retain,
        }
    }
}

/// Requests and limits of each service container, derived from the tier's quotas so that every
/// service at its autoscaling maximum, plus one pod of rolling-update surge each, fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerResources {
    /// CPU request in millicores: half the limit.
    pub cpu_request_millis: u64,
    /// CPU limit in millicores: the cpu quota divided by the pods needed, rounded down.
    pub cpu_limit_millis: u64,
    /// Memory request in MiB: half the limit.
    pub memory_request_mib: u64,
    /// Memory limit in MiB: the memory quota divided by the pods needed, rounded down.
    pub memory_limit_mib: u64,
}

impl ContainerResources {
    /// The least a service container is given: below this the tier's quotas are too small.
    pub const MIN_CPU_MILLIS: u64 = 50;
    /// The least memory limit a service container is given, in MiB.
    pub const MIN_MEMORY_MIB: u64 = 64;
}

impl Tier {
    /// Pods the tier must admit per tenant: each service at its maximum, plus one surge pod.
    pub fn pods_needed(&self, services: usize) -> u64 {
        services as u64 * (u64::from(self.autoscaling.max) + 1)
    }

    /// Container requests and limits for a platform with `services` services.
    pub fn container_resources(&self, services: usize) -> ContainerResources {
        let pods = self.pods_needed(services).max(1) as f64;
        let cpu_limit = (self.quotas.cpu.value() * 1000.0 / pods).floor() as u64;
        let memory_limit = (self.quotas.memory.value() / (1024.0 * 1024.0) / pods).floor() as u64;
        ContainerResources {
            cpu_request_millis: cpu_limit / 2,
            cpu_limit_millis: cpu_limit,
            memory_request_mib: memory_limit / 2,
            memory_limit_mib: memory_limit,
        }
    }
}

impl Tier {
    /// How this tier keeps `service`'s data: the tier's override, else the service's own model.
    pub fn storage_model(&self, service: &super::Service) -> StorageModel {
        self.storage.get(&service.name).copied().unwrap_or_else(|| service.storage.model())
    }

    /// The tier's pool namespace serves its tenants (one shared Deployment of each service).
    pub fn is_pooled(&self) -> bool {
        self.compute == Compute::Pooled
    }
}

/// Resources of a cell stack besides its tenants': the user pool, its hosted-UI domain and the
/// tenant-access role.
pub const CELL_FIXED_RESOURCES: usize = 3;
/// Resources of each tenant in its cell, besides its silo tables: the app client, the user and
/// admin groups, the admin user and its two memberships.
pub const CELL_TENANT_RESOURCES: usize = 6;
/// Outputs of a cell stack besides its tenants' (one app client id each): the pool's id and
/// issuer, the access role's ARN.
pub const CELL_FIXED_OUTPUTS: usize = 3;

impl Tier {
    /// The most tenants one cell of this tier holds within CloudFormation's 500 resources and 200
    /// outputs per stack, with `services`.
    pub fn cell_capacity(&self, services: &[super::Service]) -> usize {
        let silo = services.iter().filter(|s| self.storage_model(s) == StorageModel::Silo).count();
        let by_resources = (500 - CELL_FIXED_RESOURCES) / (CELL_TENANT_RESOURCES + silo);
        by_resources.min(200 - CELL_FIXED_OUTPUTS)
    }
}

/// A storage model without its keys: what a tier may choose per service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StorageModel {
    /// A table per tenant.
    Silo,
    /// One table shared by tenants, partitioned by tenant id.
    Pool,
}

impl StorageModel {
    /// `silo` or `pool`, as blueprints and the services' `STORAGE_MODEL` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Silo => "silo",
            Self::Pool => "pool",
        }
    }
}

/// Where a tenant's workloads run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compute {
    /// Own namespace and Deployments (the reference architecture's silo).
    Dedicated,
    /// Served by the tier's pool namespace: shared Deployments of every service, which obtain
    /// credentials scoped to the request's tenant for every data call.
    Pooled,
}

/// Where a tenant's users sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// A Cognito user pool per tenant.
    Dedicated,
    /// A group per tenant in the platform's shared tenant user pool.
    Pooled,
}

/// Node placement of a tier's pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The cluster's shared node group.
    Shared,
    /// A node group of the tier's own, tainted so that only this tier's pods land there.
    Dedicated,
}

/// What deleting a tenant does to the tables holding its data.
///
/// DynamoDB tables do not support CloudFormation's `DeletionPolicy: Snapshot`, so the
/// backup choice is made by the deploy plan, not by CloudFormation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataRetention {
    /// `DeletionPolicy: Retain` (and deletion protection): the table outlives its stack.
    Retain,
    /// `DeletionPolicy: Delete` after an on-demand backup taken by offboarding; point-in-time
    /// recovery also leaves DynamoDB's 35-day system backup.
    Backup,
}

/// Namespace-wide limits for one tenant (Kubernetes ResourceQuota).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    /// CPU of the whole namespace (`requests.cpu` and `limits.cpu`), e.g. `2` cores; must be positive.
    pub cpu: Quantity,
    /// Memory of the whole namespace (`requests.memory` and `limits.memory`), e.g. `4Gi`; must be positive.
    pub memory: Quantity,
    /// Most pods in the namespace: at least every service at its autoscaling maximum plus one surge pod each.
    pub pods: u32,
    /// Persistent volume storage the namespace may request in all (`requests.storage`), and the most
    /// one claim may ask for.
    pub storage: Quantity,
}

impl Default for Quotas {
    fn default() -> Self {
        let q = |v: &str| Quantity::parse(v).expect("valid default quantity");
        Self { cpu: q("2"), memory: q("4Gi"), pods: 20, storage: q("10Gi") }
    }
}

/// HorizontalPodAutoscaler bounds for each service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Autoscaling {
    /// Fewest replicas of each service, at least 1.
    pub min: u32,
    /// Most replicas of each service, at least `min`.
    pub max: u32,
    /// Average CPU utilisation the autoscaler aims for, from 1 to 100 percent.
    pub target_cpu_percent: u32,
}

/// Requests per second per client address at the ingress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second one client address may send, at least 1 (nginx's `limit-rps`).
    pub requests_per_second: u32,
    /// Requests a client may burst to, at least `requests_per_second`; nginx gets
    /// `burst / requests_per_second`, rounded up, as its `limit-burst-multiplier`.
    pub burst: u32,
}
