//! CloudFormation templates as typed values: our own model, since no maintained Rust crate
//! exists. Intrinsic functions are a typed enum ([`Expr`]); resources are typed property
//! structs ([`resources`]); building a template ([`TemplateBuilder::build`]) rejects dangling
//! references, attributes a type does not have, and anything over CloudFormation's limits.
//!
//! This module does no IO and knows nothing of tenants: `compile` decides what to emit.

mod check;
mod expr;
mod logical_id;
mod policy;
pub mod resources;
mod template;

pub use expr::Expr;
pub(crate) use logical_id::pascal_case;
pub use logical_id::{InvalidLogicalId, LogicalId};
pub use policy::{Effect, PolicyDocument, Statement};
pub use template::{
    Condition, Export, Output, Parameter, Policy, Resource, Template, TemplateBuilder, TemplateError, limits,
};
