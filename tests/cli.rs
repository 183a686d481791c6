//! The integration tests that need `tenancy-apply` or the `tenancy` binary, in one binary (one
//! link of the AWS SDK and kube instead of one per file). The end-to-end modules against moto
//! are `#[ignore]`d here and run by `scripts/test` with `--ignored`.

mod common;
mod emulator;

mod apply_emulator;
mod cli_apply;
mod declared_calls;
mod engine;
mod faults;
mod iam_crosscheck;
mod job;
mod onboarding_emulator;
mod permissions;
mod rehearsal;
mod synth;
mod tenant_cli;
