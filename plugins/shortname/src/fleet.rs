//! `kubectl shortname … --contexts PATTERN` / `--all-contexts`: discovery of several clusters
//! side by side, to see where they differ.
//!
//! - the listing: one row per resource and definition (short names, version, scope, kind),
//!   with the contexts that serve it so (`all` when every context read does): a CRD installed
//!   in one cluster and not another, or at another version, shows as its own row;
//! - words: each context's resolution, a CONTEXT column first;
//! - `why`: each context's explanation, contexts that explain it alike grouped;
//! - `conflicts`: short names that are ambiguous in some cluster, or that kubectl resolves to
//!   different resources (or to nothing) in different clusters.
//!
//! A context that cannot be read is an `error: context NAME: …` line after the output (no
//! offline fallback: the built-in table says nothing about a cluster), and the exit status is 1.

use std::collections::BTreeMap;

use kubectl_kit_core::discovery::{Catalog, Resource};
use kubectl_kit_core::fleet::{Fleet, error_line};
use kubectl_kit_core::output::{self, Format, Table};
use kubectl_kit_core::{Error, Result};
use serde::Serialize;

use super::{Command, Filters};

/// Each context's discovery, in the fleet's order; the contexts that failed are reported.
struct Read {
    /// `(context, catalog)` of the contexts that answered.
    catalogs: Vec<(String, Catalog)>,
}

/// Runs a shortname command across the fleet's contexts.
pub(super) async fn run(
    fleet: &Fleet,
    command: &Option<Command>,
    words: &[String],
    filters: &Filters,
    format: &Format,
    no_headers: bool,
) -> Result<()> {
    let outcomes = fleet.run(|t| async move { Catalog::load(&t.connect()?).await }).await;
    let mut read = Read { catalogs: vec![] };
    for o in &outcomes {
        if let (Some(c), Ok(cat)) = (&o.target.context, &o.result) {
            read.catalogs.push((c.clone(), cat.clone()));
        }
    }
    let mut faults: Vec<String> = vec![];
    let text = match command {
        Some(Command::Why { word, .. }) => why(&read, word, format, &mut faults)?,
        Some(Command::Conflicts { .. }) => conflicts(&read, format, no_headers)?,
        None if words.is_empty() => list(&read, filters, format, no_headers)?,
        None => lookup(&read, words, format, no_headers, &mut faults)?,
    };
    output::out(&text);
    let reported = fleet.report(&outcomes);
    for f in &faults {
        output::err(f);
    }
    match (reported, faults.is_empty()) {
        (Ok(()), true) => Ok(()),
        _ => Err(Error::quiet(1)),
    }
}

fn data(format: &Format, value: &impl Serialize) -> Result<Option<String>> {
    Ok(match format {
        Format::Json => Some(output::to_json(value)?),
        Format::Yaml => Some(output::to_yaml(value)?),
        _ => None,
    })
}

/// The contexts column: `all` when every context read has it, else their names.
fn contexts_cell(read: &Read, contexts: &[String]) -> String {
    if contexts.len() == read.catalogs.len() && read.catalogs.len() > 1 { "all".into() } else { contexts.join(",") }
}

/// One definition of a resource, and where it is served so.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Variant {
    #[serde(flatten)]
    resource: Resource,
    contexts: Vec<String>,
}

