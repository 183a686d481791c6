//! AWS::SNS::Topic.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Topic {
    pub topic_name: Expr,
    pub display_name: String,
    /// Encryption at rest with the AWS managed key for SNS.
    pub kms_master_key_id: Expr,
    pub tags: Vec<Tag>,
}
