//! The product router in pooled compute, in process: one router serves every tenant of the
//! `basic` tier, admitted by the tenant directory, each store call signed with credentials vended
//! for the request's tenant (a fake vending machine; a store double signs one call per operation
//! against a stand-in DynamoDB, which records the access key). What is refused, and with which
//! status, and which session each call used.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::StatusCode;
use product::{AppState, MemoryProducts, Products, StoredProduct, router};
use serde_json::{Value, json};
use tenancy_registry::MemoryDirectory;
use tenant_context::pooled::{Settings, Tenants};
use tenant_context::testing::pooled::{FakeVending, SessionLog, record, tenants};
use tenant_context::testing::{self, call, token};
use tenant_context::{AppError, TenantData};

/// Memory products whose every operation first gets the tenant's client, as `DynamoProducts`
/// does, and signs one call with it.
struct Signed {
    inner: MemoryProducts,
    data: Arc<Tenants>,
    log: Arc<SessionLog>,
}

#[async_trait]
impl Products for Signed {
    async fn list(
        &self,
        tenant: &str,
        limit: usize,
        after: Option<String>,
    ) -> Result<(Vec<StoredProduct>, Option<String>), AppError> {
        self.log.note(self.data.as_ref(), tenant).await?;
        self.inner.list(tenant, limit, after).await
    }
    async fn get(&self, tenant: &str, id: &str) -> Result<Option<StoredProduct>, AppError> {
        self.log.note(self.data.as_ref(), tenant).await?;
        self.inner.get(tenant, id).await
    }
    async fn put(&self, tenant: &str, product: &StoredProduct) -> Result<(), AppError> {
        self.log.note(self.data.as_ref(), tenant).await?;
        self.inner.put(tenant, product).await
    }
    async fn delete(&self, tenant: &str, id: &str) -> Result<bool, AppError> {
        self.log.note(self.data.as_ref(), tenant).await?;
        self.inner.delete(tenant, id).await
    }
    async fn ready(&self) -> Result<(), AppError> {
        Ok(())
    }
}

struct Pool {
    app: axum::Router,
    directory: Arc<MemoryDirectory>,
    vending: Arc<FakeVending>,
    log: Arc<SessionLog>,
    tenants: Arc<Tenants>,
}

/// The `basic` pool: acme and globex are basic tenants, initech a premium one, hooli unknown.
async fn pool(vending: Arc<FakeVending>, settings: Settings) -> Pool {
    let directory = Arc::new(MemoryDirectory::default());
    for (tenant, tier) in [("acme", "basic"), ("globex", "basic"), ("initech", "premium")] {
        directory.insert(tenant, record(tenant, tier));
    }
    let log = Arc::new(SessionLog::start().await);
    let tenants = tenants("basic", directory.clone(), vending.clone(), settings, log.sdk_config());
    let products = Arc::new(Signed { inner: MemoryProducts::default(), data: tenants.clone(), log: log.clone() });
    let app = router(Arc::new(AppState {
        verifier: testing::verifier(),
        products,
        served: None,
        pooled: Some(tenants.clone()),
    }));
    Pool { app, directory, vending, log, tenants }
}

async fn default_pool() -> Pool {
    pool(FakeVending::new(), Settings::default()).await
}

