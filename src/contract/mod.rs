//! The vocabulary that compile writes and plan, apply and verify read: one typed home for each
//! name two layers share, so that a typo is a compile error (or a refused plan) instead of an
//! input silently ignored.
//!
//! - [`paths`]: where each artifact lives under `generated/`;
//! - [`outputs`]: the stack outputs later steps bind to;
//! - [`steps`]: the ids of the plan's steps ([`StepId`]);
//! - [`placeholder`]: a value one step produces and another's artifact names (`${stack:..}`);
//! - [`binding`]: where a bound value goes ([`BindingTarget`]);
//! - [`calls`]: the AWS actions `tenancy apply` calls, which the generated IAM must grant.
//! - [`lifecycle`]: a tenant's states (`requested` to `removed`) and the events that move it.

pub mod binding;
pub mod calls;
pub mod lifecycle;
pub mod outputs;
pub mod paths;
pub mod placeholder;
pub mod steps;

pub use binding::{BindingTarget, RecordField};
pub use placeholder::Placeholder;
pub use steps::StepId;
