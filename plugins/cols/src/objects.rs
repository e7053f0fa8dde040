//! Objects from the cluster, decoded only as far as the view reads them (a projection): lists
//! page by page, named objects with one GET each.
//!
//! As `kubectl get` does, a named object that is missing is reported after the others are
//! printed, and objects printed in a List go through the normalisation of kubectl's JSON round
//! trip.

use kubectl_kit_core::list;
use kubectl_kit_core::printers::columns::normalize_list_item;
use kubectl_kit_core::projection::Projection;
use kubectl_kit_core::{Error, Kube, Result};
use serde_json::Value;

use crate::plan::Plan;
use crate::resolve::{Read, Targets};

/// What reading left besides the objects.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Exactly one object came, for one object named: it prints as itself, not in a List.
    pub single: bool,
    /// The resourceVersion of the last list, to watch from.
    pub resource_version: String,
    /// Named objects that were not found (kubectl reports them after printing the rest);
    /// none with `--ignore-not-found`.
    pub missing: Vec<Error>,
    /// How many objects were read.
    pub count: usize,
}

/// Reads every target, handing each object `--where` keeps to `each` in kubectl's order: named
/// objects (their `--subresource` unless watching, as kubectl), lists with the plan's selectors
/// and chunks.
pub(crate) async fn read(
    kube: &Kube,
    targets: &Targets,
    plan: &Plan,
    projection: &Projection,
    mut each: impl FnMut(Value) -> Result<()>,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let mut count = 0;
    for g in &targets.groups {
        let (api_version, kind) = (g.resource.api_version(), g.resource.kind.clone());
        let ns = g.namespace.as_deref();
        match &g.read {
            Read::Names(names) => {
                for n in names {
                    let sub = if plan.watch { None } else { plan.subresource.as_deref() };
                    let mut obj = match list::get_subresource(kube, &g.resource, ns, n, sub, projection).await {
                        Ok(obj) => obj,
                        Err(e) if e.api_code() == Some(404) => {
                            if !plan.ignore_not_found {
                                outcome.missing.push(e);
                            }
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    // One object named prints as itself; anything else goes into kubectl's List
                    // (and its JSON round trip).
                    if !targets.single {
                        normalize_list_item(&mut obj, &api_version, &kind);
                    }
                    if plan.keep(&obj)? {
                        count += 1;
                        each(obj)?;
                    }
                }
            }
            Read::List => {
                let mut kept = 0;
                let meta = list::for_each(kube, &g.resource, ns, &plan.list, projection, |mut obj| {
                    normalize_list_item(&mut obj, &api_version, &kind);
                    if !plan.keep(&obj)? {
                        return Ok(());
                    }
                    kept += 1;
                    each(obj)
                })
                .await?;
                count += kept;
                outcome.resource_version = meta.resource_version;
            }
        }
    }
    outcome.single = targets.single && count == 1;
    outcome.count = count;
    Ok(outcome)
}

/// Reports all missing objects but the last on stderr and returns the last as the error, after
/// the rest was printed.
pub(crate) fn missing(outcome: Outcome) -> Result<()> {
    let mut missing = outcome.missing;
    let last = missing.pop();
    for e in missing {
        kubectl_kit_core::output::err(&e.render());
    }
    match last {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
