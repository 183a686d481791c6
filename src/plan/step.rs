//! Deploy steps: what one unit of deployment applies, what it needs, and what it reads from
//! the steps before it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::contract::steps::StepId;

/// What a step does, and with which provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", rename_all_fields = "camelCase")]
pub enum Action {
    /// Create or update a stack through a change set.
    Cloudformation {
        /// The stack's name.
        stack: String,
        /// The region the stack is deployed in (the edge stack's is CloudFront's, `us-east-1`).
        region: String,
        /// The template's path under the output directory.
        template: String,
        /// The role CloudFormation assumes for the stack; none: the caller's credentials.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
        /// Tags on the stack (and so on every resource it creates).
        #[serde(default)]
        tags: BTreeMap<String, String>,
    },
    /// Server-side apply of a bundle (field manager `tenancy`).
    Kubernetes {
        /// The bundle's path under the output directory (multi-document YAML).
        bundle: String,
        /// The namespace the bundle owns (a tenant's): when the step is removed, apply deletes
        /// it last, after the bundle's other objects. `None` when the bundle owns none.
        namespace: Option<String>,
    },
    /// Start a build of a project and wait for it. `buildspec` is the path CodeBuild resolves
    /// in the unpacked source bundle (relative to `CODEBUILD_SRC_DIR`, the repository root).
    /// A `rerun` build runs at every apply that selects it, journaled or not: what it makes
    /// depends on more than its artifacts (the images build, on the services' sources, which it
    /// digests itself and skips when its registry already holds them). On a source version it
    /// has built, apply adopts that build rather than start another.
    Codebuild {
        /// The CodeBuild project's name.
        project: String,
        /// The buildspec's path in the source bundle (see above).
        buildspec: String,
        /// Whether the build runs at every apply that selects it (see above); omitted from
        /// `plan.json` when false.
        #[serde(default, skip_serializing_if = "is_false")]
        rerun: bool,
    },
    /// Write the tenant's record (`active`, with its tier) to the tenant table; when the step
    /// is removed, apply marks the record deleted.
    Register {
        /// The tenant table's name (the baseline's).
        table: String,
        /// The tenant's id: the record's key.
        tenant: String,
        /// The tenant's tier, written to the record.
        tier: String,
        /// The hosted UI the tenant's users sign in at (its pool's domain), written to the
        /// record for the tenant's app (`/auth-info`).
        domain: String,
    },
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Action {
    /// The action's `kind` tag in `plan.json`, which also picks apply's provider:
    /// `cloudformation`, `kubernetes`, `codebuild` or `register`.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Cloudformation { .. } => "cloudformation",
            Action::Kubernetes { .. } => "kubernetes",
            Action::Codebuild { .. } => "codebuild",
            Action::Register { .. } => "register",
        }
    }
}

/// A value a step takes from an earlier step's output: `input` is where it goes (a stack
/// parameter, a build's environment variable, a binding placeholder in a manifest, a field of
/// the tenant record), `from` and `output` where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// Where the value goes in this step.
    pub input: crate::contract::BindingTarget,
    /// The step that produces the value; the plan checks that it runs before this one.
    pub from: StepId,
    /// The output of `from` that holds the value: a stack output's or an exported build
    /// variable's name.
    pub output: String,
}

/// One step of the plan, before the plan computes its hash and wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The step's id, unique in the plan.
    pub id: StepId,
    /// What the step does.
    pub action: Action,
    /// Artifacts (paths under the output directory) this step applies.
    pub artifacts: Vec<String>,
    /// Steps that must have been applied before this one, in any order and with repeats (the
    /// plan sorts them and drops repeats).
    pub depends_on: Vec<StepId>,
    /// The values this step reads from the outputs of earlier steps.
    pub bindings: Vec<Binding>,
    /// A rough duration, for the critical path.
    pub estimate_seconds: u32,
}
