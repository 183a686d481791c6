//! The registration service over real HTTP on 127.0.0.1, recording in moto's DynamoDB and
//! starting builds on moto's CodeBuild through the real SDK (scripts/test starts moto and sets
//! TENANCY_MOTO_URL): a sign-up writes its record, audit entry and claims in one transaction and
//! starts one build; the same sign-up again starts none and writes nothing; a taken email is a
//! 409 naming the field.

use std::sync::Arc;

use registration::{AppState, CodeBuildJobs, DynamoRegistry, RateLimiter, RecordedEvents, Registry, router};
use serde_json::{Value, json};

#[path = "support/moto.rs"]
mod moto;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn a_sign_up_over_http_is_recorded_once_and_starts_one_onboarding_build() {
    let aws = moto::aws().await;
    let (table, project) = moto::registry_and_project(&aws, "saas").await;
    let (dynamodb, codebuild) = (aws_sdk_dynamodb::Client::new(&aws), aws_sdk_codebuild::Client::new(&aws));
    let store = Arc::new(DynamoRegistry::new(dynamodb.clone(), table.clone()));
    let state = Arc::new(AppState {
        store: store.clone(),
        // The topic on moto is the registry crate's test (`tenancy-registry/tests/dynamodb.rs`).
        events: Arc::new(RecordedEvents::default()),
        onboarding: Arc::new(CodeBuildJobs::new(codebuild.clone(), project.clone())),
        tiers: vec!["basic".into(), "standard".into()],
        limiter: RateLimiter::new(60, 10, 100),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    let http = reqwest::Client::new();
    let register = |body: Value, request_id: &'static str| {
        let request = http.post(format!("{base}/register")).header("x-request-id", request_id).json(&body);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let builds =
        || async { codebuild.list_builds_for_project().project_name(&project).send().await.unwrap().ids().to_vec() };

    assert_eq!(http.get(format!("{base}/ready")).send().await.unwrap().status().as_u16(), 200);
    let hooli = json!({"tenantId": "hooli", "name": "Hooli", "email": "ops@hooli.example", "tier": "standard"});
    let (status, body) = register(hooli.clone(), "req-signup-1").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!((body["tenantId"].as_str(), body["state"].as_str()), (Some("hooli"), Some("requested")));
    let started = builds().await;
    assert_eq!(started.len(), 1, "one build");
    assert_eq!(body["buildId"].as_str(), Some(started[0].as_str()));
    // (Plain moto keeps no environment overrides, so the build's environment is checked where
    // it is made: `tenancy_registry::jobs`' test.)

    // What DynamoDB holds: the record, one audit entry with the request id, the email claim.
    let items = dynamodb.scan().table_name(&table).send().await.unwrap();
    let mut keys: Vec<String> =
        items.items().iter().map(|i| format!("{} {}", i["Pk"].as_s().unwrap(), i["Sk"].as_s().unwrap())).collect();
    keys.sort();
    assert_eq!(keys, ["email#ops@hooli.example claim", "tenant#hooli audit#000001", "tenant#hooli record"]);
    let audit = store.audit("hooli").await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].caller.request_id, "req-signup-1");

    // The same sign-up again: the same registration, no second build, no new item.
    let (status, again) = register(hooli.clone(), "req-signup-2").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, body);
    assert_eq!(builds().await.len(), 1);
    assert_eq!(dynamodb.scan().table_name(&table).send().await.unwrap().count(), 3);

    // Another tenant with the same email: 409 naming the field; nothing written or started.
    let mut other = hooli;
    other["tenantId"] = json!("hooli-eu");
    let (status, body) = register(other, "req-signup-3").await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("email: "), "{body}");
    assert_eq!(builds().await.len(), 1);
    assert_eq!(dynamodb.scan().table_name(&table).send().await.unwrap().count(), 3);
}
