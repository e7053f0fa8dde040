//! `kubectl cols`: custom-columns shortcuts that print exactly what kubectl prints, faster and in
//! far less memory.
//!
//! - `kubectl cols pods ip` → NAME, NODE_IP, POD_IP; presets are listed by `kubectl cols presets`
//!   and users add their own (`kubectl cols presets add NAME RESOURCE SPEC`).
//! - `kubectl cols pods --add IP:.status.podIP` → kubectl's default view plus columns
//!   (the server-side Table with the object included).
//! - `-o custom-columns=…`, `-o custom-columns-file=…`, `-o jsonpath=…`, `-o go-template=…`,
//!   `-o kyaml`: kubectl's own syntax, byte for byte the same output.
//! - `-o json|yaml|csv|markdown`: the projected table as data.
//!
//! The pipeline, one module each: [`cli`] (arguments) → [`plan`] (checked before any request)
//! → `resolve` (resources, presets and names, `-f` objects) → a source (`objects`: lists and
//! named objects; `server`: kubectl's default view; `local`: files without a cluster; `watch`:
//! changes) → rows (`rows`, packed cells) → `render` (kubectl's tabwriter, data formats,
//! JSONPath).
//!
//! Everything here reads user text (specs, templates, presets, arguments) or cluster data: it
//! is walked by `char`, read with `get` and JSON pointers, never sliced or indexed where a bad
//! offset would panic. The lints below hold the crate to it.

#![deny(clippy::string_slice, clippy::indexing_slicing)]

pub mod cli;
mod fleet;
mod local;
mod objects;
pub mod plan;
pub mod presets;
mod render;
mod resolve;
mod rows;
mod server;
pub mod spec;
mod watch;

use kubectl_kit_core::completion::{self, Candidate, Request, Values};
use kubectl_kit_core::discovery::Catalog;
use kubectl_kit_core::flags::NoHeaders;
use kubectl_kit_core::output::{self, Report, Table};
use kubectl_kit_core::printers::sorting::SortField;
use kubectl_kit_core::projection::Projection;
use kubectl_kit_core::{Error, Kube, Result};
use serde_json::Value;

pub use cli::{Cli, Command, PresetsAction};
use plan::{ObjectFormat, Plan, Source};
use render::{Printing, RowPrinter};
use resolve::{Read, Targets};
use spec::Spec;

/// Runs the plugin.
pub async fn run(cli: Cli) -> Result<()> {
    if let Some(Command::Presets { action, output, headers }) = &cli.command {
        return presets_command(action.as_ref(), output.format()?, *headers);
    }
    let plan = Plan::new(&cli)?;
    if let Source::Files { local: true, .. } = &plan.source {
        let printed = local::print(&plan);
        plan.report_skipped();
        return printed;
    }
    let many = kubectl_kit_core::fleet::Fleet::plan(&cli.global, &cli.fleet, plan.all_namespaces)?;
    if !many.is_plain() {
        let printed = fleet::run(&plan, &many, cli.global.namespace.is_some()).await;
        plan.report_skipped();
        return printed;
    }
    let kube = Kube::connect(&cli.global).await?;
    let targets = resolve::targets(&kube, &plan, cli.global.namespace.is_some()).await?;
    if plan.subresource.is_some() && !plan.watch && matches!(plan.source, Source::Resources { .. }) {
        let bulk = targets.groups.iter().any(|g| matches!(g.read, Read::List));
        if bulk || plan.list.label_selector.is_some() || plan.list.field_selector.is_some() {
            return Err(Error::usage("subresource cannot be used when bulk resources are specified"));
        }
    }
    if plan.watch {
        watchable(&targets)?;
    }
    let printed = match render::printing(&plan, &targets.preset_columns, render::Bare::ServerTable)? {
        Printing::Objects(format) => objects(&kube, &plan, &targets, format).await,
        Printing::Rows(printer) => rows(&kube, &plan, &targets, *printer).await,
        Printing::DefaultView { wide, added } => default_view(&kube, &plan, &targets, wide, added).await,
    };
    plan.report_skipped();
    printed
}

/// A watch follows one object named or a list, as kubectl's does.
pub(crate) fn watchable(targets: &Targets) -> Result<()> {
    let named: usize = targets.groups.iter().map(|g| if let Read::Names(n) = &g.read { n.len() } else { 0 }).sum();
    if named > 1 {
        return Err(Error::usage(format!(
            "watch is only supported on individual resources and resource collections, but {named} resources were found"
        )));
    }
    Ok(())
}

