//! What the engine asks of the world: one small trait per kind of step, so the engine is tested
//! with fakes and runs against AWS and Kubernetes with the real providers.

use std::collections::BTreeMap;

use async_trait::async_trait;

use tenancy::contract::{BindingTarget, RecordField};
use tenancy::plan::{Action, Placeholder, PlannedStep, StepId};

/// Everything a provider needs to run one step.
#[derive(Debug, Clone)]
pub struct StepRun {
    pub step: PlannedStep,
    /// The step's bindings, resolved from earlier steps' outputs: where each goes -> value.
    pub inputs: BTreeMap<BindingTarget, String>,
    /// The bytes of the step's artifacts, by path.
    pub artifacts: BTreeMap<String, String>,
    /// Describe what would change, change nothing.
    pub dry_run: bool,
}

impl StepRun {
    /// The stack parameters bound: name -> value.
    pub fn parameters(&self) -> BTreeMap<String, String> {
        self.inputs_where(|t| if let BindingTarget::Parameter(name) = t { Some(name.clone()) } else { None })
    }

    /// The build environment variables bound: name -> value.
    pub fn env(&self) -> BTreeMap<String, String> {
        self.inputs_where(|t| if let BindingTarget::Env(name) = t { Some(name.clone()) } else { None })
    }

    /// The tenant record fields bound: field -> value.
    pub fn record(&self) -> BTreeMap<RecordField, String> {
        self.inputs_where(|t| if let BindingTarget::Record(field) = t { Some(*field) } else { None })
    }

    /// The artifact placeholders bound: placeholder -> value.
    pub fn placeholders(&self) -> BTreeMap<Placeholder, String> {
        self.inputs_where(|t| if let BindingTarget::Placeholder(p) = t { Some(p.clone()) } else { None })
    }

    /// Every input by its text form (`tenancy.plan/v1`'s), as digests of bound values take it.
    pub fn inputs_text(&self) -> BTreeMap<String, String> {
        self.inputs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    fn inputs_where<K: Ord>(&self, key: impl Fn(&BindingTarget) -> Option<K>) -> BTreeMap<K, String> {
        self.inputs.iter().filter_map(|(k, v)| key(k).map(|k| (k, v.clone()))).collect()
    }

    /// The bytes of the artifact at `path`.
    pub fn artifact(&self, path: &str) -> Result<&str, StepError> {
        self.artifacts
            .get(path)
            .map(String::as_str)
            .ok_or_else(|| StepError::fatal(format!("artifact {path} is missing")))
    }
}

/// What a step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepOutcome {
    /// Whether anything changed (false: the target already matched).
    pub changed: bool,
    /// Values later steps may bind to (stack outputs, build ids).
    pub outputs: BTreeMap<String, String>,
    /// One line per change, for people (change set summary, objects applied).
    pub summary: Vec<String>,
    /// What the provider keeps for itself (journaled with the step, handed back to `remove`).
    pub state: Option<serde_json::Value>,
}

/// Why a step failed, and whether trying again may help (throttling, a transient network
/// error, a stack that is still busy).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StepError {
    pub transient: bool,
    pub message: String,
}

impl StepError {
    pub fn fatal(message: impl Into<String>) -> Self {
        Self { transient: false, message: message.into() }
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self { transient: true, message: message.into() }
    }
}

/// A step of a tenant that is no longer in the blueprint: what to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub id: StepId,
    pub action: Action,
    /// The outputs the step recorded when it was applied.
    pub outputs: BTreeMap<String, String>,
    /// The provider's state the step recorded when it was applied.
    pub state: Option<serde_json::Value>,
}

/// One provider: applies (and, for offboarding, removes) one kind of step.
#[async_trait]
pub trait Provider: Send + Sync {
    async fn apply(&self, run: &StepRun) -> Result<StepOutcome, StepError>;
    async fn remove(&self, removal: &Removal) -> Result<StepOutcome, StepError>;
}

/// The provider for each kind of step.
#[derive(Clone)]
pub struct Providers {
    pub cloudformation: std::sync::Arc<dyn Provider>,
    pub kubernetes: std::sync::Arc<dyn Provider>,
    pub codebuild: std::sync::Arc<dyn Provider>,
    pub register: std::sync::Arc<dyn Provider>,
}

impl Providers {
    /// One provider for every kind (for tests).
    pub fn all(provider: std::sync::Arc<dyn Provider>) -> Self {
        Self {
            cloudformation: provider.clone(),
            kubernetes: provider.clone(),
            codebuild: provider.clone(),
            register: provider,
        }
    }

    pub fn for_action(&self, action: &Action) -> &dyn Provider {
        match action {
            Action::Cloudformation { .. } => self.cloudformation.as_ref(),
            Action::Kubernetes { .. } => self.kubernetes.as_ref(),
            Action::Codebuild { .. } => self.codebuild.as_ref(),
            Action::Register { .. } => self.register.as_ref(),
        }
    }
}
