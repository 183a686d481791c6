//! `POST /register` in process (`oneshot`), on the in-memory registry: a sign-up is recorded as
//! `requested` and starts one build; the same sign-up again is answered with the same
//! registration and starts none; conflicts and bad input name their field, never a 500.

use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use registration::{
    AppState, Job, Jobs, MemoryRegistry, RateLimiter, RecordedEvents, RecordedJobs, Registry, RegistryError, router,
};
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    router: axum::Router,
    store: Arc<MemoryRegistry>,
    events: Arc<RecordedEvents>,
    onboarding: Arc<RecordedJobs>,
}

fn app_with(burst: u32) -> App {
    let store = Arc::new(MemoryRegistry::default());
    let events = Arc::new(RecordedEvents::default());
    let onboarding = Arc::new(RecordedJobs::default());
    let state = AppState {
        store: store.clone(),
        events: events.clone(),
        onboarding: onboarding.clone(),
        tiers: vec!["basic".into(), "standard".into(), "premium".into()],
        limiter: RateLimiter::new(1, burst, 1000),
    };
    App { router: router(Arc::new(state)), store, events, onboarding }
}

fn app() -> App {
    app_with(100)
}

fn hooli() -> Value {
    json!({"tenantId": "hooli", "name": "Hooli", "email": "Ops@Hooli.example", "tier": "standard"})
}

async fn post(app: &axum::Router, headers: &[(&str, &str)], body: String) -> (StatusCode, Value) {
    let mut request = Request::post("/register").header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn register(app: &axum::Router, headers: &[(&str, &str)], body: &Value) -> (StatusCode, Value) {
    post(app, headers, body.to_string()).await
}

#[tokio::test]
async fn a_sign_up_is_requested_once_with_one_build_and_an_audit_entry_and_a_repeat_changes_nothing() {
    let app = app();
    let (status, body) = register(&app.router, &[("x-request-id", "req-1")], &hooli()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body, json!({"tenantId": "hooli", "state": "requested", "buildId": "onboard:hooli-1"}));
    let audit = app.store.audit("hooli").await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!((audit[0].event.as_str(), audit[0].to.as_str()), ("register", "requested"));
    assert_eq!((audit[0].caller.actor.as_str(), audit[0].caller.request_id.as_str()), ("registration", "req-1"));
    let published = app.events.published();
    assert_eq!(published.len(), 1, "the sign-up's event");
    assert_eq!(
        (published[0].event.as_str(), published[0].to.as_str(), published[0].version),
        ("register", "requested", 1)
    );

    // The same sign-up again (a double click, a retry): the same registration, nothing new.
    let (status, again) = register(&app.router, &[], &hooli()).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again, body);
    assert_eq!(*app.onboarding.started.lock().unwrap(), ["onboard hooli"], "one build");
    assert_eq!(app.store.audit("hooli").await.unwrap().len(), 1, "one audit entry");
    assert_eq!(app.events.published().len(), 1, "one event");
}

#[tokio::test]
async fn a_sign_up_is_recorded_while_the_topic_is_down_and_its_event_waits_on_the_trail() {
    let app = app();
    app.events.fail(true);
    let (status, body) = register(&app.router, &[], &hooli()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(app.events.published().is_empty());
    assert_eq!(app.store.audit("hooli").await.unwrap().iter().filter(|e| !e.published).count(), 1);
    app.events.fail(false);
    let (status, _) = register(&app.router, &[], &hooli()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.events.published().len(), 1, "the retry published what was pending");
}

#[tokio::test]
async fn an_idempotency_key_replays_its_sign_up_and_refuses_another() {
    let app = app();
    let key = [("idempotency-key", "k-7f3a")];
    assert_eq!(register(&app.router, &key, &hooli()).await.0, StatusCode::ACCEPTED);
    assert_eq!(register(&app.router, &key, &hooli()).await.0, StatusCode::OK);
    let other = json!({"tenantId": "initech", "name": "Initech", "email": "it@initech.example", "tier": "basic"});
    let (status, body) = register(&app.router, &key, &other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("Idempotency-Key: "), "{body}");
    assert_eq!(*app.onboarding.started.lock().unwrap(), ["onboard hooli"]);
}

#[tokio::test]
async fn a_taken_email_or_id_is_a_conflict_naming_the_field() {
    let app = app();
    assert_eq!(register(&app.router, &[], &hooli()).await.0, StatusCode::ACCEPTED);
    let mut same_email = hooli();
    same_email["tenantId"] = json!("hooli-two");
    let (status, body) = register(&app.router, &[], &same_email).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].as_str().unwrap().starts_with("email: "), "{body}");
    let mut same_id = hooli();
    same_id["email"] = json!("someone@else.example");
    let (status, body) = register(&app.router, &[], &same_id).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].as_str().unwrap().starts_with("tenantId: "), "{body}");
}

