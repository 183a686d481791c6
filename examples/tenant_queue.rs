//! A customization: every tenant of the reference platform gets its own SQS queue, readable and
//! writable by that tenant's pods only, without forking the compiler. `tenancy verify` then
//! proves on the written files that no tenant can reach another's queue.
//!
//! Run: `cargo run --example tenant_queue -- [OUT]` (default `target/examples/tenant-queue`).
//! It synthesizes into OUT, verifies the result and exits 1 if a property fails. `scripts/test`
//! runs it, then the validators (cfn-lint, kubernetes-validate, checkov) and `tenancy verify`
//! over OUT like over every other platform.
//!
//! Three changes, each through the hook's typed values:
//! - per tenant: the queue, a `QueueUrl` output, and the grant on the tenant's role; two queue
//!   properties the typed `Queue` does not model go through the escape hatch,
//!   `Resource::override_property`, which the template's checks and cfn-lint still read;
//! - platform-wide: the tenant roles' boundary allows the queue actions on tenant queues (the
//!   upper bound; each role's own policy names its own queue), and the role CloudFormation runs
//!   tenant stacks as may create and delete them (the handler permissions of AWS::SQS::Queue,
//!   from its resource provider schema).

use std::path::PathBuf;

use tenancy::cfn::resources::{Queue, tags};
use tenancy::cfn::{Expr, LogicalId, Output, Statement};
use tenancy::compile::{Customizations, TenantArtifacts, TenantCx};
use tenancy::model::Platform;

/// What the pods do with their queue.
const QUEUE_ACTIONS: [&str; 4] =
    ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage"];
/// What CloudFormation calls to create, update and delete an AWS::SQS::Queue (the create,
/// update and delete handlers of its resource provider schema).
/// (`src/verify/data/handler-permissions.json` vendors them; `tenancy verify` checks this list.)
const QUEUE_HANDLER_ACTIONS: [&str; 8] = [
    "sqs:CreateQueue",
    "sqs:DeleteQueue",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ListQueueTags",
    "sqs:SetQueueAttributes",
    "sqs:TagQueue",
    "sqs:UntagQueue",
];

/// The queue of a tenant: named after its stack, so every tenant's is distinct.
fn queue_name(cx: &TenantCx) -> String {
    format!("{}-events", cx.names.stack)
}

/// Every tenant queue of `platform`: the pattern the platform-wide statements name.
fn tenant_queues(platform: &Platform) -> Expr {
    // Tenant stacks are `<platform>-tenant-<id>` (`model::naming`).
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{}-tenant-*-events",
        platform.name()
    ))
}

fn add_queue(cx: &TenantCx, artifacts: &mut TenantArtifacts) {
    let queue = LogicalId::fixed("EventsQueue");
    let tenant = cx.tenant.id.as_str();
    artifacts
        .stack
        .resource(
            &queue,
            Queue {
                queue_name: Expr::str(queue_name(cx)),
                sqs_managed_sse_enabled: true,
                message_retention_period: 345_600,
                tags: tags(&[("tenancy:tenant", tenant), ("tenancy:platform", cx.platform.name().as_str())]),
            },
        )
        // Long polling, and time for a consumer to finish before a message is seen again.
        .override_property(&["ReceiveMessageWaitTimeSeconds"], serde_json::json!(20))
        .override_property(&["VisibilityTimeout"], serde_json::json!(120));
    artifacts
        .stack
        .output(&LogicalId::fixed("QueueUrl"), Output::new("The tenant's events queue", Expr::reference(&queue)));
    artifacts.grant(Statement::allow("OwnEventsQueue", &QUEUE_ACTIONS).on([Expr::get_att(&queue, "Arn")]));
    // And a label on every object of the tenant's bundle, for the platform team's dashboards.
    for object in artifacts.bundle.objects_mut() {
        object
            .metadata_mut()
            .labels
            .get_or_insert_with(Default::default)
            .insert("example.com/queue".into(), "events".into());
    }
}

pub fn customizations() -> Customizations {
    Customizations::new()
        .platform(|platform, artifacts| {
            artifacts
                .allow_tenant_roles(Statement::allow("TenantQueues", &QUEUE_ACTIONS).on([tenant_queues(platform)]));
            artifacts.allow_tenant_stacks(
                Statement::allow("TenantQueues", &QUEUE_HANDLER_ACTIONS).on([tenant_queues(platform)]),
            );
        })
        .tenants(add_queue)
}

fn main() -> Result<std::process::ExitCode, Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).map_or_else(|| PathBuf::from("target/examples/tenant-queue"), PathBuf::from);
    let platform = tenancy::blueprint::load_reference()?;
    let custom = customizations();
    let synthesis = tenancy::synth::synthesize_with(&platform, &custom, &out)?;
    println!(
        "{}: {} files written, {} tenants compiled",
        out.display(),
        synthesis.report.written.len(),
        synthesis.compiled_tenants
    );

    // Verify the files as they were written, with the accepted findings of the reference.
    let accepted: tenancy::verify::AcceptedList =
        serde_yaml::from_str(&std::fs::read_to_string("blueprints/accepted-findings.yaml")?)?;
    let mut files = std::collections::BTreeMap::new();
    for artifact in tenancy::compile::compile_with(&platform, &custom)?.files {
        files.insert(artifact.path, artifact.contents);
    }
    files.insert("plan.json".into(), std::fs::read_to_string(out.join("plan.json"))?);
    let report = tenancy::verify::verify(&files, Some(&accepted));
    print!("{}", report.table());
    Ok(if report.failed() { std::process::ExitCode::FAILURE } else { std::process::ExitCode::SUCCESS })
}
