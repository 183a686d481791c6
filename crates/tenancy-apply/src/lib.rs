//! `tenancy apply`: the engine that runs the deploy plan, its journal and lock, and the
//! providers that reach CloudFormation, CodeBuild, DynamoDB and Kubernetes. This module and
//! its providers are the only place (with `synth` and `cli`) that does IO.

pub mod artifacts;
pub mod aws;
mod engine;
mod events;
pub mod interrupt;
pub mod kubernetes;
mod lock;
mod provider;
mod retry;
mod schedule;
mod select;
pub mod source;
mod state;

pub use artifacts::{ArtifactDir, Artifacts, load_plan};
pub use engine::{ApplyError, Engine, Options, Outcome, Report, StepReport, fail_fast_reason};
pub use events::{Event, JsonLines, Lines, Live, Quiet, Sink, human};
pub use interrupt::{Interrupt, Level};
pub use lock::{Holder, LockGuard, LockScope, LockWait};
pub use provider::{Provider, Providers, Removal, StepError, StepOutcome, StepRun};
pub use retry::RetryPolicy;
pub use select::{Selection, shard_of};
pub use state::{Journal, LocalState, STATE_FORMAT, StateError, StateStore, Status, StepRecord};
