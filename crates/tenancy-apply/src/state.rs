//! The journal: every step's hash, status and outputs, so a rerun skips what is done and
//! resumes what is not. Locally it is `.tenancy/state.json` (a snapshot, replaced atomically)
//! and `.tenancy/journal.log` (one line appended and synced per finished step, so recording a
//! step costs the same in a fleet of ten thousand as in a fleet of ten); loading replays the log
//! over the snapshot, ignoring a torn last line, and compacts; a line in the middle that is not
//! a record is reported and set aside, never compacted away. On AWS it is a DynamoDB table.
//! Both lock by scope (`lock`): disjoint partial applies run at once, overlapping ones wait.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::lock::{Holder, LockGuard, LockScope, LockWait, utc};
use tenancy::plan::{Action, StepId};

pub const STATE_FORMAT: &str = "tenancy.state/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Applied,
    Failed,
    Removed,
}

/// What the journal knows of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub hash: String,
    pub status: Status,
    /// What the step did, so a step whose tenant left the blueprint can still be removed.
    pub action: Action,
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A digest of the values bound into the step when it ran (none without bindings): a step
    /// whose bound values changed (a replaced user pool client, a new image digest) runs again
    /// though its artifacts did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
    /// What the provider keeps for itself between runs (the Kubernetes provider: the objects
    /// it applied, which offboarding deletes), as structured data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<serde_json::Value>,
}

/// All records, by step id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub format: String,
    pub steps: BTreeMap<StepId, StepRecord>,
}

impl Journal {
    /// Whether `id` was applied with exactly `hash` (whatever was bound into it): what a step
    /// downstream needs of it.
    pub fn is_current(&self, id: &StepId, hash: &str) -> bool {
        self.steps.get(id).is_some_and(|r| r.status == Status::Applied && r.hash == hash)
    }

    /// Whether `id` was applied with exactly `hash` and the bound values of digest `inputs`:
    /// nothing to do for it.
    pub fn is_unchanged(&self, id: &StepId, hash: &str, inputs: Option<&str>) -> bool {
        self.is_current(id, hash) && self.steps.get(id).is_some_and(|r| r.inputs.as_deref() == inputs)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "another apply holds the lock on {store} for {part} ({holder}{}); it was still held after waiting {}s (--lock-timeout){}",
        .expires.map(|e| format!(", lease until {}", utc(e))).unwrap_or_default(),
        .waited.as_secs(),
        way_out(store, expires.is_some())
    )]
    Locked { store: String, part: String, holder: String, expires: Option<u64>, waited: Duration },
    #[error(
        "running processes hold locks on {store}, so none was removed (a local lock ends with its process: stop the apply instead):\n  - {}",
        .holders.join("\n  - ")
    )]
    Held { store: String, holders: Vec<String> },
    #[error("the lock on {store} is no longer held by this apply ({message}); another apply may have taken it over")]
    LockLost { store: String, message: String },
    #[error("cannot {action} {path}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a tenancy state file: {message}")]
    Corrupt { path: String, message: String },
    #[error("interrupted while reading the journal")]
    Interrupted,
    #[error("state table {table}: {message}")]
    Remote {
        table: String,
        message: String,
        /// Throttling, a 5xx, a dropped connection: trying again may work.
        transient: bool,
    },
}

impl StateError {
    /// Whether trying the same read or write again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StateError::Remote { transient: true, .. })
    }
}

/// What to do about a held lock: a lease outlives a dead holder, so it can be broken; a local
/// lock ends with its process, so its holder is alive.
fn way_out(store: &str, leased: bool) -> String {
    if leased {
        format!(
            ". If that apply is dead, `tenancy unlock --state {store}` shows the holders and `tenancy unlock --force --state {store}` removes them"
        )
    } else {
        ". A local lock ends with its process, so that apply is still running: wait for it, or stop it".into()
    }
}

/// Where the journal lives.
#[async_trait]
pub trait StateStore: Send + Sync {
    /// Takes the lock for `scope`, waiting up to `wait.timeout` while another apply holds an
    /// overlapping one; then fails with [`StateError::Locked`], naming the holder.
    async fn lock(&self, scope: &LockScope, wait: LockWait) -> Result<Box<dyn LockGuard>, StateError>;
    async fn load(&self) -> Result<Journal, StateError>;
    /// Records one step, durably, before the engine moves on; only while this store holds its
    /// lock (a store whose lock was lost refuses, so two applies never both write).
    async fn record(&self, id: &StepId, record: &StepRecord) -> Result<(), StateError>;
}

