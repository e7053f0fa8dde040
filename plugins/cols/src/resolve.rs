//! The plan's words → what to read from the cluster: resources resolved by kubectl's rules,
//! the words after them sorted into presets and object names, `-f` objects mapped to their
//! resources; and the columns the presets bring.

use kubectl_kit_core::discovery::{Catalog, Resource};
use kubectl_kit_core::manifests::Manifest;
use kubectl_kit_core::{Error, Kube, Result, output};

use crate::plan::{Plan, Source, View};
use crate::presets::{self, Preset};
use crate::spec::Spec;

/// One resource to read, in one namespace (or all of them).
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub resource: Resource,
    /// `None`: every namespace (`-A`), or a cluster-scoped resource.
    pub namespace: Option<String>,
    pub read: Read,
}

/// A list, or objects by name.
#[derive(Debug, Clone)]
pub(crate) enum Read {
    List,
    Names(Vec<String>),
}

/// Everything to read, and how it prints.
#[derive(Debug, Clone)]
pub(crate) struct Targets {
    pub groups: Vec<Group>,
    /// kubectl's "single item implied": one object named, printed as itself.
    pub single: bool,
    /// Columns of the presets named, in order.
    pub preset_columns: Vec<Spec>,
}

/// Resolves the plan's source against the cluster's discovery.
pub(crate) async fn targets(kube: &Kube, plan: &Plan, explicit_namespace: bool) -> Result<Targets> {
    let namespace_for = |r: &Resource, ns: Option<&str>| -> Option<String> {
        if !r.namespaced {
            return None;
        }
        match ns {
            Some(n) => Some(n.to_string()),
            None if plan.all_namespaces => None,
            None => Some(kube.namespace.clone()),
        }
    };
    match &plan.source {
        Source::Resources { resources, words } => {
            let mut resolved = vec![];
            let mut forced: Vec<(usize, String)> = vec![];
            let catalog = Catalog::load(kube).await?;
            let mut expanded = vec![];
            for word in resources {
                match catalog.expand_category(word) {
                    Some(words) => expanded.extend(words),
                    None => expanded.push(word.clone()),
                }
            }
            for word in &expanded {
                let (word, name) = match word.split_once('/') {
                    Some((w, n)) => (w, Some(n)),
                    None => (word.as_str(), None),
                };
                let (_, r) = Catalog::resolve_live(kube, word).await?;
                for warning in &r.warnings {
                    output::warn(warning);
                }
                // A type named twice is read once (kubectl dedupes them).
                let at =
                    match resolved.iter().position(|x: &Resource| x.name == r.winner.name && x.group == r.winner.group)
                    {
                        Some(at) => at,
                        None => {
                            resolved.push(r.winner);
                            resolved.len() - 1
                        }
                    };
                if let Some(n) = name {
                    forced.push((at, n.to_string()));
                }
            }
            let (preset_columns, names) = classify(plan, &resolved, words)?;
            let mut groups: Vec<Group> = vec![];
            for (i, r) in resolved.iter().enumerate() {
                let mut own: Vec<String> = forced.iter().filter(|(at, _)| *at == i).map(|(_, n)| n.clone()).collect();
                own.extend(names.iter().cloned());
                let read = if own.is_empty() { Read::List } else { Read::Names(own) };
                groups.push(Group { resource: r.clone(), namespace: namespace_for(r, None), read });
            }
            let named: usize = groups.iter().map(|g| if let Read::Names(n) = &g.read { n.len() } else { 0 }).sum();
            let single = groups.len() == 1 && named == 1;
            Ok(Targets { groups, single, preset_columns })
        }
        Source::Files { manifests, words, .. } => {
            let catalog = Catalog::load(kube).await?;
            let mut groups: Vec<Group> = vec![];
            let mut kinds: Vec<Resource> = vec![];
            for m in &manifests.objects {
                let r = mapping(&catalog, m)?;
                let name = text_at(&m.object, "/metadata/name").filter(|n| !n.is_empty()).ok_or_else(|| {
                    Error::runtime(format!(
                        "a {} in {} has no metadata.name: kubectl reads objects by name",
                        r.kind, m.source
                    ))
                })?;
                let own = text_at(&m.object, "/metadata/namespace").filter(|n| !n.is_empty());
                if let Some(own) = own
                    && r.namespaced
                    && explicit_namespace
                    && own != kube.namespace
                {
                    return Err(Error::runtime(format!(
                        "the namespace from the provided object \"{own}\" does not match the namespace \"{}\". You must pass '--namespace={own}' to perform this operation.",
                        kube.namespace
                    )));
                }
                let namespace = if r.namespaced { Some(own.unwrap_or(&kube.namespace).to_string()) } else { None };
                match groups.last_mut() {
                    Some(g) if g.resource.name == r.name && g.resource.group == r.group && g.namespace == namespace => {
                        if let Read::Names(names) = &mut g.read {
                            names.push(name.to_string());
                        }
                    }
                    _ => {
                        groups.push(Group { resource: r.clone(), namespace, read: Read::Names(vec![name.to_string()]) })
                    }
                }
                if !kinds.iter().any(|k| k.name == r.name && k.group == r.group) {
                    kinds.push(r);
                }
            }
            let (preset_columns, names) = classify(plan, &kinds, words)?;
            if let Some(w) = names.first() {
                return Err(Error::usage(format!("{w:?} is not a preset for these objects"))
                    .hint("with -f, the words are preset names; kubectl cols presets lists them"));
            }
            let single = manifests.single_implied && manifests.objects.len() == 1;
            Ok(Targets { groups, single, preset_columns })
        }
    }
}

