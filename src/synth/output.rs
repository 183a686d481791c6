//! One synth's output: each file is put as soon as it is produced, compared with the tree,
//! staged if it changed, and forgotten; [`Output::commit`] then renames the staged files into
//! place and removes the ones that are gone, or [`Output::staleness`] reports the differences.
//!
//! Nothing in the tree changes before `commit`, so a failure while compiling or planning
//! leaves it exactly as it was (the staging directory is dropped). When the tree does not
//! exist yet, the whole staging directory is moved into place at once. Otherwise each changed
//! file is renamed over its old version, so every file is always whole, old or new; an IO
//! failure part way leaves a tree that `tenancy check` reports stale, file by file.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use tempfile::TempDir;

use super::cache::{Cache, FileRecord, NewCache, Status, TenantRecord};
use super::{MARKER, Staleness, SynthError, WriteReport, io_error};
use crate::plan::ArtifactFacts;

/// Whether the output is written or only compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// A file as produced, and how it compares with the tree.
#[derive(Debug, Clone)]
pub struct Produced {
    pub path: String,
    pub facts: ArtifactFacts,
    pub len: u64,
    state: State,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// The tree holds these bytes already; the status is what the file had when compared.
    Unchanged(Option<Status>),
    Missing,
    Differs,
}

/// The output directory of one synth or check.
pub struct Output<'a> {
    out: &'a Path,
    /// Whether `out` exists; when it does not, no file is looked for.
    existing: bool,
    staging: Option<TempDir>,
    cache: Cache,
    /// The files already in the tree, listed on a thread of its own while the output is
    /// produced: nothing changes in the tree before `commit`.
    listing: Option<std::thread::JoinHandle<Result<Vec<String>, SynthError>>>,
}