/// One line of `journal.log`.
#[derive(Debug, Serialize, Deserialize)]
struct LogEntry {
    id: StepId,
    record: StepRecord,
}

/// The journal in a local directory: `state.json`, `journal.log`, and the lock files `lock`
/// (the platform) and `lock.<part>`.
pub struct LocalState {
    dir: PathBuf,
    journal: Mutex<Option<Journal>>,
    /// What this store holds: [`UNLOCKED`], [`SHARED`] or [`EXCLUSIVE`].
    held: Arc<AtomicU8>,
}

const UNLOCKED: u8 = 0;
const SHARED: u8 = 1;
const EXCLUSIVE: u8 = 2;

impl LocalState {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), journal: Mutex::new(None), held: Arc::new(AtomicU8::new(UNLOCKED)) }
    }

    fn lock_path(&self, part: Option<&str>) -> PathBuf {
        match part {
            None => self.dir.join("lock"),
            Some(part) => self.dir.join(format!("lock.{}", part.replace([':', '/'], "_"))),
        }
    }

    fn open_lock(&self, path: &Path) -> Result<File, StateError> {
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(Self::io("open", path))
    }

    /// Takes one lock file, shared or exclusive, polling until `deadline`.
    async fn take(
        &self,
        path: &Path,
        exclusive: bool,
        wait: LockWait,
        started: tokio::time::Instant,
    ) -> Result<File, StateError> {
        let mut file = self.open_lock(path)?;
        loop {
            let attempt = if exclusive { file.try_lock() } else { file.try_lock_shared() };
            match attempt {
                Ok(()) => {
                    if exclusive {
                        file.set_len(0).map_err(Self::io("write", path))?;
                        writeln!(file, "pid {}", std::process::id()).map_err(Self::io("write", path))?;
                    }
                    return Ok(file);
                }
                Err(fs::TryLockError::WouldBlock) => {
                    let waited = started.elapsed();
                    if waited >= wait.timeout {
                        let holder = fs::read_to_string(path).unwrap_or_default().trim().to_owned();
                        return Err(StateError::Locked {
                            store: format!("local:{}", self.dir.display()),
                            part: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                            holder: if holder.is_empty() { "a partial apply".into() } else { holder },
                            expires: None,
                            waited,
                        });
                    }
                    tokio::time::sleep(wait.poll.min(wait.timeout - waited).max(Duration::from_millis(1))).await;
                }
                Err(fs::TryLockError::Error(err)) => return Err(Self::io("lock", path)(err)),
            }
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// The lock files (`lock`, `lock.<part>`), sorted.
    fn lock_files(&self) -> Result<Vec<PathBuf>, StateError> {
        let entries = match fs::read_dir(&self.dir) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            other => other.map_err(Self::io("list", &self.dir))?,
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(Self::io("list", &self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "lock" || name.starts_with("lock.") {
                files.push(entry.path());
            }
        }
        files.sort();
        Ok(files)
    }

    /// Every lock file and who holds it. A file names the last apply that held it exclusively;
    /// whether anyone still holds it is asked of the OS, which frees the lock of a process
    /// that ended, however it ended.
    pub fn holders(&self) -> Result<Vec<Holder>, StateError> {
        let mut holders = Vec::new();
        for path in self.lock_files()? {
            let file = self.open_lock(&path)?;
            let (live, kind) = match file.try_lock() {
                Ok(()) => (false, ""),
                Err(fs::TryLockError::WouldBlock) => match file.try_lock_shared() {
                    Ok(()) => (true, " (shared, by partial applies)"),
                    Err(_) => (true, ""),
                },
                Err(fs::TryLockError::Error(err)) => return Err(Self::io("lock", &path)(err)),
            };
            drop(file);
            let written = fs::read_to_string(&path).unwrap_or_default().trim().to_owned();
            holders.push(Holder {
                lock: format!("{}{kind}", path.display()),
                holder: if written.is_empty() { "a partial apply".into() } else { written },
                expires: None,
                live,
            });
        }
        Ok(holders)
    }

    /// Removes the lock files no running process holds, and returns who they named. A file a
    /// running apply holds is left alone and reported: breaking it would let a second apply
    /// run beside a live one, and it frees itself when that apply ends.
    pub fn unlock(&self) -> Result<Vec<Holder>, StateError> {
        let holders = self.holders()?;
        let live: Vec<String> = holders.iter().filter(|h| h.live).map(ToString::to_string).collect();
        if !live.is_empty() {
            return Err(StateError::Held { store: format!("local:{}", self.dir.display()), holders: live });
        }
        for path in self.lock_files()? {
            fs::remove_file(&path).map_err(Self::io("remove", &path))?;
        }
        Ok(holders)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("journal.log")
    }

    /// The snapshot with the log replayed over it (see [`replay`]).
    fn read_all(&self) -> Result<Replay, StateError> {
        let journal = self.read()?;
        let log = self.log_path();
        match fs::read(&log) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Replay { journal, unreadable: Vec::new() }),
            Err(err) => Err(Self::io("read", &log)(err)),
            Ok(bytes) => Ok(replay(journal, &bytes)),
        }
    }

    /// Copies the unreadable lines, byte for byte, to the first free `journal.log.unreadable-<n>`
    /// and syncs it: compaction may then drop them from the log without losing them.
    fn keep_unreadable(&self, unreadable: &[Unreadable]) -> Result<PathBuf, StateError> {
        let mut n = 1;
        let (path, mut file) = loop {
            let path = self.dir.join(format!("journal.log.unreadable-{n}"));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => break (path, file),
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
                Err(err) => return Err(Self::io("create", &path)(err)),
            }
        };
        for line in unreadable {
            file.write_all(&line.bytes).map_err(Self::io("write", &path))?;
            file.write_all(b"\n").map_err(Self::io("write", &path))?;
        }
        file.sync_all().map_err(Self::io("sync", &path))?;
        Ok(path)
    }

    fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StateError {
        let path = path.display().to_string();
        move |source| StateError::Io { action, path, source }
    }

    fn read(&self) -> Result<Journal, StateError> {
        let path = self.path();
        match fs::read(&path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                Ok(Journal { format: STATE_FORMAT.into(), steps: BTreeMap::new() })
            }
            Err(err) => Err(Self::io("read", &path)(err)),
            Ok(bytes) => {
                let journal: Journal = serde_json::from_slice(&bytes).map_err(|err| StateError::Corrupt {
                    path: path.display().to_string(),
                    message: err.to_string(),
                })?;
                if journal.format != STATE_FORMAT {
                    return Err(StateError::Corrupt {
                        path: path.display().to_string(),
                        message: format!("format {} is not {STATE_FORMAT}", journal.format),
                    });
                }
                Ok(journal)
            }
        }
    }

    fn remember(&self, journal: Journal) -> Result<Journal, StateError> {
        *self.journal.lock().expect("journal lock") = Some(journal.clone());
        Ok(journal)
    }

    /// Writes the journal to a temporary file beside it, syncs, and renames it into place: a
    /// crash leaves the old journal or the new one, never half of one.
    fn write(&self, journal: &Journal) -> Result<(), StateError> {
        let path = self.path();
        let temp = self.dir.join(format!(".state.json.{}.tmp", std::process::id()));
        let mut bytes = serde_json::to_vec_pretty(journal).expect("a journal serializes");
        bytes.push(b'\n');
        let mut file = File::create(&temp).map_err(Self::io("create", &temp))?;
        file.write_all(&bytes).map_err(Self::io("write", &temp))?;
        file.sync_all().map_err(Self::io("sync", &temp))?;
        fs::rename(&temp, &path).map_err(Self::io("replace", &path))
    }
}

