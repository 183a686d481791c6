//! The engine: walks the plan's graph, runs ready steps in parallel under a semaphore, retries
//! transient failures with backoff, skips the dependents of a failure while independent work
//! goes on, journals every step, and reports root causes only.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::artifacts::Artifacts;
use super::events::{Event, Sink};
use super::interrupt::{Interrupt, Level};
use super::lock::{LockScope, LockWait};
use super::provider::{Providers, Removal, StepError, StepOutcome, StepRun};
use super::retry::RetryPolicy;
use super::schedule::Schedule;
use super::select::Selection;
use super::state::{Journal, StateError, StateStore, Status, StepRecord};
use tenancy::contract::BindingTarget;
use tenancy::plan::{Action, DeployPlan, PlannedStep, StepId};

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
    /// Asks the apply to stop (SIGINT, SIGTERM): no new step starts, the running ones get
    /// `grace` to finish, then (or at a second request) they are cut off.
    pub interrupt: Interrupt,
    pub grace: Duration,
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
            interrupt: Interrupt::default(),
            grace: Duration::from_secs(60),
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
    /// Not started: an earlier failure and `--fail-fast`, or the apply was stopping.
    Cancelled {
        reason: String,
    },
    /// Running when the apply was interrupted, and cut off: what it started (a stack update, a
    /// build) may still be going on, and the next apply takes it up.
    Interrupted,
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
            Outcome::Cancelled { .. } => "cancelled",
            Outcome::Interrupted => "interrupted",
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

/// Why `--fail-fast` cancelled a step.
/// Why --fail-fast cancels a step: the step that failed first (the root cause it names).
pub fn fail_fast_reason(first: &StepId) -> String {
    format!("step {first} failed (--fail-fast)")
}

/// The text of a panic's payload (a `&str` or `String`, as `panic!` makes them).
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload.downcast_ref::<&str>().map_or_else(|| "(no message)".to_owned(), |s| (*s).to_owned()),
    }
}

/// Every step's outcome, in completion order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub steps: Vec<StepReport>,
    pub wall: Duration,
    /// Why the apply stopped starting steps before the end, if it did.
    pub stopped: Option<String>,
    /// Stopped by an interrupt (SIGINT, SIGTERM).
    pub interrupted: bool,
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
    #[error("interrupted before any step started")]
    Interrupted,
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

/// A finished task: the step, its outcome and outputs (none: it never started, the apply was
/// stopping when its turn came), how long and how many attempts.
type Done = (StepId, Result<StepOutcome, StepError>, Duration, u32);

/// The step id journal reads are reported under when they are retried.
const JOURNAL: &str = "journal";

/// Why a walk stopped starting steps.
#[derive(Default)]
struct Stopping {
    /// Set once the walk stops starting steps; read by tasks still waiting for a permit.
    halt: Arc<AtomicBool>,
    /// The first journal write that failed for good: the apply fails with it.
    journal: Option<StateError>,
    interrupted: bool,
    /// When the running steps are cut off (an interrupt's grace period ends).
    deadline: Option<tokio::time::Instant>,
    aborted: bool,
}

impl Stopping {
    fn stopped(&self) -> bool {
        self.journal.is_some() || self.interrupted
    }

    fn reason(&self) -> Option<String> {
        if self.interrupted {
            Some("interrupted".into())
        } else {
            self.journal.as_ref().map(|_| "the journal could not be written".into())
        }
    }
}

impl Engine {
    pub fn new(providers: Providers, options: Options, sink: Arc<dyn Sink>) -> Self {
        Self { providers, options, sink }
    }

    /// Applies `selection` of `plan`, whose artifacts are `files`, journaling into `store`. The
    /// lock of the selection's scope is held throughout and released (awaited) on every exit,
    /// error or not. Whatever stops the apply early (a journal that cannot be written, an
    /// interrupt), the running steps are waited for (an interrupt's within its grace period),
    /// what they did is journaled, and the summary is emitted before `run` returns.
    pub async fn run(
        &self,
        plan: &DeployPlan,
        files: &dyn Artifacts,
        selection: &Selection,
        store: &dyn StateStore,
    ) -> Result<Report, ApplyError> {
        let started = Instant::now();
        // A selection the plan cannot satisfy is a mistake of the caller's: refused before any
        // lock is taken, so it neither waits for nor blocks another apply.
        let selected = selection.steps_or_removal(plan, self.options.allow_delete).map_err(ApplyError::Selection)?;
        let interrupt = &self.options.interrupt;
        // An interrupt while waiting for the lock gives up the wait (a lock half taken is a
        // lease that ends by itself).
        let scope = LockScope::of_steps(selection, &selected);
        let lock = tokio::select! {
            lock = store.lock(&scope, self.options.lock_wait) => lock?,
            () = interrupt.reached(Level::Drain) => return Err(ApplyError::Interrupted),
        };
        let result = self.run_locked(plan, files, selection, &selected, store, started).await;
        let released = lock.release().await;
        match (result, released) {
            (Ok(report), Ok(())) => Ok(report),
            (Err(err), _) => Err(err),
            (Ok(_), Err(err)) => Err(err.into()),
        }
    }

