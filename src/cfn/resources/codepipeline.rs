//! AWS::CodePipeline::Pipeline.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Pipeline {
    pub name: Expr,
    pub role_arn: Expr,
    pub pipeline_type: &'static str,
    pub execution_mode: &'static str,
    pub restart_execution_on_update: bool,
    pub artifact_store: ArtifactStore,
    pub stages: Vec<Stage>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ArtifactStore {
    #[serde(rename = "Type")]
    pub store_type: &'static str,
    pub location: Expr,
    pub encryption_key: EncryptionKey,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionKey {
    pub id: Expr,
    #[serde(rename = "Type")]
    pub key_type: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Stage {
    pub name: String,
    pub actions: Vec<PipelineAction>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PipelineAction {
    pub name: String,
    pub action_type_id: ActionTypeId,
    /// Provider settings; CodePipeline takes every value as a string.
    pub configuration: BTreeMap<String, Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_artifacts: Vec<ArtifactName>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output_artifacts: Vec<ArtifactName>,
    pub run_order: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActionTypeId {
    pub category: &'static str,
    pub owner: &'static str,
    pub provider: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ArtifactName {
    pub name: String,
}
