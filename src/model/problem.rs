//! Validation problems: what is wrong, where, and how to fix it.

use std::fmt;

use super::FieldPath;

/// One thing wrong with a platform description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the problem is.
    pub path: FieldPath,
    /// What is wrong, in one sentence without a trailing period.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// Another place involved (the first of two duplicates, the other tenant of a collision).
    pub related: Option<FieldPath>,
    /// Which part of the field at `path` is wrong: where a diagnostic points in the file.
    pub anchor: Anchor,
}

/// The part of a field a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Anchor {
    /// The value (a bad name, a number out of range): almost every problem.
    #[default]
    Value,
    /// The key itself (a field the schema does not have).
    Key,
}

impl Problem {
    /// A problem at `path`, with no related place.
    pub fn new(path: FieldPath, message: impl Into<String>, help: impl Into<String>) -> Self {
        Self { path, message: message.into(), help: help.into(), related: None, anchor: Anchor::Value }
    }

    /// This problem, about the field's key rather than its value.
    #[must_use]
    pub fn at_key(mut self) -> Self {
        self.anchor = Anchor::Key;
        self
    }

    /// This problem, pointing at `other` as well (e.g. the first of two duplicates).
    #[must_use]
    pub fn related_to(mut self, other: FieldPath) -> Self {
        self.related = Some(other);
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (help: {})", self.path, self.message, self.help)?;
        if let Some(related) = &self.related {
            write!(f, " (see also {related})")?;
        }
        Ok(())
    }
}

/// Every problem found in a platform description. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// `Ok(())` when `problems` is empty, the problems otherwise.
    pub fn check(problems: Vec<Problem>) -> Result<(), Problems> {
        if problems.is_empty() { Ok(()) } else { Err(Problems(problems)) }
    }

    /// The problems, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }

    /// How many problems there are: at least one.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a `Problems` holds at least one problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems as a vector, in the order they were found.
    pub fn into_vec(self) -> Vec<Problem> {
        self.0
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} problem(s) in the platform description", self.0.len())?;
        for problem in &self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}
