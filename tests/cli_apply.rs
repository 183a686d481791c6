//! The real `tenancy` binary's refusals and exit codes where no AWS is needed: each run is
//! refused before the bootstrap check reaches AWS (its endpoint is a closed port, so a run
//! that got that far would fail differently), and leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const TENANCY: &str = env!("CARGO_BIN_EXE_tenancy");

fn repo() -> PathBuf {
    crate::common::root()
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tenancy(dir: &Path, args: &[&str]) -> Output {
    Command::new(TENANCY)
        .args(args)
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", closed_port()))
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fault 6b: a tenant not in the plan was an apply of nothing, exit 0, the lock taken.
#[test]
fn a_selection_not_in_the_plan_is_invalid_input_and_takes_no_lock() {
    let scratch = tempfile::tempdir().unwrap();
    let state = scratch.path().join("state");
    let generated = repo().join("generated");
    for (select, expect) in [
        ("tenant:nosuch", "error: --select tenant:nosuch: tenant nosuch is not in the plan; its tenants are acme, "),
        ("step:tenant/nosuch/stack", "step tenant/nosuch/stack is not in the plan"),
    ] {
        let out = tenancy(
            scratch.path(),
            &[
                "apply",
                "--generated",
                generated.to_str().unwrap(),
                "--select",
                select,
                "--state",
                &format!("local:{}", state.display()),
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{select}: {}", stderr(&out));
        assert!(stderr(&out).contains(expect), "{select}: {}", stderr(&out));
        assert!(!state.exists(), "{select}: no lock, no journal");
    }
}

/// Fault 2d, the local store: `tenancy unlock` names the holder and exits 1 while a process
/// holds the lock, never breaks a running apply's lock, and clears what a dead one left.
#[tokio::test]
async fn unlock_shows_a_local_lock_and_clears_only_what_no_process_holds() {
    use tenancy_apply::{LocalState, LockScope, LockWait, StateStore};

    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("state");
    let state = format!("local:{}", dir.display());
    let unlock = |force: bool| {
        let mut args = vec!["unlock", "--state", &state];
        if force {
            args.push("--force");
        }
        tenancy(scratch.path(), &args)
    };
    let now = LockWait { timeout: std::time::Duration::ZERO, poll: std::time::Duration::from_millis(10) };
    let held = LocalState::new(&dir).lock(&LockScope::Platform, now).await.unwrap();
    let shown = unlock(false);
    assert_eq!(shown.status.code(), Some(1), "{}", stderr(&shown));
    let pid = format!("pid {}, a running process", std::process::id());
    assert!(String::from_utf8_lossy(&shown.stdout).contains(&pid), "{shown:?}");
    let forced = unlock(true);
    assert_eq!(forced.status.code(), Some(1), "a running apply's lock is not broken: {}", stderr(&forced));
    assert!(stderr(&forced).contains("stop the apply instead"), "{}", stderr(&forced));

    held.release().await.unwrap();
    let shown = unlock(false);
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(stderr(&shown).contains("no lock is held"), "{}", stderr(&shown));
    let forced = unlock(true);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(!dir.join("lock").exists());
}

/// Fault 4a's refusal had exit 1, like a failed step: a caller could not tell them apart.
#[test]
fn a_tree_that_does_not_match_its_plan_is_refused_with_its_own_exit_code() {
    let scratch = tempfile::tempdir().unwrap();
    let generated = scratch.path().join("generated");
    let copy = Command::new("cp").arg("-r").arg(repo().join("generated")).arg(&generated).output().unwrap();
    assert!(copy.status.success());
    let bundle = generated.join("tenants/acme/k8s.yaml");
    let mut text = std::fs::read_to_string(&bundle).unwrap();
    text.push_str("# edited after the plan\n");
    std::fs::write(&bundle, text).unwrap();
    let state = format!("local:{}", scratch.path().join("state").display());
    let out = tenancy(scratch.path(), &["apply", "--generated", generated.to_str().unwrap(), "--state", &state]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("its artifacts changed after the plan was made"), "{}", stderr(&out));
}