impl<'a> Output<'a> {
    /// Opens `out`. Writing refuses a non-empty directory synth did not write, and uses the
    /// cache of the last synth; checking reads every file (it trusts no cache).
    pub fn open(out: &'a Path, mode: Mode) -> Result<Self, SynthError> {
        let existing = out.exists();
        if mode == Mode::Write && existing && !out.join(MARKER).exists() && !is_empty_dir(out)? {
            return Err(SynthError::Foreign { dir: out.display().to_string() });
        }
        let listing = existing.then(|| {
            let root = out.to_path_buf();
            std::thread::spawn(move || {
                let mut found = Vec::new();
                list_files(&root, &root, &mut found).map(|()| found)
            })
        });
        if mode == Mode::Check {
            return Ok(Self { out, existing, staging: None, cache: Cache::default(), listing });
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
        let cache = if existing { Cache::load(out) } else { Cache::default() };
        Ok(Self { out, existing, staging: Some(staging), cache, listing })
    }

    /// Compares one produced file with the tree and stages it if it changed.
    pub fn put(&self, path: &str, text: &str) -> Result<Produced, SynthError> {
        let plain = Path::new(path).components().all(|c| matches!(c, Component::Normal(_)));
        if !plain || path.is_empty() {
            return Err(SynthError::BadPath(path.to_owned()));
        }
        let facts = ArtifactFacts::of(text);
        let state = self.compare(path, text, &facts)?;
        if let (Some(staging), State::Missing | State::Differs) = (&self.staging, state) {
            let target = staging.path().join(path);
            if let Some(dir) = target.parent() {
                fs::create_dir_all(dir).map_err(io_error("create", dir))?;
            }
            fs::write(&target, text).map_err(io_error("write", &target))?;
        }
        Ok(Produced { path: path.to_owned(), facts, len: text.len() as u64, state })
    }

    fn compare(&self, path: &str, text: &str, facts: &ArtifactFacts) -> Result<State, SynthError> {
        if !self.existing {
            return Ok(State::Missing);
        }
        if let Some(record) = self.cache.trusted(self.out, path) {
            if record.facts.sha256 == facts.sha256 {
                return Ok(State::Unchanged(Some(record.status)));
            }
            return Ok(State::Differs);
        }
        let full = self.out.join(path);
        // The status is taken before reading: an edit after it changes the status, so the
        // record saved from it is never trusted for bytes it did not see.
        let status = Status::of(&full);
        match fs::read(&full) {
            Ok(bytes) if bytes == text.as_bytes() => Ok(State::Unchanged(status)),
            Ok(_) => Ok(State::Differs),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(State::Missing),
            Err(err) if full.is_dir() => Err(io_error("replace the directory", &full)(err)),
            Err(err) => Err(io_error("read", &full)(err)),
        }
    }

    /// The files of tenant `id` as the last synth left them, and the notes its compilation
    /// gave, if its inputs are unchanged and the files untouched since.
    pub fn reuse(&self, id: &str, inputs: &str) -> Option<(Vec<Produced>, Vec<String>)> {
        let cached = self.cache.tenant(self.out, id, inputs)?;
        let files = cached
            .files
            .into_iter()
            .map(|(path, record)| Produced {
                path,
                facts: record.facts,
                len: record.status.len,
                state: State::Unchanged(Some(record.status)),
            })
            .collect();
        Some((files, cached.notes))
    }

    /// The files in the tree that were not produced (the cache aside). `produced` must name
    /// every file of the output, each once.
    fn extra(&mut self, produced: &[Produced]) -> Result<Vec<String>, SynthError> {
        let mut expected = BTreeSet::new();
        for file in produced {
            if !expected.insert(file.path.as_str()) {
                return Err(SynthError::Duplicate(file.path.clone()));
            }
        }
        let on_disk = match self.listing.take() {
            Some(listing) => listing.join().expect("listing the output panicked")?,
            None => Vec::new(),
        };
        Ok(on_disk.into_iter().filter(|p| !expected.contains(p.as_str())).collect())
    }

    /// How the tree differs from `produced`: what checking reports.
    pub fn staleness(mut self, produced: &[Produced]) -> Result<Staleness, SynthError> {
        let extra = self.extra(produced)?;
        let pick = |want: fn(&State) -> bool| {
            produced.iter().filter(|f| want(&f.state)).map(|f| f.path.clone()).collect::<Vec<_>>()
        };
        Ok(Staleness {
            missing: pick(|s| matches!(s, State::Missing)),
            extra,
            differing: pick(|s| matches!(s, State::Differs)),
        })
    }

    /// Renames the staged files into place, removes the files no longer produced, and saves
    /// the cache with `tenants`' records.
    pub fn commit(
        mut self,
        produced: Vec<Produced>,
        tenants: BTreeMap<String, TenantRecord>,
    ) -> Result<WriteReport, SynthError> {
        let extra = self.extra(&produced)?;
        let changed = |state: &State| !matches!(state, State::Unchanged(_));
        let staging = self.staging.take().expect("only an output opened for writing commits");
        if !self.existing || is_empty_dir(self.out)? {
            if self.existing {
                fs::remove_dir(self.out).map_err(io_error("replace", self.out))?;
            }
            let staged = staging.keep();
            fs::rename(&staged, self.out).map_err(io_error("create", self.out))?;
        } else {
            for file in produced.iter().filter(|f| changed(&f.state)) {
                let target = self.out.join(&file.path);
                if let Some(dir) = target.parent() {
                    fs::create_dir_all(dir).map_err(io_error("create", dir))?;
                }
                fs::rename(staging.path().join(&file.path), &target).map_err(io_error("replace", &target))?;
            }
            for path in &extra {
                let target = self.out.join(path);
                fs::remove_file(&target).map_err(io_error("remove", &target))?;
                prune_empty_parents(self.out, &target);
            }
        }

        let mut cache = NewCache { files: BTreeMap::new(), tenants };
        let mut report =
            WriteReport { files: produced.len(), bytes: 0, written: Vec::new(), removed: extra, note: None };
        for file in produced {
            report.bytes += file.len;
            let status = match file.state {
                State::Unchanged(status) => status,
                State::Missing | State::Differs => {
                    report.written.push(file.path.clone());
                    Status::of(&self.out.join(&file.path))
                }
            };
            if let Some(status) = status {
                cache.files.insert(file.path, FileRecord { status, facts: file.facts });
            }
        }
        report.written.sort();
        report.removed.sort();
        if let Err(err) = cache.save(self.out) {
            report.note = Some(format!("could not save the synth cache ({err}); the next synth will do the full work"));
        }
        Ok(report)
    }
}

fn is_empty_dir(dir: &Path) -> Result<bool, SynthError> {
    if !dir.is_dir() {
        return Ok(false);
    }
    Ok(fs::read_dir(dir).map_err(io_error("read", dir))?.next().is_none())
}

/// Removes the directories above `file` that its removal left empty, up to `root`.
fn prune_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == root || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Every file below `dir`, as paths relative to `root` with `/` separators.
pub fn list_files(root: &Path, dir: &Path, found: &mut Vec<String>) -> Result<(), SynthError> {
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
