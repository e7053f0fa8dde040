//! What the trace keeps of the pods behind a Service: counts, and the causes of the pods that
//! do not serve, grouped. Each pod is folded in as the list streams past and then dropped, so
//! a Service with thousands of pods costs about what one costs: healthy pods leave only counts,
//! and pods with the same cause add one to their group's count (see [`crate::cause`]). What
//! would otherwise be a line per pod (a port that does not resolve, a NetworkPolicy) is a
//! [`Tally`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::api::core::v1::ServicePort;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kubectl_kit_core::selector::Labels;

use crate::cause::owners::Count;
use crate::cause::{Cause, Context, classify};
use crate::model::Tally;
use crate::netpol::Isolation;
use crate::pod::PodView;
use crate::ports::resolve_target;
use crate::slice::SliceView;

/// At most this many cause groups; pods with yet other causes are only counted.
pub const MAX_GROUPS: usize = 8;

/// Pod names kept as examples per group.
const EXAMPLES: usize = crate::model::EXAMPLES;

/// The selected pods, as the hops report them.
#[derive(Debug, Default)]
pub struct PodFacts {
    /// Pods selected.
    pub total: usize,
    /// Of those, Ready and not being deleted.
    pub ready: usize,
    /// Of those, being deleted.
    pub terminating: usize,
    /// Where the Ready pods are.
    pub healthy: Placement,
    /// The pods that do not serve, by cause, largest group first.
    pub groups: Vec<Group>,
    /// Pods beyond [`MAX_GROUPS`] groups: their count by cause.
    pub overflow: BTreeMap<String, usize>,
    /// Per Service port traced, in the Service's order.
    pub ports: Vec<PortFacts>,
    /// The network-policy hop.
    pub isolation: Isolation,
    /// Selected pods by controller (`ReplicaSet/api-7d9f`): how many, how many Ready.
    pub owners: BTreeMap<String, Count>,
    /// Selected pods none of whose containers has a readiness probe: how many, and a few.
    pub unprobed: (usize, Vec<String>),
    /// The NetworkPolicies (by name) that select at least one of the pods.
    pub selecting_policies: BTreeSet<String>,
    /// What the pods were judged against, kept for the owners and follow-ups.
    pub ctx: Context,
}

/// Controllers counted per Service, at most: beyond, pods are counted without their owner.
const MAX_OWNERS: usize = 32;

/// Pods with one cause.
#[derive(Debug, Clone)]
pub struct Group {
    /// The cause, its evidence and command taken from the first pod.
    pub cause: Cause,
    /// Where the pods are.
    pub place: Placement,
}

/// Where a set of pods is: how many, on which nodes, in which EndpointSlices.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    /// Pods.
    pub pods: usize,
    /// Pods per node (unscheduled pods are on none).
    pub nodes: BTreeMap<String, usize>,
    /// Pods per EndpointSlice (by index in the trace's slices).
    pub slices: BTreeMap<usize, usize>,
    /// Pods in no EndpointSlice.
    pub unsliced: usize,
    /// Pods per controller (`ReplicaSet/api-7d9f`).
    pub owners: BTreeMap<String, usize>,
}

impl Placement {
    fn add(&mut self, pod: &PodView, slice: Option<usize>) {
        self.pods += 1;
        if let Some(o) = pod.owner()
            && (self.owners.len() < MAX_OWNERS || self.owners.contains_key(&o))
        {
            *self.owners.entry(o).or_default() += 1;
        }
        if let Some(n) = pod.spec.as_ref().and_then(|s| s.node_name.as_ref()) {
            *self.nodes.entry(n.clone()).or_default() += 1;
        }
        match slice {
            Some(i) => *self.slices.entry(i).or_default() += 1,
            None => self.unsliced += 1,
        }
    }
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
    /// Why it does not resolve, by pods.
    pub unresolved: Tally,
}

/// Folds pods into [`PodFacts`]; holds what each pod is judged against.
#[derive(Debug)]
pub struct PodFold {
    ports: Vec<ServicePort>,
    ctx: Context,
    from: Option<(PodView, Labels)>,
    ns: String,
    /// The EndpointSlice each pod is an endpoint in.
    slice_of: HashMap<String, usize>,
    /// Each NetworkPolicy's name and pod selector.
    policy_selectors: Vec<(String, k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector)>,
    facts: PodFacts,
}

impl PodFold {
    /// Judges pods of namespace `ns` against the Service `ports` traced, the namespace's Warning
    /// events and the nodes (`ctx`, to say why a pod does not serve), its NetworkPolicies, the
    /// `--from` client and the Service's `slices` (to place each pod in one).
    pub fn new(
        ports: Vec<ServicePort>,
        ctx: Context,
        policies: Vec<NetworkPolicy>,
        from: Option<(PodView, Labels)>,
        ns: &str,
        slices: &[SliceView],
    ) -> Self {
        let policy_selectors = policies
            .iter()
            .map(|p| {
                let sel = p.spec.as_ref().and_then(|s| s.pod_selector.clone()).unwrap_or_default();
                (p.metadata.name.clone().unwrap_or_default(), sel)
            })
            .collect();
        let facts = PodFacts {
            ports: ports.iter().map(|_| PortFacts::default()).collect(),
            isolation: Isolation::new(policies),
            ..Default::default()
        };
        let mut slice_of = HashMap::new();
        for (i, s) in slices.iter().enumerate() {
            for e in &s.endpoints {
                if let Some(name) =
                    e.target_ref.as_ref().filter(|r| r.kind.as_deref() == Some("Pod")).and_then(|r| r.name.clone())
                {
                    slice_of.entry(name).or_insert(i);
                }
            }
        }
        PodFold { ports, ctx, from, ns: ns.to_string(), slice_of, policy_selectors, facts }
    }

