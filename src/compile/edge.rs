//! The edge: the TLS certificate and the web ACL CloudFront uses. CloudFront reads both only
//! from us-east-1, so outside that region they are a stack of their own there, and their ARNs
//! reach the baseline as parameters bound by the deploy plan.

use crate::cfn::resources::{
    Action, Certificate, DomainValidationOption, Empty, ManagedRuleGroup, OverrideNone, RateBased, VisibilityConfig,
    WafRule, WafStatement, WebAcl,
};
use crate::cfn::{Expr, LogicalId, Output, Template, TemplateBuilder, TemplateError};
use crate::model::Platform;

use super::common::platform_tags;

/// The region CloudFront takes certificates and web ACLs from.
pub const CLOUDFRONT_REGION: &str = "us-east-1";

pub use crate::contract::outputs::edge::{CERTIFICATE_ARN, WEB_ACL_ARN};

/// Requests per five minutes one address may send before the web ACL blocks it.
pub const RATE_LIMIT_PER_5_MINUTES: u32 = 2000;

/// Whether the edge needs a stack of its own in us-east-1.
pub fn separate_stack(platform: &Platform) -> bool {
    platform.region().as_str() != CLOUDFRONT_REGION
}

/// Names covered: the apex, its subdomains (admin., www.), and every tenant's `<t>.app.`.
pub fn covered_names(platform: &Platform) -> [String; 3] {
    let domain = platform.domain();
    [domain.to_string(), format!("*.{domain}"), format!("*.app.{domain}")]
}

/// Adds the certificate and web ACL to `t`; returns their ARNs.
pub fn add_edge(t: &mut TemplateBuilder, platform: &Platform) -> (Expr, Expr) {
    let [apex, wildcard, app_wildcard] = covered_names(platform);
    // With a hosted zone, ACM validates through DNS on its own; without one, someone creates
    // the validation records by hand (the stack waits until they exist).
    let domain_validation_options = match platform.hosted_zone_id() {
        Some(zone) => [&apex, &wildcard, &app_wildcard]
            .into_iter()
            .map(|name| DomainValidationOption {
                domain_name: Expr::str(name),
                hosted_zone_id: Expr::str(zone.as_str()),
            })
            .collect(),
        None => Vec::new(),
    };
    let certificate = LogicalId::fixed("Certificate");
    t.resource(
        &certificate,
        Certificate {
            domain_name: Expr::str(apex),
            subject_alternative_names: vec![Expr::str(wildcard), Expr::str(app_wildcard)],
            validation_method: "DNS",
            domain_validation_options,
            tags: platform_tags(platform),
        },
    );

    let p = platform.name();
    let managed = |priority: u32, name: &'static str| WafRule {
        name: name.to_owned(),
        priority,
        action: None,
        override_action: Some(OverrideNone { none: Empty {} }),
        statement: WafStatement {
            managed_rule_group_statement: Some(ManagedRuleGroup { vendor_name: "AWS", name }),
            ..WafStatement::default()
        },
        visibility_config: VisibilityConfig::named(format!("{p}-{name}")),
    };
    let web_acl = LogicalId::fixed("WebAcl");
    t.resource(
        &web_acl,
        WebAcl {
            name: Expr::str(platform.baseline_names().web_acl),
            description: format!("Managed protections and a per-address rate limit for the {p} sites"),
            scope: "CLOUDFRONT",
            default_action: Action::allow(),
            rules: vec![
                WafRule {
                    name: "rate-limit-per-address".into(),
                    priority: 0,
                    action: Some(Action::block()),
                    override_action: None,
                    statement: WafStatement {
                        rate_based_statement: Some(RateBased {
                            limit: RATE_LIMIT_PER_5_MINUTES,
                            aggregate_key_type: "IP",
                        }),
                        ..WafStatement::default()
                    },
                    visibility_config: VisibilityConfig::named(format!("{p}-rate-limit")),
                },
                managed(1, "AWSManagedRulesAmazonIpReputationList"),
                managed(2, "AWSManagedRulesCommonRuleSet"),
                managed(3, "AWSManagedRulesKnownBadInputsRuleSet"),
            ],
            visibility_config: VisibilityConfig::named(format!("{p}-edge")),
            tags: platform_tags(platform),
        },
    );
    (Expr::reference(&certificate), Expr::get_att(&web_acl, "Arn"))
}

/// The us-east-1 edge stack.
pub fn edge_stack(platform: &Platform) -> Result<Template, TemplateError> {
    let mut t = TemplateBuilder::new(format!(
        "tenancy {}: certificate and web ACL for CloudFront (deploy in {CLOUDFRONT_REGION})",
        platform.name()
    ));
    let (certificate, web_acl) = add_edge(&mut t, platform);
    t.output(&LogicalId::fixed(CERTIFICATE_ARN), Output::new("ARN of the CloudFront certificate", certificate));
    t.output(&LogicalId::fixed(WEB_ACL_ARN), Output::new("ARN of the CloudFront web ACL", web_acl));
    t.build()
}
