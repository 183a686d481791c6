//! `tenancy job onboard|offboard` against a local bare git repository as the platform's remote:
//! the commit holds exactly the tenant's file and what synth made of it, a rerun after the push
//! resumes at the apply without a second commit, concurrent jobs lose none of each other's
//! commits, and offboarding commits the removal.
//!
//! No AWS here: every apply is pointed at a closed port on 127.0.0.1 and fails, so these jobs
//! end `fail` (exit 1) after their push, which is the state a job killed between its commit
//! and its apply leaves. The registry and the apply that succeeds are the end-to-end test's
//! (`apply_emulator::a_sign_up_is_onboarded_by_the_job_and_offboarded_again`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::split_reference;

const TENANCY: &str = env!("CARGO_BIN_EXE_tenancy");

/// A bare repository seeded with the reference platform, its tenants as files, synthesized.
struct Remote {
    dir: tempfile::TempDir,
}

pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A bare repository `<dir>/origin.git` holding the reference with its tenants as files
/// (`blueprints/blueprint.yaml`, `blueprints/tenants/`), synthesized and committed on `main`.
pub(crate) fn seed_remote(dir: &Path) -> PathBuf {
    let remote = dir.join("origin.git");
    git(dir, &["init", "--quiet", "--bare", "--initial-branch=main", "origin.git"]);
    let seed = dir.join("seed");
    std::fs::create_dir_all(seed.join("blueprints")).unwrap();
    git(&seed, &["init", "--quiet", "--initial-branch=main"]);
    split_reference(&seed.join("blueprints"));
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../blueprints/accepted-findings.yaml"),
        seed.join("blueprints/accepted-findings.yaml"),
    )
    .unwrap();
    let synth = Command::new(TENANCY)
        .args(["synth", "--blueprint", "blueprints/blueprint.yaml", "--out", "generated"])
        .current_dir(&seed)
        .output()
        .unwrap();
    assert!(synth.status.success(), "{}", String::from_utf8_lossy(&synth.stderr));
    git(&seed, &["add", "--all"]);
    git(&seed, &["-c", "user.name=seed", "-c", "user.email=seed@example.com", "commit", "--quiet", "-m", "seed"]);
    git(&seed, &["push", "--quiet", "../origin.git", "main"]);
    remote
}

impl Remote {
    fn seed() -> Self {
        let dir = tempfile::tempdir().unwrap();
        seed_remote(dir.path());
        Self { dir }
    }

    fn url(&self) -> PathBuf {
        self.dir.path().join("origin.git")
    }

    fn log(&self) -> Vec<String> {
        git(&self.url(), &["log", "--format=%s", "main"]).lines().map(str::to_owned).collect()
    }

    /// `git diff --name-status` of the branch's last commit.
    fn last_change(&self) -> Vec<String> {
        git(&self.url(), &["diff", "--name-status", "main~1", "main"]).lines().map(|l| l.replace('\t', " ")).collect()
    }

    /// A fresh clone of the branch.
    fn checkout(&self) -> PathBuf {
        let at = self.dir.path().join(format!("clone-{}", self.log().len()));
        git(self.dir.path(), &["clone", "--quiet", &self.url().to_string_lossy(), &at.to_string_lossy()]);
        at
    }

    fn job(&self, args: &[&str]) -> Output {
        let mut command = Command::new(TENANCY);
        command
            .arg("job")
            .args(args)
            .args(["--remote", &self.url().to_string_lossy(), "--blueprint", "blueprints/blueprint.yaml"])
            // Nothing listens on port 9: the apply fails at its first call.
            .args(["--endpoint-url", "http://127.0.0.1:9", "--", "--state"])
            .arg(format!("local:{}", self.dir.path().join("state").display()));
        for var in
            ["TENANT_ID", "TENANT_NAME", "TENANT_TIER", "TENANT_ADMIN_EMAIL", "REGISTRY_TABLE", "CODEBUILD_BUILD_ID"]
        {
            command.env_remove(var);
        }
        command
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "eu-west-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap()
    }

