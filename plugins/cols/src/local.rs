//! `--local -f FILE`: the files' own objects re-projected without a cluster (saved
//! `kubectl get -o json|yaml` output, manifests). Presets are matched to the objects' kind.

use kubectl_kit_core::{Error, Result};
use serde_json::Value;

use crate::plan::{Plan, Source, View};
use crate::presets::Preset;
use crate::render::{self, Printing};

/// Prints the plan's local objects.
pub(crate) fn print(plan: &Plan) -> Result<()> {
    let Source::Files { manifests, words, .. } = &plan.source else { return Ok(()) };
    let mut objects: Vec<Value> = vec![];
    for m in &manifests.objects {
        if plan.keep(&m.object)? {
            objects.push(m.object.clone());
        }
    }
    let single = manifests.single_implied && objects.len() == 1;
    let kind = objects.first().and_then(|o| o["kind"].as_str()).unwrap_or_default().to_string();
    let mut presets = vec![];
    // The words are presets for a view of columns (as with the cluster's objects).
    let words = if matches!(plan.view, View::Columns { .. }) { words.as_slice() } else { &[] };
    for w in words {
        let preset = plan.presets.iter().find(|p| p.name == *w && fits_kind(p, &kind)).ok_or_else(|| {
            Error::usage(format!("unknown preset {w:?} for these objects")).hint("kubectl cols presets lists them")
        })?;
        presets.extend(plan.preset_columns(preset)?);
    }
    match render::printing(plan, &presets, render::Bare::Kind)? {
        Printing::Objects(format) => {
            let data = if single {
                objects.into_iter().next().unwrap_or(Value::Null)
            } else {
                let mut objects = objects;
                if let Some(s) = plan.object_sort_field()? {
                    render::sort_items(&mut objects, &s)?;
                }
                render::list_of(objects)
            };
            render::objects(format, &data)
        }
        Printing::Rows(mut printer) => {
            for o in &objects {
                printer.add(o)?;
            }
            printer.finish(single)
        }
        // Not chosen without a server; were it, the message says why it cannot be.
        Printing::DefaultView { .. } => {
            Err(Error::usage("kubectl's default view is a table the server makes: --local needs presets, --add or -o"))
        }
    }
}

/// A preset fits a kind when one of its resources is that kind's plural (or `*`).
fn fits_kind(p: &Preset, kind: &str) -> bool {
    let kind = kind.to_lowercase();
    p.resources.iter().any(|k| {
        k == "*"
            || k.split('.').next().is_some_and(|plural| {
                plural.trim_end_matches('s') == kind || plural == format!("{kind}s") || plural == format!("{kind}es")
            })
    })
}
