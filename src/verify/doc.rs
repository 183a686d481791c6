//! One generated file as verify reads it: its parsed documents and, on demand, where a value
//! is. Lines are looked up only when a finding needs one (a second, event-level parse), so a
//! clean fleet is parsed once.

use std::sync::OnceLock;

use serde_json::Value;

use crate::blueprint::SourceMap;
use crate::model::FieldPath;

/// A place in a generated file, for a finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    /// Relative to the generated folder, with `/` separators.
    pub file: String,
    /// 1-based.
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Why a file could not be read as verify needs it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct Unreadable {
    /// The file, relative to the generated folder.
    pub file: String,
    /// What is wrong: the parser's error with its line, or `missing: ...`.
    pub message: String,
}

/// One YAML (or JSON) document of a file, with the line it starts on.
#[derive(Debug)]
pub struct Document {
    /// The document's content (YAML read into JSON values).
    pub value: Value,
    text: String,
    first_line: usize,
    map: OnceLock<SourceMap>,
}

/// A parsed file: one document for a template, several for a manifest bundle.
#[derive(Debug)]
pub struct Doc {
    /// The file, relative to the generated folder.
    pub file: String,
    /// Its documents, in file order; a finding names one by its index here.
    pub documents: Vec<Document>,
    bytes: usize,
}

impl Doc {
    /// Parses `text`, split into documents at `---` lines.
    pub fn parse(file: &str, text: &str) -> Result<Self, Unreadable> {
        let mut documents = Vec::new();
        for (first_line, part) in split_documents(text) {
            let value: Value = serde_yaml::from_str(part).map_err(|e| Unreadable {
                file: file.to_owned(),
                message: format!("not YAML near line {}: {e}", first_line + e.location().map_or(0, |l| l.line() - 1)),
            })?;
            if !value.is_null() {
                documents.push(Document { value, text: part.to_owned(), first_line, map: OnceLock::new() });
            }
        }
        Ok(Self { file: file.to_owned(), documents, bytes: text.len() })
    }

    /// The file's size.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The only document, for a template.
    pub fn single(&self) -> Result<&Document, Unreadable> {
        match self.documents.as_slice() {
            [one] => Ok(one),
            other => Err(Unreadable {
                file: self.file.clone(),
                message: format!("expected one document, found {}", other.len()),
            }),
        }
    }

    /// Where the value at `path` of document `index` is (or its nearest ancestor).
    pub fn at(&self, index: usize, path: &FieldPath) -> Location {
        let line = self.documents.get(index).map_or(1, |d| d.line(path));
        Location { file: self.file.clone(), line }
    }
}

impl Document {
    /// The 1-based line of the field at `path` (its key, or the value for a sequence item), in
    /// the whole file.
    pub fn line(&self, path: &FieldPath) -> usize {
        let map = self.map.get_or_init(|| SourceMap::build(&self.text));
        self.first_line + map.key(path).line
    }
}

/// The documents of a stream and the line (0-based offset) each starts after.
fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut parts = Vec::new();
    let (mut start, mut start_line, mut line) = (0, 0, 0);
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        if raw.trim_end() == "---" {
            parts.push((start_line, &text[start..offset]));
            start = offset + raw.len();
            start_line = line + 1;
        }
        offset += raw.len();
        line += 1;
    }
    parts.push((start_line, &text[start..]));
    parts.into_iter().filter(|(_, part)| !part.trim().is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `path` from its segments: numbers are indexes, anything else keys.
    fn path(segments: &[&str]) -> FieldPath {
        segments.iter().fold(FieldPath::root(), |at, seg| match seg.parse::<usize>() {
            Ok(i) => at.index(i),
            Err(_) => at.key(seg),
        })
    }

    #[test]
    fn documents_keep_their_lines_in_the_whole_file() {
        let text = "a: 1\n---\nkind: X\nspec:\n  b: 2\n---\n# only a comment\n---\nkind: Y\n";
        let doc = Doc::parse("k8s.yaml", text).unwrap();
        assert_eq!(
            doc.documents.iter().map(|d| d.value.clone()).collect::<Vec<_>>(),
            vec![
                serde_json::json!({"a": 1}),
                serde_json::json!({"kind": "X", "spec": {"b": 2}}),
                serde_json::json!({"kind": "Y"})
            ]
        );
        // The comment-only document is dropped; lines count in the whole file.
        assert_eq!(doc.at(1, &path(&["spec", "b"])).line, 5);
        assert_eq!(doc.at(2, &path(&["kind"])).line, 9);
        assert_eq!(doc.at(2, &path(&["missing"])).to_string(), "k8s.yaml:9");
    }

    #[test]
    fn garbage_is_reported_with_its_file_and_line() {
        let err = Doc::parse("t.cfn.yaml", "a: 1\nb: [\n").unwrap_err();
        assert_eq!(err.file, "t.cfn.yaml");
        assert!(err.message.contains("not YAML"), "{err}");
    }
}
