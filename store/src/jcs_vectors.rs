//! JCS against RFC 8785's own examples and the test data published with its
//! reference implementations (github.com/cyberphone/json-canonicalization,
//! testdata/), copied here as vectors: input JSON text, expected output.

use super::*;
use proptest::prelude::*;

fn jcs(text: &str) -> String {
    canonical(&serde_json::from_str(text).expect("test JSON"))
}

/// RFC 8785 Appendix B: IEEE 754 bits and their JSON representation.
#[test]
fn numbers_of_appendix_b() {
    let table: [(u64, &str); 25] = [
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
        (0x43143ff3c1cb0959, "1424953923781206.2"),
        // From the reference implementations' number test.
        (0x4340000000000001, "9007199254740994"),
    ];
    for (bits, expected) in table {
        let x = f64::from_bits(bits);
        assert_eq!(es_number(x), expected, "{bits:016x}");
        let value = Value::Number(Number::from_f64(x).expect("finite"));
        assert_eq!(canonical(&value), expected, "{bits:016x} as a JSON value");
    }
}

/// RFC 8785 section 3.2.2 (testdata/values.json): numbers, escaping, literals.
/// The numbers are Rust literals, not parsed by serde_json, whose default
/// float parser reads 333333333.33333329 as the double next to it (which
/// is why the store records no fraction: `has_inexact_number`).
#[test]
#[allow(clippy::excessive_precision)] // the RFC's numbers, as its example writes them
fn the_example_of_section_3_2_2() {
    let mut input: Value = serde_json::from_str(
        r#"{
      "numbers": [],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"#,
    )
    .expect("test JSON");
    input["numbers"] = serde_json::json!([
        333333333.33333329_f64,
        1E30_f64,
        4.50_f64,
        2e-3_f64,
        0.000000000000000000000000001_f64
    ]);
    assert_eq!(
        canonical(&input),
        "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\
         \"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
    );
}

/// RFC 8785 section 3.2.3 and testdata/weird.json: names in UTF-16 order.
#[test]
fn names_sort_by_utf16_code_units() {
    let input = r#"{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\u000a": "Newline",
      "1": "One",
      "\u0080": "Control\u007f",
      "\ud83d\ude02": "Smiley",
      "\u00f6": "Latin Small Letter O With Diaeresis",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "</script>": "Browser Challenge"
    }"#;
    assert_eq!(
        jcs(input),
        "{\"\\n\":\"Newline\",\"\\r\":\"Carriage Return\",\"1\":\"One\",\
         \"</script>\":\"Browser Challenge\",\"\u{80}\":\"Control\u{7f}\",\
         \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
         \"\u{1f602}\":\"Smiley\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
    );
    // The case where UTF-8 byte order would differ: U+1F602 (surrogates
    // D83D DE02) sorts before U+FB33 in UTF-16, after it in UTF-8.
    assert!("\u{1f602}".as_bytes() > "\u{fb33}".as_bytes());
}

/// testdata/arrays.json, structures.json, french.json and unicode.json.
#[test]
fn the_reference_test_data() {
    let cases = [
        (
            r#"[ 56, { "d": true, "10": null, "1": [ ] } ]"#,
            r#"[56,{"1":[],"10":null,"d":true}]"#,
        ),
        (
            r#"{ "1": {"f": {"f": "hi","F": 5} ,"\n": 56.0}, "10": { }, "": "empty",
                 "a": { }, "111": [ {"e": "yes","E": "no" } ], "A": { } }"#,
            r#"{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{},"a":{}}"#,
        ),
        (
            r#"{ "peach": "This sorting order", "péché": "is wrong according to French",
                 "pêche": "but canonicalization MUST", "sin":   "ignore locale" }"#,
            r#"{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ignore locale"}"#,
        ),
        (
            r#"{ "Unnormalized Unicode":"A\u030a" }"#,
            "{\"Unnormalized Unicode\":\"A\u{30a}\"}",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(jcs(input), expected);
    }
}

#[test]
fn integers_are_doubles_and_beyond_2_to_the_53_they_round() {
    assert_eq!(
        jcs("[2004, -25, 0, -0, 1e2, 100.0]"),
        "[2004,-25,0,0,100,100]"
    );
    assert_eq!(jcs("18446744073709551615"), "18446744073709552000");
    assert_eq!(jcs("9007199254740993"), "9007199254740992");
}

#[test]
fn the_store_records_safe_integers_only() {
    let safe = serde_json::json!({"a": [1, 9007199254740991_u64, -9007199254740991_i64, "1.5"]});
    assert!(!has_inexact_number(&safe));
    for unsafe_number in [
        serde_json::json!({"a": [1, {"b": -9007199254740992_i64}]}),
        serde_json::json!([u64::MAX]),
        serde_json::json!({"x": 1.5}),
        serde_json::json!({"x": 2.0}),
    ] {
        assert!(has_inexact_number(&unsafe_number), "{unsafe_number}");
    }
}

fn es_grammar(text: &str) -> bool {
    // -?(0|[1-9]digits)(.digits)?(e[+-]digits)? with no trailing fraction zero.
    let body = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match body.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (body, None),
    };
    let fraction_ok = mantissa
        .split_once('.')
        .is_none_or(|(_, f)| !f.is_empty() && !f.ends_with('0'));
    let exponent_ok = exponent.is_none_or(|e| {
        (e.starts_with('+') || e.starts_with('-')) && e[1..].chars().all(|c| c.is_ascii_digit())
    });
    fraction_ok && exponent_ok && !mantissa.starts_with('.') && !mantissa.ends_with('.')
}

proptest! {
    /// Every finite double is written so that it reads back exactly, in
    /// ECMAScript's grammar, and exponent form exactly outside [1e-6, 1e21).
    #[test]
    fn every_double_round_trips_in_ecmascript_form(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        let text = es_number(x);
        let back: f64 = text.parse().expect("a number");
        prop_assert!(back == x, "{} read back as {}", text, back);
        prop_assert!(es_grammar(&text), "{}", text);
        let magnitude = x.abs();
        let exponent_form = magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude);
        prop_assert_eq!(text.contains('e'), exponent_form, "{}", text);
    }

    /// Safe integers are written as plain integers, as `Number::toString` does.
    #[test]
    fn safe_integers_are_plain(i in -(MAX_EXACT_INTEGER as i64)..=(MAX_EXACT_INTEGER as i64)) {
        prop_assert_eq!(canonical(&serde_json::json!(i)), i.to_string());
    }
}
