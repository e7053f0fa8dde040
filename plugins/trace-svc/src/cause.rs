//! Why a pod does not serve, as the kubelet, the scheduler or the node lifecycle controller
//! reported it: the root cause, its evidence and the next command to run.
//!
//! Pods are judged one at a time as their list streams in (see [`crate::backends`]). Each
//! judgement yields a one-line summary that holds nothing particular to the pod (no pod name,
//! IP or restart count), so that pods with the same cause are counted on one line; the evidence
//! and the command come from the first pod of each group. What needs another request (the
//! cluster registry's view of an image, the state of a PersistentVolumeClaim) is asked after
//! the fold, once per group, so requests stay O(1) in the pods.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Event, Node, Probe, Taint};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubectl_kit_core::quantity;
use kubectl_kit_registry::probe::{Presence, Probe as RegistryProbe};
use serde::Serialize;

use crate::pod::{Container, ContainerStatus, PodView, Terminated};

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

/// One Warning event about a pod.
#[derive(Debug, Clone)]
struct EventFact {
    uid: Option<String>,
    reason: String,
    message: String,
    count: i32,
}

/// A node as the causes need it.
#[derive(Debug, Clone, Default)]
pub struct NodeFact {
    /// Ready True (`Some(true)`), False, or Unknown/absent (`None`).
    pub ready: Option<bool>,
    /// The Ready condition's reason and message.
    pub why: String,
    labels: BTreeMap<String, String>,
    taints: Vec<Taint>,
    cpu: Option<f64>,
    memory: Option<f64>,
}

impl NodeFact {
    /// What the node's Ready condition says.
    pub fn from_node(n: &Node) -> NodeFact {
        let ready =
            n.status.as_ref().and_then(|s| s.conditions.as_ref()).and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"));
        let alloc = n.status.as_ref().and_then(|s| s.allocatable.as_ref());
        NodeFact {
            ready: ready.and_then(|c| match c.status.as_str() {
                "True" => Some(true),
                "False" => Some(false),
                _ => None,
            }),
            why: ready
                .map(|c| {
                    [c.reason.clone(), c.message.clone()]
                        .into_iter()
                        .flatten()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(": ")
                })
                .unwrap_or_default(),
            labels: n.metadata.labels.clone().unwrap_or_default(),
            taints: n.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default(),
            cpu: alloc.and_then(|a| a.get("cpu")).and_then(|q| quantity::value(&q.0)),
            memory: alloc.and_then(|a| a.get("memory")).and_then(|q| quantity::value(&q.0)),
        }
    }

    /// `Ready`, `NotReady` or `Unknown`.
    pub fn state(&self) -> &'static str {
        match self.ready {
            Some(true) => "Ready",
            Some(false) => "NotReady",
            None => "Unknown",
        }
    }
}

/// What pods are judged against: their namespace, their Warning events and the nodes.
#[derive(Debug, Default)]
pub struct Context {
    ns: String,
    events: HashMap<String, Vec<EventFact>>,
    nodes: BTreeMap<String, NodeFact>,
}

impl Context {
    /// Pods of namespace `ns`; the namespace's Warning `events`; the cluster's `nodes`.
    pub fn new(ns: &str, events: Vec<Event>, nodes: BTreeMap<String, NodeFact>) -> Self {
        let mut by_pod: HashMap<String, Vec<EventFact>> = HashMap::new();
        for e in events {
            let o = e.involved_object;
            if o.kind.as_deref() != Some("Pod") {
                continue;
            }
            let Some(name) = o.name else { continue };
            let count = e.count.or_else(|| e.series.as_ref().and_then(|s| s.count)).unwrap_or(1);
            by_pod.entry(name).or_default().push(EventFact {
                uid: o.uid,
                reason: e.reason.unwrap_or_default(),
                message: e.message.unwrap_or_default().trim().to_string(),
                count,
            });
        }
        Context { ns: ns.to_string(), events: by_pod, nodes }
    }

    /// The nodes, by name.
    pub fn nodes(&self) -> &BTreeMap<String, NodeFact> {
        &self.nodes
    }

