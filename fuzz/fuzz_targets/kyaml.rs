//! `-o kyaml`: any JSON document prints without panicking, as YAML that reads back as the same
//! document where the JSON ↔ YAML round trip allows it. It does not where kubectl's encoder
//! itself loses a value: a key left bare that YAML reads as a number (`1e400`), a NEL (kubectl
//! folds it), and a line of a multi-line string that starts with white space other than a
//! space or a tab (the encoder escapes the escape).
#![no_main]

use kubectl_kit_core::kyaml;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let doc: Value = match serde_json::from_slice(data) {
        Ok(v) => v,
        // Any text is also a string value and a key.
        Err(_) => match std::str::from_utf8(data) {
            Ok(s) => serde_json::json!({ s: s }),
            Err(_) => return,
        },
    };
    let text = kyaml::document(&doc);
    assert!(text.starts_with("---\n") && text.ends_with('\n'));
    if beyond_yaml_integers(&doc) || integer_keys_beyond_64_bits(&doc) || keys_beyond_1024(&doc) {
        return;
    }
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("not YAML ({e}):\n{text}"));
    if lossy(&doc) {
        return;
    }
    if let Ok(back) = serde_yaml::from_value::<Value>(yaml) {
        assert!(same(&doc, &back), "{doc}\nprinted as\n{text}\nreads back as {back}");
    }
});

/// Holds a number kubectl prints as an integer literal (a double below 1e21 in size) of 2^64 or
/// more, or below -2^63, which the YAML parser here cannot hold (it reads an `i64` or a `u64`).
fn beyond_yaml_integers(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.as_i64().is_none()
                && n.as_f64().is_some_and(|f| {
                    (1.8446744073709552e19..1e21).contains(&f) || (-1e21..-9.223372036854776e18).contains(&f)
                })
        }
        Value::Array(items) => items.iter().any(beyond_yaml_integers),
        Value::Object(map) => map.values().any(beyond_yaml_integers),
        _ => false,
    }
}

/// Holds a key written as an integer literal of more than 64 bits (`0x0ddddddddddddddddddddddddd`).
/// kubectl leaves it bare, as Go's YAML reads it as a string, and so does kyaml here
/// (`kyaml::ambiguous::tests::other_strings_are_not`); the YAML parser this target reads back
/// with takes it for an integer and fails.
fn integer_keys_beyond_64_bits(v: &Value) -> bool {
    let big = |k: &str| {
        let k = k.replace('_', "");
        let k = k.trim_start_matches(['+', '-']);
        let (digits, radix) = match k.get(..2) {
            Some("0x" | "0X") => (k.get(2..).unwrap_or(""), 16),
            Some("0o" | "0O") => (k.get(2..).unwrap_or(""), 8),
            Some("0b" | "0B") => (k.get(2..).unwrap_or(""), 2),
            _ => (k, 10),
        };
        !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)) && u64::from_str_radix(digits, radix).is_err()
    };
    match v {
        Value::Array(items) => items.iter().any(integer_keys_beyond_64_bits),
        Value::Object(map) => map.iter().any(|(k, v)| big(k) || integer_keys_beyond_64_bits(v)),
        _ => false,
    }
}

/// Holds a key kubectl fails on and cols refuses (`kyaml::long_key`), or one the YAML parser
/// this target reads back with cannot take although Go's can: libyaml measures a key's 1024
/// characters in bytes (`é` counts twice) and takes no key folded over lines.
fn keys_beyond_1024(v: &Value) -> bool {
    if kyaml::long_key(v).is_some() {
        return true;
    }
    let long = |k: &str| {
        let printed = kyaml::document(&serde_json::json!({ k: 0 }));
        printed.lines().count() > 4 || printed.lines().any(|l| l.len() > 1024)
    };
    match v {
        Value::Array(items) => items.iter().any(keys_beyond_1024),
        Value::Object(map) => map.iter().any(|(k, v)| long(k) || keys_beyond_1024(v)),
        _ => false,
    }
}

/// Holds a string the encoder cannot print faithfully: a NEL (kubectl folds it), or a line of
/// a multi-line string that starts with white space other than a space or a tab.
fn lossy(v: &Value) -> bool {
    let string = |s: &str| {
        let mut after_break = s.contains('\n');
        s.contains('\u{85}')
            || s.chars().any(|c| {
                let bad = after_break && c.is_whitespace() && !matches!(c, ' ' | '\t' | '\n');
                after_break = c == '\n';
                bad
            })
    };
    match v {
        Value::String(s) => string(s),
        Value::Array(items) => items.iter().any(lossy),
        Value::Object(map) => map.iter().any(|(k, v)| string(k) || lossy(v)),
        _ => false,
    }
}

/// Equal, numbers compared as doubles (kubectl prints an integer beyond int64 as a double).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
