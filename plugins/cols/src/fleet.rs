//! `kubectl cols … --contexts 'prod-*' | --all-contexts | -n a,b | --namespaces 'team-*'`: one
//! table across kubeconfig contexts and namespaces.
//!
//! Every context is read concurrently (at most `--parallel` at once, each within its timeout),
//! with its own client, discovery and namespaces; then the rows print as one table, in the
//! contexts' order: CONTEXT first (with contexts asked for), NAMESPACE after it where rows come
//! from several namespaces, the header once, the widths across every row, `--sort-by` across
//! every row. Data formats carry both as fields. `-o jsonpath`, `-o go-template` and
//! `-o kyaml` print, context after context, what kubectl prints for that context alone (its
//! List, or the one object named). A context that cannot be read, or a namespace RBAC forbids,
//! is one `error: context NAME: …` line after the rows, and the exit status is 1.
//!
//! `-w` (and `--watch-only`): the table as above, then one watch per context and namespace
//! read, all at once ([`Fleet::follow`]: neither `--parallel` nor the per-context timeout
//! bound a watch), each change one row tagged with its context, in the widths printed so far
//! as `kubectl get -w` prints its changes. A context whose watch fails is its
//! `error: context NAME: …` line at once, and the others go on; when every watch has ended the
//! exit status is 1. Ctrl-C ends them all (the signal's default disposition, as without `-w`).
//! The object formats are refused with `-w` here: their output cannot say which context an
//! object came from.

use std::cell::RefCell;

use futures::StreamExt;
use kubectl_kit_core::fleet::{Fleet, Outcome, Scope, Target, each_namespace, error_line};
use kubectl_kit_core::projection::Projection;
use kubectl_kit_core::{Error, Result};
use serde_json::Value;

use crate::plan::{ObjectFormat, Plan, View};
use crate::render::{self, Bare, Printing, RowPrinter};
use crate::resolve::{self, Targets};
use crate::spec::Spec;
use crate::{objects, watch};

/// What one context's read came to.
struct Read {
    /// The columns of the presets named, as this context's discovery resolved them.
    preset_columns: Vec<Spec>,
    /// The objects, in kubectl's order within the context, each kept as its compact JSON: every
    /// context's rows wait for the last context, and a decoded object costs several times its
    /// text.
    objects: Vec<Box<str>>,
    /// One object named, found: printed as itself by the object formats.
    single: bool,
    /// Named objects not found.
    missing: Vec<Error>,
    /// What the objects were decoded through, for the watches to decode theirs the same way.
    projection: Projection,
    /// With `-w`: each namespace read (or the one read of all of them), to watch from where
    /// its list ended.
    watches: Vec<Watched>,
}

/// One watch to open after the table: what was read, and the resourceVersion it was read at.
struct Watched {
    targets: Targets,
    resource_version: String,
}

/// With `--output-watch-events`, custom-columns read the event (`{"type", "object"}`), as
/// kubectl's do; presets read the object, beside an EVENT column.
fn wrapped(plan: &Plan) -> bool {
    plan.watch_events && matches!(plan.view, View::CustomColumns { .. })
}

/// What rows are made of: the object, or with [`wrapped`] the event around it.
fn shown(plan: &Plan, kind: &str, obj: Value) -> Value {
    if wrapped(plan) { serde_json::json!({"type": kind, "object": obj}) } else { obj }
}

