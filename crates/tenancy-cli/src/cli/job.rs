//! `tenancy job onboard|offboard`: the onboarding job, which turns one registration into a
//! reviewed-by-history commit of the platform repository and applies that tenant alone, and the
//! offboarding job, which does the same backwards. The generated onboarding project runs it in
//! CodeBuild; an operator can run it from a laptop.
//!
//! Onboarding, step by step, each transition reported to the registry (when one is named):
//!
//! 1. `provision` (or `retry`, for a registration whose provisioning failed): the record moves
//!    to `provisioning`. A record already `active` ends the job there: nothing to do.
//! 2. Clone the remote's branch into a directory of its own (the caller's tree is never
//!    touched), `tenancy tenant add`, `tenancy synth`, `tenancy verify`.
//! 3. Commit the blueprint's directory and the output directory, and push. A push refused
//!    because another job pushed first is not merged: the job fetches the new tip, makes its
//!    change again on top of it (generated files such as the plan are regenerated, never
//!    merged as text) and pushes again, a bounded number of times. No commit is lost.
//! 4. `tenancy apply --select tenant:<id>`.
//! 5. `provisioned`: the record moves to `active`.
//!
//! Any step that fails reports `fail` with its cause, and the job exits 1. A rerun resumes:
//! the tenant's file is already on the branch (`tenant add` finds nothing to change, there is
//! nothing to commit), so a job killed between its push and its apply goes straight to the
//! apply. Offboarding is `offboard` (or `retry`), `tenant remove`, synth, verify, commit and
//! push, the purge of the tenant's users from the shared pool, `apply --select tenant:<id>
//! --allow-delete`, then `removed`.
//!
//! The purge is the one thing the stack cannot do: users that user management made later are
//! not the stack's resources, and in the pool that pooled tenants share they would outlive the
//! tenant. The job deletes every member of the tenant's group there (whose `custom:tenant-id`
//! is the tenant), except the admin user the stack made and deletes itself. A tenant with a pool
//! of its own has no such group: its stack deletes the pool and every user in it.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use tenancy::contract::lifecycle::{Event, Phase, State};
use tenancy_registry::{
    Caller, Change, CognitoUsers, Directory, DynamoDirectory, DynamoRegistry, Events, Record, Registry, Scope,
    SnsEvents, Users, UsersError, publish_pending, transition,
};

use super::{EXIT_FAILED, EXIT_INVALID, EXIT_REFUSED};

/// The jobs.
#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Onboard one registered tenant: add its file, synth, verify, commit and push (rebasing by
    /// regeneration when another job pushed first), apply it alone, report each transition.
    Onboard(OnboardArgs),
    /// Offboard one tenant: remove its file, synth, verify, commit and push, apply with
    /// --allow-delete (its stack, pool, users, table and namespace go), report each transition.
    Offboard(OffboardArgs),
    /// Suspend one active tenant: mark its file `suspended: true`, synth, verify, commit and
    /// push, apply it (its ingress then answers 403), then report `suspend`.
    Suspend(OffboardArgs),
    /// Serve a suspended tenant again: the same, backwards, then report `activate`.
    Activate(OffboardArgs),
    /// Move one active or suspended tenant to another tier: `tenant set-tier`, synth, verify,
    /// commit and push, apply it, then report `change-tier` (the record's tier).
    SetTier(SetTierArgs),
}

/// `tenancy job set-tier`: `TENANT_ID` and `TENANT_TIER` from the environment the tenant
/// management service starts the build with.
#[derive(Debug, Args)]
pub struct SetTierArgs {
    /// The tenant id.
    #[arg(long, env = "TENANT_ID")]
    pub tenant: String,
    /// The tier to move it to.
    #[arg(long, env = "TENANT_TIER")]
    pub tier: String,
    #[command(flatten)]
    pub job: JobArgs,
}

