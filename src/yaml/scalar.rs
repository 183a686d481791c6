//! What a scalar's text allows: the style yaml_serde asks for (from what the text would read
//! back as) and the styles libyaml's emitter then permits (from the characters in it). Pure
//! functions of the text; the writing is in `emitter`.

/// The style asked of the emitter, as yaml_serde asks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Requested {
    /// Plain if the text allows it, else the first quoted style that does: bools, numbers, null.
    Any,
    /// Always quoted: a `char`.
    SingleQuoted,
    /// A string: yaml_serde asks for a literal block when it has a line feed, single quotes when
    /// it would read back as null, a bool, an integer or a float, else for any style.
    String,
}

/// The style the emitter writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// Whether yaml_serde's reader resolves this plain text to something other than a string.
fn reads_as_non_string(text: &str) -> bool {
    match text.as_bytes().first() {
        None => true,
        Some(b'~') => text.len() == 1,
        Some(b'n' | b'N') => matches!(text, "null" | "Null" | "NULL"),
        Some(b't' | b'T') => matches!(text, "true" | "True" | "TRUE"),
        Some(b'f' | b'F') => matches!(text, "false" | "False" | "FALSE"),
        // Every integer, float or zero-padded digit string starts with one of these.
        Some(b'0'..=b'9' | b'+' | b'-' | b'.') => zero_padded_digits(text) || is_integer(text) || is_float(text),
        Some(_) => false,
    }
}

/// `012`, `-007`: YAML 1.2 reads leading zeros followed by digits as a string, but yaml_serde
/// quotes them so that YAML 1.1 readers do not take them for octal.
fn zero_padded_digits(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text).as_bytes();
    digits.len() > 1 && digits[0] == b'0' && digits[1..].iter().all(u8::is_ascii_digit)
}

/// Decimal, `0x`, `0o` and `0b` integers of up to 128 bits, with an optional sign (a `+` only
/// before an unsigned form), as yaml_serde reads them.
fn is_integer(text: &str) -> bool {
    const RADIXES: [(&str, u32); 3] = [("0x", 16), ("0o", 8), ("0b", 2)];
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    for (prefix, radix) in RADIXES {
        if let Some(digits) = unsigned.strip_prefix(prefix)
            && !digits.starts_with(['+', '-'])
            && u128::from_str_radix(digits, radix).is_ok()
        {
            return true;
        }
    }
    if !unsigned.starts_with(['+', '-']) && unsigned.parse::<u128>().is_ok() {
        return true;
    }
    if let Some(rest) = text.strip_prefix('-') {
        for (prefix, radix) in RADIXES {
            if let Some(digits) = rest.strip_prefix(prefix)
                && i128::from_str_radix(&format!("-{digits}"), radix).is_ok()
            {
                return true;
            }
        }
    }
    text.parse::<i128>().is_ok()
}

/// `.inf`, `-.inf`, `.nan` in their three spellings, and any finite float Rust parses.
fn is_float(text: &str) -> bool {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return false,
        Some(rest) => rest,
        None => text,
    };
    matches!(unsigned, ".inf" | ".Inf" | ".INF")
        || matches!(text, "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN")
        || unsigned.parse::<f64>().is_ok_and(f64::is_finite)
}

/// What the characters of a scalar allow, as libyaml's emitter analyses them (block context,
/// unicode output).
#[derive(Debug, Clone, Copy)]
pub(super) struct Analysis {
    /// A line break: `\n`, `\r`, U+0085, U+2028 or U+2029.
    pub multiline: bool,
    pub line_feed: bool,
    pub plain: bool,
    pub single_quoted: bool,
    pub literal: bool,
    /// Length in characters, for the emitter's column.
    pub chars: usize,
}

