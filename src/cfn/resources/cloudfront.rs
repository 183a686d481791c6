//! AWS::CloudFront::OriginAccessControl and AWS::CloudFront::Distribution.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// CloudFront's managed "CachingOptimized" cache policy.
pub const CACHING_OPTIMIZED_POLICY_ID: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// CloudFront's managed "SecurityHeadersPolicy" response headers policy (HSTS and friends).
pub const SECURITY_HEADERS_POLICY_ID: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginAccessControl {
    pub origin_access_control_config: OriginAccessControlConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginAccessControlConfig {
    pub name: Expr,
    pub description: String,
    pub origin_access_control_origin_type: &'static str,
    pub signing_behavior: &'static str,
    pub signing_protocol: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Distribution {
    pub distribution_config: DistributionConfig,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DistributionConfig {
    pub enabled: bool,
    pub comment: String,
    pub aliases: Vec<Expr>,
    pub default_root_object: &'static str,
    pub http_version: &'static str,
    #[serde(rename = "IPV6Enabled")]
    pub ipv6_enabled: bool,
    pub price_class: &'static str,
    pub origins: Vec<Origin>,
    pub default_cache_behavior: DefaultCacheBehavior,
    pub custom_error_responses: Vec<CustomErrorResponse>,
    pub viewer_certificate: ViewerCertificate,
    pub logging: DistributionLogging,
    #[serde(rename = "WebACLId")]
    pub web_acl_id: Expr,
}

/// Standard access logs, delivered to a bucket that accepts the log delivery ACL.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DistributionLogging {
    pub bucket: Expr,
    pub prefix: String,
    pub include_cookies: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Origin {
    pub id: String,
    pub domain_name: Expr,
    pub origin_access_control_id: Expr,
    /// Must be present, with an empty identity, when an origin access control is used.
    pub s3_origin_config: S3OriginConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3OriginConfig {
    pub origin_access_identity: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DefaultCacheBehavior {
    pub target_origin_id: String,
    pub viewer_protocol_policy: &'static str,
    pub allowed_methods: Vec<&'static str>,
    pub cached_methods: Vec<&'static str>,
    pub compress: bool,
    pub cache_policy_id: &'static str,
    pub response_headers_policy_id: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomErrorResponse {
    pub error_code: u16,
    pub response_code: u16,
    pub response_page_path: &'static str,
    #[serde(rename = "ErrorCachingMinTTL")]
    pub error_caching_min_ttl: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ViewerCertificate {
    pub acm_certificate_arn: Expr,
    pub ssl_support_method: &'static str,
    pub minimum_protocol_version: &'static str,
}
