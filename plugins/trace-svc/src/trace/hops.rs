//! The hops from the client's name to the pods: DNS, the Service, its selector, the pods, their
//! ports and the EndpointSlices, with how the endpoints' addresses are listed.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ServicePort;
use kubectl_kit_core::selector;

use super::{Addr, Svc, World, node_ip, node_ready, pods_count, slice_addresses};
use crate::backends::{PodFacts, PortFacts};
use crate::cause::EventNote;
use crate::model::pods_named;
use crate::model::{Hop, Status, hop};
use crate::ports::{port_label, target_label};

/// DNS: the name a client resolves and what it answers. The domain is never assumed: without
/// CoreDNS's configuration the name stops at `.svc`.
pub(super) fn dns_hop(s: &Svc, w: &World) -> Hop {
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
pub(super) fn service_hop(s: &Svc, w: &World, ports: &Result<Vec<ServicePort>, String>) -> Hop {
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
    let mut h = h;
    let events = service_events(w);
    if !events.is_empty() {
        // The Service's own Warning events: the load-balancer controller's (SyncLoadBalancerFailed),
        // the endpoint controllers', any other.
        for e in &events {
            details.push(format!("event {} ×{}: {}", e.reason, e.count, e.message.replace('\n', " ⏎ ")));
        }
        // What a controller repairs by itself (an EndpointSlice write that lost a race with its
        // cache, an IP the repair loop allocated): said, but not a warning.
        let telling: Vec<&EventNote> = events.iter().filter(|e| !raced(e)).collect();
        if let Some(first) = telling.first() {
            if h.status == Status::Ok {
                h.status = Status::Warn;
            }
            if first.reason == "SyncLoadBalancerFailed" || h.fix.is_none() || kind == "LoadBalancer" {
                h.fix = Some(format!(
                    "{}: kubectl describe service {} -n {}",
                    if first.reason == "SyncLoadBalancerFailed" {
                        "the load-balancer controller cannot provision it (the event above says why)"
                    } else {
                        "the Service's events say what its controllers could not do"
                    },
                    s.name,
                    s.ns
                ));
            }
        }
        h.events = events;
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

/// An event about something a controller repairs by itself: an EndpointSlice controller's
/// update that lost a race with its informer cache (the slice it meant to delete or update was
/// already gone or changed), which it retries at once; or the API server's ClusterIP repair loop
/// finding the Service's IP not yet recorded as allocated (a Service created while the loop
/// ran), which it allocates then and there ("…is not allocated; repairing").
fn raced(e: &EventNote) -> bool {
    match e.reason.as_str() {
        "FailedToUpdateEndpointSlices" => {
            e.message.contains("not found") || e.message.contains("the object has been modified")
        }
        "ClusterIPNotAllocated" => e.message.ends_with("repairing"),
        _ => false,
    }
}

/// The Service's own Warning events, latest first.
fn service_events(w: &World) -> Vec<EventNote> {
    let ctx = crate::cause::Context::new("", w.service_events.clone(), Default::default());
    let name = w.service.metadata.name.clone().unwrap_or_default();
    let mut all: Vec<EventNote> = ctx.object_events_notes("Service", &name);
    all.reverse();
    all.truncate(5);
    all
}

/// The selector hop. Returns the selected pods' facts (`None` for a selector-less Service or
/// pods that are not visible).
pub(super) fn selector_hop<'w>(s: &Svc, w: &'w World, hops: &mut Vec<Hop>) -> Option<&'w PodFacts> {
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
    Some(pods)
}

/// The selected pods' readiness, and for those that do not serve, why: one entry per cause
/// with its evidence and next command.
pub(super) fn pods_hop(s: &Svc, pods: &PodFacts) -> Hop {
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
    let mut status = status;
    let (unprobed, examples) = &pods.unprobed;
    if *unprobed > 0 {
        // In the reason (and so the verdict) only when it is the one thing to say.
        if pods.groups.is_empty() && pods.overflow.is_empty() {
            reason.push_str(&format!(", {unprobed} without a readiness probe"));
        }
        // Without a readiness probe a pod is an endpoint as soon as its containers start,
        // before the app may answer: every rollout and restart sends it traffic too early.
        status = status.max(Status::Warn);
        details.push(format!(
            "{} without a readiness probe: each is sent traffic as soon as its containers start, before the app may answer",
            pods_named(*unprobed, examples)
        ));
    }
    let mut h = hop("pods", status, reason).details(details);
    if publish {
        h.details.push("publishNotReadyAddresses: not-ready pods get traffic too".into());
    }
    h.causes = pods.groups.iter().map(|g| g.cause.clone()).collect();
    if let Some(g) = pods.groups.first() {
        h = h.fix(g.cause.command.clone());
    } else if *unprobed > 0 {
        h = h.fix(
            "add a readinessProbe to the pod template's containers (an httpGet or tcpSocket on the port they serve)",
        );
    }
    h
}

/// Each Service port through its targetPort to the container ports, on the selected pods.
pub(super) fn ports_hop(pods: &PodFacts, ports: &[ServicePort]) -> Hop {
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
pub(super) fn endpoints_hop(
    s: &Svc,
    w: &World,
    pods: &PodFacts,
    ports: &[ServicePort],
) -> Option<(Hop, Option<(usize, usize)>)> {
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
    let single = status == Status::Ok
        && s.selector.is_some()
        && !ports.is_empty()
        && ports.iter().all(|sp| {
            let ready: BTreeSet<String> =
                slice_addresses(slices, sp).into_iter().filter(|a| a.ready).map(|a| a.ip).collect();
            ready.len() == 1
        });
    if single {
        // One pod between the Service and an outage: a restart, an eviction or a drain.
        status = Status::Warn;
        details
            .push("a single ready endpoint: one restart, eviction or node drain leaves the Service with none".into());
    }
    let mut h = hop("endpoints", status, reason).details(details);
    if single {
        h = h.fix("run more than one replica (and a PodDisruptionBudget) so that one pod's loss is not an outage");
    }
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
