//! AWS::Events::Rule: the rule that starts the pipeline when a source bundle is pushed.

use serde::Serialize;

use crate::cfn::Expr;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub name: Expr,
    pub description: String,
    /// The event pattern, as EventBridge reads it (a JSON object).
    pub event_pattern: serde_json::Value,
    pub state: &'static str,
    pub targets: Vec<RuleTarget>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleTarget {
    pub arn: Expr,
    pub id: String,
    pub role_arn: Expr,
}
