//! Writing artifacts to disk, and checking that a directory holds exactly them.
//!
//! [`synthesize`] streams a platform to disk: the platform's own artifacts first, then every
//! tenant on every core, each file compared with the tree and staged only if it changed, its
//! bytes dropped once its digest is taken; then the plan, built from the digests. A tenant whose
//! inputs and files are unchanged since the last synth (see `cache`) is not compiled at all.
//! Nothing in the tree changes until everything has compiled and planned; then changed files
//! are renamed into place and files no longer produced are removed. Files whose bytes do not
//! change are not touched, so their modification times stay.
//!
//! [`write()`] and [`check()`] do the same for artifacts already in memory. Synth refuses to write
//! into a non-empty directory it did not write (no marker file).

mod cache;
mod output;

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use cache::{Fingerprints, TenantRecord};
pub use cache::{location as cache_location, racy_window};
use output::{Mode, Output, Produced};

use crate::compile::{self, Artifact, CompileError, Customizations};
use crate::model::Platform;
use crate::plan::{self, DeployPlan, PlanError};

/// The file that marks a directory as synth's own output, safe to replace.
pub const MARKER: &str = ".tenancy-synth";
const MARKER_CONTENTS: &str = "This directory is written by `tenancy synth`; edits are overwritten.\n";

/// Why synth could not write or check an output directory. The tree is left as it was,
/// except for an [`SynthError::Io`] error while committing.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// Writing was refused: the directory is not empty and holds no [`MARKER`].
    #[error(
        "{dir} is not empty and was not written by tenancy synth (it has no {MARKER} file); refusing to replace it — choose another --out or empty it"
    )]
    Foreign {
        /// The output directory, as given.
        dir: String,
    },
    /// An artifact path is empty or has a component other than a plain name (`..`, `.`, a
    /// root or a prefix), so it could land outside the output directory.
    #[error("artifact path `{0}` is not a plain relative path")]
    BadPath(String),
    /// Two artifacts have the same path.
    #[error("artifact path `{0}` is produced twice")]
    Duplicate(String),
    /// A file system operation failed.
    #[error("cannot {action} {path}")]
    Io {
        /// What was being done, as a verb phrase: `read`, `write`, `create`, `remove`, ...
        action: &'static str,
        /// The file or directory it was done to.
        path: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Compiling the platform failed (a compiler bug: the platform was validated).
    #[error("while compiling the platform")]
    Compile(#[from] CompileError),
    /// The steps of the compiled platform do not form a valid plan.
    #[error("while planning the deployment")]
    Plan(#[from] PlanError),
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SynthError {
    let path = path.display().to_string();
    move |source| SynthError::Io { action, path, source }
}

/// What writing did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files in the output, and their bytes.
    pub files: usize,
    /// Total size of those files, in bytes.
    pub bytes: u64,
    /// Files written because they were new or changed, and files removed, sorted.
    pub written: Vec<String>,
    /// Paths (relative to the output directory) of the files removed because nothing produces
    /// them any more, sorted.
    pub removed: Vec<String>,
    /// Something the person running synth should know (the cache could not be saved).
    pub note: Option<String>,
}

/// How a directory differs from what synth would write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staleness {
    /// Files synth would write that the directory lacks, in the order they are produced.
    pub missing: Vec<String>,
    /// Files in the directory that synth would not write (it would remove them).
    pub extra: Vec<String>,
    /// Files in both whose bytes differ, in the order they are produced.
    pub differing: Vec<String>,
}

impl Staleness {
    /// Whether the directory holds exactly what synth would write: nothing missing, extra or
    /// differing.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.differing.is_empty()
    }
}

/// A platform synthesized into a directory.
#[derive(Debug)]
pub struct Synthesis {
    /// The deploy plan written as `plan.json` and `plan.mmd`.
    pub plan: DeployPlan,
    /// Notes from compilation (templates that apply uploads, ...).
    pub notes: Vec<String>,
    /// What committing the files did.
    pub report: WriteReport,
    /// Tenants compiled, and tenants whose cached output was reused.
    pub compiled_tenants: usize,
    /// Tenants whose inputs and files were unchanged since the last synth, so their cached
    /// files and notes were reused without compiling them (always 0 with hooks).
    pub reused_tenants: usize,
}

