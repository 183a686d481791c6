//! The blueprint's wire format: serde and JSON Schema types that mirror the YAML exactly.
//! They hold raw values; `convert` turns them into validated model types. Doc comments here
//! become the schema's descriptions, which editors show while typing.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, de};

/// A platform blueprint: the platform, its cluster, services, tiers and tenants.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "tenancy blueprint")]
pub struct BlueprintDoc {
    /// The platform's name, AWS account, region and DNS domain.
    pub platform: PlatformDoc,
    /// The EKS cluster every tenant runs on.
    pub cluster: ClusterDoc,
    /// Microservices deployed for every tenant.
    pub services: Vec<ServiceDoc>,
    /// Service tiers; each tenant picks one.
    pub tiers: Vec<TierDoc>,
    /// The tenants: a list, or a directory (relative to the blueprint) holding one file per
    /// tenant, `<id>.yaml`, so that concurrent sign-ups never touch the same file. Their order
    /// does not matter: output is sorted by id.
    #[serde(default)]
    pub tenants: TenantsDoc,
    /// The directory of the web apps the three static sites serve (admin console, tenant
    /// application, landing page), relative to the blueprint: `../web`. It must be the
    /// repository's `web/`, where the pipeline's builds find it; synth records the digest of
    /// every source file, so that a change to an app reruns its site's build. Without it the
    /// plan builds no site and the buckets stay empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sites: Option<String>,
}

/// Where a blueprint's tenants are.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TenantsDoc {
    /// Listed in the blueprint itself.
    List(Vec<TenantDoc>),
    /// One file per tenant in this directory, relative to the blueprint's (`tenancy tenant add`
    /// and its siblings edit it).
    Directory(String),
}

impl Default for TenantsDoc {
    fn default() -> Self {
        Self::List(Vec::new())
    }
}

/// The top-level keys of [`BlueprintDoc`], in order, with whether each is required.
/// `convert` reads the document section by section; a test keeps this list equal to the schema.
pub const SECTIONS: [(&str, bool); 6] =
    [("platform", true), ("cluster", true), ("services", true), ("tiers", true), ("tenants", false), ("sites", false)];

/// The platform's identity and where it lives.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlatformDoc {
    /// Short name prefixing every account-wide name: a DNS label of at most 20 characters.
    pub name: String,
    /// The 12-digit AWS account id, quoted.
    pub account_id: String,
    /// The AWS region the platform runs in, e.g. `eu-west-1`.
    pub region: String,
    /// The platform's DNS domain, e.g. `saas.example.com`.
    pub domain: String,
    /// The Route 53 hosted zone of `domain`. Without it, records name the zone by domain and
    /// the certificate must be validated by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted_zone_id: Option<String>,
}

/// The EKS cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterDoc {
    /// EKS cluster name: a DNS label of at most 100 characters.
    pub name: String,
    /// Kubernetes minor version, quoted: `"1.33"` (a bare 1.30 would read as the number 1.3).
    pub kubernetes_version: String,
    /// No longer read: a cluster's OIDC issuer exists only once the cluster does. Kept so that
    /// a blueprint that still has it gets a diagnostic saying so, not "unknown field".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub oidc_issuer: Option<serde_yaml::Value>,
    /// The shared managed node group; defaults to 2 to 6 `m6i.large` nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<NodeGroupDoc>,
    /// IAM roles or users that administer the cluster (EKS access entries), e.g. the role an
    /// operator runs the first `tenancy apply` as.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub administrators: Vec<String>,
}

/// A managed node group's size.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeGroupDoc {
    /// EC2 instance type of the nodes, e.g. `m6i.large`.
    pub instance_type: String,
    /// Fewest nodes, at least 1; also the group's size when it is created.
    pub min: i64,
    /// Most nodes the cluster autoscaler may scale the group to; at least `min`.
    pub max: i64,
}

/// A microservice deployed for every tenant.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceDoc {
    /// Service name: a DNS label of at most 30 characters. It names the service's tables and ECR
    /// repository, and its image is built from `services/<name>/Dockerfile`.
    pub name: String,
    /// Container port the service listens on.
    pub port: i64,
    /// Path prefix under `/<tenant>` routed to the service, e.g. `/products`.
    pub path: String,
    /// The service's DynamoDB table: storage model and key schema.
    pub storage: StorageDoc,
    /// No longer read: an image digest exists only once the images step has pushed it. Kept
    /// so that a blueprint that still has it gets a diagnostic saying so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub image: Option<serde_yaml::Value>,
}

/// How a service stores its data.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StorageDoc {
    /// `silo`: a table per tenant. `pool`: one shared table partitioned by tenant id.
    pub model: StorageModelDoc,
    /// The table's partition key. In a pool table it holds the tenant id.
    pub partition_key: String,
    /// The table's optional sort key: 1 to 64 ASCII letters, digits and `_`, starting with a letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<String>,
}

/// How a service's data is divided between tenants.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StorageModelDoc {
    /// A table per tenant, `<platform>-<service>-<tenant>`; each tenant's role reaches only its own.
    Silo,
    /// One table for all tenants, `<platform>-<service>`; each tenant reaches only the items whose
    /// partition key is its id.
    Pool,
}

