//! What the trace keeps of the pods behind a Service: counts, and the lines it prints about pods
//! that need them. Each pod is folded in as the list streams past and then dropped, so a Service
//! with thousands of healthy pods costs about what one costs; only pods with something to say
//! (not Ready, a port that does not resolve, isolated by a NetworkPolicy) leave a line behind.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Event, ServicePort};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kubectl_kit_core::selector::Labels;

use crate::netpol::Isolation;
use crate::pod::PodView;
use crate::ports::resolve_target;

/// The selected pods, as the hops report them.
#[derive(Debug, Default)]
pub struct PodFacts {
    /// Pods selected.
    pub total: usize,
    /// Of those, Ready.
    pub ready: usize,
    /// `pod NAME is not Ready: WHY`, in server order.
    pub not_ready: Vec<String>,
    /// Per Service port traced, in the Service's order.
    pub ports: Vec<PortFacts>,
    /// The network-policy hop.
    pub isolation: Isolation,
}

/// How one Service port resolves on the pods.
#[derive(Debug, Default)]
pub struct PortFacts {
    /// Pods where the targetPort resolves.
    pub resolved: usize,
    /// Of those, pods with no container declaring the port.
    pub undeclared: usize,
    /// The container ports it resolves to (as text, in text order).
    pub numbers: BTreeSet<String>,
    /// `pod NAME: WHY` for the pods where it does not resolve.
    pub unresolved: Vec<String>,
}

/// Folds pods into [`PodFacts`]; holds what each pod is judged against.
#[derive(Debug)]
pub struct PodFold {
    ports: Vec<ServicePort>,
    events: Vec<Event>,
    from: Option<(PodView, Labels)>,
    ns: String,
    facts: PodFacts,
}

impl PodFold {
    /// Judges pods of namespace `ns` against the Service `ports` traced, the namespace's Warning
    /// `events` (to say why a pod is not Ready), its NetworkPolicies and the `--from` client.
    pub fn new(
        ports: Vec<ServicePort>,
        events: Vec<Event>,
        policies: Vec<NetworkPolicy>,
        from: Option<(PodView, Labels)>,
        ns: &str,
    ) -> Self {
        let facts = PodFacts {
            ports: ports.iter().map(|_| PortFacts::default()).collect(),
            isolation: Isolation::new(policies),
            ..Default::default()
        };
        PodFold { ports, events, from, ns: ns.to_string(), facts }
    }

    /// Adds one selected pod.
    pub fn add(&mut self, pod: PodView) {
        let f = &mut self.facts;
        f.total += 1;
        if pod_ready(&pod) {
            f.ready += 1;
        } else {
            f.not_ready.push(format!("pod {} is not Ready: {}", name_of(&pod), why_not_ready(&pod, &self.events)));
        }
        for (sp, pf) in self.ports.iter().zip(f.ports.iter_mut()) {
            match resolve_target(sp, &pod) {
                Ok(n) => {
                    pf.resolved += 1;
                    if !pod.container_ports().any(|cp| cp.container_port == n) {
                        pf.undeclared += 1;
                    }
                    pf.numbers.insert(n.to_string());
                }
                Err(e) => pf.unresolved.push(format!("pod {}: {e}", name_of(&pod))),
            }
        }
        f.isolation.add(&pod, &self.ports, self.from.as_ref(), &self.ns);
    }

    /// The facts of every pod added.
    pub fn finish(self) -> PodFacts {
        self.facts
    }
}

/// Folds a namespace's pods into the three closest to a selector that selects none, with the
/// labels that differ.
#[derive(Debug)]
pub struct Nearest {
    selector: Labels,
    best: Vec<(usize, String)>,
}

impl Nearest {
    /// The pods closest to `selector`.
    pub fn new(selector: Labels) -> Self {
        Nearest { selector, best: Vec::new() }
    }

    /// Adds one pod of the namespace.
    pub fn add(&mut self, p: PodView) {
        let l = p.labels();
        let sel = &self.selector;
        let matched = sel.iter().filter(|(k, v)| l.get(*k) == Some(*v)).count();
        if matched == 0 {
            return;
        }
        let diffs: Vec<String> = sel
            .iter()
            .filter(|(k, v)| l.get(*k) != Some(*v))
            .map(|(k, v)| match l.get(k) {
                Some(have) => format!("{k}={v} vs {have}"),
                None => format!("{k}={v} missing"),
            })
            .collect();
        let line = format!("pod {} matches {matched} of {} labels; {}", name_of(&p), sel.len(), diffs.join(", "));
        self.best.push((matched, line));
        self.best.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        self.best.truncate(3);
    }

    /// The closest first.
    pub fn finish(self) -> Vec<String> {
        self.best.into_iter().map(|(_, s)| s).collect()
    }
}

