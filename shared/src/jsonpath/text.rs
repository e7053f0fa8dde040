//! How Go writes JSON documents: `fmt.Sprint` (`%v`) for custom-columns cells and plain
//! JSONPath values, `encoding/json` for maps and lists in JSONPath output and for
//! `jsonpath-as-json`. It knows nothing of templates: the evaluation's values (`eval::Val`)
//! print through these functions.
//!
//! Values are JSON decoded the way Kubernetes' unstructured decoding does it: an integer that
//! fits `int64` is an `int64`, every other number a `float64`.

use std::fmt::Write as _;

use serde_json::Value;

/// The `int64` Go's unstructured decoding makes of a number, if it makes one.
pub(crate) fn as_int64(n: &serde_json::Number) -> Option<i64> {
    if n.is_f64() { None } else { n.as_i64() }
}

/// `fmt.Sprint` of a JSON value decoded into `interface{}`: `<nil>`, `map[k:v]` with sorted
/// keys, `[a b]`, floats in `%v` form.
pub fn go_sprint_doc(v: &Value) -> String {
    let mut s = String::new();
    sprint_into(v, &mut s);
    s
}

fn sprint_into(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match as_int64(n) {
            Some(i) => {
                let _ = write!(out, "{i}");
            }
            None => out.push_str(&go_float(n.as_f64().unwrap_or(f64::NAN))),
        },
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                sprint_into(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            for (i, (k, v)) in sorted(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                sprint_into(v, out);
            }
            out.push(']');
        }
    }
}

fn sorted(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Go's `%v` for a float64: the shortest digits that round-trip, in `%e` form when the
/// decimal exponent is below -4 or at least 6 (`1e+06`, `1.5e-07`), else plain.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let (negative, digits, exp) = shortest_digits(f);
    let sign = if negative { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        return format!("{sign}{}", exponent_form(&digits, exp, 2));
    }
    format!("{sign}{}", plain_form(&digits, exp))
}

/// The shortest round-trip decimal digits of `f` and its decimal exponent (`1.5e-7` → `15`, -7).
fn shortest_digits(f: f64) -> (bool, String, i32) {
    // Rust's `{:e}` gives the shortest digits that round-trip.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (mantissa.starts_with('-'), digits, exp)
}

/// `d.ddde±XX` with at least `min_exp_digits` exponent digits.
fn exponent_form(digits: &str, exp: i32, min_exp_digits: usize) -> String {
    let m = match digits.split_at_checked(1) {
        Some((first, rest)) if !rest.is_empty() => format!("{first}.{rest}"),
        _ => digits.to_string(),
    };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{m}e{esign}{:0width$}", exp.abs(), width = min_exp_digits)
}

/// Digits placed around the decimal point, without an exponent.
fn plain_form(digits: &str, exp: i32) -> String {
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else if point as usize >= digits.len() {
        format!("{}{}", digits, "0".repeat(point as usize - digits.len()))
    } else {
        let (whole, fraction) = digits.split_at_checked(point as usize).unwrap_or((digits, ""));
        format!("{whole}.{fraction}")
    }
}

/// Go's `encoding/json.Marshal` of decoded JSON: compact, keys sorted, HTML-safe escapes.
pub fn go_json(v: &Value, out: &mut String) {
    json_into(v, out, None, 0);
}

/// `json.MarshalIndent(v, "", "    ")`.
pub fn go_json_indent(v: &Value, out: &mut String) {
    json_into(v, out, Some("    "), 0);
}

fn newline(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(unit) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(unit);
        }
    }
}

fn json_into(v: &Value, out: &mut String, indent: Option<&str>, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match as_int64(n) {
            Some(i) => {
                let _ = write!(out, "{i}");
            }
            None => out.push_str(&go_json_float(n.as_f64().unwrap_or(0.0))),
        },
        Value::String(s) => go_json_string(s, out),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                json_into(item, out, indent, depth + 1);
            }
            newline(out, indent, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in sorted(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                go_json_string(k, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                json_into(v, out, indent, depth + 1);
            }
            newline(out, indent, depth);
            out.push('}');
        }
    }
}

/// A JSON string as Go writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped for HTML.
pub(crate) fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// encoding/json's float: `'f'` between 1e-6 and 1e21, else `'e'` with at least one exponent
/// digit (`1e-7`, `1e+21`).
fn go_json_float(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        return "0".into();
    }
    let (negative, digits, exp) = shortest_digits(f);
    let sign = if negative { "-" } else { "" };
    if !(1e-6..1e21).contains(&f.abs()) {
        return format!("{sign}{}", exponent_form(&digits, exp, 1));
    }
    format!("{sign}{}", plain_form(&digits, exp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_as_go_prints_them() {
        assert_eq!(go_float(1e6), "1e+06");
        assert_eq!(go_float(0.5), "0.5");
        assert_eq!(go_float(1.5e-7), "1.5e-07");
        assert_eq!(go_float(123456.0), "123456");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(-2.25), "-2.25");
    }

    #[test]
    fn json_is_encoding_json() {
        let mut s = String::new();
        go_json(&json!({"b": [1, 0.5, 1e21, 1e-7, 1e20], "a": "<x&y>\n"}), &mut s);
        assert_eq!(s, r#"{"a":"\u003cx\u0026y\u003e\n","b":[1,0.5,1e+21,1e-7,100000000000000000000]}"#);
        let mut s = String::new();
        go_json_indent(&json!([{"k": 1, "e": {}, "l": []}, "x"]), &mut s);
        assert_eq!(s, "[\n    {\n        \"e\": {},\n        \"k\": 1,\n        \"l\": []\n    },\n    \"x\"\n]");
    }

    #[test]
    fn sprint_is_go_percent_v() {
        assert_eq!(go_sprint_doc(&json!({"b": [1, null], "a": {"x": 2.5}})), "map[a:map[x:2.5] b:[1 <nil>]]");
        assert_eq!(go_sprint_doc(&json!(1e6)), "1e+06");
    }
}