/// Advisory locks on the lock files: the OS releases them when the process ends, however it
/// ends, so an interrupted apply never leaves a stale lock behind.
struct FileLock {
    files: Vec<File>,
    held: Arc<AtomicU8>,
}

#[async_trait]
impl LockGuard for FileLock {
    async fn release(self: Box<Self>) -> Result<(), StateError> {
        self.held.store(UNLOCKED, Ordering::SeqCst);
        drop(self.files);
        Ok(())
    }
}

#[async_trait]
impl StateStore for LocalState {
    async fn lock(&self, scope: &LockScope, wait: LockWait) -> Result<Box<dyn LockGuard>, StateError> {
        fs::create_dir_all(&self.dir).map_err(Self::io("create", &self.dir))?;
        let started = tokio::time::Instant::now();
        let mut files = vec![self.take(&self.lock_path(None), scope.is_platform(), wait, started).await?];
        if let LockScope::Parts(parts) = scope {
            // Sorted (a BTreeSet): two applies waiting on each other's parts cannot deadlock.
            for part in parts {
                files.push(self.take(&self.lock_path(Some(part)), true, wait, started).await?);
            }
        }
        self.held.store(if scope.is_platform() { EXCLUSIVE } else { SHARED }, Ordering::SeqCst);
        Ok(Box::new(FileLock { files, held: self.held.clone() }))
    }

