//! Reference checks. They run on the serialized form of the template, which is exactly what
//! CloudFormation reads, so no property can hide a reference from them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::LogicalId;
use super::expr::PSEUDO_PARAMETERS;
use super::template::Body;

/// Every dangling `Ref`, `Fn::GetAtt`, `Fn::Sub` variable, `Fn::If` condition and `DependsOn`.
pub(crate) fn check_references(body: &Body) -> Vec<String> {
    let types: BTreeMap<&str, &[&str]> =
        body.resources.iter().map(|(id, r)| (id.as_str(), r.properties().attributes())).collect();
    let checker = Checker { body, types };
    let mut problems = Vec::new();
    for (id, resource) in &body.resources {
        let at = format!("resource {id}");
        match resource.properties_json() {
            Ok(properties) => checker.walk(&properties, &at, &mut problems),
            Err(err) => problems.push(format!("{at}: {err}")),
        }
        for target in resource.depends() {
            if !body.resources.contains_key(target) {
                problems.push(format!("{at}: DependsOn names `{target}`, which is not a resource"));
            }
        }
        if let Some(condition) = resource.condition_id() {
            checker.condition(condition.as_str(), &at, &mut problems);
        }
    }
    for (id, output) in &body.outputs {
        let value = serde_json::to_value(output).expect("outputs serialize");
        checker.walk(&value, &format!("output {id}"), &mut problems);
    }
    for (id, condition) in &body.conditions {
        let value = serde_json::to_value(condition).expect("conditions serialize");
        checker.walk(&value, &format!("condition {id}"), &mut problems);
    }
    problems
}

struct Checker<'a> {
    body: &'a Body,
    types: BTreeMap<&'a str, &'a [&'a str]>,
}

impl Checker<'_> {
    fn walk(&self, value: &Value, at: &str, problems: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if map.len() == 1 {
                    let (key, arg) = map.iter().next().expect("one entry");
                    match key.as_str() {
                        "Ref" => self.reference(arg.as_str().unwrap_or_default(), at, problems),
                        "Fn::GetAtt" => match arg.as_array().map(Vec::as_slice) {
                            Some([Value::String(id), Value::String(attribute)]) => {
                                self.attribute(id, attribute, at, problems)
                            }
                            _ => problems.push(format!("{at}: malformed Fn::GetAtt {arg}")),
                        },
                        "Fn::Sub" => self.sub(arg, at, problems),
                        "Fn::If" => {
                            if let Some(Value::String(condition)) = arg.get(0) {
                                self.condition(condition, at, problems);
                            }
                        }
                        _ => {}
                    }
                }
                for child in map.values() {
                    self.walk(child, at, problems);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.walk(item, at, problems)),
            _ => {}
        }
    }

    fn reference(&self, name: &str, at: &str, problems: &mut Vec<String>) {
        let known = PSEUDO_PARAMETERS.contains(&name)
            || self.types.contains_key(name)
            || LogicalId::new(name).is_ok_and(|id| self.body.parameters.contains_key(&id));
        if !known {
            problems.push(format!("{at}: Ref to `{name}`, which is not a resource, parameter or pseudo parameter"));
        }
    }

    fn attribute(&self, id: &str, attribute: &str, at: &str, problems: &mut Vec<String>) {
        match self.types.get(id) {
            None => problems.push(format!("{at}: Fn::GetAtt of `{id}`, which is not a resource")),
            Some(attributes) if !attributes.contains(&attribute) => {
                let type_name = self.body.resources[&LogicalId::new(id).expect("a key")].properties().type_name();
                problems.push(format!(
                    "{at}: Fn::GetAtt `{id}.{attribute}`, but {type_name} has only [{}]",
                    attributes.join(", ")
                ));
            }
            Some(_) => {}
        }
    }

    fn condition(&self, name: &str, at: &str, problems: &mut Vec<String>) {
        if !LogicalId::new(name).is_ok_and(|id| self.body.conditions.contains_key(&id)) {
            problems.push(format!("{at}: condition `{name}` is not defined"));
        }
    }

    /// `${Name}` is a Ref, `${Name.Attr}` a GetAtt, `${!Literal}` text; variables given to the
    /// Sub itself shadow the template's names.
    fn sub(&self, arg: &Value, at: &str, problems: &mut Vec<String>) {
        let (text, vars) = match arg {
            Value::String(text) => (text.as_str(), None),
            Value::Array(items) => match items.as_slice() {
                [Value::String(text), Value::Object(vars)] => (text.as_str(), Some(vars)),
                _ => return problems.push(format!("{at}: malformed Fn::Sub {arg}")),
            },
            _ => return problems.push(format!("{at}: malformed Fn::Sub {arg}")),
        };
        for name in sub_variables(text) {
            if vars.is_some_and(|vars| vars.contains_key(name)) {
                continue;
            }
            match name.split_once('.') {
                Some((id, attribute)) if !name.starts_with("AWS::") => self.attribute(id, attribute, at, problems),
                _ => self.reference(name, at, problems),
            }
        }
    }
}

