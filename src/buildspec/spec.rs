//! The buildspec format (version 0.2), typed. Rendered templates are parsed back into these
//! types with unknown keys denied, so a template cannot produce a buildspec CodeBuild would
//! reject or silently ignore.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buildspec {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Env>,
    pub phases: Phases,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<Artifacts>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Env {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_store: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_variables: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<Phase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_build: Option<Phase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Phase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_build: Option<Phase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Phase {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_versions: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<OnFailure>,
    pub commands: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finally: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OnFailure {
    Abort,
    Continue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Artifacts {
    pub files: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_directory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
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
