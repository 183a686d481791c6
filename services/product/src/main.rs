//! The product service binary: products in the pooled table.

use std::sync::Arc;

use product::{AppState, DynamoProducts, router};
use tenant_context::{StorageModel, serve};

#[tokio::main]
async fn main() {
    serve::main("product", StorageModel::Pool, |config, client, verifier| {
        router(Arc::new(AppState {
            verifier,
            products: Arc::new(DynamoProducts::new(client, config.table.clone())),
            served: Some(config.tenant_id.clone()),
        }))
    })
    .await;
}
