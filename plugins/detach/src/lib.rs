//! `kubectl detach`: take a pod out of its controller and its Services for debugging, and put
//! it back.
//!
//! The tutorials' trick (`kubectl label pod x --overwrite app=x-debug`) done properly: the
//! labels to remove are worked out from the owner's and the Services' selectors, an impact table
//! says what will stop selecting the pod, the relabel is a JSON Patch guarded by `test`
//! operations and retried on conflict, and the original labels are kept in an annotation so
//! that `kubectl detach reattach` can restore them.
//!
//! The crate, in the order a detach runs:
//! - [`cli`]: the command line as clap structs (`--help` comes from their doc comments).
//! - [`target`]: `pod NAME…`, `pods/NAME…` or `pod -l SELECTOR` into a [`target::Selection`];
//!   anything else is a usage error before any request.
//! - [`detach`]: the detach command, one function per phase: read → plan → guard → act → report.
//! - [`gather`]: the reads: pods, owners, the namespace's Services, EndpointSlices, PDBs,
//!   NetworkPolicies and HPAs.
//! - [`plan`]: which labels each pod loses, decided without the network; the record's labels
//!   and annotations.
//! - [`impact`]: the impact table's rows: what selects the pod now and after.
//! - [`patch`]: the write side: the JSON Patches, sending them, conflicts and retries, rollback.
//! - [`manage`]: `list`, `reattach` and `cleanup`, which find detached pods by their marker.

pub mod cli;
pub mod detach;
pub mod gather;
pub mod impact;
pub mod manage;
pub mod patch;
pub mod plan;
pub mod target;

use kubectl_kit_core::Result;
use kubectl_kit_core::completion::{self, Candidate, Request, Values};

use crate::cli::{Cli, Command};

/// Runs the plugin.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::List(a)) => manage::list(a, &cli.global).await,
        Some(Command::Reattach(a)) => manage::reattach(a, &cli.global).await,
        Some(Command::Cleanup(a)) => manage::cleanup(a, &cli.global).await,
        None => detach::run(&cli.targets, cli.detach, &cli.output, &cli.global).await,
    }
}

/// Completes the targets (`pod`, then the namespace's pods; for `reattach`, the detached ones),
/// `--from`, `--dry-run` and `-o`.
pub async fn complete(req: Request) -> Result<Values> {
    let flag = |id: &str| req.flag && req.arg == id;
    if !req.flag && req.arg == "targets" {
        let reattach = req.command.first().map(String::as_str) == Some("reattach");
        let typed_type = req.positionals.first().is_some_and(|w| matches!(w.as_str(), "pod" | "pods" | "po"));
        let slash = req.partial.split_once('/').map(|(t, _)| t.to_string());
        if !typed_type && slash.is_none() {
            return Ok(Values::Candidates(vec![Candidate::new("pod"), Candidate::new("pods/")]));
        }
        let kube = req.kube().await?;
        let path = format!("/api/v1/namespaces/{}/pods", kube.namespace);
        let selector = if reattach { Some(plan::MARKER) } else { None };
        let names = completion::names_selected(&kube, &path, selector).await?;
        return Ok(Values::Candidates(match slash {
            Some(t) => names.into_iter().map(|c| Candidate::new(format!("{t}/{}", c.value))).collect(),
            None => names,
        }));
    }
    if flag("from") {
        return Ok(Values::Candidates(["all", "owner", "services"].into_iter().map(Candidate::new).collect()));
    }
    if flag("dry_run") {
        return Ok(Values::Candidates(["none", "client", "server"].into_iter().map(Candidate::new).collect()));
    }
    Ok(Values::Unknown)
}