    /// The pod's latest event with one of `reasons` (the first reason that has one). Services,
    /// endpoints and pods may share a name (they usually do), so an event is this pod's only
    /// when it names a Pod, and this pod's uid when the event carries one.
    fn event(&self, pod: &PodView, reasons: &[&str]) -> Option<&EventFact> {
        let uid = pod.metadata.uid.as_deref();
        let mine = self.events.get(pod.name())?;
        reasons.iter().find_map(|r| {
            mine.iter().rev().find(|e| e.reason == *r && (e.uid.is_none() || uid.is_none() || e.uid.as_deref() == uid))
        })
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

    fn terminating(&self, at: &str) -> Cause {
        let grace = self.pod.spec.as_ref().and_then(|s| s.termination_grace_period_seconds);
        let summary = match grace {
            Some(g) => format!("being deleted; its containers get up to {g}s to exit"),
            None => "being deleted".into(),
        };
        let mut c = self.cause("Terminating", summary, self.describe_pod());
        c.evidence.push(format!("the kubelet kills what still runs at {at}; until then its endpoint is terminating"));
        if let Some(f) = self.pod.metadata.finalizers.as_ref().filter(|f| !f.is_empty()) {
            c.evidence
                .push(format!("finalizers {} keep the pod object until their controllers remove them", f.join(", ")));
        }
        c.node = self.node().map(str::to_string);
        c
    }

    fn evicted(&self) -> Cause {
        let status = self.pod.status.clone().unwrap_or_default();
        let msg = status.message.clone().unwrap_or_default();
        let node = self.node().map(str::to_string);
        let command = match &node {
            Some(n) => format!("kubectl describe node {n}"),
            None => self.describe_pod(),
        };
        let mut c = self.cause("Evicted", first_lines(&msg, 1), command);
        c.message = Some(msg).filter(|m| !m.is_empty());
        c.node = node;
        c.evidence.push(format!(
            "evicted pods stay until deleted: kubectl delete pods -n {} --field-selector=status.phase=Failed",
            self.ns
        ));
        c
    }

    fn unschedulable(&self, reason: Option<&str>, message: Option<&str>) -> Cause {
        let msg = message
            .map(str::to_string)
            .or_else(|| self.ctx.event(self.pod, &["FailedScheduling"]).map(|e| e.message.clone()));
        let cause = match reason {
            Some("Unschedulable") | None => "Unschedulable",
            Some(r) => r,
        };
        let summary = msg.as_deref().map(|m| first_lines(m, 1)).unwrap_or_else(|| "not scheduled yet".into());
        let mut c = self.cause(cause, summary, self.describe_pod());
        c.message = msg;
        self.scheduling_evidence(&mut c);
        c
    }

    /// Which nodes and labels the scheduler's refusal is about, from the pod's constraints and
    /// the nodes themselves.
    fn scheduling_evidence(&self, c: &mut Cause) {
        let Some(spec) = self.pod.spec.as_ref() else { return };
        let all = &self.ctx.nodes;
        // The nodes the pod's nodeSelector allows; taints and sizes only matter on those.
        let sel = spec.node_selector.clone().unwrap_or_default();
        let nodes: BTreeMap<&String, &NodeFact> =
            all.iter().filter(|(_, n)| sel.iter().all(|(k, v)| n.labels.get(k) == Some(v))).collect();
        if !sel.is_empty() {
            let wanted = sel.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
            if nodes.is_empty() {
                for (k, v) in &sel {
                    let have: std::collections::BTreeSet<&str> =
                        all.values().filter_map(|n| n.labels.get(k).map(String::as_str)).collect();
                    if !have.contains(v.as_str()) {
                        c.evidence.push(if have.is_empty() {
                            format!("nodeSelector {k}={v}: no node has the label {k}")
                        } else {
                            format!(
                                "nodeSelector {k}={v}: nodes have {k}={}",
                                have.into_iter().collect::<Vec<_>>().join(", ")
                            )
                        });
                    }
                }
                c.command = format!("kubectl get nodes -l {wanted} --show-labels");
                return;
            }
            c.evidence.push(format!("nodeSelector {wanted}: {} of {} node(s) match", nodes.len(), all.len()));
        }
        let tolerations = spec.tolerations.clone().unwrap_or_default();
        let mut untolerated: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut blocked = 0;
        for (name, n) in &nodes {
            let mut any = false;
            for t in n.taints.iter().filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute") {
                if !tolerations.iter().any(|tol| tolerates(tol, t)) {
                    let text = match &t.value {
                        Some(v) if !v.is_empty() => format!("{}={v}:{}", t.key, t.effect),
                        _ => format!("{}:{}", t.key, t.effect),
                    };
                    untolerated.entry(text).or_default().push(name.as_str());
                    any = true;
                }
            }
            if any {
                blocked += 1;
            }
        }
        if !nodes.is_empty() && blocked == nodes.len() {
            for (taint, on) in &untolerated {
                c.evidence.push(format!("taint {taint} (not tolerated) on {}", on.join(", ")));
            }
            c.command = "kubectl get nodes -o custom-columns=NAME:.metadata.name,TAINTS:.spec.taints".into();
            return;
        }
        let (cpu, memory) = requests(spec);
        let max_cpu =
            nodes.values().filter_map(|n| n.cpu).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        let max_mem =
            nodes.values().filter_map(|n| n.memory).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        let mut too_big = vec![];
        if let (Some((req, text)), Some(max)) = (&cpu, max_cpu)
            && *req > max
        {
            too_big.push(format!("requests cpu {text}, more than any node can allocate"));
        }
        if let (Some((req, text)), Some(max)) = (&memory, max_mem)
            && *req > max
        {
            too_big.push(format!("requests memory {text}, more than any node can allocate"));
        }
        if !too_big.is_empty() {
            c.evidence.extend(too_big);
            c.command = "kubectl get nodes -o custom-columns=NAME:.metadata.name,CPU:.status.allocatable.cpu,MEMORY:.status.allocatable.memory".into();
            return;
        }
        let claims: Vec<String> = spec
            .volumes
            .iter()
            .flatten()
            .filter_map(|v| v.persistent_volume_claim.as_ref().map(|c| c.claim_name.clone()))
            .collect();
        if !claims.is_empty() {
            c.command = format!("kubectl describe pvc {} -n {}", claims[0], self.ns);
            c.followup = Followup::Claims(claims);
            return;
        }
        if let Some((_, text)) = cpu {
            c.evidence.push(format!(
                "requests cpu {text}{}",
                memory.map(|(_, m)| format!(", memory {m}")).unwrap_or_default()
            ));
        }
    }

