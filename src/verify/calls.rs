//! The AWS calls each caller makes, as verify checks them against the generated IAM. Each
//! caller's table is declared once (`contract::calls` for `tenancy apply`, `services/*/src/store.rs`
//! for the services, and `buildspec::aws_cli` for the buildspecs' commands); this module only
//! says who makes them and on what.
//!
//! The services are separate crates that do not depend on this one, so their tables are
//! mirrored here, and `tests/declared_calls.rs` fails when a mirror and its source differ.
//! (Issue 14 moves the contracts into a crate both sides depend on.)

use crate::contract::calls as apply;

pub use crate::compile::service_calls::{SERVICES, ServiceCalls};

/// Actions a service calls without a partition key (so no `dynamodb:LeadingKeys`).
pub const WITHOUT_KEYS: [&str; 2] = ["dynamodb:DescribeTable", "dynamodb:Scan"];

/// What `tenancy apply` calls for the journal and lock, on the state table.
pub const STATE: &[&str] = &apply::STATE_IAM_ACTIONS;
/// For a CloudFormation step, on its stack (and `iam:PassRole` on its role).
pub const STACK: &[&str] = &apply::STACK_IAM_ACTIONS;
/// For a CodeBuild step, on its project.
pub const BUILD: &[&str] = &apply::BUILD_IAM_ACTIONS;
/// For a register step, on the tenant table.
pub const REGISTER: &[&str] = &apply::REGISTER_IAM_ACTIONS;
/// Before Kubernetes steps, on each service repository.
pub const REGISTRY: &[&str] = &apply::REGISTRY_IAM_ACTIONS;
/// Templates over the inline limit go through the artifacts bucket's `templates/`.
pub const TEMPLATE: &[&str] = &apply::TEMPLATE_IAM_ACTIONS;
/// The template size over which apply uploads it (CloudFormation's inline limit).
pub const INLINE_TEMPLATE_BYTES: usize = crate::cfn::limits::INLINE_TEMPLATE_BYTES;