/// What the columns and the sort key read.
pub(crate) fn projection_of(columns: &[Spec], sort: Option<&SortField>) -> Projection {
    let mut p = Projection::none();
    for c in columns {
        p.merge(&Projection::from_paths(&c.fields()));
    }
    if let Some(s) = sort {
        p.merge(&Projection::from_paths(&s.template().fields()));
    }
    p
}

/// Custom-columns and preset tables: objects → rows → kubectl's layout.
async fn rows(kube: &Kube, plan: &Plan, targets: &Targets, mut printer: RowPrinter) -> Result<()> {
    let sort = plan.object_sort_field()?;
    // With --output-watch-events kubectl's custom-columns read the event ({"type", "object"});
    // presets keep reading the object, beside an EVENT column.
    let wrap = plan.watch_events && matches!(plan.view, plan::View::CustomColumns { .. });
    let mut projection = if wrap { Projection::All } else { projection_of(printer.columns(), sort.as_ref()) };
    projection.merge(&plan.filter_projection());
    let shown = |kind: &str, obj: Value| if wrap { serde_json::json!({"type": kind, "object": obj}) } else { obj };
    if plan.watch {
        printer.watching();
    }
    printer.event_type("ADDED");
    let read = objects::read(kube, targets, plan, &projection, |obj| {
        if plan.watch_only { Ok(()) } else { printer.add(&shown("ADDED", obj)) }
    })
    .await;
    let outcome = match read {
        Ok(o) => o,
        Err(e) => {
            // kubectl has printed the rows so far when a later page fails.
            let _ = printer.finish(false);
            return Err(e);
        }
    };
    // Nothing read of one object named, or of anything with --ignore-not-found: kubectl prints
    // nothing, not even the header.
    let none =
        outcome.count == 0 && (plan.ignore_not_found || (targets.single && !outcome.missing.is_empty())) && !plan.watch;
    if !none {
        printer.finish(outcome.single)?;
    }
    if !plan.watch {
        return objects::missing(outcome);
    }
    if stop_watching(plan, targets, &outcome) {
        return objects::missing(outcome);
    }
    // Listed again, the objects print as changes do: one row each, in the widths so far.
    let relist = async |printer: &mut RowPrinter| {
        printer.event_type("ADDED");
        Ok(objects::read(kube, targets, plan, &projection, |obj| printer.event(&shown("ADDED", obj)))
            .await?
            .resource_version)
    };
    watch::Watch::objects(targets, &plan.list, &projection)?
        .follow(kube, outcome.resource_version, &mut printer, relist, |printer, kind, obj| {
            if !plan.keep(&obj)? {
                return Ok(());
            }
            printer.event_type(kind);
            printer.event(&shown(kind, obj))
        })
        .await
}

/// A watch of one named object does not start when the object is missing: kubectl reports it
/// (or, with `--ignore-not-found`, says nothing).
pub(crate) fn stop_watching(plan: &Plan, targets: &Targets, outcome: &objects::Outcome) -> bool {
    let named = targets.groups.iter().any(|g| matches!(g.read, Read::Names(_)));
    !outcome.missing.is_empty() || (named && plan.ignore_not_found && outcome.count == 0)
}

