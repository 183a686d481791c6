//! End to end: the real `tenancy` binary bootstraps, pushes its source bundle and applies the
//! committed reference plan (`generated/`, unchanged) through the real AWS SDK against moto on
//! 127.0.0.1, with builds that run their buildspecs (the stand-ins of `tests/emulator/standins`
//! for eksctl, helm, docker, kubectl and the downloads) and Kubernetes steps against a mock API
//! server (no real cluster runs here). Each test starts its own moto (`crate::emulator::Moto`).
//!
//! These prove the SDK calls and their order, the engine's bookkeeping, the journal and its
//! lock, the values bound from one step into the next (stack outputs, image digests), and the
//! contracts between the artifacts and what reads them: buildspec paths, source versions,
//! exported variables, images in ECR.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::emulator::{
    MockApiServer, Moto, bootstrap_and_push, checkout, describe_output, events, tenancy, tenant_record,
};
use serde_json::Value;

const TENANCY: &str = env!("CARGO_BIN_EXE_tenancy");

fn bin() -> PathBuf {
    PathBuf::from(TENANCY)
}

fn summary(events: &[Value]) -> &Value {
    events.iter().find(|e| e["event"] == "summary").expect("a summary event")
}

fn describe(moto: &Moto, output: &Output) -> String {
    format!("{}\n{}", describe_output(output), moto.build_logs())
}

