//! The product service as `serve::main` serves it, over HTTP on 127.0.0.1: the request
//! middleware runs once, so a request writes one `request` line and the `x-request-id` the
//! client receives is the id on the handler's own lines (the 2026-12 services review found two
//! of each, and the handler logging an id the client never saw).

use std::sync::Arc;
use std::time::Duration;

use product::{AppState, MemoryProducts, router};
use serde_json::json;
use tenant_context::serve::{self, Limits};
use tenant_context::testing::{self, Logs, token};

#[tokio::test]
async fn one_request_line_and_one_id_per_request() {
    let (logs, _guard) = Logs::capture("info");
    let app = router(Arc::new(AppState {
        verifier: testing::verifier(),
        products: Arc::new(MemoryProducts::default()),
        served: Some("acme".into()),
        pooled: None,
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve::serve(listener, app, Limits::default(), async {
        let _ = stopped.await;
    }));

    let http = reqwest::Client::new();
    let created = tokio::time::timeout(
        Duration::from_secs(10),
        http.post(format!("{base}/acme/products"))
            .bearer_auth(token("acme"))
            .json(&json!({"name": "Anvil", "price": 1}))
            .send(),
    )
    .await
    .expect("an answer in time")
    .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let id = created.headers()["x-request-id"].to_str().unwrap().to_owned();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server).await.expect("stopped").unwrap().unwrap();

    let requests = logs.messages("request");
    assert_eq!(requests.len(), 1, "one request line: {requests:?}");
    assert_eq!(requests[0]["span"]["request_id"], id.as_str());
    let handler = logs.messages("product created");
    assert_eq!(handler.len(), 1);
    assert_eq!(handler[0]["span"]["request_id"], id.as_str(), "the handler logs the id the client got");
    assert_eq!(handler[0]["spans"].as_array().map(Vec::len), Some(1), "one request span: {}", handler[0]);
}
