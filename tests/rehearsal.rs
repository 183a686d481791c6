//! The pipeline rehearsal: the generated CodePipeline (`generated/baseline/delivery.cfn.yaml`)
//! run the way CodePipeline and CodeBuild would run it, on the committed reference platform,
//! against moto on 127.0.0.1, with the real `tenancy` binary, the real AWS CLI, strict
//! stand-ins for eksctl, helm, docker, kubectl and the downloads (`tests/emulator/standins`),
//! and Kubernetes going to a mock API server that accepts only EKS tokens.
//!
//! The first deploy as the README gives it: `tenancy bootstrap`, `tenancy source push`, the
//! platform stacks up to the delivery stack from a workstation (`--select through:...`), then the
//! pipeline does the rest: Source, Check (tenancy built once), the baseline waves, and the eight
//! tenant shards at once against the journal and lock in moto's DynamoDB. A second run must
//! change nothing. Then a sign-up's onboarding build runs as the registration service starts
//! it: CodeBuild runs `buildspecs/onboarding.yml` from the source bundle, with the git remote
//! and token from the platform's secret, and the job commits the tenant and applies it.
//!
//! What it cannot prove is in the README ("The pipeline rehearsal").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::emulator::{MockApiServer, Moto, checkout, describe_output, tenancy};
use serde_json::Value;

const TENANCY: &str = env!("CARGO_BIN_EXE_tenancy");

fn bin() -> PathBuf {
    PathBuf::from(TENANCY)
}