fn apply(moto: &Moto, root: &Path, kubeconfig: &Path, extra: &[&str]) -> Output {
    let generated = root.join("generated");
    let mut args =
        vec!["apply", "--format", "json", "--poll-seconds", "0.05", "--generated", generated.to_str().unwrap()];
    args.extend_from_slice(extra);
    tenancy(&bin(), moto, root, &args, &[("KUBECONFIG", kubeconfig.to_str().unwrap())])
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto and the AWS CLI in .venv/moto: scripts/test runs this"]
async fn the_reference_plan_applies_through_the_sdk_resumes_and_offboards() {
    let api = MockApiServer::start();
    let moto = Moto::start("apply", Some(&api.url), &bin());
    let root = checkout(&moto.work);
    let kubeconfig = moto.work.join("kubeconfig");
    std::fs::write(&kubeconfig, api.kubeconfig()).unwrap();
    bootstrap_and_push(&bin(), &moto, &root);

    // Apply refuses a bootstrap stack other than the reviewed one: here, one that was never
    // updated after its template changed (the tag records the digest it was deployed from).
    let config = moto.sdk_config("eu-west-1").await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let bootstrap = cfn.describe_stacks().stack_name("saas-bootstrap").send().await.unwrap();
    let tags: BTreeMap<_, _> =
        bootstrap.stacks()[0].tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap())).collect();
    assert_eq!(tags.get("tenancy:template-sha256").map(|t| t.len()), Some(64), "{tags:?}");

    // First apply: every step runs, builds included (the images build pushes, the cluster
    // build creates the cluster).
    let output = apply(&moto, &root, &kubeconfig, &[]);
    let first = events(&output);
    assert!(output.status.success(), "{}", describe(&moto, &output));
    let steps = first.iter().filter(|e| e["event"] == "finished").count();
    assert_eq!(summary(&first)["applied"], steps, "{}", describe(&moto, &output));
    assert_eq!(summary(&first)["failed"], 0);

    // What the SDK sees: the stacks, deployed as the templates say.
    for stack in ["saas-baseline", "saas-delivery", "saas-tenant-acme", "saas-tenant-umbrella"] {
        let described = cfn.describe_stacks().stack_name(stack).send().await.unwrap();
        let status = described.stacks()[0].stack_status().unwrap().as_str().to_owned();
        assert_eq!(status, "CREATE_COMPLETE", "{stack}");
        let tags: BTreeMap<_, _> =
            described.stacks()[0].tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap())).collect();
        assert_eq!(tags.get("tenancy:platform"), Some(&"saas"), "{stack} tags {tags:?}");
    }
    let edge = aws_sdk_cloudformation::Client::new(&moto.sdk_config("us-east-1").await);
    assert_eq!(edge.describe_stacks().stack_name("saas-edge").send().await.unwrap().stacks().len(), 1);
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let tables = dynamodb.list_tables().send().await.unwrap().table_names().to_vec();
    for table in ["saas-tenant", "saas-product", "saas-order-acme", "saas-order-umbrella", "saas-deploy-state"] {
        assert!(tables.contains(&table.to_owned()), "{table} missing from {tables:?}");
    }

    // The builds ran where CodeBuild runs them: on the source version that carries the plan,
    // the buildspec the step names, and the images build's digests reached the bundles.
    let builds = moto.builds();
    for project in ["saas-cluster", "saas-images", "saas-addons"] {
        assert!(
            builds.iter().any(|b| b["project"] == project && b["status"] == "SUCCEEDED"),
            "{project} did not build: {}",
            moto.build_logs()
        );
    }
    let ecr = aws_sdk_ecr::Client::new(&config);
    let pushed = ecr.describe_images().repository_name("saas/order").send().await.unwrap();
    let digest = pushed.image_details()[0].image_digest().unwrap().to_owned();
    let objects = api.objects.lock().unwrap().clone();
    let deployment = &objects["/apis/apps/v1/namespaces/tenant-acme/deployments/order"];
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/saas/order@{digest}"),
        "the bundle runs the image the build pushed"
    );

    // The tenant record, from the stack's outputs.
    let acme = tenant_record(&dynamodb, "acme").await;
    let field = |k: &str| acme.get(k).cloned().unwrap_or_default();
    assert_eq!(field("Status"), "active");
    assert_eq!(field("Tier"), "platinum");
    assert_eq!(field("RoleArn"), "arn:aws:iam::123456789012:role/saas-tenant-acme");
    assert!(field("UserPoolId").starts_with("eu-west-1_"), "outputs flow into the record: {}", field("UserPoolId"));

    // The mock API server received server-side applies, namespace first, none refused.
    assert!(api.refused.lock().unwrap().is_empty(), "{:?}", api.refused.lock().unwrap());
    let requests = api.requests.lock().unwrap().clone();
    let acme: Vec<&str> =
        requests.iter().filter(|r| r.0 == "PATCH" && r.1.contains("tenant-acme")).map(|r| r.1.as_str()).collect();
    assert!(acme[0].starts_with("/api/v1/namespaces/tenant-acme?"), "namespace first: {acme:?}");

    // Second apply: nothing to do (the images build reruns, pushes nothing, changes nothing).
    let output = apply(&moto, &root, &kubeconfig, &[]);
    let second = events(&output);
    assert!(output.status.success(), "{}", describe(&moto, &output));
    assert_eq!(summary(&second)["applied"], 0, "{}", describe(&moto, &output));
    assert_eq!(summary(&second)["unchanged"], steps);

    // An apply whose journal knows nothing (lost, or a kill between a change set's execution
    // and its journal write) finds every stack as the plan wants it: CreateChangeSet has no
    // changes to make, which moto answers with "No updates are to be performed", and that is
    // not a failure (found by the kill -9 campaign, where it was one).
    let fresh = format!("local:{}", moto.work.join("state-forgotten").display());
    let output = apply(&moto, &root, &kubeconfig, &["--state", &fresh]);
    let forgotten = events(&output);
    assert!(output.status.success(), "{}", describe(&moto, &output));
    assert_eq!(summary(&forgotten)["failed"], 0, "{}", describe(&moto, &output));
    for event in forgotten.iter().filter(|e| e["event"] == "finished" && e["kind"] == "cloudformation") {
        assert_eq!(event["outcome"], "unchanged", "{event}");
    }

    // Tenant globex (dedicated identity, backup retention) leaves the blueprint: refused
    // without --allow-delete, removed with it, its tables backed up first.
    let out = tenancy(&bin(), &moto, &root, &["tenant", "remove", "globex"], &[]);
    assert!(out.status.success(), "{}", describe_output(&out));
    let out = tenancy(&bin(), &moto, &root, &["synth"], &[]);
    assert!(out.status.success(), "{}", describe_output(&out));
    let commit = std::process::Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["commit", "-qam", "offboard globex"])
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .unwrap();
    assert!(commit.status.success(), "{}", describe_output(&commit));
    let out = tenancy(&bin(), &moto, &root, &["source", "push", "--generated", "generated"], &[]);
    assert!(out.status.success(), "{}", describe_output(&out));

    let output = apply(&moto, &root, &kubeconfig, &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--allow-delete") && stderr.contains("delete stack saas-tenant-globex"), "{stderr}");
    assert!(cfn.describe_stacks().stack_name("saas-tenant-globex").send().await.is_ok());

    // globex signs in at a pool of its own, which goes with its stack.
    let pool = tenant_record(&dynamodb, "globex").await["UserPoolId"].clone();
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&moto.sdk_config("eu-west-1").await);
    assert!(cognito.describe_user_pool().user_pool_id(&pool).send().await.is_ok(), "{pool} exists before");

    let before = api.requests.lock().unwrap().len();
    let output = apply(&moto, &root, &kubeconfig, &["--allow-delete"]);
    let removed = events(&output);
    assert!(output.status.success(), "{}", describe(&moto, &output));
    assert_eq!(summary(&removed)["removed"], 3, "{}", describe(&moto, &output));
    let gone = cfn.describe_stacks().stack_name("saas-tenant-globex").send().await;
    let status =
        gone.ok().and_then(|d| d.stacks().first().and_then(|s| s.stack_status()).map(|s| s.as_str().to_owned()));
    assert!(status.is_none() || status.as_deref() == Some("DELETE_COMPLETE"), "{status:?}");
    assert!(cognito.describe_user_pool().user_pool_id(&pool).send().await.is_err(), "{pool} is gone with its users");
    let backups = dynamodb.list_backups().table_name("saas-order-globex").send().await.unwrap();
    assert_eq!(backups.backup_summaries().len(), 1, "the backup tier's table was backed up before it went");
    assert_eq!(tenant_record(&dynamodb, "globex").await["Status"], "deleted");
    let deletes: Vec<String> =
        api.requests.lock().unwrap()[before..].iter().filter(|r| r.0 == "DELETE").map(|r| r.1.clone()).collect();
    assert!(deletes.last().unwrap().starts_with("/api/v1/namespaces/tenant-globex"), "namespace last: {deletes:?}");
    assert!(deletes.len() > 5, "{deletes:?}");
}

