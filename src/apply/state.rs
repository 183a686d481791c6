//! The journal: every step's hash, status and outputs, so a rerun skips what is done and
//! resumes what is not. Stored in `.tenancy/state.json` (rewritten atomically after each step)
//! or in a DynamoDB table when apply runs on AWS; both refuse a second apply while one runs.

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

/// The journal in a local directory: `state.json` and `lock`.
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

    async fn load(&self) -> Result<Journal, StateError> {
        let journal = self.read()?;
        *self.journal.lock().expect("journal lock") = Some(journal.clone());
        Ok(journal)
    }

    async fn record(&self, id: &StepId, record: &StepRecord) -> Result<(), StateError> {
        let mut guard = self.journal.lock().expect("journal lock");
        let journal = match guard.as_mut() {
            Some(journal) => journal,
            None => guard.insert(self.read()?),
        };
        journal.steps.insert(id.clone(), record.clone());
        fs::create_dir_all(&self.dir).map_err(Self::io("create", &self.dir))?;
        self.write(journal)
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
        let again = LocalState::new(dir.path()).load().await.unwrap();
        assert!(again.is_current(&StepId::new("a"), "h1"));
        assert!(!again.is_current(&StepId::new("a"), "h2"));
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec!["state.json"]);
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
    async fn a_corrupt_journal_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("state.json"), "{not json").unwrap();
        let err = LocalState::new(dir.path()).load().await.unwrap_err();
        assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
    }
}
