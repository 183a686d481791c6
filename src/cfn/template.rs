//! Templates: parameters, conditions, resources and outputs keyed by logical id, checked as a
//! whole when built.

use std::collections::BTreeMap;

use serde::Serialize;

use super::check::check_references;
use super::resources::Properties;
use super::{Expr, LogicalId};

/// CloudFormation's limits, enforced at synth rather than discovered at deploy.
pub mod limits {
    /// The most resources one template may declare.
    pub const RESOURCES: usize = 500;
    /// The most parameters one template may declare.
    pub const PARAMETERS: usize = 200;
    /// The most outputs one template may declare.
    pub const OUTPUTS: usize = 200;
    /// The largest template CloudFormation accepts from S3.
    pub const TEMPLATE_BYTES: usize = 1_000_000;
    /// The largest template that may be sent inline in an API call; larger ones go through S3.
    pub const INLINE_TEMPLATE_BYTES: usize = 51_200;
}

/// A stack parameter (always a string).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    /// The parameter type (`Type`), always `String`.
    #[serde(rename = "Type")]
    pub parameter_type: &'static str,
    /// What the parameter is, at most 4,000 characters; shown by the console and `describe-stacks`.
    pub description: String,
    /// The value used when a stack does not give one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The only values the parameter accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_values: Option<Vec<String>>,
    /// A Java regular expression the value must match (`AllowedPattern`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
}

impl Parameter {
    /// A string parameter, required (no default), optionally constrained by `allowed_pattern`.
    pub fn string(description: impl Into<String>, allowed_pattern: Option<&str>) -> Self {
        Self {
            parameter_type: "String",
            description: description.into(),
            default: None,
            allowed_values: None,
            allowed_pattern: allowed_pattern.map(str::to_owned),
        }
    }

    /// A string parameter that takes one of `values`, the first by default.
    pub fn choice(description: impl Into<String>, values: &[&str]) -> Self {
        Self {
            parameter_type: "String",
            description: description.into(),
            default: values.first().map(|v| (*v).to_owned()),
            allowed_values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
            allowed_pattern: None,
        }
    }
}

/// A condition: `Fn::Equals` of two values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition(pub Expr, pub Expr);

impl Serialize for Condition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("Fn::Equals", &[&self.0, &self.1])?;
        map.end()
    }
}

/// What CloudFormation does with the physical resource when it leaves the stack (`DeletionPolicy`)
/// or is replaced (`UpdateReplacePolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Policy {
    /// `Delete`: the resource is deleted (CloudFormation's default for most types).
    Delete,
    /// `Retain`: the resource is kept, outside any stack.
    Retain,
    /// `Snapshot`: a final snapshot is taken, then the resource is deleted; only for types that
    /// support snapshots (RDS, EBS volumes and a few others).
    Snapshot,
}

/// One resource: its typed properties and resource attributes, and the raw property overrides
/// laid over them when it is serialized (the escape hatch: see [`Resource::override_property`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    type_name: &'static str,
    condition: Option<LogicalId>,
    depends_on: Vec<LogicalId>,
    deletion_policy: Option<Policy>,
    update_replace_policy: Option<Policy>,
    properties: Properties,
    overrides: Vec<Override>,
}

/// One raw change to a resource's serialized properties: a value set at a path of keys, or the
/// key at the path removed (`None`).
#[derive(Debug, Clone, PartialEq)]
struct Override {
    path: Vec<String>,
    value: Option<serde_json::Value>,
}

impl Serialize for Resource {
    /// The same shape and key order a derive would give (`Type`, `Condition`, `DependsOn`,
    /// `DeletionPolicy`, `UpdateReplacePolicy`, `Properties`), with the overrides applied.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeStruct};
        let mut out = serializer.serialize_struct("Resource", 6)?;
        out.serialize_field("Type", self.type_name)?;
        match &self.condition {
            Some(condition) => out.serialize_field("Condition", condition)?,
            None => out.skip_field("Condition")?,
        }
        if self.depends_on.is_empty() {
            out.skip_field("DependsOn")?;
        } else {
            out.serialize_field("DependsOn", &self.depends_on)?;
        }
        match &self.deletion_policy {
            Some(policy) => out.serialize_field("DeletionPolicy", policy)?,
            None => out.skip_field("DeletionPolicy")?,
        }
        match &self.update_replace_policy {
            Some(policy) => out.serialize_field("UpdateReplacePolicy", policy)?,
            None => out.skip_field("UpdateReplacePolicy")?,
        }
        if self.overrides.is_empty() {
            out.serialize_field("Properties", &self.properties)?;
        } else {
            out.serialize_field("Properties", &self.overridden().map_err(S::Error::custom)?)?;
        }
        out.end()
    }
}

