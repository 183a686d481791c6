//! The generated control-plane Deployment runs this binary: its image builds it, runs it as
//! the Deployment's UID and exposes its port, and with exactly the environment the bundle gives
//! its container it starts and answers `/health`.

use tenant_context::testing::deployment::{container, control_plane_bundle, image_matches, starts_and_answers_health};

#[tokio::test]
async fn the_generated_deployment_starts_this_binary() {
    let container = container(&control_plane_bundle(), "user-management");
    image_matches("user-management", &container);
    starts_and_answers_health(env!("CARGO_BIN_EXE_user-management"), &container).await;
}
