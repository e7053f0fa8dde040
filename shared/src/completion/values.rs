//! The values of an argument: the plugin's hook first, which knows its domain (services,
//! presets, resource words); then what every plugin shares (namespaces from the cluster,
//! contexts, clusters and users from the kubeconfig, clap's possible values, file hints).

use std::collections::HashSet;
use std::future::Future;

use clap::{Arg, ValueHint};

use super::protocol::Candidate;
use crate::client::{self, Kube};
use crate::discovery::Catalog;
use crate::error::{Error, Result};
use crate::flags::GlobalFlags;

/// What a plugin's hook answers for one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    /// Not the hook's business: complete it generically.
    Unknown,
    /// These words (filtered by the partial word here, so hooks need not).
    Candidates(Vec<Candidate>),
    /// A file name: the shell completes it.
    Files,
    /// A directory name: the shell completes it.
    Dirs,
}

/// The value being completed, as handed to a plugin's hook.
#[derive(Debug, Clone)]
pub struct Request {
    /// The subcommand path below the plugin (`[]`, `["presets", "add"]`).
    pub command: Vec<String>,
    /// The clap id of the argument whose value is completed (`target`, `namespace`, `from`).
    pub arg: String,
    /// True for a flag's value, false for a positional argument.
    pub flag: bool,
    /// The positional words already typed for this (sub)command, in order.
    pub positionals: Vec<String>,
    /// The word being completed, as typed so far.
    pub partial: String,
    /// kubectl's global flags from the words typed, so that `-n`, `--context`, `--kubeconfig`
    /// apply to the lookup as they will to the command.
    pub global: GlobalFlags,
}

impl Request {
    /// True when completing the positional argument `id` of the plugin itself.
    pub fn is_positional(&self, id: &str) -> bool {
        !self.flag && self.command.is_empty() && self.arg == id
    }

    /// Connects to the cluster the command would use.
    pub async fn kube(&self) -> Result<Kube> {
        Kube::connect(&self.global).await
    }
}

/// The hook of a plugin with nothing of its own to complete.
pub async fn no_values(_: Request) -> Result<Values> {
    Ok(Values::Unknown)
}

/// The hook first; then what every plugin shares.
pub(super) async fn values<H, HFut>(request: Request, arg: &Arg, hook: H) -> Result<Values>
where
    H: FnOnce(Request) -> HFut,
    HFut: Future<Output = Result<Values>>,
{
    let answer = hook(request.clone()).await?;
    if answer != Values::Unknown {
        return Ok(answer);
    }
    if request.flag {
        match request.arg.as_str() {
            "namespace" | "namespaces" => {
                let kube = request.kube().await?;
                return Ok(Values::Candidates(names(&kube, "/api/v1/namespaces").await?));
            }
            "context" | "contexts" | "cluster" | "user" => return kubeconfig_names(&request.global, &request.arg),
            _ => {}
        }
    }
    let possible: Vec<Candidate> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| Candidate::described(v.get_name(), v.get_help().map(|h| h.to_string()).unwrap_or_default()))
        .collect();
    if !possible.is_empty() {
        return Ok(Values::Candidates(possible));
    }
    Ok(match arg.get_value_hint() {
        ValueHint::AnyPath | ValueHint::FilePath | ValueHint::ExecutablePath => Values::Files,
        ValueHint::DirPath => Values::Dirs,
        _ => Values::Candidates(vec![]),
    })
}

fn kubeconfig_names(flags: &GlobalFlags, which: &str) -> Result<Values> {
    let Some((kc, _)) = client::load_kubeconfig(flags)? else {
        return Ok(Values::Candidates(vec![]));
    };
    let names: Vec<Candidate> = match which {
        "context" | "contexts" => kc.contexts.iter().map(|c| Candidate::new(c.name.clone())).collect(),
        "cluster" => kc.clusters.iter().map(|c| Candidate::new(c.name.clone())).collect(),
        _ => kc.auth_infos.iter().map(|u| Candidate::new(u.name.clone())).collect(),
    };
    Ok(Values::Candidates(names))
}

/// Most names a completion lists: one page, since a longer list is no help at a prompt and the
/// user is waiting.
pub const MAX_NAMES: usize = 1000;

/// The names of the objects in a collection (`/api/v1/namespaces/default/services`), asking
/// only for their metadata.
pub async fn names(kube: &Kube, collection: &str) -> Result<Vec<Candidate>> {
    names_selected(kube, collection, None).await
}

/// [`names`] of the objects a label selector picks.
pub async fn names_selected(kube: &Kube, collection: &str, selector: Option<&str>) -> Result<Vec<Candidate>> {
    const ACCEPT: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
    let mut path = format!("{collection}?limit={MAX_NAMES}");
    if let Some(s) = selector {
        crate::list::query_pair(&mut path, "labelSelector", s);
    }
    let text = kube.get_raw(&path, ACCEPT).await?;
    let list: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::runtime(format!("unreadable list from {collection}")).caused_by(e))?;
    Ok(list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["metadata"]["name"].as_str())
        .map(Candidate::new)
        .collect())
}

/// The words kubectl accepts for a resource: plural names (qualified by group where the plural
/// alone is ambiguous) and short names, from discovery (its disk cache when warm).
pub fn resource_words(catalog: &Catalog) -> Vec<Candidate> {
    let preferred = catalog.preferred();
    let mut out = vec![];
    let mut plurals = HashSet::new();
    for r in &preferred {
        // The first resource with a plural owns it (kubectl picks it); the others need a group.
        let value = if plurals.insert(r.name.as_str()) { r.name.clone() } else { r.qualified() };
        out.push(Candidate::described(value, format!("{} ({})", r.kind, r.api_version())));
    }
    for r in &preferred {
        for s in &r.short_names {
            out.push(Candidate::described(s.clone(), format!("{} ({})", r.name, r.api_version())));
        }
    }
    out
}
