//! Incremental synth: only files whose bytes change are written, files that are gone are
//! removed, untouched files keep their modification time, and the cache never hides an edit.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::common::*;
use tenancy::model::Platform;
use tenancy::synth::{self, Synthesis, racy_window};

fn fleet(n: usize) -> Platform {
    load("fleet.yaml", &tenancy::blueprint::sample(n, &reference_tiers()).unwrap())
}

/// The path of file `name` of the fleet's tenant number `i`.
fn tenant_file(platform: &Platform, i: usize, name: &str) -> String {
    format!("tenants/{}/{name}", platform.tenants()[i].id)
}

fn synthesize(platform: &Platform, out: &Path) -> Synthesis {
    synth::synthesize(platform, out).unwrap()
}

/// Path -> (modification time, inode) of every file below `dir` but the cache.
fn stamps(dir: &Path) -> BTreeMap<String, (SystemTime, u64)> {
    use std::os::unix::fs::MetadataExt;
    tree(dir)
        .into_keys()
        .map(|path| {
            let meta = fs::metadata(dir.join(&path)).unwrap();
            (path, (meta.modified().unwrap(), meta.ino()))
        })
        .collect()
}

/// Changes one byte of `path` and puts its modification time back: the same length and mtime,
/// different bytes. Only the change time betrays the edit.
fn forge_edit(path: &Path) {
    let modified = fs::metadata(path).unwrap().modified().unwrap();
    let mut bytes = fs::read(path).unwrap();
    let at = bytes.len() - 2;
    bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
    fs::write(path, &bytes).unwrap();
    fs::File::options().write(true).open(path).unwrap().set_modified(modified).unwrap();
    assert_eq!(fs::metadata(path).unwrap().modified().unwrap(), modified);
}

/// Waits out the window in which the cache does not trust a file's status, then synthesizes
/// once more so that every record is trusted by status alone.
fn settle(platform: &Platform, out: &Path) {
    std::thread::sleep(Duration::from_nanos(racy_window(0) as u64 + 50_000_000));
    let again = synthesize(platform, out);
    assert!(again.report.written.is_empty(), "{:?}", again.report.written);
}

#[test]
fn adding_a_tenant_writes_its_files_and_the_plan_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    let first = synthesize(&fleet(12), &out);
    assert_eq!((first.compiled_tenants, first.reused_tenants), (12, 0));
    let before = stamps(&out);

    let grown = fleet(13);
    let added = synthesize(&grown, &out);
    assert_eq!(
        added.report.written,
        [
            "plan.json".into(),
            "plan.mmd".into(),
            tenant_file(&grown, 12, "k8s.yaml"),
            tenant_file(&grown, 12, "stack.cfn.yaml")
        ]
    );
    assert!(added.report.removed.is_empty());
    // The other tenants' files were verified against the cache, not compiled again.
    assert_eq!((added.compiled_tenants, added.reused_tenants), (1, 12));
    let after = stamps(&out);
    for (path, stamp) in &before {
        if !path.starts_with("plan.") {
            assert_eq!(after.get(path), Some(stamp), "{path} was rewritten");
        }
    }
    // The result is exactly what a cold synth of the grown fleet writes.
    let cold = dir.path().join("cold");
    synthesize(&grown, &cold);
    assert!(tree(&out) == tree(&cold), "incremental and cold synth differ");
}

/// A pooled tenant's resources are in its cell: adding one writes its Ingress, its one cell's
/// stack and the plan, and recompiles no other cell (each is cached like a tenant).
#[test]
fn adding_a_pooled_tenant_writes_its_bundle_its_cell_and_the_plan_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    let mix = |n| load("mix.yaml", &tenancy::blueprint::sample(n, &[]).unwrap());
    // 200 tenants: basic (pooled, 5 cells) holds tenants 0..89 and 100..189.
    synthesize(&mix(200), &out);
    let before = stamps(&out);
    let grown = mix(201);
    let added = synthesize(&grown, &out);
    let tenant = &grown.tenants()[200];
    assert_eq!(tenant.tier.as_str(), "basic");
    let cell = grown.cell_of(tenant).unwrap();
    let cell_file = format!("pools/basic/cell-{:03}.cfn.yaml", cell.index);
    assert_eq!(
        added.report.written,
        ["plan.json".to_owned(), "plan.mmd".into(), cell_file.clone(), format!("tenants/{}/k8s.yaml", tenant.id)]
    );
    let after = stamps(&out);
    for (path, stamp) in &before {
        if !path.starts_with("plan.") && *path != cell_file {
            assert_eq!(after.get(path), Some(stamp), "{path} was rewritten");
        }
    }
    let cold = dir.path().join("cold");
    synthesize(&grown, &cold);
    assert!(tree(&out) == tree(&cold), "incremental and cold synth differ");
}

#[test]
fn removing_a_tenant_removes_its_files_and_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    let six = fleet(6);
    synthesize(&six, &out);
    let shrunk = synthesize(&fleet(5), &out);
    assert_eq!(shrunk.report.removed, [tenant_file(&six, 5, "k8s.yaml"), tenant_file(&six, 5, "stack.cfn.yaml")]);
    assert_eq!(shrunk.report.written, ["plan.json", "plan.mmd"]);
    let gone = out.join(tenant_file(&six, 5, "k8s.yaml"));
    assert!(!gone.parent().unwrap().exists(), "the emptied tenant directory is left behind");
    assert!(out.join(tenant_file(&six, 4, "k8s.yaml")).exists());
    assert!(synth::check_platform(&fleet(5), &out).unwrap().is_clean());
}