fn names(body: &Value) -> Vec<String> {
    body["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn one_router_serves_both_tenants_and_neither_reaches_the_other() {
    let Pool { app, vending, log, .. } = default_pool().await;
    let (acme, globex) = (token("acme"), token("globex"));
    let (status, anvil) =
        call(&app, "POST", "/acme/products", Some(&acme), Some(json!({"name": "Anvil", "price": "12.50"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{anvil}");
    let (status, drill) =
        call(&app, "POST", "/globex/products", Some(&globex), Some(json!({"name": "Drill", "price": 3}))).await;
    assert_eq!(status, StatusCode::CREATED, "{drill}");
    let (anvil, drill) = (anvil["id"].as_str().unwrap().to_owned(), drill["id"].as_str().unwrap().to_owned());

    assert_eq!(names(&call(&app, "GET", "/acme/products", Some(&acme), None).await.1), ["Anvil"]);
    assert_eq!(names(&call(&app, "GET", "/globex/products", Some(&globex), None).await.1), ["Drill"]);
    let update = json!({"name": "mine now", "price": 1});
    for (token, tenant, other, theirs) in [(&acme, "acme", "globex", &drill), (&globex, "globex", "acme", &anvil)] {
        // The other's ids on one's own path: not found, whatever the route.
        for (method, body) in [("GET", None), ("PUT", Some(update.clone())), ("DELETE", None)] {
            let uri = format!("/{tenant}/products/{theirs}");
            assert_eq!(call(&app, method, &uri, Some(token), body).await.0, StatusCode::NOT_FOUND, "{method} {uri}");
        }
        // One's own token on the other's path: forbidden, on every route.
        for (method, uri, body) in [
            ("GET", format!("/{other}/products"), None),
            ("POST", format!("/{other}/products"), Some(update.clone())),
            ("GET", format!("/{other}/products/{theirs}"), None),
            ("PUT", format!("/{other}/products/{theirs}"), Some(update.clone())),
            ("DELETE", format!("/{other}/products/{theirs}"), None),
        ] {
            assert_eq!(call(&app, method, &uri, Some(token), body).await.0, StatusCode::FORBIDDEN, "{method} {uri}");
        }
    }
    // Nothing changed.
    assert_eq!(names(&call(&app, "GET", "/acme/products", Some(&acme), None).await.1), ["Anvil"]);
    assert_eq!(names(&call(&app, "GET", "/globex/products", Some(&globex), None).await.1), ["Drill"]);

    // Every store call was signed with the session vended for its own tenant, never the pod's.
    let (acme_keys, globex_keys) = (vending.keys_of("acme"), vending.keys_of("globex"));
    assert_eq!((acme_keys.len(), globex_keys.len()), (1, 1), "one vend each: {:?}", vending.vends());
    let calls = log.calls();
    assert!(calls.len() >= 8, "{calls:?}");
    for (tenant, key) in &calls {
        let own = if tenant == "acme" { &acme_keys } else { &globex_keys };
        assert!(own.contains(key), "a call for {tenant} was signed with {key}: {calls:?}");
    }
    for vend in vending.vends() {
        assert_eq!(vend.role, format!("arn:aws:iam::123456789012:role/saas-access-{}", vend.tenant));
    }
}

#[tokio::test]
async fn a_tenant_of_another_tier_or_of_none_is_refused_before_any_data_call() {
    let Pool { app, vending, log, .. } = default_pool().await;
    // (tenant of the path, token, status, what the error says)
    let cases = [
        ("initech", Some(token("initech")), StatusCode::FORBIDDEN, "not served by this pool"),
        // A premium token on a basic tenant's path: the claim is not the path's.
        ("acme", Some(token("initech")), StatusCode::FORBIDDEN, "not for this tenant"),
        ("hooli", Some(token("hooli")), StatusCode::NOT_FOUND, "no tenant `hooli`"),
        ("Not_A_Tenant", Some(token("Not_A_Tenant")), StatusCode::NOT_FOUND, "no tenant `Not_A_Tenant`"),
        ("acme", None, StatusCode::UNAUTHORIZED, "bearer token"),
        ("acme", Some("not.a.jwt".to_owned()), StatusCode::UNAUTHORIZED, "not a JWT"),
    ];
    for (tenant, token, status, says) in cases {
        let (got, body) = call(&app, "GET", &format!("/{tenant}/products"), token.as_deref(), None).await;
        assert_eq!(got, status, "{tenant}: {body}");
        assert!(body["error"].as_str().unwrap().contains(says), "{tenant}: {body}");
    }
    assert!(vending.vends().is_empty(), "nothing vended for a refused request: {:?}", vending.vends());
    assert!(log.calls().is_empty());
}

#[tokio::test]
async fn no_access_role_or_a_failing_sts_is_a_503_never_a_500_nor_the_pods_credentials() {
    let Pool { app, directory, vending, log, .. } = default_pool().await;
    let mut unprovisioned = record("globex", "basic");
    unprovisioned.access_role_arn = None;
    directory.insert("globex", unprovisioned);
    let (status, body) = call(&app, "GET", "/globex/products", Some(&token("globex")), None).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("the service is not ready")));

    vending.failing.store(true, std::sync::atomic::Ordering::SeqCst);
    for (method, uri, body) in [
        ("GET", "/acme/products", None),
        ("POST", "/acme/products", Some(json!({"name": "x", "price": 1}))),
        ("GET", "/acme/products/0f8fad5b-d9cb-469f-a165-70867728950e", None),
    ] {
        let (status, answer) = call(&app, method, uri, Some(&token("acme")), body).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{method} {uri}: {answer}");
        assert_eq!(answer["error"], "the service is not ready");
    }
    assert!(log.calls().is_empty(), "no data call without vended credentials: {:?}", log.calls());
    // STS back: served again at once (a failure is not cached).
    vending.failing.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(call(&app, "GET", "/acme/products", Some(&token("acme")), None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_tenant_onboarded_later_is_served_once_its_record_exists() {
    let settings = Settings { absent_ttl: Duration::from_millis(200), ..Settings::default() };
    let Pool { app, directory, .. } = pool(FakeVending::new(), settings).await;
    let hooli = token("hooli");
    assert_eq!(call(&app, "GET", "/hooli/products", Some(&hooli), None).await.0, StatusCode::NOT_FOUND);
    directory.insert("hooli", record("hooli", "basic"));
    // "No such tenant" is kept for a moment (the absent lifetime), then looked up again.
    assert_eq!(call(&app, "GET", "/hooli/products", Some(&hooli), None).await.0, StatusCode::NOT_FOUND);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(call(&app, "GET", "/hooli/products", Some(&hooli), None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_tier_change_reaches_the_pool_within_the_directory_lifetime() {
    let settings = Settings { directory_ttl: Duration::from_millis(200), ..Settings::default() };
    let Pool { app, directory, .. } = pool(FakeVending::new(), settings).await;
    let acme = token("acme");
    assert_eq!(call(&app, "GET", "/acme/products", Some(&acme), None).await.0, StatusCode::OK);
    directory.insert("acme", record("acme", "premium"));
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(call(&app, "GET", "/acme/products", Some(&acme), None).await.0, StatusCode::FORBIDDEN);
    // Offboarded: gone from the directory.
    directory.remove("acme");
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(call(&app, "GET", "/acme/products", Some(&acme), None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sessions_are_reused_until_the_margin_and_vended_once_for_concurrent_cold_requests() {
    // Valid for the margin plus 300 ms: reused for 300 ms, then vended again.
    let vending = FakeVending::lasting(Settings::default().session_margin + Duration::from_millis(300));
    let Pool { app, vending, .. } = pool(vending, Settings::default()).await;
    let acme = token("acme");
    for _ in 0..10 {
        assert_eq!(call(&app, "GET", "/acme/products", Some(&acme), None).await.0, StatusCode::OK);
    }
    assert_eq!(vending.keys_of("acme").len(), 1, "ten requests, one vend");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(call(&app, "GET", "/acme/products", Some(&acme), None).await.0, StatusCode::OK);
    assert_eq!(vending.keys_of("acme").len(), 2, "vended again once less than the margin was left");

    // Twenty concurrent first requests of one tenant, with a vend that takes 100 ms: one vend.
    let Pool { app, vending, .. } = pool(FakeVending::slow(Duration::from_millis(100)), Settings::default()).await;
    let globex = token("globex");
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (app, globex) = (app.clone(), globex.clone());
        requests.spawn(async move { call(&app, "GET", "/globex/products", Some(&globex), None).await });
    }
    while let Some(answer) = requests.join_next().await {
        let (status, body) = answer.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(vending.keys_of("globex").len(), 1, "single flight: {:?}", vending.vends());
}

#[tokio::test]
async fn the_session_cache_is_bounded() {
    let settings = Settings { session_entries: 2, ..Settings::default() };
    let Pool { app, directory, vending, tenants, .. } = pool(FakeVending::new(), settings).await;
    for tenant in ["hooli", "pied-piper", "raviga"] {
        directory.insert(tenant, record(tenant, "basic"));
    }
    for tenant in ["acme", "globex", "hooli", "pied-piper", "raviga"] {
        assert_eq!(
            call(&app, "GET", &format!("/{tenant}/products"), Some(&token(tenant)), None).await.0,
            StatusCode::OK
        );
        assert!(tenants.cached_sessions() <= 2, "{} sessions cached", tenants.cached_sessions());
    }
    // acme's session was evicted: its next request vends again.
    assert_eq!(call(&app, "GET", "/acme/products", Some(&token("acme")), None).await.0, StatusCode::OK);
    assert_eq!(vending.keys_of("acme").len(), 2);
}

#[tokio::test]
async fn readiness_and_health_need_no_token_and_vend_nothing() {
    let Pool { app, vending, .. } = default_pool().await;
    assert_eq!(call(&app, "GET", "/health", None, None).await.0, StatusCode::OK);
    assert_eq!(call(&app, "GET", "/ready", None, None).await.0, StatusCode::OK);
    assert!(vending.vends().is_empty());
}

/// The tenant data the pooled router's store is given is the pool's own: a direct ask for a
/// tenant of another tier is refused too, so a handler that forgot the extractor could not
/// reach it.
#[tokio::test]
async fn the_tenant_data_itself_refuses_other_tiers_and_unknown_tenants() {
    let Pool { tenants, .. } = default_pool().await;
    assert!(matches!(tenants.dynamodb("initech").await, Err(AppError::Forbidden(_))));
    assert!(matches!(tenants.dynamodb("hooli").await, Err(AppError::NotFound(_))));
    assert!(tenants.dynamodb("acme").await.is_ok());
}
