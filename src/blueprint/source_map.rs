//! Where each value of a YAML document is: a map from field path to line and column.
//!
//! yaml_serde gives values without positions, so the positions come from a second, event-level
//! pass with yaml-rust2, whose events carry markers. Only structure is read here (keys, indexes,
//! where nodes start); aliases are not expanded, so this pass stays linear in the input.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::model::FieldPath;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// The line, counting from 1.
    pub line: usize,
    /// The column, counting from 1.
    pub column: usize,
}

impl Position {
    /// Line 1, column 1: where problems about the whole file (too big, not UTF-8, empty) are placed.
    pub const START: Position = Position { line: 1, column: 1 };
}

/// Positions of the keys and values of one document.
#[derive(Debug, Default)]
pub struct SourceMap {
    values: HashMap<FieldPath, Position>,
    keys: HashMap<FieldPath, Position>,
}

impl SourceMap {
    /// Maps `text`. A document yaml-rust2 cannot parse maps as far as it got.
    pub fn build(text: &str) -> Self {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        // Errors are yaml_serde's to report; the map keeps what was read before them.
        let _ = parser.load(&mut builder, false);
        builder.map
    }

    /// Where the value at `path` starts, or its nearest mapped ancestor.
    pub fn value(&self, path: &FieldPath) -> Position {
        self.nearest(path, &self.values)
    }

    /// Where the key of the field at `path` is; falls back to its value, then ancestors.
    pub fn key(&self, path: &FieldPath) -> Position {
        self.keys.get(path).copied().unwrap_or_else(|| self.value(path))
    }

    fn nearest(&self, path: &FieldPath, positions: &HashMap<FieldPath, Position>) -> Position {
        let mut at = Some(path.clone());
        while let Some(path) = at {
            if let Some(position) = positions.get(&path) {
                return *position;
            }
            at = path.parent();
        }
        Position::START
    }
}

enum Frame {
    Mapping { path: FieldPath, key: Option<String> },
    Sequence { path: FieldPath, next: usize },
}

#[derive(Default)]
struct Builder {
    map: SourceMap,
    stack: Vec<Frame>,
}

impl Builder {
    /// The path of the node that starts now; `None` when the node is a mapping key.
    fn next_node(&mut self, mark: Marker, key_text: Option<&str>) -> Option<FieldPath> {
        let position = Position { line: mark.line(), column: mark.col() + 1 };
        let path = match self.stack.last_mut() {
            // The document itself is placed at its start, wherever its first node begins.
            None => {
                self.map.values.insert(FieldPath::root(), Position::START);
                return Some(FieldPath::root());
            }
            Some(Frame::Sequence { path, next }) => {
                *next += 1;
                path.index(*next - 1)
            }
            Some(Frame::Mapping { path, key }) => match key.take() {
                Some(key) => path.key(&key),
                None => {
                    // This node is a key: remember it and where it is.
                    let key = key_text.unwrap_or("?").to_owned();
                    let key_path = path.key(&key);
                    self.map.keys.entry(key_path).or_insert(position);
                    if let Some(Frame::Mapping { key: slot, .. }) = self.stack.last_mut() {
                        *slot = Some(key);
                    }
                    return None;
                }
            },
        };
        self.map.values.entry(path.clone()).or_insert(position);
        Some(path)
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(text, ..) => {
                self.next_node(mark, Some(&text));
            }
            Event::Alias(_) => {
                self.next_node(mark, None);
            }
            Event::MappingStart(..) => {
                let path = self.next_node(mark, None).unwrap_or_default();
                self.stack.push(Frame::Mapping { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.next_node(mark, None).unwrap_or_default();
                self.stack.push(Frame::Sequence { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(path: &[&str]) -> FieldPath {
        path.iter().fold(FieldPath::root(), |at, seg| match seg.parse::<usize>() {
            Ok(i) => at.index(i),
            Err(_) => at.key(seg),
        })
    }

    #[test]
    fn maps_keys_and_values() {
        let text = "platform:\n  name: saas\ntenants:\n  - id: acme\n    tier: gold\n  - {id: b, tier: x}\n";
        let map = SourceMap::build(text);
        assert_eq!(map.value(&p(&["platform", "name"])), Position { line: 2, column: 9 });
        assert_eq!(map.key(&p(&["platform", "name"])), Position { line: 2, column: 3 });
        assert_eq!(map.value(&p(&["tenants", "0", "tier"])), Position { line: 5, column: 11 });
        assert_eq!(map.value(&p(&["tenants", "1", "tier"])), Position { line: 6, column: 19 });
        // Unknown paths fall back to their nearest ancestor.
        assert_eq!(map.value(&p(&["tenants", "1", "missing"])), Position { line: 6, column: 5 });
        assert_eq!(map.value(&p(&["nothing"])), Position::START);
    }
}
