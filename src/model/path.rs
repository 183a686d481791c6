//! Field paths: the address of a value in a platform, shaped like the blueprint
//! (`tenants[2].adminEmail`), so one problem reads the same from YAML and from Rust.

use std::fmt;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// A mapping key, e.g. `quotas`; shown as `.quotas` after the first segment.
    Key(String),
    /// A sequence index, e.g. `1`; shown as `[1]`.
    Index(usize),
}

/// The address of a field, e.g. `tiers[1].quotas.cpu`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The document root.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by a mapping key.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// This path extended by a sequence index.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// This path followed by all of `tail`.
    #[must_use]
    pub fn join(&self, tail: &FieldPath) -> Self {
        let mut next = self.clone();
        next.0.extend(tail.0.iter().cloned());
        next
    }

    /// This path without its leading `prefix`, or `None` when it does not start with it.
    pub fn strip_prefix(&self, prefix: &FieldPath) -> Option<Self> {
        self.0.strip_prefix(prefix.0.as_slice()).map(|rest| Self(rest.to_vec()))
    }

    /// The enclosing path, or `None` at the root.
    pub fn parent(&self) -> Option<Self> {
        let mut up = self.clone();
        up.0.pop().map(|_| up)
    }

    /// The path's segments, from the root down.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether this is the document root, which displays as `(document)`.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_the_blueprint() {
        let path = FieldPath::root().key("tiers").index(1).key("quotas").key("cpu");
        assert_eq!(path.to_string(), "tiers[1].quotas.cpu");
        assert_eq!(path.parent().unwrap().to_string(), "tiers[1].quotas");
        assert_eq!(FieldPath::root().to_string(), "(document)");
        assert!(FieldPath::root().parent().is_none());
    }
}
