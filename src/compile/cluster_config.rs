//! The eksctl ClusterConfig for the platform's cluster: a VPC across availability zones with
//! highly available NAT, a shared managed node group, a tainted node group per tier with
//! dedicated placement, the VPC CNI with network policy enforcement on (the reference
//! architecture's policies were never enforced), and the access entries. No OIDC provider:
//! nothing trusts the cluster's issuer (EKS Pod Identity; the cluster-access stack installs the
//! agent and metrics-server and associates the add-ons' roles, tenant stacks their own). Field names are eksctl v0.210.0's
//! (`pkg/apis/eksctl.io/v1alpha5`), which it reads case-sensitively.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Placement, Platform};

/// The taint and label key that reserve dedicated nodes for one tier.
pub const TIER_NODE_KEY: &str = "tenancy.io/tier";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterConfig {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    iam: Iam,
    access_config: AccessConfig,
    addons_config: AddonsConfig,
    vpc: Vpc,
    addons: Vec<Addon>,
    managed_node_groups: Vec<NodeGroup>,
    cloud_watch: CloudWatch,
}

#[derive(Debug, Serialize)]
struct Metadata {
    name: String,
    region: String,
    version: String,
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Iam {
    #[serde(rename = "withOIDC")]
    with_oidc: bool,
}

/// Cluster access through EKS access entries (no aws-auth ConfigMap): the roles that apply
/// bundles and add-ons administer the cluster; nothing else is mapped.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessConfig {
    authentication_mode: &'static str,
    access_entries: Vec<AccessEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessEntry {
    #[serde(rename = "principalARN")]
    principal_arn: String,
    access_policies: Vec<AccessPolicy>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessPolicy {
    #[serde(rename = "policyARN")]
    policy_arn: String,
    access_scope: AccessScope,
}

#[derive(Debug, Serialize)]
struct AccessScope {
    #[serde(rename = "type")]
    scope_type: &'static str,
}

/// Only the add-ons listed: eksctl's defaults (metrics-server among them since v0.201.0) would
/// otherwise be created beside the cluster-access stack's own.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AddonsConfig {
    disable_default_addons: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Vpc {
    nat: Nat,
    cluster_endpoints: ClusterEndpoints,
}

#[derive(Debug, Serialize)]
struct Nat {
    gateway: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterEndpoints {
    private_access: bool,
    public_access: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Addon {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    configuration_values: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeGroup {
    name: String,
    instance_type: String,
    min_size: u32,
    max_size: u32,
    desired_capacity: u32,
    private_networking: bool,
    volume_encrypted: bool,
    #[serde(rename = "disableIMDSv1")]
    disable_imdsv1: bool,
    labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    taints: Vec<Taint>,
}

#[derive(Debug, Serialize)]
struct Taint {
    key: &'static str,
    value: String,
    effect: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CloudWatch {
    cluster_logging: ClusterLogging,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterLogging {
    enable_types: Vec<&'static str>,
}

pub fn cluster_config(platform: &Platform) -> ClusterConfig {
    let cluster = platform.cluster();
    let node_group = |name: String, labels: BTreeMap<String, String>, taints: Vec<Taint>| NodeGroup {
        name,
        instance_type: cluster.nodes.instance_type.to_string(),
        min_size: cluster.nodes.min,
        max_size: cluster.nodes.max,
        desired_capacity: cluster.nodes.min,
        private_networking: true,
        volume_encrypted: true,
        disable_imdsv1: true,
        labels,
        taints,
    };
    let mut managed_node_groups = vec![node_group(
        "shared".into(),
        BTreeMap::from([("tenancy.io/pool".to_owned(), "shared".to_owned())]),
        vec![],
    )];
    for tier in platform.tiers().iter().filter(|t| t.placement == Placement::Dedicated) {
        managed_node_groups.push(node_group(
            format!("tier-{}", tier.name),
            BTreeMap::from([(TIER_NODE_KEY.to_owned(), tier.name.to_string())]),
            vec![Taint { key: TIER_NODE_KEY, value: tier.name.to_string(), effect: "NoSchedule" }],
        ));
    }
    ClusterConfig {
        api_version: "eksctl.io/v1alpha5",
        kind: "ClusterConfig",
        metadata: Metadata {
            name: cluster.name.to_string(),
            region: platform.region().to_string(),
            version: cluster.kubernetes_version.to_string(),
            tags: BTreeMap::from([(super::common::PLATFORM_TAG.to_owned(), platform.name().to_string())]),
        },
        iam: Iam { with_oidc: false },
        access_config: {
            let names = platform.baseline_names();
            let partition = platform.region().partition();
            AccessConfig {
                authentication_mode: "API",
                access_entries: [
                    &names.apply_project,
                    &names.addons_project,
                    &names.deploy_project,
                    &names.onboarding_project,
                ]
                .into_iter()
                .map(|role| format!("arn:{partition}:iam::{}:role/{role}", platform.account_id()))
                .chain(platform.cluster().administrators.iter().map(ToString::to_string))
                .map(|principal_arn| AccessEntry {
                    principal_arn,
                    access_policies: vec![AccessPolicy {
                        policy_arn: format!(
                            "arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
                        ),
                        access_scope: AccessScope { scope_type: "cluster" },
                    }],
                })
                .collect(),
            }
        },
        addons_config: AddonsConfig { disable_default_addons: true },
        vpc: Vpc {
            nat: Nat { gateway: "HighlyAvailable" },
            cluster_endpoints: ClusterEndpoints { private_access: true, public_access: true },
        },
        addons: vec![
            Addon { name: "vpc-cni", configuration_values: Some(r#"{"enableNetworkPolicy": "true"}"#) },
            Addon { name: "coredns", configuration_values: None },
            Addon { name: "kube-proxy", configuration_values: None },
        ],
        managed_node_groups,
        cloud_watch: CloudWatch {
            cluster_logging: ClusterLogging {
                enable_types: vec!["api", "audit", "authenticator", "controllerManager", "scheduler"],
            },
        },
    }
}