/// The resource an object of a manifest is, by its `apiVersion` and `kind`.
fn mapping(catalog: &Catalog, m: &Manifest) -> Result<Resource> {
    let kind = text_at(&m.object, "/kind").unwrap_or_default();
    let api_version = text_at(&m.object, "/apiVersion").unwrap_or_default();
    if kind.is_empty() {
        return Err(Error::runtime(format!("unable to decode \"{}\": Object 'Kind' is missing", m.source)));
    }
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    catalog
        .all()
        .find(|r| !r.name.contains('/') && r.kind == kind && r.group == group && r.version == version)
        .cloned()
        .ok_or_else(|| {
            let name = text_at(&m.object, "/metadata/name").unwrap_or_default();
            let ns = text_at(&m.object, "/metadata/namespace").unwrap_or_default();
            Error::runtime(format!(
                "resource mapping not found for name: \"{name}\" namespace: \"{ns}\" from \"{}\": no matches for kind \"{kind}\" in version \"{api_version}\"",
                m.source
            ))
            .hint("ensure CRDs are installed first")
        })
}

/// The string at a JSON pointer of an object, if it is one.
fn text_at<'a>(object: &'a serde_json::Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(serde_json::Value::as_str)
}

/// Words after the resources: presets when one of that name fits a resource (and the view
/// has columns of its own), else object names.
fn classify(plan: &Plan, resources: &[Resource], words: &[String]) -> Result<(Vec<Spec>, Vec<String>)> {
    let mut columns = vec![];
    let mut names = vec![];
    for w in words {
        let fitting: Option<&Preset> =
            resources.iter().flat_map(|r| presets::for_resource(&plan.presets, r)).find(|p| p.name == *w);
        match fitting {
            Some(p) if matches!(plan.view, View::Columns { .. }) => {
                columns.extend(plan.preset_columns(p)?);
            }
            _ => names.push(w.clone()),
        }
    }
    Ok((columns, names))
}

/// A mistyped preset reads as an object name and ends in NotFound: say which presets are close.
pub(crate) fn preset_hint(e: Error, word: &str, all: &[Preset], resources: &[Resource]) -> Error {
    let mut close: Vec<&str> = resources
        .iter()
        .flat_map(|r| presets::for_resource(all, r))
        .map(|p| p.name.as_str())
        .filter(|p| kubectl_kit_core::discovery::distance(p, word) <= 2)
        .collect();
    close.dedup();
    if close.is_empty() {
        return e;
    }
    e.hint(format!(
        "\"{word}\" is not a preset here; did you mean {}? (kubectl cols presets lists them)",
        close.join(", ")
    ))
}
