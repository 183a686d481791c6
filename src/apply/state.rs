//! The journal: every step's hash, status and outputs, so a rerun skips what is done and
//! resumes what is not. Locally it is `.tenancy/state.json` (a snapshot, replaced atomically)
//! and `.tenancy/journal.log` (one line appended and synced per finished step, so recording a
//! step costs the same in a fleet of ten thousand as in a fleet of ten); loading replays the log
//! over the snapshot, ignoring a torn last line, and compacts. On AWS it is a DynamoDB table.
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

use super::lock::{LockGuard, LockScope, LockWait, utc};
use crate::plan::{Action, StepId};

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
        "another apply holds the lock on {store} for {part} ({holder}{}); it was still held after waiting {}s (--lock-timeout)",
        .expires.map(|e| format!(", lease until {}", utc(e))).unwrap_or_default(),
        .waited.as_secs()
    )]
    Locked { store: String, part: String, holder: String, expires: Option<u64>, waited: Duration },
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
    #[error("state table {table}: {message}")]
    Remote { table: String, message: String },
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
                            store: self.dir.display().to_string(),
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

    fn log_path(&self) -> PathBuf {
        self.dir.join("journal.log")
    }

    /// The snapshot with the log replayed over it. A line that does not parse ends the replay:
    /// only the last line can be torn (a crash mid-append), and its step simply runs again.
    fn read_all(&self) -> Result<Journal, StateError> {
        let mut journal = self.read()?;
        let log = self.log_path();
        match fs::read_to_string(&log) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(Self::io("read", &log)(err)),
            Ok(text) => {
                for line in text.split_inclusive('\n') {
                    let Some(line) = line.strip_suffix('\n') else { break };
                    let Ok(entry) = serde_json::from_str::<LogEntry>(line) else { break };
                    journal.steps.insert(entry.id, entry.record);
                }
            }
        }
        Ok(journal)
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
        let journal = self.read_all()?;
        let log = self.log_path();
        let alone = match self.held.load(Ordering::SeqCst) {
            EXCLUSIVE => None,
            SHARED => return self.remember(journal),
            _ if self.dir.exists() => {
                let file = self.open_lock(&self.lock_path(None))?;
                if file.try_lock().is_err() {
                    return self.remember(journal);
                }
                Some(file)
            }
            _ => None,
        };
        if log.exists() {
            fs::create_dir_all(&self.dir).map_err(Self::io("create", &self.dir))?;
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
        let mut file = OpenOptions::new().create(true).append(true).open(&log).map_err(Self::io("open", &log))?;
        file.write_all(&line).map_err(Self::io("append to", &log))?;
        file.sync_data().map_err(Self::io("sync", &log))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::Selection;

    fn record(hash: &str) -> StepRecord {
        StepRecord {
            hash: hash.into(),
            status: Status::Applied,
            action: Action::Register { table: "t".into(), tenant: "a".into(), tier: "x".into() },
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

    #[tokio::test]
    async fn a_corrupt_journal_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("state.json"), "{not json").unwrap();
        let err = LocalState::new(dir.path()).load().await.unwrap_err();
        assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
    }
}
