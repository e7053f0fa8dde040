//! The hops around the backends: the nodes they run on, traffic policies and session
//! affinity, and the Ingress routes to the Service.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Node;

use super::{Svc, World, node_ip, node_zone};
use crate::backends::PodFacts;
use kubectl_kit_core::selector;

use crate::cause::NodeFact;
use crate::model::{Hop, Status, hop};

/// The nodes the endpoints and the selected pods are on, and whether they are Ready.
pub(super) fn nodes_hop(w: &World, pods: &PodFacts) -> Option<Hop> {
    let (Ok(nodes), Ok(slices)) = (&w.nodes, &w.slices) else { return None };
    let mut used: BTreeSet<String> =
        slices.iter().flat_map(|s| s.endpoints.iter()).filter_map(|e| e.node_name.clone()).collect();
    used.extend(pods.healthy.nodes.keys().cloned());
    used.extend(pods.groups.iter().flat_map(|g| g.place.nodes.keys().cloned()));
    if used.is_empty() {
        return None;
    }
    let mut details = vec![];
    let mut not_ready = vec![];
    let mut troubled: Vec<String> = vec![];
    let listed: Vec<&Node> =
        nodes.iter().filter(|n| n.metadata.name.as_ref().is_some_and(|m| used.contains(m))).collect();
    for n in &listed {
        let f = NodeFact::from_node(n);
        let name = n.metadata.name.clone().unwrap_or_default();
        let mut line = format!("{name} {} zone {}", f.state(), node_zone(n));
        if let Some(ip) = node_ip(n) {
            line.push_str(&format!(" {ip}"));
        }
        let troubles = f.trouble_words();
        if !troubles.is_empty() {
            line.push_str(&format!(", {}", troubles.join(", ")));
        }
        if f.ready != Some(true) {
            if !f.why.is_empty() {
                line.push_str(&format!(" — {}", f.why));
            }
            not_ready.push(name.clone());
        }
        if listed.len() <= 10 || f.ready != Some(true) || !troubles.is_empty() {
            details.push(line);
            details.extend(f.trouble_lines(&name).into_iter().map(|l| format!("  {l}")));
        }
        if !troubles.is_empty() {
            troubled.push(name);
        }
    }
    if listed.len() > 10 {
        details.push(format!("{} more node(s) Ready", listed.len() - not_ready.len()));
    }
    let status = if not_ready.is_empty() {
        if troubled.is_empty() { Status::Ok } else { Status::Warn }
    } else if not_ready.len() == used.len() {
        Status::Fail
    } else {
        Status::Warn
    };
    let mut reason = format!("{} node(s), {} Ready", used.len(), used.len() - not_ready.len());
    if !troubled.is_empty() {
        reason.push_str(&format!(", {} under pressure or cordoned", troubled.len()));
    }
    let mut h = hop("nodes", status, reason).details(details);
    if let Some(first) = not_ready.first() {
        h.details.push("pods on a node that is not Ready stop receiving traffic once the node lifecycle controller marks them not Ready".into());
        h = h.fix(format!("kubectl describe node {first}"));
    } else if let Some(first) = troubled.first() {
        h = h.fix(format!("kubectl describe node {first}"));
    }
    Some(h)
}

/// NetworkPolicies: the isolation of the pods and the ports it lets in, and a peer whose
/// namespaceSelector matches no namespace (traffic it means to allow is dropped).
pub(super) fn network_policy_hop(w: &World, pods: &PodFacts) -> Option<Hop> {
    let mut empty = vec![];
    match &w.namespaces {
        Some(Ok(namespaces)) => {
            let selecting = w
                .policies
                .iter()
                .filter(|p| pods.selecting_policies.contains(p.metadata.name.as_deref().unwrap_or_default()));
            for p in selecting {
                let pname = p.metadata.name.clone().unwrap_or_default();
                let peers =
                    p.spec.iter().flat_map(|s| s.ingress.iter().flatten()).flat_map(|r| r.from.iter().flatten());
                for peer in peers {
                    let Some(ns_sel) = &peer.namespace_selector else { continue };
                    let text = selector::to_string(ns_sel);
                    if text == "<all>" || namespaces.iter().any(|(_, l)| selector::matches(ns_sel, l)) {
                        continue;
                    }
                    empty.push(format!(
                        "NetworkPolicy {pname} allows peers in namespaces matching {text}, but no namespace has those labels: that traffic is dropped"
                    ));
                }
            }
        }
        Some(Err(e)) => {
            empty.push(format!("namespaces are not visible ({e}): namespaceSelector peers are not checked"))
        }
        None => {}
    }
    let mut h = pods.isolation.hop();
    if empty.is_empty() {
        return h;
    }
    let warned = empty.iter().any(|l| !l.starts_with("namespaces are not visible"));
    let base = h.get_or_insert_with(|| hop("network-policy", Status::Ok, "NetworkPolicies select the backend pods"));
    if warned && base.status == Status::Ok {
        base.status = Status::Warn;
        base.fix = Some("label the peer namespaces as the policy's namespaceSelector says (kubectl get namespaces --show-labels), or fix the selector".into());
    }
    base.details.extend(empty);
    h
}

