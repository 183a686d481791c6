//! The per-request cost of identity: `GET /{tenant}/products/{id}` in process (token
//! verification with a cached key, routing, handler), storage in memory behind the repository
//! trait, so what is measured is the service, not DynamoDB. Prints requests per second and
//! latency percentiles; asserts nothing.
//!
//! Run: cargo bench -p product --bench identity

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use product::{AppState, MemoryProducts, Products, StoredProduct, router};
use tenant_context::testing::{self, token};
use tower::ServiceExt;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let products = Arc::new(MemoryProducts::default());
        let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
        products
            .put("acme", &StoredProduct { id: id.into(), name: "Anvil".into(), price_cents: 1250, picture_url: None })
            .await
            .unwrap();
        let app = router(Arc::new(AppState { verifier: testing::verifier(), products, served: None }));
        let bearer = format!("Bearer {}", token("acme"));
        let uri = format!("/acme/products/{id}");
        let request = || Request::get(&uri).header("authorization", &bearer).body(Body::empty()).unwrap();

        for _ in 0..500 {
            assert_eq!(app.clone().oneshot(request()).await.unwrap().status(), StatusCode::OK);
        }
        let rounds = 20_000;
        let mut latencies = Vec::with_capacity(rounds);
        let started = Instant::now();
        for _ in 0..rounds {
            let t = Instant::now();
            let status = app.clone().oneshot(request()).await.unwrap().status();
            latencies.push(t.elapsed());
            assert_eq!(status, StatusCode::OK);
        }
        let wall = started.elapsed();
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "GET /{{tenant}}/products/{{id}}, RS256 token verified per request, one thread: {rounds} requests, {:.0} requests/s, p50 {:.1} us, p99 {:.1} us",
            rounds as f64 / wall.as_secs_f64(),
            micros(at(0.50)),
            micros(at(0.99))
        );
    });
}
