//! The plan as a graph: built in named passes, validated (unknown steps, cycles in a stable
//! order, unresolvable bindings, artifacts owned by no step or by two), then layered into waves
//! and measured for its critical path. Knows nothing of AWS.

use std::collections::{BTreeMap, HashMap};

use petgraph::algo::{has_path_connecting, tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::facts::{ArtifactFacts, to_hex};
use super::step::{Action, Binding, Step, StepId};

/// Everything wrong with a set of steps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid deploy plan:\n  - {}", problems.join("\n  - "))]
pub struct PlanError {
    /// One sentence per problem, naming the step or artifact; never empty.
    pub problems: Vec<String>,
}

/// A validated plan: steps with their content hash and wave, in a DAG.
#[derive(Debug, Clone)]
pub struct DeployPlan {
    graph: DiGraph<PlannedStep, ()>,
    /// Step id -> node. Hashed: a fleet plan looks ids up hundreds of thousands of times.
    index: HashMap<StepId, NodeIndex>,
    waves: Vec<Vec<StepId>>,
    critical_path: Vec<StepId>,
}

/// A step in a built plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedStep {
    /// The step's id, unique in the plan.
    pub id: StepId,
    /// What the step does; its fields sit beside the others in `plan.json`, under `kind`.
    #[serde(flatten)]
    pub action: Action,
    /// The step's wave, from 0: one more than the latest wave of its dependencies.
    pub wave: usize,
    /// Paths under the output directory this step applies, as the step listed them.
    pub artifacts: Vec<String>,
    /// SHA-256 over the action and every artifact's path and digest: unchanged hash, nothing to do.
    pub hash: String,
    /// The steps it depends on directly, sorted, without repeats.
    pub depends_on: Vec<StepId>,
    /// The values it reads from earlier steps' outputs, sorted.
    pub bindings: Vec<Binding>,
    /// A rough duration in seconds, which the critical path adds up.
    pub estimate_seconds: u32,
}

impl DeployPlan {
    /// Builds and validates the plan. `files` are every artifact (path -> facts); `unowned`
    /// lists paths no step applies (the plan files themselves, markers).
    pub fn build(
        steps: Vec<Step>,
        files: &BTreeMap<String, ArtifactFacts>,
        unowned: &[&str],
    ) -> Result<Self, PlanError> {
        let mut problems = Vec::new();
        let (mut graph, index) = add_nodes(steps, files, &mut problems);
        add_edges(&mut graph, &index, &mut problems);
        check_cycles(&graph, &mut problems);
        if problems.is_empty() {
            check_bindings(&graph, &index, &mut problems);
        }
        check_ownership(&graph, files, unowned, &mut problems);
        if !problems.is_empty() {
            return Err(PlanError { problems });
        }
        let waves = assign_waves(&mut graph);
        let critical_path = critical_path(&graph);
        Ok(Self { graph, index, waves, critical_path })
    }

    /// Steps grouped by wave: every step's dependencies are in earlier waves, and each step is
    /// in the earliest wave that allows (so the number of waves is minimal).
    pub fn waves(&self) -> &[Vec<StepId>] {
        &self.waves
    }

    /// The step `id`, or `None` when the plan has no such step.
    pub fn step(&self, id: &StepId) -> Option<&PlannedStep> {
        self.index.get(id).map(|&node| &self.graph[node])
    }

    /// All steps, by wave then id.
    pub fn steps(&self) -> Vec<&PlannedStep> {
        self.waves.iter().flatten().map(|id| &self.graph[self.index[id]]).collect()
    }

    /// The longest chain of steps by estimated duration: the least time any apply can take.
    pub fn critical_path(&self) -> &[StepId] {
        &self.critical_path
    }

    /// The sum of the critical path's estimates, in seconds.
    pub fn critical_path_seconds(&self) -> u32 {
        self.critical_path.iter().map(|id| self.graph[self.index[id]].estimate_seconds).sum()
    }