    /// Loads and compacts: the merged journal becomes the snapshot, the log starts empty. A
    /// crash between the two leaves the log to be replayed again, which changes nothing. Only
    /// with the platform to itself: a partial apply running beside another must not truncate
    /// the log the other appends to.
    async fn load(&self) -> Result<Journal, StateError> {
        let Replay { journal, unreadable } = self.read_all()?;
        let log = self.log_path();
        let alone = match self.held.load(Ordering::SeqCst) {
            EXCLUSIVE => None,
            SHARED => {
                warn_unreadable(&log, &unreadable, None);
                return self.remember(journal);
            }
            _ if self.dir.exists() => {
                let file = self.open_lock(&self.lock_path(None))?;
                if file.try_lock().is_err() {
                    warn_unreadable(&log, &unreadable, None);
                    return self.remember(journal);
                }
                Some(file)
            }
            _ => None,
        };
        if log.exists() {
            fs::create_dir_all(&self.dir).map_err(Self::io("create", &self.dir))?;
            // What was not understood is set aside before the log that holds it is emptied.
            let kept = if unreadable.is_empty() { None } else { Some(self.keep_unreadable(&unreadable)?) };
            warn_unreadable(&log, &unreadable, kept.as_deref());
            self.write(&journal)?;
            File::create(&log).map_err(Self::io("truncate", &log))?.sync_all().map_err(Self::io("sync", &log))?;
        }
        drop(alone);
        self.remember(journal)
    }

    async fn record(&self, id: &StepId, record: &StepRecord) -> Result<(), StateError> {
        if self.held.load(Ordering::SeqCst) == UNLOCKED {
            return Err(StateError::LockLost {
                store: self.dir.display().to_string(),
                message: format!("recording {id} without holding the lock"),
            });
        }
        let _guard = self.journal.lock().expect("journal lock");
        fs::create_dir_all(&self.dir).map_err(Self::io("create", &self.dir))?;
        let log = self.log_path();
        let mut line = serde_json::to_vec(&LogEntry { id: id.clone(), record: record.clone() }).expect("serializes");
        line.push(b'\n');
        let mut file =
            OpenOptions::new().create(true).read(true).append(true).open(&log).map_err(Self::io("open", &log))?;
        // After a crash mid-append the log ends in a torn line; a record glued to it would be
        // unreadable too, so it starts on a line of its own.
        if !ends_with_newline(&mut file).map_err(Self::io("read", &log))? {
            line.insert(0, b'\n');
        }
        file.write_all(&line).map_err(Self::io("append to", &log))?;
        file.sync_data().map_err(Self::io("sync", &log))
    }
}

/// The journal a log replays to, and the lines of the log it could not read.
#[derive(Debug)]
struct Replay {
    journal: Journal,
    unreadable: Vec<Unreadable>,
}

/// A complete line of `journal.log` that is not a record: kept, reported, never dropped.
#[derive(Debug, PartialEq, Eq)]
struct Unreadable {
    /// 1-based.
    line: usize,
    bytes: Vec<u8>,
    reason: String,
}

/// Replays the log's lines over `journal`, each record replacing what came before for its
/// step. A complete line that is not a record (garbage, NUL bytes) is skipped and returned,
/// and every record after it still counts. Only the last line can be torn (a crash
/// mid-append, no newline yet): it is ignored silently, and its step runs again. Blank lines
/// are what two appenders repairing the same torn line leave, and mean nothing.
fn replay(mut journal: Journal, log: &[u8]) -> Replay {
    let mut unreadable = Vec::new();
    for (index, line) in log.split_inclusive(|b| *b == b'\n').enumerate() {
        let Some(line) = line.strip_suffix(b"\n") else { break };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<LogEntry>(line) {
            Ok(entry) => {
                journal.steps.insert(entry.id, entry.record);
            }
            Err(err) => unreadable.push(Unreadable { line: index + 1, bytes: line.to_vec(), reason: err.to_string() }),
        }
    }
    Replay { journal, unreadable }
}

