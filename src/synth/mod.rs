//! Writing artifacts to disk, and checking that a directory holds exactly them.
//!
//! [`write`] is atomic: it builds the whole tree in a temporary directory beside the target and
//! swaps it in only once every file is written, so a failure leaves the previous tree as it was.
//! It refuses to replace a non-empty directory that synth did not write (no marker file).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::compile::Artifact;

/// The file that marks a directory as synth's own output, safe to replace.
pub const MARKER: &str = ".tenancy-synth";
const MARKER_CONTENTS: &str = "This directory is written by `tenancy synth`; edits are overwritten.\n";

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error(
        "{dir} is not empty and was not written by tenancy synth (it has no {MARKER} file); refusing to replace it — choose another --out or empty it"
    )]
    Foreign { dir: String },
    #[error("artifact path `{0}` is not a plain relative path")]
    BadPath(String),
    #[error("cannot {action} {path}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: io::Error,
    },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SynthError {
    let path = path.display().to_string();
    move |source| SynthError::Io { action, path, source }
}

/// The files synth writes for `artifacts`: the artifacts themselves and the marker.
fn expected(artifacts: &[Artifact]) -> Result<BTreeMap<String, &[u8]>, SynthError> {
    let mut files = BTreeMap::new();
    for artifact in artifacts {
        let plain = Path::new(&artifact.path).components().all(|c| matches!(c, Component::Normal(_)));
        if !plain || artifact.path.is_empty() {
            return Err(SynthError::BadPath(artifact.path.clone()));
        }
        files.insert(artifact.path.clone(), artifact.contents.as_bytes());
    }
    files.insert(MARKER.to_owned(), MARKER_CONTENTS.as_bytes());
    Ok(files)
}

/// What writing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReport {
    pub files: usize,
    pub bytes: usize,
}

/// Replaces `out` with exactly `artifacts`, atomically.
pub fn write(out: &Path, artifacts: &[Artifact]) -> Result<WriteReport, SynthError> {
    let files = expected(artifacts)?;
    if out.exists() && !out.join(MARKER).exists() && !is_empty_dir(out)? {
        return Err(SynthError::Foreign { dir: out.display().to_string() });
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_error("create", &parent))?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "generated".into());
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.new-"))
        .tempdir_in(&parent)
        .map_err(io_error("create a staging directory in", &parent))?;

    let mut bytes = 0;
    for (path, contents) in &files {
        let target = staging.path().join(path);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(io_error("create", dir))?;
        }
        fs::write(&target, contents).map_err(io_error("write", &target))?;
        bytes += contents.len();
    }

    // Swap: move the old tree aside, move the new one in, then drop the old one. If the second
    // move fails, the old tree goes back.
    let staged = staging.keep();
    if out.exists() {
        let old = tempfile::Builder::new()
            .prefix(&format!(".{name}.old-"))
            .tempdir_in(&parent)
            .map_err(io_error("create a directory in", &parent))?
            .keep();
        let aside = old.join("tree");
        fs::rename(out, &aside).map_err(io_error("move aside", out))?;
        if let Err(err) = fs::rename(&staged, out) {
            let _ = fs::rename(&aside, out);
            let _ = fs::remove_dir_all(&staged);
            let _ = fs::remove_dir_all(&old);
            return Err(io_error("replace", out)(err));
        }
        fs::remove_dir_all(&old).map_err(io_error("remove", &old))?;
    } else {
        fs::rename(&staged, out).map_err(io_error("create", out))?;
    }
    Ok(WriteReport { files: files.len(), bytes })
}

fn is_empty_dir(dir: &Path) -> Result<bool, SynthError> {
    if !dir.is_dir() {
        return Ok(false);
    }
    Ok(fs::read_dir(dir).map_err(io_error("read", dir))?.next().is_none())
}

/// How a directory differs from what synth would write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staleness {
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    pub differing: Vec<String>,
}

impl Staleness {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.differing.is_empty()
    }
}

/// Compares `out` with `artifacts` without writing anything.
pub fn check(out: &Path, artifacts: &[Artifact]) -> Result<Staleness, SynthError> {
    let files = expected(artifacts)?;
    let mut found = Vec::new();
    if out.exists() {
        list_files(out, out, &mut found)?;
    }
    let mut staleness = Staleness::default();
    for path in &found {
        match files.get(path) {
            None => staleness.extra.push(path.clone()),
            Some(contents) => {
                let full = out.join(path);
                if fs::read(&full).map_err(io_error("read", &full))? != *contents {
                    staleness.differing.push(path.clone());
                }
            }
        }
    }
    staleness.missing = files.keys().filter(|p| !found.contains(p)).cloned().collect();
    staleness.extra.sort();
    staleness.differing.sort();
    Ok(staleness)
}

fn list_files(root: &Path, dir: &Path, found: &mut Vec<String>) -> Result<(), SynthError> {
    for entry in fs::read_dir(dir).map_err(io_error("read", dir))? {
        let entry = entry.map_err(io_error("read", dir))?;
        let path = entry.path();
        if entry.file_type().map_err(io_error("inspect", &path))?.is_dir() {
            list_files(root, &path, found)?;
        } else {
            let relative = path.strip_prefix(root).expect("below root");
            let parts: Vec<String> =
                relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            found.push(parts.join("/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(path: &str, contents: &str) -> Artifact {
        Artifact { path: path.into(), contents: contents.into() }
    }

    #[test]
    fn writes_then_checks_clean_and_stale() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("generated");
        let files = vec![artifact("a/x.yaml", "x"), artifact("b.yaml", "b")];
        let report = write(&out, &files).unwrap();
        assert_eq!(report.files, 3);
        assert!(check(&out, &files).unwrap().is_clean());

        fs::write(out.join("b.yaml"), "changed").unwrap();
        fs::write(out.join("stray.yaml"), "").unwrap();
        let changed = vec![artifact("a/x.yaml", "x"), artifact("b.yaml", "b"), artifact("c.yaml", "c")];
        let stale = check(&out, &changed).unwrap();
        assert_eq!(stale.missing, vec!["c.yaml"]);
        assert_eq!(stale.extra, vec!["stray.yaml"]);
        assert_eq!(stale.differing, vec!["b.yaml"]);

        // Rewriting replaces the whole tree: the stray file is gone.
        write(&out, &changed).unwrap();
        assert!(check(&out, &changed).unwrap().is_clean());
        // No staging or old trees are left behind.
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec!["generated"]);
    }

    #[test]
    fn refuses_foreign_directories() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("precious.txt"), "keep me").unwrap();
        let err = write(dir.path(), &[artifact("a.yaml", "a")]).unwrap_err();
        assert!(matches!(err, SynthError::Foreign { .. }), "{err}");
        assert_eq!(fs::read_to_string(dir.path().join("precious.txt")).unwrap(), "keep me");
    }

    #[test]
    fn rejects_escaping_paths() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["../x", "/etc/x", "", "a/../../x"] {
            assert!(
                matches!(write(&dir.path().join("out"), &[artifact(bad, "")]), Err(SynthError::BadPath(_))),
                "{bad}"
            );
        }
        assert!(!dir.path().join("out").exists());
    }
}
