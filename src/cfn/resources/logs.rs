//! AWS::Logs::LogGroup.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// A CloudWatch Logs log group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    /// The log group name, 1 to 512 characters: `/aws/codebuild/<project>` for build logs.
    pub log_group_name: Expr,
    /// How long events are kept, in days, one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400,
    /// 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653; tenancy keeps build logs 365 days.
    pub retention_in_days: u32,
    /// The ARN of the KMS key that encrypts the events; its key policy must admit CloudWatch Logs.
    pub kms_key_id: Expr,
    /// Tags on the log group.
    pub tags: Vec<Tag>,
}
