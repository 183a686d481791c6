//! The registration service binary. Its environment: AWS_REGION, PORT, REGISTRY_TABLE,
//! LIFECYCLE_TOPIC_ARN, ONBOARDING_PROJECT, TIERS (comma-separated), and optionally AWS_ENDPOINT_URL (a local
//! emulator), REGISTRATIONS_PER_MINUTE (default 6) and REGISTRATION_BURST (default 3), per client
//! address.

use std::sync::Arc;

use registration::{AppState, CodeBuildJobs, DynamoRegistry, RateLimiter, SnsEvents, router};
use tenant_context::serve;

fn var(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value,
        _ => fail(name, "is not set"),
    }
}

fn number(name: &str, default: u32) -> u32 {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => {
            value.trim().parse().ok().filter(|n| *n > 0).unwrap_or_else(|| fail(name, "is not a positive whole number"))
        }
        _ => default,
    }
}

fn fail(name: &str, problem: &str) -> ! {
    tracing::error!(service = "registration", "bad configuration: environment variable {name} {problem}");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    serve::init_logging();
    let port: u16 = var("PORT").parse().unwrap_or_else(|_| fail("PORT", "is not a port"));
    let tiers: Vec<String> = var("TIERS").split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    let aws = serve::aws_sdk_config(&var("AWS_REGION"), std::env::var("AWS_ENDPOINT_URL").ok().as_deref()).await;
    let state = AppState {
        store: Arc::new(DynamoRegistry::new(aws_sdk_dynamodb::Client::new(&aws), var("REGISTRY_TABLE"))),
        events: Arc::new(SnsEvents::new(aws_sdk_sns::Client::new(&aws), var("LIFECYCLE_TOPIC_ARN"))),
        onboarding: Arc::new(CodeBuildJobs::new(aws_sdk_codebuild::Client::new(&aws), var("ONBOARDING_PROJECT"))),
        tiers,
        limiter: RateLimiter::new(number("REGISTRATIONS_PER_MINUTE", 6), number("REGISTRATION_BURST", 3), 100_000),
    };
    if let Err(err) = serve::run(router(Arc::new(state)), port, serve::Limits::default()).await {
        tracing::error!(service = "registration", error = %err, "server failed");
        std::process::exit(1);
    }
}
