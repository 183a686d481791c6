//! Values of template properties: literals and intrinsic functions, as one typed enum.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::json;

use super::LogicalId;

/// A string-valued (or list-valued) property: a literal or an intrinsic function.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal string.
    Str(String),
    /// `Ref` to a resource, parameter or pseudo parameter.
    Ref(String),
    /// `Fn::GetAtt` of a resource attribute.
    GetAtt(LogicalId, String),
    /// `Fn::Sub` with `${Name}` / `${Name.Attr}` references to the template.
    Sub(String),
    /// `Fn::Sub` with variables of its own.
    SubWith(String, BTreeMap<String, Expr>),
    /// `Fn::Join`.
    Join(String, Vec<Expr>),
    /// `Fn::Select` of one element of a list.
    Select(u32, Box<Expr>),
    /// `Fn::If` on a condition.
    If(LogicalId, Box<Expr>, Box<Expr>),
    /// `Fn::ImportValue` of another stack's export.
    ImportValue(Box<Expr>),
    /// `Fn::GetAZs` of a region (empty: the stack's region).
    GetAzs(Box<Expr>),
    /// A list of values.
    List(Vec<Expr>),
}

/// Pseudo parameters, always defined.
pub const PSEUDO_PARAMETERS: [&str; 8] = [
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

impl Expr {
    /// A literal string.
    pub fn str(value: impl Into<String>) -> Self {
        Expr::Str(value.into())
    }

    /// `Ref` to a resource or parameter of the template.
    pub fn reference(id: &LogicalId) -> Self {
        Expr::Ref(id.as_str().to_owned())
    }

    /// `Ref` to a pseudo parameter such as `AWS::Region`.
    pub fn pseudo(name: &'static str) -> Self {
        debug_assert!(PSEUDO_PARAMETERS.contains(&name), "{name} is not a pseudo parameter");
        Expr::Ref(name.to_owned())
    }

    /// `Fn::GetAtt` of `attribute` of resource `id`; the build rejects an attribute the type does not list.
    pub fn get_att(id: &LogicalId, attribute: &str) -> Self {
        Expr::GetAtt(id.clone(), attribute.to_owned())
    }

    /// `Fn::Sub` of `template`, whose `${Name}` and `${Name.Attr}` must name the template's resources,
    /// parameters or pseudo parameters (checked when the template is built).
    pub fn sub(template: impl Into<String>) -> Self {
        Expr::Sub(template.into())
    }

    /// `Fn::ImportValue` of the export named `export` (another stack's output, same account and region).
    pub fn import(export: impl Into<String>) -> Self {
        Expr::ImportValue(Box::new(Expr::Str(export.into())))
    }

    /// A list of values, serialized as a YAML sequence.
    pub fn list<I: IntoIterator<Item = Expr>>(items: I) -> Self {
        Expr::List(items.into_iter().collect())
    }
}

impl From<&str> for Expr {
    fn from(value: &str) -> Self {
        Expr::Str(value.to_owned())
    }
}

impl From<String> for Expr {
    fn from(value: String) -> Self {
        Expr::Str(value)
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        fn single<S: Serializer, V: Serialize + ?Sized>(s: S, key: &str, value: &V) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(key, value)?;
            map.end()
        }
        match self {
            Expr::Str(value) => serializer.serialize_str(value),
            Expr::Ref(name) => single(serializer, "Ref", name),
            Expr::GetAtt(id, attribute) => single(serializer, "Fn::GetAtt", &[id.as_str(), attribute.as_str()]),
            Expr::Sub(template) => single(serializer, "Fn::Sub", template),
            // Argument lists mix types, so they go through JSON values.
            Expr::SubWith(template, vars) => single(serializer, "Fn::Sub", &json!([template, vars])),
            Expr::Join(delimiter, items) => single(serializer, "Fn::Join", &json!([delimiter, items])),
            Expr::Select(index, list) => single(serializer, "Fn::Select", &json!([index.to_string(), list])),
            Expr::If(condition, then, otherwise) => {
                single(serializer, "Fn::If", &json!([condition.as_str(), then, otherwise]))
            }
            Expr::ImportValue(name) => single(serializer, "Fn::ImportValue", name),
            Expr::GetAzs(region) => single(serializer, "Fn::GetAZs", region),
            Expr::List(items) => items.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(expr: &Expr) -> String {
        serde_json::to_string(expr).unwrap()
    }

    #[test]
    fn intrinsics_serialize_in_long_form() {
        let id = LogicalId::fixed("Table");
        assert_eq!(json(&Expr::str("x")), r#""x""#);
        assert_eq!(json(&Expr::reference(&id)), r#"{"Ref":"Table"}"#);
        assert_eq!(json(&Expr::get_att(&id, "Arn")), r#"{"Fn::GetAtt":["Table","Arn"]}"#);
        assert_eq!(json(&Expr::sub("${AWS::Region}")), r#"{"Fn::Sub":"${AWS::Region}"}"#);
        let vars = BTreeMap::from([("A".to_owned(), Expr::reference(&id))]);
        assert_eq!(json(&Expr::SubWith("${A}".into(), vars)), r#"{"Fn::Sub":["${A}",{"A":{"Ref":"Table"}}]}"#);
        assert_eq!(json(&Expr::Join(",".into(), vec!["a".into(), "b".into()])), r#"{"Fn::Join":[",",["a","b"]]}"#);
        let azs = Expr::GetAzs(Box::new(Expr::str("")));
        assert_eq!(json(&Expr::Select(1, Box::new(azs))), r#"{"Fn::Select":["1",{"Fn::GetAZs":""}]}"#);
        let cond = LogicalId::fixed("IsProd");
        assert_eq!(
            json(&Expr::If(cond, Box::new("a".into()), Box::new(Expr::pseudo("AWS::NoValue")))),
            r#"{"Fn::If":["IsProd","a",{"Ref":"AWS::NoValue"}]}"#
        );
        assert_eq!(json(&Expr::import("saas-baseline-X")), r#"{"Fn::ImportValue":"saas-baseline-X"}"#);
    }
}
