//! AWS::KMS::Key and AWS::KMS::Alias.

use serde::Serialize;

use super::Tag;
use crate::cfn::{Expr, PolicyDocument};

/// A symmetric customer managed key with yearly rotation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Key {
    pub description: String,
    pub enable_key_rotation: bool,
    pub key_policy: PolicyDocument,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alias {
    pub alias_name: Expr,
    pub target_key_id: Expr,
}
