//! The IAM roles the templates make, read as AWS will hold them: inline policies, managed
//! policies attached by ARN or by an `AWS::IAM::Policy`/`ManagedPolicy` naming the role, the
//! permissions boundary, and the trust policy. Every document keeps the file and path it came
//! from, so that a decision names the statement that made it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::iam::{self, Context, Decision, Request};
use super::template::{Exports, Scope, Template};
use crate::model::FieldPath;

/// One policy document, resolved, and where it is written.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How findings name it: an inline policy's `PolicyName`, a template policy's logical id,
    /// or an AWS managed policy's ARN.
    pub name: String,
    /// The policy document, its intrinsics resolved (see `template`).
    pub document: Value,
    /// The template file it is written in, relative to the generated folder.
    pub file: String,
    /// The path of the document (its `Statement` is below it).
    pub path: FieldPath,
}

impl Policy {
    /// The path of the statement `sid` (or `#index`) names.
    pub fn statement_path(&self, sid: &str) -> FieldPath {
        let statements = self.document["Statement"].as_array().map(Vec::as_slice).unwrap_or_default();
        let index = sid
            .strip_prefix('#')
            .and_then(|i| i.parse().ok())
            .or_else(|| statements.iter().position(|s| s["Sid"].as_str() == Some(sid)));
        match index {
            Some(i) => self.path.key("Statement").index(i),
            None => self.path.clone(),
        }
    }
}

/// A role as AWS will hold it.
#[derive(Debug, Clone)]
pub struct Role {
    /// The role's logical id in its template.
    pub logical: String,
    /// The role's name, resolved from its `Ref` (opaque when CloudFormation generates it).
    pub name: String,
    /// `arn:<partition>:iam::<account>:role/<name>`: how policies and findings name it.
    pub arn: String,
    /// The template file that defines it, relative to the generated folder.
    pub file: String,
    /// The path of the role resource.
    pub path: FieldPath,
    /// The trust policy (`AssumeRolePolicyDocument`), resolved: who may assume the role.
    pub trust: Value,
    /// Its identity policies: inline ones, then managed ones by ARN (the templates' and the
    /// AWS managed policies verify knows), then policies that attach themselves to it by name.
    pub identity: Vec<Policy>,
    /// Its permissions boundary, when it has one the files hold (one they do not is in `unknown`).
    pub boundary: Option<Policy>,
    /// Policies attached that the files do not hold (an unknown managed policy): any answer
    /// that depends on what they allow cannot be proven.
    pub unknown: Vec<String>,
}

/// What decided a request, and where it is written.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// What IAM would answer.
    pub decision: Decision,
    /// The deciding statement's file and path, when a statement decided.
    pub at: Option<(String, FieldPath)>,
}

impl Role {
    /// The decision on `action` on `resource` in `context`, with its statement.
    pub fn decide(&self, action: &str, resource: &str, context: &Context) -> Verdict {
        let documents: Vec<&Value> = self.identity.iter().map(|p| &p.document).collect();
        let request = Request { action, resource, context };
        let mut decision = iam::decide(&documents, self.boundary.as_ref().map(|b| &b.document), &request);
        if !self.unknown.is_empty() && !matches!(decision, Decision::Denied(_)) {
            decision = Decision::CannotProve {
                statement: iam::StatementRef { policy: usize::MAX, statement: String::new() },
                reason: format!("{} attaches policies the files do not hold: {}", self.name, self.unknown.join(", ")),
            };
        }
        let at = match &decision {
            Decision::Allowed(s) | Decision::Denied(s) | Decision::CannotProve { statement: s, .. } => self
                .identity
                .iter()
                .chain(self.boundary.iter())
                .nth(s.policy)
                .map(|p| (p.file.clone(), p.statement_path(&s.statement))),
            Decision::ImplicitlyDenied => None,
        };
        Verdict { decision, at }
    }
}

/// The AWS managed policies the templates attach, vendored with their source.
fn aws_managed() -> &'static BTreeMap<String, Value> {
    static POLICIES: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let data: Value = serde_json::from_str(include_str!("data/managed-policies.json")).expect("vendored JSON");
        data["policies"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(arn, p)| (arn.clone(), p["document"].clone()))
            .collect()
    })
}

/// The ARN of a managed policy in any partition, as the vendored data keys it.
fn aws_partition(arn: &str) -> String {
    let mut parts: Vec<&str> = arn.splitn(3, ':').collect();
    if parts.len() == 3 {
        parts[1] = "aws";
    }
    parts.join(":")
}