impl Resource {
    /// The typed properties.
    pub fn properties(&self) -> &Properties {
        &self.properties
    }

    /// The properties, to change (the customization hook: a policy statement, a tag). The
    /// resource keeps its type: a change of type is a new resource.
    pub fn properties_mut(&mut self) -> &mut Properties {
        &mut self.properties
    }

    /// Adds an explicit dependency (for ordering that no reference expresses).
    pub fn depends_on(&mut self, id: &LogicalId) -> &mut Self {
        if !self.depends_on.contains(id) {
            self.depends_on.push(id.clone());
            self.depends_on.sort();
        }
        self
    }

    /// Sets both `DeletionPolicy` and `UpdateReplacePolicy`: data that must survive deletion
    /// must survive replacement too.
    pub fn keep(&mut self, policy: Policy) -> &mut Self {
        self.deletion_policy = Some(policy);
        self.update_replace_policy = Some(policy);
        self
    }

    /// Creates the resource only when `condition`, a condition of the template, is true.
    pub fn condition(&mut self, condition: &LogicalId) -> &mut Self {
        self.condition = Some(condition.clone());
        self
    }

    /// The escape hatch for a property the typed structs do not model: sets the value at `path`
    /// (a property name, then keys inside it) in the serialized properties, creating mappings
    /// on the way, as CDK's `addPropertyOverride` does. Overrides apply in the order given, after
    /// the typed properties, and the template's checks read the result: a `Ref` or `Fn::GetAtt`
    /// in `value` is checked like any other, and a path through a list or a scalar is an error
    /// at [`TemplateBuilder::build`]. Reach for a typed field first: an override is not checked
    /// against the resource type's schema here (cfn-lint does that in `scripts/test`).
    pub fn override_property(&mut self, path: &[&str], value: serde_json::Value) -> &mut Self {
        self.overrides.push(Override { path: path.iter().map(|key| (*key).to_owned()).collect(), value: Some(value) });
        self
    }

    /// Removes the key at `path` from the serialized properties (CDK's
    /// `addPropertyDeletionOverride`). A path that names nothing is an error at
    /// [`TemplateBuilder::build`], so a typo cannot pass for a removal.
    pub fn remove_property(&mut self, path: &[&str]) -> &mut Self {
        self.overrides.push(Override { path: path.iter().map(|key| (*key).to_owned()).collect(), value: None });
        self
    }

    /// The properties as CloudFormation reads them, as JSON, for the reference checks: the typed
    /// ones straight, unless overrides must be laid over them first.
    pub(crate) fn properties_json(&self) -> Result<serde_json::Value, String> {
        if self.overrides.is_empty() {
            return serde_json::to_value(&self.properties).map_err(|e| e.to_string());
        }
        serde_json::to_value(self.overridden()?).map_err(|e| e.to_string())
    }

    /// The properties as CloudFormation reads them: the typed ones, serialized in field order,
    /// with every override applied in turn.
    pub(crate) fn overridden(&self) -> Result<serde_yaml::Value, String> {
        let mut properties = serde_yaml::to_value(&self.properties).map_err(|e| e.to_string())?;
        for change in &self.overrides {
            apply_override(&mut properties, change)
                .map_err(|e| format!("override of {}: {e}", change.path.join(".")))?;
        }
        Ok(properties)
    }

    pub(crate) fn depends(&self) -> &[LogicalId] {
        &self.depends_on
    }

    pub(crate) fn condition_id(&self) -> Option<&LogicalId> {
        self.condition.as_ref()
    }
}

