//! Where users start: an Ingress, an HTTPRoute, or the URL that returns 503. The hops before
//! the Service, then the Service's own trace ([`crate::trace`]) for the backend the route
//! names.
//!
//! - `objects`: the Gateway API's objects and TLS Secrets as read, and [`objects::Pool`], the
//!   lookups every hop makes;
//! - `ingress`: Ingress matching and its hops (`ingress-class`, `tls`, `ingress-rule`,
//!   `backend`);
//! - `gateway`: Gateway API matching and its hops (`gateway`, `tls`, `httproute`, `backend`);
//! - `tls`, `cert`: a TLS Secret and its certificate;
//! - `gather`: the reads, in a fixed number of requests, and recorded states for the snapshot
//!   tests;
//! - this module: which route a URL reaches ([`choose`]), what a trace reads ([`wants`]), the
//!   diagnosis, and the Service's trace joined after it ([`combine`]).
//!
//! A URL reaches the most specific Ingress rule or HTTPRoute rule (each by its own spec's
//! precedence, see the modules). When an Ingress rule and an HTTPRoute both match, the one
//! whose entry point has an address (an Ingress with `status.loadBalancer`, a Programmed
//! Gateway) is traced, else the Ingress; a rule is preferred to a defaultBackend; the other is
//! named in the trace.

pub mod cert;
pub mod gateway;
pub mod gather;
pub mod ingress;
pub mod objects;
pub mod tls;

use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use self::objects::{Gateway, GatewayClass, HttpRoute, Lookup, Meta, Pool, ReferenceGrant, TlsSecret, condition};
use crate::model::{Entry, Finding, Hop, Status, Trace, hop};
use crate::target::{EntryKind, PortSel, Target, Url};

/// Everything read before the Service.
#[derive(Debug, Default)]
pub struct EntryWorld {
    /// When the trace was made: certificates are valid or expired at this time.
    pub now: jiff::Timestamp,
    pub ingresses: Pool<Ingress>,
    pub ingress_classes: Pool<IngressClass>,
    pub routes: Pool<HttpRoute>,
    /// False when the cluster serves no Gateway API (no `httproutes` resource).
    pub gateway_api: bool,
    pub gateways: Pool<Gateway>,
    pub gateway_classes: Pool<GatewayClass>,
    pub grants: Pool<ReferenceGrant>,
    pub services: Pool<Service>,
    pub secrets: Pool<TlsSecret>,
    pub namespaces: Pool<Namespace>,
}

/// Where the trace starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `ingress/NAME` or `httproute/NAME` in `namespace`.
    Object { kind: EntryKind, namespace: String, name: String },
    /// A URL matched against the cluster's Ingresses and HTTPRoutes.
    Url(Url),
}

impl Origin {
    /// The origin of a target the trace starts before the Service for (see
    /// [`Target::service_first`]); `None` for a Service target.
    pub fn of(t: &Target, namespace: &str) -> Option<Origin> {
        match (&t.object, &t.url) {
            (Some(o), _) => {
                Some(Origin::Object { kind: o.kind, namespace: namespace.to_string(), name: o.name.clone() })
            }
            (None, Some(u)) => Some(Origin::Url(u.clone())),
            _ => None,
        }
    }

    /// `https://shop.example.com/api`, `ingress/shop`.
    pub fn label(&self) -> String {
        match self {
            Origin::Object { kind, name, .. } => format!("{}/{name}", kind.word()),
            Origin::Url(u) => u.to_string(),
        }
    }
}

/// The Service a route leads to, and the port it names.
#[derive(Debug, Clone)]
pub struct Backend {
    pub namespace: String,
    pub name: String,
    pub port: PortSel,
    pub service: Service,
}

impl Backend {
    /// The Service target its trace is made for: the port the route names.
    pub fn target(&self) -> Target {
        Target {
            name: Some(self.name.clone()),
            namespace: Some(self.namespace.clone()),
            port: Some(self.port.clone()),
            raw: format!("{}.{}", self.name, self.namespace),
            ..Default::default()
        }
    }
}

