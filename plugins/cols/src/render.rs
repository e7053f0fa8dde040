//! Rows → text: custom-columns and preset tables laid out by kubectl's tabwriter, the
//! projected table as JSON, YAML, CSV or Markdown, and whole objects through JSONPath, Go
//! templates or KYAML.
//!
//! Cells are made as objects arrive and kept compact (see `rows`): column widths need every
//! row. Like kubectl, a failing cell stops the output at its row (in print order): the rows
//! before it are printed, then the error.

use std::collections::BTreeMap;

use kubectl_kit_core::jsonpath::Template;
use kubectl_kit_core::output;
use kubectl_kit_core::printers::columns::Column;
use kubectl_kit_core::printers::sorting::{self, SortField};
use kubectl_kit_core::printers::tabwriter::TabWriter;
use kubectl_kit_core::{Error, Result};
use serde_json::Value;

use crate::plan::{DataFormat, ObjectFormat, Plan, View};
use crate::rows::Rows;
use crate::spec::{self, Spec};

/// How the objects print: the one choice, for the cluster's objects and for `--local` files.
pub(crate) enum Printing<'a> {
    /// `-o jsonpath…`, `-o go-template…`, `-o kyaml`: the object named, or a List of them.
    Objects(&'a ObjectFormat),
    /// Rows of columns: custom-columns, `-o name`, presets and `--add`.
    Rows(Box<RowPrinter>),
    /// kubectl's default view (the server-side Table), with the `--add` columns appended.
    DefaultView { wide: bool, added: &'a [Spec] },
}

/// What a table without presets shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bare {
    /// kubectl's default view, the server's table.
    ServerTable,
    /// NAME and KIND: files read with `--local`, which have no server.
    Kind,
    /// NAME and AGE, as kubectl prints objects without the server's table: several clusters,
    /// whose tables for one resource need not have the same columns.
    Age,
}

/// Chooses how the plan's objects print, once the columns of the presets named are known.
pub(crate) fn printing<'a>(plan: &'a Plan, presets: &[Spec], bare: Bare) -> Result<Printing<'a>> {
    let server_table = bare == Bare::ServerTable;
    let (columns, format, headers) = match &plan.view {
        View::Objects(format) => return Ok(Printing::Objects(format)),
        View::CustomColumns { columns, headers } => (columns.clone(), DataFormat::Text, *headers),
        View::Name => (vec![spec::kind_name().map_err(Error::runtime)?], DataFormat::Text, false),
        View::Columns { format, wide, added } => {
            if presets.is_empty() && *format == DataFormat::Text && server_table {
                return Ok(Printing::DefaultView { wide: *wide, added });
            }
            // kubectl's order: EVENT, NAMESPACE, NAME, the view's columns, -L, LABELS; then --add.
            let mut columns = vec![];
            if plan.watch_events {
                columns.push(Spec::Event);
            }
            if plan.all_namespaces {
                columns.push(plain("NAMESPACE", ".metadata.namespace")?);
            }
            columns.push(plain("NAME", ".metadata.name")?);
            columns.extend(presets.iter().cloned());
            match bare {
                Bare::Kind if presets.is_empty() && added.is_empty() => columns.push(plain("KIND", ".kind")?),
                Bare::Age if presets.is_empty() => columns.push(Spec::Age(
                    kubectl_kit_core::printers::columns::Column::new("AGE", ".metadata.creationTimestamp")
                        .map_err(|e| Error::usage(e.0))?,
                )),
                _ => {}
            }
            columns.extend(plan.label_columns.iter().map(|l| Spec::label(l)));
            if plan.show_labels {
                columns.push(Spec::Labels);
            }
            columns.extend(added.iter().cloned());
            (columns, *format, !plan.no_headers)
        }
    };
    Ok(Printing::Rows(Box::new(RowPrinter::new(columns, format, headers, plan.object_sort_field()?))))
}

fn plain(header: &str, path: &str) -> Result<Spec> {
    Ok(Spec::Plain(Column::new(header, path).map_err(|e| Error::usage(e.0))?))
}

