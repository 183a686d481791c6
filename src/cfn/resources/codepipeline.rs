//! AWS::CodePipeline::Pipeline.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// The platform pipeline: a source stage, then CodeBuild actions in stages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Pipeline {
    /// The pipeline name, at most 100 characters.
    pub name: Expr,
    /// The ARN of the role CodePipeline assumes to run the actions.
    pub role_arn: Expr,
    /// `V1` or `V2`; tenancy uses `V2`, which has execution modes and pipeline variables.
    pub pipeline_type: &'static str,
    /// `SUPERSEDED` (AWS default), `QUEUED` or `PARALLEL` (the last two need `V2`); tenancy queues
    /// executions, so none is cut short by a newer one.
    pub execution_mode: &'static str,
    /// Whether updating the pipeline starts an execution; `false`: only a pushed source bundle does.
    pub restart_execution_on_update: bool,
    /// Where the actions' artifacts are stored between stages.
    pub artifact_store: ArtifactStore,
    /// The stages, in order; the first holds only source actions, and there are at least two.
    pub stages: Vec<Stage>,
    /// Tags on the pipeline.
    pub tags: Vec<Tag>,
}

/// The artifact store of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ArtifactStore {
    /// The store's kind (`Type`): `S3`, the only value.
    #[serde(rename = "Type")]
    pub store_type: &'static str,
    /// The bucket's name: the artifacts bucket of the bootstrap stack.
    pub location: Expr,
    /// The key that encrypts the stored artifacts.
    pub encryption_key: EncryptionKey,
}

/// The key of an artifact store.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionKey {
    /// The KMS key's id, ARN or alias ARN; tenancy uses the platform's data key.
    pub id: Expr,
    /// The key's kind (`Type`): `KMS`, the only value.
    #[serde(rename = "Type")]
    pub key_type: &'static str,
}

/// A stage of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Stage {
    /// The stage name, unique in the pipeline, such as `Source`, `Check`, `Baseline1` or `Tenants`.
    pub name: String,
    /// The stage's actions; those with the same `RunOrder` run in parallel.
    pub actions: Vec<PipelineAction>,
}

/// An action of a stage (CloudFormation's `Actions` entries).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PipelineAction {
    /// The action name, unique in its stage (letters, digits and `.@-_`).
    pub name: String,
    /// What runs the action.
    pub action_type_id: ActionTypeId,
    /// Provider settings; CodePipeline takes every value as a string.
    pub configuration: BTreeMap<String, Expr>,
    /// The artifacts the action reads, by name; a CodeBuild action with several names the one holding
    /// its buildspec in `PrimarySource`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_artifacts: Vec<ArtifactName>,
    /// The artifacts the action produces, each name unique in the pipeline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output_artifacts: Vec<ArtifactName>,
    /// The action's place in its stage, 1 to 999 (AWS default 1); equal numbers run in parallel.
    pub run_order: u32,
}

/// The kind of an action.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActionTypeId {
    /// `Source`, `Build`, `Test`, `Deploy`, `Approval` or `Invoke`.
    pub category: &'static str,
    /// `AWS`, `ThirdParty` or `Custom`; always `AWS` here.
    pub owner: &'static str,
    /// The provider, such as `S3` or `CodeBuild`.
    pub provider: &'static str,
    /// The provider's action version, `1`.
    pub version: &'static str,
}

/// A reference to an artifact of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ArtifactName {
    /// The artifact name: `Source` (the bundle) or `Tools` (the binary the check stage built).
    pub name: String,
}
