//! The tenant management service binary. Its environment: AWS_REGION, PORT, REGISTRY_TABLE,
//! TENANT_TABLE, LIFECYCLE_TOPIC_ARN, ONBOARDING_PROJECT, APP_DOMAIN (`app.<domain>`),
//! ADMIN_ISSUER and ADMIN_CLIENT_ID (the admin pool and the admin console's client), and
//! optionally AWS_ENDPOINT_URL (a local emulator).

use std::sync::Arc;
use std::time::Duration;

use tenancy_registry::{CodeBuildJobs, DynamoDirectory, DynamoRegistry, SnsEvents};
use tenant_context::{HttpJwks, Verifier, VerifierConfig, serve};
use tenant_management::{AppState, router};

fn var(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value,
        _ => {
            tracing::error!(service = "tenant-management", "bad configuration: environment variable {name} is not set");
            std::process::exit(2)
        }
    }
}

#[tokio::main]
async fn main() {
    serve::init_logging();
    let port: u16 = var("PORT").parse().unwrap_or_else(|_| {
        tracing::error!(service = "tenant-management", "bad configuration: PORT is not a port");
        std::process::exit(2)
    });
    let aws = serve::aws_sdk_config(&var("AWS_REGION"), std::env::var("AWS_ENDPOINT_URL").ok().as_deref()).await;
    let admins = Verifier::new(
        VerifierConfig {
            issuers: vec![var("ADMIN_ISSUER")],
            client_ids: vec![var("ADMIN_CLIENT_ID")],
            leeway: Duration::from_secs(30),
            min_refresh: Duration::from_secs(60),
            fetch_timeout: Duration::from_secs(5),
        },
        Arc::new(HttpJwks::new()),
    );
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let state = AppState {
        registry: Arc::new(DynamoRegistry::new(dynamodb.clone(), var("REGISTRY_TABLE"))),
        events: Arc::new(SnsEvents::new(aws_sdk_sns::Client::new(&aws), var("LIFECYCLE_TOPIC_ARN"))),
        jobs: Arc::new(CodeBuildJobs::new(aws_sdk_codebuild::Client::new(&aws), var("ONBOARDING_PROJECT"))),
        directory: Arc::new(DynamoDirectory::new(dynamodb, var("TENANT_TABLE"))),
        admins: Arc::new(admins),
        app_domain: var("APP_DOMAIN"),
    };
    if let Err(err) = serve::run(router(Arc::new(state)), port, serve::Limits::default()).await {
        tracing::error!(service = "tenant-management", error = %err, "server failed");
        std::process::exit(1);
    }
}