/// Prints rows of columns.
pub(crate) struct RowPrinter {
    columns: Vec<Spec>,
    format: DataFormat,
    headers: bool,
    sort: Option<SortField>,
    rows: Rows,
    /// Rows whose cells failed, by row number.
    failures: BTreeMap<u32, Error>,
    tab: TabWriter,
    /// Whether the header line has been printed (a watch prints it with its first row).
    printed_headers: bool,
    /// Rows are printed as a watch prints them: the header comes with the first row.
    watch: bool,
    /// The type of the watch event being printed, for an EVENT column.
    event: String,
    /// The context the rows being added were read from, for a CONTEXT column.
    context: String,
}

impl RowPrinter {
    pub(crate) fn new(columns: Vec<Spec>, format: DataFormat, headers: bool, sort: Option<SortField>) -> Self {
        let separator = if format.is_data() { '\0' } else { '\t' };
        let rows = Rows::new(columns.len(), separator);
        RowPrinter {
            columns,
            format,
            headers,
            sort,
            rows,
            failures: BTreeMap::new(),
            tab: TabWriter::new(),
            printed_headers: false,
            watch: false,
            event: String::new(),
            context: String::new(),
        }
    }

    /// The table across contexts: CONTEXT first, then NAMESPACE, read at `namespace`, when
    /// asked and the view has none.
    pub(crate) fn across_contexts(self, contexts: bool, namespace: Option<&str>) -> Result<Self> {
        let mut columns = vec![];
        if contexts {
            columns.push(Spec::Context);
        }
        if let Some(path) = namespace
            && !self.columns.iter().any(|c| c.header() == "NAMESPACE")
        {
            columns.push(plain("NAMESPACE", path)?);
        }
        columns.extend(self.columns);
        Ok(RowPrinter::new(columns, self.format, self.headers, self.sort))
    }

    /// The context of the rows added next.
    pub(crate) fn context(&mut self, name: &str) {
        self.context = name.to_string();
    }

    pub(crate) fn columns(&self) -> &[Spec] {
        &self.columns
    }

