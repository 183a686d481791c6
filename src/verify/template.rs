//! A CloudFormation template's values as they will be on AWS, as far as the files say:
//! pseudo parameters, `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select` and
//! `Fn::ImportValue` are resolved. What only AWS knows (a generated id, a key's ARN) becomes
//! an opaque name such as `{saas-tenant-acme/UserPool}`: distinct for distinct resources, equal
//! for the same one, and matched by no pattern but a wildcard, which is the conservative
//! reading for every question verify asks. An intrinsic it cannot read (`Fn::If`, a missing
//! export) becomes `{?...}`, which a statement's evaluation then reports as unreadable.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Where the stacks deploy: from plan.json. The account is the one the blueprint names.
#[derive(Debug, Clone)]
pub struct Scope {
    /// `AWS::Partition`: always `aws`.
    pub partition: String,
    /// `AWS::AccountId`, the 12 digits in the artifacts bucket's name (a placeholder account
    /// when plan.json gives none).
    pub account: String,
    /// The platform's region, which a template gets when plan.json gives it none.
    pub region: String,
}

/// Every export of the platform's stacks, resolved: name -> value.
pub type Exports = BTreeMap<String, String>;

/// Marks a value that cannot be known from the files. Never a valid ARN, so only wildcards
/// match it.
pub fn unknown(what: &str) -> String {
    format!("{{?{what}}}")
}

/// Whether `value` holds a part [`unknown`] marked: a value no pattern but a wildcard may match.
pub fn is_unknown(value: &str) -> bool {
    value.contains("{?")
}

/// One template with its stack name and region, ready to resolve values in.
pub struct Template<'v> {
    /// The stack's name (from plan.json; the file's path when no step deploys it), which
    /// `AWS::StackName` and the opaque names of its resources use.
    pub stack: String,
    /// The region the stack deploys in: `AWS::Region`.
    pub region: String,
    /// The parsed template document.
    pub root: &'v Value,
}

impl<'v> Template<'v> {
    /// Every resource of the template: (logical id, its definition).
    pub fn resources(&self) -> impl Iterator<Item = (&'v str, &'v Value)> {
        self.root["Resources"].as_object().into_iter().flatten().map(|(k, v)| (k.as_str(), v))
    }

