//! AWS::KMS::Key and AWS::KMS::Alias.

use serde::Serialize;

use super::Tag;
use crate::cfn::{Expr, PolicyDocument};

/// A symmetric customer managed key with yearly rotation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Key {
    /// What the key is for, at most 8,192 characters.
    pub description: String,
    /// Whether KMS rotates the key material automatically (yearly by default); always `true` here.
    pub enable_key_rotation: bool,
    /// The key policy; without a statement for the account, IAM policies cannot grant use of the key.
    pub key_policy: PolicyDocument,
    /// Tags on the key.
    pub tags: Vec<Tag>,
}

/// An alias: a stable name for a key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alias {
    /// The alias, `alias/<name>`; the `alias/aws/` prefix is reserved for AWS managed keys.
    pub alias_name: Expr,
    /// The key's id or ARN.
    pub target_key_id: Expr,
}
