//! The product service over real HTTP on 127.0.0.1, storing in moto's DynamoDB through the real
//! SDK (scripts/test starts moto and sets TENANCY_MOTO_URL): full CRUD, and tenant A never sees
//! tenant B's products, whatever it asks.

use std::sync::Arc;

use product::{AppState, DynamoProducts, router};
use serde_json::{Value, json};
use tenant_context::testing::{self, token};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn products_over_http_in_dynamodb_stay_in_their_tenant() {
    let client = testing::moto_dynamodb().await;
    let table = format!("saas-product-{}", std::process::id());
    // The pooled product table, as the baseline stack defines it.
    testing::create_table(&client, &table, "TenantId", Some("ProductId")).await;
    let state = Arc::new(AppState {
        verifier: testing::verifier(),
        products: Arc::new(DynamoProducts::new(client.clone(), table.clone())),
        served: None,
        pooled: None,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: String, tenant: &str, body: Option<Value>| {
        let request = http.request(method, format!("{base}{path}")).bearer_auth(token(tenant));
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    assert_eq!(http.get(format!("{base}/ready")).send().await.unwrap().status().as_u16(), 200);
    let mut acme_ids = Vec::new();
    for i in 0..5 {
        let (status, product) = send(
            reqwest::Method::POST,
            "/acme/products".into(),
            "acme",
            Some(json!({"name": format!("a{i}"), "price": "1.25"})),
        )
        .await;
        assert_eq!(status, 201, "{product}");
        acme_ids.push(product["id"].as_str().unwrap().to_owned());
    }
    let (status, globex_product) =
        send(reqwest::Method::POST, "/globex/products".into(), "globex", Some(json!({"name": "g", "price": 3}))).await;
    assert_eq!(status, 201);
    let globex_id = globex_product["id"].as_str().unwrap().to_owned();

    // Acme pages through exactly its five, in pages of two.
    let mut seen = Vec::new();
    let mut path = "/acme/products?limit=2".to_owned();
    for _ in 0..10 {
        let (status, page) = send(reqwest::Method::GET, path.clone(), "acme", None).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(page["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/acme/products?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    seen.sort();
    acme_ids.sort();
    assert_eq!(seen, acme_ids);

    // Read, update, delete.
    let id = &acme_ids[0];
    assert_eq!(send(reqwest::Method::GET, format!("/acme/products/{id}"), "acme", None).await.0, 200);
    let (status, updated) = send(
        reqwest::Method::PUT,
        format!("/acme/products/{id}"),
        "acme",
        Some(json!({"name": "renamed", "price": 9})),
    )
    .await;
    assert_eq!((status, updated["price"].as_str()), (200, Some("9.00")));
    assert_eq!(send(reqwest::Method::DELETE, format!("/acme/products/{id}"), "acme", None).await.0, 204);
    assert_eq!(send(reqwest::Method::GET, format!("/acme/products/{id}"), "acme", None).await.0, 404);

    // Globex can neither read, change nor delete acme's products, and acme not globex's.
    for target in &acme_ids[1..] {
        assert_eq!(send(reqwest::Method::GET, format!("/globex/products/{target}"), "globex", None).await.0, 404);
        assert_eq!(send(reqwest::Method::DELETE, format!("/globex/products/{target}"), "globex", None).await.0, 404);
        assert_eq!(send(reqwest::Method::GET, format!("/acme/products/{target}"), "globex", None).await.0, 403);
    }
    assert_eq!(send(reqwest::Method::GET, format!("/acme/products/{globex_id}"), "acme", None).await.0, 404);
    let (_, globex_list) = send(reqwest::Method::GET, "/globex/products".into(), "globex", None).await;
    assert_eq!(globex_list["items"].as_array().unwrap().len(), 1);

    // Acme's four remaining products are still there, untouched.
    let remaining = client
        .query()
        .table_name(&table)
        .key_condition_expression("TenantId = :t")
        .expression_attribute_values(":t", aws_sdk_dynamodb::types::AttributeValue::S("acme".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(remaining.count(), 4);
}
