//! The engine: walks the plan's graph, runs ready steps in parallel under a semaphore, retries
//! transient failures with backoff, skips the dependents of a failure while independent work
//! goes on, journals every step, and reports root causes only.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::events::{Event, Sink};
use super::lock::{LockScope, LockWait};
use super::provider::{Providers, Removal, StepError, StepOutcome, StepRun};
use super::retry::RetryPolicy;
use super::select::Selection;
use super::state::{Journal, StateError, StateStore, Status, StepRecord};
use crate::plan::{Action, DeployPlan, PlannedStep, StepId};

/// How an apply runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub concurrency: usize,
    pub fail_fast: bool,
    pub dry_run: bool,
    pub allow_delete: bool,
    pub retry: RetryPolicy,
    /// How long to wait for a lock another apply holds on an overlapping part of the plan.
    pub lock_wait: LockWait,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            concurrency: 8,
            fail_fast: false,
            dry_run: false,
            allow_delete: false,
            retry: RetryPolicy::default(),
            lock_wait: LockWait::default(),
        }
    }
}

/// What happened to one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied {
        summary: Vec<String>,
    },
    /// Already applied with the same hash: not touched.
    Unchanged,
    /// Dry run: what would change.
    Planned {
        summary: Vec<String>,
    },
    /// Not run because `because` failed (the root cause, not the step in between).
    Skipped {
        because: StepId,
    },
    /// Not started: an earlier failure and `--fail-fast`.
    Cancelled,
    Failed {
        error: String,
    },
    Removed {
        summary: Vec<String>,
    },
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Applied { .. } => "applied",
            Outcome::Unchanged => "unchanged",
            Outcome::Planned { .. } => "planned",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed { .. } => "failed",
            Outcome::Removed { .. } => "removed",
        }
    }

    fn succeeded(&self) -> bool {
        matches!(self, Outcome::Applied { .. } | Outcome::Unchanged | Outcome::Planned { .. } | Outcome::Removed { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    pub id: StepId,
    pub kind: &'static str,
    pub outcome: Outcome,
    pub duration: Duration,
    pub attempts: u32,
}

/// Every step's outcome, in completion order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub steps: Vec<StepReport>,
    pub wall: Duration,
}

impl Report {
    pub fn count(&self, label: &str) -> usize {
        self.steps.iter().filter(|s| s.outcome.label() == label).count()
    }

    pub fn succeeded(&self) -> bool {
        self.steps.iter().all(|s| s.outcome.succeeded())
    }

    /// The failures that caused everything else not to run.
    pub fn root_causes(&self) -> Vec<&StepReport> {
        self.steps.iter().filter(|s| matches!(s.outcome, Outcome::Failed { .. })).collect()
    }

    pub fn outcome(&self, id: &str) -> Option<&Outcome> {
        self.steps.iter().find(|s| s.id.as_str() == id).map(|s| &s.outcome)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("{0}")]
    Selection(String),
    #[error(
        "these steps must be applied before {selection} (include them, or apply them first):\n  - {}",
        .missing.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  - ")
    )]
    UpstreamNotApplied { selection: String, missing: Vec<StepId> },
    #[error(
        "the blueprint no longer lists what these applied steps created; rerun with --allow-delete to remove them:\n  - {}",
        .removals.iter().map(|r| format!("{} ({})", r.id, describe(&r.action))).collect::<Vec<_>>().join("\n  - ")
    )]
    WouldDelete { removals: Vec<Removal> },
}

fn describe(action: &Action) -> String {
    match action {
        Action::Cloudformation { stack, region, .. } => format!("delete stack {stack} in {region}"),
        Action::Kubernetes { bundle, namespace } => {
            format!(
                "delete the objects of {bundle}{}",
                namespace.as_ref().map(|n| format!(", namespace {n} last")).unwrap_or_default()
            )
        }
        Action::Codebuild { project, .. } => format!("nothing to undo for build project {project}"),
        Action::Register { table, tenant, .. } => format!("mark tenant {tenant} deleted in {table}"),
    }
}

pub struct Engine {
    providers: Providers,
    options: Options,
    sink: Arc<dyn Sink>,
}

/// A finished task: the step, its outcome and outputs, how long and how many attempts.
type Done = (StepId, Result<StepOutcome, StepError>, Duration, u32);

impl Engine {
    pub fn new(providers: Providers, options: Options, sink: Arc<dyn Sink>) -> Self {
        Self { providers, options, sink }
    }

