//! The command line as plain data: clap's structs for `kubectl detach` and its `list`,
//! `reattach` and `cleanup` subcommands. Their doc comments are the `--help`. Nothing here
//! validates beyond what clap checks; the targets are read by [`crate::target`].

use clap::{Args, Parser, Subcommand};
use kubectl_kit_core::flags::{AllNamespaces, DryRunFlag, FleetFlags, GlobalFlags, NoHeaders, OutputFlags};
use kubectl_kit_core::output;

use crate::plan::From;

/// `-o` of every detach command: the command's table, or its report as JSON or YAML.
pub type Output = OutputFlags<output::Report>;

/// Take a pod out of its controller and its Services for debugging, safely and reversibly.
///
/// The owner (ReplicaSet, ReplicationController) releases the pod and creates a replacement,
/// Services stop sending it traffic, and the pod keeps running for inspection. The original
/// labels are kept in the annotation kubectl-kit/original-labels; `kubectl detach reattach`
/// restores them.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-detach",
    bin_name = "kubectl detach",
    version,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  kubectl detach pod numbers-api-7d9f8-x2x4q\n  kubectl detach pod -l app=numbers-api --dry-run=server\n  kubectl detach pods/web-0 --force --from=services\n  kubectl detach list -A\n  kubectl detach list --all-contexts -n 'team-*'\n  kubectl detach reattach pod numbers-api-7d9f8-x2x4q\n  kubectl detach cleanup --older-than 2h"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// What to detach: `pod NAME…`, `pods/NAME…`, or `pod -l SELECTOR`
    #[arg(value_name = "TYPE NAME|TYPE/NAME", required = true)]
    pub targets: Vec<String>,

    #[command(flatten)]
    pub detach: DetachArgs,

    #[command(flatten)]
    pub output: Output,

    #[command(flatten)]
    pub global: GlobalFlags,
}

/// Options of the detach itself.
#[derive(Debug, Clone, Args)]
pub struct DetachArgs {
    /// Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// What the pod leaves: all (owner and Services), owner (keeps serving), services (keeps
    /// its owner)
    #[arg(long, value_enum, default_value = "all")]
    pub from: From,

    /// Detach StatefulSet, DaemonSet, Job and unknown controllers' pods too
    #[arg(long)]
    pub force: bool,

    /// Allow detaching every ready replica of an owner at once
    #[arg(long)]
    pub all_replicas: bool,

    /// Wait until the pod's IP is gone from every Service's EndpointSlices and the owner's
    /// replacement is Ready
    #[arg(long)]
    pub wait: bool,

    /// How long --wait waits (kubectl's duration syntax: 30s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = kubectl_kit_core::flags::parse_duration)]
    pub timeout: std::time::Duration,

    #[command(flatten)]
    pub dry_run: DryRunFlag,
}

/// The management subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List detached pods with their age, original owner and removed labels
    List(ListArgs),
    /// Restore a detached pod's labels so that its owner and Services select it again
    Reattach(ReattachArgs),
    /// Delete detached pods older than a duration
    Cleanup(CleanupArgs),
}

/// `kubectl detach list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub all: AllNamespaces,
    /// `--contexts`, `--all-contexts`, `-n a,b`: detached pods across clusters and namespaces.
    #[command(flatten)]
    pub fleet: FleetFlags,
    #[command(flatten)]
    pub output: Output,
    #[command(flatten)]
    pub headers: NoHeaders,
}

/// `kubectl detach reattach`.
#[derive(Debug, Args)]
pub struct ReattachArgs {
    /// What to reattach: `pod NAME…`, `pods/NAME…`, or `pod -l SELECTOR`
    #[arg(value_name = "TYPE NAME|TYPE/NAME", required = true)]
    pub targets: Vec<String>,

    /// Selector (label query) among the detached pods
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// Reattach even when the recorded owner would delete the pod at once (it wants no
    /// replicas, e.g. after a rollout)
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub dry_run: DryRunFlag,

    #[command(flatten)]
    pub output: Output,
}

/// `kubectl detach cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Delete detached pods detached longer ago than this (30m, 2h, 1h30m)
    #[arg(long, value_name = "DURATION", required = true, value_parser = kubectl_kit_core::flags::parse_duration)]
    pub older_than: std::time::Duration,

    #[command(flatten)]
    pub all: AllNamespaces,

    #[command(flatten)]
    pub dry_run: DryRunFlag,

    #[command(flatten)]
    pub output: Output,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn subcommands_and_targets_parse() {
        let c =
            Cli::try_parse_from(["kubectl-detach", "pod", "a", "b", "--from=owner", "--dry-run=server"]).expect("ok");
        assert_eq!(c.targets, ["pod", "a", "b"]);
        assert_eq!(c.detach.from, From::Owner);
        assert_eq!(c.detach.dry_run.dry_run, kubectl_kit_core::flags::DryRun::Server);
        let c = Cli::try_parse_from(["kubectl-detach", "list", "-A", "-n", "x"]).expect("ok");
        assert!(matches!(c.command, Some(Command::List(ListArgs { all: AllNamespaces { all_namespaces: true }, .. }))));
        assert_eq!(c.global.namespace.as_deref(), Some("x"));
        let c = Cli::try_parse_from(["kubectl-detach", "pod", "list"]).expect("a pod named list");
        assert_eq!(c.targets, ["pod", "list"]);
        let c = Cli::try_parse_from(["kubectl-detach", "--dry-run", "pod", "x"]).expect("bare --dry-run");
        assert_eq!(c.detach.dry_run.dry_run, kubectl_kit_core::flags::DryRun::Client);
        assert!(Cli::try_parse_from(["kubectl-detach", "cleanup"]).is_err(), "--older-than is required");
        assert!(Cli::try_parse_from(["kubectl-detach"]).is_err(), "a target is required");
    }
}
