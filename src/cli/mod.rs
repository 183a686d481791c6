//! The command line: parse, load the blueprint, compile, and hand results to `synth`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::blueprint::{self, BlueprintError};
use crate::compile;
use crate::model::Platform;
use crate::plan;
use crate::synth;

/// Exit code for invalid input (a bad blueprint).
pub const EXIT_INVALID: u8 = 2;
/// Exit code for a stale `generated/` directory.
pub const EXIT_STALE: u8 = 1;

/// Infrastructure as code for multi-tenant SaaS platforms on Amazon EKS.
#[derive(Debug, Parser)]
#[command(name = "tenancy", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile the blueprint and write every artifact to the output directory (atomically).
    Synth(SynthArgs),
    /// Fail (exit 1) when the output directory differs from what synth would write.
    Check(SynthArgs),
    /// Validate the blueprint only; print every problem.
    Validate(BlueprintArgs),
    /// Print the deploy plan: its waves and steps, or the whole plan as JSON, Mermaid or DOT.
    Plan(PlanArgs),
    /// Print the blueprint's JSON Schema.
    Schema,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub blueprint: BlueprintArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Table,
    Json,
    Mermaid,
    Dot,
}

/// Compiles the platform and its plan: every file synth writes.
fn synthesize(platform: &Platform) -> anyhow::Result<(compile::Artifacts, plan::DeployPlan)> {
    let mut artifacts = compile::compile(platform).context("while compiling the platform")?;
    let plan = plan::attach(platform, &mut artifacts).context("while planning the deployment")?;
    Ok((artifacts, plan))
}

#[derive(Debug, Args)]
pub struct BlueprintArgs {
    /// The blueprint. Default: blueprints/reference.yaml if present, else the reference
    /// blueprint built into this binary.
    #[arg(long, short)]
    pub blueprint: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    #[command(flatten)]
    pub blueprint: BlueprintArgs,
    /// The output directory.
    #[arg(long, short, default_value = "generated")]
    pub out: PathBuf,
}

/// Runs a command; `Err` is an unexpected failure (exit 1), invalid input returns exit 2.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Schema => {
            print!("{}", blueprint::schema_json());
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate(args) => with_platform(&args, |platform| {
            eprintln!(
                "ok: {} services, {} tiers, {} tenants",
                platform.services().len(),
                platform.tiers().len(),
                platform.tenants().len()
            );
            Ok(ExitCode::SUCCESS)
        }),
        Command::Plan(args) => with_platform(&args.blueprint, |platform| {
            let (_, plan) = synthesize(platform)?;
            let text = match args.format {
                PlanFormat::Table => plan::to_table(&plan),
                PlanFormat::Json => plan::to_json(&plan, platform.name().as_str()),
                PlanFormat::Mermaid => plan::to_mermaid(&plan),
                PlanFormat::Dot => plan::to_dot(&plan),
            };
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }),
        Command::Synth(args) => with_platform(&args.blueprint, |platform| {
            let (artifacts, _) = synthesize(platform)?;
            for note in &artifacts.notes {
                eprintln!("note: {note}");
            }
            let report = synth::write(&args.out, &artifacts.files)
                .with_context(|| format!("while writing {}", args.out.display()))?;
            eprintln!("wrote {} files ({} bytes) to {}", report.files, report.bytes, args.out.display());
            Ok(ExitCode::SUCCESS)
        }),
        Command::Check(args) => with_platform(&args.blueprint, |platform| {
            let (artifacts, _) = synthesize(platform)?;
            let stale = synth::check(&args.out, &artifacts.files)
                .with_context(|| format!("while reading {}", args.out.display()))?;
            if stale.is_clean() {
                eprintln!("{} is up to date", args.out.display());
                return Ok(ExitCode::SUCCESS);
            }
            for (label, paths) in [("missing", &stale.missing), ("extra", &stale.extra), ("differs", &stale.differing)]
            {
                for path in paths {
                    println!("{label}: {}", Path::new(&args.out).join(path).display());
                }
            }
            eprintln!("{} is stale: run `tenancy synth` and commit the result", args.out.display());
            Ok(ExitCode::from(EXIT_STALE))
        }),
    }
}

/// Loads the blueprint and runs `f`, or prints every problem and returns exit code 2.
fn with_platform(
    args: &BlueprintArgs,
    f: impl FnOnce(&Platform) -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    let default = Path::new("blueprints/reference.yaml");
    let loaded = match &args.blueprint {
        Some(path) => blueprint::load_file(path),
        None if default.exists() => blueprint::load_file(default),
        None => {
            eprintln!("note: no blueprints/reference.yaml here; using the reference blueprint built into tenancy");
            blueprint::load_str("<built-in reference.yaml>", blueprint::REFERENCE)
        }
    };
    match loaded {
        Ok(platform) => f(&platform),
        Err(BlueprintError::Invalid(diagnostics)) => {
            eprintln!("{diagnostics}");
            Ok(ExitCode::from(EXIT_INVALID))
        }
        Err(err @ BlueprintError::Read { .. }) => {
            eprintln!("error: {err}: {}", std::error::Error::source(&err).map(ToString::to_string).unwrap_or_default());
            Ok(ExitCode::from(EXIT_INVALID))
        }
    }
}
