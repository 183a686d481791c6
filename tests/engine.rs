//! The apply engine with fault-injecting fake providers (no AWS, no cluster): parallelism
//! bounded by the critical path, failures that skip exactly their dependents, throttling
//! retried, interrupted applies resumed without redoing work, the lock, offboarding and
//! selections. Time is tokio's paused clock, so durations are exact and nothing flakes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tenancy::plan::{Action, DeployPlan, Step, StepId};
use tenancy_apply::{
    ApplyError, Engine, LocalState, LockWait, Options, Outcome, Provider, Providers, Quiet, Removal, RetryPolicy,
    Selection, StateError, StateStore, StepError, StepOutcome, StepRun,
};

/// A provider that takes `latency` per step, fails the steps in `fail`, throttles each step in
/// `throttle` that many times first, and counts what it created.
#[derive(Default)]
struct Fake {
    latency: Duration,
    fail: BTreeSet<String>,
    throttle: Mutex<BTreeMap<String, u32>>,
    calls: Mutex<Vec<String>>,
    created: Mutex<BTreeMap<String, u32>>,
    removed: Mutex<Vec<String>>,
    /// Hang forever on these steps (to interrupt an apply mid-way).
    hang: BTreeSet<String>,
    /// Per step, a latency other than `latency`.
    slow: BTreeMap<String, Duration>,
    /// Panic on these steps (a provider bug).
    panic: BTreeSet<String>,
}

#[async_trait]
impl Provider for Fake {
    async fn apply(&self, run: &StepRun) -> Result<StepOutcome, StepError> {
        let id = run.step.id.to_string();
        self.calls.lock().unwrap().push(id.clone());
        tokio::time::sleep(self.slow.get(&id).copied().unwrap_or(self.latency)).await;
        if self.hang.contains(&id) {
            std::future::pending::<()>().await;
        }
        if let Some(left) = self.throttle.lock().unwrap().get_mut(&id).filter(|n| **n > 0) {
            *left -= 1;
            return Err(StepError::transient("Throttling: Rate exceeded"));
        }
        if self.fail.contains(&id) {
            return Err(StepError::fatal(format!("{id} broke")));
        }
        if self.panic.contains(&id) {
            panic!("index out of bounds in {id}");
        }
        if !run.dry_run {
            *self.created.lock().unwrap().entry(id.clone()).or_default() += 1;
        }
        Ok(StepOutcome {
            state: None,
            changed: true,
            outputs: BTreeMap::from([("Out".to_owned(), format!("value-of-{id}"))]),
            summary: vec![format!("created {id}")],
        })
    }

    async fn remove(&self, removal: &Removal) -> Result<StepOutcome, StepError> {
        self.removed.lock().unwrap().push(removal.id.to_string());
        Ok(StepOutcome { changed: true, ..StepOutcome::default() })
    }
}

fn step(id: &str, deps: &[&str], estimate: u32) -> Step {
    Step {
        id: StepId::new(id),
        action: Action::Register { table: "t".into(), tenant: id.into(), tier: "x".into(), domain: "d".into() },
        artifacts: vec![],
        depends_on: deps.iter().map(|d| StepId::new(*d)).collect(),
        bindings: vec![],
        estimate_seconds: estimate,
    }
}

/// A small platform-shaped plan: a baseline chain and `tenants` tenants of three steps each.
fn plan(tenants: usize) -> DeployPlan {
    let mut steps = vec![step("baseline/a", &[], 1), step("baseline/b", &["baseline/a"], 1)];
    for t in 0..tenants {
        let s = |part: &str| format!("tenant/t{t}/{part}");
        steps.push(step(&s("stack"), &["baseline/b"], 1));
        steps.push(step(&s("k8s"), &[&s("stack")], 1));
        steps.push(step(&s("register"), &[&s("k8s")], 1));
    }
    DeployPlan::build(steps, &BTreeMap::new(), &[]).unwrap()
}

fn engine(fake: Arc<Fake>, options: Options) -> Engine {
    Engine::new(Providers::all(fake), options, Arc::new(Quiet))
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy { max_attempts: 5, base: Duration::from_millis(100), cap: Duration::from_secs(1) }
}

#[tokio::test(start_paused = true)]
async fn with_enough_concurrency_wall_time_is_the_critical_path() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Fake { latency: Duration::from_secs(10), ..Fake::default() });
    let plan = plan(20); // 62 steps; the critical path is 5 steps long
    let started = tokio::time::Instant::now();
    let report = engine(fake.clone(), Options { concurrency: 64, ..Options::default() })
        .run(&plan, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    assert!(report.succeeded());
    assert_eq!(report.count("applied"), 62);
    assert_eq!(started.elapsed(), Duration::from_secs(50), "5 steps on the critical path x 10s");

    // With 4 at a time, 60 tenant steps take at least 15 rounds after the baseline.
    let dir = tempfile::tempdir().unwrap();
    let started = tokio::time::Instant::now();
    engine(
        Arc::new(Fake { latency: Duration::from_secs(10), ..Fake::default() }),
        Options { concurrency: 4, ..Options::default() },
    )
    .run(&plan, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
    .await
    .unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(20 + 150));
}