/// The hops before the Service, what `-o json` says of the way in, and the Service to trace.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub hops: Vec<Hop>,
    pub entry: Entry,
    pub backend: Option<Backend>,
}

/// What a trace follows: an Ingress's route, an HTTPRoute's rule, or nothing.
#[derive(Debug, Clone)]
pub enum Choice {
    /// Index into the Ingresses, and into its routes.
    Ingress { index: usize, route: Option<usize>, also: Vec<String> },
    /// Index into the HTTPRoutes, its parentRef, and (rule, match).
    Route { index: usize, parent: Option<usize>, rule: Option<(usize, usize)>, also: Vec<String> },
    /// No rule of either kind matches the URL.
    Nothing,
}

/// At most this many other matches are named.
const ALSO: usize = 3;

/// Whether a matched Ingress's entry point has an address.
fn ingress_live(ing: &Ingress) -> bool {
    ing.status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|l| l.ingress.as_ref())
        .is_some_and(|l| !l.is_empty())
}

/// Whether a route's traced parent Gateway is Programmed.
fn route_live(w: &EntryWorld, route: &HttpRoute, parent: usize) -> bool {
    route.spec.parent_refs.get(parent).is_some_and(|p| {
        match w.gateways.find(p.namespace_or(route.namespace()), &p.name) {
            Lookup::Found(gw) => condition(&gw.status.conditions, "Programmed").is_some_and(|c| c.status == "True"),
            _ => false,
        }
    })
}

/// What the trace follows, from what has been read so far.
pub fn choose(w: &EntryWorld, origin: &Origin) -> Choice {
    match origin {
        Origin::Object { kind: EntryKind::Ingress, namespace, name } => {
            match w.ingresses.items.iter().position(|i| i.namespace() == namespace && i.name() == name) {
                Some(index) => {
                    Choice::Ingress { index, route: ingress::first_route(w, &w.ingresses.items[index]), also: vec![] }
                }
                None => Choice::Nothing,
            }
        }
        Origin::Object { kind: EntryKind::HttpRoute, namespace, name } => {
            match w.routes.items.iter().position(|r| r.namespace() == namespace && r.name() == name) {
                Some(index) => {
                    let (parent, rule) = gateway::first_parent_and_rule(w, &w.routes.items[index]);
                    Choice::Route { index, parent, rule: rule.map(|r| (r, 0)), also: vec![] }
                }
                None => Choice::Nothing,
            }
        }
        Origin::Url(url) => {
            let ih = ingress::hits(&w.ingresses.items, url);
            let rh = gateway::hits(w, url);
            let ing_label = |h: &ingress::Hit| {
                let ing = &w.ingresses.items[h.ingress];
                let r = ingress::routes(ing).get(h.route).map(|r| r.label()).unwrap_or_default();
                format!("Ingress {} {r}", ing.key())
            };
            let pick_ingress = match (ih.first(), rh.first()) {
                (None, None) => return Choice::Nothing,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(i), Some(r)) => {
                    let route = &w.routes.items[r.route];
                    let (il, rl) = (ingress_live(&w.ingresses.items[i.ingress]), route_live(w, route, r.parent));
                    if !ingress::is_rule(i) {
                        false
                    } else if il != rl {
                        il
                    } else {
                        true
                    }
                }
            };
            let mut also: Vec<String> = vec![];
            if pick_ingress {
                also.extend(ih.iter().skip(1).filter(|h| ingress::is_rule(h)).take(ALSO).map(ing_label));
                also.extend(rh.first().map(|h| gateway::hit_label(w, h)));
                let first = &ih[0];
                Choice::Ingress { index: first.ingress, route: Some(first.route), also }
            } else {
                also.extend(
                    rh.iter()
                        .skip(1)
                        .filter(|h| h.route != rh[0].route || h.rule != rh[0].rule)
                        .take(ALSO)
                        .map(|h| gateway::hit_label(w, h)),
                );
                also.extend(ih.first().filter(|h| ingress::is_rule(h)).map(ing_label));
                let first = &rh[0];
                Choice::Route {
                    index: first.route,
                    parent: Some(first.parent),
                    rule: Some((first.rule, first.matched)),
                    also,
                }
            }
        }
    }
}

