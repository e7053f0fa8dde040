//! kubectl's default view: the server-side Table (`Accept: application/json;as=Table`), printed
//! as kubectl's human-readable printer prints it, with `--add` columns appended (the rows then
//! carry their objects, `includeObject=Object`).
//!
//! Several resource types print as separate tables, a blank line apart, names prefixed with
//! their kind (`deployment.apps/web`) as kubectl does; `-A` adds NAMESPACE to namespaced ones;
//! `--sort-by` sorts each table's rows with kubectl's table sorter.

use std::sync::Mutex;

use kubectl_kit_core::filter::Filter;
use kubectl_kit_core::jsonpath::text::go_sprint_doc;
use kubectl_kit_core::list::{self, ListOptions};
use kubectl_kit_core::printers::sorting::{self, SortField, SortKey};
use kubectl_kit_core::printers::tabwriter::TabWriter;
use kubectl_kit_core::{Error, Kube, Result, output};
use serde_json::Value;

use crate::render::Chunked;
use crate::resolve::{Group, Read, Targets};
use crate::spec::Spec;

/// The Accept header kubectl sends for tables.
pub(crate) const TABLE: &str =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// How the default view prints.
pub(crate) struct View<'a> {
    pub wide: bool,
    pub added: &'a [Spec],
    pub no_headers: bool,
    pub all_namespaces: bool,
    /// kubectl's table sorter field (relaxed, or as typed when it does not relax).
    pub sort: Option<SortField>,
    /// `--sort-by` as typed.
    pub sort_by: Option<String>,
    /// A watch follows (kubectl then says nothing of an empty list).
    pub watch: bool,
    /// `--watch-only`: the tables listed set the columns but print no row.
    pub watch_only: bool,
    /// `-L` keys, in order.
    pub label_columns: &'a [String],
    /// `--show-labels`.
    pub show_labels: bool,
    /// `--show-kind`.
    pub show_kind: bool,
    /// `--output-watch-events`: an EVENT column first.
    pub events: bool,
    /// `--server-print`: false builds NAME and AGE here from the objects.
    pub server_print: bool,
    /// `--ignore-not-found`.
    pub ignore_not_found: bool,
    /// `--subresource`, for named objects.
    pub subresource: Option<&'a str>,
    /// `--where`: the rows whose objects it keeps (the rows then carry their objects).
    pub filter: Option<&'a Mutex<Filter>>,
}

/// The table printer's state across tables: kubectl's `HumanReadablePrinter`.
pub(crate) struct Printer<'a> {
    view: View<'a>,
    tab: TabWriter,
    /// Column definitions of the last table printed, and whether its header was printed.
    columns: Vec<Value>,
    printed_headers: bool,
    /// Anything written (a blank line separates resource types only after output).
    written: bool,
    /// A blank line is due before the next output (a new resource type after output).
    separator: bool,
    /// kubectl's NAMESPACE column sticks: once a namespaced resource printed with `-A`, the
    /// printers after it keep the column (an empty cell for cluster-scoped objects).
    sticky_namespace: bool,
    /// The type of the watch event being printed, for the EVENT column.
    event: String,
    /// Tables read by the last [`print`] (one per page or per named object found).
    pub tables_read: usize,
}

/// One table's lines, laid out together.
struct Lines(Vec<String>);

impl<'a> Printer<'a> {
    pub(crate) fn new(view: View<'a>) -> Self {
        Printer {
            view,
            tab: TabWriter::new(),
            columns: vec![],
            printed_headers: false,
            written: false,
            separator: false,
            sticky_namespace: false,
            event: "ADDED".into(),
            tables_read: 0,
        }
    }

    /// A new resource type: kubectl flushes, forgets the widths, starts a new printer, and
    /// separates it from what came before with a blank line.
    fn next_resource(&mut self) {
        self.tab.reset();
        if self.written && !self.view.no_headers {
            self.separator = true;
        }
        self.columns = vec![];
        self.printed_headers = false;
    }

