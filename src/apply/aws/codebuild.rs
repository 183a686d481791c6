//! Builds: start a project's build on the source bundle version that carries the plan being
//! applied, with environment overrides, poll with backoff to a terminal status, and return the
//! variables the build exported (the images build exports the digests it pushed); fail with
//! the build's status, phase and log link.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{EnvironmentVariable, EnvironmentVariableType, StatusType};

use super::{Configs, sdk_error};
use crate::apply::provider::{Provider, Removal, StepError, StepOutcome, StepRun};
use crate::plan::Action;

/// Every CodeBuild action this provider calls, on the step's project.
pub const IAM_ACTIONS: [&str; 2] = ["codebuild:BatchGetBuilds", "codebuild:StartBuild"];

/// Which source bundle the builds read: the artifacts bucket, and the digest of the plan whose
/// bundle version they must run.
#[derive(Debug, Clone)]
pub struct SourceOf {
    pub bucket: String,
    pub plan_sha256: String,
}

pub struct CodeBuild {
    configs: Configs,
    region: String,
    source: SourceOf,
    /// The bundle version carrying the plan, looked up once per apply.
    version: tokio::sync::OnceCell<String>,
    /// This apply, in idempotency tokens: its retries of a StartBuild are one build, another
    /// apply's are another.
    run: String,
}

impl CodeBuild {
    pub fn new(configs: Configs, region: String, source: SourceOf) -> Self {
        let run = format!("{}-{:016x}", std::process::id(), fastrand::u64(..));
        Self { configs, region, source, version: tokio::sync::OnceCell::new(), run }
    }

    async fn source_version(&self) -> Result<&str, StepError> {
        self.version
            .get_or_try_init(|| {
                super::source::find(&self.configs, &self.region, &self.source.bucket, &self.source.plan_sha256)
            })
            .await
            .map(String::as_str)
    }
}

#[async_trait]
impl Provider for CodeBuild {
    async fn apply(&self, run: &StepRun) -> Result<StepOutcome, StepError> {
        let Action::Codebuild { project, buildspec, .. } = &run.step.action else {
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
        let version = self.source_version().await?;
        // The same apply, step, hash and inputs within CodeBuild's five minutes is the same
        // build: a retried StartBuild whose reply was lost does not start a second one.
        let token = crate::plan::hex_digest(
            format!("{}\0{}\0{}\0{version}\0{:?}", self.run, run.step.id, run.step.hash, run.inputs).as_bytes(),
        );
        let started = client
            .start_build()
            .project_name(project)
            .buildspec_override(buildspec)
            .source_version(version)
            .idempotency_token(token)
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
                    // The outputs are what the build exported, nothing about this run (its
                    // id is in the summary): a rerun that makes the same is unchanged.
                    let outputs: BTreeMap<String, String> = build
                        .exported_environment_variables()
                        .iter()
                        .filter_map(|v| Some((v.name()?.to_owned(), v.value()?.to_owned())))
                        .collect();
                    return Ok(StepOutcome {
                        changed: true,
                        outputs,
                        summary: vec![format!("build {id} succeeded on source version {version}")],
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
