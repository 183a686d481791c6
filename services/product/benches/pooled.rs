//! The per-request overhead of pooled compute: `GET /{tenant}/products/{id}` in process
//! (`oneshot`, one thread), the store in memory behind `TenantData`, and a fake STS that vends at
//! once, so what is measured is this service (the directory cache, token verification against
//! the tenant's issuer, the session cache, a tenant client built from vended credentials), not
//! DynamoDB or STS. Prints requests per second and latency percentiles; asserts only that every
//! request was answered 200.
//!
//! - dedicated: the deployment's own tenant, the pod's client;
//! - pooled, credentials cached: the directory record and the session are cached (every request
//!   after the first);
//! - pooled, credentials cold: the directory record is cached, the session never is (it is
//!   vended with no time left beyond the margin), so each request vends and builds a client.
//!
//! Run: cargo bench -p product --bench pooled

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use product::{AppState, MemoryProducts, Products, StoredProduct, router};
use tenancy_registry::MemoryDirectory;
use tenant_context::pooled::Settings;
use tenant_context::testing::pooled::{FakeVending, record, sdk_config, tenants};
use tenant_context::testing::{self, token};
use tenant_context::{AppError, PodData, TenantData};
use tower::ServiceExt;

const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const ROUNDS: usize = 20_000;

/// Memory products that first get the tenant's client, as `DynamoProducts` does.
struct Through {
    inner: MemoryProducts,
    data: Arc<dyn TenantData>,
}

#[async_trait]
impl Products for Through {
    async fn list(
        &self,
        tenant: &str,
        limit: usize,
        after: Option<String>,
    ) -> Result<(Vec<StoredProduct>, Option<String>), AppError> {
        self.data.dynamodb(tenant).await?;
        self.inner.list(tenant, limit, after).await
    }
    async fn get(&self, tenant: &str, id: &str) -> Result<Option<StoredProduct>, AppError> {
        self.data.dynamodb(tenant).await?;
        self.inner.get(tenant, id).await
    }
    async fn put(&self, tenant: &str, product: &StoredProduct) -> Result<(), AppError> {
        self.data.dynamodb(tenant).await?;
        self.inner.put(tenant, product).await
    }
    async fn delete(&self, tenant: &str, id: &str) -> Result<bool, AppError> {
        self.data.dynamodb(tenant).await?;
        self.inner.delete(tenant, id).await
    }
    async fn ready(&self) -> Result<(), AppError> {
        Ok(())
    }
}

async fn catalog() -> MemoryProducts {
    let products = MemoryProducts::default();
    let anvil = StoredProduct { id: ID.into(), name: "Anvil".into(), price_cents: 1250, picture_url: None };
    products.put("acme", &anvil).await.unwrap();
    products
}

async fn dedicated() -> axum::Router {
    let data = Arc::new(PodData::serving(aws_sdk_dynamodb::Client::new(&sdk_config()), "acme"));
    let products = Arc::new(Through { inner: catalog().await, data });
    router(Arc::new(AppState { verifier: testing::verifier(), products, served: Some("acme".into()), pooled: None }))
}

async fn pooled(vending: Arc<FakeVending>) -> axum::Router {
    let directory = Arc::new(MemoryDirectory::default());
    directory.insert("acme", record("acme", "basic"));
    let tenants = tenants("basic", directory, vending, Settings::default(), sdk_config());
    let products = Arc::new(Through { inner: catalog().await, data: tenants.clone() });
    router(Arc::new(AppState { verifier: testing::verifier(), products, served: None, pooled: Some(tenants) }))
}

fn get(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap()
}

async fn measure(label: &str, app: axum::Router) {
    let uri = format!("/acme/products/{ID}");
    let valid = token("acme");
    for _ in 0..500 {
        assert_eq!(app.clone().oneshot(get(&uri, &valid)).await.unwrap().status(), StatusCode::OK);
    }
    let mut latencies = Vec::with_capacity(ROUNDS);
    let started = Instant::now();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let status = app.clone().oneshot(get(&uri, &valid)).await.unwrap().status();
        latencies.push(t.elapsed());
        assert_eq!(status, StatusCode::OK);
    }
    let wall = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{label}: {:.0} req/s; p50 {:.1}µs p99 {:.1}µs",
        ROUNDS as f64 / wall.as_secs_f64(),
        micros(at(0.50)),
        micros(at(0.99)),
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        println!(
            "GET /{{tenant}}/products/{{id}} in process, one thread, {ROUNDS} requests each, store in memory, STS fake:"
        );
        measure("dedicated", dedicated().await).await;
        measure("pooled, credentials cached", pooled(FakeVending::new()).await).await;
        let cold = FakeVending::lasting(Settings::default().session_margin);
        measure("pooled, credentials cold", pooled(cold.clone()).await).await;
        println!("(cold: {} sessions vended, one per request)", cold.vends().len());
    });
}
