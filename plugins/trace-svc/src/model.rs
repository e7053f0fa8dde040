//! What a trace is made of: hops with a status, a reason, a fix and details, and the whole
//! trace with its verdict. Every other module builds or prints these; none of them is needed to
//! read this one.

use serde::Serialize;

use crate::cause::{Cause, Dependent, EventNote, Owner};

/// Pod names kept as examples of a count.
pub const EXAMPLES: usize = 3;

/// Hop outcome. Ordered: ok < warn < fail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing wrong.
    #[default]
    Ok,
    /// Worth knowing; traffic still flows.
    Warn,
    /// Traffic would fail here.
    Fail,
}

/// One step of the path.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    /// Stable identifier: dns, service, selector, owners, pods, ports, endpoints, nodes,
    /// traffic-policy, network-policy, ingress, dependents.
    pub hop: &'static str,
    /// ok, warn or fail.
    pub status: Status,
    /// One line saying what was found.
    pub reason: String,
    /// What to do about a warn or fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Supporting lines (per port, per cause, per address).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// For the pods hop: why pods do not serve, one entry per group of pods with the same cause;
    /// for the owners hop: why a workload does not have the pods it wants.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
    /// For the owners hop: the workloads behind the Service and their versions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<Owner>,
    /// For the dependents hop: the webhooks and APIServices this Service serves.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependents: Vec<Dependent>,
    /// Warning events about the hop's own object (the Service, a node), latest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventNote>,
    /// For the hops before the Service (an Ingress, a Gateway, a route, a TLS Secret): the root
    /// cause, its evidence and the next command, as the hop's own fields `cause`, `evidence`
    /// and `command`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub finding: Option<Finding>,
}

/// Why a hop before the Service fails or warns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `IngressClassNotFound`, `NoAddress`, `GatewayClassNotAccepted`, `RouteNotAccepted`,
    /// `RefNotPermitted`, `CertificateNameMismatch`, … (the tables of `entry`'s modules).
    pub cause: String,
    /// What was read that shows it, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The next command to run.
    pub command: String,
}

/// A hop with no fix and no details yet.
pub fn hop(hop: &'static str, status: Status, reason: impl Into<String>) -> Hop {
    Hop {
        hop,
        status,
        reason: reason.into(),
        fix: None,
        details: vec![],
        causes: vec![],
        owners: vec![],
        dependents: vec![],
        events: vec![],
        finding: None,
    }
}

impl Hop {
    /// Sets what to do about it.
    pub fn fix(mut self, f: impl Into<String>) -> Self {
        self.fix = Some(f.into());
        self
    }

    /// Sets the supporting lines.
    pub fn details(mut self, d: Vec<String>) -> Self {
        self.details = d;
        self
    }

    /// Sets the root cause of a hop before the Service.
    pub fn finding(mut self, f: Finding) -> Self {
        self.finding = Some(f);
        self
    }
}

/// Something the user may not list: the hop is reported as not visible.
pub type Seen<T> = Result<T, String>;

/// The whole trace.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    /// Schema version of this document.
    pub api_version: &'static str,
    /// `namespace/name` of the Service.
    pub service: String,
    /// Service type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The one-line answer.
    pub verdict: String,
    /// The worst hop status.
    pub status: Status,
    /// The hops, in path order.
    pub hops: Vec<Hop>,
    /// The Service's backends as a graph, for the pictures.
    #[serde(skip)]
    pub topology: Topology,
    /// Where the trace started when it started before the Service: a URL, an Ingress or an
    /// HTTPRoute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<Entry>,
}

/// The way in before the Service: what `-o json` says under `entry`, and the boxes the
/// pictures draw above the Service.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The URL traced, when the target was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `Ingress` or `HTTPRoute`: what matched; absent when nothing did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `namespace/name` of the Ingress or HTTPRoute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The rule traced: `shop.example.com /api (Prefix)`, `defaultBackend`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The backend traced, `namespace/service:port`; absent when there is none to trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// Every backend of the rule traced, with its weight (HTTPRoutes) and whether it resolves.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<EntryBackend>,
    /// From the client to the rule: the boxes the pictures draw above the Service, in order.
    #[serde(skip)]
    pub chain: Vec<EntryBox>,
    /// Whether the Service was traced (otherwise the pictures end at the entry).
    #[serde(skip)]
    pub traced: bool,
}

/// One backend of the rule traced.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryBackend {
    /// `namespace/name:port` of a Service, or `KIND namespace/name` of another kind.
    pub backend: String,
    /// Its weight, for HTTPRoute backendRefs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    /// ok, warn or fail: whether it resolves (Service and port exist, a cross-namespace
    /// reference is granted).
    pub status: Status,
    /// The one traced past the Service.
    pub traced: bool,
}

