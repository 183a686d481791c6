//! A committed plan read back: `plan.json` parsed, rebuilt into a [`DeployPlan`] over the facts
//! of the artifacts it names, and checked against the recorded hashes, so apply runs exactly the
//! reviewed bytes or refuses. Pure: the caller reads the files (`tenancy_apply::load_plan`) and
//! hands over their facts, never their text.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::facts::ArtifactFacts;
use super::graph::DeployPlan;
use super::render::PLAN_FORMAT;
use super::step::{Action, Binding, Step, StepId};

/// `plan.json` as written, before it is checked.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredPlan {
    format: String,
    #[serde(flatten)]
    context: super::PlanContext,
    steps: Vec<StoredStep>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredStep {
    id: StepId,
    #[serde(flatten)]
    action: Action,
    artifacts: Vec<String>,
    hash: String,
    depends_on: Vec<StepId>,
    bindings: Vec<Binding>,
    estimate_seconds: u32,
}

/// A plan read from an output directory, with the facts (digest, placeholders) of every
/// artifact it applies.
#[derive(Debug)]
pub struct LoadedPlan {
    /// The plan, rebuilt and validated; every step's hash equals the one `plan.json` recorded.
    pub plan: DeployPlan,
    /// The facts of every artifact the steps apply, by path under the output directory.
    pub facts: BTreeMap<String, ArtifactFacts>,
    /// What `plan.json` records of the platform: region, buckets, cluster, state table,
    /// bootstrap stack.
    pub context: super::PlanContext,
    /// SHA-256 of `plan.json`: the source bundle that carries this plan is found by it.
    pub plan_sha256: String,
}

/// Why a committed plan cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The caller could not read `plan.json` or an artifact it names.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file, as the caller shows it.
        path: String,
        /// Why reading it failed.
        #[source]
        source: std::io::Error,
    },
    /// `plan.json` is not JSON of the plan's schema, or not of format [`PLAN_FORMAT`].
    #[error("{path} is not a tenancy plan: {message}")]
    Format {
        /// The plan file, as passed to [`StoredPlan::parse`].
        path: String,
        /// The parser's message, or the format found.
        message: String,
    },
    /// The stored steps do not form a valid plan (an unknown dependency, a cycle, an
    /// artifact that is missing or applied twice).
    #[error(transparent)]
    Invalid(#[from] super::graph::PlanError),
    /// A step's hash, recomputed from the artifacts on disk, differs from the one recorded:
    /// the files are not the reviewed ones.
    #[error(
        "step {step}: its artifacts changed after the plan was made (hash {recorded} in plan.json, {actual} now); run `tenancy synth` and review the diff"
    )]
    Tampered {
        /// The first step (by wave, then id) whose hash differs.
        step: StepId,
        /// The hash `plan.json` records, lowercase hex.
        recorded: String,
        /// The hash of the step over the artifacts as they are now.
        actual: String,
    },
}

impl StoredPlan {
    /// Parses the text of `plan.json` (`path` names it in errors).
    pub fn parse(path: &str, text: &str) -> Result<Self, LoadError> {
        let stored: StoredPlan = serde_json::from_str(text)
            .map_err(|err| LoadError::Format { path: path.to_owned(), message: err.to_string() })?;
        if stored.format != PLAN_FORMAT {
            return Err(LoadError::Format {
                path: path.to_owned(),
                message: format!("format {} is not {PLAN_FORMAT}", stored.format),
            });
        }
        Ok(stored)
    }

    /// Every artifact path the plan's steps name, each once.
    pub fn artifact_paths(&self) -> impl Iterator<Item = &str> {
        let mut seen = std::collections::BTreeSet::new();
        self.steps.iter().flat_map(|s| &s.artifacts).map(String::as_str).filter(move |p| seen.insert(*p))
    }

    /// The plan, rebuilt over `facts` (those of [`Self::artifact_paths`]) and checked against
    /// the hashes it recorded; `plan_sha256` is the digest of the text it was parsed from.
    pub fn into_plan(
        self,
        facts: BTreeMap<String, ArtifactFacts>,
        plan_sha256: String,
    ) -> Result<LoadedPlan, LoadError> {
        let recorded: BTreeMap<StepId, String> = self.steps.iter().map(|s| (s.id.clone(), s.hash.clone())).collect();
        let steps = self
            .steps
            .into_iter()
            .map(|s| Step {
                id: s.id,
                action: s.action,
                artifacts: s.artifacts,
                depends_on: s.depends_on,
                bindings: s.bindings,
                estimate_seconds: s.estimate_seconds,
            })
            .collect();
        let plan = DeployPlan::build(steps, &facts, &[])?;
        for step in plan.steps() {
            if recorded[&step.id] != step.hash {
                return Err(LoadError::Tampered {
                    step: step.id.clone(),
                    recorded: recorded[&step.id].clone(),
                    actual: step.hash.clone(),
                });
            }
        }
        Ok(LoadedPlan { plan, facts, context: self.context, plan_sha256 })
    }
}
