//! The diagnosis: from the objects around a Service to a list of hops, each ok, warn or fail
//! with a reason and a fix. One function per hop, in path order; pure functions over the
//! fetched objects and the facts folded from the pods as they streamed in (see
//! [`crate::backends`]), so every rule is unit-tested.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Node, Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::Ingress;
use kubectl_kit_core::selector::{self, Labels};

use crate::backends::{Placement, PodFacts, PortFacts};
use crate::cause::NodeFact;
use crate::model::pods_named;
use crate::model::{Hop, Seen, Status, TopoGroup, TopoNode, TopoSlice, Topology, Trace, hop};
use crate::ports::{chosen_ports, port_label, target_label};
use crate::slice::SliceView;
use crate::target::PortSel;

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
    let pods = selector_hops(&s, w, &mut hops).unwrap_or(&no_pods);
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
    hops.extend(pods.isolation.hop());
    hops.extend(ingress_hop(&s, w));
    let verdict = verdict(&s, w, port_sel, &ports, reach);
    let topology = topology(w, pods, &ports, &hops);
    finish(&s, hops, verdict, topology)
}

/// Service → ports → EndpointSlices → groups of pods → nodes, for the pictures.
fn topology(w: &World, pods: &PodFacts, ports: &[ServicePort], hops: &[Hop]) -> Topology {
    let ports_status = hops.iter().find(|h| h.hop == "ports").map(|h| h.status).unwrap_or_default();
    let mut t = Topology {
        ports: ports.iter().map(|p| (format!("{} → {}", port_label(p), target_label(p)), ports_status)).collect(),
        ..Default::default()
    };
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
                    let state = if f.why.is_empty() || f.ready == Some(true) {
                        f.state().to_string()
                    } else {
                        format!("{} ({})", f.state(), f.why.split(':').next().unwrap_or_default())
                    };
                    let status = if f.ready == Some(true) { Status::Ok } else { Status::Fail };
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

/// DNS: the name a client resolves and what it answers. The domain is never assumed: without
/// CoreDNS's configuration the name stops at `.svc`.
fn dns_hop(s: &Svc, w: &World) -> Hop {
    let (name, ns) = (&s.name, &s.ns);
    let domain = w.typed_domain.clone().or_else(|| w.cluster_domain.clone());
    let fqdn = match &domain {
        Some(d) => format!("{name}.{ns}.svc.{d}"),
        None => format!("{name}.{ns}.svc"),
    };
    let answer = if s.kind == "ExternalName" {
        format!("CNAME {}", s.spec.external_name.clone().unwrap_or_default())
    } else if s.headless {
        "the ready pod IPs (headless)".into()
    } else {
        s.cluster_ip.clone()
    };
    match (&w.typed_domain, &w.cluster_domain) {
        (Some(t), Some(c)) if t != c => hop("dns", Status::Fail, format!("{fqdn}: the cluster domain is {c}, not {t}"))
            .fix(format!("use {name}.{ns}.svc.{c} (or just {name}.{ns})")),
        (Some(t), None) => hop("dns", Status::Warn, format!("{fqdn} → {answer}"))
            .fix(format!("the cluster domain could not be read (no CoreDNS configuration visible), so {t} is unverified; {name}.{ns} works whatever the domain")),
        (None, None) => hop("dns", Status::Ok, format!("{fqdn} → {answer}"))
            .details(vec!["the cluster domain could not be read (no CoreDNS configuration visible); NAME.NAMESPACE works whatever it is".into()]),
        _ => hop("dns", Status::Ok, format!("{fqdn} → {answer}")),
    }
}

/// The Service's type, its selector and node ports.
fn service_hop(s: &Svc, w: &World, ports: &Result<Vec<ServicePort>, String>) -> Hop {
    let (kind, cluster_ip) = (&s.kind, &s.cluster_ip);
    let h = match kind.as_str() {
        "ExternalName" => {
            let target = s.spec.external_name.clone().unwrap_or_default();
            if target.parse::<std::net::IpAddr>().is_ok() {
                hop(
                    "service",
                    Status::Fail,
                    format!("ExternalName {target} is an IP address: DNS cannot CNAME to an IP"),
                )
                .fix("use a Service without selector plus an EndpointSlice for the IP")
            } else {
                hop(
                    "service",
                    Status::Ok,
                    format!("ExternalName: a DNS CNAME to {target}; no ports are remapped and no endpoints are used"),
                )
            }
        }
        "LoadBalancer" => {
            let ingress = w
                .service
                .status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|l| l.ingress.clone())
                .unwrap_or_default();
            if ingress.is_empty() {
                hop("service", Status::Warn, format!("LoadBalancer {cluster_ip}: external address <pending>"))
                    .fix("no load-balancer controller has assigned an address (cloud provider, MetalLB or kube-vip); inside the cluster the ClusterIP and node ports still work")
            } else {
                let addrs: Vec<String> =
                    ingress.iter().filter_map(|i| i.ip.clone().or_else(|| i.hostname.clone())).collect();
                hop("service", Status::Ok, format!("LoadBalancer {cluster_ip}, external {}", addrs.join(",")))
            }
        }
        _ if s.headless => hop(
            "service",
            Status::Ok,
            "headless (clusterIP None): DNS returns pod IPs and clients connect to the target ports directly",
        ),
        _ => hop("service", Status::Ok, format!("{kind} {cluster_ip}")),
    };
    let mut details = vec![];
    match &s.selector {
        Some(sel) => details.push(format!("selector {}", selector::map_to_string(sel))),
        None if kind != "ExternalName" => {
            details.push("no selector: endpoints are managed by hand (EndpointSlices or Endpoints)".into())
        }
        None => {}
    }
    if matches!(kind.as_str(), "NodePort" | "LoadBalancer")
        && let (Ok(nodes), Ok(ps)) = (&w.nodes, ports)
    {
        let ips: Vec<String> = nodes.iter().filter(|n| node_ready(n)).filter_map(node_ip).collect();
        for p in ps {
            if let Some(np) = p.node_port {
                details.push(format!(
                    "node port {np} answers on {}",
                    ips.iter().map(|i| format!("{i}:{np}")).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    h.details(details)
}

/// The selector hop and, when it selects pods, the pods hop. Returns the selected pods' facts
/// (`None` for a selector-less Service or pods that are not visible).
fn selector_hops<'w>(s: &Svc, w: &'w World, hops: &mut Vec<Hop>) -> Option<&'w PodFacts> {
    let sel = s.selector.as_ref()?;
    let pods = match &w.pods {
        Ok(p) => p,
        Err(e) => {
            hops.push(hop("selector", Status::Warn, format!("pods are not visible: {e}")));
            return None;
        }
    };
    if pods.total == 0 {
        let mut h = hop(
            "selector",
            Status::Fail,
            format!("selector {} matches no pod in {}", selector::map_to_string(sel), s.ns),
        )
        .fix("make the Service selector and the pod template labels agree");
        if let Some(near) = w.nearest.first() {
            h.reason = format!("{}; nearest: {near}", h.reason);
            h = h.details(w.nearest.clone());
        }
        hops.push(h);
        return Some(pods);
    }
    hops.push(hop(
        "selector",
        Status::Ok,
        format!("selector {} matches {} pod(s)", selector::map_to_string(sel), pods.total),
    ));
    hops.push(pods_hop(s, pods));
    Some(pods)
}

/// `1 pod`, `3 pods`.
fn pods_count(n: usize) -> String {
    if n == 1 { "1 pod".into() } else { format!("{n} pods") }
}

/// The selected pods' readiness, and for those that do not serve, why: one entry per cause
/// with its evidence and next command.
fn pods_hop(s: &Svc, pods: &PodFacts) -> Hop {
    let publish = s.spec.publish_not_ready_addresses.unwrap_or(false);
    let status = if pods.ready == 0 && !publish {
        Status::Fail
    } else if pods.groups.is_empty() && pods.overflow.is_empty() {
        Status::Ok
    } else {
        Status::Warn
    };
    let mut reason = format!("{} of {} pod(s) Ready", pods.ready, pods.total);
    if pods.terminating > 0 {
        reason.push_str(&format!(", {} terminating", pods.terminating));
    }
    let mut details = vec![];
    for g in &pods.groups {
        let c = &g.cause;
        details.push(format!("{}: {}", pods_count(g.place.pods), c.summary));
        for e in &c.evidence {
            details.push(format!("  {e}"));
        }
        if let Some(r) = c.restarts.filter(|r| *r > 0) {
            details.push(format!("  restarts: {}{r}", if g.place.pods > 1 { "up to " } else { "" }));
        }
        details.push(format!("  {}", pods_named(g.place.pods, &c.example_pods)));
        details.push(format!("  next: {}", c.command));
    }
    if !pods.overflow.is_empty() {
        let n: usize = pods.overflow.values().sum();
        let by: Vec<String> = pods.overflow.iter().map(|(c, k)| format!("{c} ×{k}")).collect();
        details.push(format!("{} more with other causes: {}", pods_count(n), by.join(", ")));
    }
    let mut h = hop("pods", status, reason).details(details);
    if publish {
        h.details.push("publishNotReadyAddresses: not-ready pods get traffic too".into());
    }
    h.causes = pods.groups.iter().map(|g| g.cause.clone()).collect();
    if let Some(g) = pods.groups.first() {
        h = h.fix(g.cause.command.clone());
    }
    h
}

/// Each Service port through its targetPort to the container ports, on the selected pods.
fn ports_hop(pods: &PodFacts, ports: &[ServicePort]) -> Hop {
    let mut details = vec![];
    let mut status = Status::Ok;
    let no_facts = PortFacts::default();
    for (i, sp) in ports.iter().enumerate() {
        let tl = target_label(sp);
        if pods.total == 0 {
            details.push(format!("{} → targetPort {tl}", port_label(sp)));
            continue;
        }
        let pf = pods.ports.get(i).unwrap_or(&no_facts);
        let numbers = pf.numbers.iter().map(String::as_str).collect::<Vec<_>>().join("/");
        let declared = pf.resolved - pf.undeclared;
        // A named targetPort resolves only where a container declares it; a number reaches the
        // pod whether or not a container declares it, so say which pods declare it.
        details.push(if pf.resolved == 0 {
            // Why is said per pod below.
            format!("{} → targetPort {tl} → no container port on any of the {} pod(s)", port_label(sp), pods.total)
        } else if pf.undeclared == 0 {
            format!("{} → targetPort {tl} → container port {numbers} on {} of {} pod(s)", port_label(sp), pf.resolved, pods.total)
        } else if declared == 0 {
            format!(
                "{} → targetPort {tl}: no container declares port {numbers} on any of the {} pod(s) (informational: undeclared ports still receive traffic)",
                port_label(sp),
                pf.resolved
            )
        } else {
            format!(
                "{} → targetPort {tl} → container port {numbers} on {} of {} pod(s), declared on {declared} (informational: undeclared ports still receive traffic)",
                port_label(sp),
                pf.resolved,
                pods.total
            )
        });
        if !pf.unresolved.is_empty() {
            // kubernetes/kubernetes#109627: a named targetPort missing on a pod drops it from the slice.
            status = status.max(if pf.resolved == 0 { Status::Fail } else { Status::Warn });
            for b in pf.unresolved.lines() {
                details.push(format!("{b} — dropped from this port's endpoints"));
            }
        }
    }
    let mut h = hop("ports", status, format!("{} port(s)", ports.len())).details(details);
    if status != Status::Ok {
        h = h.fix("name the container port as the Service's targetPort says (same protocol), or use a number");
        h.reason = "a named targetPort does not resolve on every pod".into();
    }
    h
}

/// The EndpointSlices: every address per port and its state. Also returns how many selected
/// pods the first port reaches (`(reached, selected)`), for the verdict.
fn endpoints_hop(s: &Svc, w: &World, pods: &PodFacts, ports: &[ServicePort]) -> Option<(Hop, Option<(usize, usize)>)> {
    let slices = match &w.slices {
        Err(e) => return Some((hop("endpoints", Status::Warn, format!("EndpointSlices are not visible: {e}")), None)),
        Ok(slices) => slices,
    };
    let mut reach: Option<(usize, usize)> = None;
    let mut details = vec![];
    let mut status = Status::Ok;
    let mut total_ready = 0;
    for sp in ports {
        let addrs = slice_addresses(slices, sp);
        let ready: Vec<&Addr> = addrs.iter().filter(|a| a.ready).collect();
        total_ready += ready.len();
        details.push(format!("{}: {} ready of {} address(es)", port_label(sp), ready.len(), addrs.len()));
        details.extend(address_lines(&addrs));
        if ready.is_empty() {
            status = Status::Fail;
        }
        if reach.is_none() {
            let reached: BTreeSet<&String> = ready.iter().filter_map(|a| a.pod.as_ref()).collect();
            reach = Some((reached.len(), pods.total));
        }
    }
    let mirrored = slices.iter().any(|s| {
        s.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("endpointslice.kubernetes.io/managed-by"))
            .is_some_and(|m| m.contains("mirroring"))
    });
    if mirrored {
        details.push("mirrored from an Endpoints object by the EndpointSlice mirroring controller".into());
    }
    let reason = if slices.is_empty() {
        "no EndpointSlice carries kubernetes.io/service-name=".to_string() + &s.name
    } else {
        format!("{} EndpointSlice(s), {total_ready} ready address(es)", slices.len())
    };
    let mut h = hop("endpoints", status, reason).details(details);
    if status == Status::Fail {
        h = h.fix(if s.selector.is_none() {
            format!("create an EndpointSlice labelled kubernetes.io/service-name={} with the backend addresses and a port named like the Service port", s.name)
        } else {
            "no pod is a ready endpoint: fix the selector, the ports or the pods' readiness above".into()
        });
    }
    Some((h, reach))
}

/// An endpoint's state as the EndpointSlice says it.
fn address_state(a: &Addr) -> &'static str {
    match (a.terminating, a.ready, a.serving) {
        (true, _, true) => "terminating, serving",
        (true, _, false) => "terminating, not serving",
        (false, true, _) => "ready",
        (false, false, true) => "serving",
        (false, false, false) => "not ready",
    }
}

/// At most this many addresses are listed one per line; beyond, they are counted by state.
const LISTED_ADDRESSES: usize = 10;

/// The addresses of one port: each on its line when there are few, else counted by state with
/// the first few that are not ready.
fn address_lines(addrs: &[Addr]) -> Vec<String> {
    let line = |a: &Addr| {
        let who = a.pod.clone().map(|p| format!(" pod {p}")).unwrap_or_default();
        let on = a.node.clone().map(|n| format!(" on {n}")).unwrap_or_default();
        format!("  {}:{} {}{who}{on}", a.ip, a.port, address_state(a))
    };
    if addrs.len() <= LISTED_ADDRESSES {
        return addrs.iter().map(line).collect();
    }
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    for a in addrs {
        *by_state.entry(address_state(a)).or_default() += 1;
    }
    let mut out =
        vec![format!("  {}", by_state.iter().map(|(s, n)| format!("{n} {s}")).collect::<Vec<_>>().join(", "))];
    let not_ready: Vec<&Addr> = addrs.iter().filter(|a| !a.ready).collect();
    out.extend(not_ready.iter().take(3).map(|a| line(a)));
    if not_ready.len() > 3 {
        out.push(format!("  … and {} more not ready", not_ready.len() - 3));
    }
    out
}

/// The nodes the endpoints and the selected pods are on, and whether they are Ready.
fn nodes_hop(w: &World, pods: &PodFacts) -> Option<Hop> {
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
    let listed: Vec<&Node> =
        nodes.iter().filter(|n| n.metadata.name.as_ref().is_some_and(|m| used.contains(m))).collect();
    for n in &listed {
        let f = NodeFact::from_node(n);
        let name = n.metadata.name.clone().unwrap_or_default();
        let mut line = format!("{name} {} zone {}", f.state(), node_zone(n));
        if let Some(ip) = node_ip(n) {
            line.push_str(&format!(" {ip}"));
        }
        if f.ready != Some(true) {
            if !f.why.is_empty() {
                line.push_str(&format!(" — {}", f.why));
            }
            not_ready.push(name);
        }
        if listed.len() <= 10 || f.ready != Some(true) {
            details.push(line);
        }
    }
    if listed.len() > 10 {
        details.push(format!("{} more node(s) Ready", listed.len() - not_ready.len()));
    }
    let status = if not_ready.is_empty() {
        Status::Ok
    } else if not_ready.len() == used.len() {
        Status::Fail
    } else {
        Status::Warn
    };
    let mut h = hop("nodes", status, format!("{} node(s), {} Ready", used.len(), used.len() - not_ready.len()))
        .details(details);
    if let Some(first) = not_ready.first() {
        h.details.push("pods on a node that is not Ready stop receiving traffic once the node lifecycle controller marks them not Ready".into());
        h = h.fix(format!("kubectl describe node {first}"));
    }
    Some(h)
}

/// Traffic policies, session affinity and load-balancer source ranges.
fn traffic_policy_hop(s: &Svc, w: &World) -> Option<Hop> {
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
fn ingress_hop(s: &Svc, w: &World) -> Option<Hop> {
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
    let worst =
        hops.iter().find(|h| h.status == Status::Fail).or_else(|| hops.iter().find(|h| h.status == Status::Warn));
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
        }
    }

    fn pod(name: &str, labels: serde_json::Value, port_name: &str, ready: bool) -> serde_json::Value {
        json!({"metadata": {"name": name, "labels": labels},
               "spec": {"containers": [{"name": "c", "ports": [{"name": port_name, "containerPort": 80}]}]},
               "status": {"phase": "Running", "podIP": "10.0.0.1",
                          "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }, "reason": "ReadinessProbeFailed"}]}})
    }

    fn svc(selector: serde_json::Value, target: serde_json::Value) -> serde_json::Value {
        json!({"metadata": {"name": "api", "namespace": "ns"},
               "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.5", "selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": target}]}})
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
