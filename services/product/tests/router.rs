//! The product router in process (`oneshot`, no server): identity is verified before anything
//! else, tenants see only their own products, input is validated, and malformed or oversized
//! bodies get 400 or 413, never a panic or a 500.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use product::{AppState, MemoryProducts, router};
use serde_json::json;
use tenant_context::testing::{self, call, claims, hmac, sign, tampered, token, unsigned};
use tower::ServiceExt;

fn app() -> axum::Router {
    router(Arc::new(AppState {
        verifier: testing::verifier(),
        products: Arc::new(MemoryProducts::default()),
        served: None,
        pooled: None,
    }))
}

#[tokio::test]
async fn tokens_are_verified_before_anything_else() {
    let app = app();
    let acme = claims("acme");
    let mut expired = acme.clone();
    expired["exp"] = json!(testing::now() - 3600);
    let mut early = acme.clone();
    early["nbf"] = json!(testing::now() + 3600);
    let mut foreign = acme.clone();
    foreign["iss"] = json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EVIL");
    let mut other_client = acme.clone();
    other_client["aud"] = json!("someone-else");
    let mut no_tenant = acme.clone();
    no_tenant.as_object_mut().unwrap().remove("custom:tenant-id");
    let mut other_tenant = acme.clone();
    other_tenant["custom:tenant-id"] = json!("globex");
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("not a JWT", Some("not.a.jwt".into())),
        ("expired", Some(sign(&expired))),
        ("not yet valid", Some(sign(&early))),
        ("wrong issuer", Some(sign(&foreign))),
        ("another app client", Some(sign(&other_client))),
        ("no tenant claim", Some(sign(&no_tenant))),
        ("tampered payload", Some(tampered(&token("acme"), &other_tenant))),
        ("alg none", Some(unsigned(&acme))),
        ("HMAC with the public key", Some(hmac(&acme))),
    ];
    for (case, token) in cases {
        let (status, body) = call(&app, "GET", "/acme/products", token.as_deref(), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
        assert!(body["error"].is_string(), "{case}: {body}");
    }
    // A valid token for another tenant's path: forbidden.
    let (status, _) = call(&app, "GET", "/globex/products", Some(&token("acme")), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(&app, "GET", "/acme/products", Some(&token("acme")), None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn crud_and_tenant_isolation() {
    let app = app();
    let acme = token("acme");
    let globex = token("globex");
    let (status, created) = call(
        &app,
        "POST",
        "/acme/products",
        Some(&acme),
        Some(json!({"name": "Anvil", "price": "12.50", "pictureUrl": "https://img.example/anvil.png"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["price"], "12.50");
    let id = created["id"].as_str().unwrap().to_owned();

    let (status, got) = call(&app, "GET", &format!("/acme/products/{id}"), Some(&acme), None).await;
    assert_eq!((status, &got), (StatusCode::OK, &created));
    let (status, _) =
        call(&app, "PUT", &format!("/acme/products/{id}"), Some(&acme), Some(json!({"name": "Anvil XL", "price": 20})))
            .await;
    assert_eq!(status, StatusCode::OK);

    // Globex sees none of it, whatever it asks.
    let (status, list) = call(&app, "GET", "/globex/products", Some(&globex), None).await;
    assert_eq!((status, list["items"].as_array().unwrap().len()), (StatusCode::OK, 0));
    for (method, body) in [("GET", None), ("PUT", Some(json!({"name": "x", "price": 1}))), ("DELETE", None)] {
        let (status, _) = call(&app, method, &format!("/globex/products/{id}"), Some(&globex), body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "globex {method}");
        let (status, _) = call(&app, method, &format!("/acme/products/{id}"), Some(&globex), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "globex {method} on acme's path");
    }

    let (status, _) = call(&app, "DELETE", &format!("/acme/products/{id}"), Some(&acme), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&app, "GET", &format!("/acme/products/{id}"), Some(&acme), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_follow_an_opaque_cursor_bound_to_the_tenant() {
    let app = app();
    let acme = token("acme");
    for i in 0..7 {
        call(&app, "POST", "/acme/products", Some(&acme), Some(json!({"name": format!("p{i}"), "price": i}))).await;
    }
    let mut seen = Vec::new();
    let mut uri = "/acme/products?limit=3".to_owned();
    for _ in 0..10 {
        let (status, page) = call(&app, "GET", &uri, Some(&acme), None).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(page["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(cursor) => {
                // The cursor is worthless to another tenant.
                let (status, _) =
                    call(&app, "GET", &format!("/globex/products?cursor={cursor}"), Some(&token("globex")), None).await;
                assert_eq!(status, StatusCode::BAD_REQUEST);
                uri = format!("/acme/products?limit=3&cursor={cursor}");
            }
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (7, 7));
    for bad in ["/acme/products?limit=0", "/acme/products?limit=101", "/acme/products?cursor=garbage"] {
        let (status, _) = call(&app, "GET", bad, Some(&acme), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn invalid_input_gets_clear_400s() {
    let app = app();
    let acme = token("acme");
    for body in [
        json!({"name": "", "price": 1}),
        json!({"name": "x", "price": -1}),
        json!({"name": "x", "price": "1.234"}),
        json!({"name": "x", "price": "free"}),
        json!({"name": "x", "price": 1, "pictureUrl": "http://insecure.example/x.png"}),
        json!({"name": "x", "price": 1, "owner": "globex"}),
        json!({"price": 1}),
        json!([1, 2]),
    ] {
        let (status, response) = call(&app, "POST", "/acme/products", Some(&acme), Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {response}");
        assert!(!response["error"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn malformed_and_oversized_bodies_never_panic_or_500() {
    let app = app();
    let acme = token("acme");
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let fragments = [
        "{",
        "}",
        "[",
        "]",
        "\"name\"",
        ":",
        ",",
        "\"price\"",
        "1e309",
        "-",
        "null",
        "\"\\u0000\"",
        "true",
        "\u{feff}",
        "\"\\ud800\"",
    ];
    for _ in 0..300 {
        let length = (next() % 12) as usize;
        let body: String = (0..length).map(|_| fragments[(next() % fragments.len() as u64) as usize]).collect();
        let request = Request::post("/acme/products")
            .header("authorization", format!("Bearer {acme}"))
            .header("content-type", "application/json")
            .body(Body::from(body.clone()))
            .unwrap();
        let status = app.clone().oneshot(request).await.unwrap().status();
        assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::CREATED, "{body:?} gave {status}");
    }
    let huge = format!("{{\"name\": \"{}\", \"price\": 1}}", "x".repeat(200_000));
    let request = Request::post("/acme/products")
        .header("authorization", format!("Bearer {acme}"))
        .header("content-type", "application/json")
        .body(Body::from(huge))
        .unwrap();
    assert_eq!(app.clone().oneshot(request).await.unwrap().status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn health_needs_no_token() {
    let (status, _) = call(&app(), "GET", "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&app(), "GET", "/ready", None, None).await;
    assert_eq!(status, StatusCode::OK);
}

/// Sends `method uri` with acme's token and a raw `body` (with `content_type`, if given).
async fn raw(
    app: &axum::Router,
    method: &str,
    uri: &str,
    content_type: Option<&str>,
    body: &str,
) -> (StatusCode, String, serde_json::Value) {
    use http_body_util::BodyExt;
    let mut request =
        Request::builder().method(method).uri(uri).header("authorization", format!("Bearer {}", token("acme")));
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = app.clone().oneshot(request.body(Body::from(body.to_owned())).unwrap()).await.unwrap();
    let status = response.status();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

/// D4 of the 2026-12 services review: query and path rejections came back as plain text.
/// Every rejection is JSON `{"error": ...}` naming what is at fault, with a 4xx status.
#[tokio::test]
async fn d4_every_rejection_is_json_naming_the_field_at_fault() {
    let app = app();
    let json = Some("application/json");
    let product = "/acme/products/0f8fad5b-d9cb-469f-a165-70867728950e";
    // (method, uri, content type, body, status, what the error names)
    let cases = [
        ("GET", "/acme/products?limit=-1", None, "", 400, "limit"),
        ("GET", "/acme/products?limit=abc", None, "", 400, "limit"),
        ("GET", "/acme/products?limit=1e2", None, "", 400, "limit"),
        ("GET", "/acme/products?limit=99999999999999999999999", None, "", 400, "limit"),
        ("GET", "/acme/products?cursor=a&cursor=b", None, "", 400, "cursor"),
        ("GET", "/acme/products/%FF%FE", None, "", 400, "`id`"),
        ("GET", "/acme/nowhere", None, "", 404, "no such route"),
        ("GET", "/", None, "", 404, "no such route"),
        ("PATCH", "/acme/products", None, "", 405, "method"),
        ("DELETE", "/acme/products", None, "", 405, "method"),
        ("POST", "/acme/products", None, r#"{"name": "x", "price": 1}"#, 415, "Content-Type"),
        ("POST", "/acme/products", Some("text/plain"), r#"{"name": "x", "price": 1}"#, 415, "Content-Type"),
        ("POST", "/acme/products", json, r#"{"name": "x", "price": 1, "owner": "globex"}"#, 400, "owner"),
        ("PUT", product, json, r#"{"name": 5, "price": 1}"#, 400, "name"),
    ];
    for (method, uri, content_type, body, status, names) in cases {
        let (got, content, response) = raw(&app, method, uri, content_type, body).await;
        let case = format!("{method} {uri} {body}");
        assert_eq!(got.as_u16(), status, "{case}: {response}");
        assert!(content.starts_with("application/json"), "{case}: {content}");
        let error = response["error"].as_str().unwrap_or_else(|| panic!("{case}: {response}"));
        assert!(error.contains(names), "{case}: {error:?} does not name {names}");
    }
}
