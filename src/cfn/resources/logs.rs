//! AWS::Logs::LogGroup.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    pub log_group_name: Expr,
    pub retention_in_days: u32,
    pub kms_key_id: Expr,
    pub tags: Vec<Tag>,
}