    /// The lines of one table (page, object or watch event).
    fn table_lines(&mut self, table: &Value, kind: Option<&str>, namespaced: bool) -> Result<Lines> {
        let table = &self.filtered(table)?;
        let defs: Vec<Value> = table["columnDefinitions"].as_array().cloned().unwrap_or_default();
        let mut local_no_headers = self.view.no_headers;
        if self.printed_headers && (defs.is_empty() || defs == self.columns) {
            local_no_headers = true;
        }
        if !defs.is_empty() && defs != self.columns {
            self.columns = defs;
            self.printed_headers = false;
        }
        let rows: Vec<Value> = table["rows"].as_array().cloned().unwrap_or_default();
        if !rows.is_empty() {
            self.printed_headers = true;
        }
        let defs = &self.columns;
        let shown: Vec<(usize, &Value)> = defs
            .iter()
            .enumerate()
            .filter(|(_, d)| self.view.wide || d["priority"].as_i64().unwrap_or(0) == 0)
            .collect();
        let name_column = defs.iter().position(|d| d["format"] == "name" && d["type"] == "string");
        // kubectl's print flags are shared between its printers, so "with namespace" stays on.
        self.sticky_namespace |= self.view.all_namespaces && namespaced;
        let with_namespace = self.sticky_namespace;
        let mut lines = vec![];
        if !local_no_headers && !rows.is_empty() {
            let mut h: Vec<String> = vec![];
            if self.view.events {
                h.push("EVENT".into());
            }
            if with_namespace {
                h.push("NAMESPACE".into());
            }
            h.extend(shown.iter().map(|(_, d)| d["name"].as_str().unwrap_or_default().to_uppercase()));
            h.extend(self.view.label_columns.iter().map(|l| Spec::label(l).header().to_string()));
            if self.view.show_labels {
                h.push("LABELS".into());
            }
            h.extend(self.view.added.iter().map(|c| c.header().to_string()));
            lines.push(h.join("\t"));
        }
        for row in &rows {
            let cells = row["cells"].as_array().cloned().unwrap_or_default();
            let obj = &row["object"];
            let mut line: Vec<String> = vec![];
            if self.view.events {
                line.push(crate::spec::event_cell(&self.event));
            }
            if with_namespace {
                line.push(output::escape(
                    obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default(),
                ));
            }
            for (i, _) in &shown {
                let cell = cells.get(*i).unwrap_or(&Value::Null);
                let mut text = match cell {
                    Value::Null => String::new(),
                    // kubectl cuts a string at its first line break and says so.
                    Value::String(s) => match s.find(['\u{c}', '\n', '\r']) {
                        Some(at) => format!("{}...", s.get(..at).unwrap_or_default()),
                        None => s.clone(),
                    },
                    other => go_sprint_doc(other),
                };
                if Some(*i) == name_column
                    && let Some(k) = kind
                {
                    text = format!("{k}/{text}");
                }
                line.push(output::escape(&text));
            }
            // Label cells read the row's object (its metadata, which the server includes).
            for l in self.view.label_columns {
                line.push(Spec::label(l).cell(obj).unwrap_or_default());
            }
            if self.view.show_labels {
                line.push(Spec::Labels.cell(obj).unwrap_or_default());
            }
            for c in self.view.added {
                line.push(output::escape(&c.cell(obj).map_err(|e| Error::runtime(e.0))?));
            }
            lines.push(line.join("\t"));
        }
        Ok(Lines(lines))
    }

    /// The table with only the rows whose objects `--where` keeps.
    fn filtered(&self, table: &Value) -> Result<Value> {
        let mut table = table.clone();
        let Some(filter) = self.view.filter else { return Ok(table) };
        let mut filter = filter.lock().map_err(|_| Error::runtime("the --where filter failed before"))?;
        if let Some(rows) = table.get_mut("rows").and_then(Value::as_array_mut) {
            let mut kept = Vec::with_capacity(rows.len());
            for row in rows.drain(..) {
                if filter.matches(row.get("object").unwrap_or(&Value::Null))? {
                    kept.push(row);
                }
            }
            *rows = kept;
        }
        Ok(table)
    }

    /// Writes lines as one flush of kubectl's tabwriter.
    fn flush(&mut self, lines: &Lines) {
        if lines.0.is_empty() {
            return;
        }
        if std::mem::take(&mut self.separator) {
            output::out("\n");
        }
        self.written = true;
        let mut out = Chunked::new();
        self.tab.flush(
            &|sink: &mut dyn FnMut(&str)| {
                for l in &lines.0 {
                    sink(l);
                }
            },
            &mut |piece: &str| out.push(piece),
        );
        out.finish();
    }

    /// Prints one watch event's table (the header too if none was printed yet); `kind`
    /// prefixes names (`--show-kind`).
    pub(crate) fn event(
        &mut self,
        kind_of_event: &str,
        table: &Value,
        kind: Option<&str>,
        namespaced: bool,
    ) -> Result<()> {
        self.event = kind_of_event.to_string();
        let lines = self.table_lines(table, kind, namespaced)?;
        self.flush(&lines);
        Ok(())
    }
}