    /// Applies `selection` of `plan`, whose artifacts are `files`, journaling into `store`. The
    /// lock of the selection's scope is held throughout and released (awaited) on every exit,
    /// error or not.
    pub async fn run(
        &self,
        plan: &DeployPlan,
        files: &BTreeMap<String, String>,
        selection: &Selection,
        store: &dyn StateStore,
    ) -> Result<Report, ApplyError> {
        let started = Instant::now();
        // A selection the plan cannot satisfy is a mistake of the caller's: refused before any
        // lock is taken, so it neither waits for nor blocks another apply.
        let selected = selection.steps(plan).map_err(ApplyError::Selection)?;
        let lock = store.lock(&LockScope::of(selection), self.options.lock_wait).await?;
        let result = self.run_locked(plan, files, selection, &selected, store, started).await;
        let released = lock.release().await;
        match (result, released) {
            (Ok(report), Ok(())) => Ok(report),
            (Err(err), _) => Err(err),
            (Ok(_), Err(err)) => Err(err.into()),
        }
    }

    async fn run_locked(
        &self,
        plan: &DeployPlan,
        files: &BTreeMap<String, String>,
        selection: &Selection,
        selected: &BTreeSet<StepId>,
        store: &dyn StateStore,
        started: Instant,
    ) -> Result<Report, ApplyError> {
        let journal = store.load().await?;

        // Upstream steps outside the selection must already be applied as planned.
        let mut missing: BTreeSet<StepId> = BTreeSet::new();
        for id in selected {
            for dep in &plan.step(id).expect("selected from the plan").depends_on {
                let current = journal.is_current(dep, &plan.step(dep).expect("a step").hash);
                if !selected.contains(dep) && !current {
                    missing.insert(dep.clone());
                }
            }
        }
        if !missing.is_empty() {
            return Err(ApplyError::UpstreamNotApplied {
                selection: selection.to_string(),
                missing: missing.into_iter().collect(),
            });
        }

        let removals = removals(plan, &journal, selection);
        if !removals.is_empty() && !self.options.allow_delete {
            return Err(ApplyError::WouldDelete { removals });
        }

        let mut report = Report::default();
        self.walk(plan, files, selected, &journal, store, &mut report).await?;
        if !removals.is_empty() && (report.succeeded() || !self.options.fail_fast) {
            self.remove(removals, store, &mut report).await?;
        }
        report.wall = started.elapsed();
        self.sink.event(&Event::Summary { report: &report });
        Ok(report)
    }