/// `tenancy job onboard`. Every value can come from the environment the registration service
/// starts the build with (`TENANT_ID`, `TENANT_NAME`, `TENANT_TIER`, `TENANT_ADMIN_EMAIL`).
#[derive(Debug, Args)]
pub struct OnboardArgs {
    /// The tenant id.
    #[arg(long, env = "TENANT_ID")]
    pub tenant: String,
    /// The display name.
    #[arg(long, env = "TENANT_NAME")]
    pub name: String,
    /// The tier.
    #[arg(long, env = "TENANT_TIER")]
    pub tier: String,
    /// The tenant admin's email.
    #[arg(long, env = "TENANT_ADMIN_EMAIL")]
    pub admin_email: String,
    #[command(flatten)]
    pub job: JobArgs,
}

/// `tenancy job offboard`.
#[derive(Debug, Args)]
pub struct OffboardArgs {
    /// The tenant id.
    #[arg(long, env = "TENANT_ID")]
    pub tenant: String,
    #[command(flatten)]
    pub job: JobArgs,
}

/// What both jobs take.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// The platform repository: a URL git can clone and push (its credential comes from git's
    /// own configuration, for example a credential helper fed from Secrets Manager), or a path.
    #[arg(long, env = "TENANCY_GIT_REMOTE")]
    pub remote: String,
    /// The branch the job commits to.
    #[arg(long, env = "TENANCY_GIT_BRANCH", default_value = "main")]
    pub branch: String,
    /// The blueprint, relative to the repository's root; its tenants must be a directory.
    #[arg(long, default_value = "blueprints/reference.yaml")]
    pub blueprint: PathBuf,
    /// The output directory, relative to the repository's root.
    #[arg(long, default_value = "generated")]
    pub generated: PathBuf,
    /// The registry table to report each transition to. Without it the job reports nothing
    /// (an operator's run on a tenant that was never registered).
    #[arg(long, env = "REGISTRY_TABLE")]
    pub registry_table: Option<String>,
    /// The lifecycle topic the registry's events are published to.
    #[arg(long, env = "LIFECYCLE_TOPIC_ARN")]
    pub topic_arn: Option<String>,
    /// The tenant table, where offboarding finds the pool of the tenant's users to purge.
    /// Without it, offboarding purges no users.
    #[arg(long, env = "TENANT_TABLE")]
    pub tenant_table: Option<String>,
    /// Who is reporting, for the audit trail: CodeBuild's build id, or `local`.
    #[arg(long, env = "CODEBUILD_BUILD_ID", default_value = "local")]
    pub request_id: String,
    /// How many times to push before giving up, when other jobs keep pushing first.
    #[arg(long, default_value_t = 8)]
    pub push_attempts: u32,
    /// An endpoint for every AWS service (a local emulator); AWS_ENDPOINT_URL works too. Also
    /// passed to apply.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Arguments for `tenancy apply`, after `--` (for example `-- --state dynamodb:<table>`).
    #[arg(last = true)]
    pub apply_args: Vec<String>,
}

/// The actor the audit trail names for the job's transitions.
pub const ACTOR: &str = "onboarding-job";

/// Runs a job: exit 0 when the tenant reached `active` (or `removed`), 1 when a step failed
/// (reported `fail`), 2 for bad arguments, 4 when the registry refuses the job.
pub fn run(command: JobCommand) -> anyhow::Result<ExitCode> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("while starting the runtime")?;
    runtime.block_on(async {
        match command {
            JobCommand::Onboard(args) => onboard(args).await,
            JobCommand::Offboard(args) => offboard(args).await,
            JobCommand::Suspend(args) => serving(Direction::Suspend, args).await,
            JobCommand::Activate(args) => serving(Direction::Activate, args).await,
            JobCommand::SetTier(args) => set_tier(args).await,
        }
    })
}

/// Which way a job goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Direction {
    Onboard,
    Offboard,
    Suspend,
    Activate,
    /// To the tier named.
    SetTier(String),
}

impl Direction {
    /// Whether the job has nothing left to do for a tenant in `state` on `tier`.
    fn done(&self, state: &State, tier: Option<&str>) -> bool {
        match self {
            Self::SetTier(to) => matches!(state, State::Active | State::Suspended) && tier == Some(to.as_str()),
            _ => matches!(
                (self, state),
                (Self::Onboard | Self::Activate, State::Active)
                    | (Self::Offboard, State::Removed)
                    | (Self::Suspend, State::Suspended)
            ),
        }
    }

