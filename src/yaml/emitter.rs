//! The layout half of the writer: block collections, keys and values, indentation, tags, and the
//! four scalar styles, written the way libyaml's emitter writes them with yaml_serde's settings
//! (indent 2, unlimited width, unicode, one implicit document). It takes the events of one
//! document (scalar, collection start and end) and writes text as it goes; a collection's start
//! waits for the next event only to learn whether the collection is empty (`[]`, `{}`).
//!
//! Column, `whitespace` and `indention` track what libyaml tracks, and the writers make the same
//! decisions from them, so the bytes match; the folding and flow paths that yaml_serde never
//! reaches are left out.

use std::fmt::Write as _;

use super::scalar::{Analysis, Requested, Style, is_break, is_printable};
use super::{Error, Options};

/// libyaml writes keys longer than this (with their tag) as `? key`.
const SIMPLE_KEY_MAX: usize = 128;
/// yaml_serde keeps libyaml's default indentation.
const INDENT: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Sequence,
    Mapping,
}

/// An open block collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Sequence,
    Mapping(Next),
}

/// What a block mapping expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Key,
    /// The value of a key written as `key:`.
    SimpleValue,
    /// The value of a key written as `? key`.
    Value,
}

/// What a node looks like to the mapping that may take it as a key.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Scalar { multiline: bool, bytes: usize },
    EmptyCollection,
    BlockCollection,
}

/// A collection start whose next event is not known yet.
#[derive(Debug)]
struct Pending {
    kind: Kind,
    tag: Option<String>,
}

#[derive(Debug)]
pub(super) struct Emitter {
    out: String,
    /// In characters, as libyaml counts.
    column: usize,
    /// The last thing written was whitespace (so an indicator needs no space before it).
    whitespace: bool,
    /// Only indentation and indicators such as `- ` are on the current line so far.
    indention: bool,
    /// `None` before the root node (libyaml's -1).
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    frames: Vec<Frame>,
    pending: Option<Pending>,
    /// The node being written is a mapping's key or value.
    mapping_context: bool,
    /// The node being written is a key on its own line (`key: value`).
    simple_key_context: bool,
    /// The document's root node is complete.
    finished: bool,
    /// The node being written follows a mapping's `:`.
    after_colon: bool,
    quote_dates: bool,
}

impl Emitter {
    pub(super) fn new(options: Options) -> Self {
        Self {
            out: String::with_capacity(1024),
            column: 0,
            whitespace: true,
            indention: true,
            indent: None,
            indents: Vec::new(),
            frames: Vec::new(),
            pending: None,
            mapping_context: false,
            simple_key_context: false,
            finished: false,
            after_colon: false,
            quote_dates: options.quote_dates,
        }
    }

    pub(super) fn into_string(self) -> String {
        self.out
    }

    pub(super) fn scalar(&mut self, tag: Option<&str>, text: &str, requested: Requested) -> Result<(), Error> {
        self.open_pending()?;
        let analysis = Analysis::of(text);
        let shape = Shape::Scalar { multiline: analysis.multiline, bytes: text.len() };
        self.begin_node(shape, tag.map_or(0, str::len))?;
        let mut style = analysis.style(text, requested, self.simple_key_context);
        if self.quote_dates && tag.is_none() && style == Style::Plain && is_date(text.as_bytes()) {
            style = Style::SingleQuoted;
        }
        self.write_tag(tag);
        self.increase_indent(true, false);
        match style {
            Style::Plain => self.write_plain(text, analysis.chars),
            Style::SingleQuoted => self.write_single_quoted(text),
            Style::DoubleQuoted => self.write_double_quoted(text),
            Style::Literal => self.write_literal(text),
        }
        self.indent = self.indents.pop().flatten();
        self.node_done();
        Ok(())
    }

    pub(super) fn start(&mut self, kind: Kind, tag: Option<String>) -> Result<(), Error> {
        self.open_pending()?;
        self.pending = Some(Pending { kind, tag });
        Ok(())
    }