fn name_of(p: &PodView) -> String {
    p.metadata.name.clone().unwrap_or_default()
}

fn pod_ready(p: &PodView) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Why a pod is not Ready: conditions, container states, recent Warning events.
fn why_not_ready(p: &PodView, events: &[Event]) -> String {
    let mut why = vec![];
    if let Some(s) = &p.status {
        if let Some(c) = s.conditions.iter().flatten().find(|c| c.type_ == "Ready" && c.status != "True") {
            let r = [c.reason.clone(), c.message.clone()].into_iter().flatten().collect::<Vec<_>>().join(": ");
            if !r.is_empty() {
                why.push(r);
            }
        }
        for cs in s.container_statuses.iter().flatten() {
            if let Some(w) = cs.state.as_ref().and_then(|st| st.waiting.as_ref()) {
                why.push(format!("container {} waiting: {}", cs.name, w.reason.clone().unwrap_or_default()));
            } else if !cs.ready {
                why.push(format!("container {} not ready", cs.name));
            }
        }
        if let Some(phase) = &s.phase
            && phase != "Running"
        {
            why.push(format!("phase {phase}"));
        }
    } else {
        why.push("no status yet".into());
    }
    let name = name_of(p);
    // Services, endpoints and pods may share a name (they usually do), so an event is this pod's
    // only when it names a Pod, and this pod's uid when the event carries one.
    let uid = p.metadata.uid.as_deref();
    let about_this_pod = |e: &&Event| {
        let o = &e.involved_object;
        o.kind.as_deref() == Some("Pod")
            && o.name.as_deref() == Some(name.as_str())
            && (o.uid.is_none() || uid.is_none() || o.uid.as_deref() == uid)
    };
    if let Some(e) = events.iter().rev().find(about_this_pod) {
        why.push(format!(
            "event {}: {}",
            e.reason.clone().unwrap_or_default(),
            e.message.clone().unwrap_or_default().trim()
        ));
    }
    if why.is_empty() { "not Ready".into() } else { why.join("; ") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, labels: serde_json::Value, ready: bool) -> PodView {
        serde_json::from_value(json!({"metadata": {"name": name, "labels": labels},
               "status": {"phase": "Running",
                          "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }, "reason": "ReadinessProbeFailed"}]}}))
        .expect("pod")
    }

    #[test]
    fn only_the_pods_own_events_explain_it() {
        let mut p = pod("api", json!({}), false);
        p.metadata.uid = Some("u-1".into());
        let event = |kind: &str, uid: &str, reason: &str| -> Event {
            serde_json::from_value(json!({"metadata": {"name": reason},
                "involvedObject": {"kind": kind, "name": "api", "uid": uid}, "reason": reason, "message": "m"}))
            .expect("event")
        };
        // A Service of the same name (the usual case) and an older pod of that name are not this pod.
        let others = [event("Service", "u-1", "ClusterIPNotAllocated"), event("Pod", "u-0", "Killing")];
        let why = why_not_ready(&p, &others);
        assert!(!why.contains("event"), "{why}");
        let why = why_not_ready(&p, &[event("Pod", "u-1", "FailedScheduling"), others[0].clone()]);
        assert!(why.ends_with("event FailedScheduling: m"), "{why}");
    }

    #[test]
    fn healthy_pods_leave_only_counts_behind() {
        let mut fold = PodFold::new(vec![], vec![], vec![], None, "ns");
        for i in 0..500 {
            fold.add(pod(&format!("p{i}"), json!({"app": "api"}), i != 7));
        }
        let f = fold.finish();
        assert_eq!((f.total, f.ready), (500, 499));
        assert_eq!(f.not_ready, ["pod p7 is not Ready: ReadinessProbeFailed"]);
    }

    #[test]
    fn the_nearest_pods_are_the_best_three_whatever_the_order() {
        let sel = Labels::from([("app".to_string(), "api".to_string()), ("tier".to_string(), "web".to_string())]);
        let pods = [
            pod("one", json!({"app": "api"}), true),
            pod("none", json!({"x": "y"}), true),
            pod("two", json!({"app": "api", "tier": "db"}), true),
            pod("also", json!({"tier": "web"}), true),
            pod("zed", json!({"app": "api"}), true),
        ];
        let mut near = Nearest::new(sel.clone());
        pods.iter().cloned().for_each(|p| near.add(p));
        let mut reversed = Nearest::new(sel);
        pods.into_iter().rev().for_each(|p| reversed.add(p));
        let best = near.finish();
        assert_eq!(best, reversed.finish());
        assert_eq!(
            best,
            [
                "pod also matches 1 of 2 labels; app=api missing",
                "pod one matches 1 of 2 labels; tier=web missing",
                "pod two matches 1 of 2 labels; tier=web vs db",
            ]
        );
    }
}
