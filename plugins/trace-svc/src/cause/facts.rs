//! What pods and their owners are judged against, read once per trace: the namespace's Warning
//! events by object (pods, workloads, the Service, claims), and the nodes (Ready and the
//! pressure conditions, cordons, labels, taints, allocatable cpu and memory).

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Event, Node, Taint};
use kubectl_kit_core::quantity;
use serde::Serialize;

use crate::pod::PodView;

/// One Warning event about an object.
#[derive(Debug, Clone)]
pub(crate) struct EventFact {
    pub(crate) uid: Option<String>,
    pub(crate) reason: String,
    pub(crate) message: String,
    pub(crate) count: i32,
    /// When it was last seen (RFC 3339, as the API writes it), for ordering.
    pub(crate) last: String,
}

impl EventFact {
    /// `event REASON ×N: MESSAGE` (its first two lines).
    pub(crate) fn line(&self) -> String {
        format!("event {} ×{}: {}", self.reason, self.count, super::one_line(&self.message, 2))
    }

    /// As `-o json` carries it.
    pub(crate) fn note(&self) -> EventNote {
        EventNote {
            reason: self.reason.clone(),
            message: super::first_lines(&self.message, 5),
            count: self.count,
            last: Some(self.last.clone()).filter(|l| !l.is_empty()),
        }
    }
}

/// A Warning event as `-o json` carries it (the hop's `events[]`).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventNote {
    pub reason: String,
    pub message: String,
    pub count: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

/// A node condition other than Ready that stops or limits the node: `MemoryPressure`,
/// `DiskPressure`, `PIDPressure` or `NetworkUnavailable` True.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeTrouble {
    pub kind: String,
    /// The condition's reason and message (`KubeletHasInsufficientMemory: kubelet has …`).
    pub why: String,
}

/// A node as the causes need it.
#[derive(Debug, Clone, Default)]
pub struct NodeFact {
    /// Ready True (`Some(true)`), False, or Unknown/absent (`None`).
    pub ready: Option<bool>,
    /// The Ready condition's reason and message.
    pub why: String,
    /// Pressure conditions and NetworkUnavailable that are True.
    pub troubles: Vec<NodeTrouble>,
    /// Cordoned: `spec.unschedulable`.
    pub cordoned: bool,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) taints: Vec<Taint>,
    pub(super) cpu: Option<f64>,
    pub(super) memory: Option<f64>,
}

/// The node conditions besides Ready that the kubelet (or the network plugin) sets True when
/// something is wrong, and what each means for the pods (kubelet eviction manager, node
/// lifecycle controller's TaintNodesByCondition).
pub const TROUBLES: &[(&str, &str)] = &[
    ("MemoryPressure", "the kubelet evicts pods to reclaim memory and the scheduler places no new pod there"),
    (
        "DiskPressure",
        "the kubelet evicts pods and deletes images to reclaim disk, and the scheduler places no new pod there",
    ),
    ("PIDPressure", "the kubelet evicts pods to reclaim process ids and the scheduler places no new pod there"),
    ("NetworkUnavailable", "the node's pod network is not configured: its pods may not be reachable"),
];

fn why(reason: Option<&String>, message: Option<&String>) -> String {
    [reason, message].into_iter().flatten().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(": ")
}

