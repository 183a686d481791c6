//! The `serde::Serializer` that feeds the emitter. It maps serde's data model onto YAML the way
//! yaml_serde does: `null` for unit and `None`, plain bools and numbers (floats as ryu writes
//! them, `.inf`, `.nan`), strings in the style yaml_serde asks for, unit variants as their name,
//! and the other variants as a `!Variant` tag on their content. A one-entry map whose key is a
//! tag (`!Tag`, written by `collect_str` in two pieces, as yaml_serde's own `TaggedValue` does)
//! becomes that tag on its value.

use std::fmt::{self, Display, Write as _};
use std::mem;

use serde::ser::{self, Serialize};

use super::emitter::{Emitter, Kind};
use super::scalar::{self, Requested};
use super::{Error, Options};

pub(super) struct Serializer {
    emitter: Emitter,
    state: State,
}

/// yaml_serde's bookkeeping for enum tags.
#[derive(Debug)]
enum State {
    Nothing,
    /// A one-entry map has started but not been written: its key may turn out to be a tag.
    CheckForTag,
    /// A one-entry map that already carries a tag has started; a tag key would nest enums.
    CheckForDuplicateTag,
    /// The next node carries this tag.
    FoundTag(String),
    /// A one-entry map's key was a tag and its value has been written with it.
    AlreadyTagged,
}

impl Serializer {
    pub(super) fn new(options: Options) -> Self {
        Self { emitter: Emitter::new(options), state: State::Nothing }
    }

    pub(super) fn into_string(self) -> String {
        self.emitter.into_string()
    }

    fn scalar(&mut self, text: &str, requested: Requested) -> Result<(), Error> {
        self.flush_mapping_start()?;
        let tag = self.take_tag();
        self.emitter.scalar(tag.as_deref(), text, requested)
    }

    fn start(&mut self, kind: Kind) -> Result<(), Error> {
        self.flush_mapping_start()?;
        let tag = self.take_tag();
        self.emitter.start(kind, tag)
    }

    fn take_tag(&mut self) -> Option<String> {
        if !matches!(self.state, State::FoundTag(_)) {
            return None;
        }
        let State::FoundTag(tag) = mem::replace(&mut self.state, State::Nothing) else {
            unreachable!("the state was checked above")
        };
        // libyaml reads the tag as a C string.
        let tag = tag.split('\0').next().unwrap_or_default();
        Some(if tag.starts_with('!') { tag.to_owned() } else { format!("!{tag}") })
    }

    /// Writes the start of a one-entry map held back by [`State::CheckForTag`]: its key is not
    /// a tag after all.
    fn flush_mapping_start(&mut self) -> Result<(), Error> {
        match self.state {
            State::CheckForTag => {
                self.state = State::Nothing;
                self.emitter.start(Kind::Mapping, None)
            }
            State::CheckForDuplicateTag => {
                self.state = State::Nothing;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn tag_next(&mut self, variant: &str) -> Result<(), Error> {
        if let State::FoundTag(_) = self.state {
            return Err(Error::NestedEnum);
        }
        self.state = State::FoundTag(variant.to_owned());
        Ok(())
    }

    fn display(&mut self, value: impl Display) -> Result<(), Error> {
        let mut text = SmallText::default();
        match write!(text, "{value}") {
            Ok(()) => self.scalar(text.as_str(), Requested::Any),
            Err(fmt::Error) => self.scalar(&value.to_string(), Requested::Any),
        }
    }

    fn float(&mut self, special: Option<&str>, format: impl FnOnce(&mut String)) -> Result<(), Error> {
        match special {
            Some(text) => self.scalar(text, Requested::Any),
            None => {
                let mut text = String::new();
                format(&mut text);
                self.scalar(&text, Requested::Any)
            }
        }
    }
}

/// `.inf`, `-.inf` or `.nan` for the floats ryu does not write.
fn non_finite(value: f64) -> Option<&'static str> {
    if value.is_nan() {
        Some(".nan")
    } else if value.is_infinite() {
        Some(if value > 0.0 { ".inf" } else { "-.inf" })
    } else {
        None
    }
}

/// A stack buffer for integers; `fmt::Error` when the text does not fit.
struct SmallText {
    bytes: [u8; 48],
    len: usize,
}

impl Default for SmallText {
    fn default() -> Self {
        Self { bytes: [0; 48], len: 0 }
    }
}

impl SmallText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("only whole strs are written")
    }
}

impl fmt::Write for SmallText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The text of a `Display` value, or the tag it names when it writes `!` and then the rest in
/// exactly two pieces (how yaml_serde recognises a tag key).
enum MaybeTag {
    Tag(String),
    Text(String),
}