/// Reads and prints across the fleet.
pub(crate) async fn run(plan: &Plan, fleet: &Fleet, explicit_namespace: bool) -> Result<()> {
    if plan.watch && matches!(plan.view, View::Objects(_)) {
        return Err(Error::usage(
            "--watch across contexts or namespaces prints rows tagged with their context: it needs a table (presets, --add, -o wide, -o custom-columns or -o name)",
        )
        .hint("-o jsonpath, -o go-template and -o kyaml watch one context and one namespace: pass --context NAME and -n NAME"));
    }
    let outcomes = fleet.run(|target| read(plan, target, explicit_namespace)).await;
    // A watch the plan cannot follow is refused the same in every context: once, as usage.
    if let Some(e) = outcomes.iter().find_map(|o| o.result.as_ref().err().filter(|e| plan.watch && e.is_usage())) {
        return Err(e.clone());
    }
    let answered: Vec<(&str, &Read)> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok().map(|r| (o.target.context.as_deref().unwrap_or_default(), r)))
        .collect();
    let presets = answered.first().map(|(_, r)| r.preset_columns.clone()).unwrap_or_default();
    // Rows never come from the server's table here: each cluster's table has its own columns
    // (versions and CRDs differ), and one table needs one set of them.
    let mut rows = None;
    let printed = match render::printing(plan, &presets, Bare::Age)? {
        Printing::Objects(format) => print_objects(format, &answered),
        Printing::Rows(printer) => {
            let namespace = if wrapped(plan) { ".object.metadata.namespace" } else { ".metadata.namespace" };
            let mut printer = printer.across_contexts(fleet.is_many(), fleet.shows_namespace().then_some(namespace))?;
            let printed = print_rows(plan, &mut printer, &answered);
            rows = Some(printer);
            printed
        }
        Printing::DefaultView { .. } => unreachable!("printing without the server's table has no default view"),
    };
    // A named object missing from a context is that context's line, as its other failures are.
    let missing: Vec<String> = answered
        .iter()
        .flat_map(|(context, r)| r.missing.iter().map(|e| error_line(fleet.is_many().then_some(*context), e)))
        .collect();
    for m in &missing {
        kubectl_kit_core::output::err(m);
    }
    printed?;
    let reported = fleet.report(&outcomes);
    if let Some(printer) = rows.filter(|_| plan.watch) {
        return follow(plan, fleet, outcomes, printer, reported.is_err() || !missing.is_empty()).await;
    }
    reported?;
    if !missing.is_empty() {
        return Err(Error::quiet(1));
    }
    Ok(())
}

/// The rows every context read, as one table: with `-w` as kubectl's watch prints a list (the
/// header with the first row; none with `--watch-only`).
fn print_rows(plan: &Plan, printer: &mut RowPrinter, answered: &[(&str, &Read)]) -> Result<()> {
    if plan.watch {
        printer.watching();
        printer.event_type("ADDED");
    }
    for (context, read) in answered {
        printer.context(context);
        for kept in read.objects.iter().filter(|_| !plan.watch_only) {
            let obj = unpack(kept)?;
            if wrapped(plan) {
                printer.add(&shown(plan, "ADDED", obj))?;
            } else {
                printer.add(&obj)?;
            }
        }
    }
    // A watch prints its header with its first row, whatever --ignore-not-found says.
    if plan.watch || answered.iter().any(|(_, r)| !r.objects.is_empty()) || !plan.ignore_not_found {
        printer.finish(false)?;
    }
    Ok(())
}

/// After the table: every context's watches at once, each change one row in `printer`; a
/// context whose watches fail is its line at once. Returns when every watch has ended, `Err`
/// (exit 1) when any failed, or when `failed` (the read before failed somewhere).
async fn follow(
    plan: &Plan,
    fleet: &Fleet,
    outcomes: Vec<Outcome<Read>>,
    printer: RowPrinter,
    mut failed: bool,
) -> Result<()> {
    let started: Vec<(Target, Read)> = outcomes
        .into_iter()
        .filter_map(|o| o.result.ok().map(|r| (o.target, r)))
        .filter(|(_, r)| !r.watches.is_empty())
        .collect();
    let printer = RefCell::new(printer);
    let ended = fleet.follow(started, |target, read| follow_context(plan, target, read, &printer));
    let mut ended = std::pin::pin!(ended);
    while let Some(o) = ended.next().await {
        let context = o.target.context.as_deref();
        for e in o.faults.iter().chain(o.result.as_ref().err()) {
            kubectl_kit_core::output::err(&error_line(context, e));
            failed = true;
        }
    }
    if failed { Err(Error::quiet(1)) } else { Ok(()) }
}

/// One context's watches (one per namespace read), together; the first to fail ends the
/// context's. Each change prints at once as a row tagged with the context; after an expired
/// watch (410 Gone) the list is read again and printed the same way, as a single watch does.
async fn follow_context(plan: &Plan, target: Target, read: Read, printer: &RefCell<RowPrinter>) -> Result<()> {
    let kube = target.connect()?;
    let context = target.context.clone().unwrap_or_default();
    let projection = &read.projection;
    let print = |kind: &str, obj: Value| {
        let mut printer = printer.borrow_mut();
        printer.context(&context);
        printer.event_type(kind);
        printer.event(&shown(plan, kind, obj))
    };
    let watches = read.watches.iter().map(|w| {
        let (kube, print) = (&kube, &print);
        async move {
            let relist = async |_: &mut ()| {
                Ok(objects::read(kube, &w.targets, plan, projection, |obj| print("ADDED", obj)).await?.resource_version)
            };
            watch::Watch::objects(&w.targets, &plan.list, projection)?
                .follow(kube, w.resource_version.clone(), &mut (), relist, |_, kind, obj| {
                    if !plan.keep(&obj)? {
                        return Ok(());
                    }
                    print(kind, obj)
                })
                .await
        }
    });
    futures::future::try_join_all(watches).await.map(|_| ())
}