impl NodeFact {
    /// What the node's conditions and spec say.
    pub fn from_node(n: &Node) -> NodeFact {
        let conditions = n.status.as_ref().and_then(|s| s.conditions.as_ref());
        let ready = conditions.and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"));
        let alloc = n.status.as_ref().and_then(|s| s.allocatable.as_ref());
        let troubles = conditions
            .into_iter()
            .flatten()
            .filter(|c| c.status == "True" && TROUBLES.iter().any(|(t, _)| *t == c.type_))
            .map(|c| NodeTrouble { kind: c.type_.clone(), why: why(c.reason.as_ref(), c.message.as_ref()) })
            .collect();
        NodeFact {
            ready: ready.and_then(|c| match c.status.as_str() {
                "True" => Some(true),
                "False" => Some(false),
                _ => None,
            }),
            why: ready.map(|c| why(c.reason.as_ref(), c.message.as_ref())).unwrap_or_default(),
            troubles,
            cordoned: n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false),
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

    /// `MemoryPressure, cordoned`: what else is wrong with it, or nothing.
    pub fn trouble_words(&self) -> Vec<String> {
        let mut words: Vec<String> = self.troubles.iter().map(|t| t.kind.clone()).collect();
        if self.cordoned {
            words.push("cordoned".into());
        }
        words
    }

    /// One line per trouble: `MemoryPressure (REASON: MESSAGE): what it does`, and the cordon.
    pub fn trouble_lines(&self, node: &str) -> Vec<String> {
        let mut lines: Vec<String> = self
            .troubles
            .iter()
            .map(|t| {
                let effect = TROUBLES.iter().find(|(k, _)| *k == t.kind).map(|(_, e)| *e).unwrap_or_default();
                let why = if t.why.is_empty() { String::new() } else { format!(" ({})", t.why) };
                format!("node {node} has {}{why}: {effect}", t.kind)
            })
            .collect();
        if self.cordoned {
            lines.push(format!(
                "node {node} is cordoned (spec.unschedulable): the scheduler places no new pod there; kubectl uncordon {node} when it is fit again"
            ));
        }
        lines
    }
}

/// What pods are judged against: their namespace, the Warning events and the nodes.
#[derive(Debug, Default)]
pub struct Context {
    pub(super) ns: String,
    /// Pods' events by pod name.
    events: HashMap<String, Vec<EventFact>>,
    /// Other objects' events by (kind, name).
    others: HashMap<(String, String), Vec<EventFact>>,
    pub(super) nodes: BTreeMap<String, NodeFact>,
}

fn fact(e: Event) -> (String, String, EventFact) {
    let o = e.involved_object;
    let count = e.count.or_else(|| e.series.as_ref().and_then(|s| s.count)).unwrap_or(1);
    let last = e
        .series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref().map(|t| t.0.to_string()))
        .or_else(|| e.last_timestamp.as_ref().map(|t| t.0.to_string()))
        .or_else(|| e.event_time.as_ref().map(|t| t.0.to_string()))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()))
        .unwrap_or_default();
    (
        o.kind.unwrap_or_default(),
        o.name.unwrap_or_default(),
        EventFact {
            uid: o.uid,
            reason: e.reason.unwrap_or_default(),
            message: e.message.unwrap_or_default().trim().to_string(),
            count,
            last,
        },
    )
}

impl Context {
    /// Pods of namespace `ns`; the namespace's Warning `events`; the cluster's `nodes`.
    pub fn new(ns: &str, events: Vec<Event>, nodes: BTreeMap<String, NodeFact>) -> Self {
        let mut by_pod: HashMap<String, Vec<EventFact>> = HashMap::new();
        let mut others: HashMap<(String, String), Vec<EventFact>> = HashMap::new();
        for e in events {
            let (kind, name, f) = fact(e);
            if name.is_empty() {
                continue;
            }
            if kind == "Pod" {
                by_pod.entry(name).or_default().push(f);
            } else {
                others.entry((kind, name)).or_default().push(f);
            }
        }
        for list in by_pod.values_mut().chain(others.values_mut()) {
            // Oldest first, so that the last of a reason is its latest.
            list.sort_by(|a, b| a.last.cmp(&b.last));
        }
        Context { ns: ns.to_string(), events: by_pod, others, nodes }
    }

    /// The nodes, by name.
    pub fn nodes(&self) -> &BTreeMap<String, NodeFact> {
        &self.nodes
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.ns
    }

