//! What pods are judged against, read once per trace: the namespace's Warning events by pod,
//! and the nodes (Ready condition, labels, taints, allocatable cpu and memory).

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Event, Node, Taint};
use kubectl_kit_core::quantity;

use crate::pod::PodView;

/// One Warning event about a pod.
#[derive(Debug, Clone)]
pub(super) struct EventFact {
    pub(super) uid: Option<String>,
    pub(super) reason: String,
    pub(super) message: String,
    pub(super) count: i32,
}

/// A node as the causes need it.
#[derive(Debug, Clone, Default)]
pub struct NodeFact {
    /// Ready True (`Some(true)`), False, or Unknown/absent (`None`).
    pub ready: Option<bool>,
    /// The Ready condition's reason and message.
    pub why: String,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) taints: Vec<Taint>,
    pub(super) cpu: Option<f64>,
    pub(super) memory: Option<f64>,
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
    pub(super) ns: String,
    events: HashMap<String, Vec<EventFact>>,
    pub(super) nodes: BTreeMap<String, NodeFact>,
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
    pub(super) fn event(&self, pod: &PodView, reasons: &[&str]) -> Option<&EventFact> {
        let uid = pod.metadata.uid.as_deref();
        let mine = self.events.get(pod.name())?;
        reasons.iter().find_map(|r| {
            mine.iter().rev().find(|e| e.reason == *r && (e.uid.is_none() || uid.is_none() || e.uid.as_deref() == uid))
        })
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
}
