//! The order router in process: the token's tenant must be the path's and the deployment's,
//! line prices come from the tenant's product records and totals are computed by the service,
//! input is validated, bad bodies never reach a 500.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use order::{AppState, MemoryOrders, router};
use product::{MemoryProducts, Products, StoredProduct};
use serde_json::json;
use tenant_context::testing::{self, call, token};
use tower::ServiceExt;

const ANVIL: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const ROPE: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
/// A product of globex, in the same pooled table.
const GLOBEX_DRILL: &str = "16fd2706-8baf-433b-82eb-8c7fada847da";

async fn app() -> axum::Router {
    let catalog = Arc::new(MemoryProducts::default());
    for (tenant, id, price_cents) in [("acme", ANVIL, 1250), ("acme", ROPE, 99), ("globex", GLOBEX_DRILL, 100)] {
        let product = StoredProduct { id: id.into(), name: "p".into(), price_cents, picture_url: None };
        catalog.put(tenant, &product).await.unwrap();
    }
    router(Arc::new(AppState {
        verifier: testing::verifier(),
        orders: Arc::new(MemoryOrders::default()),
        catalog,
        served: Some("acme".into()),
        pooled: None,
    }))
}

#[tokio::test]
async fn only_the_served_tenant_with_its_own_token_gets_in() {
    let app = app().await;
    assert_eq!(call(&app, "GET", "/acme/orders", None, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&app, "GET", "/acme/orders", Some(&token("globex")), None).await.0, StatusCode::FORBIDDEN);
    // Globex's own path with its own token, but this deployment holds acme's table.
    assert_eq!(call(&app, "GET", "/globex/orders", Some(&token("globex")), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(call(&app, "GET", "/acme/orders", Some(&token("acme")), None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn totals_are_computed_from_the_product_records() {
    let app = app().await;
    let acme = token("acme");
    let body = json!({"name": "restock", "lines": [
        {"productId": ANVIL, "quantity": 3},
        {"productId": ROPE, "price": 0.99, "quantity": 10},
    ]});
    let (status, order) = call(&app, "POST", "/acme/orders", Some(&acme), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["total"], "47.40");
    assert_eq!(order["lines"][0]["price"], "12.50", "priced from the record");
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
    let forged = json!({"name": "x", "total": "0.01", "lines": [{"productId": ANVIL, "quantity": 1}]});
    assert_eq!(call(&app, "POST", "/acme/orders", Some(&acme), Some(forged)).await.0, StatusCode::BAD_REQUEST);
}

/// The 2026-12 services review: a tenant's user could order at any price, 0.00 included.
#[tokio::test]
async fn a_price_from_the_client_is_checked_never_used() {
    let app = app().await;
    let acme = token("acme");
    let line = |product: &str, price: serde_json::Value| json!({"name": "cheap", "lines": [{"productId": product, "price": price, "quantity": 1}]});
    let cases = [
        (line(ANVIL, json!("0.00")), StatusCode::CONFLICT, "is 12.50, not 0.00"),
        (line(ANVIL, json!(12.49)), StatusCode::CONFLICT, "is 12.50, not 12.49"),
        (line(ANVIL, json!("-1")), StatusCode::BAD_REQUEST, "negative"),
        (line(GLOBEX_DRILL, json!(1)), StatusCode::BAD_REQUEST, "no such product"),
        (line("00000000-0000-0000-0000-000000000000", json!(1)), StatusCode::BAD_REQUEST, "no such product"),
        (line("p-1", json!(1)), StatusCode::BAD_REQUEST, "not a product id"),
    ];
    for (body, status, says) in cases {
        let (got, response) = call(&app, "POST", "/acme/orders", Some(&acme), Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {response}");
        assert!(response["error"].as_str().unwrap().contains(says), "{body}: {response}");
    }
    let (_, list) = call(&app, "GET", "/acme/orders", Some(&acme), None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing was stored");
    let (status, order) = call(&app, "POST", "/acme/orders", Some(&acme), Some(line(ANVIL, json!("12.50")))).await;
    assert_eq!((status, order["total"].as_str()), (StatusCode::CREATED, Some("12.50")));
}

#[tokio::test]
async fn invalid_orders_get_clear_400s() {
    let app = app().await;
    let acme = token("acme");
    for body in [
        json!({"name": "x", "lines": []}),
        json!({"name": "x", "lines": [{"productId": ANVIL, "quantity": 0}]}),
        json!({"name": "x", "lines": [{"productId": ANVIL, "quantity": -2}]}),
        json!({"name": "x", "lines": [{"productId": ANVIL, "price": -1, "quantity": 1}]}),
        json!({"name": "x", "lines": [{"productId": "p;drop", "quantity": 1}]}),
        json!({"name": "", "lines": [{"productId": ANVIL, "quantity": 1}]}),
        json!({"lines": [{"productId": ANVIL, "quantity": 1}]}),
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

/// D4 of the 2026-12 services review, for the order routes: query and path rejections, unknown
/// routes and methods are JSON naming what is at fault.
#[tokio::test]
async fn d4_rejections_are_json() {
    let app = app().await;
    let acme = token("acme");
    for (method, uri, status, names) in [
        ("GET", "/acme/orders?limit=abc", 400, "limit"),
        ("GET", "/acme/orders?limit=-1", 400, "limit"),
        ("GET", "/acme/orders?cursor=a&cursor=b", 400, "cursor"),
        ("GET", "/acme/orders/%FF%FE", 400, "`id`"),
        ("PUT", "/acme/orders/00000000-0000-0000-0000-000000000000", 405, "method"),
        ("GET", "/acme/products", 404, "route"),
    ] {
        let (got, body) = call(&app, method, uri, Some(&acme), None).await;
        assert_eq!(got.as_u16(), status, "{method} {uri}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| e.contains(names)), "{method} {uri}: {body}");
    }
}
