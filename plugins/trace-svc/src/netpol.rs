//! NetworkPolicy evaluation for the backend pods: which policies isolate them, whether any
//! ingress rule allows the Service's target port, and (with `--from pod/NAME`) whether that client
//! is one of the allowed peers.

use std::net::IpAddr;

use k8s_openapi::api::core::v1::ServicePort;
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubectl_kit_core::selector::{self, Labels};

use crate::model::{Hop, Status, Tally, hop};
use crate::pod::PodView;
use crate::ports::resolve_target;

fn is_ingress(p: &NetworkPolicy) -> bool {
    let spec = p.spec.clone().unwrap_or_default();
    match &spec.policy_types {
        Some(t) if !t.is_empty() => t.iter().any(|t| t == "Ingress"),
        _ => true, // no policyTypes: Ingress is always implied
    }
}

fn selects(p: &NetworkPolicy, pod: &PodView) -> bool {
    let spec = p.spec.clone().unwrap_or_default();
    selector::matches(&spec.pod_selector.unwrap_or_default(), &pod.labels())
}

fn port_allows(rule_ports: &Option<Vec<NetworkPolicyPort>>, number: i32, name: Option<&str>, proto: &str) -> bool {
    let Some(ports) = rule_ports.as_ref().filter(|p| !p.is_empty()) else { return true };
    ports.iter().any(|p| {
        let pp = p.protocol.clone().unwrap_or_else(|| "TCP".into());
        if pp != proto {
            return false;
        }
        match &p.port {
            None => true,
            Some(IntOrString::Int(n)) => {
                let end = p.end_port.unwrap_or(*n);
                (*n..=end).contains(&number)
            }
            Some(IntOrString::String(s)) => name == Some(s.as_str()),
        }
    })
}

fn cidr_contains(cidr: &str, ip: &str) -> bool {
    let (Some((net, bits)), Ok(ip)) = (cidr.split_once('/'), ip.parse::<IpAddr>()) else { return false };
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else { return false };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) if bits <= 32 => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) if bits <= 128 => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

fn peer_allows(peer: &NetworkPolicyPeer, policy_ns: &str, client: &PodView, client_ns_labels: &Labels) -> bool {
    let client_ns = client.metadata.namespace.clone().unwrap_or_default();
    let client_labels = client.labels();
    if let Some(block) = &peer.ip_block {
        let ip = client.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default();
        return cidr_contains(&block.cidr, &ip) && !block.except.iter().flatten().any(|e| cidr_contains(e, &ip));
    }
    let ns_ok = match &peer.namespace_selector {
        Some(s) => selector::matches(s, client_ns_labels),
        None => client_ns == policy_ns,
    };
    let pod_ok = match &peer.pod_selector {
        Some(s) => selector::matches(s, &client_labels),
        None => true,
    };
    ns_ok && pod_ok
}

/// The network-policy hop, built one backend pod at a time: which pods the namespace's ingress
/// policies isolate, and per Service port whether a rule lets traffic (from `--from`'s client)
/// in.
#[derive(Debug, Default)]
pub struct Isolation {
    /// The ingress policies of the Service's namespace.
    ingress: Vec<NetworkPolicy>,
    isolated: usize,
    status: Status,
    /// Lines per Service port, counted by pods.
    lines: Vec<Tally>,
}

impl Isolation {
    /// Evaluates against `policies` (those not about ingress are set aside).
    pub fn new(policies: Vec<NetworkPolicy>) -> Self {
        Isolation { ingress: policies.into_iter().filter(is_ingress).collect(), ..Default::default() }
    }