impl Analysis {
    pub(super) fn of(text: &str) -> Self {
        let bytes = text.as_bytes();
        match bytes.first() {
            None => {
                Self { multiline: false, line_feed: false, plain: true, single_quoted: true, literal: false, chars: 0 }
            }
            // Most text: a word, a name, a path, an ARN: printable ASCII without spaces that
            // starts with a letter or digit and does not end with `:` needs no second look.
            Some(first)
                if first.is_ascii_alphanumeric()
                    && bytes.last() != Some(&b':')
                    && bytes.iter().all(|b| (b'!'..=b'~').contains(b)) =>
            {
                Self {
                    multiline: false,
                    line_feed: false,
                    plain: true,
                    single_quoted: true,
                    literal: true,
                    chars: bytes.len(),
                }
            }
            Some(_) if text.is_ascii() => Self::scan(text, bytes.iter().map(|&b| char::from(b))),
            Some(_) => Self::scan(text, text.chars()),
        }
    }

    fn scan(text: &str, mut chars: impl Iterator<Item = char>) -> Self {
        // A document marker at the start can only be quoted.
        let mut indicators = text.starts_with("---") || text.starts_with("...");
        let (mut line_breaks, mut line_feed) = (false, false);
        let mut special = false;
        let (mut leading_space, mut leading_break) = (false, false);
        let (mut trailing_space, mut trailing_break) = (false, false);
        let (mut break_space, mut space_break) = (false, false);
        let (mut previous_space, mut previous_break) = (false, false);
        let mut preceded_by_blank = true;

        let mut current = chars.next();
        let mut first = true;
        let mut count = 0;
        while let Some(c) = current {
            count += 1;
            let next = chars.next();
            let followed_by_blank = next.is_none_or(is_blank_or_break);
            if first {
                match c {
                    '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`' => {
                        indicators = true
                    }
                    '?' | ':' | '-' if followed_by_blank => indicators = true,
                    _ => {}
                }
            } else if (c == ':' && followed_by_blank) || (c == '#' && preceded_by_blank) {
                indicators = true;
            }
            if !is_printable(c) {
                special = true;
            }
            let last = next.is_none();
            if c == ' ' {
                leading_space |= first;
                trailing_space |= last;
                break_space |= previous_break;
                (previous_space, previous_break) = (true, false);
            } else if is_break(c) {
                line_breaks = true;
                line_feed |= c == '\n';
                leading_break |= first;
                trailing_break |= last;
                space_break |= previous_space;
                (previous_space, previous_break) = (false, true);
            } else {
                (previous_space, previous_break) = (false, false);
            }
            preceded_by_blank = is_blank_or_break(c);
            first = false;
            current = next;
        }

        let edges = leading_space || leading_break || trailing_space || trailing_break;
        Self {
            multiline: line_breaks,
            line_feed,
            plain: !(edges || break_space || space_break || special || line_breaks || indicators),
            single_quoted: !(break_space || space_break || special),
            literal: !(trailing_space || space_break || special),
            chars: count,
        }
    }

    /// The style libyaml writes for `text` asked for in `requested` style, in block context.
    /// `simple_key`: the scalar is a key written on its line (`key: value`).
    pub(super) fn style(&self, text: &str, requested: Requested, simple_key: bool) -> Style {
        let mut style = match requested {
            Requested::Any => Style::Plain,
            Requested::SingleQuoted => Style::SingleQuoted,
            Requested::String if self.line_feed => Style::Literal,
            Requested::String if reads_as_non_string(text) => Style::SingleQuoted,
            Requested::String => Style::Plain,
        };
        let empty = text.is_empty();
        if simple_key && self.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain && (!self.plain || (empty && simple_key)) {
            style = Style::SingleQuoted;
        }
        if style == Style::SingleQuoted && !self.single_quoted {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!self.literal || simple_key) {
            style = Style::DoubleQuoted;
        }
        style
    }
}

/// libyaml's printable set: what may appear unescaped.
pub(super) fn is_printable(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..) && c != '\u{FEFF}'
}

