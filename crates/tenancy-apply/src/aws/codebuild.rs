//! Builds: start a project's build on the source bundle version that carries the plan being
//! applied, with environment overrides, poll with backoff to a terminal status, and return the
//! variables the build exported (the images build exports the digests it pushed); fail with
//! the build's status, phase and log link.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{EnvironmentVariable, EnvironmentVariableType, SortOrderType, StatusType};

use super::{Configs, sdk_error};
use crate::provider::{Provider, Removal, StepError, StepOutcome, StepRun};
use tenancy::plan::Action;

/// Declared in the core, where `verify` reads it too.
pub use tenancy::contract::calls::BUILD_IAM_ACTIONS as IAM_ACTIONS;

/// The variable every build of a step carries: the step and a digest of what it runs (its
/// hash, the source version and the bound inputs). A retry, or a rerun after a kill, finds the
/// step's build by it instead of starting a second one beside it.
pub const STEP_VARIABLE: &str = "TENANCY_STEP";

/// How many of a project's newest builds are searched for the step's own.
const RECENT_BUILDS: usize = 25;

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
    /// The step's build among the project's newest, if one is running or has succeeded with
    /// exactly this content: a retry or rerun adopts it. A failed or stopped one is not adopted.
    async fn find(&self, client: &Client, project: &str, marker: &str) -> Result<Option<String>, StepError> {
        let listed = client
            .list_builds_for_project()
            .project_name(project)
            .sort_order(SortOrderType::Descending)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("list the builds of {project}"), e))?;
        let ids: Vec<String> = listed.ids().iter().take(RECENT_BUILDS).cloned().collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let out = client
            .batch_get_builds()
            .set_ids(Some(ids))
            .send()
            .await
            .map_err(|e| sdk_error(&format!("read the builds of {project}"), e))?;
        let mut builds: Vec<_> = out
            .builds()
            .iter()
            .filter(|b| {
                b.environment().is_some_and(|e| {
                    e.environment_variables().iter().any(|v| v.name() == STEP_VARIABLE && v.value() == marker)
                })
            })
            .collect();
        builds.sort_by_key(|b| std::cmp::Reverse(b.start_time().map(|t| (t.secs(), t.subsec_nanos()))));
        Ok(builds
            .first()
            .filter(|b| matches!(b.build_status(), Some(StatusType::InProgress | StatusType::Succeeded) | None))
            .and_then(|b| b.id().map(str::to_owned)))
    }

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
                state: None,
                changed: true,
                outputs: BTreeMap::new(),
                summary: vec![format!("build {project} ({buildspec})")],
            });
        }
        let client = Client::new(&self.configs.get(&self.region).await);
        let version = self.source_version().await?.to_owned();
        let content = tenancy::plan::hex_digest(
            format!("{}\0{}\0{version}\0{:?}", run.step.id, run.step.hash, run.inputs_text()).as_bytes(),
        );
        let marker = format!("{}@{}", run.step.id, &content[..16]);
        // The bound inputs, and last the marker that lets a retry find this build.
        let overrides = run
            .env()
            .into_iter()
            .chain([(STEP_VARIABLE.to_owned(), marker.clone())])
            .map(|(name, value)| {
                EnvironmentVariable::builder()
                    .name(name)
                    .value(value)
                    .r#type(EnvironmentVariableType::Plaintext)
                    .build()
                    .map_err(|e| StepError::fatal(format!("environment override: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let (id, found) = match self.find(&client, project, &marker).await? {
            Some(id) => (id, true),
            None => {
                // The same apply and content within CodeBuild's five minutes is the same build:
                // a StartBuild whose reply was lost and that the SDK sends again starts one.
                let token = tenancy::plan::hex_digest(format!("{}\0{content}", self.run).as_bytes());
                let started = client
                    .start_build()
                    .project_name(project)
                    .buildspec_override(buildspec)
                    .source_version(&version)
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
                (id, false)
            }
        };
        let build = self
            .configs
            .poll(&format!("build {id} of {project}"), || async {
                let out = client.batch_get_builds().ids(&id).send().await.map_err(|e| sdk_error("read build", e))?;
                let build = out.builds().first().ok_or_else(|| StepError::fatal(format!("build {id} vanished")))?;
                Ok(match build.build_status() {
                    Some(StatusType::InProgress) | None => None,
                    Some(_) => Some(build.clone()),
                })
            })
            .await?;
        match build.build_status() {
            Some(StatusType::Succeeded) => {
                // The outputs are what the build exported, nothing about this run (its id is in
                // the summary): a rerun that makes the same is unchanged.
                let outputs: BTreeMap<String, String> = build
                    .exported_environment_variables()
                    .iter()
                    .filter_map(|v| Some((v.name()?.to_owned(), v.value()?.to_owned())))
                    .collect();
                let whose = if found { "this step's build found running or done, " } else { "" };
                Ok(StepOutcome {
                    state: None,
                    changed: true,
                    outputs,
                    summary: vec![format!("{whose}build {id} succeeded on source version {version}")],
                })
            }
            status => {
                let link = build.logs().and_then(|l| l.deep_link()).unwrap_or("no log link");
                Err(StepError::fatal(format!(
                    "build {id} of {project} ended {} in phase {} (logs: {link})",
                    status.map_or("without a status", |s| s.as_str()),
                    build.current_phase().unwrap_or("unknown")
                )))
            }
        }
    }

    async fn remove(&self, _: &Removal) -> Result<StepOutcome, StepError> {
        Ok(StepOutcome {
            state: None,
            changed: false,
            outputs: BTreeMap::new(),
            summary: vec!["a build leaves nothing to remove".into()],
        })
    }
}
