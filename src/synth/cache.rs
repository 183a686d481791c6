//! The synth cache: what the last synth wrote, so the next one can skip what has not changed.
//!
//! It lives beside the output directory, never in it (see [`location`]): the reviewed tree holds
//! only what synth produces, so two synths of one blueprint into two directories are identical
//! byte for byte, with nothing to ignore. It records, per file, its digest, the stack outputs it reads and the file's
//! status as synth left it (size, modification and change times, inode); per tenant, the
//! fingerprint of the inputs its files were compiled from. A tenant whose inputs are unchanged
//! and whose files still have the recorded status is not compiled again.
//!
//! Trust is earned the way git's index earns it: a record is trusted only if the file's status
//! is exactly as recorded *and* the file was last modified a [`racy_window`] before the cache
//! file itself was (same clock, same file system), so an edit landing in the same timestamp
//! tick as synth's own write cannot hide. Anything else is read and compared byte for byte. The cache belongs to one build
//! of tenancy (the running executable's identity); any other build starts from nothing. A
//! missing, unreadable or foreign cache is not an error: synth just does the full work.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Platform, Tenant};
use crate::plan::ArtifactFacts;

/// Where the cache of `out` lives: `.tenancy/synth-cache/<out's name>.json` in the directory
/// that holds `out` (for `generated/`, the checkout's `.tenancy/`, which is machine-local and
/// ignored). Beside the tree, so on the same file system, whose clock the trust rules compare.
pub fn location(out: &Path) -> PathBuf {
    let absolute = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
    let name = absolute.file_name().map_or_else(|| "root".to_owned(), |n| n.to_string_lossy().into_owned());
    let parent = absolute.parent().map_or_else(|| absolute.clone(), Path::to_path_buf);
    parent.join(".tenancy").join("synth-cache").join(format!("{name}.json"))
}
const FORMAT: u32 = 1;
/// How long before the cache write a file must have been modified for its status to be
/// trusted; files modified later are verified by content. A timestamp with a sub-second part
/// comes from a file system with fine timestamps (ext4, XFS, btrfs, tmpfs: nanoseconds, kept
/// by a clock that ticks at most every 10 ms), where 100 ms is ample; a whole-second one may
/// come from a coarse file system (FAT keeps two-second times), so it gets two seconds.
pub fn racy_window(modified: i128) -> i128 {
    const SECOND: i128 = 1_000_000_000;
    if modified % SECOND == 0 { 2 * SECOND } else { SECOND / 10 }
}

/// A file's status as synth left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub len: u64,
    pub modified: i128,
    pub changed: i128,
    pub inode: u64,
}

impl Status {
    /// The status of `path`, or `None` when it cannot be read (missing, or no timestamps).
    pub fn of(path: &Path) -> Option<Self> {
        let meta = fs::symlink_metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        Some(Self {
            len: meta.len(),
            modified: nanos(meta.modified().ok()?)?,
            changed: changed(&meta)?,
            inode: inode(&meta),
        })
    }
}

#[cfg(unix)]
fn changed(meta: &fs::Metadata) -> Option<i128> {
    use std::os::unix::fs::MetadataExt;
    Some(i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()))
}

#[cfg(not(unix))]
fn changed(meta: &fs::Metadata) -> Option<i128> {
    nanos(meta.modified().ok()?)
}

#[cfg(unix)]
fn inode(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.ino()
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> u64 {
    0
}

fn nanos(time: SystemTime) -> Option<i128> {
    time.duration_since(UNIX_EPOCH).ok()?.as_nanos().try_into().ok()
}

/// What synth knows of one file it wrote or verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub status: Status,
    pub facts: ArtifactFacts,
}

/// The inputs a tenant's files were compiled from, and the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRecord {
    pub inputs: String,
    pub files: Vec<String>,
    /// The notes compiling the tenant gave, repeated when its output is reused.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    format: u32,
    build: String,
    files: BTreeMap<String, FileRecord>,
    tenants: BTreeMap<String, TenantRecord>,
}

/// The previous synth's records, as loaded.
#[derive(Debug, Default)]
pub struct Cache {
    /// When the cache file was last modified: the moment the last synth finished.
    written_at: i128,
    files: BTreeMap<String, FileRecord>,
    tenants: BTreeMap<String, TenantRecord>,
}

impl Cache {
    /// Loads the cache of `out`; anything unusable gives an empty cache.
    pub fn load(out: &Path) -> Self {
        let Some(build) = build_identity() else { return Self::default() };
        let path = location(out);
        let Some(written_at) = Status::of(&path).map(|s| s.modified) else { return Self::default() };
        let Ok(bytes) = fs::read(&path) else { return Self::default() };
        match serde_json::from_slice::<Stored>(&bytes) {
            Ok(stored) if stored.format == FORMAT && stored.build == build => {
                Self { written_at, files: stored.files, tenants: stored.tenants }
            }
            _ => Self::default(),
        }
    }

    /// The recorded facts of `path` if the file under `out` is trusted to still hold them.
    pub fn trusted(&self, out: &Path, path: &str) -> Option<&FileRecord> {
        let record = self.files.get(path)?;
        let settled = record.status.modified + racy_window(record.status.modified) <= self.written_at;
        (settled && Status::of(&out.join(path)) == Some(record.status)).then_some(record)
    }

