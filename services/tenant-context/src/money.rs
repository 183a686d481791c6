//! Prices as whole cents: parsed from JSON numbers or strings with at most two decimals, never
//! through floating point, never negative.

/// Parses `12`, `12.5`, `12.50` (number or string) into cents.
pub fn parse_cents(value: &serde_json::Value) -> Result<u64, String> {
    let text = match value {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.trim().to_owned(),
        other => return Err(format!("price must be a number, not {other}")),
    };
    if text.starts_with('-') {
        return Err("price must not be negative".into());
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) || text.contains(['e', 'E']) {
        return Err(format!("price `{text}` is not a decimal amount"));
    }
    if fraction.len() > 2 {
        return Err(format!("price `{text}` has more than two decimals"));
    }
    let whole: u64 = whole.parse().map_err(|_| format!("price `{text}` is too large"))?;
    let cents: u64 = format!("{fraction:0<2}").parse().expect("two digits");
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .filter(|c| *c <= 100_000_000_000)
        .ok_or_else(|| format!("price `{text}` is too large"))
}

/// Cents as a decimal string: `1250` -> `"12.50"`.
pub fn format_cents(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_amounts() {
        for (value, cents) in
            [(json!(12), 1200), (json!(12.5), 1250), (json!("12.50"), 1250), (json!("0"), 0), (json!(0.07), 7)]
        {
            assert_eq!(parse_cents(&value), Ok(cents), "{value}");
        }
        for bad in [
            json!(-1),
            json!("-0.5"),
            json!("1.234"),
            json!("abc"),
            json!(null),
            json!("1e3"),
            json!(""),
            json!(true),
            json!("9999999999999"),
        ] {
            assert!(parse_cents(&bad).is_err(), "{bad}");
        }
        assert_eq!(format_cents(1250), "12.50");
        assert_eq!(format_cents(7), "0.07");
    }
}