/// Request headers as name, value.
type Headers = Vec<(&'static str, &'static str)>;

#[tokio::test]
async fn bad_input_in_every_field_is_a_400_that_names_the_field() {
    let app = app();
    let with = |field: &str, value: Value| {
        let mut body = hooli();
        body[field] = value;
        body.to_string()
    };
    let cases: Vec<(String, Headers, &str)> = vec![
        (with("tenantId", json!("Hooli_Inc")), vec![], "tenantId: "),
        (with("tenantId", json!("a".repeat(64))), vec![], "tenantId: "),
        (with("tenantId", json!("x; rm -rf /")), vec![], "tenantId: "),
        (with("tenantId", json!("${AWS::Region}")), vec![], "tenantId: "),
        (with("name", json!("")), vec![], "name: "),
        (with("name", json!("a\u{1b}[31m")), vec![], "name: "),
        (with("email", json!("not-an-email")), vec![], "email: "),
        (with("email", json!(7)), vec![], "email"),
        (with("tier", json!("gold")), vec![], "tier: `gold` is not offered"),
        (with("tier", json!("Gold Plus")), vec![], "tier: "),
        (json!({"tenantId": "hooli"}).to_string(), vec![], "missing field `name`"),
        (with("admin", json!(true)), vec![], "unknown field `admin`"),
        ("{not json".into(), vec![], "not valid JSON"),
        (hooli().to_string(), vec![("idempotency-key", "has spaces")], "Idempotency-Key: "),
    ];
    for (body, headers, expect) in cases {
        let (status, answer) = post(&app.router, &headers, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(expect), "{body}: `{error}` should contain `{expect}`");
    }
    // Every problem at once, each with its field.
    let (_, answer) =
        register(&app.router, &[], &json!({"tenantId": "-", "name": "", "email": "x", "tier": "gold"})).await;
    let error = answer["error"].as_str().unwrap();
    for field in ["tenantId: ", "name: ", "email: ", "tier: "] {
        assert!(error.contains(field), "{error}");
    }
    assert!(app.onboarding.started.lock().unwrap().is_empty(), "nothing started for bad input");
}

#[tokio::test]
async fn sign_ups_are_rate_limited_per_client_address() {
    let app = app_with(2);
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    let sign_up = |id: &str| json!({"tenantId": id, "name": id, "email": format!("a@{id}.example"), "tier": "basic"});
    assert_eq!(register(&app.router, &from("203.0.113.9"), &sign_up("t1")).await.0, StatusCode::ACCEPTED);
    assert_eq!(register(&app.router, &from("203.0.113.9"), &sign_up("t2")).await.0, StatusCode::ACCEPTED);
    let (status, body) = register(&app.router, &from("203.0.113.9"), &sign_up("t3")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // The address nginx appended is the one counted, not what the client claims before it.
    let spoofed = [("x-forwarded-for", "198.51.100.1, 203.0.113.9")];
    assert_eq!(register(&app.router, &spoofed, &sign_up("t3")).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(register(&app.router, &from("192.0.2.4"), &sign_up("t3")).await.0, StatusCode::ACCEPTED);
}

/// Fails its first start, as a crash between the record and the build would leave it.
#[derive(Default)]
struct FailsOnce(RecordedJobs, std::sync::atomic::AtomicBool);

#[async_trait]
impl Jobs for FailsOnce {
    async fn start(&self, job: &Job, version: u64) -> Result<String, RegistryError> {
        if !self.1.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(RegistryError::Unavailable {
                what: "start the onboarding build",
                message: "CodeBuild is down".into(),
            });
        }
        self.0.start(job, version).await
    }
}

#[tokio::test]
async fn a_retry_after_the_build_failed_to_start_starts_it_and_records_nothing_twice() {
    let store = Arc::new(MemoryRegistry::default());
    let onboarding = Arc::new(FailsOnce::default());
    let state = AppState {
        store: store.clone(),
        events: Arc::new(RecordedEvents::default()),
        onboarding: onboarding.clone(),
        tiers: vec!["standard".into()],
        limiter: RateLimiter::new(60, 10, 10),
    };
    let app = router(Arc::new(state));
    let (status, body) = register(&app, &[], &hooli()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let (status, body) = register(&app, &[], &hooli()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["buildId"], "onboard:hooli-1");
    assert_eq!(*onboarding.0.started.lock().unwrap(), ["onboard hooli"]);
    assert_eq!(store.audit("hooli").await.unwrap().len(), 1);
}
