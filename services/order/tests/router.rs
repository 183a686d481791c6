//! The order router in process: the token's tenant must be the path's and the deployment's,
//! totals are computed by the service, input is validated, bad bodies never reach a 500.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use order::{AppState, MemoryOrders, router};
use serde_json::json;
use tenant_context::testing::{self, call, token};
use tower::ServiceExt;

fn app() -> axum::Router {
    router(Arc::new(AppState {
        verifier: testing::verifier(),
        orders: Arc::new(MemoryOrders::default()),
        served: "acme".into(),
    }))
}

#[tokio::test]
async fn only_the_served_tenant_with_its_own_token_gets_in() {
    let app = app();
    assert_eq!(call(&app, "GET", "/acme/orders", None, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&app, "GET", "/acme/orders", Some(&token("globex")), None).await.0, StatusCode::FORBIDDEN);
    // Globex's own path with its own token, but this deployment holds acme's table.
    assert_eq!(call(&app, "GET", "/globex/orders", Some(&token("globex")), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(call(&app, "GET", "/acme/orders", Some(&token("acme")), None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn totals_are_computed_from_the_lines() {
    let app = app();
    let acme = token("acme");
    let body = json!({"name": "restock", "lines": [
        {"productId": "p-1", "price": "12.50", "quantity": 3},
        {"productId": "p-2", "price": 0.99, "quantity": 10},
    ]});
    let (status, order) = call(&app, "POST", "/acme/orders", Some(&acme), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["total"], "47.40");
    let id = order["id"].as_str().unwrap();
    let (status, got) = call(&app, "GET", &format!("/acme/orders/{id}"), Some(&acme), None).await;
    assert_eq!((status, &got), (StatusCode::OK, &order));
    let (status, list) = call(&app, "GET", "/acme/orders", Some(&acme), None).await;
    assert_eq!((status, list["items"].as_array().unwrap().len()), (StatusCode::OK, 1));
    assert_eq!(
        call(&app, "GET", "/acme/orders/00000000-0000-0000-0000-000000000000", Some(&acme), None).await.0,
        StatusCode::NOT_FOUND
    );
    // A total sent by the client is refused, not trusted.
    let forged = json!({"name": "x", "total": "0.01", "lines": [{"productId": "p", "price": 5, "quantity": 1}]});
    assert_eq!(call(&app, "POST", "/acme/orders", Some(&acme), Some(forged)).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn invalid_orders_get_clear_400s() {
    let app = app();
    let acme = token("acme");
    for body in [
        json!({"name": "x", "lines": []}),
        json!({"name": "x", "lines": [{"productId": "p", "price": 1, "quantity": 0}]}),
        json!({"name": "x", "lines": [{"productId": "p", "price": 1, "quantity": -2}]}),
        json!({"name": "x", "lines": [{"productId": "p", "price": -1, "quantity": 1}]}),
        json!({"name": "x", "lines": [{"productId": "p;drop", "price": 1, "quantity": 1}]}),
        json!({"name": "", "lines": [{"productId": "p", "price": 1, "quantity": 1}]}),
        json!({"lines": [{"productId": "p", "price": 1, "quantity": 1}]}),
    ] {
        let (status, response) = call(&app, "POST", "/acme/orders", Some(&acme), Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {response}");
    }
    for raw in ["{", "[]", "{\"name\": 1}", "null", "\"x\""] {
        let request = Request::post("/acme/orders")
            .header("authorization", format!("Bearer {acme}"))
            .header("content-type", "application/json")
            .body(Body::from(raw))
            .unwrap();
        assert_eq!(app.clone().oneshot(request).await.unwrap().status(), StatusCode::BAD_REQUEST, "{raw}");
    }
    let huge = json!({"name": "x".repeat(100_000), "lines": []}).to_string();
    let request = Request::post("/acme/orders")
        .header("authorization", format!("Bearer {acme}"))
        .header("content-type", "application/json")
        .body(Body::from(huge))
        .unwrap();
    assert_eq!(app.clone().oneshot(request).await.unwrap().status(), StatusCode::PAYLOAD_TOO_LARGE);
}
