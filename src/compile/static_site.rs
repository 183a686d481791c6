//! A static site: private S3 bucket, CloudFront with origin access control, and DNS aliases.

use crate::cfn::resources::{
    AliasTarget, Bucket, BucketPolicy, CACHING_OPTIMIZED_POLICY_ID, CLOUDFRONT_HOSTED_ZONE_ID, CustomErrorResponse,
    DefaultCacheBehavior, Distribution, DistributionConfig, DistributionLogging, HostedZone, Origin,
    OriginAccessControl, OriginAccessControlConfig, RecordSet, S3OriginConfig, SECURITY_HEADERS_POLICY_ID,
    ViewerCertificate,
};
use crate::cfn::{Expr, LogicalId, PolicyDocument, Statement, TemplateBuilder, pascal_case};
use crate::model::{BaselineNames, Platform};

use super::common::{BucketRef, platform_tags};

/// One static site of the baseline.
pub struct Site {
    /// Which site: its short name names the bucket, the distribution and the build step.
    pub kind: crate::model::Site,
    /// Host names CloudFront answers for (wildcards allowed).
    pub aliases: Vec<String>,
    /// Host names that get Route 53 alias records in the baseline.
    pub records: Vec<String>,
}

/// The hosted zone records go into: by id when known, by name otherwise.
pub fn hosted_zone(platform: &Platform) -> HostedZone {
    match platform.hosted_zone_id() {
        Some(id) => HostedZone::Id(Expr::str(id.as_str())),
        None => HostedZone::Name(Expr::str(format!("{}.", platform.domain()))),
    }
}

/// A and AAAA alias records for `host` pointing at a CloudFront distribution's domain.
pub fn alias_records(t: &mut TemplateBuilder, prefix: &str, platform: &Platform, host: &str, target: Expr) {
    for record_type in ["A", "AAAA"] {
        let id = LogicalId::derive(prefix, &format!("Record{record_type}"));
        t.resource(
            &id,
            RecordSet {
                zone: hosted_zone(platform),
                name: Expr::str(host),
                record_type,
                alias_target: AliasTarget {
                    dns_name: target.clone(),
                    hosted_zone_id: Expr::str(CLOUDFRONT_HOSTED_ZONE_ID),
                    evaluate_target_health: false,
                },
            },
        );
    }
}

/// What every site shares: the edge's certificate and web ACL, and the bucket logs go to.
pub struct SiteShared {
    pub certificate_arn: Expr,
    pub web_acl_arn: Expr,
    /// The bucket access logs go to (the bootstrap stack's), by name.
    pub logs_bucket: BucketRef,
}

/// Adds the site's resources; returns the distribution's logical id.
pub fn add_site(t: &mut TemplateBuilder, platform: &Platform, site: &Site, shared: &SiteShared) -> LogicalId {
    let name = site.kind.name();
    let prefix = format!("{}Site", pascal_case(name));
    let id = |suffix: &str| LogicalId::derive(&prefix, suffix);
    let (bucket, oac, distribution, policy) =
        (id("Bucket"), id("OriginAccess"), id("Distribution"), id("BucketPolicy"));
    let bucket_name = BaselineNames::site_bucket(platform.name(), platform.account_id(), platform.region(), name);

    t.resource(
        &bucket,
        Bucket::private_logged(
            Expr::str(&bucket_name),
            shared.logs_bucket.name(),
            format!("s3/{}/", name),
            platform_tags(platform),
        ),
    );
    t.resource(
        &oac,
        OriginAccessControl {
            origin_access_control_config: OriginAccessControlConfig {
                name: Expr::str(&bucket_name),
                description: format!("CloudFront access to the {} site bucket", name),
                origin_access_control_origin_type: "s3",
                signing_behavior: "always",
                signing_protocol: "sigv4",
            },
        },
    );
    let origin_id = format!("{}-s3", name);
    // Single-page apps: unknown paths and forbidden keys serve index.html with 200.
    let spa_fallback = |code| CustomErrorResponse {
        error_code: code,
        response_code: 200,
        response_page_path: "/index.html",
        error_caching_min_ttl: 10,
    };
    t.resource(
        &distribution,
        Distribution {
            distribution_config: DistributionConfig {
                enabled: true,
                comment: format!("{} {} site", platform.name(), name),
                aliases: site.aliases.iter().map(Expr::str).collect(),
                default_root_object: "index.html",
                http_version: "http2and3",
                ipv6_enabled: true,
                price_class: "PriceClass_100",
                origins: vec![Origin {
                    id: origin_id.clone(),
                    domain_name: Expr::get_att(&bucket, "RegionalDomainName"),
                    origin_access_control_id: Expr::get_att(&oac, "Id"),
                    s3_origin_config: S3OriginConfig { origin_access_identity: String::new() },
                }],
                default_cache_behavior: DefaultCacheBehavior {
                    target_origin_id: origin_id,
                    viewer_protocol_policy: "redirect-to-https",
                    allowed_methods: vec!["GET", "HEAD"],
                    cached_methods: vec!["GET", "HEAD"],
                    compress: true,
                    cache_policy_id: CACHING_OPTIMIZED_POLICY_ID,
                    response_headers_policy_id: SECURITY_HEADERS_POLICY_ID,
                },
                custom_error_responses: vec![spa_fallback(403), spa_fallback(404)],
                viewer_certificate: ViewerCertificate {
                    acm_certificate_arn: shared.certificate_arn.clone(),
                    ssl_support_method: "sni-only",
                    minimum_protocol_version: "TLSv1.2_2021",
                },
                logging: DistributionLogging {
                    bucket: shared.logs_bucket.domain_name(),
                    prefix: format!("cloudfront/{}/", name),
                    include_cookies: false,
                },
                web_acl_id: shared.web_acl_arn.clone(),
            },
            tags: platform_tags(platform),
        },
    );
    let objects = Expr::sub(format!("${{{bucket}.Arn}}/*"));
    t.resource(
        &policy,
        BucketPolicy {
            bucket: Expr::reference(&bucket),
            policy_document: PolicyDocument::new(vec![
                Statement::allow("CloudFrontReadsObjects", &["s3:GetObject"])
                    .principal("Service", Expr::str("cloudfront.amazonaws.com"))
                    .on([objects.clone()])
                    .when(
                        "StringEquals",
                        "AWS:SourceArn",
                        Expr::sub(format!(
                            "arn:${{AWS::Partition}}:cloudfront::${{AWS::AccountId}}:distribution/${{{distribution}}}"
                        )),
                    ),
                Statement::deny("DenyInsecureTransport", &["s3:*"])
                    .principal("AWS", Expr::str("*"))
                    .on([Expr::get_att(&bucket, "Arn"), objects])
                    .when("Bool", "aws:SecureTransport", Expr::str("false")),
            ]),
        },
    );
    for (i, host) in site.records.iter().enumerate() {
        let record_prefix = format!("{prefix}{}", if i == 0 { String::new() } else { i.to_string() });
        alias_records(t, &record_prefix, platform, host, Expr::get_att(&distribution, "DomainName"));
    }
    distribution
}
