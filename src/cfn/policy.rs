//! IAM policy documents, typed, for role trust and permission policies and bucket policies.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Expr;

/// An IAM policy document (version 2012-10-17).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: &'static str,
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    pub fn new(statement: Vec<Statement>) -> Self {
        Self { version: "2012-10-17", statement }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement. Build with [`Statement::allow`] or [`Statement::deny`] and the `with_*`
/// methods; conditions are `operator -> key -> value`, sorted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub effect: Effect,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<BTreeMap<&'static str, Expr>>,
    pub action: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<Expr>,
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

    pub fn allow(sid: &str, actions: &[&str]) -> Self {
        Self::new(Effect::Allow, sid, actions)
    }

    pub fn deny(sid: &str, actions: &[&str]) -> Self {
        Self::new(Effect::Deny, sid, actions)
    }

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

    #[must_use]
    pub fn when(mut self, operator: &str, key: impl Into<String>, value: Expr) -> Self {
        self.condition.entry(operator.to_owned()).or_default().insert(key.into(), value);
        self
    }
}