    /// Adds an object's row. A sort key that cannot be read fails at once (kubectl exits
    /// before printing anything); a cell that fails is remembered and stops printing there.
    pub(crate) fn add(&mut self, obj: &Value) -> Result<()> {
        let key = match &self.sort {
            Some(s) => Some(s.key(obj).map_err(Error::runtime)?),
            None => None,
        };
        let mut cells = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let cell = match c {
                Spec::Event => Ok(spec::event_cell(&self.event)),
                Spec::Context => Ok(self.context.clone()),
                c if self.format.is_data() => c.cell_raw(obj),
                c => c.cell(obj),
            };
            match cell {
                Ok(text) => cells.push(text),
                Err(e) => {
                    let row = self.rows.len() as u32;
                    self.failures.insert(row, Error::runtime(e.0));
                    cells = vec![String::new(); self.columns.len()];
                    break;
                }
            }
        }
        for cell in cells {
            if self.format.is_data() {
                // Data formats carry the exact text (only NUL, the separator, is replaced).
                self.rows.cell(&cell.replace('\0', "\u{fffd}"));
            } else {
                self.rows.cell(&output::escape(&cell));
            }
        }
        self.rows.end_row(key);
        Ok(())
    }

    /// Sorts (unless `single`: kubectl sorts lists only) and prints every row; the first
    /// failed cell in print order is the error.
    pub(crate) fn finish(&mut self, single: bool) -> Result<()> {
        if let Some(sort) = &self.sort
            && !single
            && !self.rows.is_empty()
        {
            sort.check_found(&self.rows.keys).map_err(Error::runtime)?;
            let mut keyed: Vec<(sorting::SortKey, u32)> =
                std::mem::take(&mut self.rows.keys).into_iter().zip(0..).collect();
            sorting::sort(&mut keyed).map_err(|e| Error::runtime(sorting::unsortable(&sort.field, &e)))?;
            self.rows.order = Some(keyed.into_iter().map(|(_, i)| i).collect());
        }
        let stop = self.failures.keys().map(|r| self.rows.position(*r)).min().unwrap_or(self.rows.len());
        self.print(stop)?;
        match self.failures.iter().find(|(r, _)| self.rows.position(**r) == stop) {
            Some((_, e)) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// The type of the events that follow (`ADDED` for the objects listed), for an EVENT column.
    pub(crate) fn event_type(&mut self, kind: &str) {
        self.event = kind.to_string();
    }

    /// Prints an object's row at once (a watch event), in the widths printed so far.
    pub(crate) fn event(&mut self, obj: &Value) -> Result<()> {
        self.rows = Rows::new(self.columns.len(), if self.format.is_data() { '\0' } else { '\t' });
        self.sort = None;
        self.add(obj)?;
        let result = self.finish(true);
        self.rows = Rows::new(self.columns.len(), '\t');
        result
    }

    /// Prints as a watch does: kubectl prints a list's objects one by one there, so the header
    /// comes only with a first row.
    pub(crate) fn watching(&mut self) {
        self.watch = true;
    }

    fn print(&mut self, count: usize) -> Result<()> {
        let headers: Vec<String> = self.columns.iter().map(|c| c.header().to_string()).collect();
        match self.format {
            DataFormat::Json | DataFormat::Yaml => {
                let mut data: Vec<serde_json::Map<String, Value>> = Vec::with_capacity(count);
                self.rows.each_line_until(count, |_, l| {
                    data.push(
                        headers.iter().cloned().zip(l.split('\0').map(|c| Value::String(c.to_string()))).collect(),
                    );
                });
                let text =
                    if self.format == DataFormat::Json { output::to_json(&data)? } else { output::to_yaml(&data)? };
                output::out(&text);
            }
            DataFormat::Csv => {
                let mut out = Chunked::new();
                if self.headers {
                    out.push(&csv_line(headers.iter().map(String::as_str)));
                }
                self.rows.each_line_until(count, |_, l| out.push(&csv_line(l.split('\0'))));
                out.finish();
            }
            DataFormat::Markdown => {
                let mut out = Chunked::new();
                out.push(&md_line(headers.iter().map(String::as_str)));
                out.push(&format!("|{}\n", "---|".repeat(headers.len())));
                self.rows.each_line_until(count, |_, l| {
                    let cells: Vec<String> = l.split('\0').map(|c| c.replace(['\n', '\r'], " ")).collect();
                    out.push(&md_line(cells.iter().map(String::as_str)));
                });
                out.finish();
            }
            DataFormat::Text => {
                let header =
                    (self.headers && !self.printed_headers && (count > 0 || !self.watch)).then(|| headers.join("\t"));
                if header.is_some() {
                    self.printed_headers = true;
                }
                let rows = &self.rows;
                let mut out = Chunked::new();
                self.tab.flush(
                    &|sink: &mut dyn FnMut(&str)| {
                        if let Some(h) = &header {
                            sink(h);
                        }
                        rows.each_line_until(count, |_, l| sink(l));
                    },
                    &mut |piece: &str| out.push(piece),
                );
                out.finish();
            }
        }
        Ok(())
    }
}

/// `-o jsonpath…` output for the objects read: a List unless one object was named.
pub(crate) fn jsonpath(template: &Template, data: &Value, as_json: bool) -> Result<String> {
    let printed = if as_json { template.execute_as_json(data) } else { template.execute(data) };
    // kubectl also prints the whole object given to the template here; it is left out, since
    // it can hold secrets and runs to megabytes on long lists.
    printed.map_err(|e| {
        let source = template.source();
        Error::runtime(format!(
            "error executing jsonpath {source:?}: Error executing template: {}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{source}\n",
            e.0
        ))
    })
}

/// Prints one object (or a List) as `-o` asks: on an error, what kubectl has printed to
/// standard output by then is printed too.
pub(crate) fn objects(format: &ObjectFormat, data: &Value) -> Result<()> {
    match format {
        ObjectFormat::JsonPath { template, as_json } => {
            output::out(&jsonpath(template, data, *as_json)?);
            Ok(())
        }
        ObjectFormat::GoTemplate(template) => {
            let (printed, failed) = go_template(template, data);
            output::out_bytes(&printed);
            failed.map_or(Ok(()), Err)
        }
        ObjectFormat::Kyaml { managed_fields } => {
            let data = if *managed_fields { data.clone() } else { without_managed_fields(data) };
            // kubectl fails the whole document on a key YAML cannot read back; so does this,
            // rather than print YAML that parsers refuse.
            if let Some(key) = kubectl_kit_core::kyaml::long_key(&data) {
                return Err(Error::runtime("error decoding: yaml: did not find expected ',' or '}'")
                    .caused_by(format!(
                        "the key at {} is {} characters long as JSON, past the 1024 YAML allows a key",
                        key.path, key.length
                    ))
                    .hint("-o json prints this object"));
            }
            output::out(&kubectl_kit_core::kyaml::document(&data));
            Ok(())
        }
    }
}

/// One watch event with `--output-watch-events`: the templates see `{"type", "object"}`, as
/// kubectl's printers see its WatchEvent.
pub(crate) fn event(format: &ObjectFormat, kind: &str, object: Value) -> Result<()> {
    objects(format, &serde_json::json!({"type": kind, "object": object}))
}

/// kubectl's GoTemplatePrinter on one object: the bytes for standard output, and the error.
/// After an execution error kubectl writes to standard output what the template wrote, a line
/// with the error, the template, then the raw object twice; the objects are left out here (they
/// can hold secrets, and run to megabytes on long lists), so our output is the start of
/// kubectl's.
pub(crate) fn go_template(template: &kubectl_kit_core::gotemplate::Template, data: &Value) -> (Vec<u8>, Option<Error>) {
    use kubectl_kit_core::gotemplate::ExecError;
    let mut printed = Vec::new();
    let failed = match template.execute(&mut printed, data) {
        Ok(()) => None,
        Err(ExecError::Write(e)) => Some(Error::runtime("could not write the template's output").caused_by(e)),
        Err(e) => {
            let source = template.source();
            printed.extend_from_slice(
                format!(
                    "Error executing template: {e}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{source}\n"
                )
                .as_bytes(),
            );
            Some(Error::runtime(e.kubectl_message(source)))
        }
    };
    (printed, failed)
}

/// The object or List as `-o json|yaml|kyaml` print it without `--show-managed-fields`:
/// `metadata.managedFields` dropped, from each item of a List.
pub(crate) fn without_managed_fields(data: &Value) -> Value {
    let mut data = data.clone();
    let drop = |obj: &mut Value| {
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
        }
    };
    // A List to kubectl is anything with an `items` array (unstructured's IsList).
    match data.get_mut("items") {
        Some(Value::Array(items)) => items.iter_mut().for_each(drop),
        _ => drop(&mut data),
    }
    data
}

