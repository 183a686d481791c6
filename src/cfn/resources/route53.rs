//! AWS::Route53::RecordSet.

use serde::Serialize;

use crate::cfn::Expr;

/// The hosted zone id CloudFront distributions live in, for alias records (a fixed value).
pub const CLOUDFRONT_HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordSet {
    #[serde(flatten)]
    pub zone: HostedZone,
    pub name: Expr,
    #[serde(rename = "Type")]
    pub record_type: &'static str,
    pub alias_target: AliasTarget,
}

/// A record's zone: by id when the blueprint gives one, by name otherwise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum HostedZone {
    #[serde(rename = "HostedZoneId")]
    Id(Expr),
    #[serde(rename = "HostedZoneName")]
    Name(Expr),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasTarget {
    #[serde(rename = "DNSName")]
    pub dns_name: Expr,
    pub hosted_zone_id: Expr,
    pub evaluate_target_health: bool,
}
