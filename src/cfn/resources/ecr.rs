//! AWS::ECR::Repository.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Repository {
    pub repository_name: Expr,
    /// `IMMUTABLE`: a tag, once pushed, always names the same image.
    pub image_tag_mutability: &'static str,
    pub image_scanning_configuration: ImageScanningConfiguration,
    pub encryption_configuration: EncryptionConfiguration,
    pub lifecycle_policy: LifecyclePolicy,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageScanningConfiguration {
    pub scan_on_push: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionConfiguration {
    pub encryption_type: &'static str,
    pub kms_key: Expr,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecyclePolicy {
    /// The lifecycle policy as JSON text, as ECR requires.
    pub lifecycle_policy_text: String,
}
