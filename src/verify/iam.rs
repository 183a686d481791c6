//! An IAM policy evaluator, written against AWS's documented policy evaluation logic: explicit
//! deny over allow, `Action`/`NotAction` and `Resource`/`NotResource` with wildcards, the
//! condition operators our templates use (with `ForAllValues:`/`ForAnyValue:` and `IfExists`),
//! policy variables, and permissions boundaries. Pure: policies in, a decision out.
//!
//! Where it does not know something (an operator, a variable the request does not carry, a
//! multi-valued key under a single-valued operator) it answers [`Decision::CannotProve`]
//! instead of guessing. The request context is taken as complete: a key it does not hold is a
//! key the request does not carry.
//!
//! Facts used (AWS IAM User Guide, "Policy evaluation logic", "IAM JSON policy elements:
//! Condition operators", "Conditions with multiple context keys or values"): a key missing from
//! the request makes a condition false, except that negated operators (`StringNotEquals`,
//! `ArnNotLike`, ...) are then true, `...IfExists` passes, and `Null` tests presence; several
//! operators, and several keys under one operator, are ANDed; several values for one key are
//! ORed (NORed under a negated operator); `ForAllValues:` holds for an empty set, `ForAnyValue:`
//! does not.

use std::collections::BTreeMap;

use serde_json::Value;

/// The request context: condition keys (matched case-insensitively) and their values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    keys: BTreeMap<String, Vec<String>>,
}

impl Context {
    /// A context without keys: every condition on a key sees it missing.
    pub fn new() -> Self {
        Self::default()
    }

    /// With `key` set to `values`.
    pub fn with(mut self, key: &str, values: &[&str]) -> Self {
        self.keys.insert(key.to_ascii_lowercase(), values.iter().map(|v| (*v).to_owned()).collect());
        self
    }

    /// The value of a single-valued key.
    pub fn get_one(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            [one] => Some(one),
            _ => None,
        }
    }

    fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }
}

/// One call: who asks is implied by the policies given; what and on what is here.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The IAM action, `service:Action` (e.g. `dynamodb:GetItem`), matched case-insensitively.
    pub action: &'a str,
    /// The ARN of the resource acted on (or `*` for actions without one).
    pub resource: &'a str,
    /// The condition keys the request carries; complete: a key not here is missing.
    pub context: &'a Context,
}

/// Which statement decided: its `Sid`, or its index in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// The policy's index among those evaluated: the identity policies in the order given,
    /// then the boundary (0 for a resource policy).
    pub policy: usize,
    /// The statement's `Sid`, or `#<index>` when it has none.
    pub statement: String,
}

/// What IAM would answer to a request, and which statement decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// An allow, with the first identity (or resource policy) statement that grants it.
    Allowed(StatementRef),
    /// An explicit deny.
    Denied(StatementRef),
    /// No statement allows it (or the boundary does not).
    ImplicitlyDenied,
    /// A statement that could decide it holds something the evaluator cannot read.
    CannotProve {
        /// The first statement it could not read.
        statement: StatementRef,
        /// What it could not read (an operator, a variable, a multi-valued key, an effect).
        reason: String,
    },
}

