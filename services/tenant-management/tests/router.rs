//! Tenant management in process (`oneshot`), on the in-memory registry and directory: what
//! `/auth-info` answers for each lifecycle state and each way of naming the tenant, that the
//! admin routes take administrators only, and what suspend, activate and offboard record and
//! start. Bad input of every field is a 400 naming it, never a 500.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tenancy::contract::lifecycle::{Event, State};
use tenancy_registry::{MemoryDirectory, MemoryRegistry, RecordedEvents, RecordedJobs, Registry, SignIn};
use tenant_context::testing::{admin_claims, sign, token, verifier};
use tenant_management::{AppState, router};
use tower::ServiceExt;

mod support;

struct App {
    router: axum::Router,
    registry: Arc<MemoryRegistry>,
    events: Arc<RecordedEvents>,
    jobs: Arc<RecordedJobs>,
}

const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Hooli";

/// hooli, active with its sign-in settings; pied-piper, suspended; raviga, still provisioning.
async fn app() -> App {
    let registry = Arc::new(MemoryRegistry::default());
    let directory = Arc::new(MemoryDirectory::default());
    support::seed(
        registry.as_ref(),
        &[
            ("hooli", &[Event::Provision, Event::Provisioned]),
            ("pied-piper", &[Event::Provision, Event::Provisioned, Event::Suspend]),
            ("raviga", &[Event::Provision]),
        ],
    )
    .await;
    for id in ["hooli", "pied-piper", "raviga"] {
        directory.insert(
            id,
            SignIn {
                issuer: ISSUER.into(),
                client_id: format!("client-{id}"),
                user_pool_id: format!("eu-west-1_{id}"),
                domain: Some(format!("saas-{id}-0123abcd.auth.eu-west-1.amazoncognito.com")),
                tier: None,
                access_role_arn: None,
            },
        );
    }
    let events = Arc::new(RecordedEvents::default());
    let jobs = Arc::new(RecordedJobs::default());
    let state = AppState {
        registry: registry.clone(),
        events: events.clone(),
        jobs: jobs.clone(),
        directory,
        admins: verifier(),
        app_domain: "app.saas.example.com".into(),
        tiers: vec!["basic".into(), "premium".into()],
    };
    App { router: router(Arc::new(state)), registry, events, jobs }
}

async fn call(app: &App, method: &str, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    send(app, method, uri, headers, Body::empty()).await
}

async fn send(app: &App, method: &str, uri: &str, headers: &[(&str, &str)], body: Body) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn auth_info_answers_an_active_tenant_by_id_or_by_origin_and_nothing_more() {
    let app = app().await;
    let expected = json!({
        "tenantId": "hooli", "issuer": ISSUER, "clientId": "client-hooli",
        "redirectUri": "https://hooli.app.saas.example.com/",
        "domain": "saas-hooli-0123abcd.auth.eu-west-1.amazoncognito.com",
    });
    assert_eq!(call(&app, "GET", "/auth-info?tenantId=hooli", &[]).await, (StatusCode::OK, expected.clone()));
    let origin = [("origin", "https://hooli.app.saas.example.com")];
    assert_eq!(call(&app, "GET", "/auth-info", &origin).await, (StatusCode::OK, expected.clone()));
    assert_eq!(call(&app, "GET", "/auth-info?tenantId=hooli", &origin).await, (StatusCode::OK, expected));
}

#[tokio::test]
async fn auth_info_refuses_every_tenant_that_is_not_serving_and_every_bad_input_by_its_field() {
    let app = app().await;
    for (uri, headers, status, says) in [
        (
            "/auth-info?tenantId=pied-piper",
            &[][..],
            StatusCode::FORBIDDEN,
            "tenantId: tenant `pied-piper` is suspended",
        ),
        ("/auth-info?tenantId=raviga", &[], StatusCode::CONFLICT, "tenantId: tenant `raviga` is not ready yet"),
        ("/auth-info?tenantId=nobody", &[], StatusCode::NOT_FOUND, "tenantId: no tenant `nobody`"),
        ("/auth-info", &[], StatusCode::BAD_REQUEST, "tenantId: missing"),
        ("/auth-info?tenantId=Hooli", &[], StatusCode::BAD_REQUEST, "tenantId: "),
        ("/auth-info?tenantId=%24%7Bx%7D", &[], StatusCode::BAD_REQUEST, "tenantId: "),
        ("/auth-info?tenantId=hooli&extra=1", &[], StatusCode::BAD_REQUEST, "extra"),
        ("/auth-info", &[("origin", "https://evil.example")], StatusCode::BAD_REQUEST, "Origin: "),
        ("/auth-info", &[("origin", "http://hooli.app.saas.example.com")], StatusCode::BAD_REQUEST, "Origin: "),
        ("/auth-info", &[("origin", "https://a.b.app.saas.example.com")], StatusCode::BAD_REQUEST, "Origin: "),
        (
            "/auth-info?tenantId=raviga",
            &[("origin", "https://hooli.app.saas.example.com")],
            StatusCode::BAD_REQUEST,
            "tenantId: `raviga` is not the tenant of the Origin",
        ),
    ] {
        let (got, body) = call(&app, "GET", uri, headers).await;
        assert_eq!(got, status, "{uri} {headers:?}: {body}");
        assert!(error(&body).contains(says), "{uri} {headers:?}: {body}");
    }
}