    pub(super) fn end(&mut self, kind: Kind) -> Result<(), Error> {
        if let Some(pending) = self.pending.take() {
            if pending.kind != kind {
                return Err(Error::Unbalanced);
            }
            let tag = pending.tag.as_deref();
            self.begin_node(Shape::EmptyCollection, tag.map_or(0, str::len))?;
            self.write_tag(tag);
            let (open, close) = match kind {
                Kind::Sequence => ("[", "]"),
                Kind::Mapping => ("{", "}"),
            };
            self.write_indicator(open, true, true, false);
            self.write_indicator(close, false, false, false);
        } else {
            match (self.frames.pop(), kind) {
                (Some(Frame::Sequence), Kind::Sequence) | (Some(Frame::Mapping(Next::Key)), Kind::Mapping) => {}
                _ => return Err(Error::Unbalanced),
            }
            self.indent = self.indents.pop().flatten();
        }
        self.node_done();
        Ok(())
    }

    /// The pending collection has content: write it as a block.
    fn open_pending(&mut self) -> Result<(), Error> {
        let Some(pending) = self.pending.take() else { return Ok(()) };
        self.begin_node(Shape::BlockCollection, 0)?;
        self.write_tag(pending.tag.as_deref());
        match pending.kind {
            Kind::Sequence => {
                // A sequence that is a mapping's value starts on the key's column (`key:\n- a`).
                let indentless = self.mapping_context && !self.indention;
                self.increase_indent(false, indentless);
                self.frames.push(Frame::Sequence);
            }
            Kind::Mapping => {
                self.increase_indent(false, false);
                self.frames.push(Frame::Mapping(Next::Key));
            }
        }
        Ok(())
    }

    /// Writes what comes before a node in its parent (`- `, the key decision, `: `) and sets
    /// the context the node is written in.
    fn begin_node(&mut self, shape: Shape, tag_bytes: usize) -> Result<(), Error> {
        let (mapping, simple_key, after_colon) = match self.frames.last().copied() {
            None if self.finished => return Err(Error::SecondDocument),
            None => (false, false, false),
            Some(Frame::Sequence) => {
                self.write_indent();
                self.write_indicator("-", true, false, true);
                (false, false, false)
            }
            Some(Frame::Mapping(Next::Key)) => {
                self.write_indent();
                let simple = match shape {
                    Shape::Scalar { multiline, bytes } => !multiline && tag_bytes + bytes <= SIMPLE_KEY_MAX,
                    Shape::EmptyCollection => tag_bytes <= SIMPLE_KEY_MAX,
                    Shape::BlockCollection => false,
                };
                if !simple {
                    self.write_indicator("?", true, false, true);
                }
                self.set_next(if simple { Next::SimpleValue } else { Next::Value });
                (true, simple, false)
            }
            Some(Frame::Mapping(Next::SimpleValue)) => {
                self.write_indicator(":", false, false, false);
                self.set_next(Next::Key);
                (true, false, true)
            }
            Some(Frame::Mapping(Next::Value)) => {
                self.write_indent();
                self.write_indicator(":", true, false, true);
                self.set_next(Next::Key);
                (true, false, true)
            }
        };
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        self.after_colon = after_colon;
        Ok(())
    }

    fn set_next(&mut self, next: Next) {
        if let Some(Frame::Mapping(current)) = self.frames.last_mut() {
            *current = next;
        }
    }

    /// After the root node, the document ends with a line break.
    fn node_done(&mut self) {
        if self.frames.is_empty() && self.pending.is_none() {
            self.write_indent();
            self.finished = true;
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None if flow => Some(INDENT),
            None => Some(0),
            Some(indent) if indentless => Some(indent),
            Some(indent) => Some(indent + INDENT),
        };
    }

