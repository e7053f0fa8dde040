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
    /// `-L KEY`: the label's value, empty when the object lacks it (kubectl's label columns).
    Label { header: String, key: String },
    /// `--show-labels`: every label, `k=v` sorted and comma-separated, `<none>` for none.
    Labels,
    /// `--output-watch-events`: the event's type; the printer fills it in.
    Event,
    /// `--contexts`: the kubeconfig context the row was read from; the printer fills it in.
    Context,
}

/// Where the fields of the label columns live.
const LABELS_FIELD: [&str; 2] = ["metadata", "labels"];

impl Spec {
    /// The header.
    pub fn header(&self) -> &str {
        match self {
            Spec::Plain(c) | Spec::Age(c) | Spec::KindName(c) => &c.header,
            Spec::Label { header, .. } => header,
            Spec::Labels => "LABELS",
            Spec::Event => "EVENT",
            Spec::Context => "CONTEXT",
        }
    }

    /// `-L KEY`'s column: the header is the key's last `/`-separated part, upper-cased (as
    /// kubectl heads it: `app.kubernetes.io/name` is `NAME`).
    pub fn label(key: &str) -> Spec {
        Spec::Label { header: key.rsplit('/').next().unwrap_or(key).to_uppercase(), key: key.to_string() }
    }

    /// The compiled template, for the columns that have one.
    pub fn template(&self) -> Option<&Template> {
        match self {
            Spec::Plain(c) | Spec::Age(c) | Spec::KindName(c) => Some(&c.template),
            Spec::Label { .. } | Spec::Labels | Spec::Event | Spec::Context => None,
        }
    }

    /// The fields the column reads.
    pub fn fields(&self) -> Vec<Vec<String>> {
        let mut fields = self.template().map(Template::fields).unwrap_or_default();
        match self {
            Spec::KindName(_) => fields.extend([vec!["apiVersion".to_string()], vec!["kind".to_string()]]),
            Spec::Label { .. } | Spec::Labels => fields.push(LABELS_FIELD.iter().map(|s| s.to_string()).collect()),
            _ => {}
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
            Spec::Label { key, .. } => {
                let value = obj.pointer("/metadata/labels").and_then(|l| l.get(key)).and_then(Value::as_str);
                let value = value.unwrap_or_default();
                Ok(if terminal { kubectl_kit_core::output::escape(value) } else { value.to_string() })
            }
            Spec::Labels => {
                let text = format_labels(obj.pointer("/metadata/labels"));
                Ok(if terminal { kubectl_kit_core::output::escape(&text) } else { text })
            }
            // The printer writes the event's type and the context itself.
            Spec::Event | Spec::Context => Ok(String::new()),
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

/// kubectl's `labels.FormatLabels`: `k=v` pairs sorted as strings, joined by `,`; `<none>`.
pub fn format_labels(labels: Option<&Value>) -> String {
    let mut pairs: Vec<String> = labels
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect())
        .unwrap_or_default();
    if pairs.is_empty() {
        return "<none>".into();
    }
    pairs.sort_unstable();
    pairs.join(",")
}

/// The EVENT cell kubectl writes for a watch event's type: padded to 8 characters.
pub fn event_cell(kind: &str) -> String {
    match kind {
        "ADDED" => "ADDED   ".into(),
        "DELETED" => "DELETED ".into(),
        "ERROR" => "ERROR   ".into(),
        other => other.to_string(),
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

    /// kubectl's `-L` and `--show-labels` cells (humanreadable_flags_test.go, labels.go).
    #[test]
    fn label_columns_read_as_kubectls() {
        let obj = json!({"metadata": {"labels": {"app.kubernetes.io/name": "web", "b": "2", "a": "1", "a-b": "3"}}});
        let l = Spec::label("app.kubernetes.io/name");
        assert_eq!((l.header(), l.cell(&obj).ok()), ("NAME", Some("web".to_string())));
        let missing = Spec::label("first-label");
        assert_eq!((missing.header(), missing.cell(&obj).ok()), ("FIRST-LABEL", Some(String::new())));
        // Sorted as whole `k=v` strings: `a-b=3` sorts before `a=1` ('-' < '=').
        assert_eq!(Spec::Labels.cell(&obj).ok().as_deref(), Some("a-b=3,a=1,app.kubernetes.io/name=web,b=2"));
        assert_eq!(Spec::Labels.cell(&json!({"metadata": {}})).ok().as_deref(), Some("<none>"));
        assert_eq!(event_cell("ADDED"), "ADDED   ");
        assert_eq!(event_cell("MODIFIED"), "MODIFIED");
    }
}
