//! `tenancy::yaml` against yaml_serde: table tests that name the exact text (and check yaml_serde
//! writes it too), and a differential property test over arbitrary JSON values.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use tenancy::yaml::{Error, to_string};

/// `value` is written as `expected`, by us and by yaml_serde.
#[track_caller]
fn check(value: impl Serialize, expected: &str) {
    let ours = to_string(&value).expect("serializes");
    let theirs = serde_yaml::to_string(&value).expect("yaml_serde serializes");
    assert_eq!(theirs, expected, "yaml_serde writes otherwise");
    assert_eq!(ours, expected);
}

/// A string as a mapping value, written as `k: <expected>`.
#[track_caller]
fn value(text: &str, expected: &str) {
    check(json!({ "k": text }), &format!("k: {expected}\n"));
}

#[test]
fn plain_strings() {
    value("acme", "acme");
    value("AWS::IAM::Role", "AWS::IAM::Role");
    value("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/*");
    value("2012-10-17", "2012-10-17");
    value("a:b", "a:b");
    value("a#b", "a#b");
    value("it's", "it's");
    value("-a", "-a");
    value("?a", "?a");
    value(":a", ":a");
    value("--", "--");
    value("+", "+");
    value("é ü 😀", "é ü 😀");
    value("yes", "yes");
    value("nul", "nul");
    value("1_000", "1_000");
    value("1.2.3", "1.2.3");
    value("0X10", "0X10");
    value("inf", "inf");
    value("NaN", "NaN");
    value("1e400", "1e400");
    value("0x", "0x");
    value("0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
}

#[test]
fn strings_that_read_as_other_types_are_single_quoted() {
    value("", "''");
    for keyword in ["null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE"] {
        value(keyword, &format!("'{keyword}'"));
    }
    for number in [
        "0",
        "12",
        "-3",
        "+4",
        "012",
        "-012",
        "+012",
        "00",
        "0x10",
        "0o17",
        "0b101",
        "-0x10",
        "+0x10",
        "1.0",
        ".5",
        "5.",
        "-1.5",
        "1e3",
        "1E-3",
        "+.inf",
        ".inf",
        ".Inf",
        "-.INF",
        ".nan",
        ".NaN",
        "99999999999999999999999999999999999999999",
        "340282366920938463463374607431768211455",
    ] {
        value(number, &format!("'{number}'"));
    }
}

#[test]
fn indicators_and_spaces_need_single_quotes() {
    for text in ["- a", "? a", ": a", "a: b", "a #b", "a:", " a", "a ", "---", "--- a", "...", "...a", "-", "?", ":"] {
        value(text, &format!("'{text}'"));
    }
    for first in ['#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '"', '%', '@', '`'] {
        value(&format!("{first}a"), &format!("'{first}a'"));
    }
    value("'quoted'", "'''quoted'''");
    value("a 'b' #c", "'a ''b'' #c'");
}

#[test]
fn unprintable_characters_are_escaped_in_double_quotes() {
    value("a\tb", r#""a\tb""#);
    value("\0\u{7}\u{8}\u{b}\u{c}\r\u{1b}", r#""\0\a\b\v\f\r\e""#);
    value("\u{7f}\u{80}\u{9f}", r#""\x7F\x80\x9F""#);
    value("\u{85}", r#""\N""#);
    value("\u{feff}x", r#""\uFEFFx""#);
    value("\u{fffe}", r#""\uFFFE""#);
    value("'\"\\\t", r#""'\"\\\t""#);
    value("\u{1}", r#""\x01""#);
    value("\u{a0}", "\u{a0}");
}

#[test]
fn unicode_line_separators_are_breaks() {
    value("a\u{2028}b", "'a\u{2028}  b'");
    // A key with a line break is never simple, so it is not double-quoted either.
    check(json!({ "a\u{2029}b": 1 }), "? 'a\u{2029}  b'\n: 1\n");
}

#[test]
fn long_strings_are_not_folded() {
    let long = "word ".repeat(40) + "end";
    value(&long, &long);
    let quoted = format!("- {long}");
    value(&quoted, &format!("'{quoted}'"));
    let escaped = format!("{long}\t");
    value(&escaped, &format!("\"{}\\t\"", long));
}

#[test]
fn multi_line_strings_are_literal_blocks() {
    value("a\nb", "|-\n  a\n  b");
    value("a\n", "|\n  a");
    value("a\n\n", "|+\n  a\n");
    value("\n", "|2+\n");
    value("\na", "|2-\n\n  a");
    value(" a\nb", "|2-\n   a\n  b");
    value("a\n b", "|-\n  a\n   b");
    value("a\n\nb\n", "|\n  a\n\n  b");
    value("a\u{2028}\nb", "|-\n  a\u{2028}\n  b");
    check("a\nb", "|-\n  a\n  b\n");
    check(json!(["a\nb"]), "- |-\n  a\n  b\n");
    check(json!({ "k": { "j": "a\nb\n" } }), "k:\n  j: |\n    a\n    b\n");
}

#[test]
fn multi_line_strings_that_cannot_be_blocks_are_double_quoted() {
    value("a \nb", r#""a \nb""#);
    value("a\nb ", r#""a\nb ""#);
    value("a\n\tb", r#""a\n\tb""#);
    value("a\r\nb", r#""a\r\nb""#);
}

#[test]
fn collections() {
    check(json!({}), "{}\n");
    check(json!([]), "[]\n");
    check(json!({ "a": [], "b": {}, "c": null }), "a: []\nb: {}\nc: null\n");
    check(json!({ "a": [1, 2] }), "a:\n- 1\n- 2\n");
    check(json!({ "a": { "b": { "c": 1 } } }), "a:\n  b:\n    c: 1\n");
    check(json!([[1, 2], [3], [[]], {}]), "- - 1\n  - 2\n- - 3\n- - []\n- {}\n");
    check(json!([{ "a": 1, "b": [true, false] }]), "- a: 1\n  b:\n  - true\n  - false\n");
    check(json!({ "a": [{ "b": [{ "c": "d" }] }] }), "a:\n- b:\n  - c: d\n");
}

#[test]
fn numbers() {
    check(
        json!([0, -1, 18446744073709551615u64, -9223372036854775808i64]),
        "- 0\n- -1\n- 18446744073709551615\n- -9223372036854775808\n",
    );
    check(
        (i128::MIN, u128::MAX),
        "- -170141183460469231731687303715884105728\n- 340282366920938463463374607431768211455\n",
    );
    check(
        [1.0, 0.1, -0.0, 1e15, 1e16, 1e20, 1.5e-7, 0.0001, 0.00001, 1e-6, 123.456, f64::MAX, f64::MIN_POSITIVE],
        "- 1.0\n- 0.1\n- -0.0\n- 1000000000000000.0\n- 1e16\n- 1e20\n- 1.5e-7\n- 0.0001\n- 0.00001\n- 1e-6\n- 123.456\n- 1.7976931348623157e308\n- 2.2250738585072014e-308\n",
    );
    check([f64::INFINITY, f64::NEG_INFINITY, f64::NAN], "- .inf\n- -.inf\n- .nan\n");
    check(
        [1.0f32, 0.1, 1e12, 1e13, 1e-5, 1e-6, 3.4028235e38],
        "- 1.0\n- 0.1\n- 1000000000000.0\n- 1e13\n- 0.00001\n- 0.000001\n- 3.4028235e38\n",
    );
}

#[test]
fn float_ties_round_to_the_even_digit_as_ryu_does() {
    // Halfway between two shortest candidates: Rust's `{:e}` rounds up, ryu to even.
    check(-(2440567.0f32 + 0.25), "-2440567.2\n");
    check(2440567.0f32 + 0.75, "2440567.8\n");
    check((1u64 << 50) as f64 + 0.25, "1125899906842624.2\n");
    for i in 0..20_000u32 {
        let f = (2_097_152 + i * 97) as f32 + 0.25 * (i % 4) as f32;
        let g = (1u64 << 50) as f64 + f64::from(i) * 7919.0 + 0.25 * f64::from(i % 4);
        assert_eq!(to_string(&f).unwrap(), serde_yaml::to_string(&f).unwrap(), "{f:e}");
        assert_eq!(to_string(&g).unwrap(), serde_yaml::to_string(&g).unwrap(), "{g:e}");
    }
}

#[test]
fn keys() {
    check(json!({ "true": 1, "": 2, "a b": 3, "a: b": 4 }), "'': 2\na b: 3\n'a: b': 4\n'true': 1\n");
    let long = "k".repeat(129);
    check(BTreeMap::from([(long.as_str(), 1)]), &format!("? {long}\n: 1\n"));
    let just_fits = "k".repeat(128);
    check(BTreeMap::from([(just_fits.as_str(), 1)]), &format!("{just_fits}: 1\n"));
    check(json!({ "a\nb": 1 }), "? |-\n  a\n  b\n: 1\n");
    check(json!({ "a\nb": { "c": [1] } }), "? |-\n  a\n  b\n: c:\n  - 1\n");
    check(BTreeMap::from([(1, "a"), (-2, "b")]), "-2: b\n1: a\n");
    check(BTreeMap::from([(true, 1)]), "true: 1\n");
    check(BTreeMap::from([(None::<u8>, 1)]), "null: 1\n");
    check(BTreeMap::from([('c', 1)]), "'c': 1\n");
    check(BTreeMap::from([(Vec::<u8>::new(), 1)]), "[]: 1\n");
    check(BTreeMap::from([(vec![1, 2], "x")]), "? - 1\n  - 2\n: x\n");
    check(BTreeMap::from([(BTreeMap::from([(1, 2)]), [3]), (BTreeMap::new(), [4])]), "{}:\n- 4\n? 1: 2\n: - 3\n");
}

fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10 && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

/// Every string in `value`, keys included.
fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

#[test]
fn dates_are_quoted_wherever_they_would_be_plain() {
    let quoted = |value: serde_json::Value, expected: &str| {
        let text = tenancy::yaml::to_string_with(&value, tenancy::yaml::Options { quote_dates: true }).unwrap();
        assert_eq!(text, expected);
        let back: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, value, "quoting changed the value");
    };
    quoted(json!({ "AWSTemplateFormatVersion": "2010-09-09" }), "AWSTemplateFormatVersion: '2010-09-09'\n");
    quoted(
        json!({ "A": { "Version": "2012-10-17", "Name": "2012-10-17x" } }),
        "A:\n  Name: 2012-10-17x\n  Version: '2012-10-17'\n",
    );
    quoted(json!({ "List": [{ "x": "1999-01-01" }, "1999-01-01"] }), "List:\n- x: '1999-01-01'\n- '1999-01-01'\n");
    quoted(json!({ "1999-01-01": "a", "b": ["c"] }), "'1999-01-01': a\nb:\n- c\n");
    quoted(json!({ "k".repeat(129): "1999-01-01" }), &format!("? {}\n: '1999-01-01'\n", "k".repeat(129)));
    quoted(json!("1999-01-01"), "'1999-01-01'\n");
    quoted(json!({ "k": "1999-1-01" }), "k: 1999-1-01\n");
    // A literal block's text is content: never touched.
    quoted(json!({ "k": "a: 1999-01-01\nb: 1999-01-01" }), "k: |-\n  a: 1999-01-01\n  b: 1999-01-01\n");
    // A tagged scalar is not a plain date either.
    assert_eq!(
        tenancy::yaml::to_string_with(&Shape::Text("1999-01-01".into()), tenancy::yaml::Options { quote_dates: true })
            .unwrap(),
        "!Text 1999-01-01\n"
    );
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
enum Shape {
    Unit,
    Newtype(u8),
    Tuple(u8, u8),
    Struct {
        x: u8,
    },
    Text(String),
    Seq(Vec<u8>),
    Empty(Vec<u8>),
    Nested(Box<Shape>),
    #[serde(rename = "a b/é")]
    Odd(u8),
    #[serde(rename = "")]
    Blank(u8),
}

#[test]
fn enum_variants_are_tags() {
    check(Shape::Unit, "Unit\n");
    check(Shape::Newtype(1), "!Newtype 1\n");
    check(Shape::Tuple(1, 2), "!Tuple\n- 1\n- 2\n");
    check(Shape::Struct { x: 1 }, "!Struct\nx: 1\n");
    check(Shape::Text("true".into()), "!Text 'true'\n");
    check(Shape::Text("a\nb".into()), "!Text |-\n  a\n  b\n");
    check(Shape::Empty(vec![]), "!Empty []\n");
    check(Shape::Odd(1), "!a%20b/%C3%A9 1\n");
    check(Shape::Blank(1), "!<%21> 1\n");
    check(
        json!({ "k": [Shape::Seq(vec![1]), Shape::Struct { x: 2 }, Shape::Newtype(3)] }).as_object().unwrap(),
        "k:\n- Seq:\n  - 1\n- Struct:\n    x: 2\n- Newtype: 3\n",
    );
    check(BTreeMap::from([("k", Shape::Seq(vec![1]))]), "k: !Seq\n- 1\n");
    check(BTreeMap::from([("k", Shape::Struct { x: 1 })]), "k: !Struct\n  x: 1\n");
    check(vec![Shape::Tuple(1, 2), Shape::Newtype(3)], "- !Tuple\n  - 1\n  - 2\n- !Newtype 3\n");
    check(BTreeMap::from([(Shape::Newtype(1), 2), (Shape::Unit, 3)]), "Unit: 3\n!Newtype 1: 2\n");
}

#[test]
fn nested_enums_are_an_error_as_in_yaml_serde() {
    let nested = Shape::Nested(Box::new(Shape::Newtype(1)));
    assert!(serde_yaml::to_string(&nested).is_err());
    assert!(matches!(to_string(&nested), Err(Error::NestedEnum)));
    assert!(matches!(to_string(&Bytes), Err(Error::Bytes)));
}

#[test]
fn a_one_entry_map_as_the_key_of_a_one_entry_map_is_an_error_as_in_yaml_serde() {
    // yaml_serde holds back a one-entry map's start (its key may be a tag); the inner map's
    // start replaces the outer's, and libyaml rejects what follows.
    let value = BTreeMap::from([(BTreeMap::from([(1, 2)]), 3)]);
    assert!(serde_yaml::to_string(&value).is_err());
    assert!(to_string(&value).is_err());
}

struct Bytes;

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(b"x")
    }
}

#[test]
fn unit_and_options_are_null() {
    #[derive(Serialize)]
    struct Unit;
    #[derive(Serialize)]
    struct Fields {
        a: Option<u8>,
        b: (),
        c: Unit,
        d: Option<&'static str>,
    }
    check(Fields { a: None, b: (), c: Unit, d: Some("x") }, "a: null\nb: null\nc: null\nd: x\n");
    check((), "null\n");
    check('x', "'x'\n");
    check('\t', "\"\\t\"\n");
}

mod differential {
    use proptest::collection::{btree_map, vec};
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::{is_date, strings, to_string};
    use tenancy::yaml::{Options, to_string_with};

    /// Pieces that exercise yaml_serde's and libyaml's choices: keywords, numbers, indicators,
    /// spaces and breaks, quotes, escapes, unicode.
    const PIECES: &[&str] = &[
        "true",
        "False",
        "null",
        "NULL",
        "~",
        "yes",
        "1",
        "0",
        "-1",
        "+1",
        "012",
        "1e3",
        "1E-3",
        "0x10",
        "0o17",
        "0b1",
        ".5",
        "5.",
        "1.0",
        ".inf",
        "-.inf",
        ".nan",
        "inf",
        "NaN",
        "1_000",
        "2012-10-17",
        "-",
        "?",
        ":",
        ",",
        "[",
        "]",
        "{",
        "}",
        "#",
        "&",
        "*",
        "!",
        "|",
        ">",
        "'",
        "\"",
        "%",
        "@",
        "`",
        ".",
        "+",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\t",
        "\r",
        "\r\n",
        ": ",
        " #",
        "# ",
        "- ",
        "? ",
        "---",
        "...",
        "\\",
        "a",
        "word",
        "Ref",
        "é",
        "ü",
        "日本",
        "😀",
        "\u{0}",
        "\u{1}",
        "\u{7}",
        "\u{1b}",
        "\u{7f}",
        "\u{85}",
        "\u{a0}",
        "\u{2028}",
        "\u{2029}",
        "\u{feff}",
        "\u{fffe}",
        "\u{e000}",
        "\u{10ffff}",
        "2012-10-17",
        "k: 2010-09-09",
        "1999-01-01\n",
    ];

    /// Libyaml's emitter folds U+2028 and U+2029 into single-quoted text as line breaks
    /// followed by indentation, which reads back differently; yaml_serde shares the quirk.
    fn round_trips(value: &Value) -> bool {
        match value {
            Value::String(s) => !s.contains(['\u{2028}', '\u{2029}']),
            Value::Array(items) => items.iter().all(round_trips),
            Value::Object(map) => map.iter().all(|(k, v)| !k.contains(['\u{2028}', '\u{2029}']) && round_trips(v)),
            _ => true,
        }
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => vec(prop::sample::select(PIECES), 0..6).prop_map(|pieces| pieces.concat()),
            1 => vec("[a-z]{1,9}", 12..30).prop_map(|words| words.join(" ")),
            1 => (vec("[a-z]{1,9}", 12..30), prop::sample::select(PIECES))
                .prop_map(|(words, piece)| format!("{}{piece}{}", words.join(" "), words.join(" "))),
            1 => "[ -~]{0,24}",
            1 => any::<String>(),
        ]
    }

    fn float() -> impl Strategy<Value = f64> {
        prop_oneof![
            prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
            (-1_000_000i64..1_000_000, -20i32..20).prop_map(|(m, e)| m as f64 * 10f64.powi(e)),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            1 => Just(Value::Null),
            1 => any::<bool>().prop_map(Value::from),
            1 => any::<i64>().prop_map(Value::from),
            1 => any::<u64>().prop_map(Value::from),
            1 => float().prop_map(Value::from),
            6 => text().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(Value::Array),
                btree_map(text(), inner, 0..6).prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    proptest! {
        // PROPTEST_CASES raises the count for a longer run.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512)
        ))]

        #[test]
        fn writes_what_yaml_serde_writes(value in value()) {
            let ours = to_string(&value).expect("serializes");
            let theirs = serde_yaml::to_string(&value).expect("yaml_serde serializes");
            prop_assert_eq!(&ours, &theirs);
            if round_trips(&value) {
                let back: Value = serde_yaml::from_str(&ours).expect("reads back");
                prop_assert_eq!(back, value);
            }
        }

        #[test]
        fn strings_anywhere_are_written_as_yaml_serde_writes_them(s in text(), key in text()) {
            for value in [
                Value::String(s.clone()),
                serde_json::json!([s.clone(), [s.clone()]]),
                serde_json::json!({ key.clone(): s.clone(), "k": { s.clone(): [key.clone()] } }),
            ] {
                prop_assert_eq!(to_string(&value).expect("serializes"), serde_yaml::to_string(&value).expect("yaml_serde serializes"));
            }
        }

        #[test]
        fn quoting_dates_changes_only_dates_and_never_the_value(value in value()) {
            let ours = to_string_with(&value, Options { quote_dates: true }).expect("serializes");
            let back: serde_json::Value = serde_yaml::from_str(&ours).expect("parses");
            prop_assert_eq!(&back, &value);
            let mut all = Vec::new();
            strings(&value, &mut all);
            if all.iter().any(|s| is_date(s)) {
                for date in all.iter().filter(|s| is_date(s)) {
                    prop_assert!(ours.contains(&format!("'{date}'")), "{date} not quoted in {ours}");
                }
            } else {
                prop_assert_eq!(ours, to_string(&value).expect("serializes"));
            }
        }

        #[test]
        fn floats_are_written_as_ryu_writes_them(f in any::<f64>(), g in any::<f32>()) {
            prop_assert_eq!(to_string(&f).unwrap(), serde_yaml::to_string(&f).unwrap());
            prop_assert_eq!(to_string(&g).unwrap(), serde_yaml::to_string(&g).unwrap());
        }
    }
}