/// `-o jsonpath…`, `-o go-template…`, `-o kyaml`: the object named, or a List of everything
/// read; with `-w`, each object (as kubectl's watch prints them one by one) and each change,
/// or each event (`{"type", "object"}`) with `--output-watch-events`.
async fn objects(kube: &Kube, plan: &Plan, targets: &Targets, format: &ObjectFormat) -> Result<()> {
    // The fields the template reads (a Go template that can reach anything reads it all).
    let fields = match format {
        _ if plan.watch_events => vec![vec![]],
        ObjectFormat::JsonPath { template, .. } => template.fields(),
        ObjectFormat::GoTemplate(template) => template.fields(),
        ObjectFormat::Kyaml { .. } => vec![vec![]],
    };
    let sort = plan.object_sort_field()?;
    let mut projection = match &sort {
        Some(s) => Projection::from_paths(&s.template().fields()),
        None => Projection::none(),
    };
    for path in fields {
        if targets.single || plan.watch {
            projection.add(&path);
            continue;
        }
        // The template sees a List: keep what it reads below `items`.
        match path.split_first() {
            Some((first, below)) if first == "items" => projection.add(below),
            Some((first, _)) if first == "*" => projection = Projection::All,
            None => projection = Projection::All,
            Some(_) => {}
        }
    }
    projection.merge(&plan.filter_projection());
    if plan.watch {
        let print = |_: &mut (), kind: &str, obj: Value| {
            if !plan.keep(&obj)? {
                return Ok(());
            }
            if plan.watch_events { render::event(format, kind, obj) } else { render::objects(format, &obj) }
        };
        let list = async |state: &mut ()| {
            Ok(objects::read(kube, targets, plan, &projection, |obj| print(state, "ADDED", obj))
                .await?
                .resource_version)
        };
        let mut state = ();
        let outcome = objects::read(kube, targets, plan, &projection, |obj| {
            if plan.watch_only { Ok(()) } else { print(&mut state, "ADDED", obj) }
        })
        .await?;
        if stop_watching(plan, targets, &outcome) {
            return objects::missing(outcome);
        }
        return watch::Watch::objects(targets, &plan.list, &projection)?
            .follow(kube, outcome.resource_version, &mut state, list, print)
            .await;
    }
    let mut items: Vec<Value> = vec![];
    let outcome = objects::read(kube, targets, plan, &projection, |obj| {
        items.push(obj);
        Ok(())
    })
    .await?;
    // One object named and not found: kubectl prints nothing, not an empty List; nor does it
    // print one with --ignore-not-found when nothing was found.
    if targets.single && items.is_empty() && !outcome.missing.is_empty() {
        return objects::missing(outcome);
    }
    // Nothing found with --ignore-not-found, or the one object named left out by --where.
    if items.is_empty() && (plan.ignore_not_found || (targets.single && plan.filter.is_some())) {
        return objects::missing(outcome);
    }
    let data = if targets.single && items.len() == 1 {
        items.pop().unwrap_or(Value::Null)
    } else {
        if let Some(s) = &sort {
            render::sort_items(&mut items, s)?;
        }
        render::list_of(items)
    };
    render::objects(format, &data)?;
    objects::missing(outcome)
}

/// kubectl's default view (server-side Table), with `--add` columns appended; `-w` watches the
/// table.
async fn default_view(kube: &Kube, plan: &Plan, targets: &Targets, wide: bool, added: &[Spec]) -> Result<()> {
    let sort = match &plan.sort_by {
        Some(s) => Some(SortField::for_table(s).map_err(|e| Error::usage(e.0))?),
        None => None,
    };
    let view = server::View {
        wide,
        added,
        no_headers: plan.no_headers,
        all_namespaces: plan.all_namespaces,
        sort,
        sort_by: plan.sort_by.clone(),
        watch: plan.watch,
        watch_only: plan.watch_only,
        label_columns: &plan.label_columns,
        show_labels: plan.show_labels,
        show_kind: plan.show_kind,
        events: plan.watch_events,
        server_print: plan.server_print,
        ignore_not_found: plan.ignore_not_found,
        subresource: if plan.watch { None } else { plan.subresource.as_deref() },
        filter: plan.filter.as_ref(),
    };
    let mut printer = server::Printer::new(view);
    let shown = server::print(kube, targets, &plan.list, &mut printer).await;
    let first_name = targets.groups.first().and_then(|g| if let Read::Names(n) = &g.read { n.first() } else { None });
    let mut rv = match (shown, first_name) {
        (Err(e), Some(n)) if e.api_code() == Some(404) => {
            let resources: Vec<_> = targets.groups.iter().map(|g| g.resource.clone()).collect();
            return Err(resolve::preset_hint(e, n, &plan.presets, &resources));
        }
        (other, _) => other?,
    };
    if !plan.watch || (first_name.is_some() && printer.tables_read == 0) {
        return Ok(());
    }
    // One resource type is watched (the plan refuses more); a named object from the start.
    let group = targets.groups.first();
    let namespaced = group.is_some_and(|g| g.resource.namespaced);
    let kind = group.filter(|_| plan.show_kind).map(server::kind_prefix);
    if first_name.is_some() {
        rv.clear();
    }
    let relist = async |printer: &mut server::Printer<'_>| server::print(kube, targets, &plan.list, printer).await;
    if !plan.server_print {
        // Objects, each made into kubectl's NAME and AGE table.
        return watch::Watch::objects(targets, &plan.list, &Projection::All)?
            .follow(kube, rv, &mut printer, relist, |printer, event, obj| {
                if !plan.keep(&obj)? {
                    return Ok(());
                }
                printer.event(event, &server::name_and_age(obj), kind.as_deref(), namespaced)
            })
            .await;
    }
    // The rows carry their objects for the added columns and for --where.
    watch::Watch::tables(targets, &plan.list, !added.is_empty() || plan.filter.is_some())?
        .follow(kube, rv, &mut printer, relist, |printer, event, table| {
            printer.event(event, &table, kind.as_deref(), namespaced)
        })
        .await
}