    fn init_cause(&self) -> Option<Cause> {
        let spec = self.pod.spec.as_ref()?;
        let statuses = self.pod.status.as_ref()?.init_container_statuses.as_ref()?;
        for ic in &spec.init_containers {
            let Some(cs) = statuses.iter().find(|s| s.name == ic.name) else { continue };
            let running = cs.state.as_ref().and_then(|s| s.running.as_ref());
            if ic.restart_policy.as_deref() == Some("Always") && running.is_some() && cs.started != Some(false) {
                continue; // a sidecar: it runs beside the containers
            }
            if let Some(c) = self.container_cause(cs, Some(ic), true) {
                return Some(c);
            }
            if let Some(r) = running {
                let since = r.started_at.as_deref().map(|t| format!(" since {t}")).unwrap_or_default();
                // The start time goes to the evidence: the summary groups pods started at other times.
                let mut c = self.cause(
                    "Init:Running",
                    format!(", init container {} has not finished: the containers wait for it", ic.name),
                    format!("kubectl logs {} -c {} -n {}", self.name, ic.name, self.ns),
                );
                c.container = Some(ic.name.clone());
                c.evidence.push(format!("running{since}"));
                return Some(c);
            }
        }
        None
    }

    /// A container that is waiting, has exited or runs without being ready.
    fn container_cause(&self, cs: &ContainerStatus, spec: Option<&Container>, init: bool) -> Option<Cause> {
        let what = if init { "init container" } else { "container" };
        let prefix = if init { "Init:" } else { "" };
        let state = cs.state.as_ref()?;
        if let Some(w) = &state.waiting {
            let reason = w.reason.clone().unwrap_or_default();
            return match reason.as_str() {
                "CrashLoopBackOff" => {
                    let last = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
                    Some(self.crash(cs, spec, last, true, init))
                }
                "ErrImagePull" | "ImagePullBackOff" => {
                    Some(self.image_pull(cs, spec, &reason, w.message.as_deref(), init))
                }
                "InvalidImageName" => {
                    let image = spec.and_then(|c| c.image.clone()).unwrap_or_default();
                    let mut c = self.cause(
                        &format!("{prefix}InvalidImageName"),
                        format!(", {what} {} image {image:?} is not a valid image reference", cs.name),
                        match self.pod.deployment() {
                            Some(d) => {
                                format!("kubectl set image deployment/{d} {}=REPOSITORY:TAG -n {}", cs.name, self.ns)
                            }
                            None => self.describe_pod(),
                        },
                    );
                    c.container = Some(cs.name.clone());
                    c.image = Some(image);
                    c.reason = Some(reason);
                    c.message = w.message.clone();
                    Some(c)
                }
                "CreateContainerConfigError" => Some(self.config_error(cs, w.message.as_deref(), init)),
                // The normal course of starting: nothing to say yet.
                "ContainerCreating" | "PodInitializing" => None,
                _ => {
                    let msg = w.message.clone().unwrap_or_default();
                    let mut c = self.cause(
                        &format!("{prefix}{reason}"),
                        format!(
                            ", {what} {}{}",
                            cs.name,
                            if msg.is_empty() { String::new() } else { format!(": {}", first_lines(&msg, 1)) }
                        ),
                        self.describe_pod(),
                    );
                    c.container = Some(cs.name.clone());
                    c.reason = Some(reason);
                    c.message = Some(msg).filter(|m| !m.is_empty());
                    Some(c)
                }
            };
        }
        if let Some(t) = &state.terminated {
            // Exited and not (yet) restarted: the kubelet's reason is the cause.
            if init && t.exit_code == 0 {
                return None;
            }
            return Some(self.crash(cs, spec, Some(t), false, init));
        }
        if state.running.is_some() && !cs.ready && !init {
            return self.probe_failure(cs, spec);
        }
        None
    }

