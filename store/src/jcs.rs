//! RFC 8785 JSON Canonicalization Scheme (JCS): the canonical JSON that
//! chain version 2 hashes (docs/FORMATS.md, "Hash chain"), so that any JCS
//! library reproduces an event's hash.
//!
//! Written here rather than taken from a crate for the reason `hash.rs`
//! gives: stored hashes depend on these exact bytes. The three rules:
//! - object members sorted by their names as UTF-16 code units (not UTF-8
//!   bytes: the two orders differ once a name holds a character above
//!   U+FFFF beside one in U+E000..U+FFFF), no whitespace anywhere;
//! - strings escaped as ECMAScript's `JSON.stringify` escapes them: `"`,
//!   `\`, the short forms `\b \t \n \f \r`, other controls as `\u00xx`
//!   (lower-case hex), everything else as UTF-8 unchanged;
//! - numbers as IEEE 754 doubles written by ECMAScript's `Number::toString`
//!   (shortest round-trip digits, exponent form below 1e-6 and from 1e21).

use serde_json::{Number, Value};

/// The largest integer every double-based JSON reader holds exactly
/// (2^53 - 1, RFC 7493's I-JSON limit).
pub const MAX_EXACT_INTEGER: u64 = (1 << 53) - 1;

/// `value` in JCS form.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (name, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(name, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON number as JCS writes it: first read as a double (as ECMAScript
/// reads every number, so integers beyond 2^53 round), then written.
fn number(n: &Number) -> String {
    match n.as_f64() {
        Some(x) => es_number(x),
        // Unreachable with serde_json's default features; no number is "0".
        None => "0".into(),
    }
}

/// ECMAScript `Number::toString(x)` for a finite `x` (ECMA-262, 7.1.12.1):
/// `k` digits, the fewest that read back as `x`, and of those the ones
/// closest to `x` (ties to even), placed by `n`, the decimal point's
/// position relative to them.
pub fn es_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        // -0 is written "0"; JSON has no NaN or infinity (serde_json cannot hold them).
        return "0".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let (digits, n) = shortest_closest_digits(x.abs());
    let k = digits.len() as i32;
    let zeros = |count: i32| "0".repeat(usize::try_from(count).unwrap_or(0));
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", zeros(n - k))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", zeros(-n))
    } else {
        let e = n - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!("{first}{fraction}e{e_sign}{}", e.abs())
    };
    format!("{sign}{body}")
}

/// The digits of `x > 0` and the position `n` of the decimal point
/// (`x ≈ 0.digits × 10^n`). Rust's `{:e}` gives the fewest digits that read
/// back, but on a tie between two such digit strings it may take either
/// (1424953923781206.25 prints as …206.3, ECMAScript wants …206.2); so the
/// digits are `x` correctly rounded to that many (`{:.*e}` rounds the exact
/// value, ties to even), unless that rounding does not read back, where the
/// shortest form is the only candidate.
fn shortest_closest_digits(x: f64) -> (String, i32) {
    let split = |scientific: &str| -> (String, i32) {
        let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        let digits = digits.trim_end_matches('0').to_string();
        (digits, exponent.parse::<i32>().unwrap_or(0) + 1)
    };
    let shortest = format!("{x:e}");
    let (digits, n) = split(&shortest);
    let rounded = format!("{x:.*e}", digits.len().saturating_sub(1));
    if rounded.parse::<f64>() == Ok(x) {
        split(&rounded)
    } else {
        (digits, n)
    }
}

/// Whether `value` holds a number the store will not record: anything
/// but an integer within ±(2^53 - 1). Beyond that range a double cannot
/// hold the integer, so two different values would hash alike; and a
/// fraction would be read back from PostgreSQL by serde_json, whose default
/// float parser is not correctly rounded (`333333333.33333329` reads as the
/// double next to it), so its canonical digits could change between
/// recording and verification. Fractions belong in strings or scaled
/// integers (RFC 8785 section 6 recommends strings for exact numbers).
pub fn has_inexact_number(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            let safe = n.as_u64().is_some_and(|u| u <= MAX_EXACT_INTEGER)
                || n.as_i64()
                    .is_some_and(|i| i.unsigned_abs() <= MAX_EXACT_INTEGER);
            !safe
        }
        Value::Array(items) => items.iter().any(has_inexact_number),
        Value::Object(map) => map.values().any(has_inexact_number),
        _ => false,
    }
}

#[cfg(test)]
#[path = "jcs_vectors.rs"]
mod vectors;
