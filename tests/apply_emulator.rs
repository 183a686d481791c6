//! End to end: the real `tenancy` binary applies the reference platform's plan through the real
//! AWS SDK against moto on 127.0.0.1 (started by `scripts/test`, which sets TENANCY_MOTO_URL),
//! and its Kubernetes steps against a mock API server (no real cluster runs here).
//!
//! moto runs only some resource types inside CloudFormation, so the stacks are the emulator view
//! of the generated templates (`emulator::emulator_view`): the same templates without what moto
//! skips. CodeBuild projects, which moto cannot create from a template, are created through the
//! SDK first. These tests prove the SDK calls, their order and the engine's bookkeeping.

mod common;
mod emulator;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

use aws_config::{BehaviorVersion, Region};
use serde_json::Value;
use tenancy::compile::{Artifact, compile};
use tenancy::model::Platform;
use tenancy::plan::{DeployPlan, PLAN_FILES, platform_steps, to_json};

fn moto_url() -> String {
    std::env::var("TENANCY_MOTO_URL").expect("TENANCY_MOTO_URL is not set: run scripts/test, which starts moto")
}

/// Empties moto.
fn reset_moto() {
    let url = moto_url();
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("moto is listening");
    write!(
        stream,
        "POST /moto-api/reset HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

/// Writes the emulator view of `platform`'s output, with a plan over it, to `dir`.
fn write_emulated_output(platform: &Platform, dir: &Path) {
    let mut artifacts = compile(platform).unwrap();
    for artifact in &mut artifacts.files {
        if artifact.path.ends_with(".cfn.yaml") {
            artifact.contents = emulator::emulator_view(&artifact.contents);
        }
    }
    let files: BTreeMap<String, String> =
        artifacts.files.iter().map(|a| (a.path.clone(), a.contents.clone())).collect();
    let files = tenancy::plan::facts_of(&files);
    let plan = DeployPlan::build(platform_steps(platform, &files), &files, &PLAN_FILES).unwrap();
    artifacts.files.push(Artifact {
        path: "plan.json".into(),
        contents: to_json(&plan, &tenancy::plan::PlanContext::of(platform, &files)),
    });
    tenancy::synth::write(dir, &artifacts.files).unwrap();
}

async fn sdk_config(region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(moto_url())
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "test"))
        .load()
        .await
}

