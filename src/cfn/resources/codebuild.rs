//! AWS::CodeBuild::Project.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Project {
    pub name: Expr,
    pub description: String,
    pub service_role: Expr,
    pub source: ProjectSource,
    pub artifacts: ProjectArtifacts,
    pub environment: ProjectEnvironment,
    pub timeout_in_minutes: u32,
    pub encryption_key: Expr,
    pub logs_config: LogsConfig,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectSource {
    #[serde(rename = "Type")]
    pub source_type: &'static str,
    pub location: Expr,
    pub build_spec: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectArtifacts {
    #[serde(rename = "Type")]
    pub artifacts_type: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectEnvironment {
    #[serde(rename = "Type")]
    pub environment_type: &'static str,
    pub compute_type: &'static str,
    pub image: &'static str,
    pub image_pull_credentials_type: &'static str,
    /// Docker-in-Docker, for the project that builds images; off everywhere else.
    pub privileged_mode: bool,
    pub environment_variables: Vec<EnvironmentVariable>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentVariable {
    pub name: String,
    pub value: Expr,
    #[serde(rename = "Type")]
    pub variable_type: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogsConfig {
    pub cloud_watch_logs: CloudWatchLogs,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CloudWatchLogs {
    pub status: &'static str,
    pub group_name: Expr,
}
