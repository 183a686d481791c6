//! EKS Pod Identity, the way every pod of the platform gets AWS credentials: a role trusted by
//! the EKS Auth service (`pods.eks.amazonaws.com`), an association naming the ServiceAccount
//! whose pods receive it, and the Pod Identity Agent on every node (an EKS add-on) that hands
//! the credentials out at a link-local address.
//!
//! Unlike IRSA, nothing here depends on the cluster's OIDC issuer, which exists only once the
//! cluster does: the role can be created before the cluster, and the association after it.
//! The trust is narrowed to one cluster, namespace and ServiceAccount with the session tags
//! the agent sets on every session (EKS User Guide, "Assign an IAM role to a Kubernetes
//! service account" and "Grant pods access to AWS resources based on tags").

use crate::cfn::resources::{PodIdentityAssociation, Tag};
use crate::cfn::{Expr, PolicyDocument, Statement};
use crate::model::Platform;

use super::common::regional_arn;

/// The EKS Auth service, which assumes pod roles on the agent's behalf.
pub const SERVICE: &str = "pods.eks.amazonaws.com";
/// The Pod Identity Agent's addresses and port, which pods must be allowed to reach.
pub const AGENT_CIDR: &str = "169.254.170.23/32";
pub const AGENT_CIDR_V6: &str = "fd00:ec2::23/128";
pub const AGENT_PORT: i32 = 80;
/// The EKS add-on that runs the agent on every node.
pub const AGENT_ADDON: &str = "eks-pod-identity-agent";

/// The platform cluster's ARN.
pub fn cluster_arn(platform: &Platform) -> Expr {
    regional_arn("eks", &format!("cluster/{}", platform.cluster().name))
}

/// Trust for the pods of `namespace`/`service_account` in the platform's cluster, and nothing
/// else: the agent tags each session with the pod's cluster, namespace and ServiceAccount.
pub fn trust(platform: &Platform, namespace: &str, service_account: &str) -> PolicyDocument {
    PolicyDocument::new(vec![
        Statement::allow("PodIdentity", &["sts:AssumeRole", "sts:TagSession"])
            .principal("Service", Expr::str(SERVICE))
            .when("StringEquals", "aws:RequestTag/eks-cluster-arn", cluster_arn(platform))
            .when("StringEquals", "aws:RequestTag/kubernetes-namespace", Expr::str(namespace))
            .when("StringEquals", "aws:RequestTag/kubernetes-service-account", Expr::str(service_account)),
    ])
}

/// The association that gives `namespace`/`service_account`'s pods the role `role_arn`.
pub fn association(
    platform: &Platform,
    namespace: &str,
    service_account: &str,
    role_arn: Expr,
    tags: Vec<Tag>,
) -> PodIdentityAssociation {
    PodIdentityAssociation {
        cluster_name: Expr::str(platform.cluster().name.as_str()),
        namespace: namespace.to_owned(),
        service_account: service_account.to_owned(),
        role_arn,
        tags,
    }
}

/// What CloudFormation needs to create, update and delete associations in the platform's
/// cluster (the resource type's handler permissions, from its provider schema), beside
/// `iam:GetRole` and `iam:PassRole` on the roles it associates.
pub const ASSOCIATION_ACTIONS: [&str; 6] = [
    "eks:CreatePodIdentityAssociation",
    "eks:DeletePodIdentityAssociation",
    "eks:DescribePodIdentityAssociation",
    "eks:TagResource",
    "eks:UntagResource",
    "eks:UpdatePodIdentityAssociation",
];

/// The resources those actions act on: the cluster (create) and its associations.
pub fn association_resources(platform: &Platform) -> Vec<Expr> {
    let cluster = platform.cluster().name.as_str();
    vec![cluster_arn(platform), regional_arn("eks", &format!("podidentityassociation/{cluster}/*"))]
}
