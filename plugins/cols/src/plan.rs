//! Arguments → a plan, checked before any request: what is read, how rows are made, how they
//! print. Every mistake found here is a usage error (exit 2) and never touches the cluster.

use std::sync::Mutex;

use kubectl_kit_core::filter::Filter;
use kubectl_kit_core::gotemplate;
use kubectl_kit_core::jsonpath::Template;
use kubectl_kit_core::list::ListOptions;
use kubectl_kit_core::manifests::{self, Manifests};
use kubectl_kit_core::output;
use kubectl_kit_core::printers::columns::{self, SpecError};
use kubectl_kit_core::printers::sorting::SortField;
use kubectl_kit_core::projection::Projection;
use kubectl_kit_core::{Error, Result};
use serde_json::Value;

use crate::cli::{Cli, Output};
use crate::presets::{self, Preset};
use crate::spec::{self, Spec};

/// How columns of our own (presets, `--add`) are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataFormat {
    Text,
    Json,
    Yaml,
    Csv,
    Markdown,
}

impl DataFormat {
    /// JSON, YAML, CSV and Markdown carry cells exactly; tables escape them for the terminal.
    pub(crate) fn is_data(self) -> bool {
        self != DataFormat::Text
    }
}

/// What `-o` asks for.
#[derive(Debug)]
pub(crate) enum View {
    /// No template: presets (picked once the resources are known), `--add` columns, or
    /// kubectl's default view.
    Columns { format: DataFormat, wide: bool, added: Vec<Spec> },
    /// `-o custom-columns=…` or `-o custom-columns-file=…`.
    CustomColumns { columns: Vec<Spec>, headers: bool },
    /// A printer of whole objects (jsonpath, go-template, kyaml): the object named, or a
    /// List of everything read.
    Objects(ObjectFormat),
    /// `-o name`: `kind.group/name` per object.
    Name,
}

/// How `-o` prints whole objects, each one or a List of them, as kubectl's printers do.
#[derive(Debug)]
pub(crate) enum ObjectFormat {
    /// `-o jsonpath=…`, `-o jsonpath-file=…`, `-o jsonpath-as-json=…`.
    JsonPath { template: Template, as_json: bool },
    /// `-o go-template=…`, `-o go-template-file=…` and their aliases, `--template`.
    GoTemplate(gotemplate::Template),
    /// `-o kyaml`; `managed_fields` keeps `metadata.managedFields` (`--show-managed-fields`).
    Kyaml { managed_fields: bool },
}

/// What is read.
#[derive(Debug)]
pub(crate) enum Source {
    /// `RESOURCE[,RESOURCE…]` and the words after it (presets or names, told apart once the
    /// resources are known).
    Resources { resources: Vec<String>, words: Vec<String> },
    /// `-f`: the live objects the files name, or with `--local` the files' own objects. The
    /// words are preset names.
    Files { manifests: Manifests, local: bool, words: Vec<String> },
}

/// The checked plan.
#[derive(Debug)]
pub(crate) struct Plan {
    pub view: View,
    pub source: Source,
    pub list: ListOptions,
    pub all_namespaces: bool,
    /// `--sort-by` as typed (the default view relaxes it its own way).
    pub sort_by: Option<String>,
    /// `--sort-by` compiled as kubectl's object sorter compiles it.
    pub object_sort: Option<SortField>,
    /// Why `--sort-by` cannot sort objects, when only the default view can use it.
    pub object_sort_error: Option<String>,
    /// `-w` or `--watch-only`.
    pub watch: bool,
    /// `--watch-only`: the objects as they are first are not printed.
    pub watch_only: bool,
    /// `--output-watch-events`.
    pub watch_events: bool,
    pub no_headers: bool,
    /// Built-in and user presets, every spec parsed.
    pub presets: Vec<Preset>,
    /// `-L`, in the order given.
    pub label_columns: Vec<String>,
    /// `--show-labels`.
    pub show_labels: bool,
    /// `--show-kind`.
    pub show_kind: bool,
    /// `--ignore-not-found`.
    pub ignore_not_found: bool,
    /// `--subresource` (named objects only; ignored with -f and with a watch, as by kubectl).
    pub subresource: Option<String>,
    /// `--server-print` (false: the default view is NAME and AGE, built here).
    pub server_print: bool,
    /// `--where`, compiled; it counts the objects it could not evaluate.
    pub filter: Option<Mutex<Filter>>,
    /// `-v`.
    pub verbosity: u8,
}