    /// The event that opens the phase from `state`. Suspension, activation and a tier change
    /// have none: they are one transition, reported once the apply made them true, so a failed
    /// apply leaves the record saying what still serves.
    fn start(&self, state: Option<&State>) -> Option<Event> {
        match (self, state) {
            (Self::Suspend | Self::Activate | Self::SetTier(_), _) => None,
            (Self::Onboard, Some(State::Failed { during: Phase::Provisioning, .. }))
            | (Self::Offboard, Some(State::Failed { during: Phase::Offboarding, .. })) => Some(Event::Retry),
            (Self::Onboard, _) => Some(Event::Provision),
            (Self::Offboard, _) => Some(Event::Offboard),
        }
    }

    fn finish(&self) -> Event {
        match self {
            Self::Onboard => Event::Provisioned,
            Self::Offboard => Event::Removed,
            Self::Suspend => Event::Suspend,
            Self::Activate => Event::Activate,
            Self::SetTier(tier) => Event::ChangeTier { tier: tier.clone() },
        }
    }

    /// Whether a failure is recorded as `fail` (a phase that stopped halfway); suspension,
    /// activation and a tier change fail with the record unchanged.
    fn records_failure(&self) -> bool {
        matches!(self, Self::Onboard | Self::Offboard)
    }

    fn verb(&self) -> &'static str {
        match self {
            Self::Onboard => "onboard",
            Self::Offboard => "offboard",
            Self::Suspend => "suspend",
            Self::Activate => "activate",
            Self::SetTier(_) => "set-tier",
        }
    }
}

async fn onboard(args: OnboardArgs) -> anyhow::Result<ExitCode> {
    let edit = vec![
        "tenant".to_owned(),
        "add".to_owned(),
        args.tenant.clone(),
        "--name".to_owned(),
        args.name.clone(),
        "--tier".to_owned(),
        args.tier.clone(),
        "--admin-email".to_owned(),
        args.admin_email.clone(),
    ];
    run_job(Direction::Onboard, &args.tenant, edit, &args.job).await
}

async fn offboard(args: OffboardArgs) -> anyhow::Result<ExitCode> {
    let edit = vec!["tenant".to_owned(), "remove".to_owned(), args.tenant.clone()];
    run_job(Direction::Offboard, &args.tenant, edit, &args.job).await
}

async fn serving(direction: Direction, args: OffboardArgs) -> anyhow::Result<ExitCode> {
    let edit = vec!["tenant".to_owned(), direction.verb().to_owned(), args.tenant.clone()];
    run_job(direction, &args.tenant, edit, &args.job).await
}

async fn set_tier(args: SetTierArgs) -> anyhow::Result<ExitCode> {
    let edit = vec!["tenant".to_owned(), "set-tier".to_owned(), args.tenant.clone(), args.tier.clone()];
    run_job(Direction::SetTier(args.tier), &args.tenant, edit, &args.job).await
}

/// The registry and the topic the job reports to, or nothing.
struct Reporter {
    registry: Option<DynamoRegistry>,
    events: Option<SnsEvents>,
    caller: Caller,
}

/// The SDK's configuration: the environment's, with `--endpoint-url` if given.
async fn aws_config(args: &JobArgs) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(url) = &args.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

impl Reporter {
    async fn new(args: &JobArgs) -> Self {
        let caller = Caller { actor: ACTOR.into(), request_id: args.request_id.clone(), at: 0 };
        let Some(table) = &args.registry_table else { return Self { registry: None, events: None, caller } };
        let aws = aws_config(args).await;
        Self {
            registry: Some(DynamoRegistry::new(aws_sdk_dynamodb::Client::new(&aws), table.clone())),
            events: args.topic_arn.as_ref().map(|arn| SnsEvents::new(aws_sdk_sns::Client::new(&aws), arn.clone())),
            caller,
        }
    }

    async fn record(&self, tenant: &str) -> anyhow::Result<Option<Record>> {
        let Some(registry) = &self.registry else { return Ok(None) };
        match registry.record(tenant).await? {
            Some(record) => Ok(Some(record)),
            None => Err(tenancy_registry::RegistryError::NotFound { tenant: tenant.into() }.into()),
        }
    }

