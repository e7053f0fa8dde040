//! The pictures' model: Service → ports → EndpointSlices → groups of pods → nodes, built from
//! the same facts as the hops and coloured by them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ServicePort;

use super::{World, pods_count};
use crate::backends::{Placement, PodFacts};
use crate::cause::NodeFact;
use crate::cause::owners::OwnerFacts;
use crate::model::{Hop, Status, TopoGroup, TopoNode, TopoOwner, TopoSlice, Topology};
use crate::ports::{port_label, target_label};

/// Service → ports → EndpointSlices → groups of pods → nodes, for the pictures; and what
/// calls the Service.
pub(super) fn topology(w: &World, pods: &PodFacts, ports: &[ServicePort], hops: &[Hop]) -> Topology {
    let ports_status = hops.iter().find(|h| h.hop == "ports").map(|h| h.status).unwrap_or_default();
    let mut t = Topology {
        ports: ports.iter().map(|p| (format!("{} → {}", port_label(p), target_label(p)), ports_status)).collect(),
        ..Default::default()
    };
    for d in hops.iter().filter(|h| h.hop == "dependents").flat_map(|h| h.dependents.iter()) {
        let label = match &d.webhook {
            Some(w) => format!("{} {} ({w})", d.kind, d.name),
            None => format!("{} {}", d.kind, d.name),
        };
        let detail = match &d.failure_policy {
            Some(p) => format!("failurePolicy {p}"),
            None => d.covers.clone(),
        };
        t.dependents.push((label, detail, d.status));
    }
    for sl in w.slices.as_ref().map(Vec::as_slice).unwrap_or_default() {
        let mut ts =
            TopoSlice { name: sl.metadata.name.clone().unwrap_or_else(|| "(unnamed)".into()), ..Default::default() };
        for e in &sl.endpoints {
            let c = e.conditions.unwrap_or_default();
            let n = e.addresses.len().max(1);
            if c.terminating.unwrap_or(false) {
                ts.terminating += n;
            } else if c.ready.unwrap_or(true) {
                ts.ready += n;
            } else {
                ts.not_ready += n;
            }
        }
        let names: Vec<String> = sl.ports.iter().flatten().map(|p| p.name.clone().unwrap_or_default()).collect();
        ts.ports = ports
            .iter()
            .enumerate()
            .filter(|(_, p)| names.contains(&p.name.clone().unwrap_or_default()))
            .map(|(i, _)| i)
            .collect();
        ts.status = if ts.ready == 0 {
            Status::Fail
        } else if ts.not_ready + ts.terminating > 0 {
            Status::Warn
        } else {
            Status::Ok
        };
        t.slices.push(ts);
    }
    let node_status: BTreeMap<String, NodeFact> = w
        .nodes
        .as_ref()
        .map(|ns| ns.iter().map(|n| (n.metadata.name.clone().unwrap_or_default(), NodeFact::from_node(n))).collect())
        .unwrap_or_default();
    let mut node_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut place = |label: String, detail: String, status: Status, p: &Placement, t: &mut Topology| {
        let mut g = TopoGroup {
            label,
            detail,
            status,
            slices: p.slices.iter().map(|(i, n)| (*i, *n)).collect(),
            unsliced: p.unsliced,
            ..Default::default()
        };
        for (node, n) in &p.nodes {
            // Past 12 nodes the picture would stop being readable: the rest are one box.
            let idx = match node_index.get(node) {
                Some(i) => *i,
                None if t.nodes.len() < 12 => {
                    let f = node_status.get(node).cloned().unwrap_or_default();
                    let mut state = if f.why.is_empty() || f.ready == Some(true) {
                        f.state().to_string()
                    } else {
                        format!("{} ({})", f.state(), f.why.split(':').next().unwrap_or_default())
                    };
                    let troubles = f.trouble_words();
                    if !troubles.is_empty() {
                        state.push_str(&format!(", {}", troubles.join(", ")));
                    }
                    let status = match (f.ready, troubles.is_empty()) {
                        (Some(true), true) => Status::Ok,
                        (Some(true), false) => Status::Warn,
                        _ => Status::Fail,
                    };
                    t.nodes.push(TopoNode { name: node.clone(), state, status });
                    node_index.insert(node.clone(), t.nodes.len() - 1);
                    t.nodes.len() - 1
                }
                None => {
                    if t.nodes.len() == 12 {
                        t.nodes.push(TopoNode { name: "more nodes".into(), state: String::new(), status: Status::Ok });
                    }
                    12
                }
            };
            match g.nodes.iter_mut().find(|(i, _)| *i == idx) {
                Some(e) => e.1 += n,
                None => g.nodes.push((idx, *n)),
            }
        }
        t.groups.push(g);
    };
    if pods.healthy.pods > 0 {
        place(format!("{} Ready", pods_count(pods.healthy.pods)), String::new(), Status::Ok, &pods.healthy, &mut t);
    }
    for g in &pods.groups {
        let c = &g.cause;
        let detail = match (&c.container, c.exit_code, &c.image, &c.node) {
            (Some(ct), Some(code), _, _) => format!("{ct} exited {code}"),
            (Some(ct), None, Some(img), _) => format!("{ct}: {img}"),
            (_, _, _, Some(n)) => format!("node {n}"),
            (Some(ct), None, None, None) => ct.clone(),
            _ => String::new(),
        };
        let status = if c.cause == "Terminating" { Status::Warn } else { Status::Fail };
        place(format!("{}: {}", pods_count(g.place.pods), c.cause), detail, status, &g.place, &mut t);
    }
    if !pods.overflow.is_empty() {
        let n: usize = pods.overflow.values().sum();
        t.groups.push(TopoGroup {
            label: format!("{}: other causes", pods_count(n)),
            status: Status::Fail,
            unsliced: n,
            ..Default::default()
        });
    }
    t
}

/// The workloads in the pictures: each a box, linked to its groups of pods, with what blocks
/// it.
pub(super) fn owner_topology(f: &OwnerFacts, pods: &PodFacts, t: &mut Topology) {
    // The groups as `topology` made them: the Ready pods first (if any), then one per cause.
    let mut placements: Vec<&Placement> = vec![];
    if pods.healthy.pods > 0 {
        placements.push(&pods.healthy);
    }
    placements.extend(pods.groups.iter().map(|g| &g.place));
    for (i, o) in f.owners.iter().enumerate() {
        let members = f.members.get(i).cloned().unwrap_or_default();
        let groups = placements
            .iter()
            .enumerate()
            .filter_map(|(gi, p)| {
                let n: usize = members.iter().filter_map(|m| p.owners.get(m)).sum();
                (n > 0).then_some((gi, n))
            })
            .collect();
        let detail = match o.desired {
            Some(d) => format!("{d} desired, {} ready", o.ready),
            None => format!("{} ready", o.ready),
        };
        t.owners.push(TopoOwner {
            label: format!("{} {}", o.kind, o.name),
            detail,
            status: o.status,
            groups,
            blockers: f.blockers.get(i).cloned().unwrap_or_default(),
        });
    }
}
