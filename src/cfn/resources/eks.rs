//! AWS::EKS::PodIdentityAssociation: the role a ServiceAccount's pods get through EKS Pod
//! Identity. The agent on each node exchanges the pod's projected token for the role's
//! credentials; no OIDC provider, and so no issuer that only exists after the cluster does.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// Gives the pods of one ServiceAccount a role, through EKS Pod Identity.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PodIdentityAssociation {
    /// The name of the EKS cluster: the platform's cluster.
    pub cluster_name: Expr,
    /// The Kubernetes namespace of the ServiceAccount.
    pub namespace: String,
    /// The ServiceAccount whose pods get the role.
    pub service_account: String,
    /// The ARN of the role, whose trust policy must admit `pods.eks.amazonaws.com`.
    pub role_arn: Expr,
    /// Tags on the association.
    pub tags: Vec<Tag>,
}

/// AWS::EKS::Addon: an EKS add-on of the cluster, created or updated in place.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Addon {
    /// The add-on's name, such as `eks-pod-identity-agent` or `metrics-server`.
    pub addon_name: String,
    /// The name of the EKS cluster: the platform's cluster.
    pub cluster_name: Expr,
    /// `OVERWRITE`: the add-on's settings are the template's, whatever was changed by hand.
    pub resolve_conflicts: &'static str,
    /// Tags on the add-on.
    pub tags: Vec<Tag>,
}