    /// Reports `event`; prints what it did. Publishing is best effort: an event the topic does
    /// not take stays pending and goes with the next transition.
    async fn report(&self, tenant: &str, event: &Event) -> anyhow::Result<()> {
        let Some(registry) = &self.registry else {
            eprintln!("job: {tenant}: {} (no registry named: not reported)", event.name());
            return Ok(());
        };
        let caller = Caller::now(self.caller.actor.clone(), self.caller.request_id.clone());
        match transition(registry, tenant, event, &caller).await? {
            Change::Moved(record) => {
                eprintln!("job: {tenant}: {} -> {} (version {})", event.name(), record.state, record.version)
            }
            Change::Already(record) => eprintln!("job: {tenant}: {} already recorded ({})", event.name(), record.state),
        }
        if let Some(events) = &self.events
            && let Err(err) = publish_pending(registry, events as &dyn Events, tenant).await
        {
            eprintln!("warning: {tenant}: the lifecycle event is left pending: {err}");
        }
        Ok(())
    }
}

async fn run_job(direction: Direction, tenant: &str, edit: Vec<String>, args: &JobArgs) -> anyhow::Result<ExitCode> {
    if tenancy::model::TenantId::parse(tenant).is_err() {
        eprintln!("error: --tenant `{tenant}` is not a tenant id (a lower-case DNS label)");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let reporter = Reporter::new(args).await;
    let record = match reporter.record(tenant).await {
        Ok(record) => record,
        Err(err) => {
            eprintln!("error: {err:#}; the job runs for a registered tenant (or without --registry-table)");
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    };
    // The stack's own admin user, which the purge leaves for the stack to delete.
    let admin_email = record.as_ref().map(|r| r.registration.email.clone());
    let tier = record.as_ref().map(|r| r.registration.tier.clone());
    let state = record.map(|r| r.state);
    if let Some(state) = &state {
        if direction.done(state, tier.as_deref()) {
            eprintln!("job: {tenant} is {state} already: nothing to do");
            return Ok(ExitCode::SUCCESS);
        }
        // Refused before anything is committed: a suspension of a tenant that is not active,
        // an activation of one that is not suspended.
        if direction.start(Some(state)).is_none()
            && let Err(refused) = state.apply(&direction.finish())
        {
            eprintln!("error: {refused}");
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    }
    if let Some(start) = direction.start(state.as_ref())
        && let Err(err) = reporter.report(tenant, &start).await
    {
        eprintln!("error: {err:#}");
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    match steps(&direction, tenant, &edit, args, admin_email.as_deref()).await {
        Ok(()) => {
            reporter.report(tenant, &direction.finish()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            if direction.records_failure() {
                reporter.report(tenant, &Event::Fail { cause: cause(&err) }).await?;
            }
            Ok(ExitCode::from(EXIT_FAILED))
        }
    }
}

/// The failure in one line for the record: its outermost context and its root.
fn cause(err: &anyhow::Error) -> String {
    let root = err.root_cause().to_string();
    let text = if err.chain().count() > 1 { format!("{err}: {root}") } else { root };
    let line = text.lines().next().unwrap_or_default();
    line.chars().take(400).collect()
}

/// How long each of the job's own steps took, summed over push attempts: printed once the
/// change is on the branch, for the build's log and for `scripts/bench-onboarding`.
#[derive(Default)]
struct Timings(Vec<(&'static str, Duration)>);

impl Timings {
    fn time<T>(&mut self, step: &'static str, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
        let started = std::time::Instant::now();
        let result = f();
        match self.0.iter_mut().find(|(s, _)| *s == step) {
            Some((_, total)) => *total += started.elapsed(),
            None => self.0.push((step, started.elapsed())),
        }
        result
    }

    fn summary(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(|(s, d)| format!("{s} {:.2} s", d.as_secs_f64())).collect();
        let total: Duration = self.0.iter().map(|(_, d)| *d).sum();
        format!("{} (total {:.2} s)", parts.join(", "), total.as_secs_f64())
    }
}

/// Clone, edit, commit, push, (purge,) apply.
async fn steps(
    direction: &Direction,
    tenant: &str,
    edit: &[String],
    args: &JobArgs,
    admin_email: Option<&str>,
) -> anyhow::Result<()> {
    let mut timings = Timings::default();
    let checkout = timings.time("clone", || Checkout::clone(&args.remote, &args.branch))?;
    let message = commit_message(direction, tenant, &args.request_id);
    let mut pushed = false;
    for attempt in 1..=args.push_attempts.max(1) {
        if attempt > 1 {
            // Another job pushed first: start again from its commit, wait a little so that
            // racing jobs spread out.
            tokio::time::sleep(Duration::from_millis(jitter_ms(attempt))).await;
            timings.time("fetch", || checkout.sync())?;
        }
        let blueprint = path_arg(&args.blueprint);
        let mut edit = edit.to_vec();
        edit.extend(["--blueprint".to_owned(), blueprint.clone()]);
        timings.time("edit", || checkout.tenancy(&edit, "edit the blueprint"))?;
        let generated = path_arg(&args.generated);
        timings
            .time("synth", || checkout.tenancy(&["synth", "--blueprint", &blueprint, "--out", &generated], "synth"))?;
        timings.time("verify", || checkout.tenancy(&["verify", "--generated", &generated], "verify"))?;
        if !checkout.changed(&[&args.blueprint_dir(), &args.generated])? {
            eprintln!("job: {tenant}: the branch has this change already: nothing to commit");
            pushed = true;
            break;
        }
        timings.time("commit", || checkout.commit(&[&args.blueprint_dir(), &args.generated], &message))?;
        match timings.time("push", || checkout.push())? {
            Push::Pushed => {
                eprintln!("job: {tenant}: pushed {} to {} (attempt {attempt})", checkout.head()?, args.branch);
                pushed = true;
                break;
            }
            Push::Behind => eprintln!("job: {tenant}: {} moved on; making the change again on its tip", args.branch),
        }
    }
    if !pushed {
        bail!("push: {} kept moving; gave up after {} attempts", args.branch, args.push_attempts);
    }
    eprintln!("job: {tenant}: the change took {}", timings.summary());
    let generated = checkout.dir().join(&args.generated);
    let mut apply = vec![
        "apply".to_owned(),
        "--select".to_owned(),
        format!("tenant:{tenant}"),
        "--generated".to_owned(),
        generated.to_string_lossy().into_owned(),
    ];
    if *direction == Direction::Offboard {
        purge(tenant, args, admin_email).await.context("purge the tenant's users")?;
        apply.push("--allow-delete".to_owned());
    }
    if let Some(url) = &args.endpoint_url {
        apply.extend(["--endpoint-url".to_owned(), url.clone()]);
    }
    apply.extend(args.apply_args.iter().cloned());
    checkout.tenancy(&apply, "apply")
}

/// Deletes the users of `tenant` in the shared pool but the stack's admin user (see the module's
/// docs). Run again, it deletes what is left.
async fn purge(tenant: &str, args: &JobArgs, admin_email: Option<&str>) -> anyhow::Result<()> {
    let Some(table) = &args.tenant_table else {
        eprintln!("job: {tenant}: no tenant table named: no users purged");
        return Ok(());
    };
    let aws = aws_config(args).await;
    let directory = DynamoDirectory::new(aws_sdk_dynamodb::Client::new(&aws), table.clone());
    let Some(sign_in) = directory.sign_in(tenant).await? else {
        eprintln!("job: {tenant}: no sign-in recorded (its stack is gone or never was): no users to purge");
        return Ok(());
    };
    let id = tenancy::model::TenantId::parse(tenant).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    // Taken as the shared pool's: a pool of the tenant's own has no group of its users, which
    // the listing reports (NoSuchGroup, below).
    let scope = Scope::of_tenant(&id, sign_in.user_pool_id, true);
    let users = CognitoUsers::new(aws_sdk_cognitoidentityprovider::Client::new(&aws));
    match users.purge(&scope, admin_email.as_slice()).await {
        Ok(deleted) => {
            eprintln!("job: {tenant}: purged {} user(s) from the shared pool {}", deleted.len(), scope.user_pool_id);
            Ok(())
        }
        Err(UsersError::NoSuchGroup { pool, .. }) => {
            eprintln!("job: {tenant}: its users are in a pool of its own ({pool}), which its stack deletes");
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}

impl JobArgs {
    /// The directory the blueprint and its tenant files live in.
    fn blueprint_dir(&self) -> PathBuf {
        match self.blueprint.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        }
    }
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// 100 to 600 ms, more for later attempts: enough for a push to land, short enough that eight
/// attempts take seconds, not minutes.
fn jitter_ms(attempt: u32) -> u64 {
    let spread = 100 * u64::from(attempt.min(5));
    100 + std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos() as u64)
        % spread
}

fn commit_message(direction: &Direction, tenant: &str, request_id: &str) -> String {
    format!("{} tenant {tenant}\n\nTenancy-Tenant: {tenant}\nTenancy-Job: {request_id}\n", direction.verb())
}

/// The job's own clone of the remote's branch, removed when the job ends.
struct Checkout {
    dir: tempfile::TempDir,
    branch: String,
}

enum Push {
    Pushed,
    /// The remote's branch has commits this clone does not.
    Behind,
}

/// The identity of the job's commits.
const AUTHOR: [&str; 4] = ["-c", "user.name=tenancy onboarding job", "-c", "user.email=onboarding@tenancy.invalid"];

impl Checkout {
    fn clone(remote: &str, branch: &str) -> anyhow::Result<Self> {
        let dir =
            tempfile::Builder::new().prefix("tenancy-job-").tempdir().context("while making the job's directory")?;
        let target = dir.path().join("repo");
        git(dir.path(), &["clone", "--quiet", "--branch", branch, "--single-branch", remote, &path_arg(&target)])
            .with_context(|| format!("clone: {remote} ({branch})"))?;
        Ok(Self { dir, branch: branch.to_owned() })
    }

    fn dir(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn git(&self, args: &[&str]) -> anyhow::Result<String> {
        git(&self.dir(), args)
    }

    /// Back to the remote's tip, with nothing of the last attempt left.
    fn sync(&self) -> anyhow::Result<()> {
        self.git(&["fetch", "--quiet", "origin", &self.branch]).context("fetch")?;
        self.git(&["reset", "--quiet", "--hard", "FETCH_HEAD"]).context("reset to the fetched tip")?;
        self.git(&["clean", "--quiet", "-d", "--force"]).context("clean")?;
        Ok(())
    }

    /// Runs this binary in the clone; its output goes to the job's log.
    fn tenancy<S: AsRef<str>>(&self, args: &[S], what: &str) -> anyhow::Result<()> {
        let exe = std::env::current_exe().context("where this binary is")?;
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        eprintln!("job: tenancy {}", args.join(" "));
        let status = Command::new(exe)
            .args(&args)
            .current_dir(self.dir())
            .stdin(Stdio::null())
            .status()
            .with_context(|| format!("{what}: could not start tenancy"))?;
        match status.code() {
            Some(0) => Ok(()),
            Some(code) => bail!("{what}: `tenancy {}` exited {code} (its output is above)", args[0]),
            None => bail!("{what}: `tenancy {}` was killed", args[0]),
        }
    }

    fn changed(&self, paths: &[&Path]) -> anyhow::Result<bool> {
        let mut args = vec!["status", "--porcelain", "--untracked-files=all", "--"];
        let paths: Vec<String> = paths.iter().map(|p| path_arg(p)).collect();
        args.extend(paths.iter().map(String::as_str));
        Ok(!self.git(&args).context("status")?.trim().is_empty())
    }

    fn commit(&self, paths: &[&Path], message: &str) -> anyhow::Result<()> {
        let paths: Vec<String> = paths.iter().map(|p| path_arg(p)).collect();
        let mut add = vec!["add", "--all", "--"];
        add.extend(paths.iter().map(String::as_str));
        self.git(&add).context("stage")?;
        let mut commit = AUTHOR.to_vec();
        commit.extend(["commit", "--quiet", "--message", message]);
        self.git(&commit).context("commit")?;
        Ok(())
    }

    fn push(&self) -> anyhow::Result<Push> {
        let refspec = format!("HEAD:refs/heads/{}", self.branch);
        let output = git_output(&self.dir(), &["push", "--porcelain", "origin", &refspec]).context("push")?;
        if output.status.success() {
            return Ok(Push::Pushed);
        }
        let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        // git's words for a branch that moved: `[rejected] ... (fetch first)` or
        // `(non-fast-forward)`, and `[remote rejected] ... (cannot lock ref ...)` when another
        // push is landing at that moment.
        if ["(fetch first)", "(non-fast-forward)", "cannot lock ref", "failed to update ref"]
            .iter()
            .any(|w| said.contains(w))
        {
            return Ok(Push::Behind);
        }
        bail!("push: {}", said.trim())
    }

    fn head(&self) -> anyhow::Result<String> {
        Ok(self.git(&["rev-parse", "--short", "HEAD"])?.trim().to_owned())
    }
}

fn git_output(dir: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        // Never wait for a password on a terminal: a job has none.
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .context("could not run git (is it installed?)")
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = git_output(dir, args)?;
    if !output.status.success() {
        bail!("`git {}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_job_starts_its_phase_from_every_state_or_sees_it_done() {
        let failed = |during| State::Failed { during, cause: "x".into() };
        let cases = [
            (Direction::Onboard, State::Requested, Some(Event::Provision)),
            (Direction::Onboard, State::Provisioning, Some(Event::Provision)),
            (Direction::Onboard, failed(Phase::Provisioning), Some(Event::Retry)),
            (Direction::Offboard, State::Active, Some(Event::Offboard)),
            (Direction::Offboard, State::Suspended, Some(Event::Offboard)),
            (Direction::Offboard, State::Offboarding, Some(Event::Offboard)),
            (Direction::Offboard, failed(Phase::Offboarding), Some(Event::Retry)),
            (Direction::Suspend, State::Active, None),
            (Direction::Activate, State::Suspended, None),
            (Direction::SetTier("basic".into()), State::Active, None),
            (Direction::SetTier("basic".into()), State::Suspended, None),
        ];
        for (direction, state, expected) in cases {
            assert!(!direction.done(&state, Some("premium")), "{direction:?} from {state}");
            assert_eq!(direction.start(Some(&state)), expected, "{direction:?} from {state}");
            // What the job sends, first and last, is what the lifecycle allows from there.
            let after = match &expected {
                Some(event) => match state.apply(event) {
                    Ok(tenancy::contract::lifecycle::Applied::Moved(t)) => t.to,
                    Ok(_) => state.clone(),
                    Err(e) => panic!("{direction:?} from {state}: {e}"),
                },
                None => state.clone(),
            };
            assert!(after.apply(&direction.finish()).is_ok(), "{direction:?} from {state} then {after}");
        }
        for (direction, state) in [
            (Direction::Onboard, State::Active),
            (Direction::Offboard, State::Removed),
            (Direction::Suspend, State::Suspended),
            (Direction::Activate, State::Active),
            (Direction::SetTier("premium".into()), State::Active),
            (Direction::SetTier("premium".into()), State::Suspended),
        ] {
            assert!(direction.done(&state, Some("premium")), "{direction:?} at {state}");
        }
        // A tier change of a tenant still provisioning is refused by the lifecycle.
        assert!(State::Provisioning.apply(&Direction::SetTier("basic".into()).finish()).is_err());
        // A suspension of a tenant still provisioning is refused by the lifecycle.
        assert!(State::Provisioning.apply(&Direction::Suspend.finish()).is_err());
    }

    #[test]
    fn a_cause_is_one_line_with_its_step_and_root() {
        let err = anyhow::anyhow!("connection refused\nmore").context("apply: `tenancy apply` exited 1");
        assert_eq!(cause(&err), "apply: `tenancy apply` exited 1: connection refused");
        let long = anyhow::anyhow!("{}", "x".repeat(1000));
        assert_eq!(cause(&long).len(), 400);
    }
}