    fn crash(
        &self,
        cs: &ContainerStatus,
        spec: Option<&Container>,
        last: Option<&Terminated>,
        backing_off: bool,
        init: bool,
    ) -> Cause {
        let what = if init { "init container" } else { "container" };
        let prefix = if init { "Init:" } else { "" };
        let reason = last.and_then(|t| t.reason.clone()).unwrap_or_else(|| "Error".into());
        // A container that has exited before (restarts, or a last state) is in a crash loop
        // whether the kubelet is backing off now or it has just exited again: one cause, so
        // that the pods of one loop are one group whatever moment of it each is in.
        let looping =
            backing_off || cs.restart_count > 0 || cs.last_state.as_ref().is_some_and(|s| s.terminated.is_some());
        let cause = if reason == "OOMKilled" {
            format!("{prefix}OOMKilled")
        } else if looping {
            format!("{prefix}CrashLoopBackOff")
        } else {
            format!("{prefix}{reason}")
        };
        let mut summary = format!(", {what} {}", cs.name);
        if let Some(t) = last {
            summary.push_str(&format!(" exited with {} ({reason})", t.exit_code));
            if let Some(sig) = t.signal.filter(|s| *s != 0) {
                summary.push_str(&format!(", signal {sig}"));
            }
            if let Some(m) = t.message.as_deref().filter(|m| !m.trim().is_empty()) {
                summary.push_str(&format!(": {}", quoted_first_line(m)));
            }
        }
        if looping && reason == "OOMKilled" {
            summary.push_str(", restarted with back-off (CrashLoopBackOff)");
        }
        let previous = if backing_off { " --previous" } else { "" };
        let mut c = Cause {
            cause,
            summary: String::new(),
            command: format!("kubectl logs {} -c {}{previous} -n {}", self.name, cs.name, self.ns),
            container: Some(cs.name.clone()),
            exit_code: last.map(|t| t.exit_code),
            reason: Some(reason.clone()),
            message: last.and_then(|t| t.message.as_deref()).map(|m| first_lines(m, 5)).filter(|m| !m.is_empty()),
            restarts: Some(cs.restart_count),
            ..Default::default()
        };
        c.summary = format!("{}{summary}", c.cause);
        if let Some(m) = last.and_then(|t| t.message.as_deref()).filter(|m| m.trim().lines().count() > 1) {
            c.evidence.push(format!("termination message: {}", one_line(m, 5)));
        }
        if reason == "OOMKilled"
            && let Some(res) = spec.and_then(|s| s.resources.as_ref())
        {
            let get = |m: &Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>| {
                m.as_ref().and_then(|m| m.get("memory")).map(|q| q.0.clone())
            };
            c.evidence.push(format!(
                "memory limit {}, request {}: the kernel killed the container when it used more than its limit",
                get(&res.limits).unwrap_or_else(|| "none".into()),
                get(&res.requests).unwrap_or_else(|| "none".into())
            ));
        }
        if let Some(e) = self.event_line(&["BackOff"]) {
            c.evidence.push(e);
        }
        c
    }

    fn image_pull(
        &self,
        cs: &ContainerStatus,
        spec: Option<&Container>,
        reason: &str,
        message: Option<&str>,
        init: bool,
    ) -> Cause {
        let what = if init { "init container" } else { "container" };
        let prefix = if init { "Init:" } else { "" };
        let image = spec.and_then(|c| c.image.clone()).unwrap_or_default();
        // The kubelet's formats (images/image_manager.go): the runtime's error as it is for
        // ErrImagePull; `Back-off pulling image "IMAGE": ErrImagePull: ERROR` while backing off.
        let backoff_prefix = format!("Back-off pulling image {image:?}");
        let error = message.map(|m| {
            let m =
                m.strip_prefix(backoff_prefix.as_str()).map(|r| r.trim_start_matches(':').trim_start()).unwrap_or(m);
            m.strip_prefix("ErrImagePull: ").unwrap_or(m).to_string()
        });
        let error = error.filter(|e| !e.is_empty()).or_else(|| {
            let e = self.ctx.event(self.pod, &["Failed"])?;
            let pulled = format!("Failed to pull image {image:?}: ");
            e.message.strip_prefix(pulled.as_str()).map(str::to_string)
        });
        let mut c = Cause {
            cause: format!("{prefix}ImagePullBackOff"),
            summary: format!("{prefix}ImagePullBackOff, {what} {} cannot pull {image}", cs.name),
            command: self.describe_pod(),
            container: Some(cs.name.clone()),
            reason: Some(reason.to_string()),
            message: error.clone(),
            image: Some(image.clone()),
            ..Default::default()
        };
        match &error {
            Some(e) => c.evidence.push(format!("pull error: {}", one_line(e, 2))),
            // The kubelet's Failed events say what the pull said.
            None => c.evidence.extend(self.event_line(&["Failed"])),
        }
        c.followup = Followup::Image { image, container: cs.name.clone(), deployment: self.pod.deployment() };
        c
    }

    fn config_error(&self, cs: &ContainerStatus, message: Option<&str>, init: bool) -> Cause {
        let what = if init { "init container" } else { "container" };
        let prefix = if init { "Init:" } else { "" };
        let msg = message.unwrap_or_default().to_string();
        let missing = missing_reference(&msg);
        let (summary, command) = match &missing {
            Some(Missing { kind, name, key: Some(key) }) => (
                format!("{what} {} needs key {key} of {kind} {name}, which does not have it", cs.name),
                format!("kubectl edit {} {name} -n {}", kind.to_ascii_lowercase(), self.ns),
            ),
            Some(Missing { kind, name, key: None }) => (
                format!("{what} {} needs {kind} {name}, which does not exist", cs.name),
                if kind == "Secret" {
                    format!("kubectl create secret generic {name} -n {} --from-literal=KEY=VALUE", self.ns)
                } else {
                    format!("kubectl create configmap {name} -n {} --from-literal=KEY=VALUE", self.ns)
                },
            ),
            None => (format!("{what} {}: {}", cs.name, first_lines(&msg, 1)), self.describe_pod()),
        };
        let mut c = Cause {
            cause: format!("{prefix}CreateContainerConfigError"),
            summary: format!("{prefix}CreateContainerConfigError, {summary}"),
            command,
            container: Some(cs.name.clone()),
            reason: Some("CreateContainerConfigError".into()),
            message: Some(msg.clone()).filter(|m| !m.is_empty()),
            ..Default::default()
        };
        if !msg.is_empty() {
            c.evidence.push(format!("kubelet: {}", one_line(&msg, 2)));
        }
        c
    }

