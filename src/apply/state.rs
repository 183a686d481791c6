//! The journal: every step's hash, status and outputs, so a rerun skips what is done and
//! resumes what is not. Locally it is `.tenancy/state.json` (a snapshot, replaced atomically)
//! and `.tenancy/journal.log` (one line appended and synced per finished step, so recording a
//! step costs the same in a fleet of ten thousand as in a fleet of ten); loading replays the log
//! over the snapshot, ignoring a torn last line, and compacts. On AWS it is a DynamoDB table.
//! Both refuse a second apply while one runs.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

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
}

/// All records, by step id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub format: String,
    pub steps: BTreeMap<StepId, StepRecord>,
}

impl Journal {
    /// Whether `id` was applied with exactly `hash`.
    pub fn is_current(&self, id: &StepId, hash: &str) -> bool {
        self.steps.get(id).is_some_and(|r| r.status == Status::Applied && r.hash == hash)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("another apply holds the lock on {store} ({holder}); wait for it to finish")]
    Locked { store: String, holder: String },
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

/// Held while an apply runs; dropping it releases the lock.
pub trait LockGuard: Send + Sync {}

/// Where the journal lives.
#[async_trait]
pub trait StateStore: Send + Sync {
    /// Takes the apply lock, or fails with [`StateError::Locked`].
    async fn lock(&self) -> Result<Box<dyn LockGuard>, StateError>;
    async fn load(&self) -> Result<Journal, StateError>;
    /// Records one step, durably, before the engine moves on.
    async fn record(&self, id: &StepId, record: &StepRecord) -> Result<(), StateError>;
}

/// One line of `journal.log`.
#[derive(Debug, Serialize, Deserialize)]
struct LogEntry {
    id: StepId,
    record: StepRecord,
}

/// The journal in a local directory: `state.json`, `journal.log` and `lock`.
pub struct LocalState {
    dir: PathBuf,
    journal: Mutex<Option<Journal>>,
}

impl LocalState {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), journal: Mutex::new(None) }
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

/// An advisory lock on `<dir>/lock`: the OS releases it when the process ends, however it ends,
/// so an interrupted apply never leaves a stale lock behind.
struct FileLock {
    _file: File,
}

impl LockGuard for FileLock {}

#[async_trait]
impl StateStore for LocalState {
    async fn lock(&self) -> Result<Box<dyn LockGuard>, StateError> {
        fs::create_dir_all(&self.dir).map_err(Self::io("create", &self.dir))?;
        let path = self.dir.join("lock");
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(Self::io("open", &path))?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0).map_err(Self::io("write", &path))?;
                writeln!(file, "pid {}", std::process::id()).map_err(Self::io("write", &path))?;
                Ok(Box::new(FileLock { _file: file }))
            }
            Err(fs::TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(&path).unwrap_or_default().trim().to_owned();
                Err(StateError::Locked { store: path.display().to_string(), holder })
            }
            Err(fs::TryLockError::Error(err)) => Err(Self::io("lock", &path)(err)),
        }
    }

    /// Loads and compacts: the merged journal becomes the snapshot, the log starts empty. A
    /// crash between the two leaves the log to be replayed again, which changes nothing.
    async fn load(&self) -> Result<Journal, StateError> {
        let journal = self.read_all()?;
        let log = self.log_path();
        if log.exists() {
            fs::create_dir_all(&self.dir).map_err(Self::io("create", &self.dir))?;
            self.write(&journal)?;
            File::create(&log).map_err(Self::io("truncate", &log))?.sync_all().map_err(Self::io("sync", &log))?;
        }
        *self.journal.lock().expect("journal lock") = Some(journal.clone());
        Ok(journal)
    }

    async fn record(&self, id: &StepId, record: &StepRecord) -> Result<(), StateError> {
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

    fn record(hash: &str) -> StepRecord {
        StepRecord {
            hash: hash.into(),
            status: Status::Applied,
            action: Action::Register { table: "t".into(), tenant: "a".into(), tier: "x".into() },
            outputs: BTreeMap::from([("K".to_owned(), "V".to_owned())]),
            error: None,
        }
    }

    #[tokio::test]
    async fn records_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let state = LocalState::new(dir.path());
        assert!(state.load().await.unwrap().steps.is_empty());
        state.record(&StepId::new("a"), &record("h1")).await.unwrap();
        state.record(&StepId::new("b"), &record("h2")).await.unwrap();
        state.record(&StepId::new("a"), &record("h3")).await.unwrap();
        let again = LocalState::new(dir.path()).load().await.unwrap();
        assert!(again.is_current(&StepId::new("a"), "h3"), "the last record of a step wins");
        assert!(again.is_current(&StepId::new("b"), "h2"));
        // Loading compacted the log into the snapshot.
        assert_eq!(fs::read_to_string(dir.path().join("journal.log")).unwrap(), "");
        assert_eq!(LocalState::new(dir.path()).load().await.unwrap(), again);
        let mut leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        leftovers.sort();
        assert_eq!(leftovers, vec!["journal.log", "state.json"]);
    }

    #[tokio::test]
    async fn a_second_lock_is_refused_until_the_first_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = LocalState::new(dir.path()).lock().await.unwrap();
        let err = LocalState::new(dir.path()).lock().await.err().expect("locked");
        assert!(err.to_string().contains("another apply holds the lock"), "{err}");
        drop(first);
        LocalState::new(dir.path()).lock().await.unwrap();
    }

    #[tokio::test]
    async fn a_torn_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let state = LocalState::new(dir.path());
        state.record(&StepId::new("a"), &record("h1")).await.unwrap();
        let mut log = OpenOptions::new().append(true).open(dir.path().join("journal.log")).unwrap();
        log.write_all(br#"{"id":"b","record":{"hash":"#).unwrap();
        let journal = LocalState::new(dir.path()).load().await.unwrap();
        assert!(journal.is_current(&StepId::new("a"), "h1"));
        assert!(!journal.steps.contains_key(&StepId::new("b")));
    }

    #[tokio::test]
    async fn a_corrupt_journal_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("state.json"), "{not json").unwrap();
        let err = LocalState::new(dir.path()).load().await.unwrap_err();
        assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
    }
}
