//! Every byte the suite prints goes through here: kubectl-style tables, `-o json|yaml|name`,
//! and quiet exit on a closed pipe. Server-provided text is escaped for the terminal by
//! [`crate::terminal`] (re-exported here as [`escape`]).
//!
//! Tables reproduce kubectl's `text/tabwriter` settings (minimum cell width 6, padding 3, cells
//! measured in runes, no padding after the last column), so column layout matches `kubectl get`.

use std::io::{self, Write};

pub use crate::terminal::escape;

/// A table in kubectl's style: upper-case headers, no borders, columns three spaces apart.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers (printed as given; kubectl's are upper case).
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        Self { headers: headers.into_iter().map(Into::into).collect(), rows: vec![] }
    }

    /// Adds a row; cells are escaped for the terminal when rendered.
    pub fn push<S: Into<String>>(&mut self, row: impl IntoIterator<Item = S>) {
        self.rows.push(row.into_iter().map(Into::into).collect());
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the table has no data rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders the table; with `headers == false` the header line is left out (`--no-headers`).
    pub fn render(&self, headers: bool) -> String {
        let mut lines: Vec<Vec<String>> = Vec::with_capacity(self.rows.len() + 1);
        if headers && !self.headers.is_empty() {
            lines.push(self.headers.clone());
        }
        lines.extend(self.rows.iter().map(|r| r.iter().map(|c| escape(c)).collect()));
        tabwrite(&lines)
    }
}

/// Lays out lines of cells as kubectl does (see [`crate::printers::tabwriter`]).
pub fn tabwrite(lines: &[Vec<String>]) -> String {
    crate::printers::tabwriter::tabwrite(lines)
}

/// `-o` for a listing as `kubectl get` prints one: a table (wide or not), JSON, YAML or names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// The default human table.
    Table,
    /// The table with extra columns.
    Wide,
    /// JSON, indented by four spaces like kubectl.
    Json,
    /// YAML.
    Yaml,
    /// `resource/name`-style names, one a line.
    Name,
}

impl crate::flags::Formats for Format {
    const NAMES: &'static [&'static str] = &["json", "name", "wide", "yaml"];

    fn pick(name: &str, _: Option<&str>) -> Option<Self> {
        Some(match name {
            "" => Format::Table,
            "wide" => Format::Wide,
            "json" => Format::Json,
            "yaml" => Format::Yaml,
            "name" => Format::Name,
            _ => return None,
        })
    }
}

/// `-o` for a report: its table (`wide` is the same table, accepted out of habit), or the data
/// behind it as JSON or YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Table,
    Json,
    Yaml,
}

impl crate::flags::Formats for Report {
    const NAMES: &'static [&'static str] = &["json", "wide", "yaml"];

    fn pick(name: &str, _: Option<&str>) -> Option<Self> {
        Some(match name {
            "" | "wide" => Report::Table,
            "json" => Report::Json,
            "yaml" => Report::Yaml,
            _ => return None,
        })
    }
}

impl Report {
    /// The JSON or YAML text of `value`; `None` for the table, which the command prints itself.
    pub fn data(self, value: &impl serde::Serialize) -> crate::Result<Option<String>> {
        match self {
            Report::Table => Ok(None),
            Report::Json => to_json(value).map(Some),
            Report::Yaml => to_yaml(value).map(Some),
        }
    }
}

/// JSON as kubectl prints it: four-space indentation and a trailing newline.
pub fn to_json(value: &impl serde::Serialize) -> crate::Result<String> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    value.serialize(&mut ser).map_err(|e| crate::Error::runtime("could not encode JSON").caused_by(e))?;
    buf.push(b'\n');
    String::from_utf8(buf).map_err(|e| crate::Error::runtime("could not encode JSON").caused_by(e))
}

/// YAML output.
pub fn to_yaml(value: &impl serde::Serialize) -> crate::Result<String> {
    serde_yaml::to_string(value).map_err(|e| crate::Error::runtime("could not encode YAML").caused_by(e))
}

/// Writes to stdout; a closed pipe (`| head`) ends the process quietly with status 0.
pub fn out(text: &str) {
    write_or_exit(&mut io::stdout().lock(), text.as_bytes(), true);
}

/// [`out`] for bytes that need not be UTF-8 (a template's output: `base64decode` of a binary
/// secret is printed as it is, as kubectl prints it).
pub fn out_bytes(bytes: &[u8]) {
    write_or_exit(&mut io::stdout().lock(), bytes, true);
}

