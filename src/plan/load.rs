//! Reading a committed plan back: `plan.json` and the artifacts it names, rebuilt into a
//! [`DeployPlan`] and checked against the recorded hashes, so apply runs exactly the reviewed
//! bytes or refuses.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::graph::DeployPlan;
use super::render::PLAN_FORMAT;
use super::step::{Action, Binding, Step, StepId};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredPlan {
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

/// A plan read from an output directory, with the bytes of every artifact it applies.
#[derive(Debug)]
pub struct LoadedPlan {
    pub plan: DeployPlan,
    pub files: BTreeMap<String, String>,
    pub context: super::PlanContext,
    /// SHA-256 of `plan.json`: the source bundle that carries this plan is found by it.
    pub plan_sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a tenancy plan: {message}")]
    Format { path: String, message: String },
    #[error(transparent)]
    Invalid(#[from] super::graph::PlanError),
    #[error(
        "step {step}: its artifacts changed after the plan was made (hash {recorded} in plan.json, {actual} now); run `tenancy synth` and review the diff"
    )]
    Tampered { step: StepId, recorded: String, actual: String },
}

pub fn load(dir: &Path) -> Result<LoadedPlan, LoadError> {
    let path = dir.join("plan.json");
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Read { path: shown.clone(), source })?;
    let stored: StoredPlan = serde_json::from_str(&text)
        .map_err(|err| LoadError::Format { path: shown.clone(), message: err.to_string() })?;
    if stored.format != PLAN_FORMAT {
        return Err(LoadError::Format {
            path: shown,
            message: format!("format {} is not {PLAN_FORMAT}", stored.format),
        });
    }
    let mut files = BTreeMap::new();
    for step in &stored.steps {
        for artifact in &step.artifacts {
            let full = dir.join(artifact);
            let bytes = std::fs::read_to_string(&full)
                .map_err(|source| LoadError::Read { path: full.display().to_string(), source })?;
            files.insert(artifact.clone(), bytes);
        }
    }
    let recorded: BTreeMap<StepId, String> = stored.steps.iter().map(|s| (s.id.clone(), s.hash.clone())).collect();
    let steps = stored
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
    let plan = DeployPlan::build(steps, &super::facts_of(&files), &[])?;
    for step in plan.steps() {
        if recorded[&step.id] != step.hash {
            return Err(LoadError::Tampered {
                step: step.id.clone(),
                recorded: recorded[&step.id].clone(),
                actual: step.hash.clone(),
            });
        }
    }
    Ok(LoadedPlan { plan, files, context: stored.context, plan_sha256: super::hex_digest(text.as_bytes()) })
}
