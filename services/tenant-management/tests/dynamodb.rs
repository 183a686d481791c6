//! Tenant management over real HTTP on 127.0.0.1, on moto's DynamoDB (the registry and the
//! tenant table) and CodeBuild (the onboarding job) through the real SDK (scripts/test starts
//! moto and sets TENANCY_MOTO_URL): what the app asks before sign-in, the administrators'
//! listing, and a suspension and an offboarding that start the job and leave their trail.
//!
//! Administrators' tokens here are signed with the test key: verifying tokens of a real pool
//! (moto's Cognito) is user management's test (`services/user-management/tests/cognito.rs`).

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use tenancy::contract::lifecycle::Event;
use tenancy_registry::{CodeBuildJobs, DynamoDirectory, DynamoRegistry, RecordedEvents};
use tenant_context::testing::{admin_claims, create_table, sign, verifier};
use tenant_management::{AppState, router};

#[path = "../../registration/tests/support/moto.rs"]
mod moto;
mod support;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn tenant_management_over_http_reads_lists_and_acts_through_the_job_on_moto() {
    let aws = moto::aws().await;
    let (registry_table, project) = moto::registry_and_project(&aws, "tm").await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let codebuild = aws_sdk_codebuild::Client::new(&aws);
    let tenant_table = format!("tm-tenant-{}", std::process::id());
    create_table(&dynamodb, &tenant_table, "TenantId", None).await;
    let registry = Arc::new(DynamoRegistry::new(dynamodb.clone(), registry_table));
    support::seed(
        registry.as_ref(),
        &[("hooli", &[Event::Provision, Event::Provisioned]), ("raviga", &[Event::Provision])],
    )
    .await;
    // What the plan's register step writes once hooli's stack is up.
    dynamodb
        .put_item()
        .table_name(&tenant_table)
        .item("TenantId", AttributeValue::S("hooli".into()))
        .item("Status", AttributeValue::S("active".into()))
        .item("Issuer", AttributeValue::S("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Hooli".into()))
        .item("ClientId", AttributeValue::S("hooli-client".into()))
        .item("UserPoolId", AttributeValue::S("eu-west-1_Hooli".into()))
        .item("SignInDomain", AttributeValue::S("saas-hooli-0123abcd.auth.eu-west-1.amazoncognito.com".into()))
        .send()
        .await
        .unwrap();
    let state = AppState {
        registry: registry.clone(),
        events: Arc::new(RecordedEvents::default()),
        jobs: Arc::new(CodeBuildJobs::new(codebuild.clone(), project.clone())),
        directory: Arc::new(DynamoDirectory::new(dynamodb, tenant_table)),
        admins: verifier(),
        app_domain: "app.saas.example.com".into(),
        tiers: vec!["basic".into(), "premium".into()],
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(state))).await.unwrap() });
    let http = reqwest::Client::new();
    let admin = sign(&admin_claims("alice"));
    let send = |method: reqwest::Method, path: &str, token: Option<&str>| {
        let mut request = http.request(method, format!("{base}{path}")).header("x-request-id", "req-admin-7");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    let (status, body) = send(get.clone(), "/auth-info?tenantId=hooli", None).await;
    assert_eq!((status, body["clientId"].as_str()), (200, Some("hooli-client")), "{body}");
    assert_eq!(body["domain"], "saas-hooli-0123abcd.auth.eu-west-1.amazoncognito.com", "{body}");
    let (status, body) = send(get.clone(), "/auth-info?tenantId=raviga", None).await;
    assert_eq!(status, 409, "{body}");

    // The listing, one a page, walks both tenants.
    let mut seen = Vec::new();
    let mut path = "/tenants?limit=1".to_owned();
    for _ in 0..5 {
        let (status, body) = send(get.clone(), &path, Some(&admin)).await;
        assert_eq!(status, 200, "{body}");
        seen.extend(body["tenants"].as_array().unwrap().iter().map(|t| t["tenantId"].as_str().unwrap().to_owned()));
        match body["next"].as_str() {
            Some(next) => path = format!("/tenants?limit=1&after={next}"),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, ["hooli", "raviga"]);

    let builds =
        || async { codebuild.list_builds_for_project().project_name(&project).send().await.unwrap().ids().len() };
    let (status, body) = send(post.clone(), "/tenants/hooli/suspend", Some(&admin)).await;
    assert_eq!((status, body["job"].as_str()), (202, Some("suspend")), "{body}");
    assert_eq!(builds().await, 1);
    let (status, body) = send(post.clone(), "/tenants/hooli/offboard", Some(&admin)).await;
    assert_eq!((status, body["state"].as_str()), (202, Some("offboarding")), "{body}");
    assert_eq!(builds().await, 2);
    let (status, body) = send(get.clone(), "/tenants/hooli", Some(&admin)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["audit"][3], "4 offboard active->offboarding by admin:alice (req-admin-7)");
    let (status, _) = send(get, "/auth-info?tenantId=hooli", None).await;
    assert_eq!(status, 404, "an offboarded tenant's app gets no sign-in settings");
    let (status, body) = send(post, "/tenants/raviga/suspend", Some(&admin)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(builds().await, 2, "a refused event starts nothing");
}