/// An object as it waits for the table: its compact JSON.
fn pack(obj: &Value) -> Result<Box<str>> {
    serde_json::to_string(obj)
        .map(String::into_boxed_str)
        .map_err(|e| Error::runtime("could not keep an object for the table").caused_by(e))
}

/// An object [`pack`] kept.
fn unpack(kept: &str) -> Result<Value> {
    serde_json::from_str(kept)
        .map_err(|e| Error::runtime("could not read back an object kept for the table").caused_by(e))
}

/// Each context's objects as kubectl prints them for that context alone.
fn print_objects(format: &ObjectFormat, answered: &[(&str, &Read)]) -> Result<()> {
    for (_, read) in answered {
        let mut objects = read.objects.iter().map(|k| unpack(k)).collect::<Result<Vec<_>>>()?;
        let data = if read.single && objects.len() == 1 { objects.remove(0) } else { render::list_of(objects) };
        match format {
            // A fresh template each: client-go's JSONPath keeps its range bookkeeping between
            // runs, and each context prints as kubectl would print it alone.
            ObjectFormat::JsonPath { template, as_json } => {
                kubectl_kit_core::output::out(&render::jsonpath(&template.clone(), &data, *as_json)?)
            }
            other => render::objects(other, &data)?,
        }
    }
    Ok(())
}

/// One context: its targets as its own discovery resolves them, read in each of its
/// namespaces.
async fn read(plan: &Plan, target: Target, explicit_namespace: bool) -> Result<Read> {
    let kube = target.connect()?;
    let targets = resolve::targets(&kube, plan, explicit_namespace).await?;
    if plan.watch {
        crate::watchable(&targets)?;
    }
    let preset_columns = targets.preset_columns.clone();
    // Only what the columns, the sort key and --where read is kept of each object: the rows of
    // every context wait in memory until the last context has answered.
    let projection = match render::printing(plan, &preset_columns, Bare::Age)? {
        Printing::Rows(_) if wrapped(plan) => Projection::All,
        Printing::Rows(printer) => {
            let mut p = crate::projection_of(printer.columns(), plan.object_sort_field()?.as_ref());
            p.merge(&plan.filter_projection());
            // The NAMESPACE column the table across namespaces adds.
            p.add(&["metadata".into(), "namespace".into()]);
            p
        }
        _ => Projection::All,
    };
    let mut out = Read {
        preset_columns,
        objects: vec![],
        single: false,
        missing: vec![],
        projection: projection.clone(),
        watches: vec![],
    };
    let watch_from = |targets: &Targets, outcome: &objects::Outcome| {
        (plan.watch && !crate::stop_watching(plan, targets, outcome))
            .then(|| Watched { targets: targets.clone(), resource_version: outcome.resource_version.clone() })
    };
    let in_one = async |targets: &Targets| -> Result<(Vec<Box<str>>, objects::Outcome)> {
        let mut objects = vec![];
        let outcome = objects::read(&kube, targets, plan, &projection, |obj| {
            objects.push(pack(&obj)?);
            Ok(())
        })
        .await?;
        Ok((objects, outcome))
    };
    match Scope::resolve(&kube, &target.namespaces).await? {
        Scope::One(_) | Scope::All => {
            let (objects, outcome) = in_one(&targets).await?;
            out.watches.extend(watch_from(&targets, &outcome));
            out.objects = objects;
            out.single = outcome.single;
            out.missing = outcome.missing;
        }
        Scope::Each(names) => {
            let read = each_namespace(&names, |ns| {
                let mut here = targets.clone();
                for g in &mut here.groups {
                    if g.resource.namespaced {
                        g.namespace = Some(ns.clone());
                    }
                }
                let in_one = &in_one;
                async move { Ok((in_one(&here).await?, here)) }
            })
            .await?;
            // A cluster-scoped resource is the same list in every namespace: watched once.
            let namespaced = targets.groups.iter().any(|g| g.resource.namespaced);
            for (_, ((objects, outcome), here)) in read {
                if namespaced || out.watches.is_empty() {
                    out.watches.extend(watch_from(&here, &outcome));
                }
                out.objects.extend(objects);
                out.missing.extend(outcome.missing);
            }
        }
    }
    Ok(out)
}
