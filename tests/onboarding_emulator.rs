//! End to end, the control plane's onboarding: a sign-up over HTTP through the registration
//! service, recorded in the registry table the baseline stack made on moto; the onboarding job
//! run as the onboarding build runs it (the environment the registration service starts it
//! with), committing to a local bare repository and applying that tenant alone through the real
//! SDK against moto and a mock Kubernetes API server; then offboarding the same way.
//!
//! The platform in the repository is the reference with its tenants as files, which compiles to
//! the very `generated/` the reference does (checked below), so the job's apply finds the
//! baseline steps the first apply journaled.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use crate::emulator::{MockApiServer, Moto, bootstrap_and_push, checkout, describe_output, tenancy};
use crate::job::{git, seed_remote};
use serde_json::{Value, json};
use tenancy::contract::lifecycle::{Event, State};
use tenancy_registry::{Caller, DynamoRegistry, Registry, transition};

const TENANCY: &str = env!("CARGO_BIN_EXE_tenancy");

fn bin() -> PathBuf {
    PathBuf::from(TENANCY)
}

/// The platform repository: the reference with its tenants as files, which must compile to the
/// reference's own `generated/`.
fn platform_repository(work: &Path, root: &Path) -> PathBuf {
    let remote = seed_remote(work);
    let same =
        Command::new("diff").arg("-r").arg(work.join("seed/generated")).arg(root.join("generated")).output().unwrap();
    assert!(
        same.status.success(),
        "tenants as files compile to the reference's generated/: {}",
        describe_output(&same)
    );
    remote
}

/// Runs `tenancy job <args>` as the onboarding build does: the project's variables, the
/// registration's environment, moto's endpoint, the cluster's kubeconfig.
fn job(moto: &Moto, remote: &Path, kubeconfig: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut full = vec!["job"];
    full.extend_from_slice(args);
    let remote = remote.to_string_lossy().into_owned();
    full.extend(["--remote", &remote, "--blueprint", "blueprints/blueprint.yaml"]);
    full.extend(["--", "--state", "dynamodb:saas-deploy-state", "--poll-seconds", "0.05", "--format", "json"]);
    let mut vars: Vec<(&str, String)> = vec![
        ("KUBECONFIG", kubeconfig.to_string_lossy().into_owned()),
        ("AWS_REGION", "eu-west-1".into()),
        ("REGISTRY_TABLE", "saas-registry".into()),
        ("LIFECYCLE_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:saas-tenant-lifecycle".into()),
        ("CODEBUILD_BUILD_ID", "saas-onboarding:0001".into()),
        ("TENANT_TABLE", "saas-tenant".into()),
    ];
    vars.extend(env.iter().cloned());
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    tenancy(&bin(), moto, Path::new(&remote), &full, &vars)
}

/// A field of hooli's record in the tenant table (what the plan's register step writes).
async fn deployed_record(dynamodb: &aws_sdk_dynamodb::Client, field: &str) -> String {
    crate::emulator::tenant_record(dynamodb, "hooli").await.get(field).cloned().unwrap_or_default()
}

