//! Engine overhead: plans of about 1,000 and 30,000 steps (a 5-step baseline chain, then 332 or
//! 9,998 tenants of three steps) with a zero-latency provider (the engine's own cost per step, journal writes
//! included) and with a fixed latency per step (wall time against the lower bound: the longer of
//! the critical path and total work divided by concurrency). Prints numbers; asserts nothing.
//!
//! Run: cargo bench --bench engine

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tenancy::plan::{Action, DeployPlan, Step, StepId};
use tenancy_apply::{
    Engine, LocalState, Options, Provider, Providers, Quiet, Removal, Selection, StepError, StepOutcome, StepRun,
};

struct Sleep(Duration);

#[async_trait]
impl Provider for Sleep {
    async fn apply(&self, _: &StepRun) -> Result<StepOutcome, StepError> {
        if !self.0.is_zero() {
            tokio::time::sleep(self.0).await;
        }
        Ok(StepOutcome { state: None, changed: true, outputs: BTreeMap::new(), summary: vec![] })
    }
    async fn remove(&self, _: &Removal) -> Result<StepOutcome, StepError> {
        Ok(StepOutcome::default())
    }
}

fn plan(tenants: usize) -> DeployPlan {
    let step = |id: String, deps: Vec<String>| Step {
        id: StepId::new(id.clone()),
        action: Action::Register { table: "t".into(), tenant: id, tier: "x".into(), domain: "d".into() },
        artifacts: vec![],
        depends_on: deps.into_iter().map(StepId::new).collect(),
        bindings: vec![],
        estimate_seconds: 1,
    };
    let mut steps = Vec::new();
    for i in 0..5 {
        steps.push(step(format!("baseline/b{i}"), if i == 0 { vec![] } else { vec![format!("baseline/b{}", i - 1)] }));
    }
    for t in 0..tenants {
        let s = |p: &str| format!("tenant/t{t}/{p}");
        steps.push(step(s("stack"), vec!["baseline/b4".into()]));
        steps.push(step(s("k8s"), vec![s("stack")]));
        steps.push(step(s("register"), vec![s("k8s")]));
    }
    DeployPlan::build(steps, &BTreeMap::new(), &[]).unwrap()
}

async fn run(plan: &DeployPlan, latency: Duration, concurrency: usize) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(
        Providers::all(Arc::new(Sleep(latency))),
        Options { concurrency, ..Options::default() },
        Arc::new(Quiet),
    );
    let started = Instant::now();
    let report = engine.run(plan, &BTreeMap::new(), &Selection::All, &LocalState::new(dir.path())).await.unwrap();
    assert!(report.succeeded());
    started.elapsed()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    // The engine's own cost per step, at two plan sizes: it must not grow with the plan.
    println!("zero-latency provider, concurrency 64, local journal written after each step:");
    for tenants in [332, 9_998] {
        let plan = plan(tenants);
        let steps = plan.steps().len();
        let wall = runtime.block_on(run(&plan, Duration::ZERO, 64));
        println!(
            "  {steps:>6} steps: {:>9.1} ms total, {:>6.1} us per step",
            wall.as_secs_f64() * 1e3,
            wall.as_secs_f64() * 1e6 / steps as f64
        );
    }

    let plan = plan(332);
    let steps = plan.steps().len();
    let depth = plan.critical_path().len();
    println!("plan: {steps} steps, critical path {depth} steps, {} waves", plan.waves().len());
    for concurrency in [8, 64] {
        let wall = runtime.block_on(run(&plan, Duration::ZERO, concurrency));
        println!(
            "zero latency, concurrency {concurrency:>2}: {:>8.1} ms total, {:>6.1} us per step (journal written after each step)",
            wall.as_secs_f64() * 1e3,
            wall.as_secs_f64() * 1e6 / steps as f64
        );
    }
    let latency = Duration::from_millis(20);
    for concurrency in [8, 64] {
        let wall = runtime.block_on(run(&plan, latency, concurrency));
        let rounds = steps.div_ceil(concurrency).max(depth) as u32;
        let bound = latency * rounds;
        println!(
            "{} ms per step, concurrency {concurrency:>2}: wall {:>7.1} ms, lower bound {:>7.1} ms, ratio {:.2}",
            latency.as_millis(),
            wall.as_secs_f64() * 1e3,
            bound.as_secs_f64() * 1e3,
            wall.as_secs_f64() / bound.as_secs_f64()
        );
    }
}
