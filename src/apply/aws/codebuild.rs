//! Builds: start a project's build with environment overrides, poll with backoff to a terminal
//! status, fail with the build's status, phase and log link.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{EnvironmentVariable, EnvironmentVariableType, StatusType};

use super::{Configs, sdk_error};
use crate::apply::provider::{Provider, Removal, StepError, StepOutcome, StepRun};
use crate::plan::Action;

/// Every CodeBuild action this provider calls, on the step's project.
pub const IAM_ACTIONS: [&str; 2] = ["codebuild:BatchGetBuilds", "codebuild:StartBuild"];

pub struct CodeBuild {
    configs: Configs,
    region: String,
}

impl CodeBuild {
    pub fn new(configs: Configs, region: String) -> Self {
        Self { configs, region }
    }
}

#[async_trait]
impl Provider for CodeBuild {
    async fn apply(&self, run: &StepRun) -> Result<StepOutcome, StepError> {
        let Action::Codebuild { project, buildspec } = &run.step.action else {
            return Err(StepError::fatal("not a CodeBuild step"));
        };
        if run.dry_run {
            return Ok(StepOutcome {
                changed: true,
                outputs: BTreeMap::new(),
                summary: vec![format!("build {project} ({buildspec})")],
            });
        }
        let client = Client::new(&self.configs.get(&self.region).await);
        let overrides = run
            .inputs_with("env:")
            .into_iter()
            .map(|(name, value)| {
                EnvironmentVariable::builder()
                    .name(name)
                    .value(value)
                    .r#type(EnvironmentVariableType::Plaintext)
                    .build()
                    .map_err(|e| StepError::fatal(format!("environment override: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let started = client
            .start_build()
            .project_name(project)
            .buildspec_override(buildspec)
            .set_environment_variables_override(Some(overrides))
            .send()
            .await
            .map_err(|e| sdk_error(&format!("start a build of {project}"), e))?;
        let id = started
            .build_value()
            .and_then(|b| b.id())
            .ok_or_else(|| StepError::fatal("CodeBuild returned no build id"))?
            .to_owned();
        for round in 0..self.configs.max_rounds() {
            let out = client.batch_get_builds().ids(&id).send().await.map_err(|e| sdk_error("read build", e))?;
            let build = out.builds().first().ok_or_else(|| StepError::fatal(format!("build {id} vanished")))?;
            match build.build_status() {
                Some(StatusType::InProgress) | None => self.configs.pause(round).await,
                Some(StatusType::Succeeded) => {
                    return Ok(StepOutcome {
                        changed: true,
                        outputs: BTreeMap::from([("BuildId".to_owned(), id.clone())]),
                        summary: vec![format!("build {id} succeeded")],
                    });
                }
                Some(status) => {
                    let link = build.logs().and_then(|l| l.deep_link()).unwrap_or("no log link");
                    return Err(StepError::fatal(format!(
                        "build {id} of {project} ended {} in phase {} (logs: {link})",
                        status.as_str(),
                        build.current_phase().unwrap_or("unknown")
                    )));
                }
            }
        }
        Err(StepError::fatal(format!("build {id} did not finish within {:?}", self.configs.options().timeout)))
    }

    async fn remove(&self, _: &Removal) -> Result<StepOutcome, StepError> {
        Ok(StepOutcome {
            changed: false,
            outputs: BTreeMap::new(),
            summary: vec!["a build leaves nothing to remove".into()],
        })
    }
}
