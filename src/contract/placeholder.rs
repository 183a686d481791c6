//! Placeholders: where an artifact needs a value that exists only once an earlier step has run,
//! it holds `${<producer>:<name>:<output>}`, which apply replaces with the value before sending
//! the artifact. The reviewed file says exactly where each value comes from:
//!
//! - `${stack:<stack>:<output>}`: an output of the stack that step deploys;
//! - `${build:<project>:<variable>}`: a variable a build of that project exported (the images
//!   step exports the digest of each image it pushed).
//!
//! The plan turns each placeholder into a binding from the step that produces it; a step that
//! holds one without depending on its producer is an invalid plan.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What produces a placeholder's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Producer {
    /// A CloudFormation stack, by name: the value is one of its outputs.
    Stack,
    /// A CodeBuild project, by name: the value is a variable its build exported.
    Build,
}

impl Producer {
    const ALL: [Producer; 2] = [Producer::Stack, Producer::Build];

    fn word(self) -> &'static str {
        match self {
            Producer::Stack => "stack",
            Producer::Build => "build",
        }
    }
}

/// One placeholder: `${<producer>:<name>:<output>}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Placeholder {
    /// Whether the value is a stack output or an exported build variable.
    pub producer: Producer,
    /// The stack or project name.
    pub name: String,
    /// The stack output or exported variable.
    pub output: String,
}

impl Placeholder {
    /// `${stack:<stack>:<output>}`: output `output` of stack `stack`.
    pub fn stack(stack: &str, output: &str) -> Self {
        Self { producer: Producer::Stack, name: stack.to_owned(), output: output.to_owned() }
    }

    /// `${build:<project>:<variable>}`: variable `variable`, exported by a build of `project`.
    pub fn build(project: &str, variable: &str) -> Self {
        Self { producer: Producer::Build, name: project.to_owned(), output: variable.to_owned() }
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${{{}:{}:{}}}", self.producer.word(), self.name, self.output)
    }
}

/// Every placeholder in `text`, in order of appearance (repeats included).
pub fn placeholders(text: &str) -> Vec<Placeholder> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let body = &after[..end];
        let parsed = Producer::ALL.iter().find_map(|producer| {
            let inner = body.strip_prefix(producer.word())?.strip_prefix(':')?;
            let (name, output) = inner.split_once(':')?;
            Some(Placeholder { producer: *producer, name: name.to_owned(), output: output.to_owned() })
        });
        if let Some(placeholder) = parsed {
            found.push(placeholder);
            rest = &after[end..];
        } else {
            rest = after;
        }
    }
    found
}

/// The first text in `text` that looks like a placeholder (`${stack:` or `${build:`), if any:
/// what is left after substitution must hold none.
pub fn first_unresolved(text: &str) -> Option<&str> {
    let start = Producer::ALL.iter().filter_map(|p| text.find(&format!("${{{}:", p.word()))).min()?;
    let end = text[start..].find('}').map_or(text.len(), |e| start + e + 1);
    Some(&text[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders_of_every_producer() {
        let text =
            "a: ${stack:saas-tenant-acme:IssuerUrl}\nb: ${build:saas-images:IMAGE_DIGEST_ORDER} ${other} ${stack:x}";
        assert_eq!(
            placeholders(text),
            [
                Placeholder::stack("saas-tenant-acme", "IssuerUrl"),
                Placeholder::build("saas-images", "IMAGE_DIGEST_ORDER")
            ]
        );
        assert_eq!(placeholders(text)[1].to_string(), "${build:saas-images:IMAGE_DIGEST_ORDER}");
        assert_eq!(first_unresolved("x ${HOME} y ${build:p:V} z"), Some("${build:p:V}"));
        assert_eq!(first_unresolved("x ${HOME}"), None);
    }
}