    fn onboard(&self, tenant: &str, tier: &str) -> Output {
        let email = format!("ops@{tenant}.example");
        self.job(&["onboard", "--tenant", tenant, "--name", tenant, "--tier", tier, "--admin-email", &email])
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The clone's `generated/` is exactly what synth makes of its blueprint.
fn up_to_date(clone: &Path) {
    let check = Command::new(TENANCY)
        .args(["check", "--blueprint", "blueprints/blueprint.yaml", "--out", "generated"])
        .current_dir(clone)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", stderr(&check));
}

/// The job got past its push and failed at the apply, as it must with no AWS to reach.
fn failed_at_apply(output: &Output) {
    let said = stderr(output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("error: apply: `tenancy apply` exited 1"), "{said}");
    assert!(said.contains("127.0.0.1:9") || said.contains("Connection refused"), "{said}");
}

#[test]
fn an_onboarding_commit_holds_the_tenants_file_and_its_generated_files_and_a_rerun_resumes_at_apply() {
    let remote = Remote::seed();
    let first = remote.onboard("hooli", "standard");
    failed_at_apply(&first);
    assert!(stderr(&first).contains("job: hooli: pushed "), "{}", stderr(&first));
    assert_eq!(remote.log(), ["onboard tenant hooli", "seed"]);
    assert_eq!(
        remote.last_change(),
        [
            "A blueprints/tenants/hooli.yaml",
            "M generated/plan.json",
            "M generated/plan.mmd",
            "A generated/tenants/hooli/k8s.yaml",
            "A generated/tenants/hooli/stack.cfn.yaml",
        ]
    );
    let message = git(&remote.url(), &["log", "-1", "--format=%an <%ae>%n%B", "main"]);
    assert!(message.starts_with("tenancy onboarding job <onboarding@tenancy.invalid>\n"), "{message}");
    assert!(message.contains("Tenancy-Tenant: hooli\nTenancy-Job: local\n"), "{message}");

    // Killed after the push, rerun: the change is on the branch, so no second commit; the job
    // goes straight to the apply.
    let again = remote.onboard("hooli", "standard");
    failed_at_apply(&again);
    assert!(stderr(&again).contains("the branch has this change already: nothing to commit"), "{}", stderr(&again));
    assert_eq!(remote.log().len(), 2);

    // What the branch holds is what synth makes of it: nothing stale, nothing hand-made.
    up_to_date(&remote.checkout());
}

#[test]
fn concurrent_jobs_lose_none_of_each_others_commits() {
    let remote = std::sync::Arc::new(Remote::seed());
    let tenants: [&'static str; 4] = ["hooli", "pied-piper", "raviga", "aviato"];
    let jobs: Vec<_> = tenants
        .iter()
        .map(|tenant| {
            let remote = remote.clone();
            let tenant = *tenant;
            std::thread::spawn(move || remote.onboard(tenant, "basic"))
        })
        .collect();
    let outputs: Vec<Output> = jobs.into_iter().map(|j| j.join().unwrap()).collect();
    for output in &outputs {
        failed_at_apply(output);
    }
    let log: BTreeSet<String> = remote.log().into_iter().collect();
    let expected: BTreeSet<String> =
        tenants.iter().map(|t| format!("onboard tenant {t}")).chain(["seed".to_owned()]).collect();
    assert_eq!(log, expected, "one commit per job, none lost");
    let retried = outputs.iter().filter(|o| stderr(o).contains("moved on; making the change again")).count();
    eprintln!("{retried} of {} jobs found the branch moved and made their change again", tenants.len());

    // The branch's generated files are exactly synth's output for all four tenants together:
    // a change made again on a moved branch regenerates the plan, it never merges it as text.
    let clone = remote.checkout();
    for tenant in tenants {
        assert!(clone.join(format!("blueprints/tenants/{tenant}.yaml")).is_file(), "{tenant}");
        assert!(clone.join(format!("generated/tenants/{tenant}/stack.cfn.yaml")).is_file(), "{tenant}");
    }
    up_to_date(&clone);
}

#[test]
fn offboarding_commits_the_removal_of_the_tenants_file_and_its_generated_files() {
    let remote = Remote::seed();
    let out = remote.job(&["offboard", "--tenant", "initech"]);
    failed_at_apply(&out);
    assert!(stderr(&out).contains("--allow-delete"), "the apply may delete: {}", stderr(&out));
    assert_eq!(remote.log(), ["offboard tenant initech", "seed"]);
    assert_eq!(
        remote.last_change(),
        [
            "D blueprints/tenants/initech.yaml",
            "M generated/plan.json",
            "M generated/plan.mmd",
            "D generated/tenants/initech/k8s.yaml",
            "D generated/tenants/initech/stack.cfn.yaml",
        ]
    );
}

#[test]
fn suspension_and_activation_are_commits_of_the_tenants_file_and_ingress_and_activation_restores_every_byte() {
    let remote = Remote::seed();
    let seeded = git(&remote.url(), &["rev-parse", "main"]);
    let out = remote.job(&["suspend", "--tenant", "acme"]);
    failed_at_apply(&out);
    assert_eq!(remote.log(), ["suspend tenant acme", "seed"]);
    assert_eq!(
        remote.last_change(),
        ["M blueprints/tenants/acme.yaml", "M generated/plan.json", "M generated/tenants/acme/k8s.yaml"]
    );
    let ingress = git(&remote.url(), &["show", "main:generated/tenants/acme/k8s.yaml"]);
    assert!(ingress.contains("nginx.ingress.kubernetes.io/denylist-source-range: 0.0.0.0/0,::/0"), "{ingress}");
    let out = remote.job(&["activate", "--tenant", "acme"]);
    failed_at_apply(&out);
    assert_eq!(remote.log(), ["activate tenant acme", "suspend tenant acme", "seed"]);
    let back = git(&remote.url(), &["diff", "--stat", seeded.trim(), "main"]);
    assert!(back.trim().is_empty(), "activation restores every byte: {back}");
}

/// A tier change is a commit of the tenant's file and of what synth makes of it for the new
/// tier, and nothing of any other tenant's; a rerun commits nothing and goes to the apply.
#[test]
fn a_tier_change_is_a_commit_of_the_tenants_file_and_its_generated_files_only() {
    let remote = Remote::seed();
    let out = remote.job(&["set-tier", "--tenant", "initech", "--tier", "premium"]);
    failed_at_apply(&out);
    assert_eq!(remote.log(), ["set-tier tenant initech", "seed"]);
    let change = remote.last_change();
    assert!(change.contains(&"M blueprints/tenants/initech.yaml".to_owned()), "{change:?}");
    assert!(change.contains(&"M generated/tenants/initech/k8s.yaml".to_owned()), "{change:?}");
    for line in &change {
        let path = line.split_once(' ').unwrap().1;
        assert!(
            path == "blueprints/tenants/initech.yaml"
                || path.starts_with("generated/tenants/initech/")
                || path.starts_with("generated/plan."),
            "a tier change of initech touched {path}"
        );
    }
    let file = git(&remote.url(), &["show", "main:blueprints/tenants/initech.yaml"]);
    assert!(file.contains("tier: premium"), "{file}");
    up_to_date(&remote.checkout());

    let again = remote.job(&["set-tier", "--tenant", "initech", "--tier", "premium"]);
    failed_at_apply(&again);
    assert!(stderr(&again).contains("the branch has this change already"), "{}", stderr(&again));
    assert_eq!(remote.log().len(), 2, "a rerun commits nothing");
}

#[test]
fn a_job_that_cannot_make_its_change_pushes_nothing_and_says_why() {
    let remote = Remote::seed();
    let out = remote.onboard("hooli", "gold");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("tenant `hooli` names tier `gold`, which is not defined"), "{said}");
    assert!(said.contains("error: edit the blueprint: `tenancy tenant` exited 2"), "{said}");
    assert_eq!(remote.log(), ["seed"]);

    let out = remote.onboard("Hooli", "basic");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--tenant `Hooli` is not a tenant id"), "{}", stderr(&out));

    let out = Command::new(TENANCY)
        .args(["job", "onboard", "--tenant", "hooli", "--name", "Hooli", "--tier", "basic"])
        .args(["--admin-email", "ops@hooli.example", "--remote", "/nonexistent/origin.git"])
        .env_remove("REGISTRY_TABLE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("error: clone: /nonexistent/origin.git (main)"), "{}", stderr(&out));
}
