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

use kubectl_kit_core::fleet::{Fleet, Scope, Target, each_namespace, error_line};
use kubectl_kit_core::projection::Projection;
use kubectl_kit_core::{Error, Result};
use serde_json::Value;

use crate::objects;
use crate::plan::{ObjectFormat, Plan};
use crate::render::{self, Bare, Printing};
use crate::resolve::{self, Targets};
use crate::spec::Spec;

/// What one context's read came to.
struct Read {
    /// The columns of the presets named, as this context's discovery resolved them.
    preset_columns: Vec<Spec>,
    /// The objects, in kubectl's order within the context.
    objects: Vec<Value>,
    /// One object named, found: printed as itself by the object formats.
    single: bool,
    /// Named objects not found.
    missing: Vec<Error>,
}

/// Reads and prints across the fleet.
pub(crate) async fn run(plan: &Plan, fleet: &Fleet, explicit_namespace: bool) -> Result<()> {
    if plan.watch {
        return Err(Error::usage("--watch follows one context and one namespace: pass --context NAME and -n NAME"));
    }
    let outcomes = fleet.run(|target| read(plan, target, explicit_namespace)).await;
    let answered: Vec<(&str, &Read)> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok().map(|r| (o.target.context.as_deref().unwrap_or_default(), r)))
        .collect();
    let presets = answered.first().map(|(_, r)| r.preset_columns.clone()).unwrap_or_default();
    // Rows never come from the server's table here: each cluster's table has its own columns
    // (versions and CRDs differ), and one table needs one set of them.
    let printed = match render::printing(plan, &presets, Bare::Age)? {
        Printing::Objects(format) => print_objects(format, &answered),
        Printing::Rows(printer) => {
            let mut printer = printer.across_contexts(fleet.is_many(), fleet.shows_namespace())?;
            for (context, read) in &answered {
                printer.context(context);
                for obj in &read.objects {
                    printer.add(obj)?;
                }
            }
            if answered.iter().any(|(_, r)| !r.objects.is_empty()) || !plan.ignore_not_found {
                printer.finish(false)?;
            }
            Ok(())
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
    fleet.report(&outcomes)?;
    if !missing.is_empty() {
        return Err(Error::quiet(1));
    }
    Ok(())
}

/// Each context's objects as kubectl prints them for that context alone.
fn print_objects(format: &ObjectFormat, answered: &[(&str, &Read)]) -> Result<()> {
    for (_, read) in answered {
        let data = match read.objects.as_slice() {
            [one] if read.single => one.clone(),
            all => render::list_of(all.to_vec()),
        };
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
    let preset_columns = targets.preset_columns.clone();
    // Only what the columns, the sort key and --where read is kept of each object: the rows of
    // every context wait in memory until the last context has answered.
    let projection = match render::printing(plan, &preset_columns, Bare::Age)? {
        Printing::Rows(printer) => {
            let mut p = crate::projection_of(printer.columns(), plan.object_sort_field()?.as_ref());
            p.merge(&Projection::from_paths(&plan.filter_fields()));
            // The NAMESPACE column the table across namespaces adds.
            p.add(&["metadata".into(), "namespace".into()]);
            p
        }
        _ => Projection::All,
    };
    let mut out = Read { preset_columns, objects: vec![], single: false, missing: vec![] };
    let in_one = async |targets: &Targets| -> Result<(Vec<Value>, objects::Outcome)> {
        let mut objects = vec![];
        let outcome = objects::read(&kube, targets, plan, &projection, |obj| {
            objects.push(obj);
            Ok(())
        })
        .await?;
        Ok((objects, outcome))
    };
    match Scope::resolve(&kube, &target.namespaces).await? {
        Scope::One(_) | Scope::All => {
            let (objects, outcome) = in_one(&targets).await?;
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
                async move { in_one(&here).await }
            })
            .await?;
            for (_, (objects, outcome)) in read {
                out.objects.extend(objects);
                out.missing.extend(outcome.missing);
            }
        }
    }
    Ok(out)
}
