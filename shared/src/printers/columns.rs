//! kubectl's custom-columns: spec and file parsing, relaxed JSONPath, cell rendering, and the
//! JSON/number conventions of `kubectl get` output, so that every byte matches kubectl's.
//!
//! - `NAME:PATH,…` splits on every comma and at the first colon of each part;
//!   `RelaxedJSONPathExpression` turns `metadata.name`, `.metadata.name` or `{.metadata.name}`
//!   into `{.metadata.name}`.
//! - A cell is every result of the column's template, printed with Go's `fmt.Sprint` and joined
//!   with `,`; `<none>` when the template finds nothing (a JSON null prints `<nil>`).
//! - Lists are normalised as kubectl's JSON round trip does ([`normalize_list_item`]): integral
//!   floats become integers, and each item gets `apiVersion` and `kind`.

use serde_json::Value;

use crate::jsonpath::{JsonPathError, Template};

/// A caret under the character where a template stops parsing, for a `hint:` line.
pub fn point_at(template: &str) -> Option<String> {
    let at = Template::error_offset(template)?;
    Some(format!("the template stops parsing at character {}:\n  {template}\n  {}^", at + 1, " ".repeat(at)))
}

/// One column: its header and its compiled template.
#[derive(Debug, Clone)]
pub struct Column {
    /// The header, verbatim.
    pub header: String,
    /// The relaxed JSONPath expression (`{.metadata.name}`), as kubectl shows it in errors.
    pub path: String,
    /// The compiled template (missing keys allowed, as kubectl's printer sets).
    pub template: Template,
}

/// A spec or template error, with kubectl's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub String);

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// kubectl's `RelaxedJSONPathExpression`: `^\{\.?([^{}]+)\}$|^\.?([^{}]+)$` → `{.…}`.
pub fn relaxed(path: &str) -> Result<String, SpecError> {
    if path.is_empty() {
        return Ok(String::new());
    }
    let bad = || {
        SpecError(
            "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'"
                .into(),
        )
    };
    let inner = if let Some(rest) = path.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        let rest = rest.strip_prefix('.').unwrap_or(rest);
        if rest.is_empty() || rest.contains(['{', '}']) {
            // `{…}` did not match; try the bare form, which cannot hold braces either.
            return Err(bad());
        }
        rest
    } else {
        let rest = path.strip_prefix('.').unwrap_or(path);
        if rest.is_empty() || rest.contains(['{', '}']) {
            return Err(bad());
        }
        rest
    };
    Ok(format!("{{.{inner}}}"))
}

impl Column {
    /// A column from a header and a (relaxed) path.
    pub fn new(header: &str, path: &str) -> Result<Self, SpecError> {
        let relaxed = relaxed(path)?;
        let template = Template::parse(&relaxed).map_err(|e| SpecError(e.0))?.allow_missing_keys(true);
        Ok(Column { header: header.to_string(), path: relaxed, template })
    }

    /// The cell for one object: kubectl's `printOneObject`.
    pub fn cell(&self, obj: &Value) -> Result<String, JsonPathError> {
        self.render(obj, true)
    }

    /// The cell's exact text, without kubectl's terminal escaping (for JSON/YAML/CSV output).
    pub fn cell_raw(&self, obj: &Value) -> Result<String, JsonPathError> {
        self.render(obj, false)
    }

    fn render(&self, obj: &Value, terminal: bool) -> Result<String, JsonPathError> {
        let sets = self.template.find_results(obj)?;
        if sets.first().is_none_or(|s| s.is_empty()) {
            return Ok("<none>".into());
        }
        let mut parts = vec![];
        for set in &sets {
            for v in set {
                let text = v.to_go_string();
                parts.push(if terminal { escape_terminal(&text) } else { text });
            }
        }
        Ok(parts.join(","))
    }
}

/// kubectl's `EscapeTerminal`: ESC → `^[`, CR → `\r`. (Our table renderer escapes more.)
pub fn escape_terminal(s: &str) -> String {
    if s.contains(['\u{1b}', '\r']) { s.replace('\u{1b}', "^[").replace('\r', "\\r") } else { s.to_string() }
}

/// Parses `-o custom-columns=SPEC`: every part is split and its path relaxed before any
/// template is compiled, so the errors come in kubectl's order.
pub fn parse_spec(spec: &str) -> Result<Vec<Column>, SpecError> {
    if spec.is_empty() {
        return Err(SpecError("custom-columns format specified but no custom columns given".into()));
    }
    let parts: Vec<(&str, String)> = spec
        .split(',')
        .map(|part| match part.split_once(':') {
            Some((h, p)) => relaxed(p).map(|p| (h, p)),
            None => {
                Err(SpecError(format!("unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")))
            }
        })
        .collect::<Result<_, _>>()?;
    parts
        .into_iter()
        .enumerate()
        .map(|(i, (h, p))| Column::new(h, &p).map_err(|e| SpecError(format!("{}\n{}", e.0, locate_column(i, h, &p)))))
        .collect()
}

/// Names the column (1-based) of a bad template and points at the character.
fn locate_column(index: usize, header: &str, path: &str) -> String {
    let mut s = format!("hint: in column {} ({header:?})", index + 1);
    if let Some(p) = point_at(path) {
        s.push_str(&format!(", {p}"));
    }
    s
}