/// The reads a trace wants beyond those made so far, from what the current choice needs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Wants {
    pub ingress_classes: bool,
    pub gateway_classes: bool,
    /// Gateways to get, `(namespace, name)`.
    pub gateways: Vec<(String, String)>,
    /// Namespaces whose Services to list.
    pub services: Vec<String>,
    /// Namespaces whose ReferenceGrants to list.
    pub grants: Vec<String>,
    /// Namespaces to get (for their labels).
    pub namespaces: Vec<String>,
    /// TLS Secrets to get, `(namespace, name)`.
    pub secrets: Vec<(String, String)>,
}

/// At most this many parent Gateways are read for one route.
pub const MAX_GATEWAYS: usize = 4;
/// At most this many namespaces' Services are listed (the route's and two more).
pub const MAX_SERVICE_NAMESPACES: usize = 3;
/// At most this many namespaces' ReferenceGrants are listed.
pub const MAX_GRANT_NAMESPACES: usize = 2;

impl Wants {
    /// Nothing more to read.
    pub fn is_empty(&self) -> bool {
        self == &Wants::default()
    }
}

/// What the trace of `origin` still needs read, given what `w` holds: reads already made are
/// left out, and each kind is capped, so that the number of requests is fixed.
pub fn wants(w: &EntryWorld, origin: &Origin) -> Wants {
    let mut out = Wants::default();
    let add_ns = |list: &mut Vec<String>, ns: &str, cap: usize, pool_read: bool| {
        if !pool_read && !list.iter().any(|n| n == ns) && list.len() < cap {
            list.push(ns.to_string());
        }
    };
    match choose(w, origin) {
        Choice::Nothing => {}
        Choice::Ingress { index, route, .. } => {
            let ing = &w.ingresses.items[index];
            out.ingress_classes = !w.ingress_classes.has_read("");
            add_ns(&mut out.services, ing.namespace(), 1, w.services.has_read(ing.namespace()));
            let url = match origin {
                Origin::Url(u) => Some(u),
                Origin::Object { .. } => None,
            };
            if let Some((ns, name)) = ingress::tls_secret(ing, route, url)
                && !w.secrets.has_read(&format!("{ns}/{name}"))
            {
                out.secrets.push((ns, name));
            }
        }
        Choice::Route { index, parent, .. } => {
            let route = &w.routes.items[index];
            let rns = route.namespace();
            out.gateway_classes = !w.gateway_classes.has_read("");
            for p in route.spec.parent_refs.iter().filter(|p| gateway::is_gateway(p)).take(MAX_GATEWAYS) {
                let ns = p.namespace_or(rns);
                if !w.gateways.has_read(&format!("{ns}/{}", p.name)) {
                    out.gateways.push((ns.to_string(), p.name.clone()));
                }
            }
            let mut service_ns = vec![rns.to_string()];
            for b in route.spec.rules.iter().flat_map(|r| r.backend_refs.iter()) {
                let ns = b.namespace_or(rns).to_string();
                if !service_ns.contains(&ns) && service_ns.len() < MAX_SERVICE_NAMESPACES {
                    service_ns.push(ns);
                }
            }
            for ns in &service_ns {
                add_ns(&mut out.services, ns, MAX_SERVICE_NAMESPACES, w.services.has_read(ns));
                if ns != rns {
                    add_ns(&mut out.grants, ns, MAX_GRANT_NAMESPACES, w.grants.has_read(ns));
                }
            }
            if gateway::needs_namespace_labels(w, route) && !w.namespaces.has_read(&format!("/{rns}")) {
                out.namespaces.push(rns.to_string());
            }
            let url = match origin {
                Origin::Url(u) => Some(u),
                Origin::Object { .. } => None,
            };
            if let Some(p) = parent.and_then(|i| route.spec.parent_refs.get(i))
                && let Some((sns, name)) = gateway::tls_secret(w, route, p, url)
            {
                let gns = p.namespace_or(rns);
                if sns != gns {
                    add_ns(&mut out.grants, &sns, MAX_GRANT_NAMESPACES, w.grants.has_read(&sns));
                }
                if !w.secrets.has_read(&format!("{sns}/{name}")) {
                    out.secrets.push((sns, name));
                }
            }
        }
    }
    out
}