/// B2 of the deployability review: a bundle never reaches the cluster naming an image the
/// registry does not hold.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto and the AWS CLI in .venv/moto: scripts/test runs this"]
async fn an_image_missing_from_ecr_is_found_before_anything_is_applied() {
    use tenancy_apply::kubernetes::Images;

    let moto = Moto::start("ecr", None, &bin());
    let config = moto.sdk_config("eu-west-1").await;
    let ecr = aws_sdk_ecr::Client::new(&config);
    ecr.create_repository().repository_name("saas/order").send().await.unwrap();
    let manifest = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":3}]}"#;
    let present = format!("sha256:{}", tenancy::plan::hex_digest(manifest.as_bytes()));
    ecr.put_image()
        .repository_name("saas/order")
        .image_manifest(manifest)
        .image_manifest_media_type("application/vnd.oci.image.manifest.v1+json")
        .image_tag("src-1")
        .image_digest(&present)
        .send()
        .await
        .unwrap();
    let registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    let configs = tenancy_apply::aws::Configs::new(tenancy_apply::aws::AwsOptions {
        endpoint_url: Some(moto.url.clone()),
        ..Default::default()
    });
    let check = tenancy_apply::aws::Ecr::new(configs, "eu-west-1".into(), registry.into());
    let absent = format!("sha256:{}", "3".repeat(64));
    let images = vec![
        format!("{registry}/saas/order@{present}"),
        format!("{registry}/saas/order@{absent}"),
        format!("{registry}/saas/product@{present}"),
        format!("{registry}/saas/order:src-1"),
        format!("docker.io/library/nginx@{present}"),
    ];
    let missing = check.missing(&images).await.unwrap();
    assert_eq!(
        missing,
        [
            format!("{registry}/saas/order@{absent}"),
            format!("{registry}/saas/product@{present}"),
            format!("{registry}/saas/order:src-1 (not pinned by digest in {registry})"),
            format!("docker.io/library/nginx@{present} (not pinned by digest in {registry})"),
        ]
    );
}