impl Plan {
    pub(crate) fn new(cli: &Cli) -> Result<Self> {
        let view = view(cli)?;
        let filter = cli.where_.as_deref().map(Filter::compile).transpose()?.map(Mutex::new);
        if cli.local && cli.filenames.is_empty() && cli.kustomize.is_none() {
            return Err(Error::usage("--local prints the objects of -f files: name them with -f FILE"));
        }
        if cli.kustomize.is_some() {
            if !cli.filenames.is_empty() {
                return Err(Error::usage("only one of -f or -k can be specified"));
            }
            if cli.recursive {
                return Err(Error::usage("the -k flag can't be used with -f or -R"));
            }
        }
        let source = if let Some(dir) = &cli.kustomize {
            if !cli.args.is_empty() && cli.args.iter().any(|a| a.contains('/')) {
                return Err(Error::usage("resource/name arguments cannot be provided when a path is specified"));
            }
            Source::Files { manifests: manifests::kustomize(dir)?, local: cli.local, words: cli.args.clone() }
        } else if cli.filenames.is_empty() {
            let mut args = cli.args.iter();
            let first = args.next().ok_or_else(|| {
                Error::usage("you must specify the type of resource to get").hint(
                    "e.g. kubectl cols pods ip; kubectl cols -f manifest.yaml; kubectl cols presets lists the presets",
                )
            })?;
            Source::Resources {
                resources: first.split(',').map(String::from).collect(),
                words: args.cloned().collect(),
            }
        } else {
            if cli.args.iter().any(|a| a.contains('/')) {
                return Err(Error::usage(
                    "when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well",
                ));
            }
            let manifests = manifests::read(&cli.filenames, cli.recursive)?;
            Source::Files { manifests, local: cli.local, words: cli.args.clone() }
        };
        let added = match &view {
            View::Columns { added, .. } => !added.is_empty(),
            _ => false,
        };
        if !cli.add.is_empty() && !added {
            return Err(Error::usage(
                "--add cannot be combined with -o custom-columns, jsonpath, go-template, kyaml or name",
            ));
        }
        // kubectl relaxes a sort field one way for objects and another for its default view
        // (which uses a field that does not relax as it is): refuse only what neither takes.
        let default_view_possible = matches!(view, View::Columns { format: DataFormat::Text, .. }) && !cli.local;
        let (object_sort, object_sort_error) = match &cli.sort_by {
            None => (None, None),
            Some(s) => match SortField::for_objects(s) {
                Ok(f) => (Some(f), None),
                Err(e) if default_view_possible => {
                    SortField::for_table(s).map_err(|t| Error::usage(t.0))?;
                    (None, Some(e.0))
                }
                Err(e) => return Err(Error::usage(e.0)),
            },
        };
        let watch = cli.watch || cli.watch_only;
        if cli.output_watch_events && !watch {
            return Err(Error::usage("--output-watch-events option can only be used with --watch or --watch-only"));
        }
        // kubectl's KYAML printer cannot print a watch event (it has no kind) and fails once
        // the first one comes; this says so before any request.
        if cli.output_watch_events && matches!(view, View::Objects(ObjectFormat::Kyaml { .. })) {
            return Err(Error::usage(
                "unable to output the provided object: missing apiVersion or kind; try GetObjectKind().SetGroupVersionKind() if you know the type",
            )
            .hint("kubectl's KYAML printer cannot print watch events: -o go-template or -o jsonpath print them (.type, .object)"));
        }
        // kubectl refuses LABELS beside a printer of its own other than its tables; cols' own
        // data formats carry it as a column.
        if cli.show_labels
            && let Some(o) = &cli.output.output
            && !matches!(view, View::Columns { .. })
        {
            return Err(Error::usage(format!("--show-labels option cannot be used with {o} printer")));
        }
        if watch {
            if cli.local {
                return Err(Error::usage("--watch reads changes from the cluster: it cannot be used with --local"));
            }
            if !cli.filenames.is_empty() {
                return Err(Error::usage("--watch with -f is not supported: name the resource instead")
                    .hint("e.g. kubectl cols pods NAME -w"));
            }
            if let Source::Resources { resources, .. } = &source
                && resources.len() > 1
            {
                return Err(Error::usage("you may only specify a single resource type"));
            }
            if let View::Columns { format, .. } = &view
                && format.is_data()
            {
                return Err(Error::usage("--watch prints rows as they change: it needs a table (-o wide or none)"));
            }
            if cli.sort_by.is_some() && cli.watch_only {
                output::err("warning: --watch-only requested, --sort-by will be ignored\n");
            } else if cli.sort_by.is_some() {
                output::err("warning: --watch requested, --sort-by will be ignored for watch events received\n");
            }
        }
        let presets = load_presets()?;
        Ok(Plan {
            view,
            source,
            list: ListOptions {
                label_selector: cli.selector.clone(),
                field_selector: cli.field_selector.clone(),
                // kubectl reads a sorted list in one request.
                limit: if cli.sort_by.is_some() { 0 } else { cli.chunk_size },
            },
            all_namespaces: cli.all.all_namespaces,
            sort_by: cli.sort_by.clone(),
            object_sort,
            object_sort_error,
            watch,
            watch_only: cli.watch_only,
            watch_events: cli.output_watch_events,
            no_headers: cli.headers.no_headers,
            presets,
            label_columns: cli.label_columns.iter().filter(|l| !l.is_empty()).cloned().collect(),
            show_labels: cli.show_labels,
            show_kind: cli.show_kind,
            ignore_not_found: cli.ignore_not_found,
            subresource: cli.subresource.clone().filter(|s| !s.is_empty()),
            server_print: cli.server_print,
            filter,
            verbosity: cli.global.verbosity,
        })
    }

