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
//! - `facts`: what pods are judged against (Warning events by pod, nodes);
//! - `scheduling`: pods the scheduler has not placed;
//! - `containers`: crash loops, OOM kills, image pulls, invalid image names, missing
//!   ConfigMaps and Secrets;
//! - `probes`: running but not ready (readiness and startup probes, readiness gates);
//! - `lifecycle`: deletion, eviction, init containers, the node lost under the pod;
//! - `followups`: what the cluster's registry and the PersistentVolumeClaims add after the
//!   fold.

mod containers;
mod facts;
mod followups;
mod lifecycle;
mod probes;
mod scheduling;

use kubectl_kit_registry::probe::Probe as RegistryProbe;
use serde::Serialize;

use crate::pod::PodView;

pub use facts::{Context, NodeFact};
pub use probes::probe_target;

/// The root cause of one group of pods, with its evidence and the next command. The fields are
/// those of `-o json`'s `causes[]`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    /// `CrashLoopBackOff`, `OOMKilled`, `ImagePullBackOff`, `InvalidImageName`,
    /// `CreateContainerConfigError`, `ReadinessProbeFailed`, `StartupProbeFailed`,
    /// `ReadinessGatesNotReady`, `Init:CrashLoopBackOff`, `Init:Running`, `Unschedulable`,
    /// `Evicted`, `Terminating`, `NodeNotReady`, or the kubelet's own reason for others.
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
        Some(phase @ ("Failed" | "Succeeded")) => {
            let why =
                [status.reason.clone(), status.message.clone()].into_iter().flatten().collect::<Vec<_>>().join(": ");
            let summary = if why.is_empty() { "the pod has ended".into() } else { format!("the pod has ended: {why}") };
            return Some(p.cause(phase, summary, p.describe_pod()));
        }
        _ => {}
    }
    if let Some(c) = pod.condition("PodScheduled").filter(|c| c.status != "True") {
        return Some(p.unschedulable(c.reason.as_deref(), c.message.as_deref()));
    }
    if let Some(c) = p.init_cause() {
        return Some(c);
    }
    let spec = pod.spec.as_ref();
    for cs in status.container_statuses.iter().flatten() {
        let container = spec.and_then(|s| s.containers.iter().find(|c| c.name == cs.name));
        if let Some(c) = p.container_cause(cs, container, false) {
            return Some(c);
        }
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
            Some(c)
        }
    }
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
        let e = self.ctx.event(self.pod, reasons)?;
        Some(format!("event {} ×{}: {}", e.reason, e.count, one_line(&e.message, 2)))
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
