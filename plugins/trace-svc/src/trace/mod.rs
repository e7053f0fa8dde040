//! The diagnosis: from the objects around a Service to a list of hops, each ok, warn or fail
//! with a reason and a fix. One function per hop, in path order; pure functions over the
//! fetched objects and the facts folded from the pods as they streamed in (see
//! [`crate::backends`]), so every rule is unit-tested.

mod dependents;
mod hops;
mod owners;
mod routing;
mod topology;

use k8s_openapi::api::core::v1::{Event, Node, Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use kubectl_kit_core::selector::Labels;

use crate::backends::PodFacts;
use crate::cause::Dependents;
use crate::cause::owners::{FollowUps, Lists};
use crate::model::{Hop, Seen, Status, Topology, Trace, hop};
use crate::ports::chosen_ports;
use crate::slice::SliceView;
use crate::target::PortSel;
use dependents::dependents_hop;
use hops::{dns_hop, endpoints_hop, pods_hop, ports_hop, selector_hop, service_hop};
use owners::{owners_facts, owners_hop, owners_selector};
use routing::{ingress_hop, network_policy_hop, nodes_hop, traffic_policy_hop};
use topology::{owner_topology, topology};

/// Everything fetched about one Service.
#[derive(Debug)]
pub struct World {
    pub service: Service,
    pub slices: Seen<Vec<SliceView>>,
    /// The pods the selector selects, judged against the traced ports, the namespace's Warning
    /// events and NetworkPolicies, and the `--from` client (none for selector-less Services).
    pub pods: Seen<PodFacts>,
    /// When the selector selects no pod: the namespace's pods closest to it.
    pub nearest: Vec<String>,
    pub nodes: Seen<Vec<Node>>,
    pub ingresses: Seen<Vec<Ingress>>,
    /// The cluster domain from CoreDNS's configuration, when readable.
    pub cluster_domain: Option<String>,
    /// The domain the user typed, if any.
    pub typed_domain: Option<String>,
    /// The workload lists read for the pods' owners.
    pub lists: Lists,
    /// What the owners' refusals and scales needed asked.
    pub follow: FollowUps,
    /// The admission webhook configurations and APIServices.
    pub dependents: Dependents,
    /// The namespace's NetworkPolicies.
    pub policies: Vec<NetworkPolicy>,
    /// The namespaces and their labels, when a policy of the pods names peers by them.
    pub namespaces: Option<Seen<Vec<(String, Labels)>>>,
    /// The Service's own Warning events.
    pub service_events: Vec<Event>,
}

/// The Service's identity and the parts of its spec every hop reads.
struct Svc<'a> {
    name: String,
    ns: String,
    spec: &'a ServiceSpec,
    kind: String,
    cluster_ip: String,
    headless: bool,
    selector: Option<Labels>,
}

impl<'a> Svc<'a> {
    fn new(svc: &'a Service, empty: &'a ServiceSpec) -> Self {
        let spec = svc.spec.as_ref().unwrap_or(empty);
        let cluster_ip = spec.cluster_ip.clone().unwrap_or_default();
        Svc {
            name: svc.metadata.name.clone().unwrap_or_default(),
            ns: svc.metadata.namespace.clone().unwrap_or_default(),
            spec,
            kind: spec.type_.clone().unwrap_or_else(|| "ClusterIP".into()),
            headless: cluster_ip == "None",
            cluster_ip,
            selector: spec.selector.clone().filter(|s| !s.is_empty()),
        }
    }
}

/// One address of an EndpointSlice, for one Service port.
struct Addr {
    ip: String,
    ready: bool,
    serving: bool,
    terminating: bool,
    pod: Option<String>,
    node: Option<String>,
    port: i32,
}

