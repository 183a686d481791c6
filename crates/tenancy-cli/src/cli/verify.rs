//! `tenancy verify`: reads the generated folder, feeds `verify` the platform's files and then
//! each tenant's (on every core, one tenant at a time per core, so memory stays flat), and
//! prints the report. The reading is here; the reasoning is in `tenancy::verify`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use clap::{Args, ValueEnum};

use tenancy::contract::paths;
use tenancy::verify::{AcceptedList, Baseline, Report, TenantSummary};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The synthesized output to verify.
    #[arg(long, default_value = "generated")]
    pub generated: PathBuf,
    /// How to print the report: a table, JSON, or Markdown for a pull-request comment.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Table)]
    pub format: VerifyFormat,
    /// The committed list of accepted findings, each with its reason (YAML). Default:
    /// blueprints/accepted-findings.yaml if present.
    #[arg(long)]
    pub accepted: Option<PathBuf>,
}

/// Where the accepted findings live, beside the blueprint.
pub const DEFAULT_ACCEPTED: &str = "blueprints/accepted-findings.yaml";

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VerifyFormat {
    Table,
    Json,
    Markdown,
}

/// Every file under `dir` (relative paths with `/`), except the tenants'.
fn platform_files(dir: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let plan = dir.join(paths::PLAN);
    out.insert(
        paths::PLAN.to_owned(),
        std::fs::read_to_string(&plan)
            .with_context(|| format!("while reading {} (synthesize first)", plan.display()))?,
    );
    for sub in ["baseline", "buildspecs", paths::POOLS_DIR] {
        read_tree(dir, &dir.join(sub), &mut out)?;
    }
    Ok(out)
}

fn read_tree(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    let mut entries: Vec<_> =
        entries.collect::<Result<_, _>>().with_context(|| format!("while listing {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            read_tree(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
            let relative = path.strip_prefix(root).expect("below root").to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(&path).with_context(|| format!("while reading {}", path.display()))?;
            out.insert(relative, text);
        }
    }
    Ok(())
}

/// Verifies the folder: the platform's files, then every tenant plan.json names.
pub fn verify_dir(dir: &Path, accepted: Option<&AcceptedList>) -> anyhow::Result<Report> {
    let mut baseline = Baseline::read(&platform_files(dir)?);
    baseline.accept(accepted.cloned());
    let tenants = baseline.tenants();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Report, TenantSummary)>> = Mutex::new(Vec::with_capacity(tenants.len()));
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(tenants.len().max(1));
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(id) = tenants.get(i) else { break };
                    let mut files = BTreeMap::new();
                    if let Err(e) = read_tree(dir, &dir.join("tenants").join(id), &mut files) {
                        failure.lock().expect("not poisoned").get_or_insert(e);
                        break;
                    }
                    let (report, summary) = baseline.tenant(id, &files);
                    results.lock().expect("not poisoned").push((i, report, summary));
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("not poisoned") {
        return Err(e);
    }
    let mut results = results.into_inner().expect("not poisoned");
    results.sort_by_key(|(i, _, _)| *i);
    Ok(baseline.finish(results.into_iter().map(|(_, r, s)| (r, s)).collect()))
}

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let default = Path::new(DEFAULT_ACCEPTED);
    let path = args.accepted.clone().or_else(|| default.exists().then(|| default.to_path_buf()));
    let accepted = match &path {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("while reading {}", path.display()))?;
            let list: AcceptedList = serde_yaml::from_str(&text).with_context(|| {
                format!("{}: not a list of accepted findings (accepted: [{{property, principal, action, resource, reason}}])", path.display())
            })?;
            Some(list)
        }
        None => None,
    };
    let report = verify_dir(&args.generated, accepted.as_ref())?.finish(accepted.as_ref());
    let text = match args.format {
        VerifyFormat::Table => report.table(),
        VerifyFormat::Json => report.json(),
        VerifyFormat::Markdown => report.markdown(),
    };
    print!("{text}");
    Ok(if report.failed() { ExitCode::from(super::EXIT_FAILED) } else { ExitCode::SUCCESS })
}
