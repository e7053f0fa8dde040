//! The one object kubectl cannot print as KYAML although it is valid JSON: one with a key
//! longer than YAML lets a key be.
//!
//! kubectl's KYAML printer hands the encoder the object as `encoding/json` wrote it, and the
//! encoder reads that JSON back with a YAML parser first. That parser stops looking for a key's
//! `:` 1024 characters after the key's opening quote, so a key whose JSON form (quotes and
//! escapes included, counted in characters) is longer than 1024 fails the whole document:
//! `error decoding: yaml: did not find expected ',' or '}'`. cols refuses the same documents
//! with the same first line rather than print a key YAML parsers refuse.

use serde_json::Value;

/// The most characters a key's JSON form (with its quotes) may have.
const KEY_LIMIT: usize = 1024;

/// A key kubectl's KYAML printer cannot get through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongKey {
    /// Where it is: the keys and indexes above it, then the start of the key itself.
    pub path: String,
    /// Its length as `encoding/json` writes it, quotes included, in characters.
    pub length: usize,
}

/// The first key, in the order kubectl prints them (keys sorted at each level), whose JSON form
/// is past YAML's limit; `None` when kubectl prints the document.
pub fn long_key(value: &Value) -> Option<LongKey> {
    find(value, &mut String::new())
}

fn find(value: &Value, path: &mut String) -> Option<LongKey> {
    match value {
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let hit = find(item, path);
            path.truncate(len);
            hit
        }),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            keys.into_iter().find_map(|key| {
                let length = json_length(key);
                if length > KEY_LIMIT {
                    let start: String = key.chars().take(24).collect();
                    return Some(LongKey { path: format!("{path}[{start:?}…]"), length });
                }
                let len = path.len();
                push_key(key, path);
                let hit = map.get(key).and_then(|v| find(v, path));
                path.truncate(len);
                hit
            })
        }
        _ => None,
    }
}

/// `.name` for a plain key, `["…"]` for any other.
fn push_key(key: &str, path: &mut String) {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')) {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{key:?}]"));
    }
}

/// The characters `encoding/json` writes for `s` as a string, quotes included: `\"`, `\\`,
/// `\n`, `\r`, `\t`, `\b`, `\f` take two, other controls below a space and the HTML characters
/// `<`, `>`, `&` and U+2028, U+2029 take six (`\u003c`), any other character one.
fn json_length(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            '\0'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => 6,
            _ => 1,
        })
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keyed(key: &str) -> Value {
        json!({"spec": {"keys": [{ key: 1 }]}})
    }

    /// The edges, each checked against kubectl's printer (`tests/tests/kyaml.rs`).
    #[test]
    fn a_key_is_measured_as_json_writes_it() {
        assert_eq!(long_key(&keyed(&"k".repeat(1022))), None);
        let hit = long_key(&keyed(&"k".repeat(1023))).expect("past the limit");
        assert_eq!(hit.length, 1025);
        assert_eq!(hit.path, format!(".spec.keys[0][{:?}…]", "k".repeat(24)));
        // Two characters each.
        assert_eq!(long_key(&keyed(&"\"".repeat(511))), None);
        assert!(long_key(&keyed(&"\n".repeat(512))).is_some());
        assert_eq!(long_key(&keyed(&"\u{8}".repeat(511))), None);
        // Six each.
        assert_eq!(long_key(&keyed(&"\u{1}".repeat(170))), None);
        assert!(long_key(&keyed(&"\u{1}".repeat(171))).is_some());
        assert!(long_key(&keyed(&"<".repeat(171))).is_some());
        assert!(long_key(&keyed(&"\u{2028}".repeat(171))).is_some());
        // Characters, not bytes or UTF-16 units.
        assert_eq!(long_key(&keyed(&"é".repeat(1022))), None);
        assert_eq!(long_key(&keyed(&"😀".repeat(1022))), None);
        assert!(long_key(&keyed(&"😀".repeat(1023))).is_some());
    }

    #[test]
    fn values_have_no_limit_and_the_first_key_in_print_order_is_named() {
        assert_eq!(long_key(&json!({"v": "k".repeat(5000), "list": ["k".repeat(5000)]})), None);
        let doc = json!({"b": {"x".repeat(2000): 1}, "a": {"y".repeat(2000): 1}});
        assert!(long_key(&doc).is_some_and(|k| k.path.starts_with(".a[\"yyy")));
        let odd = json!({"a b": {"z".repeat(2000): 1}});
        assert!(long_key(&odd).is_some_and(|k| k.path.starts_with("[\"a b\"][\"zzz")));
    }
}
