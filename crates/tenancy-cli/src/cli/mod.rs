//! The command line: parse, load the blueprint, compile, and hand results to `synth`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use tenancy::blueprint::{self, BlueprintError};
use tenancy::compile;
use tenancy::model::Platform;
use tenancy::plan;
use tenancy::synth;

pub mod job;
pub mod tenant;
pub mod verify;

/// Exit code of an apply whose step failed (and of unexpected errors).
pub const EXIT_FAILED: u8 = 1;
/// Exit code for invalid input (a bad blueprint, a bad `--select`).
pub const EXIT_INVALID: u8 = 2;
/// Exit code of an apply refused because another apply holds the lock.
pub const EXIT_LOCKED: u8 = 3;
/// Exit code of an apply refused before it changed anything: the tree does not match its
/// plan, upstream steps are not applied, tenants would be deleted without `--allow-delete`, the
/// state file is corrupt, the bootstrap stack is not the reviewed one.
pub const EXIT_REFUSED: u8 = 4;
/// Exit code of an apply stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;
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
    Check(CheckArgs),
    /// Validate the blueprint only; print every problem.
    Validate(BlueprintArgs),
    /// Print the deploy plan: its waves and steps, or the whole plan as JSON, Mermaid or DOT.
    Plan(PlanArgs),
    /// Print what the plan makes of each AWS resource with a default quota (stacks, roles,
    /// tables, user pools, app clients and groups per pool, repositories, Pod Identity
    /// associations, DNS records, pipeline actions), beside the default and its source; exit 1
    /// when one is over.
    Quotas(BlueprintArgs),
    /// Deploy the bootstrap stack (journal table, artifacts and logs buckets, the platform
    /// stacks' CloudFormation role) with your own credentials: once per account, before the
    /// first apply, and again when its template changes.
    Bootstrap(BootstrapArgs),
    /// Apply the committed plan (generated/plan.json) to AWS and the cluster.
    Apply(ApplyArgs),
    /// Show who holds the apply locks (exit 1 while one is held); with --force, remove them,
    /// for when the apply that holds them is dead and its lease has not ended yet.
    Unlock(UnlockArgs),
    /// Prove, on the generated files, that no tenant reaches another (IAM, network, identity)
    /// and that every principal can make the calls the code makes (exit 1 with findings).
    Verify(verify::VerifyArgs),
    /// Print the blueprint's JSON Schema.
    Schema,
    /// The source bundle CodeBuild and the pipeline read (the repository's tracked files).
    #[command(subcommand)]
    Source(SourceCommand),
    /// Blueprint tools.
    #[command(subcommand)]
    Blueprint(BlueprintCommand),
    /// Add, re-tier or remove a tenant in a blueprint that keeps its tenants as files (exit 2,
    /// nothing written, when the edit would make the blueprint invalid).
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// The control plane's jobs: onboard or offboard one tenant through a commit of the
    /// platform repository and an apply of that tenant alone, reporting each lifecycle
    /// transition to the registry.
    #[command(subcommand)]
    Job(job::JobCommand),
}

/// The number of actions of the platform's generated pipeline (the source action included).
fn pipeline_actions(platform: &tenancy::model::Platform) -> usize {
    1 + compile::pipeline_stages(platform).iter().map(|(_, actions)| actions.len()).sum::<usize>()
}

#[derive(Debug, Subcommand)]
pub enum BlueprintCommand {
    /// Print the reference blueprint with N generated tenants (deterministic), for fleet tests:
    /// by default in the mix of a SaaS at scale (90% pooled basic, 9% pooled bridge standard,
    /// 1% dedicated premium), which fits AWS's default quotas at 10,000 tenants.
    Sample {
        /// How many tenants.
        #[arg(long)]
        tenants: usize,
        /// Reference tiers to spread them over, in turn, as the reference defines them (all
        /// dedicated) instead of the mix.
        #[arg(long, value_delimiter = ',')]
        tiers: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The synthesized output whose plan names the bootstrap stack.
    #[arg(long, default_value = "generated")]
    pub generated: PathBuf,
    /// Create the change set, print what would change, and delete it.
    #[arg(long)]
    pub dry_run: bool,
    /// An endpoint for every AWS service (a local emulator); AWS_ENDPOINT_URL works too.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Seconds between the first polls of the stack (they back off from there).
    #[arg(long, default_value_t = 2.0)]
    pub poll_seconds: f64,
}

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Zip the repository's tracked files and upload them as a new version of
    /// s3://<artifacts bucket>/source/tenancy.zip, tagged with the digest of the plan they carry
    /// (this starts the pipeline).
    Push(SourcePushArgs),
}