#[test]
fn a_hand_edit_is_restored_even_when_size_and_modification_time_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    let platform = fleet(4);
    synthesize(&platform, &out);
    settle(&platform, &out);
    let trusted = synthesize(&platform, &out);
    assert_eq!((trusted.compiled_tenants, trusted.reused_tenants), (0, 4), "settled records are trusted");

    let path = out.join(tenant_file(&platform, 2, "stack.cfn.yaml"));
    let original = fs::read(&path).unwrap();
    forge_edit(&path);

    let repaired = synthesize(&platform, &out);
    assert_eq!(repaired.report.written, [tenant_file(&platform, 2, "stack.cfn.yaml")]);
    assert_eq!((repaired.compiled_tenants, repaired.reused_tenants), (1, 3));
    assert_eq!(fs::read(&path).unwrap(), original);
}

#[test]
fn a_changed_platform_setting_compiles_every_tenant_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    synthesize(&fleet(3), &out);
    let text = tenancy::blueprint::sample(3, &reference_tiers()).unwrap();
    assert!(text.contains("example.com"), "the sample's domain moved; update this test");
    let moved = load("fleet.yaml", &text.replace("example.com", "example.org"));
    let again = synthesize(&moved, &out);
    assert_eq!((again.compiled_tenants, again.reused_tenants), (3, 0));
    let k8s = tenant_file(&moved, 1, "k8s.yaml");
    assert!(again.report.written.contains(&k8s), "{:?}", again.report.written);
    assert!(synth::check_platform(&moved, &out).unwrap().is_clean());
}

#[test]
fn a_damaged_cache_costs_time_not_correctness() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    let platform = fleet(3);
    synthesize(&platform, &out);
    fs::write(synth::cache_location(&out), b"{ not json").unwrap();
    let k8s = tenant_file(&platform, 1, "k8s.yaml");
    fs::write(out.join(&k8s), "edited\n").unwrap();
    let again = synthesize(&platform, &out);
    assert_eq!((again.compiled_tenants, again.reused_tenants), (3, 0));
    assert_eq!(again.report.written, [k8s]);
    assert!(synth::check_platform(&platform, &out).unwrap().is_clean());
}

#[test]
fn check_reads_everything_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    let platform = fleet(3);
    synthesize(&platform, &out);
    let cache = fs::read(synth::cache_location(&out)).unwrap();
    let before = stamps(&out);
    assert!(synth::check_platform(&platform, &out).unwrap().is_clean());
    assert_eq!(stamps(&out), before);
    assert_eq!(fs::read(synth::cache_location(&out)).unwrap(), cache);

    // Check trusts no cache: an edit that keeps size and modification time is still found.
    let k8s = tenant_file(&platform, 0, "k8s.yaml");
    let path = out.join(&k8s);
    forge_edit(&path);
    assert_eq!(synth::check_platform(&platform, &out).unwrap().differing, [k8s]);
}

#[test]
fn an_output_path_blocked_by_a_directory_fails_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    synthesize(&fleet(2), &out);
    fs::remove_file(out.join("plan.mmd")).unwrap();
    fs::create_dir(out.join("plan.mmd")).unwrap();
    let before = tree(&out);
    let err = synth::synthesize(&fleet(3), &out).unwrap_err();
    assert!(format!("{err}").contains("plan.mmd"), "{err}");
    assert!(tree(&out) == before, "a failed synth changed the output");
    assert!(!out.join(tenant_file(&fleet(3), 2, "k8s.yaml")).exists());
    let mut siblings: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    siblings.sort();
    // `.tenancy/` holds the first synth's cache (`synth::cache_location`).
    assert_eq!(siblings, [".tenancy", "generated"], "a failed synth left its staging directory behind");
}

#[test]
fn streamed_output_is_byte_identical_to_sequential_compilation() {
    let platform = fleet(40);
    let dir = tempfile::tempdir().unwrap();
    let streamed = dir.path().join("streamed");
    synthesize(&platform, &streamed);

    // One tenant after another, every artifact in memory, then the plan: the plain way.
    let mut artifacts = tenancy::compile::compile_platform(&platform).unwrap();
    for tenant in platform.tenants() {
        artifacts.files.extend(tenancy::compile::compile_tenant(&platform, tenant).unwrap().files);
    }
    tenancy::plan::attach(&platform, &mut artifacts).unwrap();
    let sequential = dir.path().join("sequential");
    synth::write(&sequential, &artifacts.files).unwrap();
    assert!(tree(&streamed) == tree(&sequential), "streamed and sequential output differ");
    assert_eq!(tree(&streamed).len(), artifacts.files.len() + 1, "the artifacts and the marker");
}

#[test]
fn two_synths_into_two_directories_are_identical_with_nothing_to_ignore() {
    let dir = tempfile::tempdir().unwrap();
    let platform = fleet(3);
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    synthesize(&platform, &one);
    synthesize(&platform, &two);
    assert_eq!(tree(&one), tree(&two));
    // The cache is machine-local and beside the tree, never in it.
    for out in [&one, &two] {
        let cache = synth::cache_location(out);
        assert!(cache.is_file(), "{}", cache.display());
        assert!(!cache.starts_with(out), "{} is inside {}", cache.display(), out.display());
    }
    assert_eq!(synth::cache_location(&one), dir.path().join(".tenancy/synth-cache/one.json"));
    // And the second synth of each reuses its own cache.
    assert_eq!(synthesize(&platform, &two).reused_tenants, 3);
}
