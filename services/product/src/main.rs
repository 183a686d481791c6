//! The product service binary: products in the pooled table, for one tenant (dedicated
//! compute, TENANT_ID) or for every tenant of a tier (pooled compute, POOL_TIER).

use std::sync::Arc;

use product::{AppState, DynamoProducts, router};
use tenant_context::{StorageModel, TableName, config, serve};

#[tokio::main]
async fn main() {
    if config::pooled() {
        // Products have one layout, the pooled table, whatever the tier.
        serve::pooled_main("product", &[StorageModel::Pool], |config, tenants, verifier| {
            let TableName::Fixed(table) = &config.table else { unreachable!("STORAGE_MODEL pool is one table") };
            router(Arc::new(AppState {
                verifier,
                products: Arc::new(DynamoProducts::on(tenants.clone(), table.clone())),
                served: None,
                pooled: Some(tenants),
            }))
        })
        .await;
        return;
    }
    serve::main("product", StorageModel::Pool, |config, client, verifier| {
        router(Arc::new(AppState {
            verifier,
            products: Arc::new(DynamoProducts::new(client, config.table.clone())),
            served: Some(config.tenant_id.clone()),
            pooled: None,
        }))
    })
    .await;
}
