//! The per-request cost of identity: `GET /{tenant}/products/{id}` in process (token
//! verification with a cached key, routing, handler), storage in memory behind the repository
//! trait, so what is measured is the service, not DynamoDB. Prints requests per second and
//! latency percentiles; asserts nothing.
//!
//! Three runs, each 20,000 sequential requests with a valid token whose key is cached, on a
//! two-worker runtime:
//! - healthy: the issuer answers, nobody attacks;
//! - healthy, under junk: the same while unsigned tokens with unknown key ids arrive about once a
//!   millisecond (B2 of the 2026-12 services review), with no refresh throttle, so every one of
//!   them may start a fetch;
//! - issuer hanging, under junk: the same, but the issuer hangs (8 s, cut off by the 5 s fetch
//!   timeout), so a fetch is always under way and junk requests wait for it.
//!
//! Before the fix, the third run could not finish: every request waited for the cache lock a
//! hanging fetch held (5 s each).
//!
//! Run: cargo bench -p product --bench identity

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use product::{AppState, MemoryProducts, Products, StoredProduct, router};
use tenant_context::Verifier;
use tenant_context::testing::{self, IssuerMode, StandInIssuer, junk, token};
use tower::ServiceExt;

const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const ROUNDS: usize = 20_000;

async fn app(issuer: &Arc<StandInIssuer>, min_refresh: Duration) -> axum::Router {
    let products = Arc::new(MemoryProducts::default());
    products
        .put("acme", &StoredProduct { id: ID.into(), name: "Anvil".into(), price_cents: 1250, picture_url: None })
        .await
        .unwrap();
    let config = tenant_context::VerifierConfig { min_refresh, ..testing::verifier_config() };
    let verifier = Arc::new(Verifier::new(config, issuer.clone()));
    router(Arc::new(AppState { verifier, products, served: None, pooled: None }))
}

fn get(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap()
}

/// Runs `ROUNDS` cached-key requests (after a warm-up that caches the key, then switches the
/// issuer to `mode`), with junk tokens arriving about once a millisecond if `attack`.
async fn measure(label: &str, mode: IssuerMode, min_refresh: Duration, attack: bool) {
    let issuer = StandInIssuer::new(IssuerMode::Healthy);
    let app = app(&issuer, min_refresh).await;
    let uri = format!("/acme/products/{ID}");
    let valid = token("acme");
    for _ in 0..500 {
        assert_eq!(app.clone().oneshot(get(&uri, &valid)).await.unwrap().status(), StatusCode::OK);
    }
    issuer.set(mode);

    let stop = Arc::new(AtomicBool::new(false));
    let attacker = attack.then(|| {
        let (app, stop, uri) = (app.clone(), stop.clone(), uri.clone());
        tokio::spawn(async move {
            let mut sent = 0usize;
            let mut junk_requests = tokio::task::JoinSet::new();
            while !stop.load(Ordering::Relaxed) && sent < 200_000 {
                let request = get(&uri, &junk(&format!("junk-{sent}")));
                let app = app.clone();
                junk_requests.spawn(async move { app.oneshot(request).await.unwrap().status() });
                sent += 1;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            junk_requests.abort_all();
            sent
        })
    });
    // Let the attack start (and, with a hanging issuer, a fetch hang) before measuring.
    if attack {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let measured = tokio::spawn({
        let app = app.clone();
        async move {
            let mut latencies = Vec::with_capacity(ROUNDS);
            let started = Instant::now();
            for _ in 0..ROUNDS {
                let t = Instant::now();
                let status = app.clone().oneshot(get(&uri, &valid)).await.unwrap().status();
                latencies.push(t.elapsed());
                assert_eq!(status, StatusCode::OK);
            }
            (latencies, started.elapsed())
        }
    });
    let (mut latencies, wall) = measured.await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let junk_sent = match attacker {
        Some(attacker) => attacker.await.unwrap(),
        None => 0,
    };
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{label}: {ROUNDS} requests, {:.0} requests/s, p50 {:.1} us, p99 {:.1} us, max {:.1} us; {junk_sent} junk tokens, {} JWKS fetches",
        ROUNDS as f64 / wall.as_secs_f64(),
        micros(at(0.50)),
        micros(at(0.99)),
        micros(at(1.0)),
        issuer.fetches(),
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        println!("GET /{{tenant}}/products/{{id}}, RS256 token verified per request, key cached, 2 workers:");
        measure("  healthy issuer           ", IssuerMode::Healthy, Duration::from_secs(60), false).await;
        measure("  healthy issuer, junk/ms  ", IssuerMode::Healthy, Duration::ZERO, true).await;
        measure("  issuer hanging, junk/ms  ", IssuerMode::Hanging, Duration::ZERO, true).await;
    });
}