/// Compiles `platform` with its plan into `out`, writing only what changed.
pub fn synthesize(platform: &Platform, out: &Path) -> Result<Synthesis, SynthError> {
    synthesize_with(platform, &Customizations::new(), out)
}

/// [`synthesize`] with the platform team's hooks (see [`Customizations`]).
pub fn synthesize_with(platform: &Platform, custom: &Customizations, out: &Path) -> Result<Synthesis, SynthError> {
    let run = stream(platform, custom, out, Mode::Write)?;
    let report = run.output.commit(run.produced, run.records)?;
    Ok(Synthesis {
        plan: run.plan,
        notes: run.notes,
        report,
        compiled_tenants: run.compiled,
        reused_tenants: run.reused,
    })
}

/// Compares `out` with what [`synthesize`] would write, reading every file, writing nothing.
pub fn check_platform(platform: &Platform, out: &Path) -> Result<Staleness, SynthError> {
    check_platform_with(platform, &Customizations::new(), out)
}

/// [`check_platform`] with the platform team's hooks.
pub fn check_platform_with(platform: &Platform, custom: &Customizations, out: &Path) -> Result<Staleness, SynthError> {
    let run = stream(platform, custom, out, Mode::Check)?;
    run.output.staleness(&run.produced)
}

/// The platform's plan and its context, from the facts of its artifacts, writing nothing: each
/// tenant is compiled, digested and dropped on every core, so planning a fleet takes no more
/// memory than synthesizing it (`tenancy plan` without `--generated`).
pub fn plan_platform(platform: &Platform) -> Result<(DeployPlan, plan::PlanContext), SynthError> {
    let facts_of = |files: Vec<Artifact>| {
        files.into_iter().map(|a| (a.path, plan::ArtifactFacts::of(&a.contents))).collect::<Vec<_>>()
    };
    let base = compile::compile_platform(platform)?;
    let mut facts: BTreeMap<_, _> = facts_of(base.files).into_iter().collect();
    let tenants =
        compile::parallel::map(platform.tenants(), |t| compile::compile_tenant(platform, t).map(|c| facts_of(c.files)));
    for tenant in tenants {
        facts.extend(tenant?);
    }
    let plan = plan::plan_for(platform, &facts)?;
    let context = plan::PlanContext::of(platform, &facts);
    Ok((plan, context))
}

/// Everything one run produced, compared with the tree but not yet committed.
struct Run<'a> {
    output: Output<'a>,
    produced: Vec<Produced>,
    records: BTreeMap<String, TenantRecord>,
    plan: DeployPlan,
    notes: Vec<String>,
    compiled: usize,
    reused: usize,
}

