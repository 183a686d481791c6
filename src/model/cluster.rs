//! The EKS cluster the platform runs on.

use super::{ClusterName, InstanceType, KubernetesVersion, PrincipalArn};

/// The EKS cluster: created from the generated eksctl ClusterConfig, referenced by name
/// everywhere else. Pods get AWS credentials through EKS Pod Identity, so nothing needs the
/// cluster's OIDC issuer, which exists only once the cluster does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The EKS cluster's name (a DNS label of at most 100 characters); eksctl's own roles, instance
    /// profiles and policies are `eksctl-<name>-*`.
    pub name: ClusterName,
    /// The cluster's Kubernetes version, from 1.33 to 1.37 (`SUPPORTED_KUBERNETES_MINORS`); the
    /// builds install the matching kubectl.
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
    /// EC2 instance type of the nodes; `m6i.large` by default.
    pub instance_type: InstanceType,
    /// Fewest nodes (at least 1), and the group's desired size when eksctl creates it; 2 by default.
    pub min: u32,
    /// Most nodes the cluster autoscaler may scale the group to (at least `min`); 6 by default.
    pub max: u32,
}

impl Default for NodeGroup {
    fn default() -> Self {
        Self { instance_type: InstanceType::parse("m6i.large").expect("valid default"), min: 2, max: 6 }
    }
}
