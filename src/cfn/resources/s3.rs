//! AWS::S3::Bucket and AWS::S3::BucketPolicy.

use serde::Serialize;

use super::Tag;
use crate::cfn::{Expr, PolicyDocument};

/// A private bucket: public access blocked, objects owned by the bucket owner, encrypted,
/// versioned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    pub bucket_name: Expr,
    pub public_access_block_configuration: PublicAccessBlockConfiguration,
    pub ownership_controls: OwnershipControls,
    pub bucket_encryption: BucketEncryption,
    pub versioning_configuration: VersioningConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_configuration: Option<LoggingConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_configuration: Option<LifecycleConfiguration>,
    /// Events to EventBridge (an S3 source of CodePipeline starts it from them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_configuration: Option<NotificationConfiguration>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationConfiguration {
    pub event_bridge_configuration: EventBridgeConfiguration,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventBridgeConfiguration {
    pub event_bridge_enabled: bool,
}

impl Bucket {
    /// A private bucket whose server access logs go to `logs` under `prefix`.
    pub fn private_logged(name: Expr, logs: Expr, prefix: String, tags: Vec<Tag>) -> Self {
        Self {
            logging_configuration: Some(LoggingConfiguration {
                destination_bucket_name: logs,
                log_file_prefix: prefix,
            }),
            ..Self::private(name, tags)
        }
    }

    /// The bucket access logs go to: private, but owner-preferred object ownership, because
    /// CloudFront delivers standard logs with an ACL; logs expire after `days`.
    pub fn log_store(name: Expr, days: u32, tags: Vec<Tag>) -> Self {
        let mut bucket = Self::private(name, tags);
        bucket.ownership_controls.rules[0].object_ownership = "BucketOwnerPreferred";
        bucket.lifecycle_configuration = Some(LifecycleConfiguration {
            rules: vec![LifecycleRule {
                id: "expire-logs".into(),
                status: "Enabled",
                expiration_in_days: days,
                noncurrent_version_expiration: NoncurrentVersionExpiration { noncurrent_days: 30 },
                abort_incomplete_multipart_upload: AbortIncompleteMultipartUpload { days_after_initiation: 7 },
            }],
        });
        bucket
    }

    pub fn private(name: Expr, tags: Vec<Tag>) -> Self {
        Self {
            bucket_name: name,
            public_access_block_configuration: PublicAccessBlockConfiguration {
                block_public_acls: true,
                block_public_policy: true,
                ignore_public_acls: true,
                restrict_public_buckets: true,
            },
            ownership_controls: OwnershipControls {
                rules: vec![OwnershipRule { object_ownership: "BucketOwnerEnforced" }],
            },
            bucket_encryption: BucketEncryption {
                server_side_encryption_configuration: vec![ServerSideEncryptionRule {
                    server_side_encryption_by_default: ServerSideEncryptionByDefault { sse_algorithm: "AES256" },
                }],
            },
            versioning_configuration: VersioningConfiguration { status: "Enabled" },
            logging_configuration: None,
            lifecycle_configuration: None,
            notification_configuration: None,
            tags,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleConfiguration {
    pub rules: Vec<LifecycleRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleRule {
    pub id: String,
    pub status: &'static str,
    pub expiration_in_days: u32,
    pub noncurrent_version_expiration: NoncurrentVersionExpiration,
    pub abort_incomplete_multipart_upload: AbortIncompleteMultipartUpload,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NoncurrentVersionExpiration {
    pub noncurrent_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AbortIncompleteMultipartUpload {
    pub days_after_initiation: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfiguration {
    pub destination_bucket_name: Expr,
    pub log_file_prefix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    pub block_public_acls: bool,
    pub block_public_policy: bool,
    pub ignore_public_acls: bool,
    pub restrict_public_buckets: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControls {
    pub rules: Vec<OwnershipRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipRule {
    pub object_ownership: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketEncryption {
    pub server_side_encryption_configuration: Vec<ServerSideEncryptionRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerSideEncryptionRule {
    pub server_side_encryption_by_default: ServerSideEncryptionByDefault,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerSideEncryptionByDefault {
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersioningConfiguration {
    pub status: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketPolicy {
    pub bucket: Expr,
    pub policy_document: PolicyDocument,
}
