//! Why a pod does not serve, as the kubelet, the scheduler or the node lifecycle controller
//! reported it: the root cause, its evidence and the next command to run.
//!
//! Pods are judged one at a time as their list streams in (see [`crate::backends`]). Each
//! judgement yields a one-line summary that holds nothing particular to the pod (no pod name,
//! IP or restart count), so that pods with the same cause are counted on one line; the evidence
//! and the command come from the first pod of each group. What needs another request (the
//! cluster registry's view of an image, the state of a PersistentVolumeClaim) is asked after
//! the fold, once per group, so requests stay O(1) in the pods.
//!
//! One family of rules per module, and [`classify`] the one dispatch that picks between them:
//!
//! - `facts`: what pods are judged against (Warning events by object, nodes and their
//!   pressure conditions and cordons);
//! - `scheduling`: pods the scheduler has not placed, or may not place yet (gates);
//! - `containers`: crash loops, OOM kills, liveness kills, image pulls, invalid image names,
//!   missing ConfigMaps and Secrets, hooks;
//! - `creating`: pods whose containers are still being created: volumes that do not mount or
//!   attach, a sandbox the network plugin cannot set up;
//! - `probes`: running but not ready (readiness and startup probes, readiness gates);
//! - `lifecycle`: deletion, eviction, ended pods, init containers, the node lost under the pod;
//! - `followups`: what the cluster's registry, the PersistentVolumeClaims, the kubelet's
//!   Killing events and the crashed containers' logs add after the fold.
//!
//! Beyond the pods, up to the controller behind them and what depends on the Service:
//!
//! - `owners`: the workloads behind the Service (Deployment and its ReplicaSets, StatefulSet,
//!   DaemonSet, Job), what they want and have, rollouts, scale to zero, and why a controller
//!   cannot create pods;
//! - `admission`: the API server's refusals a controller reports (ResourceQuota, LimitRange,
//!   Pod Security admission, admission webhooks), read from its message;
//! - `dependents`: the admission webhooks and APIServices this Service serves.

mod admission;
mod containers;
mod creating;
mod dependents;
mod facts;
mod followups;
mod lifecycle;
pub mod owners;
mod probes;
mod scheduling;

use kubectl_kit_registry::probe::Probe as RegistryProbe;
use serde::Serialize;

use crate::pod::PodView;

pub use admission::Refusal;
pub use dependents::{Dependent, Dependents, dependents};
pub use facts::{Context, EventNote, NodeFact, NodeTrouble};
pub use owners::{Owner, Version};
pub use probes::probe_target;

/// The root cause of one group of pods, with its evidence and the next command. The fields are
/// those of `-o json`'s `causes[]`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    /// `CrashLoopBackOff`, `OOMKilled`, `LivenessProbeFailed`, `ImagePullBackOff`,
    /// `InvalidImageName`, `CreateContainerConfigError`, `ContainerCreating`, `FailedMount`,
    /// `FailedAttachVolume`, `FailedCreatePodSandBox`, `ReadinessProbeFailed`,
    /// `StartupProbeFailed`, `ReadinessGatesNotReady`, `Init:CrashLoopBackOff`, `Init:Running`,
    /// `Unschedulable`, `SchedulingGated`, `Evicted`, `Failed`, `Terminating`, `NodeNotReady`,
    /// or the kubelet's own reason for others. On the owners hop: `FailedCreate`,
    /// `ProgressDeadlineExceeded`, `ScaledToZero`, `RolloutInProgress`, `NotAllReady`,
    /// `GoverningServiceMissing`, `JobFailed`, `Suspended`.
    pub cause: String,
    /// How many of the selected pods have it.
    pub pods: usize,
    /// The first few of them.
    pub example_pods: Vec<String>,
    /// The container it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The container's last exit code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The kubelet's reason for that exit (`Error`, `Completed`, `OOMKilled`) or for waiting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the failing part said: the termination message, the pull error, the probe's
    /// output, the scheduler's or the kubelet's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The most restarts among the pods of the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarts: Option<i32>,
    /// The image, for image failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The node, for node failures and evictions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The object at fault when it is not the pod: `ResourceQuota/compute`,
    /// `ValidatingWebhookConfiguration/deny-pods`, `ConfigMap/app-config`,
    /// `PersistentVolumeClaim/data`, `Node/kit-node-a`, `ReplicaSet/api-7d9f`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The pod's other containers that fail, each with its own cause (the first container's is
    /// this one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_containers: Vec<Cause>,
    /// With `--logs`: the last error lines of the previous run's log of the group's first pod
    /// (`kubectl logs --previous`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<String>,
    /// What the cluster's registry says about the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryProbe>,
    /// Further evidence, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The next command to run.
    pub command: String,
    /// The line after `N pods: `; pods with the same summary are one group.
    #[serde(skip)]
    pub summary: String,
    /// What to ask after the fold.
    #[serde(skip)]
    pub followup: Followup,
}