/// Lays one override over serialized properties: keys are walked (and created, for a set) as
/// mappings; the last key is set or removed.
fn apply_override(properties: &mut serde_yaml::Value, change: &Override) -> Result<(), String> {
    use serde_yaml::Value;
    let Some((last, parents)) = change.path.split_last() else {
        return Err("an empty path names no property".to_owned());
    };
    let mut at = properties;
    for (depth, key) in parents.iter().enumerate() {
        let map = at.as_mapping_mut().ok_or_else(|| not_a_mapping(&change.path[..depth]))?;
        let key = Value::String(key.clone());
        if !map.contains_key(&key) {
            if change.value.is_none() {
                return Err(format!("{} is not set, so there is nothing to remove", change.path.join(".")));
            }
            map.insert(key.clone(), Value::Mapping(serde_yaml::Mapping::new()));
        }
        at = map.get_mut(&key).expect("present or just inserted");
    }
    let map = at.as_mapping_mut().ok_or_else(|| not_a_mapping(parents))?;
    let key = Value::String(last.clone());
    match &change.value {
        Some(value) => {
            let value = serde_yaml::to_value(value).map_err(|e| e.to_string())?;
            // In place when the key exists, so the property keeps its position in the output.
            match map.get_mut(&key) {
                Some(slot) => *slot = value,
                None => {
                    map.insert(key, value);
                }
            }
        }
        None => {
            if map.shift_remove(&key).is_none() {
                return Err(format!("{} is not set, so there is nothing to remove", change.path.join(".")));
            }
        }
    }
    Ok(())
}

fn not_a_mapping(path: &[String]) -> String {
    if path.is_empty() {
        "the properties are not a mapping".to_owned()
    } else {
        format!("{} is not a mapping, so no key can be set inside it", path.join("."))
    }
}

/// A stack output, optionally exported for `Fn::ImportValue`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    /// What the output is, at most 1,024 bytes.
    pub description: String,
    /// The value, which must evaluate to a string (join a list first).
    pub value: Expr,
    /// The export, for outputs other stacks import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<Export>,
}

/// The export of an output (`Export`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Export {
    /// The export name, unique in the account and region; a stack importing it blocks its change or removal.
    pub name: Expr,
}

impl Output {
    /// An output of `value`, not exported.
    pub fn new(description: impl Into<String>, value: Expr) -> Self {
        Self { description: description.into(), value, export: None }
    }

    /// Exports the output as `name`, which other stacks read with `Fn::ImportValue`.
    #[must_use]
    pub fn exported_as(mut self, name: impl Into<String>) -> Self {
        self.export = Some(Export { name: Expr::Str(name.into()) });
        self
    }
}

/// The serialized shape of a template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Body {
    #[serde(rename = "AWSTemplateFormatVersion")]
    pub format_version: &'static str,
    #[serde(rename = "Description")]
    pub description: String,
    #[serde(rename = "Parameters", skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<LogicalId, Parameter>,
    #[serde(rename = "Conditions", skip_serializing_if = "BTreeMap::is_empty")]
    pub conditions: BTreeMap<LogicalId, Condition>,
    #[serde(rename = "Resources")]
    pub resources: BTreeMap<LogicalId, Resource>,
    #[serde(rename = "Outputs", skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<LogicalId, Output>,
}

/// Collects a template; [`build`](Self::build) checks references and limits.
#[derive(Debug)]
pub struct TemplateBuilder {
    body: Body,
    duplicates: Vec<LogicalId>,
}