    /// Dependency edges (from, to), sorted.
    pub fn edges(&self) -> Vec<(&StepId, &StepId)> {
        let mut edges: Vec<(&StepId, &StepId)> = self
            .graph
            .edge_indices()
            .map(|e| {
                let (a, b) = self.graph.edge_endpoints(e).expect("edge");
                (&self.graph[a].id, &self.graph[b].id)
            })
            .collect();
        edges.sort();
        edges
    }

    /// Whether `to` depends on `from`, directly or not.
    pub fn depends(&self, to: &StepId, from: &StepId) -> bool {
        match (self.index.get(from), self.index.get(to)) {
            (Some(&a), Some(&b)) => a != b && has_path_connecting(&self.graph, a, b, None),
            _ => false,
        }
    }
}

/// Pass 1: a node per step, with its content hash.
fn add_nodes(
    steps: Vec<Step>,
    files: &BTreeMap<String, ArtifactFacts>,
    problems: &mut Vec<String>,
) -> (DiGraph<PlannedStep, ()>, HashMap<StepId, NodeIndex>) {
    let mut graph = DiGraph::new();
    let mut index = HashMap::with_capacity(steps.len());
    for step in steps {
        if index.contains_key(&step.id) {
            problems.push(format!("step {} is defined twice", step.id));
            continue;
        }
        let mut hasher = Sha256::new();
        hasher.update(serde_json::to_vec(&step.action).expect("actions serialize"));
        for path in &step.artifacts {
            match files.get(path) {
                Some(facts) => {
                    hasher.update(path.as_bytes());
                    hasher.update([0]);
                    hasher.update(facts.sha256.as_bytes());
                    hasher.update([0]);
                }
                None => problems.push(format!("step {} applies {path}, which was not generated", step.id)),
            }
        }
        let hash = to_hex(&hasher.finalize());
        let mut depends_on = step.depends_on;
        depends_on.sort();
        depends_on.dedup();
        let mut bindings = step.bindings;
        bindings.sort();
        let id = step.id.clone();
        let node = graph.add_node(PlannedStep {
            id: step.id,
            action: step.action,
            wave: 0,
            artifacts: step.artifacts,
            hash,
            depends_on,
            bindings,
            estimate_seconds: step.estimate_seconds,
        });
        index.insert(id, node);
    }
    (graph, index)
}

/// Pass 2: an edge from each dependency to its dependent.
fn add_edges(graph: &mut DiGraph<PlannedStep, ()>, index: &HashMap<StepId, NodeIndex>, problems: &mut Vec<String>) {
    let mut edges = Vec::with_capacity(graph.node_count() * 2);
    for node in graph.node_indices() {
        for dep in &graph[node].depends_on {
            match index.get(dep) {
                Some(&from) => edges.push((from, node)),
                None => problems.push(format!("step {} depends on {dep}, which is not a step", graph[node].id)),
            }
        }
    }
    for (from, to) in edges {
        graph.add_edge(from, to, ());
    }
}

/// Every cycle, as its steps sorted, cycles sorted: the same report on every run.
fn check_cycles(graph: &DiGraph<PlannedStep, ()>, problems: &mut Vec<String>) {
    let mut cycles: Vec<Vec<&str>> = tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
        .map(|scc| {
            let mut ids: Vec<&str> = scc.iter().map(|&n| graph[n].id.as_str()).collect();
            ids.sort_unstable();
            ids
        })
        .collect();
    cycles.sort();
    for cycle in cycles {
        problems.push(format!("dependency cycle through {}", cycle.join(" -> ")));
    }
}

