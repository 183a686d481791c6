//! AWS::EKS::PodIdentityAssociation: the role a ServiceAccount's pods get through EKS Pod
//! Identity. The agent on each node exchanges the pod's projected token for the role's
//! credentials; no OIDC provider, and so no issuer that only exists after the cluster does.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PodIdentityAssociation {
    pub cluster_name: Expr,
    pub namespace: String,
    pub service_account: String,
    pub role_arn: Expr,
    pub tags: Vec<Tag>,
}

/// AWS::EKS::Addon: an EKS add-on of the cluster, created or updated in place.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Addon {
    pub addon_name: String,
    pub cluster_name: Expr,
    /// `OVERWRITE`: the add-on's settings are the template's, whatever was changed by hand.
    pub resolve_conflicts: &'static str,
    pub tags: Vec<Tag>,
}
