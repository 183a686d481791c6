//! The order service binary: orders in the tenant's silo table, priced from the pooled
//! product table.

use std::sync::Arc;

use order::{AppState, DynamoOrders, product_table, router};
use product::DynamoProducts;
use tenant_context::{StorageModel, serve};

#[tokio::main]
async fn main() {
    serve::main("order", StorageModel::Silo, |config, client, verifier| {
        let explicit = std::env::var("PRODUCT_TABLE_NAME").ok();
        let products = match product_table(explicit.as_deref(), &config.table, &config.tenant_id) {
            Ok(table) => table,
            Err(problem) => {
                tracing::error!(service = "order", problem, "bad configuration");
                std::process::exit(2);
            }
        };
        router(Arc::new(AppState {
            verifier,
            orders: Arc::new(DynamoOrders::new(client.clone(), config.table.clone())),
            catalog: Arc::new(DynamoProducts::new(client, products)),
            served: config.tenant_id.clone(),
        }))
    })
    .await;
}
