//! AWS::ECR::Repository.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// A private container registry for one service's images.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Repository {
    /// The repository name: 2 to 256 characters, lowercase letters, digits, `-`, `_`, `.` and `/`.
    pub repository_name: Expr,
    /// `IMMUTABLE`: a tag, once pushed, always names the same image.
    pub image_tag_mutability: &'static str,
    /// Image scanning on push.
    pub image_scanning_configuration: ImageScanningConfiguration,
    /// Encryption at rest, fixed when the repository is created.
    pub encryption_configuration: EncryptionConfiguration,
    /// The rules that expire images.
    pub lifecycle_policy: LifecyclePolicy,
    /// Tags on the repository.
    pub tags: Vec<Tag>,
}

/// Image scanning settings of a repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageScanningConfiguration {
    /// Whether each pushed image gets a basic vulnerability scan.
    pub scan_on_push: bool,
}

/// The encryption of a repository; changing it replaces the repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionConfiguration {
    /// `AES256` (AWS default), `KMS` or `KMS_DSSE`; tenancy uses `KMS` with the platform's data key.
    pub encryption_type: &'static str,
    /// The ARN of the KMS key, for `KMS` and `KMS_DSSE`.
    pub kms_key: Expr,
}

/// The lifecycle policy of a repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecyclePolicy {
    /// The lifecycle policy as JSON text, as ECR requires.
    pub lifecycle_policy_text: String,
}