/// A binding must come from a step that runs before: an ancestor. Bindings almost always come
/// from a direct dependency, which is checked first in constant time, so validation stays
/// linear at fleet scale; only the rest pay for a search.
fn check_bindings(graph: &DiGraph<PlannedStep, ()>, index: &HashMap<StepId, NodeIndex>, problems: &mut Vec<String>) {
    for node in graph.node_indices() {
        for binding in &graph[node].bindings {
            match index.get(&binding.from) {
                None => problems.push(format!(
                    "step {}: binding {} comes from {}, which is not a step",
                    graph[node].id, binding.input, binding.from
                )),
                Some(&from)
                    if from == node
                        || !(graph.contains_edge(from, node) || has_path_connecting(graph, from, node, None)) =>
                {
                    problems.push(format!(
                        "step {}: binding {} comes from {}, which does not run before it",
                        graph[node].id, binding.input, binding.from
                    ))
                }
                Some(_) => {}
            }
        }
    }
}

/// Every artifact is applied by exactly one step.
fn check_ownership(
    graph: &DiGraph<PlannedStep, ()>,
    files: &BTreeMap<String, ArtifactFacts>,
    unowned: &[&str],
    problems: &mut Vec<String>,
) {
    let mut owners: HashMap<&str, Vec<&str>> = HashMap::with_capacity(files.len());
    for node in graph.node_indices() {
        for path in &graph[node].artifacts {
            owners.entry(path).or_default().push(graph[node].id.as_str());
        }
    }
    for path in files.keys() {
        let owned_by = owners.get(path.as_str()).map(Vec::as_slice).unwrap_or_default();
        let exempt = unowned.contains(&path.as_str());
        match (owned_by.len(), exempt) {
            (0, false) => problems.push(format!("artifact {path} is applied by no step")),
            (1, false) | (0, true) => {}
            (_, true) => {
                problems.push(format!("artifact {path} is the plan's own, yet step {} applies it", owned_by[0]))
            }
            (_, false) => {
                problems.push(format!("artifact {path} is applied by more than one step: {}", owned_by.join(", ")))
            }
        }
    }
}

/// Each step's wave: 0 without dependencies, else one more than its latest dependency.
fn assign_waves(graph: &mut DiGraph<PlannedStep, ()>) -> Vec<Vec<StepId>> {
    let order = toposort(&*graph, None).expect("cycles were rejected");
    for node in order {
        let wave = graph
            .neighbors_directed(node, petgraph::Direction::Incoming)
            .map(|dep| graph[dep].wave + 1)
            .max()
            .unwrap_or(0);
        graph[node].wave = wave;
    }
    let count = graph.node_indices().map(|n| graph[n].wave + 1).max().unwrap_or(0);
    let mut waves: Vec<Vec<StepId>> = vec![Vec::new(); count];
    for node in graph.node_indices() {
        waves[graph[node].wave].push(graph[node].id.clone());
    }
    for wave in &mut waves {
        wave.sort_unstable();
    }
    waves
}

/// The heaviest path by estimated seconds; ties go to the smaller step id, so it is stable.
fn critical_path(graph: &DiGraph<PlannedStep, ()>) -> Vec<StepId> {
    let order = toposort(graph, None).expect("cycles were rejected");
    // Per node: the heaviest total ending at it, and the predecessor on that path.
    let mut best: Vec<(u64, Option<NodeIndex>)> = vec![(0, None); graph.node_count()];
    for &node in &order {
        let mut via: Option<NodeIndex> = None;
        for pred in graph.neighbors_directed(node, petgraph::Direction::Incoming) {
            let better = match via {
                None => best[pred.index()].0 > 0,
                Some(v) => {
                    let (a, b) = (best[pred.index()].0, best[v.index()].0);
                    a > b || (a == b && graph[pred].id < graph[v].id)
                }
            };
            if better {
                via = Some(pred);
            }
        }
        let base = via.map_or(0, |v| best[v.index()].0);
        best[node.index()] = (base + u64::from(graph[node].estimate_seconds), via);
    }
    let end = graph
        .node_indices()
        .min_by(|a, b| best[b.index()].0.cmp(&best[a.index()].0).then_with(|| graph[*a].id.cmp(&graph[*b].id)));
    let mut path = Vec::new();
    let mut at = end;
    while let Some(node) = at {
        path.push(graph[node].id.clone());
        at = best[node.index()].1;
    }
    path.reverse();
    path
}
