//! AWS::CodeBuild::Project.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// A CodeBuild project that runs one buildspec of the source bundle. `Ref` gives its name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Project {
    /// The project name: 2 to 255 characters, letters, digits, `-` and `_`, starting with a letter or digit.
    pub name: Expr,
    /// What the project does, at most 255 characters.
    pub description: String,
    /// The ARN of the role the builds run as.
    pub service_role: Expr,
    /// Where the build reads its source and buildspec.
    pub source: ProjectSource,
    /// What the build uploads; tenancy's projects upload nothing (`NO_ARTIFACTS`).
    pub artifacts: ProjectArtifacts,
    /// The build container: image, size, variables.
    pub environment: ProjectEnvironment,
    /// How long a build may run before CodeBuild stops it, in minutes (5 to 2160; AWS default 60).
    pub timeout_in_minutes: u32,
    /// The KMS key (ARN or alias) that encrypts build output; tenancy uses the platform's data key.
    pub encryption_key: Expr,
    /// Where the build logs go.
    pub logs_config: LogsConfig,
    /// Tags on the project.
    pub tags: Vec<Tag>,
}

/// The source of a project.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectSource {
    /// The source's kind (`Type`): `S3` here; others are `CODEPIPELINE`, `GITHUB`, `NO_SOURCE` and more.
    #[serde(rename = "Type")]
    pub source_type: &'static str,
    /// For `S3`, `<bucket>/<key>` of the zip: the source bundle in the artifacts bucket.
    pub location: Expr,
    /// The buildspec: a path inside the source (`generated/...`) or the buildspec's YAML itself.
    pub build_spec: String,
}

/// The artifacts of a project.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectArtifacts {
    /// The artifacts' kind (`Type`): `NO_ARTIFACTS`, `S3` or `CODEPIPELINE`; always `NO_ARTIFACTS` here.
    #[serde(rename = "Type")]
    pub artifacts_type: &'static str,
}

/// The build environment of a project.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectEnvironment {
    /// The container kind (`Type`): `LINUX_CONTAINER` (x86-64) here; others include `ARM_CONTAINER`.
    #[serde(rename = "Type")]
    pub environment_type: &'static str,
    /// The machine size: `BUILD_GENERAL1_MEDIUM` here (7 GB of memory, 4 vCPUs on Linux x86-64).
    pub compute_type: &'static str,
    /// The image the build runs in: `CODEBUILD_IMAGE`, a CodeBuild-managed Amazon Linux image.
    pub image: &'static str,
    /// Who pulls the image: `CODEBUILD` (CodeBuild's own credentials, for its images) or `SERVICE_ROLE`.
    pub image_pull_credentials_type: &'static str,
    /// Docker-in-Docker, for the project that builds images; off everywhere else.
    pub privileged_mode: bool,
    /// Variables set in the build; tenancy always sets `TENANCY_PLATFORM` and `TENANCY_CLUSTER`.
    pub environment_variables: Vec<EnvironmentVariable>,
}

/// A variable of the build environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentVariable {
    /// The variable's name.
    pub name: String,
    /// Its value; for `PARAMETER_STORE` or `SECRETS_MANAGER`, the name of the value to fetch instead.
    pub value: Expr,
    /// `PLAINTEXT`, `PARAMETER_STORE` or `SECRETS_MANAGER` (`Type`); tenancy's are all `PLAINTEXT`.
    #[serde(rename = "Type")]
    pub variable_type: &'static str,
}

/// The log destinations of a project.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogsConfig {
    /// Logs to CloudWatch Logs (`CloudWatchLogs`).
    pub cloud_watch_logs: CloudWatchLogs,
}

/// A project's CloudWatch Logs settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CloudWatchLogs {
    /// `ENABLED` or `DISABLED`; always `ENABLED` here.
    pub status: &'static str,
    /// The log group, which tenancy creates beside the project: `/aws/codebuild/<project>`.
    pub group_name: Expr,
}