#[derive(Debug, Args)]
pub struct SourcePushArgs {
    /// The repository's output directory (generated/ at the repository root).
    #[arg(long, default_value = "generated")]
    pub generated: PathBuf,
    /// Push uncommitted changes too (the pipeline should run reviewed commits only).
    #[arg(long)]
    pub allow_dirty: bool,
    /// Write the bundle to this file instead of uploading it.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// An endpoint for every AWS service (a local emulator); AWS_ENDPOINT_URL works too.
    #[arg(long)]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub blueprint: BlueprintArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The synthesized output whose plan.json to apply.
    #[arg(long, default_value = "generated")]
    pub generated: PathBuf,
    /// What to apply: all, tenant:<id>, step:<id>, through:<step id> (it and everything it
    /// depends on) or shard:<i>/<n>.
    #[arg(long, default_value = "all")]
    pub select: String,
    /// Steps run at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Start no new step after a failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// Create change sets and print what would change, then delete them; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Remove what tenants no longer in the blueprint left behind (bundle, stack, record).
    #[arg(long)]
    pub allow_delete: bool,
    /// Delete and recreate stacks stuck in ROLLBACK_COMPLETE.
    #[arg(long)]
    pub recreate_failed: bool,
    /// Where the journal and lock live: `dynamodb:<table>`, by default the bootstrap stack's
    /// table (one journal for every apply, local or in the pipeline), or `local:<dir>` (a
    /// journal on this machine only: for emulators and experiments).
    #[arg(long)]
    pub state: Option<String>,
    /// Seconds to wait for the lock while another apply holds an overlapping part of the plan.
    #[arg(long, default_value_t = 600.0)]
    pub lock_timeout: f64,
    /// An endpoint for every AWS service (a local emulator); AWS_ENDPOINT_URL works too.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Seconds between the first polls of a stack or build (they back off from there).
    #[arg(long, default_value_t = 2.0)]
    pub poll_seconds: f64,
    /// Seconds one stack operation, build or backup may take before its step fails.
    #[arg(long, default_value_t = 10_800.0)]
    pub timeout: f64,
    /// Event output: a live display or lines (human), or one JSON object per line.
    #[arg(long, value_enum, default_value_t = EventFormat::Human)]
    pub format: EventFormat,
    /// Seconds the running steps get to finish after SIGINT or SIGTERM before they are cut
    /// off (a second signal cuts them off at once).
    #[arg(long, default_value_t = 60.0)]
    pub grace_seconds: f64,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Remove the holds shown (each only if it is still the hold shown). Only when their
    /// applies are dead: a live apply whose lock is removed fails at its next journal write.
    #[arg(long)]
    pub force: bool,
    /// The journal whose locks to show: `dynamodb:<table>` (default: the bootstrap stack's
    /// table) or `local:<dir>`, as given to apply.
    #[arg(long)]
    pub state: Option<String>,
    /// The synthesized output whose plan names the region and the default journal table.
    #[arg(long, default_value = "generated")]
    pub generated: PathBuf,
    /// An endpoint for every AWS service (a local emulator); AWS_ENDPOINT_URL works too.
    #[arg(long)]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Table,
    Json,
    Mermaid,
    Dot,
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
    /// The account's CloudFormation stack quota per region, for the warning when the plan
    /// would exceed it.
    #[arg(long, default_value_t = plan::DEFAULT_STACK_QUOTA)]
    pub stack_quota: usize,
    /// The output directory.
    #[arg(long, short, default_value = "generated")]
    pub out: PathBuf,
}

