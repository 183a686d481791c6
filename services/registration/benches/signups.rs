//! Sign-ups per second through `POST /register` up to `requested`: validation, the rate limit,
//! the registry's conditional transaction, the lifecycle event and the start of the onboarding
//! build. Prints numbers; asserts only that every sign-up was answered 202.
//!
//! - in process: `oneshot` on the in-memory registry and a recording onboarding, so what is
//!   measured is the service itself;
//! - over HTTP on 127.0.0.1 against moto's DynamoDB, SNS and CodeBuild (the real SDK), 16 clients at
//!   once, when TENANCY_MOTO_URL names a running moto (scripts/test starts one; run it by hand
//!   with `.venv/moto/bin/python tests/emulator/moto_server.py PORT`). moto is one Python
//!   process, so this measures moto more than the service; it is printed to show the whole path
//!   works at volume, not as a capacity figure for AWS.
//!
//! Run: cargo bench -p registration --bench signups

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use registration::{
    AppState, CodeBuildJobs, DynamoRegistry, MemoryRegistry, RateLimiter, RecordedEvents, RecordedJobs, SnsEvents,
    router,
};
use tower::ServiceExt;

#[path = "../tests/support/moto.rs"]
mod moto;

fn sign_up(i: usize) -> String {
    format!(r#"{{"tenantId":"t{i:05}","name":"Tenant {i}","email":"admin@t{i:05}.example","tier":"standard"}}"#)
}

fn tiers() -> Vec<String> {
    vec!["basic".into(), "standard".into(), "premium".into()]
}

fn report(what: &str, n: usize, elapsed: Duration, mut latencies: Vec<Duration>) {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "{what}: {n} sign-ups in {:.2} s: {:.0} sign-ups/s; latency p50 {:.1?}, p99 {:.1?}",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        at(0.5),
        at(0.99)
    );
}

async fn in_process(n: usize) {
    let state = AppState {
        store: Arc::new(MemoryRegistry::default()),
        events: Arc::new(RecordedEvents::default()),
        onboarding: Arc::new(RecordedJobs::default()),
        tiers: tiers(),
        limiter: RateLimiter::new(6, 3, 1_000_000),
    };
    let app = router(Arc::new(state));
    let mut latencies = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let request = Request::post("/register")
            .header("content-type", "application/json")
            // One address per sign-up: the limiter is measured, never hit.
            .header("x-forwarded-for", format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255))
            .body(Body::from(sign_up(i)))
            .unwrap();
        let at = Instant::now();
        let response = app.clone().oneshot(request).await.unwrap();
        latencies.push(at.elapsed());
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    report("in process (memory registry)", n, started.elapsed(), latencies);
}

async fn over_moto(n: usize, clients: usize) {
    let aws = moto::aws().await;
    let (table, project) = moto::registry_and_project(&aws, "bench").await;
    let (dynamodb, codebuild) = (aws_sdk_dynamodb::Client::new(&aws), aws_sdk_codebuild::Client::new(&aws));
    let sns = aws_sdk_sns::Client::new(&aws);
    let topic = sns.create_topic().name(format!("bench-tenant-lifecycle-{}", std::process::id())).send().await.unwrap();
    let state = AppState {
        store: Arc::new(DynamoRegistry::new(dynamodb, table)),
        events: Arc::new(SnsEvents::new(sns, topic.topic_arn.unwrap())),
        onboarding: Arc::new(CodeBuildJobs::new(codebuild, project)),
        tiers: tiers(),
        limiter: RateLimiter::new(6, 3, 1_000_000),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/register", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(state))).await.unwrap() });
    let http = reqwest::Client::new();
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for i in (c..n).step_by(clients) {
                    let at = Instant::now();
                    let response = http
                        .post(&base)
                        .header("content-type", "application/json")
                        .header("x-forwarded-for", format!("10.0.{}.{}", i >> 8 & 255, i & 255))
                        .body(sign_up(i))
                        .send()
                        .await
                        .unwrap();
                    latencies.push(at.elapsed());
                    assert_eq!(response.status().as_u16(), 202, "{}", response.text().await.unwrap_or_default());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(n);
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    report(&format!("over HTTP, moto's DynamoDB and CodeBuild, {clients} clients"), n, started.elapsed(), latencies);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    tenant_context::serve::init_logging();
    in_process(10_000).await;
    match std::env::var("TENANCY_MOTO_URL") {
        Ok(url) if !url.is_empty() => over_moto(1_000, 16).await,
        _ => println!("over HTTP against moto: not run (set TENANCY_MOTO_URL to a running moto)"),
    }
}
