//! YAML emission: [`to_string`] writes a serializable value as block-style YAML straight into a
//! `String`, byte for byte what `serde_yaml::to_string` (yaml_serde 0.10 on libyaml's emitter)
//! writes, without its event queue and per-scalar allocations. It does not parse (reading stays
//! on `serde_yaml`), and writes one document only, without anchors, flow collections (other than
//! `[]` and `{}`) or line folding (yaml_serde sets an unlimited width), none of which yaml_serde
//! writes.
//!
//! How a string is written:
//!
//! - with a line feed: a literal block (`|-` without a final line break, `|` with one, `|+` with
//!   more, `|2-` when it starts with a space or a break), unless it has a character that must be
//!   escaped, a trailing space or a space before a line break: then double-quoted;
//! - when it would read back as something else (`''`, `null`, `~`, `true`, `0x10`, `1e3`, `.5`,
//!   `+.inf`, and zero-padded digits such as `012`): single-quoted;
//! - otherwise plain, unless libyaml forbids it (an indicator first: `-`, `?` or `:` before a
//!   space, or one of ``#,[]{}&*!|>'"%@` ``; a leading `---` or `...`; `: ` or ` #` inside; a
//!   space at either end; U+2028 or U+2029), then single-quoted;
//! - double-quoted, with escapes (`\t`, `\x7F`, `\N`, `\uFEFF`, `\L`), whenever it has a
//!   character outside libyaml's printable set (controls but the line feed, DEL, C1 controls,
//!   U+FEFF, U+FFFE, U+FFFF), or it may not be single-quoted (a space next to a line break).
//!
//! Numbers are written as they are, floats as ryu writes them (`1.0`, `1e16`, `1.5e-7`, `.inf`,
//! `-.inf`, `.nan`); unit and `None` as `null`; a `char` always single-quoted; a unit variant as
//! its name, other variants as a `!Variant` tag on their content. A key longer than 128 bytes
//! (with its tag), a key with a line break or a non-empty collection as key is written as
//! `? key` and then `: value`.

mod emitter;
mod scalar;
mod ser;

/// Why a value could not be written as YAML.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `Serialize` implementation failed.
    #[error("{0}")]
    Custom(String),
    /// The value serialized a byte string (`serialize_bytes`), which YAML has no plain form for.
    #[error("serialization and deserialization of bytes in YAML is not implemented")]
    Bytes,
    /// A variant whose content is itself a non-unit variant: both would need the one tag.
    #[error("serializing nested enums in YAML is not supported yet")]
    NestedEnum,
    /// The value serialized an end that does not match its start, or a key without a value.
    #[error("unbalanced serialization: a collection ended that was not open, or a key has no value")]
    Unbalanced,
    /// The value serialized a second root node.
    #[error("a value serialized more than one YAML document")]
    SecondDocument,
}

impl serde::ser::Error for Error {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        Self::Custom(message.to_string())
    }
}

/// What to write besides what yaml_serde writes. The default is exactly yaml_serde.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Single-quote every scalar that would be a plain `yyyy-mm-dd` (`Version: '2012-10-17'`,
    /// `- '1999-01-01'`): YAML 1.2 reads them as strings, but YAML 1.1 readers (PyYAML and the
    /// tools built on it) read dates. Text inside literal blocks is content, never touched.
    pub quote_dates: bool,
}

/// Writes `value` as one YAML document, byte-identical to `serde_yaml::to_string`.
///
/// ```
/// let value = serde_json::json!({ "name": "acme", "ports": [80, 443], "on": "true" });
/// assert_eq!(tenancy::yaml::to_string(&value).unwrap(), "name: acme\non: 'true'\nports:\n- 80\n- 443\n");
/// ```
pub fn to_string<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    to_string_with(value, Options::default())
}

/// [`to_string`] with [`Options`].
///
/// ```
/// use tenancy::yaml::{Options, to_string_with};
/// let value = serde_json::json!({ "Version": "2012-10-17" });
/// assert_eq!(to_string_with(&value, Options { quote_dates: true }).unwrap(), "Version: '2012-10-17'\n");
/// ```
pub fn to_string_with<T: serde::Serialize + ?Sized>(value: &T, options: Options) -> Result<String, Error> {
    let mut serializer = ser::Serializer::new(options);
    value.serialize(&mut serializer)?;
    Ok(serializer.into_string())
}
