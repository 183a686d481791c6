//! AWS::IAM::Role.

use serde::Serialize;

use super::Tag;
use crate::cfn::{Expr, PolicyDocument};

/// An IAM role. `Ref` gives its name, `GetAtt Arn` its ARN.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    /// The role name, at most 64 characters, unique in the account; tenancy names every role.
    pub role_name: Expr,
    /// What the role is for, at most 1,000 characters.
    pub description: String,
    /// The trust policy: who may assume the role.
    pub assume_role_policy_document: PolicyDocument,
    /// Inline policies (`Policies`), deleted with the role; together at most 10,240 characters.
    pub policies: Vec<InlinePolicy>,
    /// ARNs of managed policies attached to the role.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_policy_arns: Vec<Expr>,
    /// The ARN of a managed policy bounding the role's permissions; tenant roles have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<Expr>,
    /// The longest session the role grants, in seconds (3,600 to 43,200; AWS default 3,600).
    pub max_session_duration: u32,
    /// Tags on the role.
    pub tags: Vec<Tag>,
}

/// An inline policy of a role (CloudFormation's `Policy` property type).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    /// The policy name, unique among the role's inline policies (1 to 128 characters).
    pub policy_name: String,
    /// The policy document.
    pub policy_document: PolicyDocument,
}

/// A customer managed policy; `Ref` gives its ARN.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicy {
    /// The policy name, at most 128 characters, unique in the account.
    pub managed_policy_name: Expr,
    /// What the policy is for, at most 1,000 characters.
    pub description: String,
    /// The policy document, at most 6,144 characters without whitespace.
    pub policy_document: PolicyDocument,
}