    /// `--sort-by` for a view of objects (custom-columns, presets), or the usage error when
    /// the field only suits kubectl's default view.
    pub(crate) fn object_sort_field(&self) -> Result<Option<SortField>> {
        match &self.object_sort_error {
            Some(e) => Err(Error::usage(e.clone())),
            None => Ok(self.object_sort.clone()),
        }
    }

    /// Whether `--where` keeps `object` (every object without it).
    pub(crate) fn keep(&self, object: &Value) -> Result<bool> {
        match &self.filter {
            None => Ok(true),
            Some(f) => f.lock().map_err(|_| Error::runtime("the --where filter failed before"))?.matches(object),
        }
    }

    /// What `--where` reads, for the projection objects are decoded through.
    pub(crate) fn filter_projection(&self) -> Projection {
        self.filter.as_ref().and_then(|f| f.lock().ok().map(|f| f.projection())).unwrap_or_else(Projection::none)
    }

    /// With `-v=2` or more, says on stderr how many objects `--where` could not evaluate, and why.
    pub(crate) fn report_skipped(&self) {
        if self.verbosity < 2 {
            return;
        }
        if let Some(summary) = self.filter.as_ref().and_then(|f| f.lock().ok().and_then(|f| f.summary())) {
            output::err(&format!("{summary}\n"));
        }
    }

    /// A preset's columns.
    pub(crate) fn preset_columns(&self, preset: &Preset) -> Result<Vec<Spec>> {
        spec::parse(&preset.spec).map_err(|e| Error::usage(format!("preset {}: {e}", preset.name)))
    }
}

/// The user's presets and the built-ins, every spec checked.
fn load_presets() -> Result<Vec<Preset>> {
    let path = presets::config_path();
    let mut all = presets::load_user(&path)?;
    all.extend(presets::builtins());
    for p in &all {
        spec::parse(&p.spec).map_err(|e| {
            Error::usage(format!("preset {} ({}): {e}", p.name, p.resources.join(",")))
                .hint(format!("fix it in {}, or replace it with kubectl cols presets add", path.display()))
        })?;
    }
    Ok(all)
}

