//! Which namespaces are read in each context: the flags into [`Namespaces`] (no network), then,
//! in each context, the names and globs into the namespaces there ([`Scope`]), and the reads
//! of each namespace, where one RBAC forbids is named and skipped ([`each_namespace`]).
//!
//! A glob is matched against the namespaces the user can list. Where listing namespaces is
//! forbidden, the exact names still work (reading a namespace needs no right to list them) and
//! each glob is reported as not matched.

use std::future::Future;

use futures::StreamExt;
use serde::Deserialize;

use super::Namespaces;
use super::glob::{is_glob, matches};
use crate::client::Kube;
use crate::error::{Error, Result};
use crate::flags::{FleetFlags, GlobalFlags};

/// How many namespaces of one context are read at once.
const NAMESPACES_AT_ONCE: usize = 4;

/// The namespaces the flags ask for: `--namespaces`, or `-n` with a comma or a glob (kubectl
/// refuses both in a namespace name, so nothing it accepts changes meaning), `-A`, else the
/// context's own.
pub(super) fn plan(global: &GlobalFlags, fleet: &FleetFlags, all_namespaces: bool) -> Result<Namespaces> {
    let set = if !fleet.namespaces.is_empty() {
        Some(("--namespaces", fleet.namespaces.clone()))
    } else {
        global
            .namespace
            .as_deref()
            .filter(|n| n.contains(',') || is_glob(n))
            .map(|n| ("-n", n.split(',').map(str::to_string).collect()))
    };
    let Some((flag, patterns)) = set else {
        return Ok(if all_namespaces { Namespaces::All } else { Namespaces::Own });
    };
    if all_namespaces {
        return Err(Error::usage(format!(
            "{flag} with several namespaces and -A/--all-namespaces cannot be used together"
        )));
    }
    let mut cleaned: Vec<String> = vec![];
    for p in patterns.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        if !cleaned.iter().any(|c| c == p) {
            cleaned.push(p.to_string());
        }
    }
    if cleaned.is_empty() {
        return Err(Error::usage(format!("{flag} needs at least one namespace name or pattern")));
    }
    Ok(Namespaces::Matching(cleaned))
}

/// Where to read in one context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One namespace (`-n NAME`, else the context's).
    One(String),
    /// Every namespace, in one request (`-A`).
    All,
    /// Each of these, one request each, in this order.
    Each(Vec<String>),
}

impl Scope {
    /// The namespaces to read in `kube`'s context for `which`. Globs are matched here (one
    /// request); a glob that cannot be matched is a [`super::fault`].
    pub async fn resolve(kube: &Kube, which: &Namespaces) -> Result<Scope> {
        Ok(match which {
            Namespaces::Own => Scope::One(kube.namespace.clone()),
            Namespaces::All => Scope::All,
            Namespaces::Matching(patterns) => Scope::Each(expand(kube, patterns).await?),
        })
    }
}

#[derive(Deserialize)]
struct Named {
    metadata: Meta,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    name: String,
}

/// The namespaces `patterns` name in `kube`'s context: exact names as they are (never
/// checked, as kubectl reads a namespace it cannot see), each glob's matches among the
/// namespaces the user can list, sorted by name, in the patterns' order, each once.
pub async fn expand(kube: &Kube, patterns: &[String]) -> Result<Vec<String>> {
    let globs = patterns.iter().any(|p| is_glob(p));
    let listed: Option<Vec<String>> = if globs {
        let read = crate::list::list_streamed::<Named>(&kube.client, "/api/v1/namespaces").await;
        match crate::error::visible(read)? {
            Ok(items) => {
                let mut names: Vec<String> = items.into_iter().map(|n| n.metadata.name).collect();
                names.sort();
                Some(names)
            }
            Err(hidden) => {
                for p in patterns.iter().filter(|p| is_glob(p)) {
                    super::fault(
                        Error::runtime(format!("cannot match namespaces \"{p}\": the namespaces cannot be listed"))
                            .caused_by(&hidden.message)
                            .hint(
                                "name the namespaces exactly (-n a,b): reading a namespace needs no right to list them",
                            ),
                    );
                }
                None
            }
        }
    } else {
        None
    };
    Ok(pick(patterns, listed.as_deref()))
}

