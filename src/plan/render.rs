//! The plan for people and machines: JSON (stable, versioned), Mermaid, DOT and a table. All
//! rendered from the same validated graph the engine walks.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::graph::{DeployPlan, PlannedStep};
use super::step::StepId;

/// What apply needs to know of the platform besides its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanContext {
    /// The platform's name, as in the blueprint.
    pub platform: String,
    /// The platform's region (builds and the tenant registry live there).
    pub region: String,
    /// Where apply uploads templates too large to send inline, and the source bundle lives.
    pub artifacts_bucket: String,
    /// The container registry host the bundles' images must be in.
    pub registry: String,
    /// The EKS cluster the Kubernetes steps reach.
    pub cluster: String,
    /// The journal and lock table on AWS (`--state dynamodb:<table>`).
    pub state_table: String,
    /// The bootstrap stack every apply needs deployed, from exactly this template.
    pub bootstrap: Bootstrap,
}

/// The bootstrap stack: deployed by `tenancy bootstrap`, checked by every apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bootstrap {
    /// The stack's name (`<platform>-bootstrap`).
    pub stack: String,
    /// The region it is deployed in: the platform's.
    pub region: String,
    /// The template's path under the output directory.
    pub template: String,
    /// SHA-256 of the template, lowercase hex: apply compares it with the deployed stack's
    /// `tenancy:template-sha256` tag. Empty when the template was not among the artifacts.
    pub sha256: String,
}

impl PlanContext {
    /// The context of `platform`, whose artifacts have the facts `files`.
    pub fn of(platform: &crate::model::Platform, files: &BTreeMap<String, super::ArtifactFacts>) -> Self {
        let names = platform.baseline_names();
        let template = crate::compile::BOOTSTRAP_TEMPLATE;
        Self {
            platform: platform.name().to_string(),
            region: platform.region().to_string(),
            artifacts_bucket: names.artifacts_bucket,
            registry: crate::compile::registry_host(platform),
            cluster: platform.cluster().name.to_string(),
            state_table: names.deploy_state_table,
            bootstrap: Bootstrap {
                stack: names.bootstrap_stack,
                region: platform.region().to_string(),
                template: template.to_owned(),
                sha256: files.get(template).map(|f| f.sha256.clone()).unwrap_or_default(),
            },
        }
    }
}

/// The JSON document `generated/plan.json` holds. `format` changes only with an incompatible
/// change of the schema (documented in ARCHITECTURE.md).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanDocument<'a> {
    pub format: &'static str,
    #[serde(flatten)]
    pub context: &'a PlanContext,
    pub waves: &'a [Vec<StepId>],
    pub critical_path: CriticalPath<'a>,
    pub steps: Vec<&'a PlannedStep>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CriticalPath<'a> {
    pub steps: &'a [StepId],
    pub estimated_seconds: u32,
}

/// The `format` of the `plan.json` this version writes, and the only one it reads.
pub const PLAN_FORMAT: &str = "tenancy.plan/v1";

/// The text of `plan.json`: pretty-printed JSON of the format, context, waves, critical path
/// and every step (by wave, then id), ending in a newline.
pub fn to_json(plan: &DeployPlan, context: &PlanContext) -> String {
    let doc = PlanDocument {
        format: PLAN_FORMAT,
        context,
        waves: plan.waves(),
        critical_path: CriticalPath { steps: plan.critical_path(), estimated_seconds: plan.critical_path_seconds() },
        steps: plan.steps(),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("a plan serializes");
    text.push('\n');
    text
}

/// Short node names (`n0`, `n1`, ... in wave order), so no two step ids can map to one node.
/// Hashed: a fleet's plan has tens of thousands of steps and twice as many edges.
fn node_names(plan: &DeployPlan) -> HashMap<&StepId, String> {
    plan.waves().iter().flatten().enumerate().map(|(i, id)| (id, format!("n{i}"))).collect()
}

/// The plan as a Mermaid flowchart (`plan.mmd`): one subgraph per wave, a node per step
/// (its id and kind), an arrow per dependency.
pub fn to_mermaid(plan: &DeployPlan) -> String {
    let names = node_names(plan);
    let node = |id: &StepId| names[id].as_str();
    let mut out = String::from("flowchart LR\n");
    for (wave, ids) in plan.waves().iter().enumerate() {
        writeln!(out, "  subgraph wave{wave}[\"wave {wave}\"]").unwrap();
        for id in ids {
            let step = plan.step(id).expect("a step");
            writeln!(out, "    {}[\"{}<br/>{}\"]", node(id), id, step.action.kind()).unwrap();
        }
        out.push_str("  end\n");
    }
    for (from, to) in plan.edges() {
        writeln!(out, "  {} --> {}", node(from), node(to)).unwrap();
    }
    out
}

/// The plan as a Graphviz DOT digraph, laid out like [`to_mermaid`]'s: a cluster per wave,
/// a box per step, an edge per dependency.
pub fn to_dot(plan: &DeployPlan) -> String {
    let names = node_names(plan);
    let node = |id: &StepId| names[id].as_str();
    let mut out = String::from("digraph plan {\n  rankdir=LR;\n  node [shape=box];\n");
    for (wave, ids) in plan.waves().iter().enumerate() {
        writeln!(out, "  subgraph cluster_wave{wave} {{\n    label=\"wave {wave}\";").unwrap();
        for id in ids {
            let step = plan.step(id).expect("a step");
            writeln!(out, "    {} [label=\"{}\\n{}\"];", node(id), id, step.action.kind()).unwrap();
        }
        out.push_str("  }\n");
    }
    for (from, to) in plan.edges() {
        writeln!(out, "  {} -> {};", node(from), node(to)).unwrap();
    }
    out.push_str("}\n");
    out
}

/// Waves and steps as a table for the terminal.
pub fn to_table(plan: &DeployPlan) -> String {
    let steps = plan.steps();
    let width = steps.iter().map(|s| s.id.as_str().len()).max().unwrap_or(4).max(4);
    let mut out = String::new();
    writeln!(out, "{:<4}  {:<width$}  {:<14}  {:>6}  DEPENDS ON", "WAVE", "STEP", "KIND", "EST.").unwrap();
    for step in steps {
        let depends: Vec<&str> = step.depends_on.iter().map(StepId::as_str).collect();
        writeln!(
            out,
            "{:<4}  {:<width$}  {:<14}  {:>5}s  {}",
            step.wave,
            step.id,
            step.action.kind(),
            step.estimate_seconds,
            if depends.is_empty() { "-".to_owned() } else { depends.join(", ") }
        )
        .unwrap();
    }
    let path: Vec<&str> = plan.critical_path().iter().map(StepId::as_str).collect();
    writeln!(
        out,
        "\n{} steps in {} waves; critical path ({}s): {}",
        plan.steps().len(),
        plan.waves().len(),
        plan.critical_path_seconds(),
        path.join(" -> ")
    )
    .unwrap();
    out
}