/// A service tier.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TierDoc {
    /// Tier name: a DNS label of at most 30 characters, which tenants give as their `tier`.
    pub name: String,
    /// `dedicated`: a namespace per tenant. `pooled`: the tier's pool namespace serves all its
    /// tenants from shared Deployments, with credentials scoped to each request's tenant.
    #[serde(default = "ComputeDoc::default_value")]
    pub compute: ComputeDoc,
    /// Pooled tiers only: services to keep in another storage model than their own, e.g.
    /// `{ order: pool }` keeps the tier's orders in one table keyed by tenant.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub storage: std::collections::BTreeMap<String, StorageModelDoc>,
    /// Pooled tiers only: how many cell stacks hold the tenants' per-tenant AWS resources
    /// (about one per 40 tenants; fixed for the tier's life). Default 1.
    #[serde(default = "default_cells")]
    pub cells: i64,
    /// `dedicated`: a user pool per tenant. `pooled`: a group per tenant in a shared pool.
    pub identity: IdentityDoc,
    /// Namespace-wide limits for each tenant of the tier (a Kubernetes ResourceQuota).
    pub quotas: QuotasDoc,
    /// Replicas of each service before autoscaling acts.
    pub replicas: i64,
    /// HorizontalPodAutoscaler bounds for each service; `replicas` must lie within them.
    pub autoscaling: AutoscalingDoc,
    /// Rate limit of each tenant's API at the ingress, per client address.
    pub rate_limit: RateLimitDoc,
    /// PriorityClass value: higher is scheduled first and evicted last (0 to 1000000000).
    pub priority: i64,
    /// `shared` nodes, or a `dedicated` tainted node group for this tier.
    #[serde(default = "PlacementDoc::default_value")]
    pub placement: PlacementDoc,
    /// What deleting a tenant does to its silo tables: `retain` them, or take a `backup` and
    /// delete them.
    #[serde(default = "RetentionDoc::default_value")]
    pub data_retention: RetentionDoc,
}

fn default_cells() -> i64 {
    1
}

/// Where a tier's tenants' workloads run. Default: `dedicated`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ComputeDoc {
    /// A namespace and Deployments of its own for each tenant.
    Dedicated,
    /// The tier's pool namespace, shared by its tenants.
    Pooled,
}

impl ComputeDoc {
    fn default_value() -> Self {
        Self::Dedicated
    }
}

/// Where a tier's tenants' users sign in.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IdentityDoc {
    /// A Cognito user pool for each tenant.
    Dedicated,
    /// A group for each tenant in the platform's shared tenant user pool, where the admin email is the
    /// username, so it must be unique among these tenants.
    Pooled,
}

/// Which nodes a tier's pods run on. Default: `shared`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PlacementDoc {
    /// The cluster's shared node group.
    Shared,
    /// A node group of the tier's own, `tier-<name>`, tainted so that only this tier's pods land there.
    Dedicated,
}

impl PlacementDoc {
    fn default_value() -> Self {
        Self::Shared
    }
}

/// What deleting a tenant does to its silo tables. Default: `retain`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RetentionDoc {
    /// Keep the tables: they have deletion protection and outlive the tenant's stack.
    Retain,
    /// Take an on-demand backup of each table, then delete it with the stack.
    Backup,
}

impl RetentionDoc {
    fn default_value() -> Self {
        Self::Retain
    }
}

/// Namespace quotas for each tenant of the tier.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QuotasDoc {
    /// CPU for the whole namespace, e.g. `2` (cores) or `1500m`; must be positive.
    pub cpu: QuantityDoc,
    /// Memory for the whole namespace, e.g. `4Gi`; must be positive.
    pub memory: QuantityDoc,
    /// Most pods in the namespace: at least the number of services times (`autoscaling.max` + 1).
    pub pods: i64,
    /// Total persistent volume storage requested.
    pub storage: QuantityDoc,
}

/// Autoscaling bounds for each service.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AutoscalingDoc {
    /// Fewest replicas of each service, at least 1.
    pub min: i64,
    /// Most replicas of each service, at least `min`.
    pub max: i64,
    /// Average CPU utilisation the autoscaler aims for, in percent.
    pub target_cpu_percent: i64,
}

/// Ingress rate limit per client address.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateLimitDoc {
    /// Requests per second one client address may send, at least 1.
    pub requests_per_second: i64,
    /// Requests a client may send in a burst, at least `requestsPerSecond`.
    pub burst: i64,
}

/// A tenant.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TenantDoc {
    /// The tenant id: a DNS label. Every per-tenant name is derived from it.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The tier's `name`.
    pub tier: String,
    /// The tenant admin's email; receives the first sign-in invitation.
    pub admin_email: String,
    /// `true` suspends the tenant: its ingress answers 403 to every request, and its stack,
    /// data, users and deployments are kept. Set by `tenancy tenant suspend`, cleared by
    /// `tenancy tenant activate`. Omitted (false) for a served tenant.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
}

/// A Kubernetes quantity, written as a string (`"500m"`, `"4Gi"`) or a plain number (`2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityDoc(pub String);

impl Serialize for QuantityDoc {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for QuantityDoc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = QuantityDoc;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Kubernetes quantity such as \"500m\", \"2\" or \"4Gi\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<QuantityDoc, E> {
                Ok(QuantityDoc(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<QuantityDoc, E> {
                Ok(QuantityDoc(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<QuantityDoc, E> {
                Ok(QuantityDoc(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<QuantityDoc, E> {
                Ok(QuantityDoc(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl JsonSchema for QuantityDoc {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A Kubernetes quantity: a number with an optional suffix m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei.",
            "type": ["string", "number"],
            "pattern": "^[0-9]+(\\.[0-9]+)?([eE][0-9]+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$",
            "minimum": 0
        })
    }
}

/// The blueprint's JSON Schema, pretty-printed with a trailing newline.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(BlueprintDoc);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}