    /// Starts a new line at the current indentation, unless the line so far is only
    /// indentation that ends there (after `- `, the next `- ` or key shares the line).
    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        if self.column < indent {
            self.out.extend(std::iter::repeat_n(' ', indent - self.column));
            self.column = indent;
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, indicator: &str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.out.push_str(indicator);
        self.column += indicator.len();
        self.whitespace = is_whitespace;
        self.indention &= is_indention;
    }

    /// yaml_serde's tags are `!` and the variant name: the `!` handle and the name
    /// percent-encoded, or the verbatim `!<...>` form when nothing follows the `!`.
    fn write_tag(&mut self, tag: Option<&str>) {
        let Some(tag) = tag else { return };
        match tag.strip_prefix('!') {
            Some(suffix) if !suffix.is_empty() => {
                if !self.whitespace {
                    self.put(' ');
                }
                self.put('!');
                self.write_tag_content(suffix);
            }
            _ => {
                self.write_indicator("!<", true, false, false);
                self.write_tag_content(tag);
                self.write_indicator(">", false, false, false);
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_tag_content(&mut self, text: &str) {
        for &byte in text.as_bytes() {
            if byte.is_ascii_alphanumeric() || b"-;/?:@&=+$,_.~*'()[]".contains(&byte) {
                self.put(char::from(byte));
            } else {
                write!(self.out, "%{byte:02X}").expect("writing to a String");
                self.column += 3;
            }
        }
    }

    fn write_plain(&mut self, text: &str, chars: usize) {
        if !self.whitespace && !text.is_empty() {
            self.put(' ');
        }
        self.out.push_str(text);
        self.column += chars;
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, text: &str) {
        self.write_indicator("'", true, false, false);
        let mut breaks = false;
        for c in text.chars() {
            if c == ' ' {
                self.put(c);
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
        if breaks {
            self.write_indent();
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, text: &str) {
        self.write_indicator("\"", true, false, false);
        for c in text.chars() {
            if is_printable(c) && !is_break(c) && c != '"' && c != '\\' {
                self.put(c);
                continue;
            }
            self.put('\\');
            let short = match c {
                '\0' => '0',
                '\u{7}' => 'a',
                '\u{8}' => 'b',
                '\t' => 't',
                '\n' => 'n',
                '\u{B}' => 'v',
                '\u{C}' => 'f',
                '\r' => 'r',
                '\u{1B}' => 'e',
                '"' => '"',
                '\\' => '\\',
                '\u{85}' => 'N',
                '\u{2028}' => 'L',
                '\u{2029}' => 'P',
                _ => {
                    let code = u32::from(c);
                    let (letter, width) = match code {
                        0..=0xFF => ('x', 2),
                        0x100..=0xFFFF => ('u', 4),
                        _ => ('U', 8),
                    };
                    self.put(letter);
                    write!(self.out, "{code:0width$X}").expect("writing to a String");
                    self.column += width;
                    continue;
                }
            };
            self.put(short);
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, text: &str) {
        self.write_indicator("|", true, false, false);
        // An indentation hint when the first line starts with a space or is empty.
        if text.starts_with(|c: char| c == ' ' || is_break(c)) {
            self.write_indicator("2", false, false, false);
        }
        // Chomping: `-` strips the missing final line break, none keeps one, `+` keeps several.
        let mut from_end = text.chars().rev();
        let chomp = match (from_end.next(), from_end.next()) {
            (Some(last), _) if !is_break(last) => Some("-"),
            (None, _) => Some("-"),
            (Some(_), None) => Some("+"),
            (Some(_), Some(before)) if is_break(before) => Some("+"),
            (Some(_), Some(_)) => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in text.chars() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// A line break from the text: `\n` as the output's line break, the others as they are.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }
}

/// `yyyy-mm-dd`.
fn is_date(text: &[u8]) -> bool {
    text.len() == 10
        && text.iter().enumerate().all(|(i, &b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() })
}