#[tokio::test]
async fn the_admin_routes_take_an_administrators_token_only() {
    let app = app().await;
    let (status, _) = call(&app, "GET", "/tenants/hooli", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let tenant_user = format!("Bearer {}", token("hooli"));
    let (status, body) = call(&app, "GET", "/tenants/hooli", &[("authorization", &tenant_user)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(error(&body).contains("not an administrator's"), "{body}");
    let (status, _) = call(&app, "POST", "/tenants/hooli/offboard", &[("authorization", &tenant_user)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(app.jobs.started.lock().unwrap().is_empty(), "nothing started for a tenant user");
    assert_eq!(app.registry.record("hooli").await.unwrap().unwrap().state, State::Active);
}

#[tokio::test]
async fn an_admin_reads_a_tenant_with_its_trail_and_suspends_activates_and_offboards_through_the_job() {
    let app = app().await;
    let admin = format!("Bearer {}", sign(&admin_claims("alice")));
    let auth = [("authorization", admin.as_str()), ("x-request-id", "req-admin-1")];

    let (status, body) = call(&app, "GET", "/tenants/hooli", &auth).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["state"].as_str(), body["version"].as_u64()), (Some("active"), Some(3)));
    assert_eq!(body["audit"][2], "3 provisioned provisioning->active by onboarding-job (build-1)");

    // Suspension: the job is started; the record moves when the job has applied it.
    let (status, body) = call(&app, "POST", "/tenants/hooli/suspend", &auth).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!((body["job"].as_str(), body["state"].as_str()), (Some("suspend"), Some("active")));
    assert_eq!(*app.jobs.started.lock().unwrap(), ["suspend hooli"]);
    // Already so: nothing started. Not allowed from there: 409 with what to do instead.
    let (status, body) = call(&app, "POST", "/tenants/pied-piper/suspend", &auth).await;
    assert_eq!((status, body["job"].is_null()), (StatusCode::OK, true), "{body}");
    let (status, body) = call(&app, "POST", "/tenants/raviga/activate", &auth).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(error(&body).contains("cannot take `activate`"), "{body}");
    let (status, _) = call(&app, "POST", "/tenants/pied-piper/activate", &auth).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // Offboarding: recorded by the admin at once, published, and the job started.
    let (status, body) = call(&app, "POST", "/tenants/hooli/offboard", &auth).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!((body["job"].as_str(), body["state"].as_str()), (Some("offboard"), Some("offboarding")));
    let trail = app.registry.audit("hooli").await.unwrap();
    let last = trail.last().unwrap();
    assert_eq!(
        (last.event.as_str(), last.caller.actor.as_str(), last.caller.request_id.as_str()),
        ("offboard", "admin:alice", "req-admin-1")
    );
    assert!(app.events.published().iter().any(|e| e.tenant_id == "hooli" && e.to == "offboarding"));
    assert_eq!(*app.jobs.started.lock().unwrap(), ["suspend hooli", "activate pied-piper", "offboard hooli"]);
    // While it is offboarded, its app gets no sign-in settings.
    assert_eq!(call(&app, "GET", "/auth-info?tenantId=hooli", &[]).await.0, StatusCode::NOT_FOUND);

    for (uri, status) in [
        ("/tenants/Nope", StatusCode::BAD_REQUEST),
        ("/tenants/nobody", StatusCode::NOT_FOUND),
        ("/tenants/nobody/suspend", StatusCode::NOT_FOUND),
    ] {
        let method = if uri.ends_with("suspend") { "POST" } else { "GET" };
        let (got, body) = call(&app, method, uri, &auth).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert!(error(&body).starts_with("tenantId: "), "{uri}: {body}");
    }
}

/// A tier change is a job like a suspension: started for an offered tier, a repeat of the
/// tier the record holds starts nothing, a tenant still provisioning is refused, and every bad
/// body names its field.
#[tokio::test]
async fn an_admin_moves_a_tenant_to_another_tier_through_the_job() {
    let app = app().await;
    let admin = format!("Bearer {}", sign(&admin_claims("alice")));
    let auth = [("authorization", admin.as_str()), ("content-type", "application/json")];

    let (status, body) = send(&app, "POST", "/tenants/hooli/tier", &auth, Body::from(r#"{"tier": "premium"}"#)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!((body["job"].as_str(), body["state"].as_str()), (Some("set-tier"), Some("active")));
    // Suspended tenants can move too; the tier they are on already is a repeat.
    assert_eq!(
        send(&app, "POST", "/tenants/pied-piper/tier", &auth, Body::from(r#"{"tier": "premium"}"#)).await.0,
        StatusCode::ACCEPTED
    );
    let (status, body) = send(&app, "POST", "/tenants/hooli/tier", &auth, Body::from(r#"{"tier": "basic"}"#)).await;
    assert_eq!((status, body["job"].is_null()), (StatusCode::OK, true), "{body}");
    let (status, body) = send(&app, "POST", "/tenants/raviga/tier", &auth, Body::from(r#"{"tier": "premium"}"#)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(error(&body).contains("cannot take `change-tier`"), "{body}");
    assert_eq!(*app.jobs.started.lock().unwrap(), ["set-tier hooli", "set-tier pied-piper"]);

    for (body, says) in [
        (r#"{"tier": "gold"}"#, "tier: `gold` is not offered; choose one of basic, premium"),
        (r#"{"tier": "Gold!"}"#, "tier: "),
        (r#"{"tier": "premium", "now": true}"#, "unknown field `now`"),
        (r#"{}"#, "missing field `tier`"),
        ("not json", "not valid JSON"),
    ] {
        let (status, answer) = send(&app, "POST", "/tenants/hooli/tier", &auth, Body::from(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(error(&answer).contains(says), "{body}: {answer}");
    }
    assert_eq!(app.jobs.started.lock().unwrap().len(), 2, "nothing started for a bad body");
    // The tier changes on the record when the job reports it, not before.
    assert_eq!(app.registry.record("hooli").await.unwrap().unwrap().registration.tier, "basic");
}

#[tokio::test]
async fn an_admin_lists_the_tenants_a_page_at_a_time_and_by_state_and_bad_queries_name_their_field() {
    let app = app().await;
    let admin = format!("Bearer {}", sign(&admin_claims("root")));
    let auth = [("authorization", admin.as_str())];
    let ids = |body: &Value| -> Vec<String> {
        body["tenants"].as_array().unwrap().iter().map(|t| t["tenantId"].as_str().unwrap().to_owned()).collect()
    };
    // Two a page: hooli and pied-piper, then raviga.
    let (status, first) = call(&app, "GET", "/tenants?limit=2", &auth).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(ids(&first), ["hooli", "pied-piper"]);
    let next = first["next"].as_str().unwrap();
    let (_, second) = call(&app, "GET", &format!("/tenants?limit=2&after={next}"), &auth).await;
    assert_eq!((ids(&second), second.get("next")), (vec!["raviga".to_owned()], None));
    assert_eq!(second["tenants"][0]["state"], "provisioning");
    let (_, suspended) = call(&app, "GET", "/tenants?state=suspended", &auth).await;
    assert_eq!(ids(&suspended), ["pied-piper"]);

    for (uri, says) in [
        ("/tenants?state=asleep", "state: `asleep` is not a state"),
        ("/tenants?limit=0", "limit: "),
        ("/tenants?limit=101", "limit: "),
        ("/tenants?limit=ten", "limit: "),
        ("/tenants?after=Not_An_Id", "after: "),
        ("/tenants?sort=name", "sort"),
    ] {
        let (status, body) = call(&app, "GET", uri, &auth).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(error(&body).contains(says), "{uri}: {body}");
    }
    // Administrators only.
    let tenant_user = format!("Bearer {}", token("hooli"));
    let (status, _) = call(&app, "GET", "/tenants", &[("authorization", &tenant_user)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(&app, "GET", "/tenants", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
