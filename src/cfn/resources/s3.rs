//! AWS::S3::Bucket and AWS::S3::BucketPolicy.

use serde::Serialize;

use super::Tag;
use crate::cfn::{Expr, PolicyDocument};

/// A private bucket: public access blocked, objects owned by the bucket owner, encrypted,
/// versioned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    /// The bucket name: 3 to 63 lowercase letters, digits, `.` and `-`, unique across all AWS accounts.
    pub bucket_name: Expr,
    /// The four public access blocks, all on.
    pub public_access_block_configuration: PublicAccessBlockConfiguration,
    /// Who owns uploaded objects, and so whether ACLs apply.
    pub ownership_controls: OwnershipControls,
    /// Default encryption of new objects.
    pub bucket_encryption: BucketEncryption,
    /// Object versioning, always on.
    pub versioning_configuration: VersioningConfiguration,
    /// Server access logging, to the logs bucket; none for the logs bucket itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_configuration: Option<LoggingConfiguration>,
    /// Rules that expire objects; only the logs bucket has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_configuration: Option<LifecycleConfiguration>,
    /// Events to EventBridge (an S3 source of CodePipeline starts it from them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_configuration: Option<NotificationConfiguration>,
    /// Tags on the bucket.
    pub tags: Vec<Tag>,
}

/// The event notifications of a bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationConfiguration {
    /// Delivery of the bucket's events to EventBridge.
    pub event_bridge_configuration: EventBridgeConfiguration,
}

/// Sends a bucket's events to EventBridge.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventBridgeConfiguration {
    /// Whether every event of the bucket goes to the account's default event bus.
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

    /// A private bucket, without logging, lifecycle rules or notifications: public access blocked,
    /// ACLs disabled, SSE-S3 encryption, versioning on.
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

/// The lifecycle rules of a bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleConfiguration {
    /// The rules, at most 1,000.
    pub rules: Vec<LifecycleRule>,
}

/// A lifecycle rule, applying to every object of the bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleRule {
    /// The rule's id, unique in the bucket (at most 255 characters).
    pub id: String,
    /// `Enabled` or `Disabled`.
    pub status: &'static str,
    /// How many days after creation current objects expire (versioned: they get a delete marker).
    pub expiration_in_days: u32,
    /// When noncurrent versions are deleted.
    pub noncurrent_version_expiration: NoncurrentVersionExpiration,
    /// When unfinished multipart uploads are aborted and their parts deleted.
    pub abort_incomplete_multipart_upload: AbortIncompleteMultipartUpload,
}

/// When noncurrent object versions are deleted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NoncurrentVersionExpiration {
    /// Days after a version becomes noncurrent; tenancy uses 30.
    pub noncurrent_days: u32,
}

/// When unfinished multipart uploads are aborted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AbortIncompleteMultipartUpload {
    /// Days after an upload starts; tenancy uses 7.
    pub days_after_initiation: u32,
}

/// The server access logging of a bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfiguration {
    /// The bucket that receives the logs: the platform's logs bucket.
    pub destination_bucket_name: Expr,
    /// The key prefix of the log files, such as `s3/artifacts/`.
    pub log_file_prefix: String,
}

/// The public access blocks of a bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    /// Rejects requests that set a public ACL.
    pub block_public_acls: bool,
    /// Rejects a bucket policy that grants public access.
    pub block_public_policy: bool,
    /// Ignores public ACLs already on the bucket and its objects.
    pub ignore_public_acls: bool,
    /// With a public policy, admits only AWS service principals and the owner account's principals.
    pub restrict_public_buckets: bool,
}

/// The object ownership controls of a bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControls {
    /// The rules; exactly one.
    pub rules: Vec<OwnershipRule>,
}

/// An object ownership rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipRule {
    /// `BucketOwnerEnforced` (ACLs disabled), `BucketOwnerPreferred` or `ObjectWriter`.
    pub object_ownership: &'static str,
}

/// The default encryption of a bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketEncryption {
    /// The encryption rules; exactly one.
    pub server_side_encryption_configuration: Vec<ServerSideEncryptionRule>,
}

/// A default encryption rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerSideEncryptionRule {
    /// The algorithm (and key) applied to new objects.
    pub server_side_encryption_by_default: ServerSideEncryptionByDefault,
}

/// The algorithm of a default encryption rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerSideEncryptionByDefault {
    /// `AES256` (SSE-S3), `aws:kms` or `aws:kms:dsse` (`SSEAlgorithm`); `AES256` here.
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: &'static str,
}

/// The versioning of a bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersioningConfiguration {
    /// `Enabled` or `Suspended`; a bucket once versioned cannot go back to unversioned.
    pub status: &'static str,
}

/// The policy of a bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketPolicy {
    /// The name of the bucket the policy is for (what `Ref` of the bucket gives).
    pub bucket: Expr,
    /// The policy document, at most 20 KB.
    pub policy_document: PolicyDocument,
}