/// The items of a List in `--sort-by` order, as kubectl's sorting printer hands them to
/// `-o jsonpath`, `-o go-template` and `-o kyaml`: the same keys, checks and order as rows.
pub(crate) fn sort_items(items: &mut Vec<Value>, sort: &SortField) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let keys = items.iter().map(|o| sort.key(o)).collect::<std::result::Result<Vec<_>, _>>().map_err(Error::runtime)?;
    sort.check_found(&keys).map_err(Error::runtime)?;
    let mut keyed: Vec<(sorting::SortKey, Value)> = keys.into_iter().zip(std::mem::take(items)).collect();
    sorting::sort(&mut keyed).map_err(|e| Error::runtime(sorting::unsortable(&sort.field, &e)))?;
    *items = keyed.into_iter().map(|(_, o)| o).collect();
    Ok(())
}

/// kubectl's List around several objects.
pub(crate) fn list_of(items: Vec<Value>) -> Value {
    serde_json::json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
}

/// Standard output written in pieces of about 64 KiB, so that the text of a long table is never
/// held whole.
pub(crate) struct Chunked {
    buf: String,
}

impl Chunked {
    pub(crate) fn new() -> Self {
        Chunked { buf: String::with_capacity(64 * 1024) }
    }

    pub(crate) fn push(&mut self, text: &str) {
        self.buf.push_str(text);
        if self.buf.len() >= 60 * 1024 {
            output::out(&self.buf);
            self.buf.clear();
        }
    }

