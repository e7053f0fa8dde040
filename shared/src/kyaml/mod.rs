//! `-o kyaml`: KYAML, the strict, explicit subset of YAML that kubectl 1.34+ prints, byte for
//! byte as `kubectl get -o kyaml` prints it (sigs.k8s.io/yaml's `kyaml` encoder, reached
//! through cli-runtime's KYAML printer).
//!
//! kubectl hands the encoder the object as `encoding/json` marshals it: map keys sorted, numbers
//! as Go formats an `int64` or a `float64`. The encoder then writes, for each document, `---`
//! and the value:
//! - strings always in double quotes, escaped as Go's `strconv.Quote` would but for YAML:
//!   `\"`, `\\`, `\a \b \f \r \v \0 \e \N \_ \L \P`, `\xNN` below a space and for DEL,
//!   `\uNNNN` and `\UNNNNNNNN` for other characters Go does not call printable; a tab is
//!   written as it is;
//! - a string with a line break as a folded multi-line scalar: `"\`, then each line indented
//!   one level deeper than its key, ending in `\n\`, a leading space kept as `\ `;
//! - keys bare when made of letters, digits and `_` (and `-`, `.`, `/` inside) and not
//!   readable as anything but a string (`no`, `1e3`, `2006-1-2`, `null`…), else quoted;
//! - a value's U+0085 (NEL) folded with the spaces around it, as the YAML parser in kubectl's
//!   path folds it (one space, or line breaks for several);
//! - `{}` and `[]` for empty collections, `null`, `true`, `false`, numbers as JSON has them;
//! - a map or a list of scalars opens a line per entry, two spaces deeper, each ending in
//!   `,`; a list whose items are all maps or lists is "cuddled": `[{`, `}, {`, `}]`.
//!
//! `tests/tests/kyaml.rs` checks all of it against the Go encoder itself, on the encoder's own
//! test inputs and on hostile generated values, and against `kubectl get -o kyaml`.

mod ambiguous;
mod limit;

pub use limit::{LongKey, long_key};

use crate::unicode::{is_letter, is_number, is_print};
use serde_json::{Map, Number, Value};

/// One document as `kubectl get -o kyaml` prints an object: `---`, the value, a line break.
/// A list is one document too (kubectl prints `kind: List` with its `items`); a watch prints
/// one document per event.
pub fn document(value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    write_document(value, &mut out);
    out
}

/// [`document`], appended to `out`.
pub fn write_document(value: &Value, out: &mut String) {
    out.push_str("---\n");
    write_value(value, 0, out);
    out.push('\n');
}

/// A value whose first character goes where the cursor is; `indent` is the nesting level of
/// the line it starts on.
fn write_value(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(&fold_next_lines(s), indent + 1, out),
        Value::Array(items) => write_list(items, indent, out),
        Value::Object(map) => write_map(map, indent, out),
    }
}

fn write_list(items: &[Value], indent: usize, out: &mut String) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    if items.iter().all(|v| v.is_object() || v.is_array()) {
        out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_value(item, indent, out);
        }
        out.push(']');
        return;
    }
    out.push_str("[\n");
    for item in items {
        write_indent(indent + 1, out);
        write_value(item, indent + 1, out);
        out.push_str(",\n");
    }
    write_indent(indent, out);
    out.push(']');
}

fn write_map(map: &Map<String, Value>, indent: usize, out: &mut String) {
    if map.is_empty() {
        out.push_str("{}");
        return;
    }
    // encoding/json sorts map keys (byte order), whatever order the server sent them in.
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push_str("{\n");
    for (key, value) in entries {
        write_indent(indent + 1, out);
        write_key(key, out);
        out.push_str(": ");
        write_value(value, indent + 1, out);
        out.push_str(",\n");
    }
    write_indent(indent, out);
    out.push('}');
}

fn write_indent(level: usize, out: &mut String) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// A number as kubectl's unstructured decoding leaves it and `encoding/json` writes it: an
/// integer that fits an `int64` as is, any other number as a `float64`.
fn write_number(n: &Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        out.push_str(&i.to_string());
    } else if let Some(f) = n.as_f64() {
        write_float(f, out);
    }
}

/// `encoding/json`'s `float64`: the shortest digits that read back as the same double, in
/// exponent form below 1e-6 and from 1e21 (`1e+21`, `1.5e-7`), plain otherwise. Zero is `0`:
/// the server writes a negative zero as `-0`, which kubectl decodes as the integer 0 (and
/// serde_json as -0.0).
fn write_float(f: f64, out: &mut String) {
    let abs = f.abs();
    if abs == 0.0 || !f.is_finite() {
        out.push('0');
    } else if (1e-6..1e21).contains(&abs) {
        out.push_str(&f.to_string());
    } else {
        // Rust's `{:e}` has the same shortest digits: `1.5e-7`, `1e21`.
        let e = format!("{f:e}");
        match e.split_once('e') {
            Some((mantissa, exp)) => {
                out.push_str(mantissa);
                out.push('e');
                if !exp.starts_with('-') {
                    out.push('+');
                }
                out.push_str(exp);
            }
            None => out.push_str(&e),
        }
    }
}