/// Sorts a table's rows as kubectl's sorting printer does, which only sorts a table of more
/// than one row. `Ok(false)`: no row has the field, and kubectl prints nothing of this table
/// (it drops that error).
fn sort_rows(table: &mut Value, field: &SortField) -> Result<bool> {
    let Some(rows) = table["rows"].as_array_mut() else { return Ok(true) };
    if rows.len() < 2 {
        return Ok(true);
    }
    let mut keyed: Vec<(SortKey, Value)> = vec![];
    for row in rows.drain(..) {
        let object = row.get("object").unwrap_or(&Value::Null);
        let key = field
            .key(object)
            .map_err(|e| Error::runtime(format!("Failed to get values for {object} using {} ({e})", field.field)))?;
        keyed.push((key, row));
    }
    if keyed.iter().all(|(k, _)| *k == SortKey::Missing) {
        return Ok(false);
    }
    sorting::sort(&mut keyed).map_err(|e| Error::runtime(sorting::unsortable(&field.field, &e)))?;
    *rows = keyed.into_iter().map(|(_, r)| r).collect();
    Ok(true)
}

/// kubectl sorts what it fetched before printing: with more than one table (several resource
/// types, several names) it sorts the Table objects themselves by the field, which they rarely
/// have ("couldn't find any field"); then each table's rows as it prints them.
fn sort_tables<G>(tables: &mut Vec<(G, Value)>, field: &str) -> Result<()> {
    if tables.len() < 2 {
        return Ok(());
    }
    let sorter = SortField::for_objects(field).map_err(|e| Error::runtime(e.0))?;
    let mut keyed: Vec<(SortKey, (G, Value))> = vec![];
    for t in tables.drain(..) {
        let key = sorter.key(&t.1).map_err(Error::runtime)?;
        keyed.push((key, t));
    }
    let keys: Vec<SortKey> = keyed.iter().map(|(k, _)| k.clone()).collect();
    sorter.check_found(&keys).map_err(Error::runtime)?;
    sorting::sort(&mut keyed).map_err(|e| Error::runtime(sorting::unsortable(&sorter.field, &e)))?;
    *tables = keyed.into_iter().map(|(_, t)| t).collect();
    Ok(())
}