static STDERR_SILENCED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Drops everything later written to stderr. Completion mode needs it: kubectl passes the
/// completer's stderr to the terminal the user is typing in.
pub fn silence_stderr() {
    STDERR_SILENCED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// What a progress display on the terminal does around every other write to stderr: clear
/// itself, let the write happen, draw itself again below it (indicatif's `suspend`).
pub type Suspend = dyn Fn(&mut dyn FnMut()) + Send + Sync;

static STDERR_SUSPEND: std::sync::Mutex<Option<std::sync::Arc<Suspend>>> = std::sync::Mutex::new(None);

/// While a progress display owns the bottom of the terminal, stderr writes (warnings, `-v=6`
/// lines) go through `suspend`, so that they never print over it; `None` when it is gone.
pub fn suspend_stderr_with(suspend: Option<std::sync::Arc<Suspend>>) {
    *STDERR_SUSPEND.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = suspend;
}

/// Writes to stderr (diagnostics, warnings, progress).
pub fn err(text: &str) {
    if STDERR_SILENCED.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let suspend = STDERR_SUSPEND.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    match suspend {
        Some(suspend) => suspend(&mut || write_or_exit(&mut io::stderr().lock(), text.as_bytes(), false)),
        None => write_or_exit(&mut io::stderr().lock(), text.as_bytes(), false),
    }
}

/// Prints `Warning: …` on stderr, as kubectl does for warnings.
pub fn warn(text: &str) {
    err(&format!("Warning: {}\n", escape(text)));
}

fn write_or_exit(w: &mut impl Write, bytes: &[u8], is_stdout: bool) {
    let res = w.write_all(bytes).and_then(|()| w.flush());
    if let Err(e) = res {
        if e.kind() == io::ErrorKind::BrokenPipe {
            // A reader that went away (`| head`) is not an error for a command-line tool.
            std::process::exit(0);
        }
        if is_stdout {
            let _ = writeln!(io::stderr(), "error: could not write to standard output: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_kubectl_tabwriter() {
        let mut t = Table::new(["NAME", "SHORTNAMES", "NAMESPACED"]);
        t.push(["pods", "po", "true"]);
        t.push(["bindings", "", "true"]);
        assert_eq!(
            t.render(true),
            "NAME       SHORTNAMES   NAMESPACED\npods       po           true\nbindings                true\n"
        );
        // Without headers, widths come from the data alone, as with `kubectl get --no-headers`.
        assert_eq!(t.render(false), "pods       po    true\nbindings         true\n");
    }

    #[test]
    fn narrow_columns_take_the_minimum_width() {
        let lines = vec![vec!["A".to_string(), "B".to_string()], vec!["x".to_string(), "y".to_string()]];
        assert_eq!(tabwrite(&lines), "A     B\nx     y\n");
    }

    #[test]
    fn widths_count_runes_not_bytes() {
        let lines = vec![vec!["ÄÖÜ".to_string(), "x".to_string()], vec!["abcdef".to_string(), "y".to_string()]];
        assert_eq!(tabwrite(&lines), "ÄÖÜ      x\nabcdef   y\n");
    }

    #[test]
    fn table_cells_are_escaped() {
        let mut t = Table::new(["NAME"]);
        t.push(["evil\u{1b}]0;title\u{7}"]);
        assert!(!t.render(true).contains('\u{1b}'));
    }

    #[test]
    fn stderr_writes_go_through_the_progress_display_while_it_is_up() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        suspend_stderr_with(Some(Arc::new(move |write: &mut dyn FnMut()| {
            seen.fetch_add(1, Ordering::Relaxed);
            write();
        })));
        err("");
        warn("retrying");
        suspend_stderr_with(None);
        err("");
        assert_eq!(calls.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn json_uses_four_spaces() {
        let v = serde_json::json!({"a": [1]});
        assert_eq!(to_json(&v).unwrap_or_default(), "{\n    \"a\": [\n        1\n    ]\n}\n");
    }

    #[test]
    fn formats_are_checked_against_the_commands_list() {
        use crate::flags::OutputFlags;
        let flags = |o: &str| OutputFlags::<Format>::with(Some(o.to_string()));
        assert_eq!(flags("json").format().ok(), Some(Format::Json));
        assert_eq!(OutputFlags::<Format>::default().format().ok(), Some(Format::Table));
        let e = flags("xml").format().err().map(|e| (e.exit_code(), e.to_string()));
        assert_eq!(
            e,
            Some((
                2,
                "error: unable to match a printer suitable for the output format \"xml\", allowed formats are: json,name,wide,yaml".into()
            ))
        );
        // A report has no `name` form.
        let e = OutputFlags::<Report>::with(Some("name".into())).format().err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.ends_with("allowed formats are: json,wide,yaml")));
        assert_eq!(OutputFlags::<Report>::with(Some("wide".into())).format().ok(), Some(Report::Table));
    }
}
