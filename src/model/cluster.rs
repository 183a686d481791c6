//! The EKS cluster the platform runs on.

use super::{ClusterName, InstanceType, KubernetesVersion, PrincipalArn};

/// The EKS cluster: created from the generated eksctl ClusterConfig, referenced by name
/// everywhere else. Pods get AWS credentials through EKS Pod Identity, so nothing needs the
/// cluster's OIDC issuer, which exists only once the cluster does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub name: ClusterName,
    pub kubernetes_version: KubernetesVersion,
    /// The shared managed node group.
    pub nodes: NodeGroup,
    /// The people's principals (roles or users) that administer the cluster: the first apply
    /// runs from a workstation, and its Kubernetes steps need an access entry for whoever runs
    /// it. Apply's own roles in the pipeline get theirs regardless.
    pub administrators: Vec<PrincipalArn>,
}

/// Size of a managed node group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeGroup {
    pub instance_type: InstanceType,
    pub min: u32,
    pub max: u32,
}

impl Default for NodeGroup {
    fn default() -> Self {
        Self { instance_type: InstanceType::parse("m6i.large").expect("valid default"), min: 2, max: 6 }
    }
}