/// A spec error: kubectl's message first, then where (a `hint:` line when we can point).
fn spec_error(e: SpecError) -> Error {
    match e.0.split_once("\nhint: ") {
        Some((msg, hint)) => Error::usage(msg).hint(hint),
        None => Error::usage(e.0),
    }
}

fn view(cli: &Cli) -> Result<View> {
    let out = cli.output.format_with_template(cli.template.as_deref())?;
    let template = |text: String, as_json: bool| -> Result<View> {
        let template = Template::parse(&text).map_err(|e| {
            let err = Error::usage(format!("error parsing jsonpath {text}, {e}"));
            match columns::point_at(&text) {
                Some(p) => err.hint(p),
                None => err,
            }
        })?;
        let template = template.allow_missing_keys(cli.allow_missing_template_keys);
        Ok(View::Objects(ObjectFormat::JsonPath { template, as_json }))
    };
    let no_template = || Error::usage("template format specified but no template given");
    // kubectl's GoTemplatePrinter: the text is parsed once, missing keys as the flag says.
    let go_template = |text: String| -> Result<View> {
        let template = gotemplate::Template::parse(&text).map_err(|e| Error::usage(e.kubectl_message(&text)))?;
        Ok(View::Objects(ObjectFormat::GoTemplate(template.allow_missing_keys(cli.allow_missing_template_keys))))
    };
    let wide = out == Output::Wide;
    let format = match out {
        Output::CustomColumns(Some(spec)) => {
            let columns = columns::parse_spec(&spec).map_err(spec_error)?.into_iter().map(Spec::Plain).collect();
            return Ok(View::CustomColumns { columns, headers: !cli.headers.no_headers });
        }
        Output::CustomColumnsFile(Some(file)) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Error::usage(format!("error reading template {file}, {e}")))?;
            let columns =
                columns::parse_file(&text).map_err(|e| Error::usage(e.0))?.into_iter().map(Spec::Plain).collect();
            // kubectl ignores --no-headers for custom-columns-file.
            return Ok(View::CustomColumns { columns, headers: true });
        }
        Output::CustomColumns(None) | Output::CustomColumnsFile(None) => {
            return Err(Error::usage("custom-columns format specified but no custom columns given"));
        }
        Output::JsonPath(Some(t)) | Output::JsonPathAsJson(Some(t)) if t.is_empty() => return Err(no_template()),
        Output::JsonPathFile(Some(f)) if f.is_empty() => return Err(no_template()),
        Output::JsonPath(None) | Output::JsonPathFile(None) | Output::JsonPathAsJson(None) => {
            return Err(no_template());
        }
        Output::JsonPath(Some(t)) => return template(t, false),
        Output::JsonPathAsJson(Some(t)) => return template(t, true),
        Output::JsonPathFile(Some(file)) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Error::usage(format!("error reading --template {file}, {e}")))?;
            return template(text, false);
        }
        Output::GoTemplate(None) | Output::GoTemplateFile(None) => return Err(no_template()),
        Output::GoTemplate(Some(t)) | Output::GoTemplateFile(Some(t)) if t.is_empty() => return Err(no_template()),
        Output::GoTemplate(Some(t)) => return go_template(t),
        Output::GoTemplateFile(Some(file)) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Error::usage(format!("error reading --template {file}, {e}")))?;
            return go_template(text);
        }
        Output::Kyaml => return Ok(View::Objects(ObjectFormat::Kyaml { managed_fields: cli.show_managed_fields })),
        Output::Name => return Ok(View::Name),
        Output::Default | Output::Wide => DataFormat::Text,
        Output::Json => DataFormat::Json,
        Output::Yaml => DataFormat::Yaml,
        Output::Csv => DataFormat::Csv,
        Output::Markdown => DataFormat::Markdown,
    };
    let mut added = vec![];
    for a in &cli.add {
        added.extend(spec::parse(a).map_err(|e| Error::usage(format!("--add {a:?}: {e}")))?);
    }
    Ok(View::Columns { format, wide, added })
}