    /// Writes what is left.
    pub(crate) fn finish(self) {
        if !self.buf.is_empty() {
            output::out(&self.buf);
        }
    }
}

fn csv_line<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let mut s = cells
        .map(|c| {
            // A leading = + - @ makes spreadsheets evaluate the cell: neutralise it.
            let c = if c.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{c}") } else { c.to_string() };
            if c.contains([',', '"', '\n', '\r']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c }
        })
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    s
}

fn md_line<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let mut s = String::from("|");
    for c in cells {
        s.push(' ');
        s.push_str(&c.replace('|', "\\|"));
        s.push_str(" |");
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kyaml_leaves_out_managed_fields_of_an_object_and_of_a_lists_items() {
        let obj =
            serde_json::json!({"kind": "ConfigMap", "metadata": {"name": "a", "managedFields": [{"manager": "m"}]}});
        let bare = serde_json::json!({"kind": "ConfigMap", "metadata": {"name": "a"}});
        assert_eq!(without_managed_fields(&obj), bare);
        let list = list_of(vec![obj.clone(), bare.clone()]);
        assert_eq!(without_managed_fields(&list), list_of(vec![bare.clone(), bare]));
        // Only `metadata.managedFields` goes.
        let deep = serde_json::json!({"kind": "X", "spec": {"managedFields": 1}, "metadata": {}});
        assert_eq!(without_managed_fields(&deep), deep);
    }

    #[test]
    fn a_go_template_error_keeps_the_output_and_kubectls_first_debugging_lines() {
        let t = kubectl_kit_core::gotemplate::Template::parse("a {{.x}} b {{index .l 3}} c").expect("parses");
        let data = serde_json::json!({"x": "secret-value", "l": []});
        let (printed, failed) = go_template(&t, &data);
        let printed = String::from_utf8(printed).expect("utf-8");
        let (before, debug) = printed.split_once("Error executing template: ").expect("the debugging lines");
        assert_eq!(before, "a secret-value b ");
        let failed = failed.expect("an error").to_string();
        assert!(
            failed.starts_with("error: error executing template \"a {{.x}} b {{index .l 3}} c\": template: output:1:")
        );
        assert!(debug.ends_with("\ttemplate was:\n\t\ta {{.x}} b {{index .l 3}} c\n"), "{debug:?}");
        // The object given to the template is not printed.
        assert!(!debug.contains("secret-value"), "{debug:?}");
        assert_eq!(go_template(&t, &serde_json::json!({"x": 1, "l": [0, 1, 2, 3]})).0, b"a 1 b 3 c");
    }

    #[test]
    fn across_contexts_adds_context_and_reads_the_namespace_where_rows_keep_it() {
        let view =
            RowPrinter::new(vec![plain("NAME", ".metadata.name").expect("column")], DataFormat::Text, true, None);
        let printer = view.across_contexts(true, Some(".object.metadata.namespace")).expect("columns");
        let headers: Vec<&str> = printer.columns().iter().map(Spec::header).collect();
        assert_eq!(headers, ["CONTEXT", "NAMESPACE", "NAME"]);
        // With --output-watch-events custom-columns read the event: the namespace is inside it.
        let event = serde_json::json!({"type": "ADDED", "object": {"metadata": {"namespace": "a", "name": "x"}}});
        assert_eq!(printer.columns()[1].cell(&event).expect("cell"), "a");
        // A view with its own NAMESPACE column keeps it, and gets no second one.
        let view = RowPrinter::new(
            vec![plain("NAMESPACE", ".metadata.namespace").expect("column")],
            DataFormat::Text,
            true,
            None,
        );
        let headers: Vec<String> = view
            .across_contexts(false, Some(".metadata.namespace"))
            .expect("columns")
            .columns()
            .iter()
            .map(|c| c.header().to_string())
            .collect();
        assert_eq!(headers, ["NAMESPACE"]);
    }

    #[test]
    fn csv_neutralises_formulas() {
        assert_eq!(csv_line(["=1+1", "a,b", "plain"].into_iter()), "'=1+1,\"a,b\",plain\n");
    }
}
