//! The registration service binary. Its environment: AWS_REGION, PORT, REGISTRY_TABLE,
//! LIFECYCLE_TOPIC_ARN, ONBOARDING_PROJECT, TIERS (comma-separated), and optionally AWS_ENDPOINT_URL (a local
//! emulator), REGISTRATIONS_PER_MINUTE (default 6) and REGISTRATION_BURST (default 3), per client
//! address.

use std::sync::Arc;

use registration::{AppState, CodeBuildJobs, DynamoRegistry, RateLimiter, SnsEvents, router};
use tenant_context::serve::{self, Env};

const ENV: Env = Env { service: "registration" };

fn number(name: &str, default: u32) -> u32 {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or_else(|| ENV.fail(name, "is not a positive whole number")),
        _ => default,
    }
}

#[tokio::main]
async fn main() {
    serve::init_logging();
    let tiers = ENV.list("TIERS");
    let aws = ENV.aws().await;
    let state = AppState {
        store: Arc::new(DynamoRegistry::new(aws_sdk_dynamodb::Client::new(&aws), ENV.var("REGISTRY_TABLE"))),
        events: Arc::new(SnsEvents::new(aws_sdk_sns::Client::new(&aws), ENV.var("LIFECYCLE_TOPIC_ARN"))),
        onboarding: Arc::new(CodeBuildJobs::new(aws_sdk_codebuild::Client::new(&aws), ENV.var("ONBOARDING_PROJECT"))),
        tiers,
        limiter: RateLimiter::new(number("REGISTRATIONS_PER_MINUTE", 6), number("REGISTRATION_BURST", 3), 100_000),
    };
    ENV.serve(router(Arc::new(state))).await;
}
