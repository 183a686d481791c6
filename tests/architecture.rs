//! The core's layering as a test: the modules of `src/` import each other without a cycle, the
//! format layers (yaml, cfn, k8s, buildspec) import none of the compilers above them, and the
//! emitters inside `src/compile/` form no cycle either (shared names live in leaf modules, so
//! every emitter can be read after the ones it names). Imports are read from the source text:
//! `crate::<module>` and, inside compile, `super::<module>`. A module's `#[cfg(test)]` tail is
//! not read (tests may reach anywhere).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use petgraph::algo::{is_cyclic_directed, kosaraju_scc};
use petgraph::graphmap::DiGraphMap;

use crate::common::root;

/// The source before its first `#[cfg(test)]`.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.split("#[cfg(test)]").next().unwrap_or_default().to_owned()
}

/// Every name that follows `prefix` in `text` (an identifier of lower case, digits and `_`).
fn names_after<'t>(text: &'t str, prefix: &str) -> BTreeSet<&'t str> {
    text.match_indices(prefix)
        .filter_map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            let end = rest.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))?;
            (end > 0).then(|| &rest[..end])
        })
        .collect()
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The strongly connected components with more than one member: the cycles, for the message.
fn cycles<'a>(graph: &DiGraphMap<&'a str, ()>) -> Vec<Vec<&'a str>> {
    kosaraju_scc(graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|mut c| {
            c.sort_unstable();
            c
        })
        .collect()
}

/// The top-level modules of the core and the modules each imports.
fn layers() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut imports = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let module = path.file_name().unwrap().to_str().unwrap().to_owned();
        let mut names = BTreeSet::new();
        for file in rust_files(&path) {
            let text = code(&file);
            names.extend(names_after(&text, "crate::").into_iter().filter(|n| *n != module).map(str::to_owned));
        }
        imports.insert(module, names);
    }
    imports
}

#[test]
fn the_core_modules_import_each_other_without_a_cycle() {
    let imports = layers();
    assert!(imports.len() >= 11 && imports["compile"].contains("cfn"), "the scan found nothing: {imports:?}");
    let mut graph = DiGraphMap::new();
    for (module, names) in &imports {
        graph.add_node(module.as_str());
        for name in names.iter().filter(|n| imports.contains_key(n.as_str())) {
            graph.add_edge(module.as_str(), name.as_str(), ());
        }
    }
    assert!(!is_cyclic_directed(&graph), "module cycles: {:?}\nimports: {imports:#?}", cycles(&graph));
}

#[test]
fn the_format_layers_import_no_compiler() {
    let imports = layers();
    let compilers = ["blueprint", "compile", "contract", "model", "plan", "synth", "verify"];
    for format in ["yaml", "cfn", "k8s", "buildspec"] {
        let above: Vec<_> = imports[format].iter().filter(|n| compilers.contains(&n.as_str())).collect();
        assert!(above.is_empty(), "src/{format} imports {above:?}: a format layer knows nothing of what uses it");
    }
}

#[test]
fn the_emitters_inside_compile_form_no_cycle() {
    let dir = root().join("src/compile");
    let modules: BTreeSet<String> = rust_files(&dir)
        .iter()
        .filter(|f| f.parent() == Some(dir.as_path()))
        .map(|f| f.file_stem().unwrap().to_str().unwrap().to_owned())
        .filter(|m| m != "mod")
        .collect();
    assert!(modules.len() > 10 && modules.contains("tenant"), "{modules:?}");
    let mut graph = DiGraphMap::new();
    let mut through_mod = Vec::new();
    let texts: BTreeMap<&str, String> =
        modules.iter().map(|m| (m.as_str(), code(&dir.join(format!("{m}.rs"))))).collect();
    for (module, text) in &texts {
        graph.add_node(*module);
        let names = names_after(text, "super::").into_iter().chain(names_after(text, "crate::compile::"));
        for name in names {
            match modules.get(name) {
                Some(target) if target != module => {
                    graph.add_edge(*module, target.as_str(), ());
                }
                Some(_) => {}
                // A name re-exported by compile/mod.rs hides which emitter it comes from.
                None => through_mod.push(format!("src/compile/{module}.rs: super::{name}")),
            }
        }
    }
    assert!(through_mod.is_empty(), "name the module, not compile's re-export:\n{}", through_mod.join("\n"));
    assert!(graph.edge_count() > 10, "the scan found too few imports");
    assert!(!is_cyclic_directed(&graph), "cycles among compile's modules: {:?}", cycles(&graph));
}
