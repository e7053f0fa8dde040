//! The column spec of presets and `--add`: kubectl's `HEADER:PATH`, plus helpers kubectl lacks:
//! `label:KEY` and `annotation:KEY` (the key's dots escaped for you, header from the key's last
//! segment), `HEADER:label:KEY`, and `HEADER:PATH|age` (a timestamp shown as kubectl shows ages).

use kubectl_kit_core::jsonpath::{JsonPathError, Template};
use kubectl_kit_core::printers::columns::Column;
use serde_json::Value;

/// One column of a preset or `--add`.
#[derive(Debug, Clone)]
pub enum Spec {
    /// kubectl's column.
    Plain(Column),
    /// A timestamp column printed as an age.
    Age(Column),
    /// `-o name`: `kind.group/name`, as kubectl's name printer writes it.
    KindName(Column),
}

impl Spec {
    /// The header.
    pub fn header(&self) -> &str {
        match self {
            Spec::Plain(c) | Spec::Age(c) | Spec::KindName(c) => &c.header,
        }
    }

    /// The compiled template.
    pub fn template(&self) -> &Template {
        match self {
            Spec::Plain(c) | Spec::Age(c) | Spec::KindName(c) => &c.template,
        }
    }

    /// The fields the column reads.
    pub fn fields(&self) -> Vec<Vec<String>> {
        let mut fields = self.template().fields();
        if let Spec::KindName(_) = self {
            fields.extend([vec!["apiVersion".to_string()], vec!["kind".to_string()]]);
        }
        fields
    }

    /// The cell for one object, escaped as kubectl escapes table cells.
    pub fn cell(&self, obj: &Value) -> Result<String, JsonPathError> {
        self.render(obj, true)
    }

    /// The cell's exact text, for data formats.
    pub fn cell_raw(&self, obj: &Value) -> Result<String, JsonPathError> {
        self.render(obj, false)
    }

    fn render(&self, obj: &Value, terminal: bool) -> Result<String, JsonPathError> {
        let cell = |c: &Column| if terminal { c.cell(obj) } else { c.cell_raw(obj) };
        match self {
            Spec::Plain(c) => cell(c),
            Spec::Age(c) => {
                let raw = cell(c)?;
                Ok(if raw == "<none>" { raw } else { kubectl_kit_core::time::age(&raw) })
            }
            Spec::KindName(_) => {
                let text = |pointer: &str| obj.pointer(pointer).and_then(Value::as_str);
                let kind = text("/kind").unwrap_or_default().to_lowercase();
                let group = text("/apiVersion").and_then(|v| v.split_once('/')).map_or("", |(g, _)| g);
                let name = text("/metadata/name").unwrap_or_default();
                let name = if terminal { kubectl_kit_core::output::escape(name) } else { name.to_string() };
                Ok(if group.is_empty() { format!("{kind}/{name}") } else { format!("{kind}.{group}/{name}") })
            }
        }
    }
}

/// `-o name`'s one column (it reads `apiVersion`, `kind` and `metadata.name`).
pub fn kind_name() -> Result<Spec, String> {
    Column::new("NAME", "{.metadata.name}").map(Spec::KindName).map_err(|e| e.0)
}

/// Parses `ITEM,ITEM,…`.
pub fn parse(spec: &str) -> Result<Vec<Spec>, String> {
    if spec.trim().is_empty() {
        return Err("no columns given".into());
    }
    spec.split(',').map(item).collect()
}

fn item(part: &str) -> Result<Spec, String> {
    for (prefix, field) in [("label:", "labels"), ("annotation:", "annotations")] {
        if let Some(key) = part.strip_prefix(prefix) {
            return keyed(&derive_header(key), field, key);
        }
    }
    let (header, path) = part
        .split_once(':')
        .ok_or_else(|| format!("unexpected column {part:?}, expected HEADER:PATH, label:KEY or annotation:KEY"))?;
    for (prefix, field) in [("label:", "labels"), ("annotation:", "annotations")] {
        if let Some(key) = path.strip_prefix(prefix) {
            return keyed(header, field, key);
        }
    }
    let (path, age) = match path.strip_suffix("|age") {
        Some(p) => (p, true),
        None => (path, false),
    };
    let col = Column::new(header, path).map_err(|e| format!("column {header:?}: {e}"))?;
    Ok(if age { Spec::Age(col) } else { Spec::Plain(col) })
}

fn keyed(header: &str, field: &str, key: &str) -> Result<Spec, String> {
    if key.is_empty() {
        return Err(format!("{field} key missing in column {header:?}"));
    }
    let escaped = key.replace('.', "\\.");
    Column::new(header, &format!(".metadata.{field}.{escaped}")).map(Spec::Plain).map_err(|e| e.0)
}

/// `topology.kubernetes.io/zone` → `ZONE`, `team-name` → `TEAM_NAME`.
fn derive_header(key: &str) -> String {
    key.rsplit('/').next().unwrap_or(key).to_uppercase().replace(['-', '.'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shortcuts_escape_keys_and_name_headers() {
        let obj = json!({"metadata": {"labels": {"topology.kubernetes.io/zone": "z1", "team": "a"}, "annotations": {"owner": "me"},
                          "creationTimestamp": "2000-01-01T00:00:00Z"}});
        let cols = parse("label:topology.kubernetes.io/zone,T:label:team,annotation:owner,AGE:.metadata.creationTimestamp|age,X:.nope|age")
            .expect("parses");
        let headers: Vec<&str> = cols.iter().map(Spec::header).collect();
        assert_eq!(headers, ["ZONE", "T", "OWNER", "AGE", "X"]);
        let cells: Vec<String> = cols.iter().map(|c| c.cell(&obj).unwrap_or_default()).collect();
        assert_eq!(&cells[..3], ["z1", "a", "me"]);
        assert!(cells[3].ends_with('y'), "{}", cells[3]);
        assert_eq!(cells[4], "<none>");
        assert!(parse("NOPE").is_err());
        assert!(parse("label:").is_err());
    }
}