#[tokio::test(start_paused = true)]
async fn a_failure_skips_exactly_its_dependents_and_independent_work_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Fake { fail: BTreeSet::from(["tenant/t1/stack".to_owned()]), ..Fake::default() });
    let report = engine(fake.clone(), Options::default())
        .run(&plan(3), &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    assert!(!report.succeeded());
    assert_eq!(report.outcome("tenant/t1/stack"), Some(&Outcome::Failed { error: "tenant/t1/stack broke".into() }));
    let because = Outcome::Skipped { because: StepId::new("tenant/t1/stack") };
    assert_eq!(report.outcome("tenant/t1/k8s"), Some(&because));
    assert_eq!(report.outcome("tenant/t1/register"), Some(&because), "skips name the root cause");
    for other in ["tenant/t0/register", "tenant/t2/register"] {
        assert!(matches!(report.outcome(other), Some(Outcome::Applied { .. })), "{other}");
    }
    assert_eq!(report.root_causes().len(), 1);
    let calls = fake.calls.lock().unwrap().clone();
    assert!(!calls.contains(&"tenant/t1/k8s".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn fail_fast_starts_nothing_new_after_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Fake { fail: BTreeSet::from(["baseline/a".to_owned()]), ..Fake::default() });
    let mut steps = vec![step("baseline/a", &[], 1), step("other", &["baseline/a"], 1)];
    steps.push(step("late", &["slow"], 1));
    steps.push(step("slow", &[], 1));
    let plan = DeployPlan::build(steps, &BTreeMap::new(), &[]).unwrap();
    let report = engine(fake, Options { fail_fast: true, concurrency: 1, ..Options::default() })
        .run(&plan, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    assert!(matches!(report.outcome("baseline/a"), Some(Outcome::Failed { .. })));
    // `slow` was ready but not started (one at a time): it is cancelled, naming the failure, and
    // what waits for it is skipped because of that failure, not because of `slow`.
    let reason = tenancy_apply::fail_fast_reason(&StepId::new("baseline/a"));
    assert_eq!(reason, "step baseline/a failed (--fail-fast)");
    assert_eq!(report.outcome("slow"), Some(&Outcome::Cancelled { reason }));
    let because = StepId::new("baseline/a");
    assert_eq!(report.outcome("late"), Some(&Outcome::Skipped { because: because.clone() }));
    assert_eq!(report.outcome("other"), Some(&Outcome::Skipped { because }));
    assert_eq!(report.root_causes().iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["baseline/a"]);
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_with_backoff_then_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let fake =
        Arc::new(Fake { throttle: Mutex::new(BTreeMap::from([("baseline/b".to_owned(), 3)])), ..Fake::default() });
    let report = engine(fake.clone(), Options { retry: fast_retry(), ..Options::default() })
        .run(&plan(1), &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    assert!(report.succeeded());
    let b = report.steps.iter().find(|s| s.id.as_str() == "baseline/b").unwrap();
    assert_eq!(b.attempts, 4);
    assert_eq!(fake.created.lock().unwrap()["baseline/b"], 1);

    // Past the bound, the step fails with the last error.
    let dir = tempfile::tempdir().unwrap();
    let fake =
        Arc::new(Fake { throttle: Mutex::new(BTreeMap::from([("baseline/a".to_owned(), 99)])), ..Fake::default() });
    let report = engine(fake, Options { retry: fast_retry(), ..Options::default() })
        .run(&plan(1), &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    let a = report.steps.iter().find(|s| s.id.as_str() == "baseline/a").unwrap();
    assert_eq!((a.attempts, &a.outcome), (5, &Outcome::Failed { error: "Throttling: Rate exceeded".into() }));
}

#[tokio::test(start_paused = true)]
async fn an_interrupted_apply_resumes_without_redoing_finished_steps() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(3);
    // First run: tenant t1's bundle never finishes; the apply is cut off (its future dropped,
    // as a killed process would stop) while other steps complete.
    let first = Arc::new(Fake { hang: BTreeSet::from(["tenant/t1/k8s".to_owned()]), ..Fake::default() });
    let run = engine(first.clone(), Options::default());
    let state = LocalState::new(dir.path());
    let cut =
        tokio::time::timeout(Duration::from_secs(60), run.run(&plan, &BTreeMap::new(), &Selection::All, &state)).await;
    assert!(cut.is_err(), "the first apply was interrupted");
    drop(run);
    let done_first: BTreeSet<String> = first.created.lock().unwrap().keys().cloned().collect();
    assert!(done_first.contains("tenant/t0/register") && !done_first.contains("tenant/t1/k8s"));

    // Second run: only what did not finish runs; nothing is created twice.
    let second = Arc::new(Fake::default());
    let report = engine(second.clone(), Options::default())
        .run(&plan, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    assert!(report.succeeded());
    let done_second: BTreeSet<String> = second.created.lock().unwrap().keys().cloned().collect();
    assert_eq!(done_second, BTreeSet::from(["tenant/t1/k8s".to_owned(), "tenant/t1/register".to_owned()]));
    assert!(done_first.is_disjoint(&done_second), "a step ran twice");
    assert_eq!(report.count("unchanged"), plan.steps().len() - 2);

    // A third run changes nothing.
    let third = Arc::new(Fake::default());
    let report = engine(third.clone(), Options::default())
        .run(&plan, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    assert_eq!(report.count("unchanged"), plan.steps().len());
    assert!(third.calls.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_second_apply_refuses_while_one_runs() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(1);
    let slow = Arc::new(Fake { latency: Duration::from_secs(30), ..Fake::default() });
    let first_engine = engine(slow, Options::default());
    let first_state = LocalState::new(dir.path());
    let no_files = BTreeMap::new();
    let first = first_engine.run(&plan, &no_files, &Selection::All, &first_state);
    let impatient = Options {
        lock_wait: LockWait { timeout: Duration::from_secs(5), poll: Duration::from_secs(1) },
        ..Options::default()
    };
    let second = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        engine(Arc::new(Fake::default()), impatient)
            .run(&plan, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
            .await
    };
    let (first, second) = tokio::join!(first, second);
    assert!(first.unwrap().succeeded());
    let err = second.expect_err("the second apply refused");
    assert!(err.to_string().contains("another apply holds the lock"), "{err}");
    assert!(err.to_string().contains("after waiting 5s"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_second_apply_waits_for_the_first_then_finds_nothing_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(1);
    let slow = Arc::new(Fake { latency: Duration::from_secs(30), ..Fake::default() });
    let first_state = LocalState::new(dir.path());
    let no_files = BTreeMap::new();
    let first_engine = engine(slow, Options::default());
    let first = first_engine.run(&plan, &no_files, &Selection::All, &first_state);
    let late = Arc::new(Fake::default());
    let second = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        engine(late.clone(), Options::default())
            .run(&plan, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
            .await
    };
    let (first, second) = tokio::join!(first, second);
    assert!(first.unwrap().succeeded());
    let second = second.expect("the second apply waited for the lock");
    assert_eq!(second.count("unchanged"), second.steps.len(), "everything was applied by the first");
    assert!(late.calls.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn disjoint_shards_apply_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(16);
    let fake = Arc::new(Fake { latency: Duration::from_secs(10), ..Fake::default() });
    engine(fake.clone(), Options::default())
        .run(&plan, &BTreeMap::new(), &Selection::Step(StepId::new("baseline/a")), &LocalState::new(dir.path()))
        .await
        .unwrap();
    engine(fake.clone(), Options::default())
        .run(&plan, &BTreeMap::new(), &Selection::Step(StepId::new("baseline/b")), &LocalState::new(dir.path()))
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let impatient =
        Options { lock_wait: LockWait { timeout: Duration::ZERO, poll: Duration::from_secs(1) }, ..Options::default() };
    let shards = (1..=8).map(|i| {
        let (fake, plan, dir, options) = (fake.clone(), &plan, dir.path(), impatient.clone());
        async move {
            engine(fake, options)
                .run(plan, &BTreeMap::new(), &Selection::Shard { index: i, count: 8 }, &LocalState::new(dir))
                .await
        }
    });
    let reports = futures_join_all(shards).await;
    for report in &reports {
        assert!(report.as_ref().is_ok_and(|r| r.succeeded()), "{report:?}");
    }
    // Three chained steps per tenant at 10 s each: the shards ran side by side, none waited.
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    let journal = LocalState::new(dir.path()).load().await.unwrap();
    assert_eq!(journal.steps.len(), 2 + 16 * 3, "every shard's records are in the one journal");
}

/// Runs futures concurrently on this task, in order of results.
async fn futures_join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut results: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, future) in set.iter_mut().enumerate() {
            if results[i].is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(out) => results[i] = Some(out),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    results.into_iter().map(|r| r.expect("ready")).collect()
}

#[tokio::test(start_paused = true)]
async fn selections_check_that_upstream_steps_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(2);
    let state = || LocalState::new(dir.path());
    let err = engine(Arc::new(Fake::default()), Options::default())
        .run(&plan, &BTreeMap::new(), &"tenant:t0".parse().unwrap(), &state())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApplyError::UpstreamNotApplied { missing, .. } if missing == &[StepId::new("baseline/b")]),
        "{err}"
    );

    let fake = Arc::new(Fake::default());
    engine(fake.clone(), Options::default())
        .run(&plan, &BTreeMap::new(), &"step:baseline/a".parse().unwrap(), &state())
        .await
        .unwrap();
    engine(fake.clone(), Options::default())
        .run(&plan, &BTreeMap::new(), &"step:baseline/b".parse().unwrap(), &state())
        .await
        .unwrap();
    let report = engine(fake.clone(), Options::default())
        .run(&plan, &BTreeMap::new(), &"tenant:t0".parse().unwrap(), &state())
        .await
        .unwrap();
    let ran: Vec<&str> = report.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ran, ["tenant/t0/stack", "tenant/t0/k8s", "tenant/t0/register"]);
}

#[tokio::test(start_paused = true)]
async fn removed_tenants_are_deleted_only_when_allowed_bundle_first() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Fake::default());
    engine(fake.clone(), Options::default())
        .run(&plan(2), &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    // Tenant t1 leaves the blueprint.
    let smaller = plan(1);
    let err = engine(fake.clone(), Options::default())
        .run(&smaller, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ApplyError::WouldDelete { .. }));
    assert!(text.contains("--allow-delete") && text.contains("tenant/t1/stack"), "{text}");
    assert!(fake.removed.lock().unwrap().is_empty());

    // The fake registers every step as a record; the removal order goes by the step's action.
    let report = engine(fake.clone(), Options { allow_delete: true, ..Options::default() })
        .run(&smaller, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    assert_eq!(report.count("removed"), 3);
    assert_eq!(report.count("unchanged"), 5);
    let journal = LocalState::new(dir.path()).load().await.unwrap();
    assert_eq!(journal.steps[&StepId::new("tenant/t1/stack")].status, tenancy_apply::Status::Removed);
    // Nothing left to remove afterwards.
    let again = engine(fake, Options::default())
        .run(&smaller, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    assert_eq!(again.count("removed"), 0);
}

#[tokio::test(start_paused = true)]
async fn dry_runs_change_nothing_and_journal_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Fake::default());
    let report = engine(fake.clone(), Options { dry_run: true, ..Options::default() })
        .run(&plan(1), &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    assert_eq!(report.count("planned"), 5);
    assert!(fake.created.lock().unwrap().is_empty());
    assert!(LocalState::new(dir.path()).load().await.unwrap().steps.is_empty());
}

#[tokio::test(start_paused = true)]
async fn bindings_flow_from_outputs_and_are_journaled() {
    let dir = tempfile::tempdir().unwrap();
    let mut consumer = step("b", &["a"], 1);
    consumer.bindings.push(tenancy::plan::Binding {
        input: tenancy::contract::BindingTarget::Record(tenancy::contract::RecordField::ClientId),
        from: StepId::new("a"),
        output: "Out".into(),
    });
    let plan = DeployPlan::build(vec![step("a", &[], 1), consumer], &BTreeMap::new(), &[]).unwrap();

    #[derive(Default)]
    struct Echo(Mutex<BTreeMap<String, String>>);
    #[async_trait]
    impl Provider for Echo {
        async fn apply(&self, run: &StepRun) -> Result<StepOutcome, StepError> {
            self.0.lock().unwrap().extend(run.inputs_text());
            Ok(StepOutcome {
                state: None,
                changed: true,
                outputs: BTreeMap::from([("Out".into(), format!("{}!", run.step.id))]),
                summary: vec![],
            })
        }
        async fn remove(&self, _: &Removal) -> Result<StepOutcome, StepError> {
            unreachable!()
        }
    }
    let echo = Arc::new(Echo::default());
    Engine::new(Providers::all(echo.clone()), Options::default(), Arc::new(Quiet))
        .run(&plan, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    assert_eq!(echo.0.lock().unwrap()["record:clientId"], "a!");
    let journal = LocalState::new(dir.path()).load().await.unwrap();
    assert_eq!(journal.steps[&StepId::new("a")].outputs["Out"], "a!");
}

/// Fault 9a: a user pool client replaced, its id a new stack output. The steps that bind it
/// (the ConfigMap's bundle, the tenant record) must run again though their own artifacts did
/// not change; and when the producer changes without changing that output, they must not.
#[tokio::test(start_paused = true)]
async fn a_step_whose_bound_value_changed_runs_again_though_its_artifacts_did_not() {
    #[derive(Default)]
    struct Client {
        id: Mutex<String>,
        calls: Mutex<Vec<(String, BTreeMap<String, String>)>>,
    }
    #[async_trait]
    impl Provider for Client {
        async fn apply(&self, run: &StepRun) -> Result<StepOutcome, StepError> {
            self.calls.lock().unwrap().push((run.step.id.to_string(), run.inputs_text()));
            let outputs = if run.step.id.as_str() == "stack" {
                BTreeMap::from([("UserPoolClientId".to_owned(), self.id.lock().unwrap().clone())])
            } else {
                BTreeMap::new()
            };
            Ok(StepOutcome { state: None, changed: true, outputs, summary: vec![] })
        }
        async fn remove(&self, _: &Removal) -> Result<StepOutcome, StepError> {
            unreachable!()
        }
    }
    let plan_with = |stack_version: &str| {
        let mut stack = step("stack", &[], 1);
        stack.action = Action::Register {
            table: "t".into(),
            tenant: "acme".into(),
            tier: stack_version.into(),
            domain: "d".into(),
        };
        let mut record = step("record", &["stack"], 1);
        record.bindings.push(tenancy::plan::Binding {
            input: tenancy::contract::BindingTarget::Record(tenancy::contract::RecordField::ClientId),
            from: StepId::new("stack"),
            output: "UserPoolClientId".into(),
        });
        DeployPlan::build(vec![stack, record], &BTreeMap::new(), &[]).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let client = Arc::new(Client::default());
    let run = |plan: DeployPlan| {
        let client = client.clone();
        let dir = dir.path().to_owned();
        async move {
            Engine::new(Providers::all(client), Options::default(), Arc::new(Quiet))
                .run(&plan, &BTreeMap::new(), &Selection::All, &LocalState::new(dir))
                .await
                .unwrap()
        }
    };
    let called = |client: &Client| client.calls.lock().unwrap().drain(..).collect::<Vec<_>>();

    *client.id.lock().unwrap() = "client-1".into();
    run(plan_with("v1")).await;
    assert_eq!(called(&client).len(), 2);

    // The client is replaced: the stack changed, and so did the value bound into the record.
    *client.id.lock().unwrap() = "client-2".into();
    let report = run(plan_with("v2")).await;
    let calls = called(&client);
    let record = calls.iter().find(|(id, _)| id == "record").expect("the record is written again");
    assert_eq!(record.1["record:clientId"], "client-2");
    assert_eq!(report.count("applied"), 2);

    // The stack changes again but the client id does not: the record is left alone.
    let report = run(plan_with("v3")).await;
    let calls = called(&client);
    assert_eq!(calls.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["stack"]);
    assert_eq!(report.count("unchanged"), 1);
}

/// Fault 6b: `--select tenant:nosuch` took the lock, applied nothing and succeeded.
#[tokio::test(start_paused = true)]
async fn a_selection_the_plan_cannot_satisfy_is_refused_before_any_lock() {
    let dir = tempfile::tempdir().unwrap();
    // Another apply holds the whole platform: a lock wait would show as time passing.
    let holder = LocalState::new(dir.path());
    let held = holder.lock(&tenancy_apply::LockScope::Platform, LockWait::default()).await.unwrap();
    let started = tokio::time::Instant::now();
    for (select, expect) in [
        ("tenant:nosuch", "tenant nosuch is not in the plan; its tenants are t0, t1"),
        ("step:tenant/nosuch/stack", "step tenant/nosuch/stack is not in the plan"),
    ] {
        let fake = Arc::new(Fake::default());
        let err = engine(fake.clone(), Options::default())
            .run(&plan(2), &BTreeMap::new(), &select.parse().unwrap(), &LocalState::new(dir.path()))
            .await
            .unwrap_err();
        assert!(matches!(&err, ApplyError::Selection(m) if m.starts_with(expect)), "{select}: {err}");
        assert!(fake.calls.lock().unwrap().is_empty());
    }
    assert_eq!(started.elapsed(), Duration::ZERO, "refused at once, without waiting for the lock");
    held.release().await.unwrap();
}

/// A journal in a local directory whose reads and writes fail as told: `load_errors` loads
/// fail (transient) first, and each step in `record_errors` fails its records that many times,
/// transiently or for good.
#[derive(Default)]
struct FlakyJournal {
    inner: Option<LocalState>,
    load_errors: Mutex<u32>,
    record_errors: Mutex<BTreeMap<String, (u32, bool)>>,
    records: Mutex<u32>,
}

impl FlakyJournal {
    fn new(dir: &std::path::Path) -> Self {
        Self { inner: Some(LocalState::new(dir)), ..Self::default() }
    }

    fn inner(&self) -> &LocalState {
        self.inner.as_ref().unwrap()
    }

    fn error(transient: bool, what: &str) -> StateError {
        StateError::Remote { table: "tj".into(), message: format!("{what}: ThrottlingException"), transient }
    }
}

#[async_trait]
impl StateStore for FlakyJournal {
    async fn lock(
        &self,
        scope: &tenancy_apply::LockScope,
        wait: LockWait,
    ) -> Result<Box<dyn tenancy_apply::LockGuard>, StateError> {
        self.inner().lock(scope, wait).await
    }

    async fn load(&self) -> Result<tenancy_apply::Journal, StateError> {
        let throttled = {
            let mut left = self.load_errors.lock().unwrap();
            let throttled = *left > 0;
            *left = left.saturating_sub(1);
            throttled
        };
        if throttled {
            return Err(Self::error(true, "read the journal"));
        }
        self.inner().load().await
    }

    async fn record(&self, id: &StepId, record: &tenancy_apply::StepRecord) -> Result<(), StateError> {
        *self.records.lock().unwrap() += 1;
        let failure = self.record_errors.lock().unwrap().get_mut(id.as_str()).filter(|e| e.0 > 0).map(|e| {
            e.0 -= 1;
            e.1
        });
        if let Some(transient) = failure {
            return Err(Self::error(transient, &format!("record {id}")));
        }
        self.inner().record(id, record).await
    }
}

/// Keeps the summaries a run emits.
#[derive(Default)]
struct Summaries(Mutex<Vec<(usize, Option<String>)>>);

impl tenancy_apply::Sink for Summaries {
    fn event(&self, event: &tenancy_apply::Event) {
        if let tenancy_apply::Event::Summary { report } = event {
            self.0.lock().unwrap().push((report.steps.len(), report.stopped.clone()));
        }
    }
}

/// Faults 5d and 8f: a throttled journal read or write failed the apply at once.
#[tokio::test(start_paused = true)]
async fn journal_reads_and_writes_are_retried_like_steps() {
    let dir = tempfile::tempdir().unwrap();
    let store = FlakyJournal::new(dir.path());
    *store.load_errors.lock().unwrap() = 2;
    store.record_errors.lock().unwrap().insert("baseline/b".into(), (3, true));
    let fake = Arc::new(Fake { latency: Duration::from_secs(1), ..Fake::default() });
    let started = tokio::time::Instant::now();
    let report = engine(fake.clone(), Options { retry: fast_retry(), ..Options::default() })
        .run(&plan(1), &BTreeMap::new(), &Selection::All, &store)
        .await
        .expect("transient journal errors are ridden out");
    assert!(report.succeeded(), "{:?}", report.steps);
    assert_eq!(fake.created.lock().unwrap()["baseline/b"], 1, "the step ran once; only its record was retried");
    let journal = LocalState::new(dir.path()).load().await.unwrap();
    assert_eq!(journal.steps[&StepId::new("baseline/b")].status, tenancy_apply::Status::Applied, "journaled");
    // Five steps of 1 s in a chain, plus backoff (at most 0.1 + 0.2 s for the reads and
    // 0.1 + 0.2 + 0.4 s for the writes).
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(5) && took <= Duration::from_millis(6000), "{took:?}");

    // Past the bound, or a permanent error: the apply fails with the store's error.
    let dir = tempfile::tempdir().unwrap();
    let store = FlakyJournal::new(dir.path());
    *store.load_errors.lock().unwrap() = 99;
    let err = engine(Arc::new(Fake::default()), Options { retry: fast_retry(), ..Options::default() })
        .run(&plan(1), &BTreeMap::new(), &Selection::All, &store)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "state table tj: read the journal: ThrottlingException");
    assert_eq!(*store.load_errors.lock().unwrap(), 99 - 5, "tried max_attempts times");
}

/// Fault 5d: a journal write that failed returned at once, abandoning the steps in flight
/// mid-call and printing no summary.
#[tokio::test(start_paused = true)]
async fn a_journal_that_cannot_be_written_drains_the_running_steps_then_fails_with_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let steps = vec![step("x", &[], 1), step("y", &[], 1), step("after-x", &["x"], 1), step("after-y", &["y"], 1)];
    let plan = DeployPlan::build(steps, &BTreeMap::new(), &[]).unwrap();
    let store = FlakyJournal::new(dir.path());
    store.record_errors.lock().unwrap().insert("x".into(), (1, false));
    let slow = BTreeMap::from([("x".to_owned(), Duration::from_secs(10)), ("y".to_owned(), Duration::from_secs(30))]);
    let fake = Arc::new(Fake { slow, ..Fake::default() });
    let summaries = Arc::new(Summaries::default());
    let started = tokio::time::Instant::now();
    let options = Options { retry: fast_retry(), ..Options::default() };
    let engine = Engine::new(Providers::all(fake.clone()), options, summaries.clone());
    let err = engine.run(&plan, &BTreeMap::new(), &Selection::All, &store).await.unwrap_err();
    assert_eq!(err.to_string(), "state table tj: record x: ThrottlingException");
    assert_eq!(started.elapsed(), Duration::from_secs(30), "y, in flight, was waited for");
    assert_eq!(
        *summaries.0.lock().unwrap(),
        [(4, Some("the journal could not be written".to_owned()))],
        "one summary, with every step"
    );
    let journal = LocalState::new(dir.path()).load().await.unwrap();
    assert_eq!(
        journal.steps.get(&StepId::new("y")).map(|r| r.status),
        Some(tenancy_apply::Status::Applied),
        "what y did is journaled: the store still took it"
    );
    assert!(!journal.steps.contains_key(&StepId::new("x")));
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls, ["x", "y"], "nothing new started after the failure");
}

/// Runs a plan of `a` (10 s), `b` (60 s) and `after-a`, escalating an interrupt at each of
/// `signals` (seconds from the start), with a grace period of `grace` seconds.
async fn interrupted_run(
    signals: &'static [u64],
    grace: u64,
) -> (tenancy_apply::Report, Vec<String>, Duration, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let steps = vec![step("a", &[], 1), step("b", &[], 1), step("after-a", &["a"], 1)];
    let plan = DeployPlan::build(steps, &BTreeMap::new(), &[]).unwrap();
    let slow = BTreeMap::from([("a".to_owned(), Duration::from_secs(10)), ("b".to_owned(), Duration::from_secs(60))]);
    let fake = Arc::new(Fake { slow, ..Fake::default() });
    let interrupt = tenancy_apply::Interrupt::new();
    let options = Options { interrupt: interrupt.clone(), grace: Duration::from_secs(grace), ..Options::default() };
    let started = tokio::time::Instant::now();
    let signaller = tokio::spawn(async move {
        for at in signals {
            tokio::time::sleep_until(started + Duration::from_secs(*at)).await;
            interrupt.escalate();
        }
    });
    let report = engine(fake.clone(), options)
        .run(&plan, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .expect("an interrupted apply reports");
    let took = started.elapsed();
    signaller.abort();
    let calls = fake.calls.lock().unwrap().clone();
    (report, calls, took, dir)
}

/// SIGINT or SIGTERM: nothing new starts, running steps finish within the grace period (and
/// are journaled), the rest are cut off at its end or at a second signal; always a summary.
#[tokio::test(start_paused = true)]
async fn an_interrupt_drains_within_the_grace_period_and_a_second_one_cuts_off_at_once() {
    let cancelled = Outcome::Cancelled { reason: "interrupted".into() };
    // (signals at seconds, grace, a, b, elapsed)
    let cases: [(&'static [u64], u64, Outcome, Outcome, u64); 3] = [
        // a finishes in the grace period; b, a minute long, is cut off when it ends.
        (&[5], 20, Outcome::Applied { summary: vec!["created a".into()] }, Outcome::Interrupted, 25),
        // A second signal cuts both off at once.
        (&[5, 7], 20, Outcome::Interrupted, Outcome::Interrupted, 7),
        // A grace period longer than the work: everything running finishes.
        (
            &[5],
            600,
            Outcome::Applied { summary: vec!["created a".into()] },
            Outcome::Applied { summary: vec!["created b".into()] },
            60,
        ),
    ];
    for (signals, grace, a, b, elapsed) in cases {
        let (report, calls, took, dir) = interrupted_run(signals, grace).await;
        assert_eq!(took, Duration::from_secs(elapsed), "{signals:?}");
        assert_eq!(report.outcome("a"), Some(&a), "{signals:?}");
        assert_eq!(report.outcome("b"), Some(&b), "{signals:?}");
        assert_eq!(report.outcome("after-a"), Some(&cancelled), "{signals:?}: nothing new starts");
        assert_eq!(calls, ["a", "b"]);
        assert!(report.interrupted && !report.succeeded());
        assert_eq!(report.stopped.as_deref(), Some("interrupted"));
        let journal = LocalState::new(dir.path()).load().await.unwrap();
        let journaled: BTreeSet<&str> = journal.steps.keys().map(StepId::as_str).collect();
        let finished: BTreeSet<&str> =
            ["a", "b"].into_iter().filter(|id| matches!(report.outcome(id), Some(Outcome::Applied { .. }))).collect();
        assert_eq!(journaled, finished, "{signals:?}: what finished is journaled, nothing else");
    }
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_while_waiting_for_the_lock_gives_up_the_wait() {
    let dir = tempfile::tempdir().unwrap();
    let held =
        LocalState::new(dir.path()).lock(&tenancy_apply::LockScope::Platform, LockWait::default()).await.unwrap();
    let interrupt = tenancy_apply::Interrupt::new();
    let options = Options { interrupt: interrupt.clone(), ..Options::default() };
    let started = tokio::time::Instant::now();
    let signaller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        interrupt.escalate();
    });
    let err = engine(Arc::new(Fake::default()), options)
        .run(&plan(1), &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap_err();
    assert!(matches!(err, ApplyError::Interrupted), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "not the 600 s lock wait");
    signaller.await.unwrap();
    held.release().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_panicking_provider_fails_only_its_own_step() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(Fake {
        latency: Duration::from_secs(1),
        panic: BTreeSet::from(["tenant/t0/k8s".to_owned()]),
        ..Fake::default()
    });
    let started = tokio::time::Instant::now();
    let report = engine(fake.clone(), Options::default())
        .run(&plan(3), &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    let Some(Outcome::Failed { error }) = report.outcome("tenant/t0/k8s") else {
        panic!("{:?}", report.outcome("tenant/t0/k8s"))
    };
    assert_eq!(error, "the register provider panicked: index out of bounds in tenant/t0/k8s");
    assert_eq!(report.outcome("tenant/t0/register"), Some(&Outcome::Skipped { because: StepId::new("tenant/t0/k8s") }));
    for t in 1..3 {
        assert!(matches!(report.outcome(&format!("tenant/t{t}/register")), Some(Outcome::Applied { .. })));
    }
    // The failure is journaled like any other: the next apply runs the step again.
    let journal = LocalState::new(dir.path()).load().await.unwrap();
    assert_eq!(journal.steps[&StepId::new("tenant/t0/k8s")].status, tenancy_apply::Status::Failed);
    assert_eq!(started.elapsed(), Duration::from_secs(5), "the other tenants were not held up");
}

/// Artifacts whose reads are counted against the steps still running.
struct Counted {
    live: Arc<Mutex<(usize, usize)>>,
}

impl tenancy_apply::Artifacts for Counted {
    fn read(&self, path: &str) -> Result<String, StepError> {
        let mut live = self.live.lock().unwrap();
        live.0 += 1;
        live.1 = live.1.max(live.0);
        Ok(format!("text of {path}"))
    }
}

/// Releases a step's artifacts when it finishes.
struct Releasing {
    live: Arc<Mutex<(usize, usize)>>,
}

#[async_trait]
impl Provider for Releasing {
    async fn apply(&self, run: &StepRun) -> Result<StepOutcome, StepError> {
        assert_eq!(run.artifact(&run.step.artifacts[0]).unwrap(), format!("text of {}", run.step.artifacts[0]));
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.live.lock().unwrap().0 -= 1;
        Ok(StepOutcome { changed: true, ..StepOutcome::default() })
    }
    async fn remove(&self, _: &Removal) -> Result<StepOutcome, StepError> {
        Ok(StepOutcome::default())
    }
}

#[tokio::test(start_paused = true)]
async fn artifacts_are_read_when_their_step_starts_so_at_most_concurrency_are_held() {
    let dir = tempfile::tempdir().unwrap();
    let steps: Vec<Step> = (0..200)
        .map(|i| Step {
            artifacts: vec![format!("tenants/t{i}/k8s.yaml")],
            ..step(&format!("tenant/t{i}/k8s"), &[], 1)
        })
        .collect();
    let facts = steps
        .iter()
        .map(|s| (s.artifacts[0].clone(), tenancy::plan::ArtifactFacts::of(&format!("text of {}", s.artifacts[0]))))
        .collect();
    let plan = DeployPlan::build(steps, &facts, &[]).unwrap();
    let live = Arc::new(Mutex::new((0, 0)));
    let engine = Engine::new(
        Providers::all(Arc::new(Releasing { live: live.clone() })),
        Options { concurrency: 4, ..Options::default() },
        Arc::new(Quiet),
    );
    let started = tokio::time::Instant::now();
    let report = engine
        .run(&plan, &Counted { live: live.clone() }, &Selection::All, &LocalState::new(dir.path()))
        .await
        .unwrap();
    assert!(report.succeeded());
    assert_eq!(started.elapsed(), Duration::from_secs(50), "200 one-second steps, 4 at a time");
    assert_eq!(*live.lock().unwrap(), (0, 4), "at most 4 steps' artifacts were held at once");
}

#[tokio::test(start_paused = true)]
async fn an_artifact_changed_after_the_plan_was_loaded_fails_its_step() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    std::fs::create_dir_all(out.join("tenants/t0")).unwrap();
    std::fs::write(out.join("tenants/t0/k8s.yaml"), "reviewed: true\n").unwrap();
    let step = Step { artifacts: vec!["tenants/t0/k8s.yaml".into()], ..step("tenant/t0/k8s", &[], 1) };
    let facts =
        BTreeMap::from([("tenants/t0/k8s.yaml".to_owned(), tenancy::plan::ArtifactFacts::of("reviewed: true\n"))]);
    let plan = DeployPlan::build(vec![step], &facts, &[]).unwrap();
    let artifacts = tenancy_apply::ArtifactDir::new(&out, &facts);
    // Edited between loading the plan and starting the step.
    std::fs::write(out.join("tenants/t0/k8s.yaml"), "reviewed: false\n").unwrap();
    let fake = Arc::new(Fake::default());
    let report = engine(fake.clone(), Options::default())
        .run(&plan, &artifacts, &Selection::All, &LocalState::new(dir.path().join("state")))
        .await
        .unwrap();
    let Some(Outcome::Failed { error }) = report.outcome("tenant/t0/k8s") else { panic!("{report:?}") };
    assert!(error.contains("tenants/t0/k8s.yaml changed after the plan was loaded"), "{error}");
    assert!(fake.calls.lock().unwrap().is_empty(), "the provider never saw the edited bytes");
}
