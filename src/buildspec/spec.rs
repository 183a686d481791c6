//! The buildspec format (version 0.2), typed. Rendered templates are parsed back into these
//! types with unknown keys denied, so a template cannot produce a buildspec CodeBuild would
//! reject or silently ignore.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A whole buildspec file: what CodeBuild reads to run one build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buildspec {
    /// The format version, as written in the file (the templates write `0.2`).
    pub version: String,
    /// The build's shell and environment variables; absent when the build sets none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Env>,
    /// The commands, by phase.
    pub phases: Phases,
    /// The files CodeBuild uploads after the build; absent when the build produces none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<Artifacts>,
}

/// The build's environment: its shell and the variables the commands see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Env {
    /// The shell CodeBuild runs the commands in (for example `bash`); CodeBuild's default when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<String>,
    /// Plain environment variables, name to literal value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<BTreeMap<String, String>>,
    /// Environment variables read from SSM Parameter Store at build start: variable name to
    /// parameter name (`parameter-store` in the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_store: Option<BTreeMap<String, String>>,
    /// Environment variables read from Secrets Manager at build start: variable name to
    /// `<secret>:<json key>` (`secrets-manager` in the file). CodeBuild masks their values in
    /// the build's logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_manager: Option<BTreeMap<String, String>>,
    /// Names of variables whose values at the end of the build CodeBuild exports to the
    /// pipeline (`exported-variables` in the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_variables: Option<Vec<String>>,
}

/// The four phases CodeBuild runs in this order: `install`, `pre_build`, `build`,
/// `post_build`; a phase left out is skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    /// The first phase; the templates install their pinned tools here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<Phase>,
    /// Runs before `build`; the templates check their variables and write a kubeconfig here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_build: Option<Phase>,
    /// The build itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Phase>,
    /// Runs after `build`, also when it failed (so the templates test
    /// `CODEBUILD_BUILD_SUCCEEDING` first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_build: Option<Phase>,
}

/// One phase: its shell commands and what happens when one fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Phase {
    /// Runtimes CodeBuild installs before the phase, runtime name to version
    /// (`runtime-versions`; only meaningful in `install`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_versions: Option<BTreeMap<String, String>>,
    /// Whether the build stops or goes on to the next phase when a command fails (`on-failure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<OnFailure>,
    /// The shell commands, run in order; the phase fails at the first that exits non-zero.
    pub commands: Vec<String>,
    /// Commands run after `commands` whether they succeeded or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finally: Option<Vec<String>>,
}

/// A phase's `on-failure` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OnFailure {
    /// `ABORT`: a failed command ends the build.
    Abort,
    /// `CONTINUE`: a failed command fails the phase, and the build goes on to the next phase.
    Continue,
}

/// The build's output files, which CodeBuild uploads as the build artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Artifacts {
    /// Paths or glob patterns of the files to upload, relative to `base_directory` (or to the
    /// source root when it is absent).
    pub files: Vec<String>,
    /// The directory `files` are relative to, and which is stripped from their artifact paths
    /// (`base-directory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_directory: Option<String>,
    /// The artifact's name; the project's setting when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `"yes"` to flatten the uploaded files into one directory, `"no"` to keep their paths
    /// (`discard-paths`; a string, as the format has it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discard_paths: Option<String>,
}

impl Buildspec {
    /// Every shell command, in the order CodeBuild runs them.
    pub fn commands(&self) -> impl Iterator<Item = &String> {
        [&self.phases.install, &self.phases.pre_build, &self.phases.build, &self.phases.post_build]
            .into_iter()
            .flatten()
            .flat_map(|phase| phase.commands.iter().chain(phase.finally.iter().flatten()))
    }
}
