//! `--local -f FILE`: the files' own objects re-projected without a cluster (saved
//! `kubectl get -o json|yaml` output, manifests). Presets are matched to the objects' kind.

use kubectl_kit_core::printers::columns::Column;
use kubectl_kit_core::{Error, Result, output};
use serde_json::Value;

use crate::plan::{Plan, Source, View};
use crate::presets::Preset;
use crate::render::{self, RowPrinter};
use crate::spec::Spec;

/// Prints the plan's local objects.
pub(crate) fn print(plan: &Plan) -> Result<()> {
    let Source::Files { manifests, words, .. } = &plan.source else { return Ok(()) };
    let objects: Vec<Value> = manifests.objects.iter().map(|m| m.object.clone()).collect();
    let single = manifests.single_implied && objects.len() == 1;
    match &plan.view {
        View::JsonPath { template, as_json } => {
            let data =
                if single { objects.into_iter().next().unwrap_or(Value::Null) } else { render::list_of(objects) };
            output::out(&render::jsonpath(template, &data, *as_json)?);
            Ok(())
        }
        View::CustomColumns { columns, headers } => {
            let printer =
                RowPrinter::new(columns.clone(), crate::plan::DataFormat::Text, *headers, plan.object_sort_field()?);
            rows(printer, &objects, single)
        }
        View::Name => {
            let printer = RowPrinter::new(
                vec![crate::spec::kind_name().map_err(Error::runtime)?],
                crate::plan::DataFormat::Text,
                false,
                plan.object_sort_field()?,
            );
            rows(printer, &objects, single)
        }
        View::Columns { format, added, .. } => {
            let kind = objects.first().and_then(|o| o["kind"].as_str()).unwrap_or_default().to_string();
            let mut columns = vec![];
            if plan.all_namespaces {
                columns.push(plain("NAMESPACE", ".metadata.namespace")?);
            }
            columns.push(plain("NAME", ".metadata.name")?);
            let mut named = 0;
            for w in words {
                let preset = plan.presets.iter().find(|p| p.name == *w && fits_kind(p, &kind)).ok_or_else(|| {
                    Error::usage(format!("unknown preset {w:?} for these objects"))
                        .hint("kubectl cols presets lists them")
                })?;
                columns.extend(plan.preset_columns(preset)?);
                named += 1;
            }
            if named == 0 && added.is_empty() {
                columns.push(plain("KIND", ".kind")?);
            }
            columns.extend(added.iter().cloned());
            let printer = RowPrinter::new(columns, *format, !plan.no_headers, plan.object_sort_field()?);
            rows(printer, &objects, single)
        }
    }
}

fn rows(mut printer: RowPrinter, objects: &[Value], single: bool) -> Result<()> {
    for o in objects {
        printer.add(o)?;
    }
    printer.finish(single)
}

fn plain(header: &str, path: &str) -> Result<Spec> {
    Ok(Spec::Plain(Column::new(header, path).map_err(|e| Error::usage(e.0))?))
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
