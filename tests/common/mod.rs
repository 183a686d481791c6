//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test crate uses a different subset")]

pub mod iam;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tenancy::compile::{Artifacts, compile};
use tenancy::model::Platform;

/// The repository root: the workspace's, which holds Cargo.lock (the core package is the root;
/// the CLI package, whose binary `tests/cli.rs` belongs to, is `crates/tenancy-cli`).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or_else(|| panic!("no Cargo.lock above {}", manifest.display()))
        .to_path_buf()
}

/// The reference blueprint as one text, its tenant files (`blueprints/tenants/`) listed inline
/// in file order, last, and its `sites` as the absolute path of the web apps: the same
/// platform, for tests that edit it and load it with [`load`].
pub fn reference_text() -> String {
    let text = std::fs::read_to_string(root().join("blueprints/reference.yaml")).expect("reference blueprint");
    let at = text.find("\ntenants: tenants/\n").expect("the reference keeps its tenants as files") + 1;
    assert!(text.ends_with("\nsites: ../web\n"), "the reference names its web apps last");
    let mut out = text[..at].to_owned();
    out.push_str(&format!("sites: {}\n", root().join("web").display()));
    out.push_str("tenants:\n");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("blueprints/tenants"))
        .expect("blueprints/tenants")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        for (i, line) in std::fs::read_to_string(&file).unwrap().lines().enumerate() {
            out.push_str(if i == 0 { "  - " } else { "    " });
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The reference platform, read as `tenancy` reads it: the blueprint and its tenant files.
pub fn reference() -> Platform {
    tenancy::blueprint::load_file(&root().join("blueprints/reference.yaml")).expect("the reference blueprint is valid")
}

/// The reference's four tiers, as `tenancy blueprint sample --tiers` names them: a sample over
/// them keeps the reference's (dedicated) tiers, where the default sample pools two of them.
pub fn reference_tiers() -> Vec<String> {
    tenancy::blueprint::REFERENCE_TIERS.iter().map(|t| (*t).to_owned()).collect()
}

/// A blueprint given as text, whose `sites` (if any) is read from disk as the CLI would.
pub fn load(name: &str, text: &str) -> Platform {
    let web = |dir: &str| tenancy::blueprint::read_web_dir(&root().join(dir)).map(Some);
    tenancy::blueprint::load_with_sites(name, text, None, Some(&web)).unwrap_or_else(|err| panic!("{err}"))
}

/// Compiled artifacts as path -> contents.
pub fn files(platform: &Platform) -> BTreeMap<String, String> {
    let Artifacts { files, .. } = compile(platform).expect("compiles");
    files.into_iter().map(|a| (a.path, a.contents)).collect()
}

/// Every file below `dir` as relative path -> bytes (synth's cache lives beside the tree).
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Parses a generated template (YAML) into JSON for inspection.
pub fn template_json(text: &str) -> serde_json::Value {
    serde_yaml::from_str(text).expect("generated YAML parses")
}

/// The documents of a multi-document YAML file.
pub fn documents(text: &str) -> Vec<serde_yaml::Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| serde_yaml::Value::deserialize(doc).expect("a YAML document"))
        .filter(|doc| !doc.is_null())
        .collect()
}

/// The objects of `kind` in a generated bundle, parsed back into their k8s-openapi types.
pub fn objects<T: serde::de::DeserializeOwned>(text: &str, kind: &str) -> Vec<T> {
    documents(text)
        .into_iter()
        .filter(|doc| doc.get("kind").and_then(|k| k.as_str()) == Some(kind))
        .map(|doc| serde_yaml::from_value(doc).expect("a valid object"))
        .collect()
}

/// The reference platform with its tenants moved to `dir/tenants/<id>.yaml`; returns the
/// blueprint's path.
pub fn split_reference(dir: &Path) -> std::path::PathBuf {
    let text = reference_text();
    let at = text.find("\ntenants:\n").expect("the reference lists tenants last") + 1;
    let (head, list) = text.split_at(at);
    let blueprint = dir.join("blueprint.yaml");
    std::fs::write(&blueprint, format!("{head}tenants: tenants/\n")).unwrap();
    std::fs::create_dir(dir.join("tenants")).unwrap();
    for item in list.trim_start_matches("tenants:\n").split("  - ").filter(|s| !s.trim().is_empty()) {
        let body: String = item.lines().map(|l| format!("{}\n", l.trim_start())).collect();
        let id = body.lines().next().unwrap().strip_prefix("id: ").unwrap().to_owned();
        std::fs::write(dir.join(format!("tenants/{id}.yaml")), body).unwrap();
    }
    blueprint
}
