//! The wildcard certificate CloudFront serves. CloudFront reads certificates only from
//! us-east-1, so outside that region the certificate is a stack of its own there, and its ARN
//! reaches the baseline as a parameter bound by the deploy plan.

use crate::cfn::resources::{Certificate, DomainValidationOption};
use crate::cfn::{Expr, LogicalId, Output, Template, TemplateBuilder, TemplateError};
use crate::model::Platform;

use super::common::platform_tags;

/// The region CloudFront takes certificates from.
pub const CLOUDFRONT_CERTIFICATE_REGION: &str = "us-east-1";

pub const CERTIFICATE: &str = "Certificate";
pub const CERTIFICATE_ARN_OUTPUT: &str = "CertificateArn";

/// Whether the certificate needs a stack of its own in us-east-1.
pub fn separate_stack(platform: &Platform) -> bool {
    platform.region().as_str() != CLOUDFRONT_CERTIFICATE_REGION
}

/// Names covered: the apex, its subdomains (admin., www.), and every tenant's `<t>.app.`.
pub fn covered_names(platform: &Platform) -> [String; 3] {
    let domain = platform.domain();
    [domain.to_string(), format!("*.{domain}"), format!("*.app.{domain}")]
}

/// Adds the certificate resource to `t`.
pub fn add_certificate(t: &mut TemplateBuilder, platform: &Platform) -> LogicalId {
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
    let id = LogicalId::fixed(CERTIFICATE);
    t.resource(
        &id,
        Certificate {
            domain_name: Expr::str(apex),
            subject_alternative_names: vec![Expr::str(wildcard), Expr::str(app_wildcard)],
            validation_method: "DNS",
            domain_validation_options,
            tags: platform_tags(platform),
        },
    );
    id
}

/// The us-east-1 certificate stack.
pub fn certificate_stack(platform: &Platform) -> Result<Template, TemplateError> {
    let mut t = TemplateBuilder::new(format!(
        "tenancy {}: TLS certificate for CloudFront (deploy in {CLOUDFRONT_CERTIFICATE_REGION})",
        platform.name()
    ));
    let id = add_certificate(&mut t, platform);
    t.output(
        &LogicalId::fixed(CERTIFICATE_ARN_OUTPUT),
        Output::new("ARN of the CloudFront certificate", Expr::reference(&id)),
    );
    t.build()
}