    fn probe_failure(&self, cs: &ContainerStatus, spec: Option<&Container>) -> Option<Cause> {
        let startup = cs.started == Some(false) && spec.is_some_and(|c| c.startup_probe.is_some());
        let (cause, kind, probe) = if startup {
            ("StartupProbeFailed", "startup", spec.and_then(|c| c.startup_probe.as_ref()))
        } else {
            ("ReadinessProbeFailed", "readiness", spec.and_then(|c| c.readiness_probe.as_ref()))
        };
        let event = self.ctx.event(self.pod, &["Unhealthy"]);
        let Some(probe) = probe else {
            // Running, not ready, no probe to blame: say what the kubelet says.
            let mut c = self.cause(
                "ContainersNotReady",
                format!(", container {} is running but not ready", cs.name),
                self.describe_pod(),
            );
            c.container = Some(cs.name.clone());
            return Some(c);
        };
        let target = probe_target(probe);
        let mut c = Cause {
            cause: cause.into(),
            summary: format!("{cause}, container {}: {kind} probe {target} fails", cs.name),
            command: format!("kubectl logs {} -c {} -n {}", self.name, cs.name, self.ns),
            container: Some(cs.name.clone()),
            message: event.map(|e| e.message.clone()),
            ..Default::default()
        };
        let period = probe.period_seconds.unwrap_or(10);
        let threshold = probe.failure_threshold.unwrap_or(3);
        c.evidence.push(format!(
            "probed every {period}s; {threshold} failures in a row mark it {}",
            if startup { "failed (and restart the container)" } else { "not ready" }
        ));
        if let Some(e) = self.event_line(&["Unhealthy"]) {
            c.evidence.push(e);
        } else {
            c.evidence.push("no Unhealthy event yet".into());
        }
        Some(c)
    }

    fn readiness_gates(&self, message: Option<String>) -> Cause {
        let gates: Vec<String> = self
            .pod
            .spec
            .iter()
            .flat_map(|s| s.readiness_gates.iter().flatten())
            .map(|g| g.condition_type.clone())
            .collect();
        let mut c = self.cause(
            "ReadinessGatesNotReady",
            format!("the containers are ready but readiness gate {} is not True", gates.join(", ")),
            self.describe_pod(),
        );
        c.message = message.clone();
        if let Some(m) = message {
            c.evidence.push(format!("kubelet: {m}"));
        }
        c.evidence.push("a readiness gate's condition is set by the controller that owns it (a load balancer or mesh controller), not by the kubelet".into());
        c
    }

    fn node_not_ready(&self, node: &str, n: &NodeFact) -> Cause {
        let mut c = self.cause(
            "NodeNotReady",
            format!(
                "node {node} is {}{}",
                n.state(),
                if n.why.is_empty() { String::new() } else { format!(" ({})", first_lines(&n.why, 1)) }
            ),
            format!("kubectl describe node {node}"),
        );
        c.node = Some(node.to_string());
        c.message = Some(n.why.clone()).filter(|m| !m.is_empty());
        c.evidence.push("the node lifecycle controller marked the pod not Ready, so the endpoint controller stopped sending it traffic".into());
        if let Some(e) = self.event_line(&["NodeNotReady"]) {
            c.evidence.push(e);
        }
        c
    }
}

/// Does a toleration tolerate a taint (the scheduler's rule: same key or an empty key with
/// Exists, same effect or none, and Exists or an equal value)?
fn tolerates(tol: &k8s_openapi::api::core::v1::Toleration, t: &Taint) -> bool {
    if tol.effect.as_deref().is_some_and(|e| !e.is_empty() && e != t.effect) {
        return false;
    }
    let op = tol.operator.as_deref().unwrap_or("Equal");
    let key_ok = match tol.key.as_deref() {
        None | Some("") => op == "Exists",
        Some(k) => k == t.key,
    };
    key_ok && (op == "Exists" || tol.value.as_deref().unwrap_or("") == t.value.as_deref().unwrap_or(""))
}

/// The pod's cpu and memory requests (the larger of the containers' sum and any one init
/// container's), as numbers and as the text written.
/// A request as a number and as written.
type Request = Option<(f64, String)>;

fn requests(spec: &crate::pod::Spec) -> (Request, Request) {
    let one = |c: &Container, r: &str| -> Option<f64> {
        c.resources.as_ref()?.requests.as_ref()?.get(r).and_then(|q| quantity::value(&q.0))
    };
    let total = |r: &str| -> Request {
        let sum: f64 = spec.containers.iter().filter_map(|c| one(c, r)).sum();
        let init = spec.init_containers.iter().filter_map(|c| one(c, r)).fold(0.0, f64::max);
        let v = sum.max(init);
        if v == 0.0 {
            return None;
        }
        let text = if spec.containers.len() == 1 && init <= sum {
            spec.containers[0].resources.as_ref()?.requests.as_ref()?.get(r).map(|q| q.0.clone())?
        } else if r == "cpu" {
            format!("{}m", (v * 1000.0).round())
        } else {
            format!("{}Mi", (v / 1024.0 / 1024.0).ceil())
        };
        Some((v, text))
    };
    (total("cpu"), total("memory"))
}