fn check_for_tag(value: &(impl Display + ?Sized)) -> MaybeTag {
    #[derive(Default)]
    enum Pieces {
        #[default]
        None,
        Bang,
        Tag(String),
        Text(String),
    }
    impl fmt::Write for Pieces {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            if s.is_empty() {
                return Ok(());
            }
            *self = match mem::take(self) {
                Pieces::None if s == "!" => Pieces::Bang,
                Pieces::None => Pieces::Text(s.to_owned()),
                Pieces::Bang => Pieces::Tag(s.to_owned()),
                Pieces::Tag(mut text) | Pieces::Text(mut text) => {
                    text.push_str(s);
                    Pieces::Text(text)
                }
            };
            Ok(())
        }
    }
    let mut pieces = Pieces::default();
    write!(pieces, "{value}").expect("a Display implementation failed");
    match pieces {
        Pieces::None => MaybeTag::Text(String::new()),
        Pieces::Bang => MaybeTag::Text("!".to_owned()),
        Pieces::Tag(tag) => MaybeTag::Tag(tag),
        Pieces::Text(text) => MaybeTag::Text(text),
    }
}

impl ser::Serializer for &mut Serializer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.scalar(if v { "true" } else { "false" }, Requested::Any)
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.float(non_finite(f64::from(v)), |out| scalar::format_f32(v, out))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.float(non_finite(v), |out| scalar::format_f64(v, out))
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.scalar(v.encode_utf8(&mut [0; 4]), Requested::SingleQuoted)
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.scalar(v, Requested::String)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(Error::Bytes)
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.scalar("null", Requested::Any)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.tag_next(variant)?;
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Error> {
        self.start(Kind::Sequence)?;
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, Error> {
        self.start(Kind::Sequence)?;
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Error> {
        self.start(Kind::Sequence)?;
        Ok(self)
    }

    fn serialize_tuple_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> Result<Self, Error> {
        self.tag_next(variant)?;
        self.start(Kind::Sequence)?;
        Ok(self)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self, Error> {
        if len == Some(1) {
            // Hold the start back: the key may be a tag for the value instead.
            if let State::FoundTag(_) = self.state {
                self.start(Kind::Mapping)?;
                self.state = State::CheckForDuplicateTag;
            } else {
                self.state = State::CheckForTag;
            }
        } else {
            self.start(Kind::Mapping)?;
        }
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Error> {
        self.start(Kind::Mapping)?;
        Ok(self)
    }

    fn serialize_struct_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> Result<Self, Error> {
        self.tag_next(variant)?;
        self.start(Kind::Mapping)?;
        Ok(self)
    }

    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        let text = match self.state {
            State::CheckForTag | State::CheckForDuplicateTag => match check_for_tag(value) {
                MaybeTag::Text(text) => text,
                MaybeTag::Tag(_) if matches!(self.state, State::CheckForDuplicateTag) => {
                    return Err(Error::NestedEnum);
                }
                MaybeTag::Tag(tag) => {
                    self.state = State::FoundTag(tag);
                    return Ok(());
                }
            },
            _ => value.to_string(),
        };
        self.serialize_str(&text)
    }
}

impl ser::SerializeSeq for &mut Serializer {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), Error> {
        self.emitter.end(Kind::Sequence)
    }
}

impl ser::SerializeTuple for &mut Serializer {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), Error> {
        self.emitter.end(Kind::Sequence)
    }
}

impl ser::SerializeTupleStruct for &mut Serializer {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), Error> {
        self.emitter.end(Kind::Sequence)
    }
}

impl ser::SerializeTupleVariant for &mut Serializer {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), Error> {
        self.emitter.end(Kind::Sequence)
    }
}

impl ser::SerializeMap for &mut Serializer {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.flush_mapping_start()?;
        key.serialize(&mut **self)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), Error> {
        key.serialize(&mut **self)?;
        let tagged = matches!(self.state, State::FoundTag(_));
        value.serialize(&mut **self)?;
        if tagged {
            self.state = State::AlreadyTagged;
        }
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        match mem::replace(&mut self.state, State::Nothing) {
            // The value was written with the key as its tag: there is no mapping to end.
            State::AlreadyTagged => Ok(()),
            // A one-entry map with no entry after all.
            State::CheckForTag => {
                self.emitter.start(Kind::Mapping, None)?;
                self.emitter.end(Kind::Mapping)
            }
            _ => self.emitter.end(Kind::Mapping),
        }
    }
}

impl ser::SerializeStruct for &mut Serializer {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        ser::Serializer::serialize_str(&mut **self, key)?;
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), Error> {
        self.emitter.end(Kind::Mapping)
    }
}

impl ser::SerializeStructVariant for &mut Serializer {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        ser::Serializer::serialize_str(&mut **self, key)?;
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), Error> {
        self.emitter.end(Kind::Mapping)
    }
}
