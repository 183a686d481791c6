//! Synthesis as a whole: deterministic, independent of tenant order, tenant-local, atomic, and
//! honest in its exit codes. Runs the real binary where the CLI is the subject.

use std::process::Command;

use crate::common::*;
use tenancy::model::{DisplayName, EmailAddress, Tenant, TenantId, TierName};

fn tenancy() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenancy"));
    cmd.current_dir(root());
    cmd
}

#[test]
fn compilation_is_deterministic() {
    assert_eq!(files(&reference()), files(&reference()));
}

#[test]
fn tenant_order_in_the_blueprint_does_not_matter() {
    let mut doc: serde_yaml::Value = serde_yaml::from_str(&reference_text()).unwrap();
    let tenants = doc.get_mut("tenants").unwrap().as_sequence_mut().unwrap();
    assert!(tenants.len() >= 4);
    tenants.reverse();
    tenants.swap(0, 2);
    let reordered = load("reordered.yaml", &serde_yaml::to_string(&doc).unwrap());
    assert_eq!(files(&reference()), files(&reordered));
}

#[test]
fn adding_a_tenant_changes_no_other_file() {
    let before = files(&reference());
    let platform = reference()
        .to_builder()
        .tenant(Tenant::new(
            TenantId::parse("aardvark").unwrap(),
            DisplayName::parse("Aardvark").unwrap(),
            TierName::parse("premium").unwrap(),
            EmailAddress::parse("root@aardvark.example").unwrap(),
        ))
        .build()
        .unwrap();
    let after = files(&platform);
    let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert_eq!(added, vec!["tenants/aardvark/k8s.yaml", "tenants/aardvark/stack.cfn.yaml"]);
    for (path, contents) in &before {
        assert_eq!(after.get(path), Some(contents), "{path} changed when a tenant was added");
    }
    // And removing it again gives back exactly the files before.
    assert_eq!(
        files(
            &platform
                .to_builder()
                .without_tenant(&tenancy::model::TenantId::parse("aardvark").unwrap())
                .build()
                .unwrap()
        ),
        before
    );
}

#[test]
fn synth_twice_writes_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let status = tenancy().args(["synth", "--out"]).arg(out).status().unwrap();
        assert!(status.success());
    }
    assert_eq!(tree(&a), tree(&b));
    assert!(tree(&a).len() >= 8);
}

#[test]
fn the_committed_generated_tree_is_current() {
    let committed = tree(&root().join("generated"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    assert!(tenancy().args(["synth", "--out"]).arg(&out).status().unwrap().success());
    assert_eq!(committed.keys().collect::<Vec<_>>(), tree(&out).keys().collect::<Vec<_>>());
    assert!(committed == tree(&out), "generated/ is stale: run `cargo run -p tenancy-cli -- synth` and commit");
}

#[test]
fn a_bad_blueprint_exits_2_and_leaves_the_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    assert!(tenancy().args(["synth", "--out"]).arg(&out).status().unwrap().success());
    let before = tree(&out);

    let output = tenancy()
        .args(["synth", "--blueprint", "tests/fixtures/bad/tenants.yaml", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("tests/fixtures/bad/tenants.yaml:45:11"), "{stderr}");
    assert!(stderr.contains("10 problem(s)"), "{stderr}");
    assert_eq!(tree(&out), before, "a failed synth changed the output");
    let mut siblings: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    siblings.sort();
    // `.tenancy/` holds the first synth's cache (`synth::cache_location`).
    assert_eq!(siblings, vec![".tenancy", "generated"], "a failed synth left files behind");

    // A blueprint that does not exist is also bad input.
    let output = tenancy().args(["synth", "--blueprint", "no/such.yaml", "--out"]).arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr).unwrap().contains("no/such.yaml"));
    assert_eq!(tree(&out), before);
}

#[test]
fn check_lists_missing_extra_and_differing_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    assert!(tenancy().args(["synth", "--out"]).arg(&out).status().unwrap().success());
    let clean = tenancy().args(["check", "--out"]).arg(&out).output().unwrap();
    assert_eq!(clean.status.code(), Some(0), "{}", String::from_utf8_lossy(&clean.stderr));

    std::fs::remove_file(out.join("tenants/acme/stack.cfn.yaml")).unwrap();
    std::fs::write(out.join("tenants/globex/stack.cfn.yaml"), "edited by hand\n").unwrap();
    std::fs::write(out.join("stray.yaml"), "").unwrap();
    let stale = tenancy().args(["check", "--out"]).arg(&out).output().unwrap();
    assert_eq!(stale.status.code(), Some(1));
    let stdout = String::from_utf8(stale.stdout).unwrap();
    for line in [
        "missing: ",
        "tenants/acme/stack.cfn.yaml",
        "extra: ",
        "stray.yaml",
        "differs: ",
        "tenants/globex/stack.cfn.yaml",
    ] {
        assert!(stdout.contains(line), "{line:?} not in {stdout}");
    }
    assert!(!stdout.contains("initech"), "{stdout}");
}

/// `check` takes no stack quota: only synth's warning reads it, and a check that accepted it
/// would ignore it silently.
#[test]
fn check_refuses_an_option_it_would_ignore() {
    let output = tenancy().args(["check", "--stack-quota", "5"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("unexpected argument '--stack-quota'"), "{stderr}");
}

#[test]
fn synth_refuses_to_replace_a_directory_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let output = tenancy().args(["synth", "--out"]).arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8(output.stderr).unwrap().contains("refusing to replace it"));
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "mine");
}

#[test]
fn the_built_in_reference_is_used_outside_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tenancy")).current_dir(dir.path()).arg("synth").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8(output.stderr).unwrap().contains("built into tenancy"));
    assert_eq!(tree(&dir.path().join("generated")), tree(&root().join("generated")));
}

#[test]
fn the_schema_command_prints_the_committed_schema() {
    let output = tenancy().arg("schema").output().unwrap();
    assert!(output.status.success());
    let committed = std::fs::read_to_string(root().join("blueprints/schema.json")).unwrap();
    assert!(
        String::from_utf8(output.stdout).unwrap() == committed,
        "blueprints/schema.json is stale: run `cargo run -p tenancy-cli -- schema > blueprints/schema.json`"
    );
}
