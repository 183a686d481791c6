//! The order service binary: orders in the tenant's silo table.

use std::sync::Arc;

use order::{AppState, DynamoOrders, router};
use tenant_context::{StorageModel, serve};

#[tokio::main]
async fn main() {
    serve::main("order", StorageModel::Silo, |config, client, verifier| {
        router(Arc::new(AppState {
            verifier,
            orders: Arc::new(DynamoOrders::new(client, config.table.clone())),
            served: config.tenant_id.clone(),
        }))
    })
    .await;
}