impl Decision {
    /// Whether the request is allowed; [`Decision::CannotProve`] is not.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed(_))
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` exactly one.
pub fn wildcard(pattern: &str, value: &str, case_insensitive: bool) -> bool {
    // Bytes when both are ASCII (every ARN and action we emit): no allocation. Otherwise by
    // characters, so that `?` is one character, not one byte.
    if pattern.is_ascii() && value.is_ascii() {
        let eq = |a: u8, b: u8| if case_insensitive { a.eq_ignore_ascii_case(&b) } else { a == b };
        return matches(pattern.as_bytes(), value.as_bytes(), b'*', b'?', eq);
    }
    let fold = |s: &str| if case_insensitive { s.to_lowercase() } else { s.to_owned() };
    let (p, v): (Vec<char>, Vec<char>) = (fold(pattern).chars().collect(), fold(value).chars().collect());
    matches(&p, &v, '*', '?', |a, b| a == b)
}

/// Two pointers, backtracking to the last star: linear in practice, no recursion.
fn matches<T: Copy + PartialEq>(p: &[T], v: &[T], star_sym: T, any: T, eq: impl Fn(T, T) -> bool) -> bool {
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < v.len() {
        if i < p.len() && p[i] != star_sym && (p[i] == any || eq(p[i], v[j])) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == star_sym {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == star_sym {
        i += 1;
    }
    i == p.len()
}

fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => vec![],
        other => vec![other],
    }
}

fn strings(value: &Value) -> Option<Vec<String>> {
    list(value)
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

/// `${aws:PrincipalTag/team}` and friends replaced from the context; `Err` names a variable the
/// request does not carry (or carries several values of).
fn substitute<'t>(text: &'t str, context: &Context) -> Result<std::borrow::Cow<'t, str>, String> {
    if !text.contains("${") {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| format!("an unclosed policy variable in `{text}`"))?;
        let name = &after[..end];
        match name {
            "*" | "?" | "$" => out.push_str(name),
            _ => match context.get(name) {
                Some([one]) => out.push_str(one),
                _ => return Err(format!("the request carries no single value for the policy variable ${{{name}}}")),
            },
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(std::borrow::Cow::Owned(out))
}

/// `text` with its policy variables replaced from `context`; `None` when one is missing.
pub fn with_variables(text: &str, context: &Context) -> Option<String> {
    substitute(text, context).ok().map(std::borrow::Cow::into_owned)
}

/// How a base operator compares one request value with one policy value.
fn compare(base: &str, expected: &str, actual: &str) -> Option<bool> {
    Some(match base {
        "StringEquals" => expected == actual,
        "StringEqualsIgnoreCase" => expected.eq_ignore_ascii_case(actual),
        "StringLike" => wildcard(expected, actual, false),
        // "ArnEquals and ArnLike behave the same": each of the six colon-separated parts is
        // matched on its own, with wildcards, so `*` never spans a `:` (IAM User Guide, "ARN
        // condition operators"). Found by the cross-check against iam-simulate.
        "ArnEquals" | "ArnLike" => arn_like(expected, actual),
        "Bool" => expected.eq_ignore_ascii_case(actual),
        _ => return None,
    })
}

fn arn_like(pattern: &str, arn: &str) -> bool {
    let (p, a): (Vec<&str>, Vec<&str>) = (pattern.splitn(6, ':').collect(), arn.splitn(6, ':').collect());
    p.len() == 6 && a.len() == 6 && p.iter().zip(&a).all(|(p, a)| wildcard(p, a, false))
}

/// Condition keys that carry a set of values. "Multivalued context keys require a condition
/// set operator" (IAM User Guide, "Single-valued vs. multivalued context keys"): without one the
/// condition matches nothing, negated or not (as iam-simulate encodes it; the cross-check
/// pins it).
const MULTI_VALUED: [&str; 5] =
    ["dynamodb:leadingkeys", "dynamodb:attributes", "aws:tagkeys", "aws:calledvia", "dynamodb:requestedattributes"];

/// The positive form of a negated operator, if it is one.
fn positive(base: &str) -> Option<&'static str> {
    Some(match base {
        "StringNotEquals" => "StringEquals",
        "StringNotEqualsIgnoreCase" => "StringEqualsIgnoreCase",
        "StringNotLike" => "StringLike",
        "ArnNotEquals" => "ArnEquals",
        "ArnNotLike" => "ArnLike",
        _ => return None,
    })
}

/// Whether one `operator: {key: values}` entry holds.
fn entry_holds(operator: &str, key: &str, expected: &Value, context: &Context) -> Result<bool, String> {
    let expected = strings(expected).ok_or_else(|| format!("{operator} on {key}: values that are not strings"))?;
    let expected: Vec<String> =
        expected.iter().map(|e| substitute(e, context).map(|s| s.into_owned())).collect::<Result<_, _>>()?;
    let (set, rest) = match operator.split_once(':') {
        Some((set @ ("ForAllValues" | "ForAnyValue"), rest)) => (Some(set), rest),
        Some(_) => return Err(format!("the operator {operator} is not known")),
        None => (None, operator),
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let present = context.get(key);
    if base == "Null" {
        let wants_absent = expected.first().is_some_and(|e| e.eq_ignore_ascii_case("true"));
        return Ok(wants_absent == present.is_none_or(<[String]>::is_empty));
    }
    let (compare_as, negated) = match positive(base) {
        Some(positive) => (positive, true),
        None => (base, false),
    };
    if compare(compare_as, "", "").is_none() {
        return Err(format!("the operator {operator} is not one this evaluator knows"));
    }
    // One request value against the policy's values: ORed, or NORed when negated.
    let one = |actual: &str| {
        let any = expected.iter().any(|e| compare(compare_as, e, actual).unwrap_or(false));
        any != negated
    };
    let values = match present {
        // ForAnyValue needs a value, IfExists or not.
        None if set == Some("ForAnyValue") => return Ok(false),
        None if if_exists => return Ok(true),
        None => return Ok(set == Some("ForAllValues") || (set.is_none() && negated)),
        Some(values) => values,
    };
    if set.is_none() && MULTI_VALUED.contains(&key.to_ascii_lowercase().as_str()) {
        return Ok(false);
    }
    match set {
        Some("ForAllValues") => Ok(values.iter().all(|v| one(v))),
        Some(_) => Ok(values.iter().any(|v| one(v))),
        None => match values {
            [single] => Ok(one(single)),
            _ => Err(format!("{operator} on {key}, which the request carries {} values of", values.len())),
        },
    }
}

/// Whether a statement's `Condition` block holds: every operator and every key must.
fn condition_holds(condition: &Value, context: &Context) -> Result<bool, String> {
    let Some(operators) = condition.as_object() else { return Ok(true) };
    for (operator, keys) in operators {
        let keys = keys.as_object().ok_or_else(|| format!("{operator} is not a map of keys"))?;
        for (key, expected) in keys {
            if !entry_holds(operator, key, expected, context)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Whether `element` (`Action` or `Resource`, or their `Not` forms) covers `value`.
fn covers(
    statement: &Value,
    element: &str,
    value: &str,
    context: &Context,
    case_insensitive: bool,
) -> Result<bool, String> {
    let any = |patterns: &Value| -> Result<bool, String> {
        let one = |pattern: &Value| -> Result<bool, String> {
            let pattern = pattern.as_str().ok_or_else(|| format!("{element} holds something that is not a string"))?;
            Ok(wildcard(&substitute(pattern, context)?, value, case_insensitive))
        };
        match patterns {
            Value::Array(items) => {
                for pattern in items {
                    if one(pattern)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            single => one(single),
        }
    };
    let not = if element == "Action" { "NotAction" } else { "NotResource" };
    match (&statement[element], &statement[not]) {
        (Value::Null, Value::Null) => Err(format!("a statement with neither {element} nor {not}")),
        (patterns, Value::Null) => any(patterns),
        (Value::Null, patterns) => Ok(!any(patterns)?),
        _ => Err(format!("a statement with both {element} and {not}")),
    }
}

/// What one policy document says of a request, statement by statement.
#[derive(Debug, Default)]
struct Verdicts {
    allow: Option<StatementRef>,
    deny: Option<StatementRef>,
    unknown: Option<(StatementRef, String)>,
}

/// Who calls, for resource policies and trust policies, whose statements name a `Principal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An AWS service (`pods.eks.amazonaws.com`, `cloudformation.amazonaws.com`).
    Service(String),
    /// An IAM principal by ARN (a role, or `arn:aws:iam::<account>:root` for the account).
    Aws(String),
    /// A web identity or SAML provider, by its ARN.
    Federated(String),
}