/// What `check` takes: synth's arguments without the stack quota, which only synth's warning
/// reads (a check that accepted it would ignore it).
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub blueprint: BlueprintArgs,
    /// The output directory to compare.
    #[arg(long, short, default_value = "generated")]
    pub out: PathBuf,
}

/// Runs a command; `Err` is an unexpected failure (exit 1), invalid input returns exit 2.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Apply(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("while starting the runtime")?;
            runtime.block_on(apply(args))
        }
        Command::Tenant(command) => tenant::run(command),
        Command::Job(command) => job::run(command),
        Command::Blueprint(BlueprintCommand::Sample { tenants, tiers }) => match blueprint::sample(tenants, &tiers) {
            Ok(text) => {
                print!("{text}");
                Ok(ExitCode::SUCCESS)
            }
            Err(message) => {
                eprintln!("error: {message}");
                Ok(ExitCode::from(EXIT_INVALID))
            }
        },
        Command::Bootstrap(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("while starting the runtime")?;
            runtime.block_on(bootstrap(args))
        }
        Command::Source(SourceCommand::Push(args)) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("while starting the runtime")?;
            runtime.block_on(source_push(args))
        }
        Command::Unlock(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("while starting the runtime")?;
            runtime.block_on(unlock(args))
        }
        Command::Verify(args) => verify::run(args),
        Command::Schema => {
            print!("{}", blueprint::schema_json());
            Ok(ExitCode::SUCCESS)
        }
        Command::Quotas(args) => with_platform(&args, |platform| {
            let usage = plan::quotas::usage(platform, pipeline_actions(platform));
            print!("{}", plan::quotas::table(&usage));
            Ok(if usage.iter().any(plan::quotas::Use::exceeds) { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }),
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
            let (plan, context) = synth::plan_platform(platform)?;
            let text = match args.format {
                PlanFormat::Table => plan::to_table(&plan),
                PlanFormat::Json => plan::to_json(&plan, &context),
                PlanFormat::Mermaid => plan::to_mermaid(&plan),
                PlanFormat::Dot => plan::to_dot(&plan),
            };
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }),
        Command::Synth(args) => with_platform(&args.blueprint, |platform| {
            let synthesis = synth::synthesize(platform, &args.out)
                .with_context(|| format!("while synthesizing into {}", args.out.display()))?;
            for warning in plan::quota_warnings(&synthesis.plan, args.stack_quota, &compile::pipeline_stages(platform))
            {
                eprintln!("warning: {warning}");
            }
            // The other quotas (stacks are the plan's own count above, against --stack-quota).
            for over in plan::quotas::usage(platform, pipeline_actions(platform))
                .iter()
                .filter(|u| u.quota != plan::quotas::STACKS && u.exceeds())
            {
                eprintln!("warning: {}", over.warning());
            }
            for note in synthesis.notes.iter().chain(&synthesis.report.note) {
                eprintln!("note: {note}");
            }
            let report = &synthesis.report;
            eprintln!(
                "{}: {} files ({} bytes); wrote {}, removed {}; compiled {} tenants, reused {} unchanged",
                args.out.display(),
                report.files,
                report.bytes,
                report.written.len(),
                report.removed.len(),
                synthesis.compiled_tenants,
                synthesis.reused_tenants
            );
            end_without_freeing(synthesis);
            Ok(ExitCode::SUCCESS)
        }),
        Command::Check(args) => with_platform(&args.blueprint, |platform| {
            let stale = synth::check_platform(platform, &args.out)
                .with_context(|| format!("while checking {}", args.out.display()))?;
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
            blueprint::load_reference()
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

/// How providers reach AWS for a command: the endpoint, and polls that start at `poll_seconds`.
fn aws_configs(endpoint_url: Option<String>, poll_seconds: f64, timeout: Option<f64>) -> tenancy_apply::aws::Configs {
    use std::time::Duration;
    let poll = Duration::from_secs_f64(poll_seconds.max(0.01));
    let defaults = tenancy_apply::aws::AwsOptions::default();
    tenancy_apply::aws::Configs::new(tenancy_apply::aws::AwsOptions {
        endpoint_url,
        poll,
        max_poll: poll.max(Duration::from_secs(20)).min(poll * 10),
        timeout: timeout.map_or(defaults.timeout, |t| Duration::from_secs_f64(t.max(0.0))),
    })
}

/// `tenancy bootstrap`: deploy the bootstrap stack the plan records.
async fn bootstrap(args: BootstrapArgs) -> anyhow::Result<ExitCode> {
    let loaded = tenancy_apply::load_plan(&args.generated)
        .with_context(|| format!("while loading the plan in {}", args.generated.display()))?;
    let bootstrap = &loaded.context.bootstrap;
    let path = args.generated.join(&bootstrap.template);
    let template = std::fs::read_to_string(&path).with_context(|| format!("while reading {}", path.display()))?;
    let configs = aws_configs(args.endpoint_url, args.poll_seconds, None);
    let outcome =
        tenancy_apply::aws::bootstrap::deploy(&configs, bootstrap, &loaded.context.platform, template, args.dry_run)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))
            .with_context(|| format!("while deploying the bootstrap stack {}", bootstrap.stack))?;
    for line in &outcome.summary {
        eprintln!("  {line}");
    }
    let verb = if args.dry_run {
        "would change"
    } else if outcome.changed {
        "deployed"
    } else {
        "unchanged"
    };
    eprintln!("bootstrap stack {} in {}: {verb}", bootstrap.stack, bootstrap.region);
    for (output, value) in &outcome.outputs {
        println!("{output}={value}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `tenancy source push`: bundle the checkout that holds the plan, upload it.
async fn source_push(args: SourcePushArgs) -> anyhow::Result<ExitCode> {
    use tenancy_apply::source;

    // The plan must load (and match its artifacts): a bundle of a tampered tree is refused.
    let loaded = tenancy_apply::load_plan(&args.generated)
        .with_context(|| format!("while loading the plan in {}", args.generated.display()))?;
    let checkout = source::checkout(&args.generated)?;
    if !checkout.changes.is_empty() && !args.allow_dirty {
        return Err(source::SourceError::Dirty { files: checkout.changes }.into());
    }
    let bytes = source::bundle(&checkout)?;
    let digest = plan::hex_digest(&bytes);
    if let Some(path) = &args.output {
        std::fs::write(path, &bytes).with_context(|| format!("while writing {}", path.display()))?;
        eprintln!("{}: {} files, {} bytes, sha256 {digest}", path.display(), checkout.files.len(), bytes.len());
        return Ok(ExitCode::SUCCESS);
    }
    let configs = aws_configs(args.endpoint_url.clone(), 2.0, None);
    let version = tenancy_apply::aws::source::push(
        &configs,
        &loaded.context.region,
        &loaded.context.artifacts_bucket,
        bytes.clone(),
        &loaded.plan_sha256,
        &checkout.commit,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.message))
    .context("while uploading the source bundle")?;
    eprintln!(
        "s3://{}/{} version {version}: {} files of commit {}, {} bytes (sha256 {digest}), plan sha256 {}",
        loaded.context.artifacts_bucket,
        source::SOURCE_KEY,
        checkout.files.len(),
        checkout.commit,
        bytes.len(),
        loaded.plan_sha256
    );
    println!("{version}");
    Ok(ExitCode::SUCCESS)
}

/// `tenancy unlock`: show the holds on the journal's locks, and with `--force` remove them.
async fn unlock(args: UnlockArgs) -> anyhow::Result<ExitCode> {
    use tenancy_apply::aws::DynamoState;
    use tenancy_apply::{Holder, LocalState};

    let (store, holders): (String, Result<Vec<Holder>, tenancy_apply::StateError>) = match args.state.as_deref() {
        Some(spec) if spec.starts_with("local:") => {
            let local = LocalState::new(&spec["local:".len()..]);
            (spec.to_owned(), if args.force { local.unlock() } else { local.holders() })
        }
        None | Some(_) => {
            let loaded = tenancy_apply::load_plan(&args.generated)
                .with_context(|| format!("while loading the plan in {}", args.generated.display()))?;
            let spec = args.state.clone().unwrap_or_else(|| format!("dynamodb:{}", loaded.context.state_table));
            let Some(table) = spec.strip_prefix("dynamodb:").filter(|t| !t.is_empty()) else {
                eprintln!("error: --state must be local:<dir> or dynamodb:<table>, not `{spec}`");
                return Ok(ExitCode::from(EXIT_INVALID));
            };
            let configs = aws_configs(args.endpoint_url.clone(), 2.0, None);
            let dynamo = DynamoState::new(configs, loaded.context.region.clone(), table.to_owned());
            let holders = if args.force { dynamo.unlock().await } else { dynamo.holders().await };
            (spec, holders)
        }
    };
    let holders = match holders {
        Ok(holders) => holders,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if args.force {
        for holder in &holders {
            println!("removed {holder}");
        }
        eprintln!("{store}: removed {} holds", holders.len());
        return Ok(ExitCode::SUCCESS);
    }
    for holder in &holders {
        println!("{holder}");
    }
    let live = holders.iter().filter(|h| h.live).count();
    if live == 0 {
        eprintln!("{store}: no lock is held");
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "{store}: {live} live holds; if the applies that hold them are dead, `tenancy unlock --force --state {store}` removes them"
    );
    Ok(ExitCode::FAILURE)
}

/// `tenancy apply`: load the committed plan, wire the providers, run the engine.
async fn apply(args: ApplyArgs) -> anyhow::Result<ExitCode> {
    use std::sync::Arc;
    use std::time::Duration;

    use tenancy_apply::aws::{CloudFormation, CodeBuild, DynamoState, Register};
    use tenancy_apply::kubernetes::LazyKubernetes;
    use tenancy_apply::{Engine, LocalState, Options, Providers, Selection, StateStore};

    let selection: Selection = match args.select.parse() {
        Ok(selection) => selection,
        Err(message) => {
            eprintln!("error: --select {message}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let loaded = match tenancy_apply::load_plan(&args.generated) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("error: while loading the plan in {}: {err}", args.generated.display());
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    };
    // Before AWS is reached or a lock taken: a typo in --select is the caller's to fix.
    if let Err(message) = selection.steps_or_removal(&loaded.plan, args.allow_delete) {
        eprintln!("error: --select {selection}: {message}");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let poll = Duration::from_secs_f64(args.poll_seconds.max(0.01));
    let configs = aws_configs(args.endpoint_url.clone(), args.poll_seconds, Some(args.timeout));
    // Every apply runs on the reviewed bootstrap stack: its role, bucket and journal.
    if let Err(err) = tenancy_apply::aws::bootstrap::check(&configs, &loaded.context.bootstrap).await {
        eprintln!("error: {}", err.message);
        // Unreachable is a failure; reachable and not the reviewed stack is a refusal.
        return Ok(ExitCode::from(if err.transient { EXIT_FAILED } else { EXIT_REFUSED }));
    }
    let providers = Providers {
        cloudformation: Arc::new(CloudFormation::new(
            configs.clone(),
            loaded.context.artifacts_bucket.clone(),
            args.recreate_failed,
        )),
        kubernetes: Arc::new(LazyKubernetes::new(
            Arc::new(tenancy_apply::aws::Ecr::new(
                configs.clone(),
                loaded.context.region.clone(),
                loaded.context.registry.clone(),
            )),
            (loaded.context.cluster.clone(), loaded.context.region.clone()),
            Duration::from_secs(600),
            poll,
        )),
        codebuild: Arc::new(CodeBuild::new(
            configs.clone(),
            loaded.context.region.clone(),
            tenancy_apply::aws::codebuild::SourceOf {
                bucket: loaded.context.artifacts_bucket.clone(),
                plan_sha256: loaded.plan_sha256.clone(),
            },
        )),
        register: Arc::new(Register::new(configs.clone(), loaded.context.region.clone())),
    };
    let state = args.state.clone().unwrap_or_else(|| format!("dynamodb:{}", loaded.context.state_table));
    let store: Box<dyn StateStore> = match state.split_once(':') {
        Some(("local", dir)) => Box::new(LocalState::new(dir)),
        Some(("dynamodb", table)) if !table.is_empty() => {
            Box::new(DynamoState::new(configs.clone(), loaded.context.region.clone(), table.to_owned()))
        }
        _ => {
            eprintln!("error: --state must be local:<dir> or dynamodb:<table>, not `{state}`");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let sink: Arc<dyn tenancy_apply::Sink> = match args.format {
        EventFormat::Human => Arc::from(tenancy_apply::human()),
        EventFormat::Json => Arc::new(tenancy_apply::JsonLines),
    };
    let interrupt = tenancy_apply::Interrupt::new();
    let options = Options {
        concurrency: args.concurrency.max(1),
        fail_fast: args.fail_fast,
        dry_run: args.dry_run,
        allow_delete: args.allow_delete,
        lock_wait: tenancy_apply::LockWait {
            timeout: Duration::from_secs_f64(args.lock_timeout.max(0.0)),
            poll: poll.clamp(Duration::from_millis(50), Duration::from_secs(2)),
        },
        interrupt: interrupt.clone(),
        grace: Duration::from_secs_f64(args.grace_seconds.max(0.0)),
        ..Options::default()
    };
    let signals = tokio::spawn(on_signals(interrupt, args.grace_seconds));
    let engine = Engine::new(providers, options, sink);
    let artifacts = tenancy_apply::ArtifactDir::new(&args.generated, &loaded.facts);
    let result = engine.run(&loaded.plan, &artifacts, &selection, store.as_ref()).await;
    signals.abort();
    if let Err(err) = &result {
        eprintln!("error: {err}");
    }
    Ok(ExitCode::from(apply_exit_code(&result)))
}

/// The exit code of an apply (the README's "Exit codes" lists them).
fn apply_exit_code(result: &Result<tenancy_apply::Report, tenancy_apply::ApplyError>) -> u8 {
    use tenancy_apply::{ApplyError, StateError};
    match result {
        Ok(report) if report.interrupted => EXIT_INTERRUPTED,
        Ok(report) if report.succeeded() => 0,
        Ok(_) => EXIT_FAILED,
        Err(ApplyError::Interrupted) => EXIT_INTERRUPTED,
        Err(ApplyError::Selection(_)) => EXIT_INVALID,
        Err(ApplyError::State(StateError::Locked { .. })) => EXIT_LOCKED,
        Err(
            ApplyError::UpstreamNotApplied { .. }
            | ApplyError::WouldDelete { .. }
            | ApplyError::State(StateError::Corrupt { .. }),
        ) => EXIT_REFUSED,
        Err(ApplyError::State(_)) => EXIT_FAILED,
    }
}

/// Turns SIGINT and SIGTERM into requests to stop: the first drains, the second cuts the
/// running steps off, a third ends the process at once (for a drain that itself hangs).
async fn on_signals(interrupt: tenancy_apply::Interrupt, grace_seconds: f64) {
    use tenancy_apply::Level;

    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let mut requests = 0;
    loop {
        #[cfg(unix)]
        let terminated = async {
            match terminate.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let terminated = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminated => {}
        }
        requests += 1;
        match (requests, interrupt.escalate()) {
            (1, _) => eprintln!(
                "interrupted: starting no new step; the running ones get {grace_seconds}s to finish (signal again to stop them now)"
            ),
            (2, Level::Abort) => eprintln!("interrupted again: stopping the running steps now"),
            _ => {
                eprintln!("interrupted a third time: exiting without a summary");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        }
    }
}

/// Leaks `value` on purpose: the process exits right after, and freeing a fleet's plan and
/// report allocation by allocation (10,000 tenants) would only cost time. Nothing it holds
/// needs dropping to be correct (files are written and closed before).
fn end_without_freeing<T>(value: T) {
    std::mem::forget(value);
}
