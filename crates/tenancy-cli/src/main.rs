//! The `tenancy` binary: parse the command line, run it, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    // kube's TLS stack asks rustls for the process-level provider; with both ring and aws-lc-rs
    // compiled in (kube and the AWS SDK want one each), there is none until one is chosen.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    match cli::run(cli::Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
