//! The deploy plan: every step of a platform's deployment in one dependency graph (petgraph),
//! with content hashes, bindings, waves and the critical path, rendered as JSON, Mermaid, DOT
//! and a table. `plan` knows nothing about AWS and does no IO.

mod facts;
mod graph;
mod load;
pub mod quotas;
mod render;
mod step;
mod steps;

pub use crate::contract::placeholder::{Placeholder, Producer, first_unresolved, placeholders};
pub(crate) use facts::to_hex;
pub use facts::{ArtifactFacts, facts_of, hex_digest};
pub use graph::{DeployPlan, PlanError, PlannedStep};
pub use load::{LoadError, LoadedPlan, StoredPlan};
pub use render::{Bootstrap, PLAN_FORMAT, PlanContext, to_dot, to_json, to_mermaid, to_table};
pub use step::{Action, Binding, Step, StepId};
pub use steps::platform_steps;

use std::collections::BTreeMap;

use crate::compile::{Artifact, Artifacts};
use crate::model::Platform;

/// The files under the output directory that no step applies: the plan's own, and the
/// bootstrap stack's template (`tenancy bootstrap` deploys it before any apply; the plan
/// records its digest).
pub const PLAN_FILES: [&str; 3] =
    [crate::contract::paths::PLAN, crate::contract::paths::PLAN_MERMAID, crate::contract::paths::BOOTSTRAP_TEMPLATE];

/// Builds the plan of `platform` over the facts of its compiled artifacts.
pub fn plan_for(platform: &Platform, files: &BTreeMap<String, ArtifactFacts>) -> Result<DeployPlan, PlanError> {
    DeployPlan::build(platform_steps(platform, files), files, &PLAN_FILES)
}

/// The plan's own files, `plan.json` and `plan.mmd`, rendered (side by side: at fleet scale
/// they are tens of megabytes).
pub fn plan_files(platform: &Platform, plan: &DeployPlan, files: &BTreeMap<String, ArtifactFacts>) -> [Artifact; 2] {
    let context = PlanContext::of(platform, files);
    let (json, mermaid) = std::thread::scope(|scope| {
        let mermaid = scope.spawn(|| to_mermaid(plan));
        let json = to_json(plan, &context);
        (json, mermaid.join().expect("rendering the plan panicked"))
    });
    [
        Artifact { path: PLAN_FILES[0].into(), contents: json },
        Artifact { path: PLAN_FILES[1].into(), contents: mermaid },
    ]
}

/// Builds the plan of `platform` over its compiled `artifacts`, and adds `plan.json` and
/// `plan.mmd` to them.
pub fn attach(platform: &Platform, artifacts: &mut Artifacts) -> Result<DeployPlan, PlanError> {
    let files: BTreeMap<String, ArtifactFacts> =
        artifacts.files.iter().map(|a| (a.path.clone(), ArtifactFacts::of(&a.contents))).collect();
    let plan = plan_for(platform, &files)?;
    artifacts.files.extend(plan_files(platform, &plan, &files));
    artifacts.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(plan)
}

/// CloudFormation's default quota of stacks per account and region.
pub const DEFAULT_STACK_QUOTA: usize = 2_000;

/// Warnings for a plan that would exceed service quotas, with the numbers and what to do.
pub fn quota_warnings(plan: &DeployPlan, stack_quota: usize, pipeline_stages: &[(String, Vec<String>)]) -> Vec<String> {
    let mut per_region: BTreeMap<&str, usize> = BTreeMap::new();
    for step in plan.steps() {
        if let Action::Cloudformation { region, .. } = &step.action {
            *per_region.entry(region.as_str()).or_default() += 1;
        }
    }
    let mut warnings = Vec::new();
    for (region, stacks) in per_region {
        if stacks > stack_quota {
            warnings.push(format!(
                "the plan deploys {stacks} CloudFormation stacks in {region}, over the quota of {stack_quota}: raise the quota (Service Quotas, AWS CloudFormation, Stack count) or split the fleet across accounts"
            ));
        }
    }
    for (stage, actions) in pipeline_stages {
        if actions.len() > crate::compile::MAX_ACTIONS_PER_STAGE {
            warnings.push(format!(
                "pipeline stage {stage} has {} actions, over CodePipeline's {} per stage: batch it into more stages",
                actions.len(),
                crate::compile::MAX_ACTIONS_PER_STAGE
            ));
        }
    }
    warnings
}