    /// The resources of CloudFormation type `kind` (e.g. `AWS::IAM::Role`): (logical id,
    /// definition).
    pub fn of_type(&self, kind: &'v str) -> impl Iterator<Item = (&'v str, &'v Value)> + '_ {
        self.resources().filter(move |(_, r)| r["Type"].as_str() == Some(kind))
    }

    /// `value` with every intrinsic resolved.
    pub fn resolve(&self, value: &Value, scope: &Scope, exports: &Exports) -> Value {
        match value {
            Value::Object(map)
                if map.len() == 1 && map.keys().next().is_some_and(|k| k == "Ref" || k.starts_with("Fn::")) =>
            {
                Value::String(self.intrinsic(map, scope, exports))
            }
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), self.resolve(v, scope, exports))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.resolve(v, scope, exports)).collect()),
            other => other.clone(),
        }
    }

    /// `value` resolved to a string (a list joins with `,`, as CloudFormation renders one).
    pub fn string(&self, value: &Value, scope: &Scope, exports: &Exports) -> String {
        match self.resolve(value, scope, exports) {
            Value::String(s) => s,
            Value::Null => unknown("missing"),
            other => other.to_string(),
        }
    }

    fn intrinsic(&self, map: &Map<String, Value>, scope: &Scope, exports: &Exports) -> String {
        let (name, arg) = map.iter().next().expect("one key");
        match name.as_str() {
            "Ref" => self.reference(arg.as_str().unwrap_or_default(), scope),
            "Fn::GetAtt" => {
                let (target, attribute) = match arg {
                    Value::Array(parts) => (
                        parts.first().and_then(Value::as_str).unwrap_or_default().to_owned(),
                        parts.get(1).and_then(Value::as_str).unwrap_or_default().to_owned(),
                    ),
                    Value::String(dotted) => {
                        let (t, a) = dotted.split_once('.').unwrap_or((dotted, ""));
                        (t.to_owned(), a.to_owned())
                    }
                    _ => (String::new(), String::new()),
                };
                self.attribute(&target, &attribute, scope)
            }
            "Fn::Sub" => {
                let (text, vars) = match arg {
                    Value::String(text) => (text.as_str(), None),
                    Value::Array(parts) => (parts.first().and_then(Value::as_str).unwrap_or_default(), parts.get(1)),
                    _ => return unknown("Fn::Sub"),
                };
                self.substitute(text, vars, scope, exports)
            }
            "Fn::Join" => {
                let sep = arg[0].as_str().unwrap_or_default();
                match self.resolve(&arg[1], scope, exports) {
                    Value::Array(items) => items
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(sep),
                    _ => unknown("Fn::Join"),
                }
            }
            "Fn::Select" => {
                let index = arg[0].as_u64().or_else(|| arg[0].as_str().and_then(|s| s.parse().ok()));
                match (index, self.resolve(&arg[1], scope, exports)) {
                    (Some(i), Value::Array(items)) => items
                        .get(i as usize)
                        .and_then(Value::as_str)
                        .map_or_else(|| unknown("Fn::Select"), str::to_owned),
                    _ => unknown("Fn::Select"),
                }
            }
            "Fn::ImportValue" => {
                let export = self.string(arg, scope, exports);
                exports.get(&export).cloned().unwrap_or_else(|| unknown(&format!("import {export}")))
            }
            other => unknown(other),
        }
    }

    fn substitute(&self, text: &str, vars: Option<&Value>, scope: &Scope, exports: &Exports) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            // `${!Literal}` is written as `${Literal}`.
            if let Some(literal) = after.strip_prefix('!') {
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            let bound = vars.and_then(|v| v.get(name));
            out.push_str(&match bound {
                Some(value) => self.string(value, scope, exports),
                None => match name.split_once('.') {
                    Some((target, attribute)) => self.attribute(target, attribute, scope),
                    None => self.reference(name, scope),
                },
            });
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn reference(&self, name: &str, scope: &Scope) -> String {
        match name {
            "AWS::Partition" => return scope.partition.clone(),
            "AWS::AccountId" => return scope.account.clone(),
            "AWS::Region" => return self.region.clone(),
            "AWS::URLSuffix" => return "amazonaws.com".to_owned(),
            "AWS::StackName" => return self.stack.clone(),
            "AWS::NoValue" => return unknown("AWS::NoValue"),
            _ => {}
        }
        if let Some(parameter) = self.root["Parameters"].get(name) {
            return match &parameter["Default"] {
                Value::String(s) => s.clone(),
                Value::Null => format!("{{{}/parameter/{name}}}", self.stack),
                other => other.to_string(),
            };
        }
        let resource = &self.root["Resources"][name];
        let props = &resource["Properties"];
        let named = |key: &str| props[key].as_str().map(str::to_owned);
        let physical = match resource["Type"].as_str() {
            Some("AWS::IAM::Role") => named("RoleName"),
            Some("AWS::DynamoDB::Table") => named("TableName"),
            Some("AWS::S3::Bucket") => named("BucketName"),
            Some("AWS::ECR::Repository") => named("RepositoryName"),
            Some("AWS::CodeBuild::Project") => named("Name"),
            Some("AWS::CodePipeline::Pipeline") => named("Name"),
            Some("AWS::IAM::ManagedPolicy") => {
                named("ManagedPolicyName").map(|n| format!("arn:{}:iam::{}:policy/{n}", scope.partition, scope.account))
            }
            Some(_) => None,
            None => Some(unknown(&format!("Ref {name}"))),
        };
        physical.unwrap_or_else(|| format!("{{{}/{name}}}", self.stack))
    }

    fn attribute(&self, target: &str, attribute: &str, scope: &Scope) -> String {
        let resource = &self.root["Resources"][target];
        let id = self.reference(target, scope);
        let (p, a, r) = (&scope.partition, &scope.account, &self.region);
        match (resource["Type"].as_str(), attribute) {
            (Some("AWS::IAM::Role"), "Arn") => format!("arn:{p}:iam::{a}:role/{id}"),
            (Some("AWS::DynamoDB::Table"), "Arn") => format!("arn:{p}:dynamodb:{r}:{a}:table/{id}"),
            (Some("AWS::S3::Bucket"), "Arn") => format!("arn:{p}:s3:::{id}"),
            (Some("AWS::KMS::Key"), "Arn") => format!("arn:{p}:kms:{r}:{a}:key/{id}"),
            (Some("AWS::Cognito::UserPool"), "Arn") => format!("arn:{p}:cognito-idp:{r}:{a}:userpool/{id}"),
            (Some("AWS::ECR::Repository"), "Arn") => format!("arn:{p}:ecr:{r}:{a}:repository/{id}"),
            (Some("AWS::CodeBuild::Project"), "Arn") => format!("arn:{p}:codebuild:{r}:{a}:project/{id}"),
            (Some("AWS::SNS::Topic"), "TopicArn") => id,
            // The queue's name is the last part of its ARN (SQS API Reference, "Queue and
            // message identifiers"); an unnamed queue's name only AWS knows.
            (Some("AWS::SQS::Queue"), "Arn") => match resource["Properties"]["QueueName"].as_str() {
                Some(name) => format!("arn:{p}:sqs:{r}:{a}:{name}"),
                None => format!("{{{}/{target}.{attribute}}}", self.stack),
            },
            (None, _) => unknown(&format!("GetAtt {target}.{attribute}")),
            _ => format!("{{{}/{target}.{attribute}}}", self.stack),
        }
    }

    /// This template's exports, resolved with the exports known so far.
    pub fn exports(&self, scope: &Scope, known: &Exports) -> Exports {
        let mut out = Exports::new();
        for (_, output) in self.root["Outputs"].as_object().into_iter().flatten() {
            if output["Export"]["Name"].is_null() {
                continue;
            }
            let name = self.string(&output["Export"]["Name"], scope, known);
            out.insert(name, self.string(&output["Value"], scope, known));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> Scope {
        Scope { partition: "aws".into(), account: "123456789012".into(), region: "eu-west-1".into() }
    }

    #[test]
    fn intrinsics_resolve_to_what_aws_would_make() {
        let root = json!({
            "Parameters": {"Env": {"Type": "String", "Default": "prod"}, "Free": {"Type": "String"}},
            "Resources": {
                "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "saas-order-acme"}},
                "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "saas-tenant-acme"}},
                "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}}
            }
        });
        let t = Template { stack: "saas-tenant-acme".into(), region: "eu-west-1".into(), root: &root };
        let mut exports = Exports::new();
        exports.insert(
            "saas-baseline-DataKeyArn".into(),
            "arn:aws:kms:eu-west-1:123456789012:key/{saas-baseline/DataKey}".into(),
        );
        let r = |v: Value| t.string(&v, &scope(), &exports);
        assert_eq!(
            r(json!({"Fn::GetAtt": ["Table", "Arn"]})),
            "arn:aws:dynamodb:eu-west-1:123456789012:table/saas-order-acme"
        );
        assert_eq!(r(json!({"Fn::GetAtt": "Role.Arn"})), "arn:aws:iam::123456789012:role/saas-tenant-acme");
        assert_eq!(
            r(json!({"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Env}/${!Literal}"})),
            "arn:aws:x:eu-west-1:123456789012:prod/${Literal}"
        );
        assert_eq!(
            r(json!({"Fn::Sub": ["${Pool}-${Key}", {"Key": {"Fn::ImportValue": "saas-baseline-DataKeyArn"}}]})),
            "{saas-tenant-acme/Pool}-arn:aws:kms:eu-west-1:123456789012:key/{saas-baseline/DataKey}"
        );
        assert_eq!(r(json!({"Ref": "Free"})), "{saas-tenant-acme/parameter/Free}");
        assert_eq!(r(json!({"Fn::Join": ["/", ["a", {"Ref": "Env"}]]})), "a/prod");
        assert!(is_unknown(&r(json!({"Fn::ImportValue": "nowhere"}))));
        assert!(is_unknown(&r(json!({"Fn::If": ["C", "a", "b"]}))));
        assert!(is_unknown(&r(json!({"Ref": "Missing"}))));
    }
}