    /// Loads the journal, retrying transient failures like a step.
    async fn load(&self, store: &dyn StateStore) -> Result<Journal, StateError> {
        let id = StepId::new(JOURNAL);
        let load = self.options.retry.run(
            || store.load(),
            StateError::is_transient,
            |attempt, delay, error| {
                let error = error.to_string();
                self.sink.event(&Event::Retrying { step: &id, attempt, delay, error: &error });
            },
        );
        tokio::select! {
            (loaded, _) = load => loaded,
            () = self.options.interrupt.reached(Level::Drain) => Err(StateError::Interrupted),
        }
    }

    /// Journals one step, retrying transient failures like a step; once the journal has failed
    /// for good, each later record is tried once (what the store still takes is kept).
    async fn record(
        &self,
        store: &dyn StateStore,
        id: &StepId,
        record: &StepRecord,
        stopping: &mut Stopping,
    ) -> Result<(), StateError> {
        let policy = if stopping.journal.is_some() {
            RetryPolicy { max_attempts: 1, ..self.options.retry }
        } else {
            self.options.retry
        };
        let (result, _) = policy
            .run(
                || store.record(id, record),
                StateError::is_transient,
                |attempt, delay, error| {
                    let error = format!("journal: {error}");
                    self.sink.event(&Event::Retrying { step: id, attempt, delay, error: &error });
                },
            )
            .await;
        result
    }

    async fn run_locked(
        &self,
        plan: &DeployPlan,
        files: &dyn Artifacts,
        selection: &Selection,
        selected: &BTreeSet<StepId>,
        store: &dyn StateStore,
        started: Instant,
    ) -> Result<Report, ApplyError> {
        let journal = match self.load(store).await {
            Ok(journal) => journal,
            Err(StateError::Interrupted) => return Err(ApplyError::Interrupted),
            Err(err) => return Err(err.into()),
        };

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
        let mut stopping = Stopping::default();
        self.walk(plan, files, selected, &journal, store, &mut report, &mut stopping).await;
        if !removals.is_empty() && !stopping.stopped() && (report.succeeded() || !self.options.fail_fast) {
            self.remove(removals, store, &mut report, &mut stopping).await;
        }
        report.wall = started.elapsed();
        report.stopped = stopping.reason();
        report.interrupted = stopping.interrupted;
        self.sink.event(&Event::Summary { report: &report });
        match stopping.journal {
            Some(err) => Err(err.into()),
            None => Ok(report),
        }
    }