/// Another request a group's cause needs, made once per group after the fold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Followup {
    /// Nothing.
    #[default]
    None,
    /// Ask the cluster's registry about this image (for the container's `kubectl set image`,
    /// the Deployment, when there is one).
    Image { image: String, container: String, deployment: Option<String> },
    /// Read these PersistentVolumeClaims.
    Claims(Vec<String>),
    /// Read the kubelet's Killing events (Normal, so not among the Warning events read first).
    Killing,
}

impl Cause {
    /// The container whose previous run's log tells why it ended (`--logs`): a container that
    /// exited and is restarted, or ended the pod.
    pub fn crashed_container(&self) -> Option<&str> {
        let crashed = self.exit_code.is_some()
            && !matches!(self.cause.as_str(), "Terminating" | "Evicted" | "Unschedulable" | "NodeNotReady");
        if crashed { self.container.as_deref() } else { None }
    }
}

/// Longer lines of a message are cut: a runtime's pull error names the image three times and
/// runs to about 300 characters; a stack trace's line may not end.
const LINE: usize = 500;

/// The first `n` lines of a message, each cut at [`LINE`] characters.
pub fn first_lines(text: &str, n: usize) -> String {
    text.trim()
        .lines()
        .take(n)
        .map(|l| {
            if l.chars().count() > LINE {
                format!("{}…", l.chars().take(LINE).collect::<String>())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first `n` lines on one line, joined by ` ⏎ `.
fn one_line(text: &str, n: usize) -> String {
    first_lines(text, n).replace('\n', " ⏎ ")
}

fn quoted_first_line(text: &str) -> String {
    let line = first_lines(text, 1);
    let more = text.trim().lines().count() > 1;
    format!("\"{line}{}\"", if more { " …" } else { "" })
}

/// Judges one pod: `None` when it is Ready and not being deleted.
pub fn classify(pod: &PodView, ctx: &Context) -> Option<Cause> {
    let p = Judge { pod, ctx, ns: &ctx.ns, name: pod.name() };
    if let Some(at) = &pod.metadata.deletion_timestamp {
        return Some(p.terminating(at));
    }
    let Some(status) = &pod.status else {
        return Some(p.cause("Pending", "no status yet".into(), p.describe_pod()));
    };
    match status.phase.as_deref() {
        Some("Failed") if status.reason.as_deref() == Some("Evicted") => return Some(p.evicted()),
        Some(phase @ ("Failed" | "Succeeded")) => return Some(p.ended(phase)),
        _ => {}
    }
    // A pod bound to a node is scheduled, whatever a stale PodScheduled condition says (a
    // scheduler whose bind raced another's leaves False, SchedulerError, on a running pod).
    let bound = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty());
    if let Some(c) = pod.condition("PodScheduled").filter(|c| c.status != "True" && !bound) {
        return Some(p.unschedulable(c.reason.as_deref(), c.message.as_deref()));
    }
    if let Some(c) = p.init_cause() {
        return Some(c);
    }
    let spec = pod.spec.as_ref();
    let mut failing = vec![];
    for cs in status.container_statuses.iter().flatten() {
        let container = spec.and_then(|s| s.containers.iter().find(|c| c.name == cs.name));
        failing.extend(p.container_cause(cs, container, false));
    }
    if !failing.is_empty() {
        return Some(every_container(failing));
    }
    let ready = pod.condition("Ready");
    if ready.is_some_and(|c| c.status == "True") {
        return None;
    }
    if let Some(node) = spec.and_then(|s| s.node_name.as_deref())
        && let Some(n) = ctx.nodes.get(node).filter(|n| n.ready != Some(true))
    {
        return Some(p.node_not_ready(node, n));
    }
    match ready.and_then(|c| c.reason.as_deref()) {
        Some("ReadinessGatesNotReady") => Some(p.readiness_gates(ready.and_then(|c| c.message.clone()))),
        reason => {
            let reason = reason.unwrap_or("NotReady").to_string();
            let msg = ready.and_then(|c| c.message.clone()).unwrap_or_default();
            let summary =
                if msg.is_empty() { "the pod is not Ready".into() } else { format!("the pod is not Ready: {msg}") };
            let mut c = p.cause(&reason, summary, p.describe_pod());
            c.message = Some(msg).filter(|m| !m.is_empty());
            // No rule names it: what the kubelet and the controllers last warned about is the
            // evidence, rather than only "describe the pod".
            c.evidence.extend(p.ctx.latest_pod_events(pod, 3).into_iter().map(|e| e.line()));
            Some(c)
        }
    }
}

/// How telling a container's cause is: a container that cannot start or keeps ending explains
/// more than one still being created or running unready.
fn weight(c: &Cause) -> u8 {
    match c.cause.trim_start_matches("Init:") {
        "ContainerCreating" | "ContainersNotReady" => 2,
        "ReadinessProbeFailed" | "StartupProbeFailed" => 1,
        _ => 0,
    }
}

/// One cause for a pod whose containers fail for different reasons: the most telling first,
/// naming the others, each kept whole in `otherContainers`. Their causes are part of the
/// summary, so that pods are grouped by every container's cause.
fn every_container(mut failing: Vec<Cause>) -> Cause {
    failing.sort_by_key(weight);
    // What blocks the whole pod (a volume, the sandbox) is said once, not per container.
    let mut seen = std::collections::BTreeSet::new();
    failing.retain(|c| seen.insert(c.summary.clone()));
    let mut first = failing.remove(0);
    if failing.is_empty() {
        return first;
    }
    let also: Vec<String> =
        failing.iter().map(|o| format!("{} {}", o.container.clone().unwrap_or_default(), o.cause)).collect();
    first.summary = format!("{} (also: {})", first.summary, also.join(", "));
    for o in &failing {
        first.evidence.push(format!("also {}", o.summary));
        first.evidence.extend(o.evidence.iter().map(|e| format!("  {e}")));
    }
    first.other_containers = failing;
    first
}

/// One pod being judged.
struct Judge<'a> {
    pod: &'a PodView,
    ctx: &'a Context,
    ns: &'a str,
    name: &'a str,
}

impl Judge<'_> {
    /// A cause whose summary is `CAUSE: SUMMARY`, or `CAUSE, SUMMARY` when it starts with a comma.
    fn cause(&self, cause: &str, summary: String, command: String) -> Cause {
        Cause {
            cause: cause.into(),
            summary: format!(
                "{cause}{summary_sep}{summary}",
                summary_sep = if summary.starts_with(',') { "" } else { ": " }
            ),
            command,
            ..Default::default()
        }
    }

    fn describe_pod(&self) -> String {
        format!("kubectl describe pod {} -n {}", self.name, self.ns)
    }

    fn node(&self) -> Option<&str> {
        self.pod.spec.as_ref().and_then(|s| s.node_name.as_deref())
    }

    /// `event REASON ×N: MESSAGE` for the pod's latest event of one of `reasons`.
    fn event_line(&self, reasons: &[&str]) -> Option<String> {
        Some(self.ctx.event(self.pod, reasons)?.line())
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! What the rules' tests build pods and contexts with.

    use std::collections::BTreeMap;

    use super::Context;
    use crate::pod::PodView;

    pub fn pod(v: serde_json::Value) -> PodView {
        serde_json::from_value(v).expect("pod")
    }

    pub fn ctx() -> Context {
        Context::new("ns", vec![], BTreeMap::new())
    }
}