    /// Adds one selected pod.
    pub fn add(&mut self, pod: PodView) {
        let f = &mut self.facts;
        f.total += 1;
        let slice = self.slice_of.get(pod.name()).copied();
        let judged = classify(&pod, &self.ctx);
        if let Some(o) = pod.owner()
            && (f.owners.len() < MAX_OWNERS || f.owners.contains_key(&o))
        {
            let c = f.owners.entry(o).or_default();
            c.pods += 1;
            c.ready += usize::from(judged.is_none());
        }
        if !pod.has_readiness_probe() {
            f.unprobed.0 += 1;
            if f.unprobed.1.len() < EXAMPLES {
                f.unprobed.1.push(pod.name().to_string());
            }
        }
        if !self.policy_selectors.is_empty() {
            let labels = pod.labels();
            for (name, sel) in &self.policy_selectors {
                if !f.selecting_policies.contains(name) && kubectl_kit_core::selector::matches(sel, &labels) {
                    f.selecting_policies.insert(name.clone());
                }
            }
        }
        match judged {
            None => {
                f.ready += 1;
                f.healthy.add(&pod, slice);
            }
            Some(cause) => {
                if cause.cause == "Terminating" {
                    f.terminating += 1;
                }
                add_to_group(f, cause, &pod, slice);
            }
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
                Err(e) => pf.unresolved.add(e, pod.name()),
            }
        }
        f.isolation.add(&pod, &self.ports, self.from.as_ref(), &self.ns);
    }

    /// The facts of every pod added, the largest groups first.
    pub fn finish(mut self) -> PodFacts {
        self.facts.groups.sort_by_key(|g| std::cmp::Reverse(g.place.pods));
        self.facts.ctx = self.ctx;
        self.facts
    }
}

fn add_to_group(f: &mut PodFacts, cause: Cause, pod: &PodView, slice: Option<usize>) {
    let i = match f.groups.iter().position(|g| g.cause.summary == cause.summary) {
        Some(i) => i,
        None if f.groups.len() < MAX_GROUPS => {
            f.groups.push(Group { cause, place: Placement::default() });
            f.groups.len() - 1
        }
        None => {
            *f.overflow.entry(cause.cause).or_default() += 1;
            return;
        }
    };
    let g = &mut f.groups[i];
    g.place.add(pod, slice);
    g.cause.pods = g.place.pods;
    if g.cause.example_pods.len() < EXAMPLES {
        g.cause.example_pods.push(pod.name().to_string());
    }
    if let Some(r) = pod_restarts(pod) {
        g.cause.restarts = Some(g.cause.restarts.map_or(r, |m| m.max(r)));
    }
}

/// The most restarts of the pod's containers that are kept (those not ready).
fn pod_restarts(pod: &PodView) -> Option<i32> {
    let s = pod.status.as_ref()?;
    s.container_statuses.iter().chain(s.init_container_statuses.iter()).flatten().map(|c| c.restart_count).max()
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
        let line = format!("pod {} matches {matched} of {} labels; {}", p.name(), sel.len(), diffs.join(", "));
        self.best.push((matched, line));
        self.best.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        self.best.truncate(3);
    }

    /// The closest first.
    pub fn finish(self) -> Vec<String> {
        self.best.into_iter().map(|(_, s)| s).collect()
    }
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

    fn crashing(name: &str, exit: i32, restarts: i32) -> PodView {
        serde_json::from_value(json!({"metadata": {"name": name},
            "spec": {"nodeName": "n1", "containers": [{"name": "app"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"name": "app", "restartCount": restarts, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": exit, "reason": "Error", "message": "FATAL: no config"}}}]}}))
        .expect("pod")
    }

    fn fold() -> PodFold {
        PodFold::new(vec![], Context::default(), vec![], None, "ns", &[])
    }

    #[test]
    fn healthy_pods_leave_only_counts_behind() {
        let mut fold = fold();
        for i in 0..500 {
            fold.add(pod(&format!("p{i}"), json!({"app": "api"}), i != 7));
        }
        let f = fold.finish();
        assert_eq!((f.total, f.ready, f.healthy.pods), (500, 499, 499));
        assert_eq!(f.groups.len(), 1);
        assert_eq!(f.groups[0].cause.summary, "ReadinessProbeFailed: the pod is not Ready");
        assert_eq!(f.groups[0].cause.example_pods, ["p7"]);
    }

    #[test]
    fn pods_with_one_cause_are_one_group_whatever_their_number() {
        let mut fold = fold();
        for i in 0..200 {
            fold.add(crashing(&format!("api-{i}"), 3, i % 4));
        }
        fold.add(crashing("odd-one", 1, 0));
        let f = fold.finish();
        assert_eq!(f.groups.len(), 2, "{:?}", f.groups.iter().map(|g| &g.cause.summary).collect::<Vec<_>>());
        let g = &f.groups[0];
        assert_eq!((g.place.pods, g.cause.pods, g.cause.restarts), (200, 200, Some(3)));
        assert_eq!(g.cause.example_pods, ["api-0", "api-1", "api-2"]);
        assert_eq!(g.place.nodes.get("n1"), Some(&200));
        assert_eq!(g.place.unsliced, 200);
        assert_eq!(f.groups[1].cause.exit_code, Some(1));
    }

    #[test]
    fn causes_beyond_the_group_limit_are_counted() {
        let mut fold = fold();
        for i in 0..(MAX_GROUPS as i32 + 5) {
            fold.add(crashing(&format!("p{i}"), i, 0));
        }
        let f = fold.finish();
        assert_eq!(f.groups.len(), MAX_GROUPS);
        assert_eq!(f.overflow.get("CrashLoopBackOff"), Some(&5));
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