/// A fresh journal table in moto, named for this test.
async fn journal_table(moto: &Moto, region: &str, name: &str) -> String {
    let table = format!("{name}-{}", std::process::id());
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config(region).await);
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
async fn item_keys(moto: &Moto, region: &str, table: &str) -> Vec<String> {
    let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config(region).await);
    let scan = dynamodb.scan().table_name(table).send().await.unwrap();
    let mut keys: Vec<String> =
        scan.items().iter().filter_map(|i| i.get("Key").and_then(|k| k.as_s().ok()).cloned()).collect();
    keys.sort();
    keys
}

fn record(hash: &str) -> tenancy_apply::StepRecord {
    tenancy_apply::StepRecord {
        state: None,
        hash: hash.into(),
        status: tenancy_apply::Status::Applied,
        action: tenancy::plan::Action::Register {
            table: "t".into(),
            tenant: "a".into(),
            tier: "x".into(),
            domain: "d".into(),
        },
        outputs: BTreeMap::from([("K".to_owned(), "V".to_owned())]),
        error: None,
        inputs: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto and the AWS CLI in .venv/moto: scripts/test runs this"]
async fn the_dynamodb_lock_is_scoped_released_explicitly_and_fences_journal_writes() {
    use std::time::Duration;
    use tenancy::plan::StepId;
    use tenancy_apply::aws::{AwsOptions, Configs, DynamoState, Lease};
    use tenancy_apply::{LockScope, LockWait, Selection, StateStore};

    let moto = Moto::start("lock", None, &bin());
    let region = "eu-central-1";
    let table = journal_table(&moto, region, "journal").await;
    let configs = Configs::new(AwsOptions { endpoint_url: Some(moto.url.clone()), ..AwsOptions::default() });
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
    assert_eq!(item_keys(&moto, region, &table).await, ["lock#platform", "step#tenant/a/register"]);

    // Disjoint parts at once; overlapping ones, and the whole platform, excluded.
    let (one, two) = (store(), store());
    let shard_one = one.lock(&scope("shard:1/8"), now).await.unwrap();
    let shard_two = two.lock(&scope("shard:2/8"), now).await.unwrap();
    let cluster = store();
    let cluster_lock = cluster.lock(&scope("step:baseline/cluster"), now).await.unwrap();
    let tenant_in_one =
        (0..1000).map(|i| format!("t{i}")).find(|t| tenancy_apply::shard_of(t, 8) == 1).expect("a tenant of shard 1");
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

/// Code review finding 1: after one apply with the DynamoDB journal finished, the next was
/// refused for the whole lease, because the lock's release was spawned in Drop onto a runtime
/// that shut down right after.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto and the AWS CLI in .venv/moto: scripts/test runs this"]
async fn the_real_binary_applies_twice_in_a_row_with_the_dynamodb_journal() {
    let moto = Moto::start("twice", None, &bin());
    let root = checkout(&moto.work);
    bootstrap_and_push(&bin(), &moto, &root);
    let run = || {
        tenancy(
            &bin(),
            &moto,
            &root,
            &[
                "apply",
                "--format",
                "json",
                "--poll-seconds",
                "0.05",
                "--lock-timeout",
                "0",
                "--select",
                "step:baseline/edge",
                "--state",
                "dynamodb:saas-deploy-state",
            ],
            &[],
        )
    };
    let first = run();
    assert!(first.status.success(), "{}", describe_output(&first));
    // The process ended; its lock did not outlive it (released, not left to a lease).
    assert_eq!(item_keys(&moto, "eu-west-1", "saas-deploy-state").await, ["lock#platform", "step#baseline/edge"]);
    let second = run();
    assert!(second.status.success(), "the second apply right after the first: {}", describe_output(&second));
    assert_eq!(summary(&events(&second))["unchanged"], 1, "{}", describe_output(&second));
}

/// Fault 2d: an apply killed while it held the DynamoDB lock blocked every later one for its
/// lease, and nothing said how to recover. `tenancy unlock` shows the holds (exit 1 while one
/// is live) and `--force` removes them; the dead holder can no longer journal.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto and the AWS CLI in .venv/moto: scripts/test runs this"]
async fn unlock_shows_and_breaks_the_dynamodb_lock_of_a_dead_apply() {
    use std::time::Duration;
    use tenancy::plan::StepId;
    use tenancy_apply::aws::{AwsOptions, Configs, DynamoState};
    use tenancy_apply::{LockScope, LockWait, Selection, StateStore};

    let moto = Moto::start("unlock", None, &bin());
    // The plan's region, which unlock reads from --generated.
    let region = "eu-west-1";
    let table = journal_table(&moto, region, "unlock").await;
    let configs = Configs::new(AwsOptions { endpoint_url: Some(moto.url.clone()), ..AwsOptions::default() });
    let now = LockWait { timeout: Duration::ZERO, poll: Duration::from_millis(50) };
    let dead = DynamoState::new(configs.clone(), region.into(), table.clone());
    let dead_lock = dead.lock(&LockScope::of(&"shard:1/8".parse::<Selection>().unwrap()), now).await.unwrap();
    let generated = crate::emulator::repo().join("generated");
    let unlock = |force: bool| {
        let state = format!("dynamodb:{table}");
        let mut args = vec!["unlock", "--generated", generated.to_str().unwrap(), "--state", &state];
        if force {
            args.push("--force");
        }
        tenancy(&bin(), &moto, &moto.work, &args, &[])
    };

    let shown = unlock(false);
    assert_eq!(shown.status.code(), Some(1), "a live hold: {}", describe_output(&shown));
    let stdout = String::from_utf8_lossy(&shown.stdout).into_owned();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with(&format!("lock#platform (shared): {}, lease until 20", dead.holder())), "{stdout}");
    assert!(lines[1].starts_with(&format!("lock#shard:1/8: {}, lease until 20", dead.holder())), "{stdout}");
    assert!(String::from_utf8_lossy(&shown.stderr).contains("tenancy unlock --force --state dynamodb:"));
    let refused = DynamoState::new(configs.clone(), region.into(), table.clone());
    assert!(refused.lock(&LockScope::Platform, now).await.is_err(), "still held before --force");

    let forced = unlock(true);
    assert!(forced.status.success(), "{}", describe_output(&forced));
    assert_eq!(String::from_utf8_lossy(&forced.stdout).lines().filter(|l| l.starts_with("removed ")).count(), 2);
    let err = dead.record(&StepId::new("tenant/a/stack"), &record("h")).await.unwrap_err();
    assert!(err.to_string().contains("no longer held"), "the dead holder is fenced off: {err}");
    let next = DynamoState::new(configs.clone(), region.into(), table.clone());
    let lock = next.lock(&LockScope::Platform, now).await.expect("the next apply gets the lock at once");
    lock.release().await.unwrap();
    drop(dead_lock);

    let after = unlock(false);
    assert!(after.status.success(), "nothing held: {}", describe_output(&after));
    assert!(String::from_utf8_lossy(&after.stderr).contains("no lock is held"), "{}", describe_output(&after));
}

/// Accepts connections and never answers: a Kubernetes API whose calls hang.
fn black_hole() -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().take(64) {
            open.push(stream);
        }
    });
    (url, held)
}