    async fn walk(
        &self,
        plan: &DeployPlan,
        files: &BTreeMap<String, String>,
        selected: &BTreeSet<StepId>,
        journal: &Journal,
        store: &dyn StateStore,
        report: &mut Report,
    ) -> Result<(), ApplyError> {
        let semaphore = Arc::new(Semaphore::new(self.options.concurrency.max(1)));
        let mut outputs: BTreeMap<StepId, BTreeMap<String, String>> = journal
            .steps
            .iter()
            .filter(|(id, r)| r.status == Status::Applied && plan.step(id).is_some_and(|s| s.hash == r.hash))
            .map(|(id, r)| (id.clone(), r.outputs.clone()))
            .collect();
        // Failed or skipped steps, each with the root cause that stopped it.
        let mut blocked: BTreeMap<StepId, StepId> = BTreeMap::new();
        let mut finished: BTreeSet<StepId> = BTreeSet::new();
        let mut pending: BTreeSet<StepId> = selected.clone();
        let mut running: JoinSet<Done> = JoinSet::new();
        let mut failed_once = false;
        // The digest of each started step's bound values, for its record.
        let mut digests: BTreeMap<StepId, Option<String>> = BTreeMap::new();

        loop {
            // Start (or settle) every pending step whose dependencies are settled, until settling
            // steps frees no more.
            loop {
                let ready: Vec<StepId> = pending
                    .iter()
                    .filter(|id| {
                        let deps = &plan.step(id).expect("a step").depends_on;
                        deps.iter().all(|d| !pending.contains(d) && !is_running(d, &finished, selected, &pending))
                    })
                    .cloned()
                    .collect();
                if ready.is_empty() {
                    break;
                }
                for id in ready {
                    pending.remove(&id);
                    let step = plan.step(&id).expect("a step").clone();
                    if let Some(cause) = step.depends_on.iter().find_map(|d| blocked.get(d)) {
                        let cause = cause.clone();
                        blocked.insert(id.clone(), cause.clone());
                        finished.insert(id.clone());
                        self.finish(report, &step, Outcome::Skipped { because: cause }, Duration::ZERO, 0);
                        continue;
                    }
                    if failed_once && self.options.fail_fast {
                        blocked.insert(id.clone(), id.clone());
                        finished.insert(id.clone());
                        self.finish(report, &step, Outcome::Cancelled, Duration::ZERO, 0);
                        continue;
                    }
                    let inputs = match resolve_inputs(&step, &outputs, self.options.dry_run) {
                        Ok(inputs) => inputs,
                        Err(error) => {
                            failed_once = true;
                            blocked.insert(id.clone(), id.clone());
                            finished.insert(id.clone());
                            self.finish(report, &step, Outcome::Failed { error }, Duration::ZERO, 0);
                            continue;
                        }
                    };
                    let rerun = matches!(step.action, Action::Codebuild { rerun: true, .. });
                    if !rerun && journal.is_unchanged(&id, &step.hash, inputs_digest(&inputs).as_deref()) {
                        finished.insert(id.clone());
                        self.finish(report, &step, Outcome::Unchanged, Duration::ZERO, 0);
                        continue;
                    }
                    let artifacts =
                        step.artifacts.iter().filter_map(|p| files.get(p).map(|b| (p.clone(), b.clone()))).collect();
                    digests.insert(id.clone(), inputs_digest(&inputs));
                    let run = StepRun { step, inputs, artifacts, dry_run: self.options.dry_run };
                    self.spawn(&mut running, run, semaphore.clone());
                }
            }

            let Some(joined) = running.join_next().await else { break };
            let (id, result, duration, attempts) = joined.expect("a step task panicked");
            finished.insert(id.clone());
            let step = plan.step(&id).expect("a step").clone();
            match result {
                Ok(outcome) => {
                    if !self.options.dry_run {
                        let record = StepRecord {
                            hash: step.hash.clone(),
                            status: Status::Applied,
                            action: step.action.clone(),
                            outputs: outcome.outputs.clone(),
                            error: None,
                            inputs: digests.get(&id).cloned().flatten(),
                        };
                        store.record(&id, &record).await?;
                    }
                    outputs.insert(id.clone(), outcome.outputs.clone());
                    // A rerun step (the images build) that made what it made before, for the
                    // same plan, changed nothing.
                    let same_again = matches!(step.action, Action::Codebuild { rerun: true, .. })
                        && journal.steps.get(&id).is_some_and(|r| {
                            r.status == Status::Applied && r.hash == step.hash && r.outputs == outcome.outputs
                        });
                    let result = if self.options.dry_run {
                        Outcome::Planned { summary: outcome.summary }
                    } else if outcome.changed && !same_again {
                        Outcome::Applied { summary: outcome.summary }
                    } else {
                        Outcome::Unchanged
                    };
                    self.finish(report, &step, result, duration, attempts);
                }
                Err(error) => {
                    failed_once = true;
                    blocked.insert(id.clone(), id.clone());
                    if !self.options.dry_run {
                        let record = StepRecord {
                            hash: step.hash.clone(),
                            status: Status::Failed,
                            action: step.action.clone(),
                            outputs: BTreeMap::new(),
                            error: Some(error.message.clone()),
                            inputs: digests.get(&id).cloned().flatten(),
                        };
                        store.record(&id, &record).await?;
                    }
                    self.finish(report, &step, Outcome::Failed { error: error.message }, duration, attempts);
                }
            }
        }
        Ok(())
    }

    fn spawn(&self, running: &mut JoinSet<Done>, run: StepRun, semaphore: Arc<Semaphore>) {
        let provider = self.providers.clone();
        let retry = self.options.retry;
        let sink = self.sink.clone();
        running.spawn(async move {
            let _permit = semaphore.acquire_owned().await.expect("the semaphore is never closed");
            let id = run.step.id.clone();
            sink.event(&Event::Started { step: &id, kind: run.step.action.kind() });
            let started = Instant::now();
            let mut attempt = 1;
            let result = loop {
                match provider.for_action(&run.step.action).apply(&run).await {
                    Err(error) if error.transient && attempt < retry.max_attempts => {
                        let delay = retry.delay(attempt);
                        sink.event(&Event::Retrying { step: &id, attempt, delay, error: &error.message });
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                    }
                    other => break other,
                }
            };
            (id, result, started.elapsed(), attempt)
        });
    }

    fn finish(&self, report: &mut Report, step: &PlannedStep, outcome: Outcome, duration: Duration, attempts: u32) {
        let entry = StepReport { id: step.id.clone(), kind: step.action.kind(), outcome, duration, attempts };
        self.sink.event(&Event::Finished { report: &entry });
        report.steps.push(entry);
    }

