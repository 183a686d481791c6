//! IAM policy documents, typed, for role trust and permission policies and bucket policies.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Expr;

/// An IAM policy document (version 2012-10-17).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    /// The policy language version, always `2012-10-17` (the only one with policy variables).
    pub version: &'static str,
    /// The statements, in the order given.
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    /// A document of `statement`, version `2012-10-17`.
    pub fn new(statement: Vec<Statement>) -> Self {
        Self { version: "2012-10-17", statement }
    }
}

/// Whether a statement allows or denies; an explicit deny overrides any allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// One statement. Build with [`Statement::allow`] or [`Statement::deny`] and the `with_*`
/// methods; conditions are `operator -> key -> value`, sorted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// The statement id (`Sid`); tenancy sets one on every statement, to name it in reviews and diffs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// Who the statement applies to, `kind -> value` (`Service`, `AWS`, `Federated`); only trust
    /// and resource policies have one, identity policies never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<BTreeMap<&'static str, Expr>>,
    /// The actions, as `service:Action` (wildcards allowed, e.g. `kms:Describe*`).
    pub action: Vec<String>,
    /// The resources, as ARNs or patterns; empty (and omitted) in trust policies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<Expr>,
    /// `Condition`: operator (e.g. `StringEquals`) to condition key to value; every operator and
    /// every key must hold for the statement to apply.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: BTreeMap<String, BTreeMap<String, Expr>>,
}

impl Statement {
    fn new(effect: Effect, sid: &str, actions: &[&str]) -> Self {
        Self {
            sid: Some(sid.to_owned()),
            effect,
            principal: None,
            action: actions.iter().map(|a| (*a).to_owned()).collect(),
            resource: Vec::new(),
            condition: BTreeMap::new(),
        }
    }

    /// An `Allow` statement of `actions`, with statement id `sid`, on no resource yet.
    pub fn allow(sid: &str, actions: &[&str]) -> Self {
        Self::new(Effect::Allow, sid, actions)
    }

    /// A `Deny` statement of `actions`, with statement id `sid`, on no resource yet.
    pub fn deny(sid: &str, actions: &[&str]) -> Self {
        Self::new(Effect::Deny, sid, actions)
    }

    /// Adds `resources` to the statement's `Resource`.
    #[must_use]
    pub fn on(mut self, resources: impl IntoIterator<Item = Expr>) -> Self {
        self.resource.extend(resources);
        self
    }

    /// `Principal: { <kind>: <value> }`, e.g. `("Service", "codebuild.amazonaws.com")`.
    #[must_use]
    pub fn principal(mut self, kind: &'static str, value: Expr) -> Self {
        self.principal.get_or_insert_with(BTreeMap::new).insert(kind, value);
        self
    }

    /// Adds the condition `operator: { key: value }`; a second key under the same operator is ANDed.
    #[must_use]
    pub fn when(mut self, operator: &str, key: impl Into<String>, value: Expr) -> Self {
        self.condition.entry(operator.to_owned()).or_default().insert(key.into(), value);
        self
    }
}