pub(super) fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Space, tab, a line break, or NUL (libyaml's end of string).
fn is_blank_or_break(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\0') || is_break(c)
}

/// A finite float as ryu formats it (which is what yaml_serde writes): the shortest digits that
/// read back to the same value, as `1.0`, `0.001`, `1e-7`, `1.5e300`.
pub(super) fn format_f64(value: f64, out: &mut String) {
    let abs = value.abs();
    let (digits, exponent) = ryu_digits(abs, &format!("{abs:e}"), |text| text.parse::<f64>() == Ok(abs));
    layout(value.is_sign_negative(), &digits, exponent, 16, -5, out);
}

/// As [`format_f64`], with ryu's thresholds for `f32`.
pub(super) fn format_f32(value: f32, out: &mut String) {
    let abs = value.abs();
    let (digits, exponent) = ryu_digits(f64::from(abs), &format!("{abs:e}"), |text| text.parse::<f32>() == Ok(abs));
    layout(value.is_sign_negative(), &digits, exponent, 13, -6, out);
}

/// The significant digits and decimal exponent (`d.ddd × 10^exponent`) ryu writes for `exact`,
/// given Rust's shortest form of it. They agree except when the value lies exactly halfway
/// between two shortest candidates: Rust rounds the tie up, ryu to the even candidate.
fn ryu_digits(exact: f64, shortest: &str, round_trips: impl Fn(&str) -> bool) -> (String, i32) {
    let (digits, exponent) = split_scientific(shortest);
    let length = digits.len();
    if digits == "0" {
        return (digits, exponent);
    }
    // A tie has exactly one digit more than the shortest form, and it is a 5.
    let (near, near_exponent) = split_scientific(&format!("{exact:.length$e}"));
    if near_exponent == exponent && near.len() == length + 1 && near.ends_with('5') {
        // An f64 has at most 767 significant digits: 800 shows the whole expansion.
        let (expansion, _) = split_scientific(&format!("{exact:.800e}"));
        if expansion.trim_end_matches('0') == near {
            let lower = near[..length].to_owned();
            let upper = increment(&lower);
            let lower_is_even = lower.as_bytes()[length - 1] % 2 == 0;
            let candidates = if lower_is_even { [lower, upper] } else { [upper, lower] };
            for candidate in candidates {
                let text = match candidate.split_at(1) {
                    (lead, "") => format!("{lead}e{exponent}"),
                    (lead, rest) => format!("{lead}.{rest}e{exponent}"),
                };
                if candidate.len() == length && round_trips(&text) {
                    return (candidate, exponent);
                }
            }
        }
    }
    (digits, exponent)
}

/// `1.234e5` as (`1234`, 5).
fn split_scientific(text: &str) -> (String, i32) {
    let (mantissa, exponent) = text.split_once('e').expect("`{:e}` writes an exponent");
    let digits = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exponent.parse().expect("`{:e}` writes an integer exponent"))
}

/// A decimal digit string plus one in its last place.
fn increment(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for byte in bytes.iter_mut().rev() {
        if *byte == b'9' {
            *byte = b'0';
        } else {
            *byte += 1;
            return String::from_utf8(bytes).expect("ASCII digits");
        }
    }
    bytes.insert(0, b'1');
    String::from_utf8(bytes).expect("ASCII digits")
}

/// Lays out `0.digits × 10^(exponent + 1)` the way ryu does: positional when the point falls
/// in `(min, max]` digits from the first, scientific (`1.5e-7`, `1e16`) otherwise.
fn layout(negative: bool, digits: &str, exponent: i32, max: i32, min: i32, out: &mut String) {
    if negative {
        out.push('-');
    }
    if digits == "0" {
        out.push_str("0.0");
        return;
    }
    let length = digits.len() as i32;
    // The decimal point sits after `point` digits.
    let point = exponent + 1;
    if length <= point && point <= max {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (point - length) as usize));
        out.push_str(".0");
    } else if 0 < point && point <= max {
        let (whole, fraction) = digits.split_at(point as usize);
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    } else if min < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(digits);
    } else {
        let (lead, rest) = digits.split_at(1);
        out.push_str(lead);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push_str(&exponent.to_string());
    }
}
