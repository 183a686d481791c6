//! Proofs on the generated files, before anything exists (issue 13). So far: `iam`, a pure
//! evaluator of IAM policies against documented evaluation logic. Not yet: trust and resource
//! policies, the `tenancy verify` command that reads `generated/` and reports findings.

pub mod iam;
