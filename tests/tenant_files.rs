//! Blueprints that keep their tenants as files, one per tenant: the loader reads the directory,
//! validates each file as an item of the list, and reports a problem in the tenant's own file.

use std::path::Path;

use tenancy::blueprint::{self, BlueprintError};

use crate::common::{files, reference, split_reference};

fn problems(path: &Path) -> String {
    match blueprint::load_file(path) {
        Err(BlueprintError::Invalid(d)) => d.to_string(),
        other => panic!("expected diagnostics, got {other:?}"),
    }
}

#[test]
fn a_tenants_directory_compiles_to_the_same_bytes_as_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let blueprint = split_reference(dir.path());
    assert_eq!(std::fs::read_dir(dir.path().join("tenants")).unwrap().count(), 4);
    std::fs::write(dir.path().join("tenants/.gitkeep"), "").unwrap();
    let platform = blueprint::load_file(&blueprint).unwrap();
    assert_eq!(files(&platform), files(&reference()));
}

#[test]
fn a_problem_in_a_tenant_file_is_reported_in_that_file_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let blueprint = split_reference(dir.path());
    let globex = dir.path().join("tenants/globex.yaml");
    std::fs::write(&globex, "id: globex\nname: Globex\ntier: gold\nadminEmail: it@globex.example\n").unwrap();
    let text = problems(&blueprint);
    assert!(text.contains("error: tenant `globex` names tier `gold`, which is not defined"), "{text}");
    assert!(text.contains(&format!("  --> {}:3:7 (tier)", globex.display())), "{text}");
    assert!(text.ends_with(&format!("1 problem(s) in {}", globex.display())), "{text}");
}

#[test]
fn a_file_whose_name_is_not_its_id_and_a_stray_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let blueprint = split_reference(dir.path());
    std::fs::rename(dir.path().join("tenants/acme.yaml"), dir.path().join("tenants/acme-corp.yaml")).unwrap();
    std::fs::write(dir.path().join("tenants/notes.txt"), "x").unwrap();
    let text = problems(&blueprint);
    assert!(text.contains("`notes.txt` is not a tenant file"), "{text}");
    let err = {
        std::fs::remove_file(dir.path().join("tenants/notes.txt")).unwrap();
        problems(&blueprint)
    };
    assert!(err.contains("the tenant's id is `acme` but its file is named `acme-corp.yaml`"), "{err}");
    assert!(err.contains("acme-corp.yaml:1:5 (id)"), "{err}");
}

#[test]
fn problems_in_the_blueprint_and_in_tenant_files_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let blueprint = split_reference(dir.path());
    let text = std::fs::read_to_string(&blueprint).unwrap().replace("name: saas", "name: Not-A-Name");
    std::fs::write(&blueprint, text).unwrap();
    std::fs::write(
        dir.path().join("tenants/initech.yaml"),
        "id: initech\nname: Initech\ntier: standard\nadminEmail: nope\n",
    )
    .unwrap();
    let text = problems(&blueprint);
    assert!(text.contains("blueprint.yaml:") && text.contains("initech.yaml:4:13 (adminEmail)"), "{text}");
    assert!(text.contains("problem(s) in 2 files"), "{text}");
}

#[test]
fn a_tenants_directory_needs_a_loader_that_reads_files() {
    let dir = tempfile::tempdir().unwrap();
    let blueprint = split_reference(dir.path());
    let text = std::fs::read_to_string(&blueprint).unwrap();
    let Err(BlueprintError::Invalid(d)) = blueprint::load_str("blueprint.yaml", &text) else { panic!("refused") };
    let shown = d.to_string();
    assert!(
        shown.contains("`tenants` names a directory (`tenants/`), which a blueprint given as text cannot read"),
        "{shown}"
    );
    let missing = dir.path().join("other.yaml");
    std::fs::write(&missing, text.replace("tenants: tenants/", "tenants: nowhere/")).unwrap();
    assert!(problems(&missing).contains("cannot read the tenants directory"));
}