    /// The tenant's files and their records, if its inputs are unchanged and every file still
    /// holds the recorded bytes: trusted by status, or else read and hashed (much cheaper than
    /// compiling the tenant again). A verified file's record carries its current status.
    /// The notes compiling the tenant gave come along, to be repeated.
    pub fn tenant(&self, out: &Path, id: &str, inputs: &str) -> Option<CachedTenant> {
        let tenant = self.tenants.get(id).filter(|t| t.inputs == inputs)?;
        let files = tenant
            .files
            .iter()
            .map(|path| {
                if let Some(record) = self.trusted(out, path) {
                    return Some((path.clone(), record.clone()));
                }
                let record = self.files.get(path)?;
                let full = out.join(path);
                let status = Status::of(&full)?; // before reading, as in `Output::compare`
                let bytes = fs::read(&full).ok()?;
                (crate::plan::hex_digest(&bytes) == record.facts.sha256)
                    .then(|| (path.clone(), FileRecord { status, facts: record.facts.clone() }))
            })
            .collect::<Option<_>>()?;
        Some(CachedTenant { files, notes: tenant.notes.clone() })
    }
}

/// A tenant's output as the last synth left it, verified to be still in the tree.
pub struct CachedTenant {
    pub files: Vec<(String, FileRecord)>,
    pub notes: Vec<String>,
}

/// The records of this synth, saved when it is done.
#[derive(Debug, Default)]
pub struct NewCache {
    pub files: BTreeMap<String, FileRecord>,
    pub tenants: BTreeMap<String, TenantRecord>,
}

impl NewCache {
    /// Writes the cache of `out` (atomically, through a temporary file) to its [`location`]. Failing to save
    /// costs the next synth time, never correctness, so errors are returned for a note only.
    pub fn save(self, out: &Path) -> std::io::Result<()> {
        let Some(build) = build_identity() else { return Ok(()) };
        let stored = Stored { format: FORMAT, build, files: self.files, tenants: self.tenants };
        let bytes = serde_json::to_vec(&stored).map_err(std::io::Error::other)?;
        let path = location(out);
        let dir = path.parent().expect("a file in a directory");
        fs::create_dir_all(dir)?;
        let mut temp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut temp, &bytes)?;
        temp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Which build of tenancy wrote the cache: the package version and the running executable's
/// size, modification time and inode. A rebuilt or reinstalled binary is another build, so
/// output compiled by an older compiler is never reused.
fn build_identity() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let meta = fs::metadata(&exe).ok()?;
    Some(format!("{} {} {} {}", env!("CARGO_PKG_VERSION"), meta.len(), nanos(meta.modified().ok()?)?, inode(&meta)))
}

/// Fingerprints of what tenants are compiled from.
pub struct Fingerprints {
    settings: Sha256,
}

impl Fingerprints {
    pub fn new(platform: &Platform) -> Self {
        let mut settings = Sha256::new();
        settings.update(platform.settings_text().as_bytes());
        settings.update([0]);
        Self { settings }
    }

    /// The fingerprint of a cell's inputs: the platform's settings, the cell, and its tenants.
    pub fn cell(&self, tenants: &[&Tenant], key: &str) -> String {
        let mut hasher = self.settings.clone();
        hasher.update(key.as_bytes());
        for tenant in tenants {
            hasher.update([0]);
            hasher.update(format!("{tenant:?}").as_bytes());
        }
        crate::plan::to_hex(&hasher.finalize())
    }

    /// The fingerprint of `tenant`'s inputs: the platform's settings and the tenant itself.
    pub fn tenant(&self, tenant: &Tenant) -> String {
        let mut hasher = self.settings.clone();
        hasher.update(format!("{tenant:?}").as_bytes());
        crate::plan::to_hex(&hasher.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_timestamps_get_the_wider_window() {
        assert_eq!(racy_window(5_000_000_000), 2_000_000_000);
        assert_eq!(racy_window(5_000_000_001), 100_000_000);
    }

    /// A record is trusted only once its file is older than the cache by the racy window.
    #[test]
    fn fresh_files_are_not_trusted_settled_ones_are() {
        let dir = tempfile::tempdir().unwrap();
        let (fresh, settled) = (dir.path().join("fresh.yaml"), dir.path().join("settled.yaml"));
        fs::write(&fresh, "a").unwrap();
        fs::write(&settled, "b").unwrap();
        // Stamped a second ahead, so no stall of this machine can make it look settled.
        let now = SystemTime::now();
        let second = std::time::Duration::from_secs(1);
        fs::File::options().write(true).open(&fresh).unwrap().set_modified(now + second).unwrap();
        fs::File::options().write(true).open(&settled).unwrap().set_modified(now - 5 * second).unwrap();

        let mut cache = NewCache::default();
        for (path, text) in [("fresh.yaml", "a"), ("settled.yaml", "b")] {
            let status = Status::of(&dir.path().join(path)).unwrap();
            cache.files.insert(path.into(), FileRecord { status, facts: ArtifactFacts::of(text) });
        }
        cache.save(dir.path()).unwrap();
        let loaded = Cache::load(dir.path());
        assert!(loaded.trusted(dir.path(), "fresh.yaml").is_none());
        assert!(loaded.trusted(dir.path(), "settled.yaml").is_some());
        // Any change of status withdraws the trust.
        fs::write(&settled, "c").unwrap();
        assert!(loaded.trusted(dir.path(), "settled.yaml").is_none());
    }
}