/// What kubectl's path does to a string value holding U+0085 (NEL): `encoding/json` writes the
/// character as it is, and the YAML parser between the JSON and the encoder reads it as a line
/// break inside a double-quoted scalar, which folds. A run of spaces and NELs becomes one
/// space when it holds one NEL, and a line break per NEL after the first otherwise. (A key
/// holding a NEL makes kubectl fail; we print it escaped.)
fn fold_next_lines(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\u{85}') {
        return s.into();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ' ' && c != '\u{85}' {
            out.push(c);
            continue;
        }
        let (mut spaces, mut breaks) = (0, 0);
        let mut next = Some(c);
        while let Some(c @ (' ' | '\u{85}')) = next {
            if c == ' ' && breaks == 0 {
                spaces += 1;
            } else if c != ' ' {
                breaks += 1;
            }
            next = chars.next_if(|&n| n == ' ' || n == '\u{85}');
        }
        match breaks {
            0 => out.extend(std::iter::repeat_n(' ', spaces)),
            1 => out.push(' '),
            n => out.extend(std::iter::repeat_n('\n', n - 1)),
        }
    }
    out.into()
}

/// A string value: always quoted; folded over several lines when it holds a line break, each
/// line at `indent`.
fn write_string(s: &str, indent: usize, out: &mut String) {
    let multi = s.contains('\n');
    out.push('"');
    if multi {
        out.push_str("\\\n");
    }
    for c in s.chars() {
        if out.ends_with('\n') {
            write_indent(indent, out);
            // Leading white space would be dropped by the fold: escape it. Other lines get a
            // space, which the fold drops, so that all lines align.
            out.push(if c != '\n' && c.is_whitespace() { '\\' } else { ' ' });
        }
        match c {
            '\n' => out.push_str("\\n\\\n"),
            '\t' => out.push('\t'),
            c => write_escaped(c, out),
        }
    }
    if multi {
        if !out.ends_with('\n') {
            out.push_str("\\\n");
        }
        write_indent(indent, out);
    }
    out.push('"');
}

/// A key: bare when nothing could read it as anything but this string, else quoted on one
/// line (`\n` and `\t` escaped).
fn write_key(key: &str, out: &mut String) {
    if !key.contains('\n') && !key_needs_quotes(key) {
        out.push_str(key);
        return;
    }
    out.push('"');
    for c in key.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => write_escaped(c, out),
        }
    }
    out.push('"');
}

/// The encoder's `needsQuotes`: letters, digits and `_` anywhere, `-`, `.` and `/` inside, and
/// not [`ambiguous::is_type_ambiguous`].
fn key_needs_quotes(key: &str) -> bool {
    if key.is_empty() || ambiguous::is_type_ambiguous(key) {
        return true;
    }
    let last = key.chars().count() - 1;
    !key.chars()
        .enumerate()
        .all(|(i, c)| is_letter(c) || is_number(c) || c == '_' || (i > 0 && i < last && matches!(c, '-' | '.' | '/')))
}