impl TemplateBuilder {
    /// An empty template with `description` (at most 1,024 bytes) and format version `2010-09-09`.
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            body: Body {
                format_version: "2010-09-09",
                description: description.into(),
                parameters: BTreeMap::new(),
                conditions: BTreeMap::new(),
                resources: BTreeMap::new(),
                outputs: BTreeMap::new(),
            },
            duplicates: Vec::new(),
        }
    }

    /// Whether nothing has been added: no parameter, condition, resource or output.
    pub fn is_empty(&self) -> bool {
        let body = &self.body;
        body.parameters.is_empty() && body.conditions.is_empty() && body.resources.is_empty() && body.outputs.is_empty()
    }

    fn claim(&mut self, id: &LogicalId) {
        let body = &self.body;
        if body.parameters.contains_key(id) || body.resources.contains_key(id) || body.conditions.contains_key(id) {
            self.duplicates.push(id.clone());
        }
    }

    /// Adds a parameter; an id already taken by a parameter, condition or resource fails the build.
    pub fn parameter(&mut self, id: &LogicalId, parameter: Parameter) -> &mut Self {
        self.claim(id);
        self.body.parameters.insert(id.clone(), parameter);
        self
    }

    /// Adds a condition, for `Fn::If` and resource conditions; an id already taken fails the build.
    pub fn condition(&mut self, id: &LogicalId, condition: Condition) -> &mut Self {
        self.claim(id);
        self.body.conditions.insert(id.clone(), condition);
        self
    }

    /// Adds a resource and returns it for resource attributes.
    pub fn resource(&mut self, id: &LogicalId, properties: impl Into<Properties>) -> &mut Resource {
        self.claim(id);
        let properties = properties.into();
        let resource = Resource {
            type_name: properties.type_name(),
            condition: None,
            depends_on: Vec::new(),
            deletion_policy: None,
            update_replace_policy: None,
            properties,
            overrides: Vec::new(),
        };
        self.body.resources.insert(id.clone(), resource);
        self.body.resources.get_mut(id).expect("just inserted")
    }

    /// The resource at `id`, to change before the template is checked.
    pub fn resource_mut(&mut self, id: &LogicalId) -> Option<&mut Resource> {
        self.body.resources.get_mut(id)
    }

    /// Adds an output; an output id used twice fails the build.
    pub fn output(&mut self, id: &LogicalId, output: Output) -> &mut Self {
        if self.body.outputs.insert(id.clone(), output).is_some() {
            self.duplicates.push(id.clone());
        }
        self
    }

    /// Checks every reference and limit and renders the template as YAML.
    pub fn build(self) -> Result<Template, TemplateError> {
        let mut problems: Vec<String> =
            self.duplicates.iter().map(|id| format!("logical id `{id}` is used more than once")).collect();
        problems.extend(check_references(&self.body));
        let counts = [
            ("resources", self.body.resources.len(), limits::RESOURCES),
            ("parameters", self.body.parameters.len(), limits::PARAMETERS),
            ("outputs", self.body.outputs.len(), limits::OUTPUTS),
        ];
        for (what, count, limit) in counts {
            if count > limit {
                problems.push(format!("{count} {what}, over CloudFormation's limit of {limit}"));
            }
        }
        // Dates (`2010-09-09`, a policy's `2012-10-17`) are quoted: YAML 1.1 readers (PyYAML, and
        // the tools built on it) would read them as dates.
        let yaml = match crate::yaml::to_string_with(&self.body, crate::yaml::Options { quote_dates: true }) {
            Ok(yaml) => yaml,
            // A failed override is already among the problems (the reference check reads the
            // overridden properties); anything else is new.
            Err(err) if problems.is_empty() => return Err(TemplateError { problems: vec![err.to_string()] }),
            Err(_) => return Err(TemplateError { problems }),
        };
        if yaml.len() > limits::TEMPLATE_BYTES {
            problems.push(format!(
                "{} bytes, over CloudFormation's limit of {} bytes",
                yaml.len(),
                limits::TEMPLATE_BYTES
            ));
        }
        if !problems.is_empty() {
            return Err(TemplateError { problems });
        }
        Ok(Template { body: self.body, yaml })
    }
}

/// A checked template and its YAML text.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    body: Body,
    yaml: String,
}

impl Template {
    /// The template as YAML, as it is deployed.
    pub fn yaml(&self) -> &str {
        &self.yaml
    }

    /// The resources, by logical id.
    pub fn resources(&self) -> &BTreeMap<LogicalId, Resource> {
        &self.body.resources
    }

    /// The outputs, by logical id.
    pub fn outputs(&self) -> &BTreeMap<LogicalId, Output> {
        &self.body.outputs
    }

    /// The parameters, by logical id.
    pub fn parameters(&self) -> &BTreeMap<LogicalId, Parameter> {
        &self.body.parameters
    }

    /// Templates over 51,200 bytes cannot be sent inline; apply uploads them to S3 first.
    pub fn needs_upload(&self) -> bool {
        self.yaml.len() > limits::INLINE_TEMPLATE_BYTES
    }

    /// The typed body the YAML was serialized from (the emitter's differential test).
    #[cfg(test)]
    pub(crate) fn body(&self) -> &Body {
        &self.body
    }

    /// The serialized template as JSON, for tests and tools that inspect it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.body).expect("a template serializes")
    }
}