/// The hops before the Service, for what `origin` reaches in `w`.
pub fn diagnose(w: &EntryWorld, origin: &Origin) -> Outcome {
    let url = match origin {
        Origin::Url(u) => Some(u),
        Origin::Object { .. } => None,
    };
    match choose(w, origin) {
        Choice::Ingress { index, route, also } => ingress::diagnose(w, &w.ingresses.items[index], route, url, also),
        Choice::Route { index, parent, rule, also } => {
            gateway::diagnose(w, &w.routes.items[index], parent, rule, url, also)
        }
        Choice::Nothing => nothing(w, origin),
    }
}

/// No route matches the URL (or the object named is gone): one failing hop, with the hosts
/// the cluster's routes do serve.
fn nothing(w: &EntryWorld, origin: &Origin) -> Outcome {
    let mut hosts: Vec<String> = w
        .ingresses
        .items
        .iter()
        .flat_map(|i| i.spec.iter().flat_map(|s| s.rules.iter().flatten()).filter_map(|r| r.host.clone()))
        .chain(w.routes.items.iter().flat_map(|r| r.spec.hostnames.clone()))
        .collect();
    hosts.sort();
    hosts.dedup();
    let shown = hosts.len().min(10);
    let mut evidence = vec![format!(
        "hosts served: {}{}",
        if hosts.is_empty() { "none".into() } else { hosts[..shown].join(", ") },
        if hosts.len() > shown { format!(", … ({} in all)", hosts.len()) } else { String::new() }
    )];
    let mut status = Status::Fail;
    for (kind, hidden) in [("Ingresses", &w.ingresses.hidden), ("HTTPRoutes", &w.routes.hidden)] {
        if let Some(m) = hidden.get("") {
            evidence.push(format!("{kind} across namespaces are not visible: {m}"));
            status = Status::Warn;
        }
    }
    if !w.gateway_api {
        evidence.push("the Gateway API is not installed (no httproutes.gateway.networking.k8s.io)".into());
    }
    let reason = match origin {
        Origin::Url(u) => format!("no Ingress rule or HTTPRoute matches host {} path {}", u.host, u.path),
        Origin::Object { kind, namespace, name } => format!("{} {namespace}/{name} was not found", kind.kind()),
    };
    let h = hop("url", status, reason)
        .finding(Finding {
            cause: "NoRouteForURL".into(),
            evidence,
            command: "kubectl get ingress,httproute -A".into(),
        })
        .fix("add a rule for the host and path to an Ingress or HTTPRoute, or check the URL");
    Outcome { hops: vec![h], entry: Entry { url: url_of(origin), ..Default::default() }, backend: None }
}

fn url_of(origin: &Origin) -> Option<String> {
    match origin {
        Origin::Url(u) => Some(u.to_string()),
        Origin::Object { .. } => None,
    }
}

/// The worst hop, as the Service's verdict names it: the first that fails, else the first
/// that warns.
fn worst(hops: &[Hop]) -> Option<&Hop> {
    hops.iter().find(|h| h.status == Status::Fail).or_else(|| hops.iter().find(|h| h.status == Status::Warn))
}

/// `; hop: reason` or `; note hop: reason`, as [`crate::trace`] ends a verdict.
fn suffix(h: Option<&Hop>) -> String {
    match h {
        Some(h) if h.status == Status::Fail => format!("; {}: {}", h.hop, h.reason),
        Some(h) => format!("; note {}: {}", h.hop, h.reason),
        None => String::new(),
    }
}

