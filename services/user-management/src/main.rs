//! The user management service binary. Its environment: AWS_REGION, PORT, TENANT_TABLE (where
//! each tenant signs in), TENANTS_USER_POOL_ID (the pool shared by pooled-identity tenants, when a tier has them),
//! ADMIN_USER_POOL_ID, ADMIN_ISSUER and ADMIN_CLIENT_ID (the admin pool and the admin console's
//! client), and optionally AWS_ENDPOINT_URL (a local emulator).

use std::sync::Arc;

use tenancy_registry::DynamoDirectory;
use tenant_context::serve::{self, Env, verifier_config};
use tenant_context::{HttpJwks, Verifier};
use user_management::{AppState, CognitoUsers, router};

#[tokio::main]
async fn main() {
    serve::init_logging();
    let env = Env { service: "user-management" };
    let aws = env.aws().await;
    let state = AppState {
        users: Arc::new(CognitoUsers::new(aws_sdk_cognitoidentityprovider::Client::new(&aws))),
        directory: Arc::new(DynamoDirectory::new(aws_sdk_dynamodb::Client::new(&aws), env.var("TENANT_TABLE"))),
        // No fixed issuers: each request's come from the tenant directory (`verify_for`).
        tenants: Arc::new(Verifier::new(verifier_config(Vec::new(), Vec::new()), Arc::new(HttpJwks::new()))),
        admins: Arc::new(env.admin_verifier()),
        // Unset when no tier signs tenants in through the shared pool.
        shared_pool_id: std::env::var("TENANTS_USER_POOL_ID").ok().filter(|id| !id.trim().is_empty()),
        admin_pool_id: env.var("ADMIN_USER_POOL_ID"),
    };
    env.serve(router(Arc::new(state))).await;
}