/// Whether a statement's `Principal` names `principal`. An account's root ARN (or the bare
/// account id) stands for every principal of that account.
fn names(statement: &Value, principal: &Principal) -> Result<bool, String> {
    if !statement["NotPrincipal"].is_null() {
        return Err("a statement with NotPrincipal".into());
    }
    let element = &statement["Principal"];
    if element.as_str() == Some("*") {
        return Ok(true);
    }
    let map = element.as_object().ok_or_else(|| "a statement without a Principal".to_owned())?;
    let (kind, id) = match principal {
        Principal::Service(id) => ("Service", id),
        Principal::Aws(id) => ("AWS", id),
        Principal::Federated(id) => ("Federated", id),
    };
    let account = |arn: &str| arn.split(':').nth(4).map(str::to_owned);
    for named in strings(map.get(kind).unwrap_or(&Value::Null)).ok_or("a Principal that is not strings")? {
        let whole_account = kind == "AWS"
            && (named.ends_with(":root") && account(&named) == account(id)
                || named.chars().all(|c| c.is_ascii_digit()) && account(id).as_deref() == Some(named.as_str()));
        if named == "*" || named == *id || whole_account {
            return Ok(true);
        }
    }
    Ok(false)
}

fn verdicts(policy: usize, document: &Value, request: &Request) -> Verdicts {
    verdicts_for(policy, document, request, None)
}

