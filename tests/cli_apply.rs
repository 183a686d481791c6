//! The real `tenancy` binary's refusals and exit codes where no AWS is needed: each run is
//! refused before the bootstrap check reaches AWS (its endpoint is a closed port, so a run
//! that got that far would fail differently), and leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const TENANCY: &str = env!("CARGO_BIN_EXE_tenancy");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
