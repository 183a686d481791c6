//! The product service binary: configuration from the environment, DynamoDB, serve.

use std::sync::Arc;
use std::time::Duration;

use product::{AppState, DynamoProducts, router};
use tenant_context::{Config, HttpJwks, StorageModel, Verifier, VerifierConfig, serve};

#[tokio::main]
async fn main() {
    serve::init_logging();
    let config = match Config::from_env() {
        Ok(config) if config.storage == StorageModel::Pool => config,
        Ok(_) => {
            tracing::error!("the product service keeps products in the pooled table: set STORAGE_MODEL=pool");
            std::process::exit(2);
        }
        Err(err) => {
            tracing::error!(error = %err, "bad configuration");
            std::process::exit(2);
        }
    };
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(config.region.clone()));
    if let Some(url) = &config.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let client = aws_sdk_dynamodb::Client::new(&loader.load().await);
    let verifier = Verifier::new(
        VerifierConfig {
            issuers: vec![config.issuer.clone()],
            client_ids: vec![config.client_id.clone()],
            leeway: Duration::from_secs(30),
            min_refresh: Duration::from_secs(60),
        },
        Arc::new(HttpJwks::new()),
    );
    let state = Arc::new(AppState {
        verifier: Arc::new(verifier),
        products: Arc::new(DynamoProducts::new(client, config.table.clone())),
        served: Some(config.tenant_id.clone()),
    });
    if let Err(err) = serve::run(router(state), config.port).await {
        tracing::error!(error = %err, "server failed");
        std::process::exit(1);
    }
}
