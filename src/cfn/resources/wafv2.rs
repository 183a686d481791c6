//! AWS::WAFv2::WebACL: AWS managed rule groups and a per-address rate limit in front of
//! CloudFront.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// `{}`: WAF marks choices (allow, block, no override) by an empty object under their name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Empty {}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebAcl {
    pub name: Expr,
    pub description: String,
    pub scope: &'static str,
    pub default_action: Action,
    pub rules: Vec<WafRule>,
    pub visibility_config: VisibilityConfig,
    pub tags: Vec<Tag>,
}

/// An action: exactly one of its fields is set. (Structs, not enums: a YAML serializer writes
/// enum variants as tags, which CloudFormation would read as intrinsic functions.)
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<Empty>,
}

impl Action {
    pub fn allow() -> Self {
        Self { allow: Some(Empty {}), ..Self::default() }
    }
    pub fn block() -> Self {
        Self { block: Some(Empty {}), ..Self::default() }
    }
}

/// "Do not override the rule group's own actions."
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideNone {
    #[serde(rename = "None")]
    pub none: Empty,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WafRule {
    pub name: String,
    pub priority: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_action: Option<OverrideNone>,
    pub statement: WafStatement,
    pub visibility_config: VisibilityConfig,
}

/// A rule's statement: exactly one of its fields is set.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WafStatement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_rule_group_statement: Option<ManagedRuleGroup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_based_statement: Option<RateBased>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedRuleGroup {
    pub vendor_name: &'static str,
    pub name: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RateBased {
    pub limit: u32,
    pub aggregate_key_type: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VisibilityConfig {
    pub sampled_requests_enabled: bool,
    pub cloud_watch_metrics_enabled: bool,
    pub metric_name: String,
}

impl VisibilityConfig {
    pub fn named(metric_name: impl Into<String>) -> Self {
        Self { sampled_requests_enabled: true, cloud_watch_metrics_enabled: true, metric_name: metric_name.into() }
    }
}
