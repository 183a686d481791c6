//! AWS::Events::Rule: the rule that starts the pipeline when a source bundle is pushed.

use serde::Serialize;

use crate::cfn::Expr;

/// An EventBridge rule on the default event bus.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    /// The rule name, at most 64 characters: `<pipeline>-source-pushed`.
    pub name: Expr,
    /// What the rule does, at most 512 characters.
    pub description: String,
    /// The event pattern, as EventBridge reads it (a JSON object).
    pub event_pattern: serde_json::Value,
    /// `ENABLED` or `DISABLED`; always `ENABLED` here.
    pub state: &'static str,
    /// Where matching events go, at most five targets.
    pub targets: Vec<RuleTarget>,
}

/// A target of an EventBridge rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleTarget {
    /// The target's ARN: the pipeline.
    pub arn: Expr,
    /// The target's id, unique in the rule (at most 64 characters).
    pub id: String,
    /// The ARN of the role EventBridge assumes to call the target; a pipeline target needs one.
    pub role_arn: Expr,
}