/// One character of a quoted string, other than a line break or a tab.
fn write_escaped(c: char, out: &mut String) {
    match c {
        '"' | '\\' => {
            out.push('\\');
            out.push(c);
        }
        c if is_print(c) => out.push(c),
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\r' => out.push_str("\\r"),
        '\u{b}' => out.push_str("\\v"),
        '\0' => out.push_str("\\0"),
        '\u{1b}' => out.push_str("\\e"),
        '\u{85}' => out.push_str("\\N"),
        '\u{a0}' => out.push_str("\\_"),
        '\u{2028}' => out.push_str("\\L"),
        '\u{2029}' => out.push_str("\\P"),
        c if c < ' ' || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> String {
        let doc = document(&v);
        doc.strip_prefix("---\n").and_then(|d| d.strip_suffix('\n')).map(String::from).unwrap_or(doc)
    }

    #[test]
    fn scalars() {
        assert_eq!(body(json!(123)), "123");
        assert_eq!(body(json!(-123)), "-123");
        assert_eq!(body(json!(3.5)), "3.5");
        assert_eq!(body(json!(true)), "true");
        assert_eq!(body(json!(null)), "null");
        assert_eq!(body(json!("")), "\"\"");
        assert_eq!(body(json!("abc")), "\"abc\"");
        assert_eq!(document(&json!({})), "---\n{}\n");
    }

    /// A fuzz campaign's input: a key longer than YAML's 1024-character limit on implicit keys.
    /// The encoder prints it quoted on one line like any other key; kubectl fails on such a
    /// document, and cols refuses it before printing (`long_key`).
    #[test]
    fn a_long_key_is_written_as_any_other() {
        let key = "k\u{2}".repeat(400);
        let out = body(json!({ key.clone(): 1 }));
        let quoted = format!("\"{}\": 1,", "k\\x02".repeat(400));
        assert_eq!(out, format!("{{\n  {quoted}\n}}"));
        // A later input: a NEL in a key prints as `\N`, two characters for one.
        assert_eq!(body(json!({ "a\u{85}b": 1 })), "{\n  \"a\\Nb\": 1,\n}");
    }

    #[test]
    fn numbers_read_as_kubectl_decodes_them() {
        let n = |text: &str| body(serde_json::from_str(text).expect("a JSON number"));
        assert_eq!(n("1.0"), "1");
        assert_eq!(n("-0"), "0");
        assert_eq!(n("1e21"), "1e+21");
        assert_eq!(n("1e20"), "100000000000000000000");
        assert_eq!(n("0.000001"), "0.000001");
        assert_eq!(n("0.0000001"), "1e-7");
        assert_eq!(n("1.5e-10"), "1.5e-10");
        assert_eq!(n("1.7976931348623157e308"), "1.7976931348623157e+308");
        assert_eq!(n("9223372036854775807"), "9223372036854775807");
        // Beyond int64, a float64 (kubectl's decoder falls back to one).
        assert_eq!(n("18446744073709551615"), "18446744073709552000");
        // A fuzz campaign's input: below int64, a float64 printed whole.
        assert_eq!(n("-14467440737095530000"), "-14467440737095530000");
        assert_eq!(n("-9223372036854775809"), "-9223372036854776000");
    }

    #[test]
    fn maps_sort_their_keys_and_lists_of_scalars_open_a_line_each() {
        assert_eq!(body(json!({"b": 2, "a": [1, "x"]})), "{\n  a: [\n    1,\n    \"x\",\n  ],\n  b: 2,\n}");
    }

    #[test]
    fn lists_of_collections_are_cuddled() {
        assert_eq!(body(json!([{"a": 1}, [], {}])), "[{\n  a: 1,\n}, [], {}]");
        assert_eq!(body(json!({"k": [[1], [2]]})), "{\n  k: [[\n    1,\n  ], [\n    2,\n  ]],\n}");
    }

    #[test]
    fn keys_are_quoted_when_ambiguous_or_unusual() {
        let out = body(json!({
            "no": 1, "1": 2, "_": 3, "with-dash": 4, "-lead": 5, "trail.": 6, "a b": 7, "": 8,
            "2006-1-2": 9, "x\ny": 10, "tab\t": 11, "nöel": 12, "with/slash": 13
        }));
        for line in [
            "  \"\": 8,",
            "  \"-lead\": 5,",
            "  \"1\": 2,",
            "  \"2006-1-2\": 9,",
            "  _: 3,",
            "  \"a b\": 7,",
            "  \"no\": 1,",
            "  nöel: 12,",
            "  \"tab\\t\": 11,",
            "  \"trail.\": 6,",
            "  with-dash: 4,",
            "  with/slash: 13,",
            "  \"x\\ny\": 10,",
        ] {
            assert!(out.lines().any(|l| l == line), "{line:?} missing from\n{out}");
        }
    }

    #[test]
    fn escapes() {
        let cases = [
            ("\\", r#""\\""#),
            ("\"", r#""\"""#),
            ("\u{7}", r#""\a""#),
            ("\u{8}", r#""\b""#),
            ("\u{c}", r#""\f""#),
            ("\r", r#""\r""#),
            ("\t", "\"\t\""),
            ("\u{b}", r#""\v""#),
            ("\0", r#""\0""#),
            ("\u{1b}", r#""\e""#),
            // (U+0085 reads \N in a key; in a value kubectl folds it, below.)
            ("\u{a0}", r#""\_""#),
            ("\u{2028}", r#""\L""#),
            ("\u{2029}", r#""\P""#),
            ("\u{1}", r#""\x01""#),
            ("\u{7f}", r#""\x7f""#),
            ("\u{202e}", r#""\u202e""#),
            ("\u{ffff}", r#""\uffff""#),
            ("\u{10ffff}", r#""\U0010ffff""#),
            ("é😀", "\"é😀\""),
        ];
        for (input, want) in cases {
            assert_eq!(body(json!(input)), want, "{input:?}");
        }
    }

    #[test]
    fn next_line_characters_in_values_fold_as_kubectl_folds_them() {
        let cases = [
            ("a\u{85}b", "\"a b\""),
            ("a \u{85} b", "\"a b\""),
            ("\u{85}", "\" \""),
            ("a  \u{85}", "\"a \""),
            ("a \u{85} \u{85}  b", "\"\\\n   a\\n\\\n   b\\\n  \""),
            ("a\u{85} \u{85} \u{85}b", "\"\\\n   a\\n\\\n   \\n\\\n   b\\\n  \""),
        ];
        for (input, want) in cases {
            assert_eq!(body(json!(input)), want, "{input:?}");
        }
        assert_eq!(body(json!({"\u{85}": 1})), "{\n  \"\\N\": 1,\n}");
    }

    #[test]
    fn multi_line_strings_fold_one_level_below_their_key() {
        assert_eq!(body(json!("\n")), "\"\\\n   \\n\\\n  \"");
        assert_eq!(body(json!({"k": "a\n  b\nc"})), "{\n  k: \"\\\n     a\\n\\\n    \\  b\\n\\\n     c\\\n    \",\n}");
        assert_eq!(body(json!(["x\n"])), "[\n  \"\\\n     x\\n\\\n    \",\n]");
    }
}
