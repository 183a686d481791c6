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
    pub tags: Vec<Tag>,
}

impl Bucket {
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
            tags,
        }
    }
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
