//! Where the engine reads a step's artifacts: when the step starts, one step at a time, so an
//! apply of a 10,000-tenant plan holds the text of at most `concurrency` steps, never the fleet's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tenancy::plan::{ArtifactFacts, LoadError, LoadedPlan, StoredPlan, hex_digest};

use crate::provider::StepError;

/// The artifacts of a plan, read by path (relative to the output directory).
pub trait Artifacts: Send + Sync {
    /// The text of the artifact at `path`; a failure of its step when it cannot be read or is
    /// not the artifact the plan was made from.
    fn read(&self, path: &str) -> Result<String, StepError>;
}

/// Artifacts in memory (tests and callers that compiled them).
impl Artifacts for BTreeMap<String, String> {
    fn read(&self, path: &str) -> Result<String, StepError> {
        self.get(path).cloned().ok_or_else(|| StepError::fatal(format!("artifact {path} is missing")))
    }
}

/// Artifacts on disk, each checked when read against the digest the plan was loaded with: a
/// file changed between loading the plan and starting its step is refused, not applied.
#[derive(Debug, Clone)]
pub struct ArtifactDir {
    dir: PathBuf,
    digests: BTreeMap<String, String>,
}

impl ArtifactDir {
    pub fn new(dir: &Path, facts: &BTreeMap<String, ArtifactFacts>) -> Self {
        Self { dir: dir.to_path_buf(), digests: facts.iter().map(|(p, f)| (p.clone(), f.sha256.clone())).collect() }
    }
}

impl Artifacts for ArtifactDir {
    fn read(&self, path: &str) -> Result<String, StepError> {
        let Some(wanted) = self.digests.get(path) else {
            return Err(StepError::fatal(format!("artifact {path} is not one of the plan's")));
        };
        let full = self.dir.join(path);
        let text = std::fs::read_to_string(&full)
            .map_err(|err| StepError::fatal(format!("cannot read {}: {err}", full.display())))?;
        let actual = hex_digest(text.as_bytes());
        if &actual != wanted {
            return Err(StepError::fatal(format!(
                "{} changed after the plan was loaded (sha256 {wanted} then, {actual} now): run `tenancy synth`, \
                 review the diff, and apply again",
                full.display()
            )));
        }
        Ok(text)
    }
}

/// Reads the plan in `dir` (`plan.json`) and digests every artifact it names, dropping each
/// file's text once digested; the plan is then checked against the recorded step hashes (the
/// core's pure [`StoredPlan::into_plan`]).
pub fn load_plan(dir: &Path) -> Result<LoadedPlan, LoadError> {
    let path = dir.join(tenancy::contract::paths::PLAN);
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Read { path: shown.clone(), source })?;
    let stored = StoredPlan::parse(&shown, &text)?;
    let mut facts = BTreeMap::new();
    for artifact in stored.artifact_paths() {
        let full = dir.join(artifact);
        let bytes = std::fs::read_to_string(&full)
            .map_err(|source| LoadError::Read { path: full.display().to_string(), source })?;
        facts.insert(artifact.to_owned(), ArtifactFacts::of(&bytes));
    }
    stored.into_plan(facts, hex_digest(text.as_bytes()))
}