fn presets_command(action: Option<&PresetsAction>, format: Report, headers: NoHeaders) -> Result<()> {
    let path = presets::config_path();
    if let Some(PresetsAction::Add { name, resource, spec }) = action {
        spec::parse(spec).map_err(|e| Error::usage(format!("invalid spec {spec:?}: {e}")))?;
        presets::add_user(&path, resource, name, spec)?;
        output::err(&format!("preset {name} for {resource} saved in {}\n", path.display()));
        return Ok(());
    }
    let mut all = presets::load_user(&path)?;
    all.extend(presets::builtins());
    let v: Vec<Value> = all
        .iter()
        .map(|p| serde_json::json!({"name": p.name, "resources": p.resources, "spec": p.spec, "source": if p.user { "user" } else { "built-in" }}))
        .collect();
    if let Some(text) = format.data(&v)? {
        output::out(&text);
        return Ok(());
    }
    let mut t = Table::new(["PRESET", "RESOURCES", "SOURCE", "COLUMNS"]);
    for p in &all {
        t.push([
            p.name.clone(),
            p.resources.join(","),
            if p.user { "user".into() } else { "built-in".into() },
            p.spec.clone(),
        ]);
    }
    output::out(&t.render(!headers.no_headers));
    Ok(())
}

/// Completes the resource word, then the presets that fit it and its objects' names; the
/// resource of `presets add`; `-o` and `-f`.
pub async fn complete(req: Request) -> Result<Values> {
    let cmd: Vec<&str> = req.command.iter().map(String::as_str).collect();
    match (cmd.as_slice(), req.arg.as_str(), req.flag) {
        ([], "args", false) if req.positionals.is_empty() => {
            Ok(Values::Candidates(completion::resource_words(&catalog_for_completion(&req).await?)))
        }
        ([], "args", false) => {
            let catalog = catalog_for_completion(&req).await?;
            let mut all = presets::load_user(&presets::config_path()).unwrap_or_default();
            all.extend(presets::builtins());
            let mut out = vec![];
            let mut resolved = vec![];
            let first = req.positionals.first().map(String::as_str).unwrap_or_default();
            for word in first.split(',') {
                let word = word.split_once('/').map_or(word, |(r, _)| r);
                if let Ok(r) = catalog.resolve(word) {
                    for p in presets::for_resource(&all, &r.winner) {
                        out.push(Candidate::described(p.name.clone(), format!("preset: {}", p.spec)));
                    }
                    resolved.push(r.winner);
                }
            }
            // Object names as well, for one resource in the namespace; presets stay on offer
            // when the cluster cannot list them.
            if let [r] = resolved.as_slice()
                && let Ok(kube) = req.kube().await
                && let Ok(names) = completion::names(&kube, &r.url_path(Some(&kube.namespace))).await
            {
                out.extend(names);
            }
            Ok(Values::Candidates(out))
        }
        (["presets", "add"], "resource", false) => {
            let mut words = vec![Candidate::described("*", "every resource")];
            words.extend(completion::resource_words(&catalog_for_completion(&req).await?));
            Ok(Values::Candidates(words))
        }
        (_, "filenames", true) => Ok(Values::Files),
        _ => Ok(Values::Unknown),
    }
}

/// Discovery for completion: the cache or the cluster, else kubectl's built-in resources (the
/// words stay valid without a cluster).
async fn catalog_for_completion(req: &Request) -> Result<Catalog> {
    let loaded = match req.kube().await {
        Ok(kube) => Catalog::load(&kube).await,
        Err(e) => Err(e),
    };
    match loaded {
        Ok(c) => Ok(c),
        Err(e) if e.is_unreachable() => Ok(kubectl_kit_core::discovery::offline()),
        Err(e) => Err(e),
    }
}