fn list(read: &Read, filters: &Filters, format: &Format, no_headers: bool) -> Result<String> {
    // (group, plural) → definitions in the order the contexts first show them.
    let mut by_key: BTreeMap<(String, String), Vec<Variant>> = BTreeMap::new();
    for (context, catalog) in &read.catalogs {
        for r in super::listed(catalog, filters) {
            let variants = by_key.entry((r.group.clone(), r.name.clone())).or_default();
            let same = |v: &&mut Variant| {
                let a = &v.resource;
                a.short_names == r.short_names
                    && a.version == r.version
                    && a.namespaced == r.namespaced
                    && a.kind == r.kind
            };
            match variants.iter_mut().find(|v| same(v)) {
                Some(v) => v.contexts.push(context.clone()),
                None => variants.push(Variant { resource: r, contexts: vec![context.clone()] }),
            }
        }
    }
    let mut rows: Vec<Variant> = by_key.into_values().flatten().collect();
    super::sort_listing(&mut rows, filters, |v| &v.resource);
    let contexts: Vec<&String> = read.catalogs.iter().map(|(c, _)| c).collect();
    let doc = serde_json::json!({"apiVersion": "kubectl-kit.shortname/v1", "kind": "FleetResourceList", "contexts": contexts, "resources": rows});
    if let Some(text) = data(format, &doc)? {
        return Ok(text);
    }
    if *format == Format::Name {
        let mut names: Vec<String> = rows.iter().map(|v| v.resource.qualified()).collect();
        names.dedup();
        return Ok(names.iter().map(|n| format!("{n}\n")).collect());
    }
    let mut headers = vec!["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "CONTEXTS"];
    if *format == Format::Wide {
        headers.extend(["VERBS", "CATEGORIES"]);
    }
    let mut t = Table::new(headers);
    for v in &rows {
        let r = &v.resource;
        let mut row = vec![
            r.name.clone(),
            r.short_names.join(","),
            r.api_version(),
            r.namespaced.to_string(),
            r.kind.clone(),
            contexts_cell(read, &v.contexts),
        ];
        if *format == Format::Wide {
            row.push(r.verbs.join(","));
            row.push(r.categories.join(","));
        }
        t.push(row);
    }
    Ok(t.render(!no_headers))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Looked {
    context: String,
    #[serde(flatten)]
    resolution: kubectl_kit_core::discovery::Resolution,
}

fn lookup(
    read: &Read,
    words: &[String],
    format: &Format,
    no_headers: bool,
    faults: &mut Vec<String>,
) -> Result<String> {
    let mut found: Vec<Looked> = vec![];
    for (context, catalog) in &read.catalogs {
        for w in words {
            match catalog.resolve(w) {
                Ok(resolution) => found.push(Looked { context: context.clone(), resolution }),
                Err(e) => faults.push(error_line(Some(context), &e)),
            }
        }
    }
    if let Some(text) = data(format, &found)? {
        return Ok(text);
    }
    if *format == Format::Name {
        return Ok(found.iter().map(|l| format!("{}\n", l.resolution.winner.qualified())).collect());
    }
    let mut headers = vec!["CONTEXT", "WORD", "NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"];
    if *format == Format::Wide {
        headers.extend(["VERBS", "RULE"]);
    }
    let mut t = Table::new(headers);
    for l in &found {
        let (r, w) = (&l.resolution, &l.resolution.winner);
        let mut row = vec![
            l.context.clone(),
            r.word.clone(),
            w.name.clone(),
            w.short_names.join(","),
            w.api_version(),
            w.namespaced.to_string(),
            w.kind.clone(),
        ];
        if *format == Format::Wide {
            row.push(w.verbs.join(","));
            row.push(r.rule.clone());
        }
        t.push(row);
    }
    Ok(if t.is_empty() { String::new() } else { t.render(!no_headers) })
}

fn why(read: &Read, word: &str, format: &Format, faults: &mut Vec<String>) -> Result<String> {
    // Contexts whose explanation reads the same are shown once.
    let mut groups: Vec<(Vec<String>, String)> = vec![];
    let mut docs: Vec<serde_json::Value> = vec![];
    for (context, catalog) in &read.catalogs {
        let text = match super::why(catalog, word, &Format::Json) {
            Ok(text) => text,
            Err(e) => {
                faults.push(error_line(Some(context), &e));
                continue;
            }
        };
        let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if let Some(map) = doc.as_object_mut() {
            map.insert("context".into(), context.clone().into());
        }
        docs.push(doc);
        let shown = match format {
            Format::Name => super::why(catalog, word, &Format::Name)?,
            _ => super::why(catalog, word, &Format::Table)?,
        };
        match groups.iter_mut().find(|(_, t)| *t == shown) {
            Some((contexts, _)) => contexts.push(context.clone()),
            None => groups.push((vec![context.clone()], shown)),
        }
    }
    if let Some(text) = data(format, &docs)? {
        return Ok(text);
    }
    if *format == Format::Name {
        let mut names: Vec<String> = groups.into_iter().map(|(_, t)| t).collect();
        names.dedup();
        return Ok(names.concat());
    }
    let mut out = String::new();
    for (i, (contexts, text)) in groups.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let label = if contexts.len() == 1 { "context" } else { "contexts" };
        out.push_str(&format!("{label} {}:\n{text}", output::escape(&contexts.join(", "))));
    }
    Ok(out)
}

/// One meaning of a short name, and the contexts where kubectl gives it that meaning.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Meaning {
    short_name: String,
    /// What kubectl resolves it to (`None`: the word means nothing there).
    winner: Option<String>,
    /// What else declares it there and loses.
    shadowed: Vec<String>,
    contexts: Vec<String>,
}

fn conflicts(read: &Read, format: &Format, no_headers: bool) -> Result<String> {
    let mut words: Vec<String> =
        read.catalogs.iter().flat_map(|(_, c)| c.preferred().into_iter().flat_map(|r| r.short_names)).collect();
    words.sort();
    words.dedup();
    let mut meanings: Vec<Meaning> = vec![];
    for word in &words {
        let mut mine: Vec<Meaning> = vec![];
        for (context, catalog) in &read.catalogs {
            let winner = catalog.resolve(word).ok().map(|r| r.winner.qualified());
            let mut shadowed: Vec<String> = catalog
                .conflicts()
                .into_iter()
                .filter(|c| &c.short_name == word)
                .flat_map(|c| c.claimants.into_iter().chain(c.names))
                .map(|r| r.qualified())
                .filter(|q| Some(q) != winner.as_ref())
                .collect();
            shadowed.sort();
            shadowed.dedup();
            match mine.iter_mut().find(|m| m.winner == winner && m.shadowed == shadowed) {
                Some(m) => m.contexts.push(context.clone()),
                None => {
                    mine.push(Meaning { short_name: word.clone(), winner, shadowed, contexts: vec![context.clone()] })
                }
            }
        }
        // A word that means one thing everywhere, with nothing shadowed, is no conflict.
        if mine.len() > 1 || mine.iter().any(|m| !m.shadowed.is_empty()) {
            meanings.extend(mine);
        }
    }
    if let Some(text) = data(format, &meanings)? {
        return Ok(text);
    }
    if *format == Format::Name {
        let mut names: Vec<&str> = meanings.iter().map(|m| m.short_name.as_str()).collect();
        names.dedup();
        return Ok(names.iter().map(|n| format!("{n}\n")).collect());
    }
    if meanings.is_empty() {
        output::err("every short name means the same resource in every context, and none is ambiguous\n");
        return Ok(String::new());
    }
    let mut t = Table::new(["SHORTNAME", "KUBECTL PICKS", "CONTEXTS", "SHADOWED"]);
    for m in &meanings {
        t.push([
            m.short_name.clone(),
            m.winner.clone().unwrap_or_else(|| "<none>".into()),
            contexts_cell(read, &m.contexts),
            m.shadowed.join(","),
        ]);
    }
    Ok(t.render(!no_headers))
}
