//! Reading the web apps' directory a blueprint's `sites` names: the path and SHA-256 of every
//! source file, for the plan's site steps.

use std::path::Path;

use super::{Diagnostic, Position};
use crate::model::WebSources;

/// Directories that are outputs or installed packages, never sources: not read, at any depth.
const NOT_SOURCES: [&str; 2] = ["node_modules", "dist"];

/// The most files read: far above three small apps, and a bound on a misdirected `sites`
/// (the repository root, say).
const MAX_FILES: usize = 5_000;

/// Every source file under `dir`, by `/`-separated path, with its digest. Hidden entries
/// (`.gitignore`), `node_modules` and `dist` are skipped; a symbolic link is a problem, since the
/// pipeline's source bundle would hold what it points to, or nothing.
pub fn read_web_dir(dir: &Path) -> Result<WebSources, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    walk(dir, "", &mut files, &mut problems);
    if files.len() > MAX_FILES {
        problems.push(problem(
            dir,
            format!("the web apps' directory holds {} files, more than {MAX_FILES}", files.len()),
            "point `sites` at the web apps' directory (`../web`), not at the repository",
        ));
    }
    if problems.is_empty() { Ok(WebSources::new(files)) } else { Err(problems) }
}

fn problem(path: &Path, message: String, help: &str) -> Diagnostic {
    Diagnostic::new(&path.display().to_string(), Position::START, message, help)
}

fn walk(dir: &Path, prefix: &str, files: &mut Vec<(String, String)>, problems: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            let help =
                "create it, or fix `sites` in the blueprint (the web apps' directory, relative to the blueprint)";
            problems.push(problem(dir, format!("cannot read the web apps' directory: {e}"), help));
            return;
        }
    };
    let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            problems.push(problem(&path, "the file's name is not UTF-8".into(), "rename it"));
            continue;
        };
        if name.starts_with('.') || NOT_SOURCES.contains(&name.as_str()) {
            continue;
        }
        let relative = format!("{prefix}{name}");
        let kind = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta.file_type(),
            Err(e) => {
                problems.push(problem(&path, format!("cannot read: {e}"), "check its permissions"));
                continue;
            }
        };
        if kind.is_dir() {
            walk(&path, &format!("{relative}/"), files, problems);
        } else if kind.is_file() {
            match std::fs::read(&path) {
                Ok(bytes) => files.push((relative, crate::plan::hex_digest(&bytes))),
                Err(e) => problems.push(problem(&path, format!("cannot read: {e}"), "check its permissions")),
            }
        } else {
            problems.push(problem(
                &path,
                format!("`{relative}` is not a regular file"),
                "replace the link with the file itself: the pipeline builds from the repository's files",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sources_and_skips_hidden_entries_packages_and_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, text) in [
            ("build.mjs", "b"),
            ("admin/index.html", "<!doctype html>"),
            ("admin/node_modules/x.js", "x"),
            ("dist/admin/index.html", "built"),
            (".gitignore", "dist"),
        ] {
            std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            std::fs::write(root.join(path), text).unwrap();
        }
        let sources = read_web_dir(root).unwrap();
        let paths: Vec<&str> = sources.files().keys().map(String::as_str).collect();
        assert_eq!(paths, ["admin/index.html", "build.mjs"]);
        // The digest is SHA-256 of the bytes (`printf b | sha256sum`).
        assert_eq!(sources.files()["build.mjs"], "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d");
    }

    #[test]
    fn a_missing_directory_names_the_path_and_the_fix() {
        let problems = read_web_dir(Path::new("/nonexistent/web")).unwrap_err();
        let shown = problems[0].to_string();
        assert!(shown.contains("/nonexistent/web") && shown.contains("fix `sites`"), "{shown}");
    }
}