/// A box of the way in: its title, its second line and its status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntryBox {
    pub title: String,
    pub detail: String,
    pub status: Status,
}

/// Service → ports → EndpointSlices → groups of pods → nodes: what `-o dot` and `-o mermaid`
/// draw. Pods appear as groups (the Ready ones, then one per cause), never one box per pod.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    /// The Service's ports traced: label and status.
    pub ports: Vec<(String, Status)>,
    /// The EndpointSlices.
    pub slices: Vec<TopoSlice>,
    /// The groups of selected pods.
    pub groups: Vec<TopoGroup>,
    /// The nodes the pods and endpoints are on.
    pub nodes: Vec<TopoNode>,
    /// The workloads that own the pods, each with what keeps it from having the pods it wants.
    pub owners: Vec<TopoOwner>,
    /// What calls this Service (admission webhooks, APIServices): label, detail, status.
    pub dependents: Vec<(String, String, Status)>,
}

/// A workload behind the pods: a Deployment, StatefulSet, DaemonSet, Job or bare ReplicaSet.
#[derive(Debug, Clone, Default)]
pub struct TopoOwner {
    /// `Deployment api`.
    pub label: String,
    /// `3 desired, 1 ready`.
    pub detail: String,
    pub status: Status,
    /// (group index in [`Topology::groups`], pods of this owner in it).
    pub groups: Vec<(usize, usize)>,
    /// What refuses or stops it (a ResourceQuota, a webhook, a scale to zero): label, status.
    pub blockers: Vec<(String, Status)>,
}

/// One EndpointSlice: its endpoints by state, and which ports it serves.
#[derive(Debug, Clone, Default)]
pub struct TopoSlice {
    pub name: String,
    pub ready: usize,
    pub not_ready: usize,
    pub terminating: usize,
    /// Indexes into [`Topology::ports`].
    pub ports: Vec<usize>,
    pub status: Status,
}

/// A group of pods: the Ready ones, or those with one cause.
#[derive(Debug, Clone, Default)]
pub struct TopoGroup {
    /// `12 pods Ready`, `3 pods: CrashLoopBackOff`, …
    pub label: String,
    /// A second line: the container and exit, the image, the node…
    pub detail: String,
    pub status: Status,
    /// (slice index, pods in it).
    pub slices: Vec<(usize, usize)>,
    /// Pods in no slice.
    pub unsliced: usize,
    /// (node index, pods on it).
    pub nodes: Vec<(usize, usize)>,
}

/// A node: its name and Ready state.
#[derive(Debug, Clone, Default)]
pub struct TopoNode {
    pub name: String,
    /// `Ready`, `NotReady (reason)`, `Unknown (…)`, or `N more nodes`.
    pub state: String,
    pub status: Status,
}

/// Reasons that would repeat once per pod, each with its count and the first pod names.
#[derive(Debug, Default, Clone)]
pub struct Tally(Vec<(String, usize, Vec<String>)>);

impl Tally {
    /// Counts `reason` for `pod`.
    pub fn add(&mut self, reason: String, pod: &str) {
        let i = match self.0.iter().position(|(r, _, _)| *r == reason) {
            Some(i) => i,
            None if self.0.len() < 20 => {
                self.0.push((reason, 0, vec![]));
                self.0.len() - 1
            }
            // Beyond 20 distinct reasons: counted with the last.
            None => self.0.len() - 1,
        };
        let entry = &mut self.0[i];
        entry.1 += 1;
        if entry.2.len() < EXAMPLES {
            entry.2.push(pod.to_string());
        }
    }

    /// Nothing counted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `pod a: REASON`, or `3 pods (a, b, c): REASON`, or `250 pods (a, b, c, …): REASON`.
    pub fn lines(&self) -> Vec<String> {
        self.0.iter().map(|(reason, n, names)| format!("{}: {reason}", pods_named(*n, names))).collect()
    }
}

/// `pod a`, `2 pods (a, b)`, `40 pods (a, b, c, …)`.
pub fn pods_named(n: usize, names: &[String]) -> String {
    match (n, names) {
        (1, [one]) => format!("pod {one}"),
        _ => {
            let more = if n > names.len() { ", …" } else { "" };
            format!("{n} pods ({}{more})", names.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_name_a_few_pods_and_count_the_rest() {
        let mut t = Tally::default();
        t.add("no port".into(), "a");
        assert_eq!(t.lines(), ["pod a: no port"]);
        for p in ["b", "c", "d"] {
            t.add("no port".into(), p);
        }
        assert_eq!(t.lines(), ["4 pods (a, b, c, …): no port"]);
    }
}