/// The managed policies of a set of templates, by ARN, and the policies attached to roles by
/// name (`AWS::IAM::Policy` and `ManagedPolicy` with `Roles`).
#[derive(Debug, Clone, Default)]
pub struct Attachments {
    managed: BTreeMap<String, Policy>,
    attached: BTreeMap<String, Vec<Policy>>,
}

impl Attachments {
    /// The managed policies and role attachments (`AWS::IAM::ManagedPolicy` and
    /// `AWS::IAM::Policy` resources) of `templates` (file, template), resolved in `scope`.
    pub fn of(templates: &[(&str, &Template)], scope: &Scope, exports: &Exports) -> Self {
        let mut out = Self::default();
        for (file, t) in templates {
            for (logical, resource) in t.resources() {
                let kind = resource["Type"].as_str().unwrap_or_default();
                if kind != "AWS::IAM::ManagedPolicy" && kind != "AWS::IAM::Policy" {
                    continue;
                }
                let props = &resource["Properties"];
                let policy = Policy {
                    name: logical.to_owned(),
                    document: t.resolve(&props["PolicyDocument"], scope, exports),
                    file: (*file).to_owned(),
                    path: FieldPath::root().key("Resources").key(logical).key("Properties").key("PolicyDocument"),
                };
                if kind == "AWS::IAM::ManagedPolicy" {
                    out.managed.insert(t.string(&serde_json::json!({"Ref": logical}), scope, exports), policy.clone());
                }
                for role in props["Roles"].as_array().into_iter().flatten() {
                    out.attached.entry(t.string(role, scope, exports)).or_default().push(policy.clone());
                }
            }
        }
        out
    }

    /// A customer managed policy by ARN.
    pub fn managed(&self, arn: &str) -> Option<&Policy> {
        self.managed.get(arn)
    }
}

/// Every role of `templates` (file, template), with the policies attached to it in
/// `attachments` (those of the same templates and of any others, such as the baseline's).
pub fn roles(
    templates: &[(&str, &Template)],
    scope: &Scope,
    exports: &Exports,
    attachments: &[&Attachments],
) -> Vec<Role> {
    let managed = |arn: &str| attachments.iter().find_map(|a| a.managed.get(arn));
    let mut out = Vec::new();
    for (file, t) in templates {
        for (logical, resource) in t.of_type("AWS::IAM::Role") {
            let props = &resource["Properties"];
            let path = FieldPath::root().key("Resources").key(logical);
            let name = t.string(&serde_json::json!({"Ref": logical}), scope, exports);
            let mut identity: Vec<Policy> = props["Policies"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, p)| Policy {
                    name: p["PolicyName"].as_str().unwrap_or_default().to_owned(),
                    document: t.resolve(&p["PolicyDocument"], scope, exports),
                    file: (*file).to_owned(),
                    path: path.key("Properties").key("Policies").index(i).key("PolicyDocument"),
                })
                .collect();
            let mut unknown = Vec::new();
            for (i, arn) in props["ManagedPolicyArns"].as_array().into_iter().flatten().enumerate() {
                let arn = t.string(arn, scope, exports);
                if let Some(policy) = managed(&arn) {
                    identity.push(policy.clone());
                } else if let Some(document) = aws_managed().get(&aws_partition(&arn)) {
                    identity.push(Policy {
                        name: arn.clone(),
                        document: document.clone(),
                        file: (*file).to_owned(),
                        path: path.key("Properties").key("ManagedPolicyArns").index(i),
                    });
                } else {
                    unknown.push(arn);
                }
            }
            identity.extend(attachments.iter().flat_map(|a| a.attached.get(&name)).flatten().cloned());
            let boundary = match &props["PermissionsBoundary"] {
                Value::Null => None,
                arn => {
                    let arn = t.string(arn, scope, exports);
                    let found = managed(&arn).cloned();
                    if found.is_none() {
                        unknown.push(format!("boundary {arn}"));
                    }
                    found
                }
            };
            // A value the files cannot say (`{?…}`: an import no stack exports, an `Fn::If`)
            // in a policy could grant anything: every answer about the role is then unproven.
            for policy in identity.iter().chain(boundary.iter()) {
                if super::template::is_unknown(&policy.document.to_string()) {
                    unknown.push(format!("{} (a value the files do not resolve)", policy.name));
                }
            }
            out.push(Role {
                logical: logical.to_owned(),
                arn: format!("arn:{}:iam::{}:role/{name}", scope.partition, scope.account),
                name,
                file: (*file).to_owned(),
                path,
                trust: t.resolve(&props["AssumeRolePolicyDocument"], scope, exports),
                identity,
                boundary,
                unknown,
            });
        }
    }
    out
}
