//! The order Deployments and the product Deployments agree on the product table: the name the
//! order service derives from its own environment is the one the product service is given, for
//! every generated tenant, and the tenant role grants GetItem on it.

use std::path::Path;

use serde_yaml::Value;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().and_then(Path::parent).unwrap()
}

fn env_of(deployment: &Value, name: &str) -> String {
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"].as_sequence().unwrap();
    env.iter().find(|e| e["name"] == name).and_then(|e| e["value"].as_str()).unwrap().to_owned()
}

#[test]
fn the_order_service_derives_the_product_table_the_product_service_is_given() {
    let mut checked = 0;
    for tenant in std::fs::read_dir(workspace().join("generated/tenants")).unwrap() {
        let dir = tenant.unwrap().path();
        let bundle = std::fs::read_to_string(dir.join("k8s.yaml")).unwrap();
        let deployments: Vec<Value> = bundle
            .split("\n---\n")
            .filter_map(|d| serde_yaml::from_str::<Value>(d).ok())
            .filter(|d| d["kind"] == "Deployment")
            .collect();
        let named = |name: &str| deployments.iter().find(|d| d["metadata"]["name"] == name).unwrap();
        let (order, product) = (named("order"), named("product"));
        let derived = order::product_table(None, &env_of(order, "TABLE_NAME"), &env_of(order, "TENANT_ID")).unwrap();
        assert_eq!(derived, env_of(product, "TABLE_NAME"), "{}", dir.display());
        // Both run as the same ServiceAccount, hence the same tenant role.
        let account = |d: &Value| d["spec"]["template"]["spec"]["serviceAccountName"].as_str().unwrap().to_owned();
        assert_eq!(account(order), account(product), "{}", dir.display());
        // That role lets the tenant GetItem on the product table (on its own partition; the
        // full condition is evaluated by tests/permissions.rs for the product service's calls).
        let stack: Value = serde_yaml::from_str(&std::fs::read_to_string(dir.join("stack.cfn.yaml")).unwrap()).unwrap();
        let statements = stack["Resources"]["ServiceRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap();
        let table = format!(":table/{derived}");
        let grants = statements.iter().any(|s| {
            s["Effect"] == "Allow"
                && s["Resource"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .any(|r| r["Fn::Sub"].as_str().is_some_and(|r| r.ends_with(&table)))
                && order::store::PRODUCT_IAM_ACTIONS
                    .iter()
                    .all(|a| s["Action"].as_sequence().unwrap().iter().any(|x| x.as_str() == Some(a)))
                && !s["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"].is_null()
        });
        assert!(grants, "{}: the tenant role does not grant the order service's product reads", dir.display());
        checked += 1;
    }
    assert_eq!(checked, 4, "the four generated tenants");
}

#[test]
fn the_product_table_is_derived_only_from_a_silo_table_name_of_the_tenant() {
    for (explicit, order_table, tenant, expect) in [
        (None, "saas-order-acme", "acme", Ok("saas-product")),
        (None, "my-platform-order-acme", "acme", Ok("my-platform-product")),
        (Some("custom-products"), "whatever", "acme", Ok("custom-products")),
        (Some(""), "saas-order-acme", "acme", Ok("saas-product")),
        (None, "saas-order-globex", "acme", Err("PRODUCT_TABLE_NAME")),
        (None, "-order-acme", "acme", Err("PRODUCT_TABLE_NAME")),
    ] {
        let got = order::product_table(explicit, order_table, tenant);
        match expect {
            Ok(table) => assert_eq!(got.as_deref(), Ok(table), "{order_table}"),
            Err(says) => assert!(got.is_err_and(|e| e.contains(says)), "{order_table}"),
        }
    }
}

/// A pooled Deployment's environment that does not fit is refused at start: exit 2, naming the
/// variable (before any AWS call: AWS_ENDPOINT_URL is a closed port).
#[test]
fn a_pooled_environment_that_does_not_fit_exits_2_naming_the_variable() {
    let pooled = |table: &str, storage: &str| {
        vec![
            ("AWS_REGION", "eu-west-1".to_owned()),
            ("PORT", "8080".to_owned()),
            ("POOL_TIER", "basic".to_owned()),
            ("STORAGE_MODEL", storage.to_owned()),
            ("TABLE_NAME", table.to_owned()),
            ("TENANT_TABLE_NAME", "saas-tenant".to_owned()),
            ("PRODUCT_TABLE_NAME", "saas-product".to_owned()),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_owned()),
        ]
    };
    let mut with_tenant = pooled("saas-order-{tenant}", "silo");
    with_tenant.push(("TENANT_ID", "acme".to_owned()));
    for (binary, env, names) in [
        (env!("CARGO_BIN_EXE_order"), pooled("saas-order", "silo"), "TABLE_NAME"),
        (env!("CARGO_BIN_EXE_order"), pooled("saas-order-{tenant}", "pool"), "TABLE_NAME"),
        (env!("CARGO_BIN_EXE_order"), with_tenant, "TENANT_ID"),
        (env!("CARGO_BIN_EXE_order"), pooled("saas-order-{tenant}", "stripes"), "STORAGE_MODEL"),
    ] {
        let output =
            std::process::Command::new(binary).env_clear().envs(env.iter().map(|(k, v)| (k, v))).output().unwrap();
        let log = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(2), "{env:?}: {log}");
        assert!(log.contains(names), "{env:?}: {log}");
    }
}

/// The pool Deployment a pooled tier generates (tests/fixtures/good/pooled.yaml: `basic` pools
/// orders, `bridge` keeps a table per tenant) runs this binary: exactly the environment the
/// pool bundle gives its container starts it, in each tier's layout, and its image is this one.
#[tokio::test]
async fn the_generated_pool_deployments_start_this_binary() {
    let fixture = workspace().join("tests/fixtures/good/pooled.yaml");
    let platform = tenancy::blueprint::load_file(&fixture).expect("the pooled fixture loads");
    let artifacts = tenancy::compile::compile(&platform).expect("it compiles");
    let bundles: Vec<(String, String)> = ["basic", "bridge"]
        .iter()
        .map(|tier| {
            let path = format!("pools/{tier}/k8s.yaml");
            let bundle = artifacts.files.iter().find(|a| a.path == path).unwrap_or_else(|| panic!("no {path}"));
            ((*tier).to_owned(), bundle.contents.clone())
        })
        .collect();
    let scratch = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pool-deployments-order");
    let started = tenant_context::testing::deployment::pool_deployments_start(
        "order",
        env!("CARGO_BIN_EXE_order"),
        &bundles,
        &scratch,
    )
    .await;
    assert_eq!(started, 2);
}
