//! A small, conservative reading of the IAM policies in generated templates, for tests that
//! check every call the code makes is granted to the principal that makes it.
//!
//! It resolves `Fn::Sub` with the pseudo parameters and `Fn::GetAtt <Role>.Arn` to the role's
//! ARN, matches actions and resources with IAM's `*`/`?` wildcards, lets an explicit Deny win,
//! and honours a condition only when the request context says how it evaluates: a statement
//! whose condition it cannot decide does not count as granting (it never guesses "allowed").

use std::collections::BTreeMap;

use serde_json::Value;

pub const PARTITION: &str = "aws";

/// What is known about a request besides its action and resource: condition keys and values.
pub type Context = BTreeMap<&'static str, Vec<String>>;

/// Resolves a template expression to a string, with `region` and `account` for pseudo parameters.
pub fn resolve(template: &Value, expr: &Value, region: &str, account: &str) -> Option<String> {
    match expr {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) if map.contains_key("Fn::Sub") => {
            let text = map["Fn::Sub"].as_str()?;
            Some(
                text.replace("${AWS::Partition}", PARTITION)
                    .replace("${AWS::Region}", region)
                    .replace("${AWS::AccountId}", account)
                    .replace("${AWS::URLSuffix}", "amazonaws.com"),
            )
        }
        Value::Object(map) if map.contains_key("Fn::Join") => {
            let delimiter = map["Fn::Join"][0].as_str()?;
            let parts = map["Fn::Join"][1].as_array()?.iter().map(|part| resolve(template, part, region, account));
            Some(parts.collect::<Option<Vec<String>>>()?.join(delimiter))
        }
        // Another stack's export: named, since its value is known only there.
        Value::Object(map) if map.contains_key("Fn::ImportValue") => {
            Some(format!("import:{}", map["Fn::ImportValue"].as_str()?))
        }
        Value::Object(map) if map.contains_key("Fn::GetAtt") => {
            let target = map["Fn::GetAtt"][0].as_str()?;
            let attribute = map["Fn::GetAtt"][1].as_str()?;
            let resource = &template["Resources"][target];
            match (resource["Type"].as_str()?, attribute) {
                ("AWS::IAM::Role", "Arn") => {
                    let name = resolve(template, &resource["Properties"]["RoleName"], region, account)?;
                    Some(format!("arn:{PARTITION}:iam::{account}:role/{name}"))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// IAM's wildcard match (`*` any run, `?` one character): the library's own.
pub fn matches(pattern: &str, value: &str, case_insensitive: bool) -> bool {
    tenancy::verify::iam::wildcard(pattern, value, case_insensitive)
}

fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => vec![],
        other => vec![other],
    }
}

/// Whether a statement's condition block holds in `context`; `None` when it cannot tell.
fn condition_holds(condition: &Value, context: &Context, value: &dyn Fn(&Value) -> Option<String>) -> Option<bool> {
    let Some(operators) = condition.as_object() else { return Some(true) };
    for (operator, keys) in operators {
        for (key, expected) in keys.as_object()? {
            let expected: Vec<String> = list(expected).iter().map(|v| value(v)).collect::<Option<_>>()?;
            let present = context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v);
            let holds = match (operator.as_str(), present) {
                ("Null", present) => {
                    let wants_null = expected.first().map(String::as_str) == Some("true");
                    wants_null == present.is_none()
                }
                (_, None) => return None,
                ("StringEquals", Some(values)) => values.iter().all(|v| expected.contains(v)) && !values.is_empty(),
                ("ForAllValues:StringEquals", Some(values)) => values.iter().all(|v| expected.contains(v)),
                ("StringLike" | "ArnLike", Some(values)) => {
                    !values.is_empty() && values.iter().all(|v| expected.iter().any(|e| matches(e, v, false)))
                }
                ("ArnEquals", Some(values)) => !values.is_empty() && values.iter().all(|v| expected.contains(v)),
                ("Bool", Some(values)) => values == &expected,
                _ => return None,
            };
            if !holds {
                return Some(false);
            }
        }
    }
    Some(true)
}

/// A policy document's verdict on one request: `Some(true)` allowed, `Some(false)` denied or
/// not allowed, `None` when a statement that would decide it has a condition it cannot read.
pub fn document_allows(
    template: &Value,
    document: &Value,
    action: &str,
    resource: &str,
    context: &Context,
    region: &str,
    account: &str,
) -> Option<bool> {
    let mut allowed = Some(false);
    for statement in list(&document["Statement"]) {
        let acts = list(&statement["Action"]).iter().any(|a| a.as_str().is_some_and(|a| matches(a, action, true)));
        let on = list(&statement["Resource"])
            .iter()
            .any(|r| resolve(template, r, region, account).is_some_and(|r| matches(&r, resource, false)));
        if !(acts && on) {
            continue;
        }
        let holds =
            condition_holds(&statement["Condition"], context, &|v: &Value| resolve(template, v, region, account));
        match (statement["Effect"].as_str(), holds) {
            (Some("Deny"), Some(true)) => return Some(false),
            (Some("Deny"), None) => return None,
            (Some("Allow"), Some(true)) => allowed = Some(true),
            (Some("Allow"), None) if allowed == Some(false) => allowed = None,
            _ => {}
        }
    }
    allowed
}

/// Every inline policy document of role `logical_id` in `template`.
pub fn role_documents<'a>(template: &'a Value, logical_id: &str) -> Vec<&'a Value> {
    let role = &template["Resources"][logical_id];
    assert_eq!(role["Type"], "AWS::IAM::Role", "{logical_id} is not a role");
    list(&role["Properties"]["Policies"]).into_iter().map(|p| &p["PolicyDocument"]).collect()
}

/// Whether role `logical_id` is granted `action` on `resource`; an explanation when not.
pub fn role_allows(
    template: &Value,
    logical_id: &str,
    action: &str,
    resource: &str,
    context: &Context,
    (region, account): (&str, &str),
) -> Result<(), String> {
    let documents = role_documents(template, logical_id);
    let mut verdict = Some(false);
    for document in documents {
        match document_allows(template, document, action, resource, context, region, account) {
            Some(false) => {}
            other => verdict = other.or(verdict),
        }
        if verdict == Some(true) {
            return Ok(());
        }
    }
    match verdict {
        Some(true) => Ok(()),
        Some(false) => Err(format!("{logical_id} is not granted {action} on {resource}")),
        None => Err(format!("{logical_id}: cannot tell whether {action} on {resource} is granted (a condition)")),
    }
}

/// The logical id of the role named `name` in `template`.
pub fn role_named(template: &Value, name: &str) -> String {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["Type"] == "AWS::IAM::Role" && r["Properties"]["RoleName"] == name)
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("no role named {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches("dynamodb:*", "dynamodb:Scan", true));
        assert!(matches("arn:aws:s3:::b/saas-platform/*", "arn:aws:s3:::b/saas-platform/Source/x", false));
        assert!(!matches("arn:aws:s3:::b/source/tenancy.zip", "arn:aws:s3:::b/saas-platform/x", false));
        assert!(matches("a?c", "abc", false) && !matches("a?c", "ac", false));
    }
}
