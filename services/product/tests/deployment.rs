//! The generated Deployments and the services agree: the environment they set is what the
//! services read, the port is the one they listen on, the UID is the one the images run as.

use std::collections::BTreeSet;
use std::path::Path;

use serde_yaml::Value;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().and_then(Path::parent).unwrap()
}

#[test]
fn generated_deployments_set_what_the_services_read() {
    let bundle = std::fs::read_to_string(workspace().join("generated/tenants/acme/k8s.yaml")).unwrap();
    let mut checked = 0;
    for document in bundle.split("\n---\n") {
        let Ok(value) = serde_yaml::from_str::<Value>(document) else { continue };
        if value["kind"] != "Deployment" {
            continue;
        }
        let name = value["metadata"]["name"].as_str().unwrap().to_owned();
        let container = &value["spec"]["template"]["spec"]["containers"][0];
        let env: BTreeSet<&str> =
            container["env"].as_sequence().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
        let read: BTreeSet<&str> = tenant_context::config::ENVIRONMENT.into_iter().collect();
        assert_eq!(env, read, "{name}: the Deployment's env and what the service reads differ");
        let port = container["ports"][0]["containerPort"].as_u64().unwrap();
        let port_env = container["env"].as_sequence().unwrap().iter().find(|e| e["name"] == "PORT").unwrap();
        assert_eq!(port_env["value"].as_str().unwrap(), port.to_string(), "{name}");
        let uid = container["securityContext"]["runAsUser"].as_u64().unwrap();
        let dockerfile = std::fs::read_to_string(workspace().join(format!("services/{name}/Dockerfile"))).unwrap();
        assert!(dockerfile.contains(&format!("USER {uid}:{uid}")), "{name}: the image does not run as {uid}");
        assert!(dockerfile.contains(&format!("EXPOSE {port}")), "{name}: the image does not expose {port}");
        checked += 1;
    }
    assert_eq!(checked, 2, "product and order");
}

/// Products have one layout: a pooled product Deployment with a per-tenant pattern, or with
/// STORAGE_MODEL silo, is refused at start (exit 2, naming the variable).
#[test]
fn a_pooled_product_environment_that_does_not_fit_exits_2_naming_the_variable() {
    for (storage, table, names) in
        [("pool", "saas-product-{tenant}", "TABLE_NAME"), ("silo", "saas-product-{tenant}", "STORAGE_MODEL")]
    {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_product"))
            .env_clear()
            .envs([
                ("AWS_REGION", "eu-west-1"),
                ("PORT", "8080"),
                ("POOL_TIER", "basic"),
                ("STORAGE_MODEL", storage),
                ("TABLE_NAME", table),
                ("TENANT_TABLE_NAME", "saas-tenant"),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(2), "{storage} {table}: {log}");
        assert!(log.contains(names), "{storage} {table}: {log}");
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
    let scratch = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pool-deployments-product");
    let started = tenant_context::testing::deployment::pool_deployments_start(
        "product",
        env!("CARGO_BIN_EXE_product"),
        &bundles,
        &scratch,
    )
    .await;
    assert_eq!(started, 2);
}