/// Prints the targets' tables; returns the resourceVersion to watch from.
pub(crate) async fn print(
    kube: &Kube,
    targets: &Targets,
    opts: &ListOptions,
    printer: &mut Printer<'_>,
) -> Result<String> {
    // The tables, in kubectl's order: one per page, or per named object.
    let mut tables: Vec<(&Group, Value)> = vec![];
    let mut missing: Vec<Error> = vec![];
    let mut resource_version = String::new();
    let with_objects = !printer.view.added.is_empty() || printer.view.sort.is_some() || printer.view.filter.is_some();
    printer.event = "ADDED".into();
    let accept = if printer.view.server_print { TABLE } else { "application/json" };
    for g in &targets.groups {
        let ns = g.namespace.as_deref();
        let mut paths: Vec<String> = match &g.read {
            Read::Names(names) => names
                .iter()
                .map(|n| {
                    let mut path = format!("{}/{}", g.resource.url_path(ns), list::percent_path(n));
                    if let Some(sub) = printer.view.subresource {
                        path.push('/');
                        path.push_str(&list::percent_path(sub));
                    }
                    path
                })
                .collect(),
            Read::List => vec![],
        };
        let mut cont: Option<String> = None;
        loop {
            let mut path = match &g.read {
                Read::Names(_) if paths.is_empty() => break,
                Read::Names(_) => paths.remove(0),
                Read::List => opts.page_path(&g.resource, ns, cont.as_deref()),
            };
            if with_objects && printer.view.server_print {
                list::query_pair(&mut path, "includeObject", "Object");
            }
            let body = match kube.get_raw(&path, accept).await {
                Ok(b) => b,
                Err(e) if e.api_code() == Some(404) && matches!(g.read, Read::Names(_)) => {
                    if !printer.view.ignore_not_found {
                        missing.push(e);
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            let table: Value = serde_json::from_str(&body).map_err(|e| {
                Error::runtime(format!("the server sent an unreadable table of {}", g.resource.name)).caused_by(e)
            })?;
            let mut table = if printer.view.server_print { table } else { name_and_age(table) };
            // kubectl's skip printer: the columns are known, no row is printed.
            if printer.view.watch_only
                && let Some(rows) = table.get_mut("rows").and_then(Value::as_array_mut)
            {
                rows.clear();
            }
            let meta = |key: &str| table.get("metadata").and_then(|m| m.get(key)).and_then(Value::as_str);
            resource_version = meta("resourceVersion").unwrap_or_default().to_string();
            let next = meta("continue").filter(|c| !c.is_empty()).map(String::from);
            tables.push((g, table));
            match (&g.read, next) {
                (Read::List, Some(c)) => cont = Some(c),
                (Read::List, None) => break,
                _ => {}
            }
        }
    }
    printer.tables_read = tables.len();
    if let Some(raw) = &printer.view.sort_by {
        sort_tables(&mut tables, raw)?;
    }
    if let Some(field) = &printer.view.sort {
        let mut kept = vec![];
        for (g, mut t) in tables {
            if sort_rows(&mut t, field)? {
                kept.push((g, t));
            }
        }
        tables = kept;
    }
    // kubectl prefixes names with their kind when several kinds are printed, or when asked.
    let with_kind = printer.view.show_kind || {
        let mut distinct: Vec<(&str, &str)> =
            tables.iter().map(|(g, _)| (g.resource.group.as_str(), g.resource.kind.as_str())).collect();
        distinct.sort_unstable();
        distinct.dedup();
        distinct.len() > 1
    };
    // kubectl's skip printer drops a watch event whole, the columns with it: with
    // --watch-only --output-watch-events the tables listed do not reach the printer at all.
    if printer.view.watch_only && printer.view.events {
        tables.clear();
    }
    let mut last: Option<&Group> = None;
    let mut pending = Lines(vec![]);
    for (g, table) in &tables {
        let r = &g.resource;
        let same = last.is_some_and(|l| l.resource.name == r.name && l.resource.group == r.group);
        if !same {
            printer.flush(&pending);
            pending = Lines(vec![]);
            if last.is_some() {
                printer.next_resource();
            }
            last = Some(*g);
        }
        let kind = with_kind.then(|| kind_prefix(g));
        let lines = printer.table_lines(table, kind.as_deref(), r.namespaced)?;
        pending.0.extend(lines.0);
    }
    printer.flush(&pending);
    if !printer.written && missing.is_empty() && !printer.view.watch && !printer.view.ignore_not_found {
        let namespaced = targets.groups.iter().all(|g| g.resource.namespaced) && !printer.view.all_namespaces;
        // With nothing to read (`-f` of an empty stream) the namespace is the client's.
        let ns = targets.groups.iter().find_map(|g| g.namespace.clone()).unwrap_or_else(|| kube.namespace.clone());
        if namespaced {
            output::err(&format!("No resources found in {ns} namespace.\n"));
        } else {
            output::err("No resources found\n");
        }
    }
    crate::objects::missing(crate::objects::Outcome { missing, ..Default::default() })?;
    Ok(resource_version)
}

/// The kind kubectl prefixes names with: `pod`, `deployment.apps`.
pub(crate) fn kind_prefix(g: &Group) -> String {
    let r = &g.resource;
    if r.group.is_empty() { r.kind.to_lowercase() } else { format!("{}.{}", r.kind, r.group).to_lowercase() }
}

/// kubectl's table of plain objects (`--server-print=false`): NAME and AGE, each row carrying
/// its object, as a Table the printer reads like the server's. `body` is an object or a list.
pub(crate) fn name_and_age(body: Value) -> Value {
    let (items, metadata) = match body {
        Value::Object(mut o) if o.get("items").is_some_and(Value::is_array) => {
            let items = match o.remove("items") {
                Some(Value::Array(items)) => items,
                _ => vec![],
            };
            (items, o.remove("metadata").unwrap_or_default())
        }
        one => (vec![one], Value::Null),
    };
    let rows: Vec<Value> = items
        .into_iter()
        .map(|object| {
            let text = |p: &str| object.pointer(p).and_then(Value::as_str).map(String::from);
            let name = text("/metadata/name").unwrap_or_default();
            let age = text("/metadata/creationTimestamp")
                .map_or_else(|| "<unknown>".to_string(), |t| kubectl_kit_core::time::age(&t));
            serde_json::json!({"cells": [name, age], "object": object})
        })
        .collect();
    serde_json::json!({
        "kind": "Table",
        "metadata": metadata,
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name", "priority": 0},
            {"name": "Age", "type": "string", "format": "", "priority": 0},
        ],
        "rows": rows,
    })
}