/// The way in joined to the Service's trace (`None` when no Service is reached): the entry
/// hops first, the verdict saying the whole path, and the worst hop of all.
pub fn combine(o: Outcome, traced: Option<Trace>, origin: &Origin) -> Trace {
    let mut entry = o.entry;
    let through = match (&entry.kind, &entry.name, origin) {
        (Some(k), Some(n), Origin::Url(u)) => format!("{u} → {k} {n}"),
        (Some(k), Some(n), Origin::Object { .. }) => format!("{k} {n}"),
        _ => origin.label(),
    };
    match traced {
        Some(t) => {
            entry.traced = true;
            // The Service's verdict without its worst hop, which is named again over all hops.
            let own = suffix(worst(&t.hops));
            let base = t.verdict.strip_suffix(own.as_str()).unwrap_or(&t.verdict);
            let base = base.strip_prefix("traffic to ").unwrap_or(base);
            let mut hops = o.hops;
            hops.extend(t.hops);
            let status = hops.iter().map(|h| h.status).max().unwrap_or_default();
            let verdict = format!("traffic to {through} → {base}{}", suffix(worst(&hops)));
            Trace { verdict, status, hops, entry: Some(entry), ..t }
        }
        None => {
            let hops = o.hops;
            let status = hops.iter().map(|h| h.status).max().unwrap_or_default();
            let verdict = format!("traffic to {through} reaches no Service{}", suffix(worst(&hops)));
            let service = o.backend.map(|b| format!("{}/{}", b.namespace, b.name)).unwrap_or_default();
            Trace {
                api_version: "kubectl-kit.trace-svc/v1",
                service,
                kind: String::new(),
                verdict,
                status,
                hops,
                topology: Default::default(),
                entry: Some(entry),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc_trace(verdict: &str, hops: Vec<Hop>) -> Trace {
        Trace {
            api_version: "kubectl-kit.trace-svc/v1",
            service: "shop/api".into(),
            kind: "ClusterIP".into(),
            verdict: verdict.into(),
            status: hops.iter().map(|h| h.status).max().unwrap_or_default(),
            hops,
            topology: Default::default(),
            entry: None,
        }
    }

    #[test]
    fn the_verdict_names_the_whole_path_and_the_first_failure() {
        let origin = Origin::Url(Url {
            scheme: "https".into(),
            host: "shop.example.com".into(),
            port: None,
            path: "/api".into(),
        });
        let entry = Entry { kind: Some("Ingress".into()), name: Some("shop/web".into()), ..Default::default() };
        let o =
            Outcome { hops: vec![hop("ingress-class", Status::Warn, "no address published")], entry, backend: None };
        let t = svc_trace(
            "traffic to api:80 would reach 0 of 2 pod(s); pods: 0 of 2 pod(s) Ready",
            vec![hop("pods", Status::Fail, "0 of 2 pod(s) Ready")],
        );
        let joined = combine(o.clone(), Some(t), &origin);
        assert_eq!(
            joined.verdict,
            "traffic to https://shop.example.com/api → Ingress shop/web → api:80 would reach 0 of 2 pod(s); pods: 0 of 2 pod(s) Ready"
        );
        assert_eq!(joined.status, Status::Fail);
        assert_eq!(joined.hops.iter().map(|h| h.hop).collect::<Vec<_>>(), ["ingress-class", "pods"]);
        let ok = svc_trace("traffic to api:80 would reach 2 of 2 pod(s)", vec![hop("pods", Status::Ok, "2 of 2")]);
        let joined = combine(o.clone(), Some(ok), &origin);
        assert_eq!(
            joined.verdict,
            "traffic to https://shop.example.com/api → Ingress shop/web → api:80 would reach 2 of 2 pod(s); note ingress-class: no address published"
        );
        let alone = combine(o, None, &origin);
        assert!(
            alone.verdict.starts_with("traffic to https://shop.example.com/api → Ingress shop/web reaches no Service"),
            "{}",
            alone.verdict
        );
    }
}
