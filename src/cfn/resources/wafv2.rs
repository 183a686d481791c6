//! AWS::WAFv2::WebACL: AWS managed rule groups and a per-address rate limit in front of
//! CloudFront.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// `{}`: WAF marks choices (allow, block, no override) by an empty object under their name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Empty {}

/// A WAFv2 web ACL (CloudFormation type `AWS::WAFv2::WebACL`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebAcl {
    /// The web ACL name, 1 to 128 characters: `<platform>-edge`.
    pub name: Expr,
    /// What the web ACL does, at most 256 characters.
    pub description: String,
    /// `CLOUDFRONT` (the web ACL must then be in `us-east-1`) or `REGIONAL`; `CLOUDFRONT` here.
    pub scope: &'static str,
    /// What happens to a request no rule blocks or allows: allow, here.
    pub default_action: Action,
    /// The rules, evaluated by ascending `Priority`.
    pub rules: Vec<WafRule>,
    /// The metrics and sampled requests of the web ACL as a whole.
    pub visibility_config: VisibilityConfig,
    /// Tags on the web ACL.
    pub tags: Vec<Tag>,
}

/// An action: exactly one of its fields is set. (Structs, not enums: a YAML serializer writes
/// enum variants as tags, which CloudFormation would read as intrinsic functions.)
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    /// `Allow`: the request goes on to CloudFront.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<Empty>,
    /// `Block`: WAF answers 403 Forbidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<Empty>,
}

impl Action {
    /// The action `Allow: {}`.
    pub fn allow() -> Self {
        Self { allow: Some(Empty {}), ..Self::default() }
    }
    /// The action `Block: {}`.
    pub fn block() -> Self {
        Self { block: Some(Empty {}), ..Self::default() }
    }
}

/// "Do not override the rule group's own actions."
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideNone {
    /// Serialized as `None: {}`: the rule group's own actions apply.
    #[serde(rename = "None")]
    pub none: Empty,
}

/// A rule of a web ACL (CloudFormation's `Rule` property type).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WafRule {
    /// The rule name, unique in the web ACL.
    pub name: String,
    /// The evaluation order, lowest first; unique in the web ACL.
    pub priority: u32,
    /// What a matching request gets; for rules with their own statement (the rate limit), not rule groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// For rule group rules only: whether to override the group's actions (`OverrideAction`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_action: Option<OverrideNone>,
    /// What the rule matches.
    pub statement: WafStatement,
    /// The rule's metrics and sampled requests.
    pub visibility_config: VisibilityConfig,
}

/// A rule's statement: exactly one of its fields is set.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WafStatement {
    /// A rule group managed by a vendor (`ManagedRuleGroupStatement`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_rule_group_statement: Option<ManagedRuleGroup>,
    /// A limit on requests per aggregation key (`RateBasedStatement`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_based_statement: Option<RateBased>,
}

/// A vendor's rule group (CloudFormation's `ManagedRuleGroupStatement`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedRuleGroup {
    /// The vendor: `AWS`, for AWS Managed Rules.
    pub vendor_name: &'static str,
    /// The group's name, such as `AWSManagedRulesCommonRuleSet`.
    pub name: &'static str,
}

/// A rate-based statement (CloudFormation's `RateBasedStatement`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RateBased {
    /// The most requests one key may send in each 5-minute window before the rule's action applies.
    pub limit: u32,
    /// What requests are counted by: `IP`, `FORWARDED_IP`, `CUSTOM_KEYS` or `CONSTANT`; `IP` here.
    pub aggregate_key_type: &'static str,
}

/// The metrics and request sampling of a web ACL or rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VisibilityConfig {
    /// Whether WAF keeps a sample of the matching requests, viewable in the console.
    pub sampled_requests_enabled: bool,
    /// Whether WAF sends metrics to CloudWatch.
    pub cloud_watch_metrics_enabled: bool,
    /// The CloudWatch metric name, without whitespace: `<platform>-<rule>`.
    pub metric_name: String,
}

impl VisibilityConfig {
    /// Sampled requests and CloudWatch metrics on, under `metric_name`.
    pub fn named(metric_name: impl Into<String>) -> Self {
        Self { sampled_requests_enabled: true, cloud_watch_metrics_enabled: true, metric_name: metric_name.into() }
    }
}
