//! Proofs on the generated files, before anything exists (issue 13). So far: `iam`, a pure
//! evaluator of identity, boundary, resource and trust policies against AWS's documented
//! evaluation logic. Not yet: the `tenancy verify` command that reads `generated/`, resolves
//! the templates' intrinsics and reports findings with file and line.

pub mod iam;