    /// The pod's latest event with one of `reasons` (the first reason that has one). Services,
    /// endpoints and pods may share a name (they usually do), so an event is this pod's only
    /// when it names a Pod, and this pod's uid when the event carries one.
    pub(crate) fn event(&self, pod: &PodView, reasons: &[&str]) -> Option<&EventFact> {
        reasons.iter().find_map(|r| self.event_where(pod, |e| e.reason == *r))
    }

    /// The pod's latest event that `pick` picks.
    pub(crate) fn event_where(&self, pod: &PodView, pick: impl Fn(&EventFact) -> bool) -> Option<&EventFact> {
        self.pod_events(pod).rev().find(|e| pick(e))
    }

    /// The pod's events, oldest first.
    pub(crate) fn pod_events(&self, pod: &PodView) -> impl DoubleEndedIterator<Item = &EventFact> {
        let uid = pod.metadata.uid.clone();
        self.events
            .get(pod.name())
            .into_iter()
            .flatten()
            .filter(move |e| e.uid.is_none() || uid.is_none() || e.uid == uid)
    }

    /// The latest `n` events of the pod, one per reason, latest first.
    pub(crate) fn latest_pod_events(&self, pod: &PodView, n: usize) -> Vec<&EventFact> {
        let mut out: Vec<&EventFact> = vec![];
        for e in self.pod_events(pod).rev() {
            if out.len() == n {
                break;
            }
            if !out.iter().any(|o| o.reason == e.reason) {
                out.push(e);
            }
        }
        out
    }

    /// The events of another object of the namespace (`ReplicaSet`, `Service`,
    /// `PersistentVolumeClaim`…), oldest first.
    pub(crate) fn object_events(&self, kind: &str, name: &str) -> &[EventFact] {
        self.others.get(&(kind.to_string(), name.to_string())).map(Vec::as_slice).unwrap_or_default()
    }

    /// Another object's events as `-o json` carries them, oldest first.
    pub fn object_events_notes(&self, kind: &str, name: &str) -> Vec<EventNote> {
        self.object_events(kind, name).iter().map(EventFact::note).collect()
    }

    /// The latest event of another object with one of `reasons`.
    pub(crate) fn object_event(&self, kind: &str, name: &str, reasons: &[&str]) -> Option<&EventFact> {
        let all = self.object_events(kind, name);
        reasons.iter().find_map(|r| all.iter().rev().find(|e| e.reason == *r))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::Event;
    use serde_json::json;

    use super::Context;
    use crate::cause::classify;
    use crate::cause::testing::pod;

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
    fn a_pod_no_rule_explains_shows_its_latest_warning_events() {
        let p = pod(json!({"metadata": {"name": "api", "uid": "u-1"}, "spec": {"containers": [{"name": "app"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": true, "state": {"running": {}}}],
                "conditions": [{"type": "Ready", "status": "False", "reason": "PodCompleted"}]}}));
        let warning = |name: &str, reason: &str, message: &str, last: &str| -> Event {
            serde_json::from_value(json!({"metadata": {"name": name}, "type": "Warning",
                "involvedObject": {"kind": "Pod", "name": "api", "uid": "u-1"}, "reason": reason, "message": message,
                "count": 1, "lastTimestamp": last}))
            .expect("event")
        };
        let events = vec![
            warning("a", "NetworkNotReady", "network is not ready", "2026-01-01T00:00:01Z"),
            warning("b", "FailedSync", "error determining status", "2026-01-01T00:00:02Z"),
        ];
        let c = classify(&p, &Context::new("ns", events, BTreeMap::new())).expect("a cause");
        assert_eq!(c.cause, "PodCompleted");
        assert_eq!(c.command, "kubectl describe pod api -n ns");
        assert!(c.evidence.contains(&"event FailedSync ×1: error determining status".to_string()), "{:?}", c.evidence);
        assert!(c.evidence.contains(&"event NetworkNotReady ×1: network is not ready".to_string()), "{:?}", c.evidence);
    }
}
