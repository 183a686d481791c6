//! AWS::Route53::RecordSet.

use serde::Serialize;

use crate::cfn::Expr;

/// The hosted zone id CloudFront distributions live in, for alias records (a fixed value).
pub const CLOUDFRONT_HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";

/// An alias record to a CloudFront distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordSet {
    /// The hosted zone of the record, as `HostedZoneId` or `HostedZoneName`.
    #[serde(flatten)]
    pub zone: HostedZone,
    /// The record's fully qualified name, such as `www.<domain>`.
    pub name: Expr,
    /// The record type (`Type`): `A` or `AAAA`, one record each for IPv4 and IPv6.
    #[serde(rename = "Type")]
    pub record_type: &'static str,
    /// What the alias points to.
    pub alias_target: AliasTarget,
}

/// A record's zone: by id when the blueprint gives one, by name otherwise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum HostedZone {
    /// The zone's id (`HostedZoneId`).
    #[serde(rename = "HostedZoneId")]
    Id(Expr),
    /// The zone's name with its final dot, `<domain>.` (`HostedZoneName`).
    #[serde(rename = "HostedZoneName")]
    Name(Expr),
}

/// The target of an alias record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasTarget {
    /// The target's DNS name (`DNSName`): the distribution's domain name.
    #[serde(rename = "DNSName")]
    pub dns_name: Expr,
    /// The hosted zone of the target, not of the record: [`CLOUDFRONT_HOSTED_ZONE_ID`].
    pub hosted_zone_id: Expr,
    /// Whether the record answers only while the target is healthy; `false`, as CloudFront targets require.
    pub evaluate_target_health: bool,
}