fn verdicts_for(policy: usize, document: &Value, request: &Request, principal: Option<&Principal>) -> Verdicts {
    let mut out = Verdicts::default();
    for (index, statement) in list(&document["Statement"]).into_iter().enumerate() {
        // Named only when it decides: most statements do not, and naming allocates.
        let at = || StatementRef {
            policy,
            statement: statement["Sid"].as_str().map(str::to_owned).unwrap_or_else(|| format!("#{index}")),
        };
        let applies = covers(statement, "Action", request.action, request.context, true).and_then(|acts| {
            let named = match principal {
                Some(principal) => names(statement, principal)?,
                None => true,
            };
            // A trust policy's statements name no resource: the role itself is it.
            let implicit = principal.is_some() && statement["Resource"].is_null() && statement["NotResource"].is_null();
            let on = implicit || covers(statement, "Resource", request.resource, request.context, false)?;
            Ok(acts && named && on)
        });
        let holds =
            applies.and_then(|applies| Ok(applies && condition_holds(&statement["Condition"], request.context)?));
        match (statement["Effect"].as_str(), holds) {
            (_, Err(reason)) => {
                out.unknown.get_or_insert_with(|| (at(), reason));
            }
            (Some("Deny"), Ok(true)) => {
                out.deny.get_or_insert_with(at);
            }
            (Some("Allow"), Ok(true)) => {
                out.allow.get_or_insert_with(at);
            }
            (Some("Allow" | "Deny"), Ok(false)) => {}
            (other, Ok(_)) => {
                out.unknown.get_or_insert_with(|| (at(), format!("the effect {other:?} is neither Allow nor Deny")));
            }
        }
    }
    out
}

/// The decision for a principal with `identity` policies and an optional permissions
/// `boundary`: an explicit deny anywhere wins; then the call needs an allow in the identity
/// policies and, with a boundary, in the boundary too. A statement the evaluator cannot read
/// makes the answer [`Decision::CannotProve`] wherever it could change it.
pub fn decide(identity: &[&Value], boundary: Option<&Value>, request: &Request) -> Decision {
    let own: Vec<Verdicts> = identity.iter().enumerate().map(|(i, d)| verdicts(i, d, request)).collect();
    let bound = boundary.map(|b| verdicts(identity.len(), b, request));
    let all = || own.iter().chain(bound.iter());
    if let Some(deny) = all().find_map(|v| v.deny.clone()) {
        return Decision::Denied(deny);
    }
    // An unreadable statement could be a deny, or the allow that is missing.
    if let Some((statement, reason)) = all().find_map(|v| v.unknown.clone()) {
        return Decision::CannotProve { statement, reason };
    }
    let Some(allow) = own.iter().find_map(|v| v.allow.clone()) else { return Decision::ImplicitlyDenied };
    match &bound {
        Some(b) if b.allow.is_none() => Decision::ImplicitlyDenied,
        _ => Decision::Allowed(allow),
    }
}