/// The CodeBuild projects the delivery stack would hold (moto cannot create them from a
/// template).
async fn create_projects(platform: &Platform) {
    let client = aws_sdk_codebuild::Client::new(&sdk_config(platform.region().as_str()).await);
    let names = platform.baseline_names();
    for project in [&names.cluster_project, &names.addons_project, &names.images_project] {
        client
            .create_project()
            .name(project)
            .source(
                aws_sdk_codebuild::types::ProjectSource::builder()
                    .r#type("S3".into())
                    .location(format!("{}/source/tenancy.zip", names.artifacts_bucket))
                    .build()
                    .unwrap(),
            )
            .artifacts(
                aws_sdk_codebuild::types::ProjectArtifacts::builder().r#type("NO_ARTIFACTS".into()).build().unwrap(),
            )
            .environment(
                aws_sdk_codebuild::types::ProjectEnvironment::builder()
                    .r#type("LINUX_CONTAINER".into())
                    .image("aws/codebuild/amazonlinux-x86_64-standard:5.0")
                    .compute_type("BUILD_GENERAL1_SMALL".into())
                    .build()
                    .unwrap(),
            )
            .service_role(format!("arn:aws:iam::{}:role/{project}", platform.account_id()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("create project {project}: {e:?}"));
    }
}

/// Runs `tenancy apply` against moto and the mock API server; returns the output and the
/// JSON events.
fn apply(dir: &Path, state: &Path, kubeconfig: &Path, extra: &[&str]) -> (Output, Vec<Value>) {
    let output = Command::new(env!("CARGO_BIN_EXE_tenancy"))
        .args(["apply", "--format", "json", "--poll-seconds", "0.05", "--endpoint-url", &moto_url()])
        .arg("--generated")
        .arg(dir)
        .arg("--state")
        .arg(format!("local:{}", state.display()))
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env("KUBECONFIG", kubeconfig)
        .output()
        .unwrap();
    let events = String::from_utf8_lossy(&output.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    (output, events)
}

fn summary(events: &[Value]) -> &Value {
    events.iter().find(|e| e["event"] == "summary").expect("a summary event")
}

fn describe(output: &Output, events: &[Value]) -> String {
    format!(
        "stderr:\n{}\nevents:\n{}",
        String::from_utf8_lossy(&output.stderr),
        events.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
    )
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn the_reference_plan_applies_through_the_sdk_resumes_and_offboards() {
    reset_moto();
    let platform = common::reference();
    let work = tempfile::tempdir().unwrap();
    let (out, state) = (work.path().join("generated"), work.path().join("state"));
    write_emulated_output(&platform, &out);
    create_projects(&platform).await;
    let api = emulator::MockApiServer::start();
    let kubeconfig = work.path().join("kubeconfig");
    std::fs::write(&kubeconfig, api.kubeconfig()).unwrap();

    // First apply: every step runs.
    let (output, events) = apply(&out, &state, &kubeconfig, &[]);
    assert!(output.status.success(), "{}", describe(&output, &events));
    let steps = events.iter().filter(|e| e["event"] == "finished").count();
    assert_eq!(summary(&events)["applied"], steps, "{}", describe(&output, &events));
    assert_eq!(summary(&events)["failed"], 0);

    // What the SDK sees.
    let config = sdk_config(platform.region().as_str()).await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    for stack in ["saas-baseline", "saas-delivery", "saas-tenant-acme", "saas-tenant-umbrella"] {
        let described = cfn.describe_stacks().stack_name(stack).send().await.unwrap();
        let status = described.stacks()[0].stack_status().unwrap().as_str().to_owned();
        assert_eq!(status, "CREATE_COMPLETE", "{stack}");
        let tags: BTreeMap<_, _> =
            described.stacks()[0].tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap())).collect();
        assert_eq!(tags.get("tenancy:platform"), Some(&"saas"), "{stack} tags {tags:?}");
    }
    let edge = aws_sdk_cloudformation::Client::new(&sdk_config("us-east-1").await);
    assert_eq!(edge.describe_stacks().stack_name("saas-edge").send().await.unwrap().stacks().len(), 1);

    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let tables = dynamodb.list_tables().send().await.unwrap().table_names().to_vec();
    for table in ["saas-tenant", "saas-product", "saas-order-acme", "saas-order-umbrella", "saas-deploy-state"] {
        assert!(tables.contains(&table.to_owned()), "{table} missing from {tables:?}");
    }
    let iam = aws_sdk_iam_like_policy(&config, "saas-tenant-acme").await;
    assert!(iam.contains("dynamodb:LeadingKeys") && iam.contains("acme"), "{iam}");

    let record = dynamodb
        .get_item()
        .table_name("saas-tenant")
        .key("TenantId", aws_sdk_dynamodb::types::AttributeValue::S("acme".into()))
        .send()
        .await
        .unwrap();
    let item = record.item().expect("acme's record");
    let field = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
    assert_eq!(field("Status"), "active");
    assert_eq!(field("Tier"), "platinum");
    assert_eq!(
        field("RoleArn"),
        "arn:aws:iam::123456789012:role/saas-tenant-acme",
        "the role ARN comes from the stack output"
    );
    assert_eq!(field("UserPoolId"), "emulator-standin-UserPoolId", "outputs flow into the record");

    // The mock API server received server-side applies, namespace first.
    let requests = api.requests.lock().unwrap().clone();
    let patches: Vec<&(String, String, String)> = requests.iter().filter(|r| r.0 == "PATCH").collect();
    assert!(!patches.is_empty());
    for (_, target, content_type) in &patches {
        assert!(target.contains("fieldManager=tenancy") && target.contains("force=true"), "{target}");
        assert_eq!(content_type, "application/apply-patch+yaml");
    }
    let acme: Vec<&str> = patches.iter().map(|r| r.1.as_str()).filter(|t| t.contains("tenant-acme")).collect();
    assert!(acme[0].starts_with("/api/v1/namespaces/tenant-acme?"), "namespace first: {acme:?}");

    // Second apply: nothing to do.
    let (output, events) = apply(&out, &state, &kubeconfig, &[]);
    assert!(output.status.success(), "{}", describe(&output, &events));
    assert_eq!(summary(&events)["applied"], 0, "{}", describe(&output, &events));
    assert_eq!(summary(&events)["unchanged"], steps);

    // Tenant umbrella leaves: refused without --allow-delete, removed with it.
    let smaller = platform.to_builder().without_tenant("umbrella").build().unwrap();
    write_emulated_output(&smaller, &out);
    let (output, _) = apply(&out, &state, &kubeconfig, &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--allow-delete") && stderr.contains("delete stack saas-tenant-umbrella"), "{stderr}");
    assert!(cfn.describe_stacks().stack_name("saas-tenant-umbrella").send().await.is_ok());

    let before = api.requests.lock().unwrap().len();
    let (output, events) = apply(&out, &state, &kubeconfig, &["--allow-delete"]);
    assert!(output.status.success(), "{}", describe(&output, &events));
    assert_eq!(summary(&events)["removed"], 3, "{}", describe(&output, &events));
    let gone = cfn.describe_stacks().stack_name("saas-tenant-umbrella").send().await;
    let gone = gone.map(|d| d.stacks().first().and_then(|s| s.stack_status()).map(|s| s.as_str().to_owned()));
    assert!(
        matches!(&gone, Err(_) | Ok(Some(_)) if gone.as_ref().map_or(true, |s| s.as_deref() == Some("DELETE_COMPLETE"))),
        "{gone:?}"
    );
    let record = dynamodb
        .get_item()
        .table_name("saas-tenant")
        .key("TenantId", aws_sdk_dynamodb::types::AttributeValue::S("umbrella".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(record.item().unwrap()["Status"].as_s().unwrap(), "deleted");
    let deletes: Vec<String> =
        api.requests.lock().unwrap()[before..].iter().filter(|r| r.0 == "DELETE").map(|r| r.1.clone()).collect();
    assert!(deletes.last().unwrap().starts_with("/api/v1/namespaces/tenant-umbrella"), "namespace last: {deletes:?}");
    assert!(deletes.len() > 5, "{deletes:?}");
}

/// The inline policy `tenant-data` of `role`, as IAM holds it.
async fn aws_sdk_iam_like_policy(config: &aws_config::SdkConfig, role: &str) -> String {
    let iam = aws_sdk_iam::Client::new(config);
    let policy = iam.get_role_policy().role_name(role).policy_name("tenant-data").send().await.unwrap();
    let document = policy.policy_document();
    // IAM returns the document URL-encoded.
    let mut decoded = String::new();
    let mut bytes = document.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex: String =
                [bytes.next().unwrap_or(b'0') as char, bytes.next().unwrap_or(b'0') as char].iter().collect();
            decoded.push(u8::from_str_radix(&hex, 16).unwrap_or(b'?') as char);
        } else {
            decoded.push(b as char);
        }
    }
    decoded
}

/// A fresh journal table in moto, named for this test.
async fn journal_table(region: &str, name: &str) -> String {
    let table = format!("{name}-{}", std::process::id());
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config(region).await);
    dynamodb
        .create_table()
        .table_name(&table)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("Key")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("Key")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    table
}

/// The keys of every item in `table`.
async fn item_keys(region: &str, table: &str) -> Vec<String> {
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config(region).await);
    let scan = dynamodb.scan().table_name(table).send().await.unwrap();
    let mut keys: Vec<String> =
        scan.items().iter().filter_map(|i| i.get("Key").and_then(|k| k.as_s().ok()).cloned()).collect();
    keys.sort();
    keys
}