/// `httpGet http://:8080/healthz`, `tcpSocket :5432`, `exec [cat /tmp/ready]`, `grpc :9090`.
pub fn probe_target(p: &Probe) -> String {
    let port = |p: &IntOrString| match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    if let Some(h) = &p.http_get {
        let scheme = h.scheme.as_deref().unwrap_or("HTTP").to_ascii_lowercase();
        return format!("httpGet {scheme}://:{}{}", port(&h.port), h.path.as_deref().unwrap_or("/"));
    }
    if let Some(t) = &p.tcp_socket {
        return format!("tcpSocket :{}", port(&t.port));
    }
    if let Some(e) = &p.exec {
        return format!("exec [{}]", e.command.clone().unwrap_or_default().join(" "));
    }
    if let Some(g) = &p.grpc {
        return format!("grpc :{}", g.port);
    }
    "(no handler)".into()
}

/// A ConfigMap or Secret (and key) the kubelet could not find.
#[derive(Debug, PartialEq, Eq)]
struct Missing {
    kind: String,
    name: String,
    key: Option<String>,
}

/// Reads the kubelet's messages for a missing reference (kubelet_pods.go
/// makeEnvironmentVariables): `couldn't find key KEY in ConfigMap NS/NAME`, the same for Secret,
/// and `configmap "NAME" not found` / `secret "NAME" not found`.
fn missing_reference(msg: &str) -> Option<Missing> {
    if let Some(rest) = msg.strip_prefix("couldn't find key ") {
        let (key, rest) = rest.split_once(" in ")?;
        let (kind, path) = rest.split_once(' ')?;
        let name = path.rsplit('/').next()?;
        return Some(Missing { kind: kind.into(), name: name.into(), key: Some(key.into()) });
    }
    for (lower, kind) in [("configmap", "ConfigMap"), ("secret", "Secret")] {
        if let Some(rest) = msg.strip_prefix(lower).map(str::trim_start)
            && let Some(name) = rest.strip_suffix(" not found")
        {
            return Some(Missing { kind: kind.into(), name: name.trim_matches('"').into(), key: None });
        }
    }
    None
}

impl Cause {
    /// Adds what the cluster's registry says about the image, and the command that follows.
    pub fn add_registry(&mut self, probe: RegistryProbe, ns: &str) {
        let Followup::Image { container, deployment, .. } = &self.followup else { return };
        let target = format!("{}:{}", probe.repository, probe.reference);
        let line = match &probe.presence {
            Presence::Present => {
                format!(
                    "the cluster's registry {} has {target}: the image exists; check the nodes' access to {} (credentials, network)",
                    probe.registry, probe.pull_host
                )
            }
            Presence::OtherHost { pull_reference } => {
                if let Some(d) = deployment {
                    self.command = format!("kubectl set image deployment/{d} {container}={pull_reference} -n {ns}");
                }
                format!(
                    "the cluster's registry {} has {target}, but the nodes pull it from {}: name it {pull_reference}",
                    probe.registry, probe.pull_host
                )
            }
            Presence::TagMissing { tags } => {
                self.command = format!("kubectl push-image SOURCE {target}");
                format!(
                    "the cluster's registry {} has {} but not the tag {} (it has {})",
                    probe.registry,
                    probe.repository,
                    probe.reference,
                    tags.join(", ")
                )
            }
            Presence::NotPushed => {
                self.command = format!("kubectl push-image SOURCE {target}");
                format!(
                    "the cluster's registry {} has no repository {}: the image was never pushed there",
                    probe.registry, probe.repository
                )
            }
            Presence::Unreachable { error } => {
                format!("the cluster's registry {} could not be asked: {}", probe.registry, first_lines(error, 1))
            }
        };
        self.evidence.insert(0, line);
        self.registry = Some(probe);
    }