    #[allow(clippy::too_many_arguments, reason = "the walk's state, passed once from run_locked")]
    async fn walk(
        &self,
        plan: &DeployPlan,
        files: &dyn Artifacts,
        selected: &BTreeSet<StepId>,
        journal: &Journal,
        store: &dyn StateStore,
        report: &mut Report,
        stopping: &mut Stopping,
    ) {
        let concurrency = self.options.concurrency.max(1);
        let mut outputs: BTreeMap<StepId, BTreeMap<String, String>> = journal
            .steps
            .iter()
            .filter(|(id, r)| r.status == Status::Applied && plan.step(id).is_some_and(|s| s.hash == r.hash))
            .map(|(id, r)| (id.clone(), r.outputs.clone()))
            .collect();
        let mut schedule = Schedule::new(plan, selected);
        // Failed or skipped steps, each with the root cause that stopped it: the step that
        // failed, never a step cancelled or skipped because of it.
        let mut blocked: BTreeMap<StepId, StepId> = BTreeMap::new();
        // The first step that failed (for --fail-fast: what every step it cancels names).
        let mut first_failure: Option<StepId> = None;
        let mut running: JoinSet<Done> = JoinSet::new();
        // Which task runs which step: a task cut off or panicking never reports its step.
        let mut tasks: BTreeMap<tokio::task::Id, (StepId, Instant)> = BTreeMap::new();
        // The digest of each started step's bound values, for its record.
        let mut digests: BTreeMap<StepId, Option<String>> = BTreeMap::new();
        // Steps ready to start, in the order they became ready; started while fewer than
        // `concurrency` run, so at most that many steps' artifacts are in memory at once.
        let mut startable: VecDeque<PlannedStep> = VecDeque::new();
        let interrupt = &self.options.interrupt;

        loop {
            // Settle every ready step that needs no provider (skipped, cancelled, unchanged,
            // unresolvable), releasing its dependents, until no step is ready; queue the rest.
            while let Some(round) = schedule.take_ready() {
                for id in round {
                    let step = plan.step(&id).expect("a step").clone();
                    let settled = if let Some(reason) = stopping.reason() {
                        blocked.insert(id.clone(), first_failure.clone().unwrap_or_else(|| id.clone()));
                        Some(Outcome::Cancelled { reason })
                    } else if let Some(cause) = step.depends_on.iter().find_map(|d| blocked.get(d)) {
                        let cause = cause.clone();
                        blocked.insert(id.clone(), cause.clone());
                        Some(Outcome::Skipped { because: cause })
                    } else if let Some(first) = first_failure.as_ref().filter(|_| self.options.fail_fast) {
                        blocked.insert(id.clone(), first.clone());
                        Some(Outcome::Cancelled { reason: fail_fast_reason(first) })
                    } else {
                        match resolve_inputs(&step, &outputs, self.options.dry_run) {
                            Err(error) => {
                                first_failure.get_or_insert_with(|| id.clone());
                                blocked.insert(id.clone(), id.clone());
                                Some(Outcome::Failed { error })
                            }
                            Ok(inputs) => {
                                let rerun = matches!(step.action, Action::Codebuild { rerun: true, .. });
                                let digest = inputs_digest(&inputs);
                                if !rerun && journal.is_unchanged(&id, &step.hash, digest.as_deref()) {
                                    Some(Outcome::Unchanged)
                                } else {
                                    digests.insert(id.clone(), digest);
                                    startable.push_back(step.clone());
                                    None
                                }
                            }
                        }
                    };
                    if let Some(outcome) = settled {
                        self.finish(report, &step, outcome, Duration::ZERO, 0);
                        schedule.finished(&id);
                    }
                }
            }

            // Start what fits. A step that cannot start any more (the apply is stopping, or
            // --fail-fast saw a failure) is settled instead, which may make others ready.
            let mut settled_any = false;
            while running.len() < concurrency {
                let Some(step) = startable.pop_front() else { break };
                let id = step.id.clone();
                let refused = if let Some(reason) = stopping.reason() {
                    blocked.insert(id.clone(), first_failure.clone().unwrap_or_else(|| id.clone()));
                    Some(Outcome::Cancelled { reason })
                } else if let Some(first) = first_failure.as_ref().filter(|_| self.options.fail_fast) {
                    blocked.insert(id.clone(), first.clone());
                    Some(Outcome::Cancelled { reason: fail_fast_reason(first) })
                } else {
                    None
                };
                if let Some(outcome) = refused {
                    self.finish(report, &step, outcome, Duration::ZERO, 0);
                    schedule.finished(&id);
                    settled_any = true;
                    continue;
                }
                // Read when the step starts: the fleet's text is never held at once.
                let artifacts: Result<BTreeMap<String, String>, StepError> =
                    step.artifacts.iter().map(|p| files.read(p).map(|text| (p.clone(), text))).collect();
                let artifacts = match artifacts {
                    Ok(artifacts) => artifacts,
                    Err(error) => {
                        first_failure.get_or_insert_with(|| id.clone());
                        blocked.insert(id.clone(), id.clone());
                        self.finish(report, &step, Outcome::Failed { error: error.message }, Duration::ZERO, 0);
                        schedule.finished(&id);
                        settled_any = true;
                        continue;
                    }
                };
                let inputs = resolve_inputs(&step, &outputs, self.options.dry_run).expect("resolved when it was ready");
                let run = StepRun { step, inputs, artifacts, dry_run: self.options.dry_run };
                let task = self.spawn(&mut running, run);
                tasks.insert(task, (id, Instant::now()));
            }
            if settled_any {
                continue;
            }

            let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
            let joined = tokio::select! {
                // Finished steps first: what completed before a cut-off is journaled.
                biased;
                joined = running.join_next_with_id() => joined,
                () = interrupt.reached(Level::Drain), if !stopping.interrupted => {
                    stopping.interrupted = true;
                    stopping.halt.store(true, Ordering::SeqCst);
                    stopping.deadline = Some(tokio::time::Instant::now() + self.options.grace);
                    continue;
                }
                () = tokio::time::sleep_until(stopping.deadline.unwrap_or(far)),
                    if stopping.deadline.is_some() && !stopping.aborted => {
                    stopping.aborted = true;
                    running.abort_all();
                    continue;
                }
                () = interrupt.reached(Level::Abort), if stopping.interrupted && !stopping.aborted => {
                    stopping.aborted = true;
                    running.abort_all();
                    continue;
                }
            };
            let Some(joined) = joined else {
                // Nothing runs: either everything is settled, or the steps left wait for ones
                // that can no longer finish (none: every selected step is released in order).
                if startable.is_empty() && schedule.is_idle() {
                    break;
                }
                continue;
            };
            let (id, result, duration, attempts) = match joined {
                Ok((task, done)) => {
                    tasks.remove(&task);
                    done
                }
                Err(err) if err.is_cancelled() => {
                    let (id, _) = tasks.remove(&err.id()).expect("a spawned step");
                    blocked.insert(id.clone(), id.clone());
                    let step = plan.step(&id).expect("a step").clone();
                    self.finish(report, &step, Outcome::Interrupted, Duration::ZERO, 0);
                    schedule.finished(&id);
                    continue;
                }
                // A provider that panics fails its own step; every other step goes on.
                Err(err) => {
                    let (id, started) = tasks.remove(&err.id()).expect("a spawned step");
                    let message = panic_message(err.into_panic());
                    let error = StepError::fatal(format!(
                        "the {} provider panicked: {message}",
                        plan.step(&id).expect("a step").action.kind()
                    ));
                    (id, Err(error), started.elapsed(), 1)
                }
            };
            schedule.finished(&id);
            let step = plan.step(&id).expect("a step").clone();
            let record = StepRecord {
                state: result.as_ref().ok().and_then(|o| o.state.clone()),
                hash: step.hash.clone(),
                status: if result.is_ok() { Status::Applied } else { Status::Failed },
                action: step.action.clone(),
                outputs: result.as_ref().map(|o| o.outputs.clone()).unwrap_or_default(),
                error: result.as_ref().err().map(|e| e.message.clone()),
                inputs: digests.get(&id).cloned().flatten(),
            };
            let journaled =
                if self.options.dry_run { Ok(()) } else { self.record(store, &id, &record, stopping).await };
            if let Err(err) = journaled {
                // What the step did is not in the journal: the next apply runs it again. The
                // steps still running are drained (this loop goes on until none is left).
                first_failure.get_or_insert_with(|| id.clone());
                blocked.insert(id.clone(), id.clone());
                let done = if result.is_ok() { "ran" } else { "failed" };
                let error = format!("{done}, but could not be journaled: {err}");
                self.finish(report, &step, Outcome::Failed { error }, duration, attempts);
                stopping.halt.store(true, Ordering::SeqCst);
                stopping.journal.get_or_insert(err);
                continue;
            }
            match result {
                Ok(outcome) => {
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
                    first_failure.get_or_insert_with(|| id.clone());
                    blocked.insert(id.clone(), id.clone());
                    self.finish(report, &step, Outcome::Failed { error: error.message }, duration, attempts);
                }
            }
        }
    }