fn record(hash: &str) -> tenancy::apply::StepRecord {
    tenancy::apply::StepRecord {
        hash: hash.into(),
        status: tenancy::apply::Status::Applied,
        action: tenancy::plan::Action::Register { table: "t".into(), tenant: "a".into(), tier: "x".into() },
        outputs: BTreeMap::from([("K".to_owned(), "V".to_owned())]),
        error: None,
        inputs: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn the_dynamodb_lock_is_scoped_released_explicitly_and_fences_journal_writes() {
    use std::time::Duration;
    use tenancy::apply::aws::{AwsOptions, Configs, DynamoState, Lease};
    use tenancy::apply::{LockScope, LockWait, Selection, StateStore};
    use tenancy::plan::StepId;

    let region = "eu-central-1";
    let table = journal_table(region, "journal").await;
    let configs = Configs::new(AwsOptions { endpoint_url: Some(moto_url()), ..AwsOptions::default() });
    let store = || DynamoState::new(configs.clone(), region.into(), table.clone());
    let now = LockWait { timeout: Duration::ZERO, poll: Duration::from_millis(50) };
    let scope = |s: &str| LockScope::of(&s.parse::<Selection>().unwrap());

    // The whole platform, exclusively: a second apply is refused, told who holds it and until when.
    let first = store();
    let lock = first.lock(&LockScope::Platform, now).await.unwrap();
    let second = store();
    let err = second.lock(&LockScope::Platform, now).await.err().expect("the lock is held");
    let text = err.to_string();
    assert!(text.contains("another apply holds the lock") && text.contains(first.holder()), "{text}");
    assert!(text.contains("lease until 20"), "the lease's expiry is named: {text}");
    assert!(second.lock(&scope("shard:1/8"), now).await.is_err(), "all excludes every part");

    first.record(&StepId::new("tenant/a/register"), &record("h1")).await.unwrap();
    let journal = second.load().await.unwrap();
    assert!(journal.is_current(&StepId::new("tenant/a/register"), "h1"));
    assert_eq!(journal.steps.len(), 1);
    let err = second.record(&StepId::new("tenant/a/register"), &record("h2")).await.unwrap_err();
    assert!(err.to_string().contains("without holding the lock"), "{err}");

    // Released explicitly: the next apply gets it at once, and no lock item is left behind.
    lock.release().await.unwrap();
    let again = second.lock(&LockScope::Platform, now).await.expect("released, not leaked");
    again.release().await.unwrap();
    assert_eq!(item_keys(region, &table).await, ["lock#platform", "step#tenant/a/register"]);

    // Disjoint parts at once; overlapping ones, and the whole platform, excluded.
    let (one, two) = (store(), store());
    let shard_one = one.lock(&scope("shard:1/8"), now).await.unwrap();
    let shard_two = two.lock(&scope("shard:2/8"), now).await.unwrap();
    let cluster = store();
    let cluster_lock = cluster.lock(&scope("step:baseline/cluster"), now).await.unwrap();
    let tenant_in_one =
        (0..1000).map(|i| format!("t{i}")).find(|t| tenancy::apply::shard_of(t, 8) == 1).expect("a tenant of shard 1");
    let err = store().lock(&scope(&format!("tenant:{tenant_in_one}")), now).await.err().expect("shard 1 is held");
    assert!(err.to_string().contains("shard:1/8") && err.to_string().contains(one.holder()), "{err}");
    let err = store().lock(&LockScope::Platform, now).await.err().expect("partial applies hold the platform");
    assert!(err.to_string().contains("a partial apply; 3 in all"), "{err}");
    // The refused exclusive apply left no intent behind: new partial applies still get in.
    let three = store();
    let shard_three = three.lock(&scope("shard:3/8"), now).await.expect("no intent left behind");
    one.record(&StepId::new("tenant/x/stack"), &record("h")).await.unwrap();
    for guard in [shard_one, shard_two, cluster_lock, shard_three] {
        guard.release().await.unwrap();
    }

    // A lease that runs out can be taken over, and the old holder can no longer write.
    let short = Lease { length: Duration::from_secs(1), renew_every: Duration::from_secs(3600) };
    let stale = DynamoState::with_lease(configs.clone(), region.into(), table.clone(), short);
    let stale_lock = stale.lock(&scope("shard:4/8"), now).await.unwrap();
    let wait = LockWait { timeout: Duration::from_secs(10), poll: Duration::from_millis(200) };
    let taker = store();
    let taken = taker.lock(&scope("shard:4/8"), wait).await.expect("the lease ran out");
    let err = stale.record(&StepId::new("tenant/y/stack"), &record("h")).await.unwrap_err();
    assert!(err.to_string().contains("no longer held"), "fenced: {err}");
    assert!(stale_lock.release().await.is_err(), "releasing a lock taken over is reported");
    taker.record(&StepId::new("tenant/y/stack"), &record("h")).await.unwrap();
    taken.release().await.unwrap();

    // A renewed lease outlives its length.
    let renewing = Lease { length: Duration::from_secs(2), renew_every: Duration::from_millis(300) };
    let live = DynamoState::with_lease(configs.clone(), region.into(), table.clone(), renewing);
    let live_lock = live.lock(&scope("shard:5/8"), now).await.unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(store().lock(&scope("shard:5/8"), now).await.is_err(), "renewed, so still held");
    live.record(&StepId::new("tenant/z/stack"), &record("h")).await.unwrap();
    live_lock.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto on 127.0.0.1: scripts/test starts it and runs this"]
async fn the_real_binary_applies_twice_in_a_row_with_the_dynamodb_journal() {
    reset_moto();
    let platform = common::reference();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("generated");
    write_emulated_output(&platform, &out);
    let table = journal_table("eu-west-1", "deploy-state").await;
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_tenancy"))
            .args(["apply", "--format", "json", "--poll-seconds", "0.05", "--lock-timeout", "0"])
            .args(["--endpoint-url", &moto_url(), "--select", "step:baseline/edge"])
            .arg("--generated")
            .arg(&out)
            .args(["--state", &format!("dynamodb:{table}")])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    // The process ended; its lock must not outlive it (it was released, not left to a lease).
    assert_eq!(item_keys("eu-west-1", &table).await, ["lock#platform", "step#baseline/edge"]);
    let second = run();
    assert!(
        second.status.success(),
        "the second apply right after the first: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    let events: Vec<Value> =
        String::from_utf8_lossy(&second.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(summary(&events)["unchanged"], 1, "{events:?}");
}