/// Lines shown of many unreadable ones: the rest are counted.
const SHOWN_UNREADABLE: usize = 10;

/// The warnings for `unreadable`, one a line: which line of `log`, why, and where it is kept
/// (`kept`: the file it was moved to; none: still in the log).
fn unreadable_warnings(log: &Path, unreadable: &[Unreadable], kept: Option<&Path>) -> Vec<String> {
    let place = match kept {
        Some(path) => format!("moved to {}", path.display()),
        None => "left in the log".to_owned(),
    };
    let mut warnings: Vec<String> = unreadable
        .iter()
        .take(SHOWN_UNREADABLE)
        .map(|u| {
            format!(
                "{} line {} is not a journal record ({}); skipped it, {place}: the step it recorded, if any, runs again",
                log.display(),
                u.line,
                u.reason
            )
        })
        .collect();
    if unreadable.len() > SHOWN_UNREADABLE {
        warnings.push(format!(
            "{}: {} more lines are not journal records, {place}",
            log.display(),
            unreadable.len() - SHOWN_UNREADABLE
        ));
    }
    warnings
}

/// Prints the warnings for `unreadable` at this IO edge, once per load that finds them.
fn warn_unreadable(log: &Path, unreadable: &[Unreadable], kept: Option<&Path>) {
    for warning in unreadable_warnings(log, unreadable, kept) {
        eprintln!("warning: {warning}");
    }
}