    /// Adds the state of the PersistentVolumeClaims the pod waits for.
    pub fn add_claims(&mut self, claims: Vec<(String, Option<String>)>) {
        for (name, state) in claims {
            self.evidence.push(match state {
                Some(s) => format!("PersistentVolumeClaim {name}: {s}"),
                None => format!("PersistentVolumeClaim {name} does not exist"),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> PodView {
        serde_json::from_value(v).expect("pod")
    }

    fn ctx() -> Context {
        Context::new("ns", vec![], BTreeMap::new())
    }

    #[test]
    fn a_crash_loop_names_the_exit_the_message_and_the_previous_logs() {
        let p = pod(json!({"metadata": {"name": "api-1", "uid": "u"},
            "spec": {"containers": [{"name": "app", "image": "api:1"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": false, "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container=app pod=api-1_ns(u)"}},
                "lastState": {"terminated": {"exitCode": 3, "reason": "Error", "message": "FATAL: DATABASE_URL is not set\n  at main"}}}]}}));
        let e: Event = serde_json::from_value(json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "api-1", "uid": "u"},
            "reason": "BackOff", "message": "Back-off restarting failed container app in pod api-1_ns(u)", "count": 5, "type": "Warning"})).expect("event");
        let c = classify(&p, &Context::new("ns", vec![e], BTreeMap::new())).expect("a cause");
        assert_eq!(c.cause, "CrashLoopBackOff");
        assert_eq!((c.container.as_deref(), c.exit_code, c.restarts), (Some("app"), Some(3), Some(4)));
        assert_eq!(
            c.summary,
            "CrashLoopBackOff, container app exited with 3 (Error): \"FATAL: DATABASE_URL is not set …\""
        );
        assert_eq!(c.command, "kubectl logs api-1 -c app --previous -n ns");
        assert!(
            c.evidence
                .iter()
                .any(|e| e == "event BackOff ×5: Back-off restarting failed container app in pod api-1_ns(u)"),
            "{:?}",
            c.evidence
        );
    }

    #[test]
    fn oom_kills_show_the_memory_limit() {
        let p = pod(json!({"metadata": {"name": "p"},
            "spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "128Mi"}, "requests": {"memory": "64Mi"}}}]},
            "status": {"containerStatuses": [{"name": "app", "restartCount": 1, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}}));
        let c = classify(&p, &ctx()).expect("a cause");
        assert_eq!((c.cause.as_str(), c.exit_code), ("OOMKilled", Some(137)));
        assert!(c.evidence.iter().any(|e| e.starts_with("memory limit 128Mi, request 64Mi")), "{:?}", c.evidence);
    }

    #[test]
    fn pull_errors_are_read_from_the_kubelets_back_off_message() {
        let p = pod(
            json!({"metadata": {"name": "p", "labels": {"pod-template-hash": "abc"}, "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc"}]},
            "spec": {"containers": [{"name": "app", "image": "reg:5000/web:v1"}]},
            "status": {"containerStatuses": [{"name": "app", "state": {"waiting": {"reason": "ImagePullBackOff",
                "message": "Back-off pulling image \"reg:5000/web:v1\": ErrImagePull: rpc error: code = NotFound desc = not found"}}}]}}),
        );
        let mut c = classify(&p, &ctx()).expect("a cause");
        assert_eq!(c.message.as_deref(), Some("rpc error: code = NotFound desc = not found"));
        assert_eq!(
            c.followup,
            Followup::Image {
                image: "reg:5000/web:v1".into(),
                container: "app".into(),
                deployment: Some("web".into())
            }
        );
        c.add_registry(
            RegistryProbe {
                registry: "127.0.0.1:5000".into(),
                pull_host: "localhost:5000".into(),
                repository: "web".into(),
                reference: "v1".into(),
                presence: Presence::OtherHost { pull_reference: "localhost:5000/web:v1".into() },
            },
            "ns",
        );
        assert_eq!(c.command, "kubectl set image deployment/web app=localhost:5000/web:v1 -n ns");
        c.add_registry(
            RegistryProbe {
                registry: "127.0.0.1:5000".into(),
                pull_host: "localhost:5000".into(),
                repository: "web".into(),
                reference: "v1".into(),
                presence: Presence::NotPushed,
            },
            "ns",
        );
        assert_eq!(c.command, "kubectl push-image SOURCE web:v1");
    }

    #[test]
    fn config_errors_name_the_missing_object_and_key() {
        assert_eq!(
            missing_reference("couldn't find key database-url in ConfigMap ns/app-config"),
            Some(Missing { kind: "ConfigMap".into(), name: "app-config".into(), key: Some("database-url".into()) })
        );
        assert_eq!(
            missing_reference("secret \"db\" not found"),
            Some(Missing { kind: "Secret".into(), name: "db".into(), key: None })
        );
        assert_eq!(missing_reference("something else"), None);
        let p = pod(json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [{"name": "app",
            "state": {"waiting": {"reason": "CreateContainerConfigError", "message": "configmap \"app-config\" not found"}}}]}}));
        let c = classify(&p, &ctx()).expect("a cause");
        assert_eq!(c.command, "kubectl create configmap app-config -n ns --from-literal=KEY=VALUE");
    }

    #[test]
    fn scheduling_refusals_name_the_nodes_and_labels() {
        let node = |name: &str, zone: &str, taint: bool| -> (String, NodeFact) {
            let n: Node = serde_json::from_value(json!({"metadata": {"name": name, "labels": {"zone": zone}},
                "spec": {"taints": if taint { json!([{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]) } else { json!([]) }},
                "status": {"allocatable": {"cpu": "1k", "memory": "4Ti"}, "conditions": [{"type": "Ready", "status": "True"}]}}))
            .expect("node");
            (name.to_string(), NodeFact::from_node(&n))
        };
        let nodes: BTreeMap<String, NodeFact> = [node("a", "z1", true), node("b", "z2", true)].into();
        let ctx = Context::new("ns", vec![], nodes);
        let unscheduled = |spec: serde_json::Value| {
            pod(json!({"metadata": {"name": "p"}, "spec": spec,
                "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/2 nodes are available"}]}}))
        };
        let c = classify(&unscheduled(json!({"nodeSelector": {"zone": "z9"}})), &ctx).expect("a cause");
        assert_eq!(c.cause, "Unschedulable");
        assert_eq!(c.message.as_deref(), Some("0/2 nodes are available"));
        assert_eq!(c.evidence, ["nodeSelector zone=z9: nodes have zone=z1, z2"]);
        assert_eq!(c.command, "kubectl get nodes -l zone=z9 --show-labels");
        let c = classify(&unscheduled(json!({})), &ctx).expect("a cause");
        assert_eq!(c.evidence, ["taint dedicated=db:NoSchedule (not tolerated) on a, b"]);
        let tolerant = json!({"tolerations": [{"key": "dedicated", "operator": "Exists"}],
            "containers": [{"name": "c", "resources": {"requests": {"cpu": "2k"}}}]});
        let c = classify(&unscheduled(tolerant), &ctx).expect("a cause");
        assert_eq!(c.evidence, ["requests cpu 2k, more than any node can allocate"]);
        let c = classify(&unscheduled(json!({"tolerations": [{"operator": "Exists"}], "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]})), &ctx)
            .expect("a cause");
        assert_eq!(c.followup, Followup::Claims(vec!["data".into()]));
    }

    #[test]
    fn probes_terminations_and_nodes() {
        let p = pod(json!({"metadata": {"name": "p", "uid": "u"},
            "spec": {"containers": [{"name": "app", "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}}]},
            "status": {"containerStatuses": [{"name": "app", "ready": false, "started": true, "state": {"running": {}}}],
                       "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}]}}));
        let e: Event = serde_json::from_value(json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"},
            "reason": "Unhealthy", "message": "Readiness probe failed: HTTP probe failed with statuscode: 503", "count": 7})).expect("event");
        let c = classify(&p, &Context::new("ns", vec![e], BTreeMap::new())).expect("a cause");
        assert_eq!(
            c.summary,
            "ReadinessProbeFailed, container app: readiness probe httpGet http://:http/healthz fails"
        );
        assert_eq!(c.message.as_deref(), Some("Readiness probe failed: HTTP probe failed with statuscode: 503"));
        assert!(c.evidence.contains(
            &"event Unhealthy ×7: Readiness probe failed: HTTP probe failed with statuscode: 503".to_string()
        ));

        let gone = pod(
            json!({"metadata": {"name": "p", "deletionTimestamp": "2026-01-01T00:00:30Z", "finalizers": ["example.com/drain"]},
            "spec": {"terminationGracePeriodSeconds": 30}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
        );
        let c = classify(&gone, &ctx()).expect("a cause");
        assert_eq!(c.cause, "Terminating");
        assert!(c.evidence[1].contains("example.com/drain"), "{:?}", c.evidence);

        let n: Node = serde_json::from_value(json!({"metadata": {"name": "n1"}, "status": {"conditions": [
            {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node status."}]}}))
        .expect("node");
        let ctx = Context::new("ns", vec![], [("n1".to_string(), NodeFact::from_node(&n))].into());
        let on_lost_node = pod(json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1"},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}}));
        let c = classify(&on_lost_node, &ctx).expect("a cause");
        assert_eq!(
            c.summary,
            "NodeNotReady: node n1 is Unknown (NodeStatusUnknown: Kubelet stopped posting node status.)"
        );
        assert_eq!(c.command, "kubectl describe node n1");
        let ready = pod(
            json!({"metadata": {"name": "p"}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}),
        );
        assert!(classify(&ready, &ctx).is_none());
    }

    #[test]
    fn only_the_pods_own_events_explain_it() {
        let p = pod(
            json!({"metadata": {"name": "api", "uid": "u-1"}, "spec": {"containers": [{"name": "app", "readinessProbe": {"tcpSocket": {"port": 80}}}]},
            "status": {"containerStatuses": [{"name": "app", "ready": false, "state": {"running": {}}}]}}),
        );
        let event = |kind: &str, uid: &str, reason: &str| -> Event {
            serde_json::from_value(json!({"metadata": {"name": reason},
                "involvedObject": {"kind": kind, "name": "api", "uid": uid}, "reason": reason, "message": "m"}))
            .expect("event")
        };
        // A Service of the same name (the usual case) and an older pod of that name are not this pod.
        let others = vec![event("Service", "u-1", "Unhealthy"), event("Pod", "u-0", "Unhealthy")];
        let c = classify(&p, &Context::new("ns", others.clone(), BTreeMap::new())).expect("a cause");
        assert!(c.evidence.contains(&"no Unhealthy event yet".to_string()), "{:?}", c.evidence);
        let mine = [vec![event("Pod", "u-1", "Unhealthy")], others].concat();
        let c = classify(&p, &Context::new("ns", mine, BTreeMap::new())).expect("a cause");
        assert!(c.evidence.contains(&"event Unhealthy ×1: m".to_string()), "{:?}", c.evidence);
    }

    #[test]
    fn a_container_that_has_just_exited_again_is_in_the_same_crash_loop() {
        let status = |state: serde_json::Value, restarts: i32| {
            pod(json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}]},
                "status": {"containerStatuses": [{"name": "app", "restartCount": restarts, "state": state,
                    "lastState": if restarts > 0 { json!({"terminated": {"exitCode": 3, "reason": "Error"}}) } else { json!({}) }}]}}))
        };
        let exited = json!({"terminated": {"exitCode": 3, "reason": "Error"}});
        let backing_off =
            classify(&status(json!({"waiting": {"reason": "CrashLoopBackOff"}}), 2), &ctx()).expect("cause");
        let again = classify(&status(exited.clone(), 2), &ctx()).expect("cause");
        assert_eq!((again.cause.as_str(), again.summary.as_str()), ("CrashLoopBackOff", backing_off.summary.as_str()));
        assert_eq!(again.command, "kubectl logs p -c app -n ns", "the exited container is the current one");
        let first = classify(&status(exited, 0), &ctx()).expect("cause");
        assert_eq!(first.cause, "Error", "one exit is not a loop yet");
    }
}