/// SIGTERM during an apply: no new step starts, the running ones get the grace period (here a
/// Kubernetes step whose API never answers, so it is cut off), what finished is journaled, the
/// summary is printed, and the exit code is 130. Meanwhile a second apply is refused as locked
/// (exit 3).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto and the AWS CLI in .venv/moto: scripts/test runs this"]
async fn sigterm_drains_journals_what_finished_prints_the_summary_and_exits_130() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};

    // The builds (helm, kubectl) reach the mock cluster; the apply's own Kubernetes steps the
    // black hole.
    let api = MockApiServer::start();
    let moto = Moto::start("sigterm", Some(&api.url), &bin());
    let root = checkout(&moto.work);
    bootstrap_and_push(&bin(), &moto, &root);
    let (kube, _held) = black_hole();
    let kubeconfig = moto.work.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: hole\n  cluster:\n    server: {kube}\nusers:\n- name: hole\n  user:\n    token: test\ncontexts:\n- name: hole\n  context:\n    cluster: hole\n    user: hole\ncurrent-context: hole\n"
        ),
    )
    .unwrap();
    let state = moto.work.join("state-sigterm");
    let state_arg = format!("local:{}", state.display());
    let generated = root.join("generated");
    let args = [
        "apply",
        "--format",
        "json",
        "--poll-seconds",
        "0.05",
        "--grace-seconds",
        "2",
        "--generated",
        generated.to_str().unwrap(),
        "--state",
        &state_arg,
    ];
    let mut command = std::process::Command::new(bin());
    command.args(args).current_dir(&root).env_remove("AWS_PROFILE").env("KUBECONFIG", &kubeconfig);
    for (k, v) in moto.env() {
        command.env(k, v);
    }
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut seen: Vec<Value> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while !seen.iter().any(|e| e["event"] == "started" && e["kind"] == "kubernetes") {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = lines.recv_timeout(left) else {
            let out = child.wait_with_output().unwrap();
            panic!("no Kubernetes step started within 300 s: {seen:?}\n{}", describe_output(&out));
        };
        seen.extend(serde_json::from_str::<Value>(&line).ok());
    }
    // Held: a second apply is told so, with its own exit code.
    let mut second = args.to_vec();
    second.extend_from_slice(&["--lock-timeout", "0"]);
    let refused = tenancy(&bin(), &moto, &root, &second, &[("KUBECONFIG", kubeconfig.to_str().unwrap())]);
    assert_eq!(refused.status.code(), Some(3), "{}", describe_output(&refused));

    let signalled = Instant::now();
    let kill = std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(signalled.elapsed() < Duration::from_secs(60), "the apply did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(5)) {
        seen.extend(serde_json::from_str::<Value>(&line).ok());
    }
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(signalled.elapsed() < Duration::from_secs(30), "bounded by the grace period: {stderr}");
    assert!(stderr.contains("interrupted: starting no new step"), "{stderr}");
    let summary = summary(&seen);
    assert_eq!(summary["stopped"], "interrupted", "{summary}");
    assert!(summary["interrupted"].as_u64().unwrap() >= 1, "the hanging Kubernetes step was cut off: {summary}");
    // What finished is in the journal; what was cut off or never started is not.
    let finished: std::collections::BTreeSet<String> = seen
        .iter()
        .filter(|e| e["event"] == "finished" && (e["outcome"] == "applied" || e["outcome"] == "unchanged"))
        .map(|e| e["step"].as_str().unwrap().to_owned())
        .collect();
    assert!(!finished.is_empty());
    use tenancy_apply::StateStore;
    let journal = tenancy_apply::LocalState::new(&state).load().await.unwrap();
    let journaled: std::collections::BTreeSet<String> = journal.steps.keys().map(|k| k.to_string()).collect();
    assert_eq!(journaled, finished, "{stderr}");
}
