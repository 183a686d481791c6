//! Blueprints: the YAML form of a platform, its JSON Schema, and diagnostics that point at
//! `file:line:column`.
//!
//! Loading is strict: unknown fields are errors, every problem in the file is reported at once,
//! and a document that expands aliases beyond a bound (an "alias bomb") is refused. This module
//! reads no files itself except in [`load_file`]; [`load_str`] is pure.

mod convert;
mod diagnostic;
pub mod doc;
mod sample;
mod source_map;

use std::path::Path;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use doc::schema_json;
pub use sample::sample;
pub use source_map::{Position, SourceMap};

use crate::model::{FieldPath, Platform, Problem};

/// The reference platform's blueprint, compiled into the binary so the main job runs anywhere.
pub const REFERENCE: &str = include_str!("../../blueprints/reference.yaml");

/// The largest blueprint read, far above any real fleet (10,000 tenants take about 1.5 MB).
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Why a blueprint could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BlueprintError {
    /// The blueprint file could not be read: missing, unreadable, or its size unknown.
    #[error("cannot read blueprint {file}")]
    Read {
        /// The blueprint's path, as given to [`load_file`].
        file: String,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is no valid blueprint: every problem found, each at its line and column.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Reads and validates the blueprint at `path`.
pub fn load_file(path: &Path) -> Result<Platform, BlueprintError> {
    let file = path.display().to_string();
    let read_error = |source| BlueprintError::Read { file: file.clone(), source };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_BYTES {
        return Err(BlueprintError::Invalid(Diagnostics::new(vec![Diagnostic {
            file,
            position: Position::START,
            path: None,
            message: format!("the blueprint is {size} bytes, more than the limit of {MAX_BYTES}"),
            help: "split the fleet into several platforms, or check that this is the right file".into(),
            related: None,
        }])));
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    let text = String::from_utf8(bytes).map_err(|err| {
        BlueprintError::Invalid(Diagnostics::new(vec![Diagnostic {
            file: file.clone(),
            position: Position::START,
            path: None,
            message: format!(
                "the blueprint is not UTF-8 text (invalid byte at offset {})",
                err.utf8_error().valid_up_to()
            ),
            help: "save the file as UTF-8".into(),
            related: None,
        }]))
    })?;
    load_str(&file, &text)
}

/// Validates blueprint `text`; `file` names it in diagnostics.
pub fn load_str(file: &str, text: &str) -> Result<Platform, BlueprintError> {
    let at = |position: Position, message: String, help: &str| Diagnostic {
        file: file.to_owned(),
        position,
        path: None,
        message,
        help: help.to_owned(),
        related: None,
    };
    let invalid = |diagnostics: Vec<Diagnostic>| BlueprintError::Invalid(Diagnostics::new(diagnostics));

    let value: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(value) => value,
        Err(err) => {
            let position =
                err.location().map(|l| Position { line: l.line(), column: l.column() }).unwrap_or(Position::START);
            let message = strip_location(&err.to_string());
            let help = if message.contains("repetition limit") || message.contains("recursion limit") {
                "the document expands YAML aliases or nests too deeply; write the values out instead of aliasing them"
            } else {
                "fix the YAML syntax at this place"
            };
            return Err(invalid(vec![at(position, format!("not valid YAML: {message}"), help)]));
        }
    };
    if value.is_null() {
        return Err(invalid(vec![at(
            Position::START,
            "the blueprint is empty".into(),
            "start from blueprints/reference.yaml: a mapping with platform, cluster, services, tiers and tenants",
        )]));
    }
    convert::convert(&value).map_err(|problems| {
        let map = SourceMap::build(text);
        invalid(problems.into_iter().map(|problem| place(file, &map, problem)).collect())
    })
}

/// A platform from the blueprint's wire types built in Rust ([`doc::BlueprintDoc`]): every
/// problem at once, each at its field path, as the YAML path reports them, where building the
/// model's own types one `parse(..)?` at a time stops at the first bad value.
///
/// ```
/// let mut doc: tenancy::blueprint::doc::BlueprintDoc = serde_yaml::from_str(tenancy::blueprint::REFERENCE)?;
/// doc.platform.name = "Not A Name".into();
/// doc.tenants[0].id = "ACME!".into();
/// let problems = tenancy::blueprint::from_doc(&doc).unwrap_err();
/// let paths: Vec<String> = problems.iter().map(|p| p.path.to_string()).collect();
/// assert_eq!(paths, ["platform.name", "tenants[0].id"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_doc(doc: &doc::BlueprintDoc) -> Result<Platform, crate::model::Problems> {
    let value = serde_yaml::to_value(doc).expect("the wire types serialize");
    convert::convert(&value)
        .map_err(|problems| crate::model::Problems::check(problems).expect_err("a conversion that fails has problems"))
}

/// Places a problem in the file: at its key or its value, as the problem says.
fn place(file: &str, map: &SourceMap, problem: Problem) -> Diagnostic {
    let position = match problem.anchor {
        crate::model::Anchor::Key => map.key(&problem.path),
        crate::model::Anchor::Value => map.value(&problem.path),
    };
    let related = problem.related.as_ref().map(|r: &FieldPath| map.value(r));
    Diagnostic {
        file: file.to_owned(),
        position,
        path: Some(problem.path),
        message: problem.message,
        help: problem.help,
        related,
    }
}

/// yaml_serde appends " at line L column C"; the diagnostic shows the place itself.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
