//! AWS::SNS::Topic.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// An SNS topic. `Ref` gives its ARN.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Topic {
    /// The topic name: at most 256 letters, digits, `-` and `_`.
    pub topic_name: Expr,
    /// The name shown as the sender of SMS messages and in email subscriptions, at most 100 characters.
    pub display_name: String,
    /// Encryption at rest with the AWS managed key for SNS.
    pub kms_master_key_id: Expr,
    /// Tags on the topic.
    pub tags: Vec<Tag>,
}
