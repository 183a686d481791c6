//! The bootstrap stack (`compile::bootstrap_stack`): deployed by `tenancy bootstrap` with the
//! caller's rights (it creates the role every later platform stack runs as), and checked by
//! every apply, which refuses to run on a bootstrap stack other than the reviewed one.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::Client;

use super::{CloudFormation, Configs, sdk_error};
use crate::provider::{Provider, StepError, StepOutcome, StepRun};
use tenancy::compile::TEMPLATE_TAG;
use tenancy::plan::{Action, PlannedStep, StepId};

/// The stack, as the plan records it.
pub use tenancy::plan::Bootstrap;

/// Deploys the bootstrap stack from `template` (its text, whose digest the plan records).
pub async fn deploy(
    configs: &Configs,
    bootstrap: &Bootstrap,
    platform: &str,
    template: String,
    dry_run: bool,
) -> Result<StepOutcome, StepError> {
    let digest = tenancy::plan::hex_digest(template.as_bytes());
    if digest != bootstrap.sha256 {
        return Err(StepError::fatal(format!(
            "{} changed after the plan was made (sha256 {digest}, {} in plan.json); run `tenancy synth` and review the diff",
            bootstrap.template, bootstrap.sha256
        )));
    }
    let tags = BTreeMap::from([
        ("tenancy:platform".to_owned(), platform.to_owned()),
        (TEMPLATE_TAG.to_owned(), digest.clone()),
    ]);
    let step = PlannedStep {
        id: StepId::new("bootstrap"),
        action: Action::Cloudformation {
            stack: bootstrap.stack.clone(),
            region: bootstrap.region.clone(),
            template: bootstrap.template.clone(),
            role: None,
            tags,
        },
        wave: 0,
        artifacts: vec![bootstrap.template.clone()],
        hash: digest,
        depends_on: vec![],
        bindings: vec![],
        estimate_seconds: 120,
    };
    let run = StepRun {
        step,
        inputs: BTreeMap::new(),
        artifacts: BTreeMap::from([(bootstrap.template.clone(), template)]),
        dry_run,
    };
    // No artifacts bucket exists before this stack: its template must fit inline.
    CloudFormation::new(configs.clone(), String::new(), false).apply(&run).await
}

/// Declared in the core, where `verify` reads it too.
pub use tenancy::contract::calls::BOOTSTRAP_IAM_ACTIONS as IAM_ACTIONS;

/// Whether the deployed bootstrap stack is the one the plan records; an error saying what to
/// do when it is not.
pub async fn check(configs: &Configs, bootstrap: &Bootstrap) -> Result<(), StepError> {
    let client = Client::new(&configs.get(&bootstrap.region).await);
    let described = client.describe_stacks().stack_name(&bootstrap.stack).send().await;
    let run_bootstrap = "an administrator runs `tenancy bootstrap` (see the README's first deploy)";
    let stack = match described {
        Ok(out) => out.stacks().first().cloned(),
        Err(err)
            if err
                .as_service_error()
                .and_then(|e| e.meta().message())
                .is_some_and(|m| m.contains("does not exist")) =>
        {
            None
        }
        Err(err) => return Err(sdk_error(&format!("describe the bootstrap stack {}", bootstrap.stack), err)),
    };
    let Some(stack) = stack else {
        return Err(StepError::fatal(format!(
            "the bootstrap stack {} does not exist in {}: {run_bootstrap}",
            bootstrap.stack, bootstrap.region
        )));
    };
    let deployed = stack.tags().iter().find(|t| t.key() == Some(TEMPLATE_TAG)).and_then(|t| t.value());
    let status = stack.stack_status().map(|s| s.as_str()).unwrap_or("unknown");
    if !matches!(status, "CREATE_COMPLETE" | "UPDATE_COMPLETE") {
        return Err(StepError::fatal(format!("the bootstrap stack {} is {status}: {run_bootstrap}", bootstrap.stack)));
    }
    if deployed != Some(bootstrap.sha256.as_str()) {
        return Err(StepError::fatal(format!(
            "the bootstrap stack {} was deployed from another template ({}, the plan has {}): {run_bootstrap}",
            bootstrap.stack,
            deployed.unwrap_or("untagged"),
            bootstrap.sha256
        )));
    }
    Ok(())
}
