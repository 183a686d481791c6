//! The order service binary: orders in the tenant's silo table (or, pooled, in the tier's
//! layout), priced from the pooled product table. Dedicated compute unless POOL_TIER is set.

use std::sync::Arc;

use order::{AppState, DynamoOrders, DynamoPoolOrders, product_table, router};
use product::DynamoProducts;
use tenant_context::serve::Env;
use tenant_context::{StorageModel, TableName, config, serve};

#[tokio::main]
async fn main() {
    if config::pooled() {
        serve::pooled_main("order", &[StorageModel::Silo, StorageModel::Pool], |config, tenants, verifier| {
            // Never derived here: the pooled product table is the tier's, named by the Deployment.
            let products = Env { service: "order" }.var("PRODUCT_TABLE_NAME");
            let orders: Arc<dyn order::Orders> = match &config.table {
                TableName::PerTenant(_) => Arc::new(DynamoOrders::on(tenants.clone(), config.table.clone())),
                TableName::Fixed(table) => Arc::new(DynamoPoolOrders::on(tenants.clone(), table.clone())),
            };
            router(Arc::new(AppState {
                verifier,
                orders,
                catalog: Arc::new(DynamoProducts::on(tenants.clone(), products)),
                served: None,
                pooled: Some(tenants),
            }))
        })
        .await;
        return;
    }
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
            served: Some(config.tenant_id.clone()),
            pooled: None,
        }))
    })
    .await;
}