    /// Adds one backend pod.
    pub fn add(&mut self, pod: &PodView, ports: &[ServicePort], from: Option<&(PodView, Labels)>, ns: &str) {
        let selecting: Vec<&NetworkPolicy> = self.ingress.iter().filter(|p| selects(p, pod)).collect();
        if selecting.is_empty() {
            return;
        }
        self.isolated += 1;
        self.lines.resize_with(ports.len(), Tally::default);
        let pname = pod.metadata.name.clone().unwrap_or_default();
        let names: Vec<String> = selecting.iter().map(|p| p.metadata.name.clone().unwrap_or_default()).collect();
        for (sp, lines) in ports.iter().zip(self.lines.iter_mut()) {
            let proto = sp.protocol.clone().unwrap_or_else(|| "TCP".into());
            let Ok(number) = resolve_target(sp, pod) else { continue };
            let cname = pod.container_ports().find(|p| p.container_port == number).and_then(|p| p.name.clone());
            let mut port_open = false;
            let mut client_allowed = false;
            for p in &selecting {
                let pns = p.metadata.namespace.clone().unwrap_or_else(|| ns.to_string());
                for rule in p.spec.iter().flat_map(|s| s.ingress.iter().flatten()) {
                    if !port_allows(&rule.ports, number, cname.as_deref(), &proto) {
                        continue;
                    }
                    port_open = true;
                    if let Some((client, client_ns_labels)) = from {
                        let peers = rule.from.clone().unwrap_or_default();
                        if peers.is_empty()
                            || peers.iter().any(|peer| peer_allows(peer, &pns, client, client_ns_labels))
                        {
                            client_allowed = true;
                        }
                    }
                }
            }
            if !port_open {
                self.status = Status::Fail;
                lines.add(
                    format!(
                        "NetworkPolicy {} isolates it and no ingress rule allows port {number}/{proto}",
                        names.join(", ")
                    ),
                    &pname,
                );
            } else if let Some((client, _)) = from {
                let cn = format!(
                    "{}/{}",
                    client.metadata.namespace.clone().unwrap_or_default(),
                    client.metadata.name.clone().unwrap_or_default()
                );
                if client_allowed {
                    lines.add(format!("port {number}/{proto} allowed from {cn} by {}", names.join(", ")), &pname);
                } else {
                    self.status = Status::Fail;
                    lines.add(
                        format!("port {number}/{proto} open, but not to {cn} (policies {})", names.join(", ")),
                        &pname,
                    );
                }
            } else {
                lines.add(
                    format!("port {number}/{proto} allowed by {} (for the peers they name)", names.join(", ")),
                    &pname,
                );
            }
        }
    }

    /// The hop, or `None` when no policy isolates a backend pod.
    pub fn hop(&self) -> Option<Hop> {
        if self.isolated == 0 {
            return None;
        }
        let reason = format!("{} of the backend pod(s) are isolated by NetworkPolicies", self.isolated);
        let details = self.lines.iter().flat_map(Tally::lines).collect();
        let mut h = hop("network-policy", self.status, reason).details(details);
        if self.status == Status::Fail {
            h.fix = Some("add an ingress rule for the port (and the client) to a policy that selects the pods".into());
        }
        Some(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        assert!(cidr_contains("10.244.0.0/16", "10.244.3.4"));
        assert!(!cidr_contains("10.244.0.0/16", "10.245.0.1"));
        assert!(cidr_contains("0.0.0.0/0", "1.2.3.4"));
        assert!(!cidr_contains("garbage", "1.2.3.4"));
    }

    #[test]
    fn rule_ports() {
        let p =
            |port: IntOrString, end: Option<i32>| NetworkPolicyPort { port: Some(port), end_port: end, protocol: None };
        assert!(port_allows(&None, 80, None, "TCP"));
        assert!(port_allows(&Some(vec![p(IntOrString::Int(80), None)]), 80, None, "TCP"));
        assert!(!port_allows(&Some(vec![p(IntOrString::Int(80), None)]), 81, None, "TCP"));
        assert!(port_allows(&Some(vec![p(IntOrString::Int(8000), Some(9000))]), 8080, None, "TCP"));
        assert!(port_allows(&Some(vec![p(IntOrString::String("http".into()), None)]), 80, Some("http"), "TCP"));
        assert!(!port_allows(&Some(vec![p(IntOrString::Int(80), None)]), 80, None, "UDP"));
    }
}