/// The addresses of the slices for one Service port (matched by the port's name).
fn slice_addresses(slices: &[SliceView], sp: &ServicePort) -> Vec<Addr> {
    let want = sp.name.clone().unwrap_or_default();
    let mut out = vec![];
    for s in slices {
        let Some(port) = s.ports.iter().flatten().find(|p| p.name.clone().unwrap_or_default() == want) else {
            continue;
        };
        for e in &s.endpoints {
            let c = e.conditions.unwrap_or_default();
            let ready = c.ready.unwrap_or(true);
            let serving = c.serving.unwrap_or(ready);
            let terminating = c.terminating.unwrap_or(false);
            let pod = e.target_ref.as_ref().filter(|r| r.kind.as_deref() == Some("Pod")).and_then(|r| r.name.clone());
            for a in &e.addresses {
                out.push(Addr {
                    ip: a.clone(),
                    ready,
                    serving,
                    terminating,
                    pod: pod.clone(),
                    node: e.node_name.clone(),
                    port: port.port.unwrap_or(0),
                });
            }
        }
    }
    out
}

fn node_ready(n: &Node) -> bool {
    n.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn node_ip(n: &Node) -> Option<String> {
    n.status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP").map(|a| a.address.clone()))
}

fn node_zone(n: &Node) -> String {
    n.metadata.labels.as_ref().and_then(|l| l.get("topology.kubernetes.io/zone").cloned()).unwrap_or_else(|| "-".into())
}

/// Runs every rule, hop by hop in path order.
pub fn diagnose(w: &World, port_sel: Option<&PortSel>) -> Trace {
    let empty = ServiceSpec::default();
    let s = Svc::new(&w.service, &empty);
    let mut hops = vec![dns_hop(&s, w)];
    let ports = chosen_ports(&w.service, port_sel);
    hops.push(service_hop(&s, w, &ports));
    if s.kind == "ExternalName" {
        return finish(&s, hops, "ExternalName".into(), Topology::default());
    }
    let ports = match ports {
        Ok(p) => p,
        Err(e) => {
            hops.push(hop("ports", Status::Fail, e).fix("pass --port with one of the Service's ports"));
            let verdict = format!("traffic to {} would reach nothing", scope(&s, port_sel, &[]));
            return finish(&s, hops, verdict, Topology::default());
        }
    };
    let no_pods = PodFacts::default();
    let selected = selector_hop(&s, w, &mut hops);
    let pods = selected.unwrap_or(&no_pods);
    let owners = selected.and_then(|p| owners_facts(&s, w, p));
    hops.extend(owners.as_ref().and_then(owners_hop));
    if let Some(o) = &owners {
        owners_selector(&s, o, pods, &mut hops);
    }
    if selected.is_some_and(|p| p.total > 0) {
        hops.push(pods_hop(&s, pods));
    }
    hops.push(ports_hop(pods, &ports));
    let reach = match endpoints_hop(&s, w, pods, &ports) {
        Some((h, reach)) => {
            hops.push(h);
            reach
        }
        None => None,
    };
    hops.extend(nodes_hop(w, pods));
    hops.extend(traffic_policy_hop(&s, w));
    hops.extend(network_policy_hop(w, pods));
    hops.extend(ingress_hop(&s, w));
    hops.extend(dependents_hop(&s, w, &ports));
    let verdict = verdict(&s, w, port_sel, &ports, reach);
    let mut topology = topology(w, pods, &ports, &hops);
    if let Some(o) = &owners {
        owner_topology(o, pods, &mut topology);
    }
    finish(&s, hops, verdict, topology)
}

/// `1 pod`, `3 pods`.
fn pods_count(n: usize) -> String {
    if n == 1 { "1 pod".into() } else { format!("{n} pods") }
}

/// The one-line answer before the worst hop is added to it.
fn verdict(
    s: &Svc,
    w: &World,
    port_sel: Option<&PortSel>,
    ports: &[ServicePort],
    reach: Option<(usize, usize)>,
) -> String {
    let scope = scope(s, port_sel, ports);
    match (reach, s.selector.is_some()) {
        (Some((r, n)), true) => format!("traffic to {scope} would reach {r} of {n} pod(s)"),
        (_, false) => {
            let ready = w
                .slices
                .as_ref()
                .map(|sl| {
                    ports.iter().map(|p| slice_addresses(sl, p).iter().filter(|a| a.ready).count()).sum::<usize>()
                })
                .unwrap_or(0);
            format!("traffic to {scope} would reach {ready} hand-managed endpoint(s)")
        }
        _ => format!("traffic to {scope}"),
    }
}

/// What the verdict is about: the Service, with the port traced when there is one.
fn scope(s: &Svc, port_sel: Option<&PortSel>, ports: &[ServicePort]) -> String {
    let name = &s.name;
    match (port_sel, ports) {
        (Some(p), _) => format!("{name}:{p}"),
        (None, [one]) => format!("{name}:{}", one.port),
        _ => name.clone(),
    }
}

fn finish(s: &Svc, hops: Vec<Hop>, verdict: String, topology: Topology) -> Trace {
    let (name, ns, kind) = (s.name.clone(), s.ns.clone(), s.kind.clone());
    let status = hops.iter().map(|h| h.status).max().unwrap_or(Status::Ok);
    // No pod because the workload has none: the owners hop says why, the selector only that.
    let owners_fail = hops.iter().find(|h| h.hop == "owners" && h.status == Status::Fail);
    let worst = hops
        .iter()
        .find(|h| h.status == Status::Fail)
        .map(|h| if h.hop == "selector" { owners_fail.unwrap_or(h) } else { h })
        .or_else(|| hops.iter().find(|h| h.status == Status::Warn));
    let verdict = if kind == "ExternalName" {
        match worst {
            Some(h) if h.status == Status::Fail => {
                format!("{name} is an ExternalName Service; {}: {}", h.hop, h.reason)
            }
            _ => format!("{name} is a DNS alias (CNAME); the cluster routes none of its traffic"),
        }
    } else {
        match worst {
            Some(h) if h.status == Status::Fail => format!("{verdict}; {}: {}", h.hop, h.reason),
            Some(h) => format!("{verdict}; note {}: {}", h.hop, h.reason),
            None => verdict,
        }
    };
    Trace {
        api_version: "kubectl-kit.trace-svc/v1",
        service: format!("{ns}/{name}"),
        kind,
        verdict,
        status,
        hops,
        topology,
        entry: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::PodView;
    use serde_json::json;

    fn world(svc: serde_json::Value, pods: serde_json::Value, slices: serde_json::Value) -> World {
        let service: Service = serde_json::from_value(svc).expect("service");
        let ports = chosen_ports(&service, None).expect("ports");
        let slices: Vec<SliceView> = serde_json::from_value(slices).expect("slices");
        let ctx = crate::cause::Context::new("ns", vec![], Default::default());
        let mut fold = crate::backends::PodFold::new(ports, ctx, vec![], None, "ns", &slices);
        let pods: Vec<PodView> = serde_json::from_value(pods).expect("pods");
        pods.into_iter().for_each(|p| fold.add(p));
        World {
            service,
            slices: Ok(slices),
            pods: Ok(fold.finish()),
            nearest: vec![],
            nodes: Ok(vec![]),
            ingresses: Ok(vec![]),
            cluster_domain: Some("cluster.local".into()),
            typed_domain: None,
            lists: Default::default(),
            follow: Default::default(),
            dependents: Default::default(),
            policies: vec![],
            namespaces: None,
            service_events: vec![],
        }
    }

    fn pod(name: &str, labels: serde_json::Value, port_name: &str, ready: bool) -> serde_json::Value {
        json!({"metadata": {"name": name, "labels": labels},
               "spec": {"containers": [{"name": "c", "ports": [{"name": port_name, "containerPort": 80}],
                                        "readinessProbe": {"tcpSocket": {"port": 80}}}]},
               "status": {"phase": "Running", "podIP": "10.0.0.1",
                          "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }, "reason": "ReadinessProbeFailed"}]}})
    }

    fn svc(selector: serde_json::Value, target: serde_json::Value) -> serde_json::Value {
        json!({"metadata": {"name": "api", "namespace": "ns"},
               "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.5", "selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": target}]}})
    }

    #[test]
    fn the_services_warning_events_are_shown_and_what_repairs_itself_does_not_warn() {
        let event = |reason: &str, message: &str| -> k8s_openapi::api::core::v1::Event {
            serde_json::from_value(json!({"metadata": {"name": reason}, "type": "Warning", "reason": reason,
                "message": message, "count": 2, "involvedObject": {"kind": "Service", "name": "api"}}))
            .expect("event")
        };
        let pods = json!([pod("a", json!({"app": "api"}), "http", true)]);
        let mut w = world(svc(json!({"app": "api"}), json!("http")), pods.clone(), json!([]));
        w.service_events =
            vec![event("ClusterIPNotAllocated", "Cluster IP [IPv4]: 10.96.0.5 is not allocated; repairing")];
        let t = diagnose(&w, None);
        let service = t.hops.iter().find(|h| h.hop == "service").expect("service hop");
        assert_eq!(service.status, Status::Ok, "{service:?}");
        assert!(
            service.details.iter().any(|d| d.starts_with("event ClusterIPNotAllocated ×2: Cluster IP")),
            "{service:?}"
        );

        let mut w = world(svc(json!({"app": "api"}), json!("http")), pods, json!([]));
        w.service_events =
            vec![event("FailedToUpdateEndpointSlices", "Error updating Endpoint Slices: quota exceeded")];
        let t = diagnose(&w, None);
        let service = t.hops.iter().find(|h| h.hop == "service").expect("service hop");
        assert_eq!(service.status, Status::Warn, "{service:?}");
        assert_eq!(
            service.fix.as_deref(),
            Some("the Service's events say what its controllers could not do: kubectl describe service api -n ns")
        );
    }

    #[test]
    fn a_named_port_missing_on_one_pod_is_a_warning_and_on_all_a_failure() {
        let pods = json!([pod("a", json!({"app": "api"}), "http", true), pod("b", json!({"app": "api"}), "web", true)]);
        let t = diagnose(&world(svc(json!({"app": "api"}), json!("http")), pods.clone(), json!([])), None);
        let ports = t.hops.iter().find(|h| h.hop == "ports").expect("ports hop");
        assert_eq!(ports.status, Status::Warn);
        assert!(ports.details.iter().any(|d| d.contains("pod b: no container port is named \"http\"")));
        let t = diagnose(&world(svc(json!({"app": "api"}), json!("grpc")), pods, json!([])), None);
        let ports = t.hops.iter().find(|h| h.hop == "ports").expect("ports hop");
        assert_eq!(ports.status, Status::Fail);
        assert_eq!(
            ports.details,
            [
                "80/TCP (http) → targetPort grpc → no container port on any of the 2 pod(s)",
                "2 pods (a, b): no container port is named \"grpc\" — dropped from this port's endpoints"
            ]
        );
        assert_eq!(t.status, Status::Fail);
    }

    #[test]
    fn not_ready_pods_say_why_and_the_verdict_counts_reachable_pods() {
        let pods =
            json!([pod("a", json!({"app": "api"}), "http", true), pod("b", json!({"app": "api"}), "http", false)]);
        let slices = json!([{"metadata": {"name": "s"}, "addressType": "IPv4", "ports": [{"name": "http", "port": 80}],
            "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": true}, "targetRef": {"kind": "Pod", "name": "a"}},
                          {"addresses": ["10.0.0.2"], "conditions": {"ready": false}, "targetRef": {"kind": "Pod", "name": "b"}}]}]);
        let t = diagnose(&world(svc(json!({"app": "api"}), json!("http")), pods, slices), None);
        assert!(
            t.verdict.starts_with("traffic to api:80 would reach 1 of 2 pod(s); note pods: 1 of 2 pod(s) Ready"),
            "{}",
            t.verdict
        );
        let p = t.hops.iter().find(|h| h.hop == "pods").expect("pods hop");
        assert_eq!(
            p.details,
            ["1 pod: ReadinessProbeFailed: the pod is not Ready", "  pod b", "  next: kubectl describe pod b -n ns"]
        );
        assert_eq!(p.causes.len(), 1);
        assert_eq!(t.status, Status::Warn);
        // The picture: the slice leads to one Ready pod and one that is not.
        let g = &t.topology.groups;
        assert_eq!((g[0].label.as_str(), g[0].slices.as_slice()), ("1 pod Ready", &[(0, 1)][..]));
        assert_eq!((g[1].label.as_str(), g[1].status), ("1 pod: ReadinessProbeFailed", Status::Fail));
        assert_eq!((t.topology.slices[0].ready, t.topology.slices[0].not_ready), (1, 1));
    }

    #[test]
    fn a_numeric_target_port_says_once_which_pods_declare_it() {
        let undeclared = |name: &str| {
            json!({"metadata": {"name": name, "labels": {"app": "api"}},
            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 80}]}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})
        };
        let t = diagnose(
            &world(svc(json!({"app": "api"}), json!(8081)), json!([undeclared("a"), undeclared("b")]), json!([])),
            None,
        );
        let ports = t.hops.iter().find(|h| h.hop == "ports").expect("ports hop");
        assert_eq!(
            ports.details,
            [
                "80/TCP (http) → targetPort 8081: no container declares port 8081 on any of the 2 pod(s) (informational: undeclared ports still receive traffic)"
            ]
        );
        let t = diagnose(
            &world(svc(json!({"app": "api"}), json!(80)), json!([undeclared("a"), undeclared("b")]), json!([])),
            None,
        );
        let ports = t.hops.iter().find(|h| h.hop == "ports").expect("ports hop");
        assert_eq!(ports.details, ["80/TCP (http) → targetPort 80 → container port 80 on 2 of 2 pod(s)"]);
    }

    #[test]
    fn many_endpoints_are_counted_not_listed() {
        let endpoints: Vec<serde_json::Value> = (0..300)
            .map(|i| {
                json!({"addresses": [format!("10.0.{}.{}", i / 250, i % 250)], "conditions": {"ready": i % 100 != 0},
                            "targetRef": {"kind": "Pod", "name": format!("p{i}")}, "nodeName": "n1"})
            })
            .collect();
        let slices =
            json!([{"metadata": {"name": "s"}, "ports": [{"name": "http", "port": 80}], "endpoints": endpoints}]);
        let t = diagnose(&world(svc(json!({"app": "api"}), json!("http")), json!([]), slices), None);
        let e = t.hops.iter().find(|h| h.hop == "endpoints").expect("endpoints hop");
        assert_eq!(e.details[0], "80/TCP (http): 297 ready of 300 address(es)");
        assert_eq!(e.details[1], "  3 not ready, 297 ready");
        assert_eq!(e.details.len(), 5, "{:?}", e.details);
    }

    #[test]
    fn a_port_the_service_lacks_is_a_sentence_in_the_verdict() {
        let w = world(svc(json!({"app": "api"}), json!("http")), json!([]), json!([]));
        let t = diagnose(&w, Some(&PortSel::Number(9999)));
        assert_eq!(
            t.verdict,
            "traffic to api:9999 would reach nothing; ports: the Service has no port 9999 (it has 80/TCP (http))"
        );
        assert_eq!(t.status, Status::Fail);
        let t = diagnose(&w, Some(&PortSel::Name("grpc".into())));
        assert!(t.verdict.starts_with("traffic to api:grpc would reach nothing; ports: "), "{}", t.verdict);
    }

    #[test]
    fn a_wrong_typed_cluster_domain_fails_the_dns_hop() {
        let mut w = world(svc(json!({"app": "api"}), json!("http")), json!([]), json!([]));
        w.typed_domain = Some("corp.example".into());
        let t = diagnose(&w, None);
        assert_eq!(t.hops[0].status, Status::Fail);
        assert!(t.hops[0].reason.contains("the cluster domain is cluster.local, not corp.example"));
    }

    #[test]
    fn renderings_escape_server_text() {
        let mut w = world(svc(json!({"app": "api"}), json!("http")), json!([]), json!([]));
        w.service.metadata.name = Some("evil\u{1b}[2J\"name".into());
        let t = diagnose(&w, None);
        for text in [crate::render::tree(&t), crate::render::dot(&t), crate::render::mermaid(&t)] {
            assert!(!text.contains('\u{1b}'), "{text}");
        }
        assert!(crate::render::dot(&t).starts_with("digraph trace {"));
        assert!(crate::render::mermaid(&t).starts_with("flowchart LR"));
        assert!(!crate::render::mermaid(&t).contains("evil\u{1b}"));
    }
}