    /// Runs one step in a task: calls its provider, retrying transient failures.
    fn spawn(&self, running: &mut JoinSet<Done>, run: StepRun) -> tokio::task::Id {
        let provider = self.providers.clone();
        let retry = self.options.retry;
        let sink = self.sink.clone();
        running
            .spawn(async move {
                let id = run.step.id.clone();
                sink.event(&Event::Started { step: &id, kind: run.step.action.kind() });
                let started = Instant::now();
                let (result, attempts) = retry
                    .run(
                        || provider.for_action(&run.step.action).apply(&run),
                        |error: &StepError| error.transient,
                        |attempt, delay, error| {
                            sink.event(&Event::Retrying { step: &id, attempt, delay, error: &error.message });
                        },
                    )
                    .await;
                (id, result, started.elapsed(), attempts)
            })
            .id()
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
        stopping: &mut Stopping,
    ) {
        let mut by_tenant: BTreeMap<String, Vec<Removal>> = BTreeMap::new();
        for removal in removals {
            by_tenant.entry(removal.id.tenant().unwrap_or_default().to_owned()).or_default().push(removal);
        }
        let semaphore = Arc::new(Semaphore::new(self.options.concurrency.max(1)));
        let mut running = JoinSet::new();
        // Each task's chain, for a task that panics (its results never come back).
        let mut chains: BTreeMap<tokio::task::Id, Removal> = BTreeMap::new();
        for (_, mut chain) in by_tenant {
            chain.sort_by_key(|r| removal_order(&r.action));
            let first = chain[0].clone();
            let providers = self.providers.clone();
            let semaphore = semaphore.clone();
            let dry_run = self.options.dry_run;
            let sink = self.sink.clone();
            let halt = stopping.halt.clone();
            let task = running.spawn(async move {
                let _permit = semaphore.acquire_owned().await.expect("open");
                let mut done = Vec::new();
                for removal in chain {
                    if halt.load(Ordering::SeqCst) {
                        break; // the apply is stopping: the next one removes the rest
                    }
                    sink.event(&Event::Started { step: &removal.id, kind: "remove" });
                    let started = Instant::now();
                    let result = if dry_run {
                        Ok(StepOutcome {
                            state: None,
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
            chains.insert(task.id(), first);
        }
        while let Some(joined) = running.join_next_with_id().await {
            let done = match joined {
                Ok((task, done)) => {
                    chains.remove(&task);
                    done
                }
                // A provider that panics fails its tenant's removal; the other tenants go on.
                // Nothing of the chain is journaled as removed: the next apply removes again
                // (each removal is idempotent: a stack or object already gone is success).
                Err(err) => {
                    let first = chains.remove(&err.id()).expect("a spawned removal");
                    let kind = first.action.kind();
                    let error = if err.is_panic() {
                        format!("the {kind} provider panicked: {}", panic_message(err.into_panic()))
                    } else {
                        "the removal was cut off".to_owned()
                    };
                    vec![(first, Err(StepError::fatal(error)), Duration::ZERO)]
                }
            };
            for (removal, result, duration) in done {
                let outcome = match result {
                    Ok(outcome) => {
                        let record = StepRecord {
                            state: removal.state.clone(),
                            hash: String::new(),
                            status: Status::Removed,
                            action: removal.action.clone(),
                            outputs: removal.outputs.clone(),
                            error: None,
                            inputs: None,
                        };
                        let journaled = if self.options.dry_run {
                            Ok(())
                        } else {
                            self.record(store, &removal.id, &record, stopping).await
                        };
                        match journaled {
                            Err(err) => {
                                let error = format!("removed, but could not be journaled: {err}");
                                stopping.halt.store(true, Ordering::SeqCst);
                                stopping.journal.get_or_insert(err);
                                Outcome::Failed { error }
                            }
                            Ok(()) if self.options.dry_run => Outcome::Planned { summary: outcome.summary },
                            Ok(()) => Outcome::Removed { summary: outcome.summary },
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
    }
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
        .map(|(id, record)| Removal {
            id: id.clone(),
            action: record.action.clone(),
            outputs: record.outputs.clone(),
            state: record.state.clone(),
        })
        .collect()
}

/// A digest of a step's resolved inputs, none for a step without bindings.
fn inputs_digest(inputs: &BTreeMap<BindingTarget, String>) -> Option<String> {
    if inputs.is_empty() {
        return None;
    }
    // Over the text forms, in their order: the digests journals hold stay what they were.
    let inputs: BTreeMap<String, &String> = inputs.iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut text = String::new();
    for (input, value) in inputs {
        text.push_str(&input);
        text.push('\0');
        text.push_str(value);
        text.push('\0');
    }
    Some(tenancy::plan::hex_digest(text.as_bytes()))
}

/// The values of a step's bindings, from the outputs of the steps they come from.
fn resolve_inputs(
    step: &PlannedStep,
    outputs: &BTreeMap<StepId, BTreeMap<String, String>>,
    dry_run: bool,
) -> Result<BTreeMap<BindingTarget, String>, String> {
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