/// Traffic policies, session affinity and load-balancer source ranges.
pub(super) fn traffic_policy_hop(s: &Svc, w: &World) -> Option<Hop> {
    let spec = s.spec;
    let mut tp = vec![];
    let mut status = Status::Ok;
    if let Ok(slices) = &w.slices {
        let local_nodes: BTreeSet<String> = slices
            .iter()
            .flat_map(|s| s.endpoints.iter())
            .filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true))
            .filter_map(|e| e.node_name.clone())
            .collect();
        let all_nodes: Vec<String> =
            w.nodes.as_ref().map(|ns| ns.iter().filter_map(|n| n.metadata.name.clone()).collect()).unwrap_or_default();
        let without: Vec<&String> = all_nodes.iter().filter(|n| !local_nodes.contains(*n)).collect();
        if spec.external_traffic_policy.as_deref() == Some("Local")
            && matches!(s.kind.as_str(), "NodePort" | "LoadBalancer")
        {
            tp.push(format!(
                "externalTrafficPolicy Local: only nodes with a local ready endpoint answer: {}",
                local_nodes.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
            if !without.is_empty() {
                status = Status::Warn;
                tp.push(format!(
                    "node ports on {} drop the traffic",
                    without.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        if spec.internal_traffic_policy.as_deref() == Some("Local") {
            tp.push(format!("internalTrafficPolicy Local: clients on nodes without a ready endpoint get no answer (nodes with one: {})", local_nodes.iter().cloned().collect::<Vec<_>>().join(", ")));
            if !without.is_empty() {
                status = Status::Warn;
            }
        }
    }
    if spec.session_affinity.as_deref() == Some("ClientIP") {
        let secs = spec
            .session_affinity_config
            .as_ref()
            .and_then(|c| c.client_ip.as_ref())
            .and_then(|c| c.timeout_seconds)
            .unwrap_or(10800);
        tp.push(format!("sessionAffinity ClientIP: a client sticks to one pod for {secs}s"));
    }
    if let Some(r) = spec.load_balancer_source_ranges.as_ref().filter(|r| !r.is_empty()) {
        tp.push(format!("loadBalancerSourceRanges: only {} may reach the load balancer", r.join(", ")));
    }
    if tp.is_empty() {
        return None;
    }
    let mut h = hop("traffic-policy", status, tp[0].clone()).details(tp[1..].to_vec());
    if status != Status::Ok {
        h = h.fix("spread the pods over the nodes (or use policy Cluster) so that every node has a local endpoint");
    }
    Some(h)
}

/// The Ingress routes to this Service, and whether their backend ports exist.
pub(super) fn ingress_hop(s: &Svc, w: &World) -> Option<Hop> {
    let ings = w.ingresses.as_ref().ok()?;
    let name = &s.name;
    let mut details = vec![];
    let mut status = Status::Ok;
    let svc_ports = s.spec.ports.clone().unwrap_or_default();
    for ing in ings {
        let iname = ing.metadata.name.clone().unwrap_or_default();
        let ispec = ing.spec.clone().unwrap_or_default();
        let mut backends = vec![];
        if let Some(b) = ispec.default_backend.as_ref().and_then(|b| b.service.clone()) {
            backends.push(("(default)".to_string(), b));
        }
        for r in ispec.rules.iter().flatten() {
            for p in r.http.iter().flat_map(|h| h.paths.iter()) {
                if let Some(b) = p.backend.service.clone() {
                    backends.push((
                        format!(
                            "{}{}",
                            r.host.clone().unwrap_or_else(|| "*".into()),
                            p.path.clone().unwrap_or_else(|| "/".into())
                        ),
                        b,
                    ));
                }
            }
        }
        for (path, b) in backends.into_iter().filter(|(_, b)| &b.name == name) {
            let port = b.port.clone().unwrap_or_default();
            let exists = svc_ports.iter().any(|p| {
                port.number.is_some_and(|n| n == p.port)
                    || port.name.as_ref().is_some_and(|n| p.name.as_ref() == Some(n))
            });
            let want = port.number.map(|n| n.to_string()).or(port.name.clone()).unwrap_or_default();
            if exists {
                details.push(format!("ingress {iname}: {path} → {name}:{want}"));
            } else {
                status = Status::Fail;
                details.push(format!("ingress {iname}: {path} → {name}:{want}, but the Service has no port {want}"));
            }
        }
    }
    if details.is_empty() {
        return None;
    }
    let mut h = hop("ingress", status, format!("{} Ingress route(s) to this Service", details.len())).details(details);
    if status == Status::Fail {
        h = h.fix("make the Ingress backend port match a Service port by number or name");
    }
    Some(h)
}