fn stream<'a>(platform: &Platform, custom: &Customizations, out: &'a Path, mode: Mode) -> Result<Run<'a>, SynthError> {
    let output = Output::open(out, mode)?;
    let mut produced = Vec::new();
    let base = compile::compile_shared_with(platform, custom)?;
    for artifact in &base.files {
        produced.push(output.put(&artifact.path, &artifact.contents)?);
    }
    let mut notes = base.notes;

    let fingerprints = Fingerprints::new(platform);
    // Cells, like tenants: each depends on the platform and its own tenants alone, so a cell
    // whose tenants did not change is reused from the cache (adding a tenant recompiles one).
    let cells = compile::cells(platform);
    let compiled_cells = compile::parallel::map(&cells, |cell| {
        let key = format!("{}{}/cell-{:03}", crate::contract::steps::POOL_PREFIX, cell.tier.name, cell.index);
        let inputs = fingerprints.cell(&cell.tenants, &key);
        if let Some((files, notes)) = output.reuse(&key, &inputs) {
            return Ok((key, files, notes, inputs));
        }
        let compiled = compile::compile_cell(platform, cell)?;
        let files = compiled.files.iter().map(|a| output.put(&a.path, &a.contents)).collect::<Result<Vec<_>, _>>()?;
        Ok::<_, SynthError>((key, files, compiled.notes, inputs))
    });
    let mut cell_records = BTreeMap::new();
    for result in compiled_cells {
        let (key, files, cell_notes, inputs) = result?;
        cell_records.insert(
            key,
            TenantRecord { inputs, files: files.iter().map(|f| f.path.clone()).collect(), notes: cell_notes.clone() },
        );
        notes.extend(cell_notes);
        produced.extend(files);
    }
    let tenants = compile::parallel::map(platform.tenants(), |tenant| {
        let inputs = fingerprints.tenant(tenant);
        let id = tenant.id.as_str();
        // A hook is a function the cache cannot fingerprint: with hooks, every tenant compiles.
        if let Some((files, notes)) = output.reuse(id, &inputs).filter(|_| custom.is_empty()) {
            return Ok((files, notes, inputs, false));
        }
        let compiled = compile::compile_tenant_with(platform, tenant, custom)?;
        let files = compiled.files.iter().map(|a| output.put(&a.path, &a.contents)).collect::<Result<Vec<_>, _>>()?;
        Ok::<_, SynthError>((files, compiled.notes, inputs, true))
    });
    let (mut compiled, mut reused) = (0, 0);
    let mut records = BTreeMap::new();
    for (tenant, result) in platform.tenants().iter().zip(tenants) {
        let (files, tenant_notes, inputs, fresh) = result?;
        if fresh {
            compiled += 1
        } else {
            reused += 1
        }
        records.insert(
            tenant.id.to_string(),
            TenantRecord { inputs, files: files.iter().map(|f| f.path.clone()).collect(), notes: tenant_notes.clone() },
        );
        notes.extend(tenant_notes);
        produced.extend(files);
    }

    records.extend(cell_records);
    if !custom.is_empty() {
        // Nothing a later synth could trust: the files came from hooks the cache cannot see.
        records.clear();
    }
    let facts = produced.iter().map(|f| (f.path.clone(), f.facts.clone())).collect();
    let plan = plan::plan_for(platform, &facts)?;
    let plan_files = plan::plan_files(platform, &plan, &facts);
    drop(facts);
    for artifact in plan_files {
        produced.push(output.put(&artifact.path, &artifact.contents)?);
    }
    own_files(&output, &mut produced)?;
    Ok(Run { output, produced, records, plan, notes, compiled, reused })
}

/// The marker every output holds.
fn own_files(output: &Output<'_>, produced: &mut Vec<Produced>) -> Result<(), SynthError> {
    produced.push(output.put(MARKER, MARKER_CONTENTS)?);
    Ok(())
}

/// Replaces `out` with exactly `artifacts`, writing only the files that change.
pub fn write(out: &Path, artifacts: &[Artifact]) -> Result<WriteReport, SynthError> {
    let (output, produced) = put_all(out, artifacts, Mode::Write)?;
    output.commit(produced, BTreeMap::new())
}

/// Compares `out` with `artifacts` without writing anything.
pub fn check(out: &Path, artifacts: &[Artifact]) -> Result<Staleness, SynthError> {
    let (output, produced) = put_all(out, artifacts, Mode::Check)?;
    output.staleness(&produced)
}

fn put_all<'a>(out: &'a Path, artifacts: &[Artifact], mode: Mode) -> Result<(Output<'a>, Vec<Produced>), SynthError> {
    let output = Output::open(out, mode)?;
    let mut produced = artifacts.iter().map(|a| output.put(&a.path, &a.contents)).collect::<Result<Vec<_>, _>>()?;
    own_files(&output, &mut produced)?;
    Ok((output, produced))
}

#[cfg(test)]
mod tests {
    use std::fs;

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
        assert_eq!(report.files, 3, "two artifacts and the marker");
        assert!(check(&out, &files).unwrap().is_clean());

        fs::write(out.join("b.yaml"), "changed").unwrap();
        fs::write(out.join("stray.yaml"), "").unwrap();
        let changed = vec![artifact("a/x.yaml", "x"), artifact("b.yaml", "b"), artifact("c.yaml", "c")];
        let stale = check(&out, &changed).unwrap();
        assert_eq!(stale.missing, vec!["c.yaml"]);
        assert_eq!(stale.extra, vec!["stray.yaml"]);
        assert_eq!(stale.differing, vec!["b.yaml"]);

        // Rewriting writes what changed and removes the stray file.
        let report = write(&out, &changed).unwrap();
        assert_eq!(report.written, ["b.yaml", "c.yaml"]);
        assert_eq!(report.removed, ["stray.yaml"]);
        assert!(check(&out, &changed).unwrap().is_clean());
        // No staging or old trees are left behind.
        let mut leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        leftovers.sort();
        assert_eq!(leftovers, vec![".tenancy", "generated"], "the tree and its cache (`.tenancy/synth-cache`)");
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