/// Parses a custom-columns file: a line of headers and a line of paths, whitespace-separated.
pub fn parse_file(text: &str) -> Result<Vec<Column>, SpecError> {
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let expected = "Expected format is one line of space separated headers, one line of space separated column specs.";
    let headers: Vec<&str> = lines
        .next()
        .filter(|_| !text.is_empty())
        .ok_or_else(|| SpecError(format!("invalid template, missing header line. {expected}")))?
        .split_whitespace()
        .collect();
    let specs: Vec<&str> = lines
        .next()
        .ok_or_else(|| SpecError(format!("invalid template, missing spec line. {expected}")))?
        .split_whitespace()
        .collect();
    if headers.len() != specs.len() {
        return Err(SpecError(format!(
            "number of headers ({}) and field specifications ({}) don't match",
            headers.len(),
            specs.len()
        )));
    }
    let relaxed: Vec<String> = specs.iter().map(|s| relaxed(s)).collect::<Result<_, _>>()?;
    headers.iter().zip(relaxed).map(|(h, p)| Column::new(h, &p)).collect()
}

/// What `kubectl get` does to each listed item before printing: its JSON round trip turns
/// integral floats below 2^63 into integers, and the unstructured decoder fills in
/// `apiVersion` and `kind`.
pub fn normalize_list_item(item: &mut Value, api_version: &str, kind: &str) {
    normalize_numbers(item);
    if let Value::Object(map) = item {
        if !map.contains_key("apiVersion") {
            map.insert("apiVersion".into(), Value::String(api_version.into()));
        }
        if !map.contains_key("kind") {
            map.insert("kind".into(), Value::String(kind.into()));
        }
    }
}

fn normalize_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                // encoding/json writes |f| in [1e-6, 1e21) without exponent; integral ones read
                // back as int64 when they fit.
                if f.fract() == 0.0 && f.abs() < 1e21 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
                    *v = Value::from(f as i64);
                }
            }
        }
        Value::Number(n) if n.is_u64() && n.as_i64().is_none() => {
            // Beyond int64: Go keeps it as float64.
            if let Some(f) = n.as_f64().and_then(serde_json::Number::from_f64) {
                *v = Value::Number(f);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_numbers),
        Value::Object(map) => map.values_mut().for_each(normalize_numbers),
        _ => {}
    }
}

/// `kubectl -o jsonpath` output for a value: composites as Go JSON, the rest as `fmt.Sprint`.
pub fn jsonpath_text(template: &Template, data: &Value) -> Result<String, JsonPathError> {
    template.execute(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn relaxed_paths_follow_kubectl() {
        for p in ["metadata.name", ".metadata.name", "{metadata.name}", "{.metadata.name}"] {
            assert_eq!(relaxed(p).as_deref(), Ok("{.metadata.name}"));
        }
        assert_eq!(relaxed("..name").as_deref(), Ok("{..name}"));
        for bad in ["{.a}{.b}", "{}", "{.a", "."] {
            assert!(relaxed(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn specs_split_like_kubectl() {
        let cols = parse_spec("NAME:.metadata.name,S:.x[0:2]").expect("spec");
        assert_eq!(cols[1].path, "{.x[0:2]}");
        assert_eq!(
            parse_spec("NAME").map(|_| ()).unwrap_err().0,
            "unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>"
        );
        assert_eq!(
            parse_spec("A:.a[0,1]").map(|_| ()).unwrap_err().0,
            "unexpected custom-columns spec: 1], expected <header>:<json-path-expr>"
        );
        let file = parse_file("NAME   IP\n.metadata.name {.status.podIP}\n").expect("file");
        assert_eq!(file.len(), 2);
        assert_eq!(
            parse_file("A B\n.a\n").map(|_| ()).unwrap_err().0,
            "number of headers (2) and field specifications (1) don't match"
        );
        assert!(parse_file("").unwrap_err().0.starts_with("invalid template, missing header line."));
    }

    #[test]
    fn cells_render_like_kubectl() {
        let pod = json!({"metadata": {"name": "a\u{1b}b", "labels": {"x": "1"}}, "status": {"n": null},
                         "spec": {"containers": [{"image": "i1"}, {"image": "i2"}]}});
        let cell =
            |p: &str| Column::new("H", p).and_then(|c| c.cell(&pod).map_err(|e| SpecError(e.0))).unwrap_or_default();
        assert_eq!(cell(".metadata.name"), "a^[b");
        assert_eq!(cell(".spec.containers[*].image"), "i1,i2");
        assert_eq!(cell(".metadata.labels"), "map[x:1]");
        assert_eq!(cell(".status.n"), "<nil>");
        assert_eq!(cell(".status.missing"), "<none>");
    }

    #[test]
    fn list_items_are_normalised_like_the_round_trip() {
        let mut item = json!({"a": 1e6, "b": 0.5, "c": 1e21, "d": 3.0, "e": [2.0]});
        normalize_list_item(&mut item, "v1", "Pod");
        assert_eq!(item["a"], json!(1000000));
        assert!(item["b"].is_f64() && item["c"].is_f64());
        assert_eq!(item["d"], json!(3));
        assert_eq!(item["e"], json!([2]));
        assert_eq!((item["apiVersion"].as_str(), item["kind"].as_str()), (Some("v1"), Some("Pod")));
    }
}