/// Everything wrong with a template. These are bugs in a compiler, never in user input: user
/// input is validated before compilation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CloudFormation template: {}", problems.join("; "))]
pub struct TemplateError {
    /// Every problem found, one message each, not only the first.
    pub problems: Vec<String>,
}

#[cfg(test)]
mod tests {
    use crate::yaml::{Options, to_string_with};

    #[test]
    fn dates_are_quoted_without_changing_the_document() {
        let text = "AWSTemplateFormatVersion: 2010-09-09\nA:\n  Version: 2012-10-17\n  Name: 2012-10-17x\n  List:\n  - x: 1999-01-01\n";
        let before: serde_json::Value = serde_yaml::from_str(text).unwrap();
        let quoted = to_string_with(&before, Options { quote_dates: true }).unwrap();
        assert_eq!(
            quoted,
            "A:\n  List:\n  - x: '1999-01-01'\n  Name: 2012-10-17x\n  Version: '2012-10-17'\nAWSTemplateFormatVersion: '2010-09-09'\n"
        );
        let after: serde_json::Value = serde_yaml::from_str(&quoted).unwrap();
        assert_eq!(before, after);
    }

    mod overrides {
        use serde_json::json;

        use crate::cfn::resources::Queue;
        use crate::cfn::{Expr, LogicalId, TemplateBuilder};

        fn queue(builder: &mut TemplateBuilder) -> &mut crate::cfn::Resource {
            let properties = Queue {
                queue_name: Expr::str("q"),
                sqs_managed_sse_enabled: true,
                message_retention_period: 60,
                tags: vec![],
            };
            builder.resource(&LogicalId::fixed("Queue"), properties)
        }

        fn built(change: impl Fn(&mut crate::cfn::Resource)) -> Result<String, Vec<String>> {
            let mut builder = TemplateBuilder::new("t");
            change(queue(&mut builder));
            builder.build().map(|t| t.yaml().to_owned()).map_err(|e| e.problems)
        }

        #[test]
        fn a_set_replaces_in_place_or_adds_at_the_end_and_a_removal_removes() {
            let yaml = built(|q| {
                q.override_property(&["MessageRetentionPeriod"], json!(120))
                    .override_property(&["RedrivePolicy", "maxReceiveCount"], json!(5))
                    .remove_property(&["Tags"]);
            })
            .unwrap();
            let properties = yaml.split("Properties:\n").nth(1).unwrap();
            assert_eq!(
                properties,
                "      QueueName: q\n      SqsManagedSseEnabled: true\n      MessageRetentionPeriod: 120\n      RedrivePolicy:\n        maxReceiveCount: 5\n"
            );
        }

        #[test]
        fn a_template_without_overrides_is_serialized_as_before() {
            let mut builder = TemplateBuilder::new("t");
            queue(&mut builder).keep(crate::cfn::Policy::Retain);
            let template = builder.build().unwrap();
            let derived = serde_json::json!({
                "Type": "AWS::SQS::Queue",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {"QueueName": "q", "SqsManagedSseEnabled": true, "MessageRetentionPeriod": 60, "Tags": []},
            });
            assert_eq!(template.to_json()["Resources"]["Queue"], derived);
            assert!(
                template.yaml().contains("  Queue:\n    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n"),
                "{}",
                template.yaml()
            );
        }

        #[test]
        fn an_override_is_checked_like_any_property() {
            let problems = built(|q| {
                q.override_property(
                    &["RedrivePolicy"],
                    json!({"deadLetterTargetArn": {"Fn::GetAtt": ["Missing", "Arn"]}}),
                );
            })
            .unwrap_err();
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("Missing"), "{problems:?}");
        }

        #[test]
        fn a_path_through_a_scalar_or_to_nothing_is_refused() {
            let problems = built(|q| {
                q.override_property(&["QueueName", "Inner"], json!(1));
            })
            .unwrap_err();
            assert_eq!(
                problems,
                [
                    "resource Queue: override of QueueName.Inner: QueueName is not a mapping, so no key can be set inside it"
                ]
            );
            let problems = built(|q| {
                q.remove_property(&["VisibilityTimeout"]);
            })
            .unwrap_err();
            assert_eq!(
                problems,
                [
                    "resource Queue: override of VisibilityTimeout: VisibilityTimeout is not set, so there is nothing to remove"
                ]
            );
        }
    }
}