/// The decision of one resource-based policy (a bucket or key policy, or a role's trust
/// policy) on a call by `principal`: an explicit deny wins, then an allow naming the principal.
/// Alone, as for a trust policy or a call from another account; within one account, a grant
/// here or in the caller's identity policies suffices (combine with [`decide`]).
pub fn decide_resource(policy: &Value, principal: &Principal, request: &Request) -> Decision {
    let v = verdicts_for(0, policy, request, Some(principal));
    if let Some(deny) = v.deny {
        return Decision::Denied(deny);
    }
    if let Some((statement, reason)) = v.unknown {
        return Decision::CannotProve { statement, reason };
    }
    v.allow.map_or(Decision::ImplicitlyDenied, Decision::Allowed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn on(action: &str, resource: &str, context: &Context, identity: &[Value], boundary: Option<Value>) -> Decision {
        let identity: Vec<&Value> = identity.iter().collect();
        decide(&identity, boundary.as_ref(), &Request { action, resource, context })
    }

    const TABLE: &str = "arn:aws:dynamodb:eu-west-1:123456789012:table/saas-product";

    #[test]
    fn wildcards_match_like_iam() {
        for (pattern, value, case_insensitive, expected) in [
            ("dynamodb:*", "dynamodb:GetItem", true, true),
            ("DynamoDB:getitem", "dynamodb:GetItem", true, true),
            ("dynamodb:Get?tem", "dynamodb:GetItem", false, true),
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false, false),
            ("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket", false, true),
            ("*", "", false, true),
            ("a*b*c", "aXbYc", false, true),
            ("a*b*c", "aXbY", false, false),
        ] {
            assert_eq!(wildcard(pattern, value, case_insensitive), expected, "{pattern} ~ {value}");
        }
    }

    #[test]
    fn an_explicit_deny_wins_and_nothing_allowed_is_denied() {
        let allow = json!({"Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]});
        let deny = json!({"Statement": {"Sid": "NoDelete", "Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": TABLE}});
        let c = Context::new();
        assert!(on("dynamodb:GetItem", TABLE, &c, &[allow.clone(), deny.clone()], None).is_allowed());
        assert_eq!(
            on("dynamodb:DeleteTable", TABLE, &c, &[allow, deny], None),
            Decision::Denied(StatementRef { policy: 1, statement: "NoDelete".into() })
        );
        assert_eq!(on("s3:GetObject", "arn:aws:s3:::b/k", &c, &[], None), Decision::ImplicitlyDenied);
    }

    #[test]
    fn not_action_and_not_resource_cover_everything_else() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}
        ]});
        let c = Context::new();
        assert!(on("s3:GetObject", "arn:aws:s3:::public/k", &c, std::slice::from_ref(&policy), None).is_allowed());
        assert!(!on("iam:PassRole", "*", &c, std::slice::from_ref(&policy), None).is_allowed());
        assert!(!on("s3:GetObject", "arn:aws:s3:::secret/k", &c, &[policy], None).is_allowed());
    }

    #[test]
    fn a_boundary_limits_what_identity_policies_allow() {
        let identity = json!({"Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "s3:GetObject"], "Resource": "*"}]});
        let boundary = json!({"Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]});
        let c = Context::new();
        assert!(
            on("dynamodb:GetItem", TABLE, &c, std::slice::from_ref(&identity), Some(boundary.clone())).is_allowed()
        );
        assert_eq!(on("s3:GetObject", "arn:aws:s3:::b/k", &c, &[identity], Some(boundary)), Decision::ImplicitlyDenied);
    }

    /// The pooled table's grant: rows whose leading key is the caller's own tenant tag.
    #[test]
    fn leading_keys_scoped_by_a_principal_tag() {
        let policy = json!({"Statement": [{
            "Effect": "Allow", "Action": "dynamodb:Query", "Resource": TABLE,
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:PrincipalTag/tenant}"]}}
        }]});
        let p = std::slice::from_ref(&policy);
        let acme = |keys: &[&str]| {
            Context::new().with("aws:PrincipalTag/tenant", &["acme"]).with("dynamodb:LeadingKeys", keys)
        };
        assert!(on("dynamodb:Query", TABLE, &acme(&["acme"]), p, None).is_allowed());
        assert!(!on("dynamodb:Query", TABLE, &acme(&["globex"]), p, None).is_allowed());
        assert!(!on("dynamodb:Query", TABLE, &acme(&["acme", "globex"]), p, None).is_allowed());
        // No leading keys at all (a Scan): ForAllValues holds for the empty set, as documented.
        let scan = Context::new().with("aws:PrincipalTag/tenant", &["acme"]);
        assert!(on("dynamodb:Query", TABLE, &scan, p, None).is_allowed());
        // Without the tag the variable has no value: not provable either way.
        let untagged = Context::new().with("dynamodb:LeadingKeys", &["acme"]);
        assert!(matches!(on("dynamodb:Query", TABLE, &untagged, p, None), Decision::CannotProve { .. }));
    }

    /// The generated tenant grant on the pooled table (`tenants/<id>/stack.cfn.yaml`,
    /// `ProductPoolItems`): `ForAllValues` alone would hold for a request with no leading keys;
    /// the `Null` guard makes the key required, so only the tenant's own partition is reachable.
    #[test]
    fn the_pooled_grant_needs_leading_keys_and_only_the_tenants_own() {
        let policy = json!({"Statement": [{
            "Sid": "ProductPoolItems", "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"], "Resource": TABLE,
            "Condition": {
                "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["acme"]},
                "Null": {"dynamodb:LeadingKeys": "false"}
            }
        }]});
        let p = std::slice::from_ref(&policy);
        let keys = |keys: &[&str]| Context::new().with("dynamodb:LeadingKeys", keys);
        assert!(on("dynamodb:Query", TABLE, &keys(&["acme"]), p, None).is_allowed());
        assert_eq!(on("dynamodb:Query", TABLE, &keys(&["globex"]), p, None), Decision::ImplicitlyDenied);
        assert_eq!(on("dynamodb:Query", TABLE, &Context::new(), p, None), Decision::ImplicitlyDenied);
        assert_eq!(on("dynamodb:Scan", TABLE, &Context::new(), p, None), Decision::ImplicitlyDenied);
    }

    #[test]
    fn condition_operators_as_documented() {
        let c = Context::new()
            .with("aws:SecureTransport", &["true"])
            .with("iam:PassedToService", &["cloudformation.amazonaws.com"])
            .with("aws:SourceArn", &["arn:aws:codepipeline:eu-west-1:123456789012:saas-platform"])
            .with("aws:TagKeys", &["tenant", "tier"]);
        // (operator, key, values, holds)
        for (operator, key, values, holds) in [
            ("Bool", "aws:SecureTransport", json!("true"), true),
            ("Bool", "aws:SecureTransport", json!(false), false),
            ("StringEquals", "iam:PassedToService", json!(["eks.amazonaws.com", "cloudformation.amazonaws.com"]), true),
            (
                "StringNotEquals",
                "iam:PassedToService",
                json!(["eks.amazonaws.com", "cloudformation.amazonaws.com"]),
                false,
            ),
            ("StringEqualsIgnoreCase", "iam:PassedToService", json!("CloudFormation.amazonaws.com"), true),
            ("StringLike", "iam:PassedToService", json!("*.amazonaws.com"), true),
            ("ArnLike", "aws:SourceArn", json!("arn:aws:codepipeline:*:123456789012:saas-*"), true),
            ("ArnEquals", "aws:SourceArn", json!("arn:aws:codepipeline:eu-west-1:123456789012:other"), false),
            ("ArnNotLike", "aws:SourceArn", json!("arn:aws:codepipeline:*:999999999999:*"), true),
            ("ForAllValues:StringEquals", "aws:TagKeys", json!(["tenant", "tier", "team"]), true),
            ("ForAllValues:StringEquals", "aws:TagKeys", json!(["tenant"]), false),
            ("ForAnyValue:StringEquals", "aws:TagKeys", json!(["tier"]), true),
            ("ForAnyValue:StringLike", "aws:TagKeys", json!(["x*"]), false),
            // A key the request does not carry: false, except negated, IfExists and Null.
            ("StringEquals", "aws:PrincipalTag/team", json!("a"), false),
            ("StringNotEquals", "aws:PrincipalTag/team", json!("a"), true),
            ("StringEqualsIfExists", "aws:PrincipalTag/team", json!("a"), true),
            ("StringEqualsIfExists", "iam:PassedToService", json!("eks.amazonaws.com"), false),
            ("ForAnyValue:StringEquals", "aws:PrincipalTag/team", json!("a"), false),
            ("ForAllValues:StringEquals", "aws:PrincipalTag/team", json!("a"), true),
            ("Null", "aws:PrincipalTag/team", json!("true"), true),
            ("Null", "aws:SecureTransport", json!("true"), false),
            ("Null", "aws:SecureTransport", json!("false"), true),
        ] {
            let condition = json!({ operator: { key: values } });
            assert_eq!(condition_holds(&condition, &c), Ok(holds), "{condition}");
        }
    }

    /// A tenant role's trust: EKS Pod Identity, for one cluster's ServiceAccount only.
    #[test]
    fn trust_policies_say_who_can_become_the_role() {
        let trust = json!({"Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"aws:RequestTag/kubernetes-namespace": "tenant-acme"},
                "ArnEquals": {"aws:SourceArn": "arn:aws:eks:eu-west-1:123456789012:cluster/saas"}
            }
        }]});
        let role = "arn:aws:iam::123456789012:role/saas-tenant-acme";
        let pods = Principal::Service("pods.eks.amazonaws.com".into());
        let from = |namespace: &str| {
            Context::new()
                .with("aws:RequestTag/kubernetes-namespace", &[namespace])
                .with("aws:SourceArn", &["arn:aws:eks:eu-west-1:123456789012:cluster/saas"])
        };
        let assume = |principal: &Principal, context: &Context| {
            decide_resource(&trust, principal, &Request { action: "sts:AssumeRole", resource: role, context })
        };
        assert!(assume(&pods, &from("tenant-acme")).is_allowed(), "{:?}", assume(&pods, &from("tenant-acme")));
        assert_eq!(assume(&pods, &from("tenant-globex")), Decision::ImplicitlyDenied);
        let someone = Principal::Aws("arn:aws:iam::123456789012:role/other".into());
        assert_eq!(assume(&someone, &from("tenant-acme")), Decision::ImplicitlyDenied);
    }

    #[test]
    fn resource_policies_name_principals_and_accounts() {
        let bucket = json!({"Statement": [
            {"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::artifacts/*"},
            {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::artifacts/*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        ]});
        let tls = Context::new().with("aws:SecureTransport", &["true"]);
        let plain = Context::new().with("aws:SecureTransport", &["false"]);
        let get = |principal: &str, context: &Context| {
            let request = Request { action: "s3:GetObject", resource: "arn:aws:s3:::artifacts/source.zip", context };
            decide_resource(&bucket, &Principal::Aws(principal.into()), &request)
        };
        assert!(get("arn:aws:iam::123456789012:role/saas-apply", &tls).is_allowed());
        assert_eq!(get("arn:aws:iam::999999999999:role/intruder", &tls), Decision::ImplicitlyDenied);
        assert_eq!(
            get("arn:aws:iam::123456789012:role/saas-apply", &plain),
            Decision::Denied(StatementRef { policy: 0, statement: "TlsOnly".into() })
        );
        let not_principal =
            json!({"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": "x"}, "Action": "*", "Resource": "*"}]});
        let request = Request { action: "s3:GetObject", resource: "*", context: &tls };
        assert!(matches!(
            decide_resource(&not_principal, &Principal::Aws("x".into()), &request),
            Decision::CannotProve { .. }
        ));
    }

    #[test]
    fn what_it_cannot_read_it_does_not_guess() {
        let c = Context::new()
            .with("aws:TagKeys", &["a", "b"])
            .with("aws:CurrentTime", &["2026-12-02T00:00:00Z"])
            .with("s3:max-keys", &["5"])
            .with("aws:SourceVpce", &["a", "b"]);
        for condition in [
            json!({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}),
            json!({"NumericLessThan": {"s3:max-keys": "10"}}),
            json!({"SomeSet:StringEquals": {"aws:TagKeys": "a"}}),
            // A single-valued key carrying two values under a single-valued operator.
            json!({"StringEquals": {"aws:SourceVpce": "a"}}),
        ] {
            assert!(condition_holds(&condition, &c).is_err(), "{condition}");
            let policy =
                json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}]});
            assert!(matches!(on("s3:GetObject", "*", &c, &[policy], None), Decision::CannotProve { .. }));
        }
        // A multivalued key without a set operator matches nothing, negated or not (as AWS
        // documents and iam-simulate agrees).
        for operator in ["StringEquals", "StringNotEquals"] {
            let condition = json!({operator: {"aws:TagKeys": "a"}});
            assert_eq!(condition_holds(&condition, &c), Ok(false), "{condition}");
        }
        // An unreadable deny could be the one that matters, even next to a plain allow.
        let allow = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        let deny = json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}}]});
        assert!(matches!(on("s3:GetObject", "*", &c, &[allow, deny], None), Decision::CannotProve { .. }));
    }
}
