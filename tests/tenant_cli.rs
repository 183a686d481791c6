//! `tenancy tenant add|set-tier|remove` on a blueprint that keeps its tenants as files: each
//! edit is validated whole before it is written, touches only its tenant's file, and a refused
//! edit writes nothing.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{split_reference, tree};

fn tenancy(blueprint: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tenancy"))
        .arg("tenant")
        .args(args)
        .arg("--blueprint")
        .arg(blueprint)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn add_writes_one_file_that_synth_then_compiles() {
    let dir = tempfile::tempdir().unwrap();
    let blueprint = split_reference(dir.path());
    let before = tree(dir.path());
    let out = tenancy(
        &blueprint,
        &["add", "hooli", "--name", "Hooli", "--tier", "standard", "--admin-email", "ops@hooli.example"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = tree(dir.path());
    let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert_eq!(added, ["tenants/hooli.yaml"], "only the tenant's file is new");
    assert!(before.iter().all(|(k, v)| after[k] == *v), "no other byte changes");
    let text = std::fs::read_to_string(dir.path().join("tenants/hooli.yaml")).unwrap();
    assert!(
        text.contains("id: hooli\n")
            && text.contains("tier: standard\n")
            && text.contains("adminEmail: ops@hooli.example\n"),
        "{text}"
    );
    let platform = tenancy::blueprint::load_file(&blueprint).unwrap();
    assert!(platform.tenants().iter().any(|t| t.id.as_str() == "hooli"));
}

#[test]
fn a_refused_edit_names_the_file_and_the_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blueprint = split_reference(dir.path());
    let before = tree(dir.path());
    let out = tenancy(
        &blueprint,
        &["add", "hooli", "--name", "Hooli", "--tier", "gold", "--admin-email", "ops@hooli.example"],
    );
    assert_eq!(out.status.code(), Some(2));
    let shown = stderr(&out);
    assert!(shown.contains("tenant `hooli` names tier `gold`, which is not defined"), "{shown}");
    assert!(shown.contains("tenants/hooli.yaml:3:7 (tier)") && shown.ends_with("nothing was written\n"), "{shown}");
    let out =
        tenancy(&blueprint, &["add", "acme", "--name", "Acme", "--tier", "basic", "--admin-email", "a@acme.example"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tenant `acme` exists"), "{}", stderr(&out));
    let out = tenancy(&blueprint, &["set-tier", "acme", "gold"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = tenancy(&blueprint, &["remove", "nobody"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(tree(dir.path()), before, "nothing was written");
}

#[test]
fn set_tier_changes_the_tier_and_keeps_comments_and_remove_deletes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let blueprint = split_reference(dir.path());
    let globex = dir.path().join("tenants/globex.yaml");
    let commented =
        std::fs::read_to_string(&globex).unwrap().replace("tier: premium\n", "tier: premium # since 2025\n");
    std::fs::write(&globex, format!("# Globex, signed up by the sales team\n{commented}")).unwrap();
    let out = tenancy(&blueprint, &["set-tier", "globex", "platinum"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let edited = std::fs::read_to_string(&globex).unwrap();
    assert_eq!(
        edited,
        format!("# Globex, signed up by the sales team\n{}", commented.replace("tier: premium", "tier: platinum"))
    );
    // premium and platinum keep the same tables and a pool each: nothing is left behind.
    assert!(!stderr(&out).contains("note:"), "{}", stderr(&out));
    // umbrella (basic) signs in to the shared pool; premium gives it a pool of its own, and
    // set-tier says its users stay behind (its tables are the same in both tiers).
    let out = tenancy(&blueprint, &["set-tier", "umbrella", "premium"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let notes: Vec<String> = stderr(&out).lines().filter(|l| l.starts_with("note: ")).map(str::to_owned).collect();
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(
        notes[0].contains("users are in user pool saas-tenants") && notes[0].contains("saas-tenant-umbrella"),
        "{}",
        notes[0]
    );
    let out = tenancy(&blueprint, &["remove", "globex"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!globex.exists());
    let platform = tenancy::blueprint::load_file(&blueprint).unwrap();
    assert_eq!(platform.tenants().len(), 3);
}

#[test]
fn a_blueprint_that_lists_its_tenants_is_not_edited() {
    let dir = tempfile::tempdir().unwrap();
    let blueprint = dir.path().join("blueprint.yaml");
    std::fs::write(&blueprint, crate::common::reference_text()).unwrap();
    let out = tenancy(&blueprint, &["remove", "acme"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("lists its tenants inline"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&blueprint).unwrap(), crate::common::reference_text());
}

/// The annotations of the tenant's Ingress, as compiled from `blueprint`.
fn ingress_annotations(blueprint: &Path, tenant: &str) -> std::collections::BTreeMap<String, String> {
    let platform = tenancy::blueprint::load_file(blueprint).unwrap();
    let files = crate::common::files(&platform);
    let bundle = &files[&format!("tenants/{tenant}/k8s.yaml")];
    let [ingress] = crate::common::objects::<k8s_openapi::api::networking::v1::Ingress>(bundle, "Ingress")
        .try_into()
        .expect("one Ingress per tenant");
    ingress.metadata.annotations.unwrap_or_default()
}

#[test]
fn suspend_denies_every_client_at_the_ingress_and_activate_restores_the_file_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let blueprint = split_reference(dir.path());
    let globex = dir.path().join("tenants/globex.yaml");
    let original = format!("# Globex, kept by hand\n{}", std::fs::read_to_string(&globex).unwrap());
    std::fs::write(&globex, &original).unwrap();
    let before = tree(dir.path());
    let deny = "nginx.ingress.kubernetes.io/denylist-source-range";
    assert!(!ingress_annotations(&blueprint, "globex").contains_key(deny));

    let out = tenancy(&blueprint, &["suspend", "globex"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&globex).unwrap(), format!("{original}suspended: true\n"));
    let after = tree(dir.path());
    let changed: Vec<&String> = after.keys().filter(|k| before.get(*k) != after.get(*k)).collect();
    assert_eq!(changed, ["tenants/globex.yaml"], "only the tenant's file changes");
    assert_eq!(ingress_annotations(&blueprint, "globex")[deny], "0.0.0.0/0,::/0", "every IPv4 and IPv6 client");
    assert!(!ingress_annotations(&blueprint, "acme").contains_key(deny), "other tenants are served");

    // Asking again is a no-op that succeeds: the job may rerun it after a crash.
    let out = tenancy(&blueprint, &["suspend", "globex"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("tenant `globex` is suspended; nothing to change"), "{}", stderr(&out));

    let out = tenancy(&blueprint, &["activate", "globex"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(tree(dir.path()), before, "activation puts back every byte");
    assert!(!ingress_annotations(&blueprint, "globex").contains_key(deny));
    let out = tenancy(&blueprint, &["activate", "globex"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("tenant `globex` is served; nothing to change"), "{}", stderr(&out));
    let out = tenancy(&blueprint, &["suspend", "nobody"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no tenant `nobody`"), "{}", stderr(&out));
}

#[test]
fn adding_the_same_tenant_again_succeeds_without_writing_and_a_different_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let blueprint = split_reference(dir.path());
    let add = ["add", "hooli", "--name", "Hooli", "--tier", "standard", "--admin-email", "ops@hooli.example"];
    assert_eq!(tenancy(&blueprint, &add).status.code(), Some(0));
    let before = tree(dir.path());
    let out = tenancy(&blueprint, &add);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("exists as asked"), "{}", stderr(&out));
    let mut other = add;
    other[5] = "premium";
    let out = tenancy(&blueprint, &other);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tenant `hooli` exists with other settings"), "{}", stderr(&out));
    assert_eq!(tree(dir.path()), before);
}
