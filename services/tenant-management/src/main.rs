//! The tenant management service binary. Its environment: AWS_REGION, PORT, REGISTRY_TABLE,
//! TENANT_TABLE, LIFECYCLE_TOPIC_ARN, ONBOARDING_PROJECT, APP_DOMAIN (`app.<domain>`),
//! ADMIN_ISSUER and ADMIN_CLIENT_ID (the admin pool and the admin console's client), TIERS
//! (comma-separated: the tiers a tenant can be moved to), and
//! optionally AWS_ENDPOINT_URL (a local emulator).

use std::sync::Arc;

use tenancy_registry::{CodeBuildJobs, DynamoDirectory, DynamoRegistry, SnsEvents};
use tenant_context::serve::{self, Env};
use tenant_management::{AppState, router};

#[tokio::main]
async fn main() {
    serve::init_logging();
    let env = Env { service: "tenant-management" };
    let aws = env.aws().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let state = AppState {
        registry: Arc::new(DynamoRegistry::new(dynamodb.clone(), env.var("REGISTRY_TABLE"))),
        events: Arc::new(SnsEvents::new(aws_sdk_sns::Client::new(&aws), env.var("LIFECYCLE_TOPIC_ARN"))),
        jobs: Arc::new(CodeBuildJobs::new(aws_sdk_codebuild::Client::new(&aws), env.var("ONBOARDING_PROJECT"))),
        directory: Arc::new(DynamoDirectory::new(dynamodb, env.var("TENANT_TABLE"))),
        admins: Arc::new(env.admin_verifier()),
        app_domain: env.var("APP_DOMAIN"),
        tiers: env.list("TIERS"),
    };
    env.serve(router(Arc::new(state))).await;
}