/// [`expand`] without the network: `listed` is the namespaces there, sorted (`None` when they
/// cannot be listed: globs match nothing).
fn pick(patterns: &[String], listed: Option<&[String]>) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for p in patterns {
        let hits: Vec<String> = if is_glob(p) {
            listed.unwrap_or_default().iter().filter(|n| matches(p, n)).cloned().collect()
        } else {
            vec![p.clone()]
        };
        for hit in hits {
            if !out.contains(&hit) {
                out.push(hit);
            }
        }
    }
    out
}

/// Reads each namespace with `read` (a few at a time), in order. A namespace RBAC forbids is a
/// [`super::fault`] (the server's message names it) and is skipped; any other failure ends
/// the context's read.
pub async fn each_namespace<T, F, Fut>(namespaces: &[String], read: F) -> Result<Vec<(String, T)>>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let reads = namespaces.iter().map(|ns| {
        let work = read(ns.clone());
        let ns = ns.clone();
        async move { (ns, work.await) }
    });
    let done: Vec<(String, Result<T>)> = futures::stream::iter(reads).buffered(NAMESPACES_AT_ONCE).collect().await;
    let mut out = Vec::with_capacity(done.len());
    for (ns, result) in done {
        match result {
            Ok(v) => out.push((ns, v)),
            Err(e) if e.api_code() == Some(403) => super::fault(e),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        global: GlobalFlags,
        #[command(flatten)]
        fleet: FleetFlags,
        #[arg(short = 'A')]
        all: bool,
    }

    fn plan_of(args: &[&str]) -> Result<Namespaces> {
        let cli = Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
            .map_err(|e| Error::usage(e.to_string()))?;
        plan(&cli.global, &cli.fleet, cli.all)
    }

    fn set(list: &[&str]) -> Namespaces {
        Namespaces::Matching(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn a_comma_or_a_glob_in_n_is_a_set_and_a_plain_name_is_kubectls() {
        assert_eq!(plan_of(&[]).expect("plan"), Namespaces::Own);
        assert_eq!(plan_of(&["-n", "kube-system"]).expect("plan"), Namespaces::Own);
        assert_eq!(plan_of(&["-A"]).expect("plan"), Namespaces::All);
        assert_eq!(plan_of(&["-n", "a,b"]).expect("plan"), set(&["a", "b"]));
        assert_eq!(plan_of(&["-n", "team-*"]).expect("plan"), set(&["team-*"]));
        assert_eq!(plan_of(&["--namespaces", "a,b,a", "--namespaces", "c"]).expect("plan"), set(&["a", "b", "c"]));
        assert_eq!(plan_of(&["--namespaces", "solo"]).expect("plan"), set(&["solo"]));
        assert_eq!(plan_of(&["-n", "a,,b,"]).expect("plan"), set(&["a", "b"]), "empty names are dropped");
        assert!(plan_of(&["-n", "a,b", "-A"]).expect_err("with -A").is_usage());
        assert!(plan_of(&["-n", ","]).expect_err("nothing named").is_usage());
        assert!(plan_of(&["-n", "a", "--namespaces", "b"]).is_err(), "-n and --namespaces conflict");
    }

    #[test]
    fn globs_match_the_listed_namespaces_and_exact_names_stay() {
        let listed: Vec<String> =
            ["default", "team-b", "team-a", "kube-system"].iter().map(|s| s.to_string()).collect();
        let mut sorted = listed.clone();
        sorted.sort();
        let p = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(pick(&p(&["team-*", "default", "team-a"]), Some(&sorted)), ["team-a", "team-b", "default"]);
        assert_eq!(pick(&p(&["ghost", "team-*"]), None), ["ghost"], "unlistable: exact names only");
        assert!(pick(&p(&["x-*"]), Some(&sorted)).is_empty());
    }
}