/// The `${...}` variable names of a Sub string, skipping `${!...}` literals.
pub(crate) fn sub_variables(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            names.push(name.trim());
        }
        rest = &after[end + 1..];
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::resources::{Topic, tags};
    use crate::cfn::{Condition, Expr, Output, Parameter, TemplateBuilder, limits};

    fn topic(name: Expr) -> Topic {
        Topic {
            topic_name: name,
            display_name: "t".into(),
            kms_master_key_id: Expr::str("alias/aws/sns"),
            tags: tags(&[]),
        }
    }

    fn errors(build: impl FnOnce(&mut TemplateBuilder)) -> Vec<String> {
        let mut t = TemplateBuilder::new("test");
        build(&mut t);
        t.build().err().map(|e| e.problems).unwrap_or_default()
    }

    #[test]
    fn sub_variables_skip_literals() {
        assert_eq!(sub_variables("${A}-${B.Arn}-${!Literal}-${AWS::Region}"), vec!["A", "B.Arn", "AWS::Region"]);
        assert_eq!(sub_variables("no vars"), Vec::<&str>::new());
    }

    #[test]
    fn valid_references_pass() {
        let found = errors(|t| {
            let a = LogicalId::fixed("A");
            let p = LogicalId::fixed("Name");
            let c = LogicalId::fixed("IsEu");
            t.parameter(&p, Parameter::string("a name", None));
            t.condition(&c, Condition(Expr::pseudo("AWS::Region"), "eu-west-1".into()));
            t.resource(&a, topic(Expr::reference(&p)));
            t.resource(&LogicalId::fixed("B"), topic(Expr::sub("${A.TopicName}-${Name}-${AWS::Region}")))
                .depends_on(&a)
                .condition(&c);
            t.output(&LogicalId::fixed("Arn"), Output::new("arn", Expr::get_att(&a, "TopicArn")));
        });
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn dangling_references_fail() {
        let found = errors(|t| {
            let a = LogicalId::fixed("A");
            t.resource(&a, topic(Expr::reference(&LogicalId::fixed("Missing"))));
            t.resource(&LogicalId::fixed("B"), topic(Expr::get_att(&a, "Arn"))).depends_on(&LogicalId::fixed("Nope"));
            t.resource(&LogicalId::fixed("C"), topic(Expr::sub("${Gone}-${A.Nope}")));
            t.resource(
                &LogicalId::fixed("D"),
                topic(Expr::If(LogicalId::fixed("NoCond"), Box::new("a".into()), Box::new("b".into()))),
            );
            t.output(&LogicalId::fixed("O"), Output::new("o", Expr::get_att(&LogicalId::fixed("Ghost"), "Arn")));
        });
        let expected = [
            "resource A: Ref to `Missing`",
            "resource B: Fn::GetAtt `A.Arn`, but AWS::SNS::Topic has only [TopicArn, TopicName]",
            "resource B: DependsOn names `Nope`",
            "resource C: Ref to `Gone`",
            "resource C: Fn::GetAtt `A.Nope`",
            "resource D: condition `NoCond` is not defined",
            "output O: Fn::GetAtt of `Ghost`",
        ];
        for want in expected {
            assert!(found.iter().any(|f| f.starts_with(want)), "missing {want:?} in {found:#?}");
        }
        assert_eq!(found.len(), expected.len(), "{found:#?}");
    }

    #[test]
    fn duplicate_ids_fail() {
        let found = errors(|t| {
            let a = LogicalId::fixed("A");
            t.parameter(&a, Parameter::string("p", None));
            t.resource(&a, topic("x".into()));
        });
        assert_eq!(found, vec!["logical id `A` is used more than once"]);
    }

    #[test]
    fn limits_are_enforced() {
        let found = errors(|t| {
            for i in 0..=limits::RESOURCES {
                t.resource(&LogicalId::new(format!("T{i}")).unwrap(), topic("x".into()));
            }
            for i in 0..=limits::OUTPUTS {
                t.output(&LogicalId::new(format!("O{i}")).unwrap(), Output::new("o", "x".into()));
            }
        });
        assert!(found.iter().any(|f| f == "501 resources, over CloudFormation's limit of 500"), "{found:?}");
        assert!(found.iter().any(|f| f == "201 outputs, over CloudFormation's limit of 200"), "{found:?}");

        let found = errors(|t| {
            for i in 0..=limits::PARAMETERS {
                t.parameter(&LogicalId::new(format!("P{i}")).unwrap(), Parameter::string("p", None));
            }
        });
        assert!(found.iter().any(|f| f == "201 parameters, over CloudFormation's limit of 200"), "{found:?}");

        let found = errors(|t| {
            let big = "x".repeat(limits::TEMPLATE_BYTES);
            t.resource(&LogicalId::fixed("Big"), topic(big.into()));
        });
        assert!(found.iter().any(|f| f.contains("over CloudFormation's limit of 1000000 bytes")), "{found:?}");
    }

    #[test]
    fn large_templates_are_flagged_for_upload() {
        let mut t = TemplateBuilder::new("test");
        t.resource(&LogicalId::fixed("Small"), topic("x".into()));
        assert!(!t.build().unwrap().needs_upload());
        let mut t = TemplateBuilder::new("test");
        t.resource(&LogicalId::fixed("Big"), topic("x".repeat(limits::INLINE_TEMPLATE_BYTES).into()));
        assert!(t.build().unwrap().needs_upload());
    }
}