/// Whether `file` is empty or ends in a newline.
fn ends_with_newline(file: &mut File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    if file.metadata()?.len() == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Selection;

    fn record(hash: &str) -> StepRecord {
        StepRecord {
            state: None,
            hash: hash.into(),
            status: Status::Applied,
            action: Action::Register { table: "t".into(), tenant: "a".into(), tier: "x".into(), domain: "d".into() },
            outputs: BTreeMap::from([("K".to_owned(), "V".to_owned())]),
            error: None,
            inputs: None,
        }
    }

    fn scope(selection: &str) -> LockScope {
        LockScope::of(&selection.parse::<Selection>().unwrap())
    }

    /// No waiting: a held lock is refused at once.
    const NOW: LockWait = LockWait { timeout: Duration::ZERO, poll: Duration::from_millis(10) };

    #[tokio::test]
    async fn records_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let state = LocalState::new(dir.path());
        let lock = state.lock(&LockScope::Platform, NOW).await.unwrap();
        assert!(state.load().await.unwrap().steps.is_empty());
        state.record(&StepId::new("a"), &record("h1")).await.unwrap();
        state.record(&StepId::new("b"), &record("h2")).await.unwrap();
        state.record(&StepId::new("a"), &record("h3")).await.unwrap();
        lock.release().await.unwrap();
        let again = LocalState::new(dir.path()).load().await.unwrap();
        assert!(again.is_current(&StepId::new("a"), "h3"), "the last record of a step wins");
        assert!(again.is_current(&StepId::new("b"), "h2"));
        // Loading compacted the log into the snapshot.
        assert_eq!(fs::read_to_string(dir.path().join("journal.log")).unwrap(), "");
        assert_eq!(LocalState::new(dir.path()).load().await.unwrap(), again);
        let mut leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        leftovers.sort();
        assert_eq!(leftovers, vec!["journal.log", "lock", "state.json"]);
    }

    #[tokio::test]
    async fn recording_without_the_lock_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = LocalState::new(dir.path());
        let err = state.record(&StepId::new("a"), &record("h1")).await.unwrap_err();
        assert!(matches!(err, StateError::LockLost { .. }), "{err}");
        let lock = state.lock(&LockScope::Platform, NOW).await.unwrap();
        state.record(&StepId::new("a"), &record("h1")).await.unwrap();
        lock.release().await.unwrap();
        assert!(state.record(&StepId::new("a"), &record("h2")).await.is_err(), "released: no more writes");
    }

    #[tokio::test]
    async fn a_second_lock_is_refused_until_the_first_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = LocalState::new(dir.path()).lock(&LockScope::Platform, NOW).await.unwrap();
        let err = LocalState::new(dir.path()).lock(&LockScope::Platform, NOW).await.err().expect("locked");
        assert!(err.to_string().contains("another apply holds the lock"), "{err}");
        assert!(err.to_string().contains(&format!("pid {}", std::process::id())), "names the holder: {err}");
        first.release().await.unwrap();
        LocalState::new(dir.path()).lock(&LockScope::Platform, NOW).await.unwrap();
    }

    #[tokio::test]
    async fn disjoint_parts_are_held_at_once_and_overlapping_ones_exclude() {
        let dir = tempfile::tempdir().unwrap();
        let one = LocalState::new(dir.path()).lock(&scope("shard:1/8"), NOW).await.unwrap();
        let two = LocalState::new(dir.path()).lock(&scope("shard:2/8"), NOW).await.unwrap();
        let step = LocalState::new(dir.path()).lock(&scope("step:baseline/cluster"), NOW).await.unwrap();
        let err = LocalState::new(dir.path()).lock(&scope("shard:1/8"), NOW).await.err().expect("shard 1 is held");
        assert!(err.to_string().contains("shard_1_8"), "{err}");
        let err = LocalState::new(dir.path()).lock(&LockScope::Platform, NOW).await.err().expect("parts are held");
        assert!(matches!(err, StateError::Locked { .. }), "{err}");
        for guard in [one, two, step] {
            guard.release().await.unwrap();
        }
        let all = LocalState::new(dir.path()).lock(&LockScope::Platform, NOW).await.unwrap();
        assert!(LocalState::new(dir.path()).lock(&scope("shard:3/8"), NOW).await.is_err(), "all excludes parts");
        all.release().await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_second_apply_waits_for_the_lock_up_to_its_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let first = LocalState::new(dir.path()).lock(&scope("tenant:acme"), NOW).await.unwrap();
        let wait = LockWait { timeout: Duration::from_secs(30), poll: Duration::from_secs(1) };
        let started = tokio::time::Instant::now();
        let path = dir.path().to_owned();
        let second = tokio::spawn(async move { LocalState::new(path).lock(&scope("tenant:acme"), wait).await.is_ok() });
        tokio::time::sleep(Duration::from_secs(5)).await;
        first.release().await.unwrap();
        assert!(second.await.unwrap(), "the waiting apply gets the lock once it is released");
        assert!(started.elapsed() < Duration::from_secs(7));

        let _held = LocalState::new(dir.path()).lock(&scope("tenant:acme"), NOW).await.unwrap();
        let started = tokio::time::Instant::now();
        let err = LocalState::new(dir.path()).lock(&scope("tenant:acme"), wait).await.err().expect("still held");
        assert_eq!(started.elapsed(), Duration::from_secs(30), "waits exactly the timeout");
        assert!(err.to_string().contains("after waiting 30s"), "{err}");
    }

    #[tokio::test]
    async fn a_torn_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let state = LocalState::new(dir.path());
        let lock = state.lock(&LockScope::Platform, NOW).await.unwrap();
        state.record(&StepId::new("a"), &record("h1")).await.unwrap();
        lock.release().await.unwrap();
        let mut log = OpenOptions::new().append(true).open(dir.path().join("journal.log")).unwrap();
        log.write_all(br#"{"id":"b","record":{"hash":"#).unwrap();
        let journal = LocalState::new(dir.path()).load().await.unwrap();
        assert!(journal.is_current(&StepId::new("a"), "h1"));
        assert!(!journal.steps.contains_key(&StepId::new("b")));
    }

    fn line(id: &str, hash: &str) -> String {
        serde_json::to_string(&LogEntry { id: StepId::new(id), record: record(hash) }).unwrap() + "\n"
    }

    /// Fault 3b: garbage or NUL bytes in the middle of the log stopped the replay there, and
    /// compaction then dropped every later record.
    #[test]
    fn replay_skips_each_unreadable_line_and_keeps_every_record_after_it() {
        let (a, b, c) = (line("a", "h1"), line("b", "h2"), line("c", "h3"));
        let nul = String::from_utf8(vec![0; 64]).unwrap();
        for (log, applied, unreadable) in [
            (format!("{a}{b}{c}"), vec!["a", "b", "c"], vec![]),
            (format!("{a}garbage\n{b}{c}"), vec!["a", "b", "c"], vec![2]),
            (format!("{a}{nul}\n{b}{nul}{c}"), vec!["a", "b"], vec![2, 4]),
            (format!("{a}{{\"id\":\"x\"}}\n{b}not json\n{c}"), vec!["a", "b", "c"], vec![2, 4]),
            // The torn last line (a crash mid-append) is silent; a blank line means nothing.
            (format!("{a}\n{b}{}", &c[..10]), vec!["a", "b"], vec![]),
            (format!("{a}\u{fffd}\n{b}"), vec!["a", "b"], vec![2]),
        ] {
            let replayed = replay(Journal::default(), log.as_bytes());
            let steps: Vec<&str> = replayed.journal.steps.keys().map(StepId::as_str).collect();
            assert_eq!(steps, applied, "{log:?}");
            let lines: Vec<usize> = replayed.unreadable.iter().map(|u| u.line).collect();
            assert_eq!(lines, unreadable, "{log:?}");
        }
        // Bytes that are not even UTF-8 are a line like any other.
        let mut log = a.clone().into_bytes();
        log.extend_from_slice(b"\xff\xfe\n");
        log.extend_from_slice(b.as_bytes());
        let replayed = replay(Journal::default(), &log);
        assert_eq!(replayed.journal.steps.len(), 2);
        assert_eq!(replayed.unreadable[0].bytes, b"\xff\xfe");
    }

    #[test]
    fn warnings_name_the_file_the_line_and_where_it_went() {
        let unreadable = |line| Unreadable { line, bytes: b"x".to_vec(), reason: "expected value".into() };
        let log = Path::new("/s/journal.log");
        let warnings = unreadable_warnings(log, &[unreadable(6)], Some(Path::new("/s/journal.log.unreadable-1")));
        assert_eq!(
            warnings,
            ["/s/journal.log line 6 is not a journal record (expected value); skipped it, moved to \
              /s/journal.log.unreadable-1: the step it recorded, if any, runs again"]
        );
        let many: Vec<Unreadable> = (1..=13).map(unreadable).collect();
        let warnings = unreadable_warnings(log, &many, None);
        assert_eq!(warnings.len(), SHOWN_UNREADABLE + 1);
        assert_eq!(warnings[10], "/s/journal.log: 3 more lines are not journal records, left in the log");
    }

    #[tokio::test]
    async fn compaction_sets_unreadable_lines_aside_and_keeps_the_records_after_them() {
        let dir = tempfile::tempdir().unwrap();
        let nul = String::from_utf8(vec![0; 64]).unwrap();
        let log = format!("{}garbage\n{}{nul}\n{}", line("a", "h1"), line("b", "h2"), line("c", "h3"));
        fs::write(dir.path().join("journal.log"), &log).unwrap();
        let journal = LocalState::new(dir.path()).load().await.unwrap();
        for (id, hash) in [("a", "h1"), ("b", "h2"), ("c", "h3")] {
            assert!(journal.is_current(&StepId::new(id), hash), "{id}");
        }
        assert_eq!(fs::read_to_string(dir.path().join("journal.log")).unwrap(), "", "compacted");
        assert_eq!(LocalState::new(dir.path()).read().unwrap(), journal, "the snapshot holds every record");
        let kept = fs::read_to_string(dir.path().join("journal.log.unreadable-1")).unwrap();
        assert_eq!(kept, format!("garbage\n{nul}\n"), "nothing that was not understood is lost");

        // Another bad log later: another file, the first one untouched.
        fs::write(dir.path().join("journal.log"), "more garbage\n").unwrap();
        LocalState::new(dir.path()).load().await.unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("journal.log.unreadable-2")).unwrap(), "more garbage\n");
        assert_eq!(fs::read_to_string(dir.path().join("journal.log.unreadable-1")).unwrap(), kept);
    }

    #[tokio::test]
    async fn a_record_after_a_torn_line_starts_a_line_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("journal.log"), format!("{}{}", line("a", "h1"), &line("b", "h2")[..12])).unwrap();
        let state = LocalState::new(dir.path());
        let lock = state.lock(&scope("shard:1/8"), NOW).await.unwrap();
        state.record(&StepId::new("c"), &record("h3")).await.unwrap();
        lock.release().await.unwrap();
        let replayed = replay(Journal::default(), &fs::read(dir.path().join("journal.log")).unwrap());
        assert!(replayed.journal.is_current(&StepId::new("c"), "h3"), "not glued to the torn line");
        assert_eq!(replayed.unreadable.len(), 1, "the torn line, now in the middle, is reported");
    }

    #[tokio::test]
    async fn a_partial_apply_never_compacts_the_log_another_appends_to() {
        let dir = tempfile::tempdir().unwrap();
        let writer = LocalState::new(dir.path());
        let one = writer.lock(&scope("shard:1/8"), NOW).await.unwrap();
        writer.record(&StepId::new("tenant/a/stack"), &record("h1")).await.unwrap();
        let reader = LocalState::new(dir.path());
        let two = reader.lock(&scope("shard:2/8"), NOW).await.unwrap();
        assert!(reader.load().await.unwrap().is_current(&StepId::new("tenant/a/stack"), "h1"));
        assert_ne!(
            fs::read_to_string(dir.path().join("journal.log")).unwrap(),
            "",
            "not compacted under a shared lock"
        );
        writer.record(&StepId::new("tenant/a/k8s"), &record("h2")).await.unwrap();
        one.release().await.unwrap();
        two.release().await.unwrap();
        let journal = LocalState::new(dir.path()).load().await.unwrap();
        assert_eq!(journal.steps.len(), 2, "nothing lost");
    }

    /// Fault 2d: a refused apply was told neither how long nor how to recover.
    #[tokio::test]
    async fn a_held_lock_names_the_way_out() {
        let leased = StateError::Locked {
            store: "dynamodb:t".into(),
            part: "the platform".into(),
            holder: "host:a:pid1:0000beef".into(),
            expires: Some(1_796_083_200),
            waited: Duration::from_secs(600),
        };
        assert_eq!(
            leased.to_string(),
            "another apply holds the lock on dynamodb:t for the platform (host:a:pid1:0000beef, lease until \
             2026-12-01T00:00:00Z); it was still held after waiting 600s (--lock-timeout). If that apply is dead, \
             `tenancy unlock --state dynamodb:t` shows the holders and `tenancy unlock --force --state dynamodb:t` \
             removes them"
        );
        let dir = tempfile::tempdir().unwrap();
        let _held = LocalState::new(dir.path()).lock(&LockScope::Platform, NOW).await.unwrap();
        let err = LocalState::new(dir.path()).lock(&LockScope::Platform, NOW).await.err().expect("held");
        let text = err.to_string();
        assert!(text.contains(&format!("on local:{} for lock", dir.path().display())), "{text}");
        assert!(
            text.ends_with(
                "A local lock ends with its process, so that apply is still running: wait for it, or stop it"
            ),
            "{text}"
        );
    }

    #[tokio::test]
    async fn unlock_lists_the_holders_and_removes_only_locks_no_process_holds() {
        let dir = tempfile::tempdir().unwrap();
        let state = LocalState::new(dir.path());
        assert_eq!(state.holders().unwrap(), [], "no state directory: no locks");
        let shard = LocalState::new(dir.path()).lock(&scope("shard:1/8"), NOW).await.unwrap();
        let pid = format!("pid {}", std::process::id());
        let shown: Vec<(String, String, bool)> = state
            .holders()
            .unwrap()
            .into_iter()
            .map(|h| (h.lock.rsplit('/').next().unwrap().to_owned(), h.holder, h.live))
            .collect();
        assert_eq!(
            shown,
            [
                ("lock (shared, by partial applies)".to_owned(), "a partial apply".to_owned(), true),
                ("lock.shard_1_8".to_owned(), pid.clone(), true),
            ]
        );
        let err = state.unlock().unwrap_err();
        assert!(matches!(err, StateError::Held { .. }) && err.to_string().contains(&pid), "{err}");
        assert!(dir.path().join("lock.shard_1_8").exists(), "a running apply's lock is never broken");

        shard.release().await.unwrap();
        let holders = state.holders().unwrap();
        assert!(holders.iter().all(|h| !h.live), "the process released them: {holders:?}");
        assert_eq!(
            holders[1].to_string(),
            format!("{}: {pid}, not held (its process has ended)", dir.path().join("lock.shard_1_8").display())
        );
        assert_eq!(state.unlock().unwrap().len(), 2);
        assert_eq!(state.holders().unwrap(), [], "the stale files are gone");
        LocalState::new(dir.path()).lock(&LockScope::Platform, NOW).await.unwrap();
    }

    #[tokio::test]
    async fn a_corrupt_journal_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("state.json"), "{not json").unwrap();
        let err = LocalState::new(dir.path()).load().await.unwrap_err();
        assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
    }
}
