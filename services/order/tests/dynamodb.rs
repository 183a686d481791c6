//! The order service over real HTTP on 127.0.0.1: two deployments (acme's and globex's), each
//! with its own silo table in moto's DynamoDB, pricing lines from the pooled product table.
//! Neither reaches the other's orders, nor prices from the other's products.

use std::sync::Arc;

use order::{AppState, DynamoOrders, router};
use product::{DynamoProducts, Products, StoredProduct};
use serde_json::{Value, json};
use tenant_context::testing::{self, token};

const ROPE: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

/// The pooled product table, as the baseline stack defines it, with acme's rope at 2.50.
async fn products(client: &aws_sdk_dynamodb::Client) -> String {
    let table = format!("saas-product-orders-{}", std::process::id());
    testing::create_table(client, &table, "TenantId", Some("ProductId")).await;
    let rope = StoredProduct { id: ROPE.into(), name: "Rope".into(), price_cents: 250, picture_url: None };
    DynamoProducts::new(client.clone(), table.clone()).put("acme", &rope).await.unwrap();
    table
}

/// A tenant's silo order table, as its stack defines it; serve it; return the base URL.
async fn deployment(client: &aws_sdk_dynamodb::Client, tenant: &str, products: &str) -> String {
    let table = format!("saas-order-{tenant}-{}", std::process::id());
    testing::create_table(client, &table, "OrderId", None).await;
    let state = Arc::new(AppState {
        verifier: testing::verifier(),
        orders: Arc::new(DynamoOrders::new(client.clone(), table)),
        catalog: Arc::new(DynamoProducts::new(client.clone(), products.to_owned())),
        served: Some(tenant.into()),
        pooled: None,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    base
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn each_tenant_reaches_only_its_own_silo() {
    let client = testing::moto_dynamodb().await;
    let products = products(&client).await;
    let (acme, globex) = (deployment(&client, "acme", &products).await, deployment(&client, "globex", &products).await);
    let http = reqwest::Client::new();
    let post = |base: &str, tenant: &str, caller: &str| {
        http.post(format!("{base}/{tenant}/orders"))
            .bearer_auth(token(caller))
            .json(&json!({"name": "o", "lines": [{"productId": ROPE, "quantity": 4}]}))
            .send()
    };
    let created: Value = post(&acme, "acme", "acme").await.unwrap().json().await.unwrap();
    assert_eq!(created["total"], "10.00");
    let id = created["id"].as_str().unwrap();
    let get =
        |base: &str, path: String, caller: &str| http.get(format!("{base}{path}")).bearer_auth(token(caller)).send();
    assert_eq!(get(&acme, format!("/acme/orders/{id}"), "acme").await.unwrap().status().as_u16(), 200);

    // Globex, with its own valid token, through either deployment: never acme's order.
    assert_eq!(get(&acme, format!("/acme/orders/{id}"), "globex").await.unwrap().status().as_u16(), 403);
    assert_eq!(get(&acme, format!("/globex/orders/{id}"), "globex").await.unwrap().status().as_u16(), 403);
    assert_eq!(get(&globex, format!("/globex/orders/{id}"), "globex").await.unwrap().status().as_u16(), 404);
    assert_eq!(post(&acme, "globex", "globex").await.unwrap().status().as_u16(), 403);
    // Globex's own deployment cannot price from acme's product.
    assert_eq!(post(&globex, "globex", "globex").await.unwrap().status().as_u16(), 400);
    let list: Value = get(&globex, "/globex/orders".into(), "globex").await.unwrap().json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let list: Value = get(&acme, "/acme/orders".into(), "acme").await.unwrap().json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
