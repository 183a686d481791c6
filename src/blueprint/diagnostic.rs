//! Diagnostics: a problem placed in a file, rendered like a compiler error.

use std::fmt;

use super::source_map::Position;
use crate::model::FieldPath;

/// One problem in a blueprint file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The blueprint's file name as the loader was given it, shown before the line and column.
    pub file: String,
    /// Where the problem is: at the value, or at the key for an unknown field.
    pub position: Position,
    /// The field, when the problem is about one.
    pub path: Option<FieldPath>,
    /// What is wrong, in one sentence; shown after `error:`.
    pub message: String,
    /// How to fix it; shown after `= help:`.
    pub help: String,
    /// Another place involved, e.g. the first of two duplicates.
    pub related: Option<Position>,
}

impl Diagnostic {
    /// A problem at `position` of `file`, about no particular field and with no related place.
    pub(crate) fn new(file: &str, position: Position, message: impl Into<String>, help: impl Into<String>) -> Self {
        Self { file: file.to_owned(), position, path: None, message: message.into(), help: help.into(), related: None }
    }

    /// This diagnostic, about the field at `path`.
    #[must_use]
    pub(crate) fn at_field(mut self, path: FieldPath) -> Self {
        self.path = Some(path);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        write!(f, "  --> {}:{}:{}", self.file, self.position.line, self.position.column)?;
        if let Some(path) = self.path.as_ref().filter(|p| !p.is_root()) {
            write!(f, " ({path})")?;
        }
        if let Some(related) = self.related {
            write!(f, "\n   = note: see also {}:{}:{}", self.file, related.line, related.column)?;
        }
        write!(f, "\n   = help: {}", self.help)
    }
}

/// Every problem found in one blueprint file, in file order. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub(crate) fn new(mut items: Vec<Diagnostic>) -> Self {
        debug_assert!(!items.is_empty());
        items.sort_by(|a, b| (&a.file, a.position, &a.message).cmp(&(&b.file, b.position, &b.message)));
        items.dedup();
        Self(items)
    }

    /// The diagnostics in file order: by file, position, then message.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// How many diagnostics there are: at least one.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a `Diagnostics` holds at least one diagnostic.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}\n")?;
        }
        let file = self.0.first().map(|d| d.file.as_str()).unwrap_or("blueprint");
        let files = self.0.iter().map(|d| d.file.as_str()).collect::<std::collections::BTreeSet<_>>().len();
        match files {
            1 => write!(f, "{} problem(s) in {file}", self.0.len()),
            n => write!(f, "{} problem(s) in {n} files", self.0.len()),
        }
    }
}
