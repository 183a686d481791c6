//! AWS::CloudFront::OriginAccessControl and AWS::CloudFront::Distribution.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// CloudFront's managed "CachingOptimized" cache policy.
pub const CACHING_OPTIMIZED_POLICY_ID: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// CloudFront's managed "SecurityHeadersPolicy" response headers policy (HSTS and friends).
pub const SECURITY_HEADERS_POLICY_ID: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";

/// An origin access control: CloudFront signs its requests to the site bucket, and the bucket
/// policy admits only this distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginAccessControl {
    /// The control's settings.
    pub origin_access_control_config: OriginAccessControlConfig,
}

/// The settings of an origin access control.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginAccessControlConfig {
    /// The control's name (at most 64 characters, unique in the account); tenancy uses the bucket name.
    pub name: Expr,
    /// What the control is for, shown in the console.
    pub description: String,
    /// The kind of origin it signs for: `s3`, `mediastore`, `lambda` or `mediapackagev2`; always `s3` here.
    pub origin_access_control_origin_type: &'static str,
    /// When CloudFront signs origin requests: `always`, `never` or `no-override`; tenancy uses `always`.
    pub signing_behavior: &'static str,
    /// The signing protocol: `sigv4`, the only value.
    pub signing_protocol: &'static str,
}

/// A CloudFront distribution serving one static site from its bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Distribution {
    /// The distribution's settings.
    pub distribution_config: DistributionConfig,
    /// Tags on the distribution.
    pub tags: Vec<Tag>,
}

/// The settings of a distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DistributionConfig {
    /// Whether the distribution accepts viewer requests.
    pub enabled: bool,
    /// A free-form comment, at most 128 characters: `<platform> <site> site`.
    pub comment: String,
    /// The alternate domain names (CNAMEs) it answers for; the viewer certificate must cover each.
    pub aliases: Vec<Expr>,
    /// The object returned for a request to `/`: `index.html`.
    pub default_root_object: &'static str,
    /// The highest HTTP version viewers may use: `http1.1`, `http2` (AWS default), `http3` or `http2and3`.
    pub http_version: &'static str,
    /// Whether CloudFront answers over IPv6 (`IPV6Enabled`); tenancy adds an `AAAA` alias for each `A`.
    #[serde(rename = "IPV6Enabled")]
    pub ipv6_enabled: bool,
    /// Which edge locations serve it: `PriceClass_100` (North America, Europe, Israel), `PriceClass_200`
    /// or `PriceClass_All` (the AWS default).
    pub price_class: &'static str,
    /// Where CloudFront fetches content; tenancy has one S3 origin per site.
    pub origins: Vec<Origin>,
    /// How requests that match no other cache behavior are handled (all of them, here).
    pub default_cache_behavior: DefaultCacheBehavior,
    /// Replacements for origin errors; tenancy serves `/index.html` for 403 and 404, for client-side routing.
    pub custom_error_responses: Vec<CustomErrorResponse>,
    /// The TLS certificate and protocols offered to viewers.
    pub viewer_certificate: ViewerCertificate,
    /// Where standard access logs go.
    pub logging: DistributionLogging,
    /// The ARN of the WAFv2 web ACL in front of the distribution (`WebACLId`; scope `CLOUDFRONT`, in
    /// `us-east-1`).
    #[serde(rename = "WebACLId")]
    pub web_acl_id: Expr,
}

/// Standard access logs, delivered to a bucket that accepts the log delivery ACL.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DistributionLogging {
    /// The log bucket's domain name, `<bucket>.s3.amazonaws.com`, not its name.
    pub bucket: Expr,
    /// The key prefix of the log files, `cloudfront/<site>/`.
    pub prefix: String,
    /// Whether logs include cookies; always `false`, so logs hold no session cookies.
    pub include_cookies: bool,
}

/// One origin of a distribution: a site bucket reached through an origin access control.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Origin {
    /// The origin's id, unique in the distribution, which cache behaviors target: `<site>-s3`.
    pub id: String,
    /// The bucket's regional domain name (`RegionalDomainName`), so requests skip the global endpoint.
    pub domain_name: Expr,
    /// The `Id` of the origin access control that signs requests to this origin.
    pub origin_access_control_id: Expr,
    /// Must be present, with an empty identity, when an origin access control is used.
    pub s3_origin_config: S3OriginConfig,
}

/// S3 origin settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3OriginConfig {
    /// A legacy origin access identity, `origin-access-identity/cloudfront/<id>`; empty with an origin
    /// access control.
    pub origin_access_identity: String,
}

/// How the distribution handles requests that match no other cache behavior.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DefaultCacheBehavior {
    /// The `Id` of the origin the requests go to.
    pub target_origin_id: String,
    /// `allow-all`, `https-only` or `redirect-to-https`; tenancy redirects HTTP to HTTPS.
    pub viewer_protocol_policy: &'static str,
    /// The HTTP methods CloudFront forwards: `GET` and `HEAD` for a static site.
    pub allowed_methods: Vec<&'static str>,
    /// The methods whose responses are cached (`GET` and `HEAD`, optionally `OPTIONS`).
    pub cached_methods: Vec<&'static str>,
    /// Whether CloudFront compresses responses (gzip and Brotli) for viewers that accept it.
    pub compress: bool,
    /// The cache policy's id: [`CACHING_OPTIMIZED_POLICY_ID`].
    pub cache_policy_id: &'static str,
    /// The response headers policy's id: [`SECURITY_HEADERS_POLICY_ID`].
    pub response_headers_policy_id: &'static str,
}

/// A response CloudFront returns in place of an origin error.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomErrorResponse {
    /// The origin's HTTP status code this applies to (a 4xx or 5xx code).
    pub error_code: u16,
    /// The status code returned to the viewer instead: 200, so the single-page app can route.
    pub response_code: u16,
    /// The object returned instead, a path starting with `/`: `/index.html`.
    pub response_page_path: &'static str,
    /// How long CloudFront caches the error response, in seconds (`ErrorCachingMinTTL`; AWS default 10).
    #[serde(rename = "ErrorCachingMinTTL")]
    pub error_caching_min_ttl: u32,
}

/// The certificate and TLS settings viewers see.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ViewerCertificate {
    /// The ARN of the ACM certificate, which CloudFront requires in `us-east-1`.
    pub acm_certificate_arn: Expr,
    /// `sni-only`, `vip` (dedicated IP addresses, charged monthly) or `static-ip`; tenancy uses `sni-only`.
    pub ssl_support_method: &'static str,
    /// The oldest TLS version and ciphers offered, such as `TLSv1.2_2021`.
    pub minimum_protocol_version: &'static str,
}