/// The AWS CLI against this moto, as the operator: its JSON answer.
fn aws(moto: &Moto, args: &[&str]) -> Value {
    let cli = crate::emulator::python().parent().unwrap().join("aws");
    let out = Command::new(cli)
        .args(args)
        .args(["--region", "eu-west-1", "--output", "json"])
        .envs(moto.env())
        .output()
        .unwrap();
    assert!(out.status.success(), "aws {args:?}: {}", describe_output(&out));
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

/// What one site's build left in its bucket and at its distribution.
fn site_published(moto: &Moto, site: &str) {
    let bucket = format!("saas-{site}-123456789012-eu-west-1");
    let head = |key: &str| aws(moto, &["s3api", "head-object", "--bucket", &bucket, "--key", key]);
    let page = head("index.html");
    assert_eq!(page["ContentType"], "text/html; charset=utf-8", "{site}: {page}");
    assert_eq!(page["CacheControl"], "no-cache", "{site}: {page}");
    assert_eq!(head("config.json")["CacheControl"], "no-cache", "{site}");
    let listing = aws(moto, &["s3api", "list-objects-v2", "--bucket", &bucket, "--prefix", "assets/"]);
    let assets: Vec<&str> =
        listing["Contents"].as_array().unwrap().iter().map(|o| o["Key"].as_str().unwrap()).collect();
    assert!(
        assets.iter().any(|k| k.ends_with(".js")) && assets.iter().any(|k| k.ends_with(".css")),
        "{site}: {assets:?}"
    );
    for key in &assets {
        let asset = head(key);
        assert_eq!(asset["CacheControl"], "public, max-age=31536000, immutable", "{site}: {key}");
        let expected = if key.ends_with(".js") { "text/javascript; charset=utf-8" } else { "text/css; charset=utf-8" };
        assert_eq!(asset["ContentType"], expected, "{site}: {key}");
    }
    let config_path = moto.work.join(format!("{site}-config.json"));
    aws(moto, &["s3api", "get-object", "--bucket", &bucket, "--key", "config.json", config_path.to_str().unwrap()]);
    let config: Value = serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    assert_eq!(config["apiUrl"], "https://api.saas.example.com", "{site}: {config}");
    assert!(!config.to_string().contains("${"), "{site}: {config}");
    if site == "admin" {
        let issuer = config["issuer"].as_str().unwrap();
        assert!(issuer.starts_with("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_"), "{issuer}");
    }
    let distributions = aws(moto, &["cloudfront", "list-distributions"]);
    let comment = format!("saas {site} site");
    let id = distributions["DistributionList"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["Comment"] == comment.as_str())
        .unwrap_or_else(|| panic!("no distribution {comment}: {distributions}"))["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let invalidations = aws(moto, &["cloudfront", "list-invalidations", "--distribution-id", &id]);
    let done: Vec<&Value> = invalidations["InvalidationList"]["Items"].as_array().unwrap().iter().collect();
    assert_eq!(done.len(), 1, "{site}: one invalidation: {invalidations}");
    assert_eq!(done[0]["Status"], "Completed", "{site}: {invalidations}");
}

/// Runs the pipeline once (`tests/emulator/pipeline.py`); returns its report.
fn run_pipeline(moto: &Moto, root: &Path, run: &str) -> Value {
    let report = moto.work.join(format!("pipeline-{run}.json"));
    let venv_bin = crate::emulator::python().parent().unwrap().to_owned();
    let out = Command::new(crate::emulator::python())
        .arg(crate::emulator::repo().join("tests/emulator/pipeline.py"))
        .arg(root.join("generated/baseline/delivery.cfn.yaml"))
        .args(["eu-west-1", "123456789012"])
        .arg(&report)
        .env("TENANCY_EMULATOR_ENDPOINT", &moto.url)
        .env("TENANCY_EMULATOR_WORK", &moto.work)
        .env("TENANCY_EMULATOR_STATE", &moto.state)
        .env(
            "TENANCY_EMULATOR_PATH",
            format!(
                "{}:{}:/usr/local/bin:/usr/bin:/bin",
                crate::emulator::repo().join("tests/emulator/standins").display(),
                venv_bin.display()
            ),
        )
        .env("TENANCY_EMULATOR_TENANCY_BIN", &moto.tenancy)
        .output()
        .unwrap();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap_or_else(|_| "{}".into()))
        .unwrap_or_else(|e| panic!("no report ({e}): {}", describe_output(&out)));
    assert_eq!(report["status"], "Succeeded", "pipeline run {run}:\n{}\n{}", pretty(&report), failed_logs(&report));
    report
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

/// The logs of the failed actions of a report.
fn failed_logs(report: &Value) -> String {
    let mut text = String::new();
    for action in actions(report) {
        if action["status"] != "Succeeded"
            && let Some(log) = action["log"].as_str()
        {
            text.push_str(&format!("--- {}\n{}\n", action["name"], std::fs::read_to_string(log).unwrap_or_default()));
        }
    }
    text
}

fn actions(report: &Value) -> Vec<&Value> {
    report["stages"].as_array().into_iter().flatten().flat_map(|s| s["actions"].as_array().unwrap()).collect()
}

/// The summary line `tenancy apply` printed in an action's build log.
fn apply_summary(action: &Value) -> String {
    let log = std::fs::read_to_string(action["log"].as_str().unwrap()).unwrap();
    log.lines().find(|l| l.contains(" applied, ") && l.contains(" unchanged, ")).unwrap_or_default().to_owned()
}

#[test]
#[ignore = "needs moto and the AWS CLI in .venv/moto and unshare: scripts/test runs this"]
fn the_generated_pipeline_deploys_the_reference_platform_and_a_second_run_changes_nothing() {
    let api = MockApiServer::start_eks();
    let moto = Moto::start("rehearsal", Some(&api.url), &bin());
    let root = checkout(&moto.work);
    let generated = root.join("generated");
    let generated = generated.to_str().unwrap();

    // The first deploy, from a workstation: bootstrap, the source bundle, the platform stacks.
    for args in [
        vec!["bootstrap", "--generated", generated, "--poll-seconds", "0.05"],
        vec!["source", "push", "--generated", generated],
        vec!["apply", "--select", "through:baseline/delivery", "--generated", generated, "--poll-seconds", "0.05"],
    ] {
        let out = tenancy(&bin(), &moto, &root, &args, &[]);
        assert!(out.status.success(), "tenancy {args:?}: {}\n{}", describe_output(&out), moto.build_logs());
    }

    // The pipeline, as the delivery stack defines it.
    let first = run_pipeline(&moto, &root, "1");
    let stages: Vec<&str> = first["stages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(stages.first(), Some(&"Source"));
    assert_eq!(stages.last(), Some(&"Tenants"));
    let shards: Vec<&Value> =
        actions(&first).into_iter().filter(|a| a["name"].as_str().unwrap().starts_with("shard-")).collect();
    assert_eq!(shards.len(), 8);
    // The eight shards ran at once: every shard started before the first one ended.
    let first_end = shards.iter().map(|a| a["ended"].as_f64().unwrap()).fold(f64::MAX, f64::min);
    for shard in &shards {
        assert!(shard["started"].as_f64().unwrap() < first_end, "shards ran one after another: {}", pretty(&first));
    }
    // And they applied at once: the actions overlapping says nothing if each build sat waiting
    // for a lock another shard held. Disjoint shards share the platform and never wait.
    let logs = moto.build_logs();
    assert!(!logs.contains("waiting for the lock"), "a build waited for another's lock:\n{logs}");

    // What the pipeline built: every step journaled as applied in DynamoDB, every tenant's
    // bundle in the cluster with the images the images build pushed, nothing refused.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let journal = runtime.block_on(async {
        let config = moto.sdk_config("eu-west-1").await;
        let scan = aws_sdk_dynamodb::Client::new(&config).scan().table_name("saas-deploy-state").send().await.unwrap();
        scan.items()
            .iter()
            .filter_map(|i| {
                let key = i.get("Key")?.as_s().ok()?.strip_prefix("step#")?.to_owned();
                let record: Value = serde_json::from_str(i.get("Record")?.as_s().ok()?).ok()?;
                Some((key, record["status"].as_str()?.to_owned()))
            })
            .collect::<BTreeMap<String, String>>()
    });
    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("generated/plan.json")).unwrap()).unwrap();
    for step in plan["steps"].as_array().unwrap() {
        let id = step["id"].as_str().unwrap();
        assert_eq!(journal.get(id).map(String::as_str), Some("applied"), "{id} in the journal: {journal:?}");
    }
    assert!(api.refused.lock().unwrap().is_empty(), "refused: {:?}", api.refused.lock().unwrap());
    let objects = api.objects.lock().unwrap().clone();
    for tenant in ["acme", "globex", "initech", "umbrella"] {
        let deployment = &objects[&format!("/apis/apps/v1/namespaces/tenant-{tenant}/deployments/product")];
        let image = deployment["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap();
        assert!(image.contains("/saas/product@sha256:") && !image.contains("${"), "{tenant}: {image}");
    }
    // The control plane, from its own step: each service runs the image the images build
    // pushed, and every binding in its environment was resolved from the baseline's outputs.
    for service in ["registration", "tenant-management", "user-management"] {
        let deployment = &objects[&format!("/apis/apps/v1/namespaces/control-plane/deployments/{service}")];
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        let image = container["image"].as_str().unwrap();
        assert!(image.contains(&format!("/saas/{service}@sha256:")) && !image.contains("${"), "{service}: {image}");
        for var in container["env"].as_array().unwrap() {
            assert!(!var["value"].as_str().unwrap().contains("${"), "{service}: {var}");
            if var["name"] == "ADMIN_ISSUER" {
                let issuer = var["value"].as_str().unwrap();
                assert!(issuer.starts_with("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_"), "{issuer}");
            }
        }
    }
    // Each site's build published its app: the page and its configuration revalidated at every
    // load, the hashed assets cached for a year, the admin console's sign-in settings resolved
    // from the baseline's outputs, and its distribution's page invalidated.
    for site in ["admin", "app", "landing"] {
        site_published(&moto, site);
    }
    // The baseline objects the add-ons build applied through kubectl with an EKS token.
    assert!(objects.contains_key("/api/v1/namespaces/ingress-nginx"), "{:?}", objects.keys().collect::<Vec<_>>());
    // Every stand-in call succeeded, and eksctl was given the operator's access entry.
    let refusals: Vec<Value> = moto.calls().into_iter().filter(|c| c["ok"] == false).collect();
    assert!(refusals.is_empty(), "a stand-in refused: {refusals:?}");
    let cluster = std::fs::read_to_string(moto.state.join("eksctl/saas.json")).expect("eksctl created the cluster");
    assert!(cluster.contains("arn:aws:iam::123456789012:role/saas-platform-admin"), "{cluster}");

    // A second run changes nothing: every apply action applies nothing and no build starts
    // again. The images step runs at every apply, but on the same source version it finds its
    // own build of the first run (TENANCY_STEP) and takes that build's digests.
    let builds_before = moto.builds().len();
    let second = run_pipeline(&moto, &root, "2");
    for action in actions(&second).into_iter().filter(|a| {
        let name = a["name"].as_str().unwrap();
        name.starts_with("step-") || name.starts_with("shard-")
    }) {
        let summary = apply_summary(action);
        assert!(summary.starts_with("0 applied,") && summary.contains(" 0 failed"), "{}: {summary}", action["name"]);
    }
    let started: Vec<Value> = moto.builds()[builds_before..].to_vec();
    let by_tenancy: Vec<&str> = started
        .iter()
        .filter_map(|b| b["project"].as_str())
        .filter(|p| {
            ["saas-cluster", "saas-addons", "saas-images", "saas-site-admin", "saas-site-app", "saas-site-landing"]
                .contains(p)
        })
        .collect();
    assert_eq!(by_tenancy, Vec::<&str>::new(), "no build of the plan starts again");
    let pushes = moto.calls().into_iter().filter(|c| c["tool"] == "docker" && c["args"][0] == "push").count();
    // The blueprint's two services and the control plane's three.
    let images = tenancy::compile::images::images(&crate::common::reference());
    assert_eq!(images.len(), 5, "{images:?}");
    assert_eq!(pushes, images.len(), "one push per image, in the first run only");

    onboarding_build(&moto, &root, &api);
}

