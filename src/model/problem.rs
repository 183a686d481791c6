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
}

impl Problem {
    pub fn new(path: FieldPath, message: impl Into<String>, help: impl Into<String>) -> Self {
        Self { path, message: message.into(), help: help.into(), related: None }
    }

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

    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

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