    /// Offboarding: per removed tenant, its bundle, then its stack, then its record; tenants in
    /// parallel under the same semaphore.
    async fn remove(
        &self,
        removals: Vec<Removal>,
        store: &dyn StateStore,
        report: &mut Report,
    ) -> Result<(), ApplyError> {
        let mut by_tenant: BTreeMap<String, Vec<Removal>> = BTreeMap::new();
        for removal in removals {
            by_tenant.entry(removal.id.tenant().unwrap_or_default().to_owned()).or_default().push(removal);
        }
        let semaphore = Arc::new(Semaphore::new(self.options.concurrency.max(1)));
        let mut running = JoinSet::new();
        for (_, mut chain) in by_tenant {
            chain.sort_by_key(|r| removal_order(&r.action));
            let providers = self.providers.clone();
            let semaphore = semaphore.clone();
            let dry_run = self.options.dry_run;
            let sink = self.sink.clone();
            running.spawn(async move {
                let _permit = semaphore.acquire_owned().await.expect("open");
                let mut done = Vec::new();
                for removal in chain {
                    sink.event(&Event::Started { step: &removal.id, kind: "remove" });
                    let started = Instant::now();
                    let result = if dry_run {
                        Ok(StepOutcome {
                            changed: true,
                            outputs: BTreeMap::new(),
                            summary: vec![describe(&removal.action)],
                        })
                    } else {
                        providers.for_action(&removal.action).remove(&removal).await
                    };
                    let failed = result.is_err();
                    done.push((removal, result, started.elapsed()));
                    if failed {
                        break; // never delete a stack whose bundle could not be removed
                    }
                }
                done
            });
        }
        while let Some(joined) = running.join_next().await {
            for (removal, result, duration) in joined.expect("a removal task panicked") {
                let outcome = match result {
                    Ok(outcome) => {
                        if !self.options.dry_run {
                            let record = StepRecord {
                                hash: String::new(),
                                status: Status::Removed,
                                action: removal.action.clone(),
                                outputs: removal.outputs.clone(),
                                error: None,
                                inputs: None,
                            };
                            store.record(&removal.id, &record).await?;
                        }
                        if self.options.dry_run {
                            Outcome::Planned { summary: outcome.summary }
                        } else {
                            Outcome::Removed { summary: outcome.summary }
                        }
                    }
                    Err(error) => Outcome::Failed { error: error.message },
                };
                let entry =
                    StepReport { id: removal.id.clone(), kind: removal.action.kind(), outcome, duration, attempts: 1 };
                self.sink.event(&Event::Finished { report: &entry });
                report.steps.push(entry);
            }
        }
        Ok(())
    }
}

/// A dependency is still running when it is selected, neither pending nor finished.
fn is_running(
    dep: &StepId,
    finished: &BTreeSet<StepId>,
    selected: &BTreeSet<StepId>,
    pending: &BTreeSet<StepId>,
) -> bool {
    selected.contains(dep) && !pending.contains(dep) && !finished.contains(dep)
}

/// Bundle first, then stack, then record: the reverse of how they were created.
fn removal_order(action: &Action) -> u8 {
    match action {
        Action::Kubernetes { .. } => 0,
        Action::Codebuild { .. } => 1,
        Action::Cloudformation { .. } => 2,
        Action::Register { .. } => 3,
    }
}

/// Steps the journal holds as applied for tenants the plan no longer has, within `selection`.
fn removals(plan: &DeployPlan, journal: &Journal, selection: &Selection) -> Vec<Removal> {
    journal
        .steps
        .iter()
        .filter(|(id, record)| record.status == Status::Applied && plan.step(id).is_none())
        .filter(|(id, _)| id.tenant().is_some_and(|t| selection.covers_tenant(t)))
        .map(|(id, record)| Removal { id: id.clone(), action: record.action.clone(), outputs: record.outputs.clone() })
        .collect()
}

/// A digest of a step's resolved inputs, none for a step without bindings.
fn inputs_digest(inputs: &BTreeMap<String, String>) -> Option<String> {
    if inputs.is_empty() {
        return None;
    }
    let mut text = String::new();
    for (input, value) in inputs {
        text.push_str(input);
        text.push('\0');
        text.push_str(value);
        text.push('\0');
    }
    Some(crate::plan::hex_digest(text.as_bytes()))
}

/// The values of a step's bindings, from the outputs of the steps they come from.
fn resolve_inputs(
    step: &PlannedStep,
    outputs: &BTreeMap<StepId, BTreeMap<String, String>>,
    dry_run: bool,
) -> Result<BTreeMap<String, String>, String> {
    let mut inputs = BTreeMap::new();
    for binding in &step.bindings {
        let value = outputs.get(&binding.from).and_then(|o| o.get(&binding.output));
        match value {
            Some(value) => {
                inputs.insert(binding.input.clone(), value.clone());
            }
            None if dry_run => {
                inputs.insert(binding.input.clone(), format!("(known after {} is applied)", binding.from));
            }
            None => {
                return Err(format!(
                    "binding {}: step {} has no output {}",
                    binding.input, binding.from, binding.output
                ));
            }
        }
    }
    Ok(inputs)
}