/// A sign-up onboarded by the generated onboarding project, on moto's CodeBuild: the build the
/// registration service starts (`CodeBuildJobs`, the registration's environment, its
/// idempotency token) downloads the source bundle, reads `saas/onboarding-git` (the remote: a
/// bare clone of this checkout), installs the `tenancy` the check stage built for this plan,
/// gets the cluster's kubeconfig, and runs the job: a commit of exactly the tenant, pushed, and
/// the tenant applied; the registry's record ends `active`.
fn onboarding_build(moto: &Moto, root: &Path, api: &MockApiServer) {
    // The platform repository: this checkout's commit as `main` of a bare repository.
    let remote = moto.work.join("platform.git");
    for args in [
        vec!["init".to_owned(), "--quiet".to_owned(), "--bare".to_owned(), remote.to_string_lossy().into_owned()],
        vec![
            "-C".to_owned(),
            root.to_string_lossy().into_owned(),
            "push".to_owned(),
            "--quiet".to_owned(),
            remote.to_string_lossy().into_owned(),
            "HEAD:refs/heads/main".to_owned(),
        ],
    ] {
        let out = Command::new("git").args(&args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", describe_output(&out));
    }
    let secret = serde_json::json!({"remote": remote.to_string_lossy(), "token": "not-needed-for-a-path"});
    let mut aws = Command::new(crate::emulator::python().parent().unwrap().join("aws"));
    aws.args(["secretsmanager", "create-secret", "--name", "saas/onboarding-git", "--region", "eu-west-1"])
        .args(["--secret-string", &secret.to_string()])
        .envs(moto.env());
    let created = aws.output().unwrap();
    assert!(created.status.success(), "{}", describe_output(&created));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (build, record) = runtime.block_on(async {
        let config = moto.sdk_config("eu-west-1").await;
        let registry =
            tenancy_registry::DynamoRegistry::new(aws_sdk_dynamodb::Client::new(&config), "saas-registry".into());
        let registration = tenancy_registry::Registration {
            tenant_id: "hooli".into(),
            name: "Hooli".into(),
            email: "ops@hooli.example".into(),
            tier: "standard".into(),
        };
        let caller = tenancy_registry::Caller::now("registration", "req-signup");
        use tenancy_registry::{Jobs, Registry};
        registry.register(&registration, None, &caller).await.unwrap();
        let codebuild = aws_sdk_codebuild::Client::new(&config);
        let jobs = tenancy_registry::CodeBuildJobs::new(codebuild.clone(), "saas-onboarding".into());
        let id = jobs.start(&tenancy_registry::Job::Onboard(registration), 1).await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
        let build = loop {
            let out = codebuild.batch_get_builds().ids(&id).send().await.unwrap();
            let build = out.builds()[0].clone();
            if build.build_complete() || std::time::Instant::now() > deadline {
                break build;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        };
        (build, registry.record("hooli").await.unwrap().unwrap())
    });
    let status = build.build_status().map(|s| s.as_str().to_owned()).unwrap_or_default();
    assert_eq!(status, "SUCCEEDED", "the onboarding build:\n{}", moto.build_logs());
    assert_eq!(record.state, tenancy::contract::lifecycle::State::Active, "{record:?}");
    let log = Command::new("git").arg("-C").arg(&remote).args(["log", "--format=%s", "-2", "main"]).output().unwrap();
    let log = String::from_utf8_lossy(&log.stdout).into_owned();
    assert!(log.starts_with("onboard tenant hooli\n"), "{log}");
    let changed =
        Command::new("git").arg("-C").arg(&remote).args(["diff", "--name-only", "main~1", "main"]).output().unwrap();
    let changed = String::from_utf8_lossy(&changed.stdout).into_owned();
    for path in changed.lines() {
        assert!(
            path == "blueprints/tenants/hooli.yaml"
                || path.starts_with("generated/tenants/hooli/")
                || path.starts_with("generated/plan."),
            "the onboarding commit touched {path}"
        );
    }
    assert!(changed.contains("blueprints/tenants/hooli.yaml"), "{changed}");
    let objects = api.objects.lock().unwrap().clone();
    assert!(objects.contains_key("/api/v1/namespaces/tenant-hooli"), "the job applied hooli's bundle");
}
