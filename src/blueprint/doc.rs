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
    pub platform: PlatformDoc,
    pub cluster: ClusterDoc,
    /// Microservices deployed for every tenant.
    pub services: Vec<ServiceDoc>,
    /// Service tiers; each tenant picks one.
    pub tiers: Vec<TierDoc>,
    /// The tenants. Their order does not matter: output is sorted by id.
    #[serde(default)]
    pub tenants: Vec<TenantDoc>,
}

/// The top-level keys of [`BlueprintDoc`], in order, with whether each is required.
/// `convert` reads the document section by section; a test keeps this list equal to the schema.
pub const SECTIONS: [(&str, bool); 5] =
    [("platform", true), ("cluster", true), ("services", true), ("tiers", true), ("tenants", false)];

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
    pub instance_type: String,
    pub min: i64,
    pub max: i64,
}

/// A microservice deployed for every tenant.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceDoc {
    pub name: String,
    /// Container port the service listens on.
    pub port: i64,
    /// Path prefix under `/<tenant>` routed to the service, e.g. `/products`.
    pub path: String,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StorageModelDoc {
    Silo,
    Pool,
}

/// A service tier.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TierDoc {
    pub name: String,
    /// `dedicated`: a namespace per tenant. `pooled` is not yet supported.
    #[serde(default = "ComputeDoc::default_value")]
    pub compute: ComputeDoc,
    /// `dedicated`: a user pool per tenant. `pooled`: a group per tenant in a shared pool.
    pub identity: IdentityDoc,
    pub quotas: QuotasDoc,
    /// Replicas of each service before autoscaling acts.
    pub replicas: i64,
    pub autoscaling: AutoscalingDoc,
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

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ComputeDoc {
    Dedicated,
    Pooled,
}

impl ComputeDoc {
    fn default_value() -> Self {
        Self::Dedicated
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IdentityDoc {
    Dedicated,
    Pooled,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PlacementDoc {
    Shared,
    Dedicated,
}

impl PlacementDoc {
    fn default_value() -> Self {
        Self::Shared
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RetentionDoc {
    Retain,
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
    pub cpu: QuantityDoc,
    pub memory: QuantityDoc,
    pub pods: i64,
    /// Total persistent volume storage requested.
    pub storage: QuantityDoc,
}

/// Autoscaling bounds for each service.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AutoscalingDoc {
    pub min: i64,
    pub max: i64,
    /// Average CPU utilisation the autoscaler aims for, in percent.
    pub target_cpu_percent: i64,
}

/// Ingress rate limit per client address.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateLimitDoc {
    pub requests_per_second: i64,
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