fn trail(entries: &[tenancy_registry::AuditEntry]) -> Vec<String> {
    entries.iter().map(|e| format!("{} {} {}", e.version, e.event, e.to)).collect()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs moto and the AWS CLI in .venv/moto: scripts/test runs this"]
async fn a_sign_up_is_onboarded_by_the_job_and_offboarded_again() {
    let api = MockApiServer::start();
    let moto = Moto::start("onboarding", Some(&api.url), &bin());
    let root = checkout(&moto.work);
    let kubeconfig = moto.work.join("kubeconfig");
    std::fs::write(&kubeconfig, api.kubeconfig()).unwrap();
    bootstrap_and_push(&bin(), &moto, &root);
    let generated = root.join("generated");
    let env: Vec<(&str, &str)> = vec![("KUBECONFIG", kubeconfig.to_str().unwrap())];
    let first = tenancy(
        &bin(),
        &moto,
        &root,
        &["apply", "--format", "json", "--poll-seconds", "0.05", "--generated", generated.to_str().unwrap()],
        &env,
    );
    assert!(first.status.success(), "the platform's first apply: {}\n{}", describe_output(&first), moto.build_logs());
    let remote = platform_repository(&moto.work, &root);
    let seeded = git(&remote, &["rev-parse", "main"]);

    // The registration service, on the registry table and the topic the baseline stack made.
    let config = moto.sdk_config("eu-west-1").await;
    let registry = Arc::new(DynamoRegistry::new(aws_sdk_dynamodb::Client::new(&config), "saas-registry".into()));
    let onboarding = Arc::new(registration::RecordedJobs::default());
    let state = registration::AppState {
        store: registry.clone(),
        events: Arc::new(registration::SnsEvents::new(
            aws_sdk_sns::Client::new(&config),
            "arn:aws:sns:eu-west-1:123456789012:saas-tenant-lifecycle".into(),
        )),
        onboarding: onboarding.clone(),
        tiers: vec!["basic".into(), "standard".into(), "premium".into(), "platinum".into()],
        limiter: registration::RateLimiter::new(60, 10, 100),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, registration::router(Arc::new(state))).await.unwrap() });
    let sign_up = json!({"tenantId": "hooli", "name": "Hooli", "email": "ops@hooli.example", "tier": "standard"});
    let response = reqwest::Client::new().post(format!("{base}/register")).json(&sign_up).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["state"], "requested");
    assert_eq!(*onboarding.started.lock().unwrap(), ["onboard hooli"], "the service started one onboarding build");

    // The build the service started: the job with the registration as its environment.
    let record = registry.record("hooli").await.unwrap().unwrap();
    let build_env = registration::Job::Onboard(record.registration.clone()).environment();
    let out = job(&moto, &remote, &kubeconfig, &["onboard"], &build_env);
    assert!(out.status.success(), "{}\n{}", describe_output(&out), moto.build_logs());

    // The tenant is active, every transition on the trail with the build's id, all published.
    let record = registry.record("hooli").await.unwrap().unwrap();
    assert_eq!(record.state, State::Active);
    let entries = registry.audit("hooli").await.unwrap();
    assert_eq!(trail(&entries), ["1 register requested", "2 provision provisioning", "3 provisioned active"]);
    assert!(
        entries[1..]
            .iter()
            .all(|e| e.caller.request_id == "saas-onboarding:0001" && e.caller.actor == "onboarding-job")
    );
    assert!(entries.iter().all(|e| e.published), "the topic took every event");

    // One commit on the branch: the tenant's file and what synth made of it.
    assert_eq!(git(&remote, &["rev-parse", "main~1"]), seeded);
    let change = git(&remote, &["diff", "--name-status", "main~1", "main"]);
    assert_eq!(
        change.lines().map(|l| l.replace('\t', " ")).collect::<Vec<_>>(),
        [
            "A blueprints/tenants/hooli.yaml",
            "M generated/plan.json",
            "M generated/plan.mmd",
            "A generated/tenants/hooli/k8s.yaml",
            "A generated/tenants/hooli/stack.cfn.yaml",
        ]
    );

    // What the apply made: the tenant's stack, its namespace, its record.
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let stack = cfn.describe_stacks().stack_name("saas-tenant-hooli").send().await.unwrap();
    assert_eq!(stack.stacks()[0].stack_status().unwrap().as_str(), "CREATE_COMPLETE");
    assert!(api.objects.lock().unwrap().contains_key("/api/v1/namespaces/tenant-hooli"));
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    assert_eq!(deployed_record(&dynamodb, "Tier").await, "standard");
    // Where the app sends hooli's users to sign in: the hosted UI of the pool it signs in to.
    let domain = deployed_record(&dynamodb, "SignInDomain").await;
    assert!(domain.starts_with("saas-") && domain.ends_with(".auth.eu-west-1.amazoncognito.com"), "{domain}");
    // hooli (standard: pooled identity) is a group of the shared pool, with its admin user in
    // it and in its admin group, as the stack made them in (moto's) Cognito.
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&config);
    let pool = deployed_record(&dynamodb, "UserPoolId").await;
    let members = |group: &'static str| {
        let (idp, pool) = (idp.clone(), pool.clone());
        async move {
            let out = idp.list_users_in_group().user_pool_id(&pool).group_name(group).send().await;
            out.map(|o| {
                o.users()
                    .iter()
                    .flat_map(|u| u.attributes())
                    .filter(|a| a.name() == "email")
                    .filter_map(|a| a.value().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
        }
    };
    assert_eq!(members("tenant-hooli").await.unwrap(), ["ops@hooli.example"]);
    assert_eq!(members("admins-hooli").await.unwrap(), ["ops@hooli.example"]);
    // A user its admin adds later, as user management makes one.
    let hooli = tenancy::model::TenantId::parse("hooli").unwrap();
    let scope = tenancy_registry::Scope::of_tenant(&hooli, pool.clone(), true);
    let users = tenancy_registry::CognitoUsers::new(idp.clone());
    use tenancy_registry::Users as _;
    users.create(&scope, "later@hooli.example", false).await.unwrap();
    assert_eq!(members("tenant-hooli").await.unwrap().len(), 2);

    // The build again (CodeBuild retried it): nothing to do, nothing written.
    let again = job(&moto, &remote, &kubeconfig, &["onboard"], &build_env);
    assert!(again.status.success(), "{}", describe_output(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("hooli is active already: nothing to do"));
    assert_eq!(registry.audit("hooli").await.unwrap().len(), 3);

    // Suspension and activation: each a commit and an apply of the tenant's Ingress, then the
    // transition.
    let denied = || {
        let objects = api.objects.lock().unwrap();
        let ingresses: Vec<&Value> =
            objects.iter().filter(|(k, _)| k.contains("/namespaces/tenant-hooli/ingresses/")).map(|(_, v)| v).collect();
        assert!(!ingresses.is_empty(), "hooli's ingress is applied");
        ingresses.iter().all(|i| {
            i["metadata"]["annotations"]["nginx.ingress.kubernetes.io/denylist-source-range"] == "0.0.0.0/0,::/0"
        })
    };
    assert!(!denied());
    let tenant_env = [("TENANT_ID", "hooli".to_owned())];
    let out = job(&moto, &remote, &kubeconfig, &["suspend"], &tenant_env);
    assert!(out.status.success(), "{}", describe_output(&out));
    assert_eq!(registry.record("hooli").await.unwrap().unwrap().state, State::Suspended);
    assert!(denied(), "a suspended tenant's ingress answers 403 to everyone");
    let out = job(&moto, &remote, &kubeconfig, &["activate"], &tenant_env);
    assert!(out.status.success(), "{}", describe_output(&out));
    assert_eq!(registry.record("hooli").await.unwrap().unwrap().state, State::Active);
    assert!(!denied(), "activation serves again");
    let entries = registry.audit("hooli").await.unwrap();
    assert_eq!(trail(&entries[3..]), ["4 suspend suspended", "5 activate active"]);

    // Offboarding: a provider admin's `offboard` (tenant management's transition), then the job.
    let admin = Caller { actor: "admin:alice".into(), request_id: "req-offboard".into(), at: 1 };
    transition(registry.as_ref(), "hooli", &Event::Offboard, &admin).await.unwrap();
    let out = job(&moto, &remote, &kubeconfig, &["offboard"], &tenant_env);
    assert!(out.status.success(), "{}\n{}", describe_output(&out), moto.build_logs());
    let record = registry.record("hooli").await.unwrap().unwrap();
    assert_eq!(record.state, State::Removed);
    let entries = registry.audit("hooli").await.unwrap();
    assert_eq!(trail(&entries[5..]), ["6 offboard offboarding", "7 removed removed"]);
    assert_eq!(entries[5].caller.actor, "admin:alice");
    let change = git(&remote, &["diff", "--name-status", "main~1", "main"]);
    assert!(
        change.contains("D\tblueprints/tenants/hooli.yaml")
            && change.contains("D\tgenerated/tenants/hooli/stack.cfn.yaml")
    );
    let gone = cfn.describe_stacks().stack_name("saas-tenant-hooli").send().await;
    let status =
        gone.ok().and_then(|d| d.stacks().first().and_then(|s| s.stack_status()).map(|s| s.as_str().to_owned()));
    assert!(status.is_none() || status.as_deref() == Some("DELETE_COMPLETE"), "{status:?}");
    assert!(!api.objects.lock().unwrap().contains_key("/api/v1/namespaces/tenant-hooli"), "the namespace went");
    assert_eq!(deployed_record(&dynamodb, "Status").await, "deleted");
    // No user of hooli is left in the shared pool: the job purged the one added later, the stack
    // deleted its own admin user and groups.
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("purged 1 user(s) from the shared pool"),
        "{}",
        describe_output(&out)
    );
    let left = idp.list_users().user_pool_id(&pool).send().await.unwrap();
    let hooli: Vec<_> = left
        .users()
        .iter()
        .filter(|u| u.attributes().iter().any(|a| a.name() == "custom:tenant-id" && a.value() == Some("hooli")))
        .collect();
    assert!(hooli.is_empty(), "users of hooli left in the shared pool: {hooli:?}");
    assert!(members("tenant-hooli").await.is_err(), "its group is gone");
}
