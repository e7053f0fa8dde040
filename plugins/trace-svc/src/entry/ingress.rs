//! An Ingress as the way in: which rule serves a URL (host and path as the `networking.k8s.io/v1`
//! spec defines their matching), the IngressClass and its controller, the TLS Secret of the
//! host, and the backend Service and port the rule names.
//!
//! Matching, from the Ingress spec: a rule's `host` is exact, or a wildcard `*.example.com`
//! that matches exactly one more label (`a.example.com`, not `example.com` nor
//! `a.b.example.com`); a rule without a host matches every host. `Exact` paths match the URL
//! path exactly (case-sensitive); `Prefix` paths match element by element split on `/`, a
//! trailing `/` ignored (`/foo` matches `/foo`, `/foo/` and `/foo/bar`, not `/foobar`);
//! `ImplementationSpecific` is the controller's to define and is matched here as `Prefix`
//! (said in the hop). Across rules: the most specific host (exact, then wildcard, then none),
//! then the longest path, then `Exact` over `Prefix`; across Ingresses that tie, the oldest, as
//! ingress-nginx merges them. A request that matches no rule goes to a `defaultBackend`.
//!
//! | hop | cause | when |
//! |---|---|---|
//! | `ingress-class` | `IngressClassNotFound` | the class named (spec or the `kubernetes.io/ingress.class` annotation) does not exist |
//! | | `NoIngressClass` | no class named and no default IngressClass |
//! | | `LoadBalancerPortError` | the controller reported an error on an address's port |
//! | | `NoAddress` (warn) | `status.loadBalancer` is empty: no controller has published an address |
//! | `tls` | `NoTLSForHost` (warn) | an https URL whose host no `tls` entry lists |
//! | | (see [`super::tls`]) | the Secret and its certificate |
//! | `ingress-rule` | `NoRules` | the Ingress has neither rules nor a defaultBackend |
//! | `backend` | `BackendServiceNotFound` | the Service the rule names does not exist |
//! | | `BackendPortNotFound` | the Service has no port of that number or name |
//! | | `BackendNotService` (warn) | a `resource` backend: not traced |

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::{Ingress, IngressBackend, IngressClass};

use super::objects::{Lookup, Meta, created};
use super::{Backend, EntryWorld, Outcome, tls};
use crate::model::{Entry, EntryBackend, EntryBox, Finding, Hop, Status, hop};
use crate::target::{PortSel, Url};

/// The annotation that named a class before `spec.ingressClassName`.
const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
/// The annotation that makes an IngressClass the default.
const DEFAULT_CLASS: &str = "ingressclass.kubernetes.io/is-default-class";

/// One way through an Ingress: a rule's path, or the defaultBackend.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    /// The rule's host; `None` matches every host.
    pub host: Option<&'a str>,
    /// The path; `None` for the defaultBackend.
    pub path: Option<&'a str>,
    /// `Exact`, `Prefix` or `ImplementationSpecific`; empty for the defaultBackend.
    pub path_type: &'a str,
    pub backend: &'a IngressBackend,
}

impl Route<'_> {
    /// `shop.example.com /api (Prefix)`, `* / (Exact)`, `defaultBackend`.
    pub fn label(&self) -> String {
        match self.path {
            None => "defaultBackend".into(),
            Some(p) => format!("{} {p} ({})", self.host.unwrap_or("*"), self.path_type),
        }
    }
}

/// The rules' paths in order, then the defaultBackend.
pub fn routes(ing: &Ingress) -> Vec<Route<'_>> {
    let mut out = vec![];
    let Some(spec) = ing.spec.as_ref() else {
        return out;
    };
    for r in spec.rules.iter().flatten() {
        for p in r.http.iter().flat_map(|h| h.paths.iter()) {
            out.push(Route {
                host: r.host.as_deref().filter(|h| !h.is_empty()),
                path: Some(p.path.as_deref().filter(|p| !p.is_empty()).unwrap_or("/")),
                path_type: &p.path_type,
                backend: &p.backend,
            });
        }
    }
    if let Some(b) = &spec.default_backend {
        out.push(Route { host: None, path: None, path_type: "", backend: b });
    }
    out
}

/// `numbers-api:80`, `numbers-api:http`, `resource StorageBucket/assets`.
pub fn backend_label(b: &IngressBackend) -> String {
    match (&b.service, &b.resource) {
        (Some(s), _) => match port_of(b) {
            Some(p) => format!("{}:{p}", s.name),
            None => format!("{}:(no port)", s.name),
        },
        (None, Some(r)) => format!("resource {}/{}", r.kind, r.name),
        (None, None) => "(no backend)".into(),
    }
}

fn port_of(b: &IngressBackend) -> Option<PortSel> {
    let p = b.service.as_ref()?.port.as_ref()?;
    match (p.number, p.name.as_deref().filter(|n| !n.is_empty())) {
        (Some(n), _) if n != 0 => Some(PortSel::Number(n)),
        (_, Some(n)) => Some(PortSel::Name(n.to_string())),
        _ => None,
    }
}

/// How a rule's host matches `host`: 2 exactly, 1 by wildcard, 0 (no host on the rule) as
/// any host; `None` when it does not.
pub fn host_match(rule: Option<&str>, host: &str) -> Option<u8> {
    let Some(rule) = rule else {
        return Some(0);
    };
    if rule.eq_ignore_ascii_case(host) {
        return Some(2);
    }
    let suffix = rule.strip_prefix("*.")?;
    // `*` stands for exactly one label.
    let (first, rest) = host.split_once('.')?;
    (!first.is_empty() && rest.eq_ignore_ascii_case(suffix)).then_some(1)
}

/// A `Prefix` match: element by element on `/`, a trailing `/` on either side ignored.
pub fn prefix_match(prefix: &str, path: &str) -> bool {
    let want: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    let have: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    have.len() >= want.len() && want.iter().zip(&have).all(|(a, b)| a == b)
}

/// Whether a rule's path of `path_type` matches the URL `path`.
pub fn path_match(path_type: &str, rule: &str, path: &str) -> bool {
    match path_type {
        "Exact" => rule == path,
        _ => prefix_match(rule, path),
    }
}

/// A route of an Ingress that matches a URL, and how well.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Index into the pool's Ingresses.
    pub ingress: usize,
    /// Index into [`routes`] of that Ingress.
    pub route: usize,
    /// (is a rule, host score, path length, exact): higher is more specific.
    rank: (bool, u8, usize, bool),
    created: String,
    key: String,
}

/// Every route of `ingresses` that matches `url`, the one that serves it first.
pub fn hits(ingresses: &[Ingress], url: &Url) -> Vec<Hit> {
    let mut out = vec![];
    for (i, ing) in ingresses.iter().enumerate() {
        let with_rules = routes(ing).iter().any(|r| r.path.is_some());
        for (j, r) in routes(ing).iter().enumerate() {
            let rank = match r.path {
                Some(p) => {
                    let Some(h) = host_match(r.host, &url.host) else { continue };
                    if !path_match(r.path_type, p, &url.path) {
                        continue;
                    }
                    (true, h, p.trim_end_matches('/').len(), r.path_type == "Exact")
                }
                // A defaultBackend: after every rule; an Ingress that is nothing but one first.
                None => (false, u8::from(!with_rules), 0, false),
            };
            out.push(Hit { ingress: i, route: j, rank, created: created(ing), key: ing.key() });
        }
    }
    out.sort_by(|a, b| {
        b.rank
            .cmp(&a.rank)
            .then_with(|| a.created.cmp(&b.created))
            .then_with(|| a.key.cmp(&b.key))
            .then(a.route.cmp(&b.route))
    });
    out
}

/// True when the hit is a rule (not a defaultBackend).
pub fn is_rule(h: &Hit) -> bool {
    h.rank.0
}

/// The route traced for `ingress/NAME`: the first whose Service exists, else the first.
pub fn first_route(w: &EntryWorld, ing: &Ingress) -> Option<usize> {
    let rs = routes(ing);
    rs.iter()
        .position(|r| {
            r.backend
                .service
                .as_ref()
                .is_some_and(|s| matches!(w.services.find(ing.namespace(), &s.name), Lookup::Found(_)))
        })
        .or_else(|| (!rs.is_empty()).then_some(0))
}

/// The hops of the way in through `ing`, tracing route `chosen` (an index into [`routes`]);
/// `url` when the trace started at one, `also` the other routes it matched.
pub fn diagnose(w: &EntryWorld, ing: &Ingress, chosen: Option<usize>, url: Option<&Url>, also: Vec<String>) -> Outcome {
    let rs = routes(ing);
    let route = chosen.and_then(|i| rs.get(i)).copied();
    let mut hops = vec![class_hop(w, ing)];
    hops.extend(tls_hop(w, ing, route, url));
    hops.push(rule_hop(ing, &rs, chosen, url, also));
    let (backend_hop, backend, backends) = backend_hop(w, ing, &rs, chosen, url.is_none());
    hops.extend(backend_hop);
    let class = class_name(ing).unwrap_or_else(|| "no class".into());
    let mut chain = vec![EntryBox {
        title: format!("Ingress {}", ing.key()),
        detail: format!("class {class}"),
        status: hops
            .iter()
            .filter(|h| matches!(h.hop, "ingress-class" | "tls"))
            .map(|h| h.status)
            .max()
            .unwrap_or_default(),
    }];
    if let Some(r) = route {
        let status =
            hops.iter().filter(|h| matches!(h.hop, "ingress-rule")).map(|h| h.status).max().unwrap_or_default();
        chain.push(EntryBox { title: r.label(), detail: String::new(), status });
    }
    Outcome {
        hops,
        entry: Entry {
            url: url.map(|u| u.to_string()),
            kind: Some("Ingress".into()),
            name: Some(ing.key()),
            rule: route.map(|r| r.label()),
            backend: backend.as_ref().map(|b| format!("{}/{}:{}", b.namespace, b.name, b.port)),
            backends,
            chain,
            traced: false,
        },
        backend,
    }
}

/// The class the Ingress names: `spec.ingressClassName`, else the old annotation.
fn class_name(ing: &Ingress) -> Option<String> {
    ing.spec
        .as_ref()
        .and_then(|s| s.ingress_class_name.clone())
        .or_else(|| ing.metadata.annotations.as_ref().and_then(|a| a.get(CLASS_ANNOTATION).cloned()))
        .filter(|c| !c.is_empty())
}

fn controller(c: &IngressClass) -> String {
    c.spec.as_ref().and_then(|s| s.controller.clone()).unwrap_or_else(|| "(none)".into())
}

fn is_default(c: &IngressClass) -> bool {
    c.metadata.annotations.as_ref().and_then(|a| a.get(DEFAULT_CLASS)).is_some_and(|v| v == "true")
}

/// The IngressClass and its controller, and the address the controller published.
fn class_hop(w: &EntryWorld, ing: &Ingress) -> Hop {
    let ns = ing.namespace();
    let name = ing.name();
    let describe = format!("kubectl describe ingress {name} -n {ns}");
    let classes = || {
        let names: Vec<&str> = w.ingress_classes.items.iter().map(|c| c.name()).collect();
        if names.is_empty() {
            "IngressClasses: none".to_string()
        } else {
            format!("IngressClasses: {}", names.join(", "))
        }
    };
    let named = class_name(ing);
    let via = if ing.spec.as_ref().and_then(|s| s.ingress_class_name.as_ref()).is_some() {
        "spec.ingressClassName"
    } else {
        "annotation kubernetes.io/ingress.class"
    };
    let (mut status, mut details, mut finding) = (Status::Ok, vec![], None);
    let mut reason = match named.as_deref() {
        Some(c) => match w.ingress_classes.find("", c) {
            Lookup::Found(class) => format!("IngressClass {c} → controller {}", controller(class)),
            // GKE's classes are built into its controller; no object stands for them.
            Lookup::Missing if matches!(c, "gce" | "gce-internal") => {
                format!("IngressClass {c}: GKE's built-in class (no IngressClass object)")
            }
            Lookup::Missing => {
                status = Status::Fail;
                finding = Some(Finding {
                    cause: "IngressClassNotFound".into(),
                    evidence: vec![format!("{via} {c}"), classes()],
                    command: "kubectl get ingressclass".into(),
                });
                format!("IngressClass {c} does not exist: no controller serves this Ingress")
            }
            Lookup::Hidden(m) => {
                status = Status::Warn;
                format!("IngressClass {c}: IngressClasses are not visible: {m}")
            }
            Lookup::Unread => format!("IngressClass {c} (not read)"),
        },
        None => {
            let defaults: Vec<&IngressClass> = w.ingress_classes.items.iter().filter(|c| is_default(c)).collect();
            match (defaults.as_slice(), w.ingress_classes.hidden.get("")) {
                (_, Some(m)) => {
                    status = Status::Warn;
                    format!("no class named; IngressClasses are not visible: {m}")
                }
                ([], None) => {
                    status = Status::Fail;
                    finding = Some(Finding {
                        cause: "NoIngressClass".into(),
                        evidence: vec![
                            "no spec.ingressClassName and no kubernetes.io/ingress.class annotation".into(),
                            format!("{} (none annotated {DEFAULT_CLASS}=true)", classes()),
                        ],
                        command: "kubectl get ingressclass".into(),
                    });
                    "no IngressClass: none named and none is the default, so no controller is bound to serve it".into()
                }
                ([one], None) => {
                    format!("no class named: the default IngressClass {} → controller {}", one.name(), controller(one))
                }
                (many, None) => {
                    status = Status::Warn;
                    let names: Vec<&str> = many.iter().map(|c| c.name()).collect();
                    format!("no class named, and {} IngressClasses are the default: {}", many.len(), names.join(", "))
                }
            }
        }
    };
    let lbs: Vec<_> =
        ing.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|l| l.ingress.clone()).unwrap_or_default();
    let addresses: Vec<String> = lbs.iter().filter_map(|l| l.ip.clone().or_else(|| l.hostname.clone())).collect();
    let port_errors: Vec<String> = lbs
        .iter()
        .flat_map(|l| l.ports.iter().flatten())
        .filter_map(|p| p.error.as_ref().map(|e| format!("port {}/{}: {e}", p.port, p.protocol)))
        .collect();
    if addresses.is_empty() {
        details.push("address: none published (status.loadBalancer is empty)".into());
        if status == Status::Ok {
            status = Status::Warn;
            reason.push_str("; no address published");
            finding = Some(Finding {
                cause: "NoAddress".into(),
                evidence: vec![format!(
                    "status.loadBalancer of Ingress {ns}/{name} is empty: no controller has admitted it, or its controller publishes no address"
                )],
                command: describe.clone(),
            });
        }
    } else {
        details.push(format!("address: {}", addresses.join(", ")));
    }
    if !port_errors.is_empty() && status != Status::Fail {
        status = Status::Fail;
        reason.push_str("; the controller reports a port error");
        finding =
            Some(Finding { cause: "LoadBalancerPortError".into(), evidence: port_errors.clone(), command: describe });
    } else {
        details.extend(port_errors);
    }
    let mut h = hop("ingress-class", status, reason).details(details);
    if let Some(f) = finding {
        h = h.fix(match f.cause.as_str() {
            "NoAddress" => "check that the class's controller runs and watches this namespace".to_string(),
            "LoadBalancerPortError" => "see the controller's events and logs for the address's port".to_string(),
            _ => "set spec.ingressClassName to an IngressClass of a running controller".to_string(),
        });
        h = h.finding(f);
    }
    h
}

/// The `tls` entry that serves `host` (an entry without hosts serves every host).
fn tls_entry<'a>(ing: &'a Ingress, host: Option<&str>) -> Option<&'a k8s_openapi::api::networking::v1::IngressTLS> {
    ing.spec.as_ref()?.tls.as_ref()?.iter().find(|t| {
        let hosts = t.hosts.as_deref().unwrap_or_default();
        hosts.is_empty()
            || host
                .is_some_and(|h| hosts.iter().any(|th| th.eq_ignore_ascii_case(h) || host_match(Some(th), h).is_some()))
    })
}

/// The host whose certificate matters: the URL's (for https only), else the traced rule's.
fn tls_host<'a>(url: Option<&'a Url>, route: Option<Route<'a>>) -> Option<Option<&'a str>> {
    match url {
        Some(u) if u.tls() => Some(Some(u.host.as_str())),
        Some(_) => None,
        None => Some(route.and_then(|r| r.host)),
    }
}

/// The TLS Secret a trace of route `chosen` reads, if any: `(namespace, name)`.
pub fn tls_secret(ing: &Ingress, chosen: Option<usize>, url: Option<&Url>) -> Option<(String, String)> {
    let route = chosen.and_then(|i| routes(ing).get(i).copied());
    let host = tls_host(url, route)?;
    let name = tls_entry(ing, host)?.secret_name.clone().filter(|s| !s.is_empty())?;
    Some((ing.namespace().to_string(), name))
}

/// The TLS entry for the host and its Secret: for an https URL, or a rule whose host a `tls`
/// entry lists.
fn tls_hop(w: &EntryWorld, ing: &Ingress, route: Option<Route>, url: Option<&Url>) -> Option<Hop> {
    let host = tls_host(url, route)?;
    let https = url.is_some_and(|u| u.tls());
    let Some(entry) = tls_entry(ing, host) else {
        if !https {
            return None;
        }
        let h = host.unwrap_or("*");
        let listed: Vec<String> = ing
            .spec
            .iter()
            .flat_map(|s| s.tls.iter().flatten())
            .flat_map(|t| t.hosts.clone().unwrap_or_default())
            .collect();
        return Some(
            hop(
                "tls",
                Status::Warn,
                format!(
                    "no tls entry of Ingress {} lists {h}: the controller answers with its default certificate",
                    ing.key()
                ),
            )
            .finding(Finding {
                cause: "NoTLSForHost".into(),
                evidence: vec![if listed.is_empty() {
                    "spec.tls is empty".into()
                } else {
                    format!("spec.tls hosts: {}", listed.join(", "))
                }],
                command: format!(
                    "kubectl get ingress {} -n {} -o jsonpath='{{.spec.tls}}'",
                    ing.name(),
                    ing.namespace()
                ),
            })
            .fix(format!("add {h} to a spec.tls entry with a Secret whose certificate covers it")),
        );
    };
    let Some(secret) = entry.secret_name.as_deref().filter(|s| !s.is_empty()) else {
        return Some(hop("tls", Status::Ok, "tls entry without secretName: the controller's default certificate"));
    };
    let c = tls::check(&w.secrets, ing.namespace(), secret, host, w.now);
    let mut h = hop("tls", c.status, c.line);
    if let Some(f) = c.finding {
        h = h
            .fix("give the tls entry a Secret of type kubernetes.io/tls whose certificate covers the host and is valid")
            .finding(f);
    }
    Some(h)
}

/// Which rule serves the URL, or (for `ingress/NAME`) every route and the one traced.
fn rule_hop(ing: &Ingress, rs: &[Route], chosen: Option<usize>, url: Option<&Url>, also: Vec<String>) -> Hop {
    let Some(r) = chosen.and_then(|i| rs.get(i)) else {
        return hop("ingress-rule", Status::Fail, format!("Ingress {} has no rules and no defaultBackend", ing.key()))
            .finding(Finding {
                cause: "NoRules".into(),
                evidence: vec!["spec.rules and spec.defaultBackend are empty".into()],
                command: format!("kubectl edit ingress {} -n {}", ing.name(), ing.namespace()),
            })
            .fix("add a rule (host, path and backend) or a defaultBackend");
    };
    let mut details = vec![];
    let reason = match url {
        Some(u) if r.path.is_some() => format!(
            "{} {} → rule {} of Ingress {} → {}",
            u.host,
            u.path,
            r.label(),
            ing.key(),
            backend_label(r.backend)
        ),
        Some(u) => format!(
            "no rule matches {} {}: the defaultBackend of Ingress {} → {}",
            u.host,
            u.path,
            ing.key(),
            backend_label(r.backend)
        ),
        None => {
            for (i, x) in rs.iter().enumerate().take(12) {
                let mark = if Some(i) == chosen { " (traced)" } else { "" };
                details.push(format!("{} → {}{mark}", x.label(), backend_label(x.backend)));
            }
            if rs.len() > 12 {
                details.push(format!("… {} more", rs.len() - 12));
            }
            format!("{} route(s); traced: {} → {}", rs.len(), r.label(), backend_label(r.backend))
        }
    };
    if r.path_type == "ImplementationSpecific" {
        details
            .push("pathType ImplementationSpecific: matched here as Prefix; the controller's own rules decide".into());
    }
    for a in also {
        details.push(format!("also matches, with lower precedence: {a}"));
    }
    hop("ingress-rule", Status::Ok, reason).details(details)
}

/// What one backend resolves to: a line, and its status and cause when it does not.
struct Resolved<'a> {
    line: String,
    status: Status,
    finding: Option<Finding>,
    service: Option<&'a Service>,
    port: Option<PortSel>,
}

fn resolve<'a>(w: &'a EntryWorld, ing: &Ingress, r: &Route) -> Resolved<'a> {
    let ns = ing.namespace();
    let edit = format!("kubectl edit ingress {} -n {ns}", ing.name());
    let bad = |status: Status, line: String, cause: &str, evidence: Vec<String>, command: String| Resolved {
        line,
        status,
        finding: Some(Finding { cause: cause.into(), evidence, command }),
        service: None,
        port: None,
    };
    let Some(s) = r.backend.service.as_ref() else {
        return match &r.backend.resource {
            Some(res) => bad(
                Status::Warn,
                format!("a {} resource, not a Service; not traced", res.kind),
                "BackendNotService",
                vec![format!("backend.resource {}/{}", res.kind, res.name)],
                format!("kubectl get {} {} -n {ns}", res.kind.to_ascii_lowercase(), res.name),
            ),
            None => bad(Status::Fail, "no backend".into(), "NoBackend", vec![], edit),
        };
    };
    let service = match w.services.find(ns, &s.name) {
        Lookup::Found(svc) => svc,
        Lookup::Missing => {
            let names: Vec<&str> = w.services.in_namespace(ns).map(|s| s.name()).take(8).collect();
            return bad(
                Status::Fail,
                format!("Service {ns}/{} does not exist", s.name),
                "BackendServiceNotFound",
                vec![
                    format!(
                        "Ingress {} routes {} to Service {}, which namespace {ns} does not have",
                        ing.key(),
                        r.label(),
                        s.name
                    ),
                    format!("Services in {ns}: {}", if names.is_empty() { "none".into() } else { names.join(", ") }),
                ],
                format!("kubectl get services -n {ns}"),
            );
        }
        Lookup::Hidden(m) => {
            return Resolved {
                line: format!("Services are not visible: {m}"),
                status: Status::Warn,
                finding: None,
                service: None,
                port: None,
            };
        }
        Lookup::Unread => {
            return Resolved {
                line: "not checked".into(),
                status: Status::Ok,
                finding: None,
                service: None,
                port: None,
            };
        }
    };
    let Some(port) = port_of(r.backend) else {
        return bad(
            Status::Fail,
            "the backend names no port".into(),
            "BackendPortNotFound",
            vec!["backend.service.port has neither a name nor a number".into()],
            edit,
        );
    };
    let ports = service.spec.as_ref().and_then(|s| s.ports.clone()).unwrap_or_default();
    let found = ports.iter().any(|p| match &port {
        PortSel::Number(n) => p.port == *n,
        PortSel::Name(n) => p.name.as_deref() == Some(n.as_str()),
    });
    if !found {
        let have: Vec<String> = ports
            .iter()
            .map(|p| match &p.name {
                Some(n) => format!("{} ({n})", p.port),
                None => p.port.to_string(),
            })
            .collect();
        let by = if matches!(port, PortSel::Name(_)) { "named" } else { "numbered" };
        return bad(
            Status::Fail,
            format!("Service {ns}/{} has no port {by} {port}", s.name),
            "BackendPortNotFound",
            vec![format!(
                "Service {ns}/{} ports: {}",
                s.name,
                if have.is_empty() { "none".into() } else { have.join(", ") }
            )],
            edit,
        );
    }
    Resolved {
        line: format!("Service {ns}/{} port {port}", s.name),
        status: Status::Ok,
        finding: None,
        service: Some(service),
        port: Some(port),
    }
}

/// The traced route's backend (and for `ingress/NAME`, every route's): the Service and port
/// exist.
fn backend_hop(
    w: &EntryWorld,
    ing: &Ingress,
    rs: &[Route],
    chosen: Option<usize>,
    every: bool,
) -> (Option<Hop>, Option<Backend>, Vec<EntryBackend>) {
    let Some(ci) = chosen.filter(|i| *i < rs.len()) else {
        return (None, None, vec![]);
    };
    let order: Vec<usize> = if every { (0..rs.len()).collect() } else { vec![ci] };
    let mut status = Status::Ok;
    let mut details = vec![];
    let mut finding = None;
    let mut backend = None;
    let mut backends = vec![];
    let mut traced_line = String::new();
    let mut first_bad = None;
    let mut bad = 0;
    for i in order {
        let Some(r) = rs.get(i) else { continue };
        let res = resolve(w, ing, r);
        let line = format!("{} → {}: {}", r.label(), backend_label(r.backend), res.line);
        if i == ci {
            traced_line = res.line.clone();
            if let (Some(svc), Some(port)) = (res.service, res.port.clone()) {
                backend = Some(Backend {
                    namespace: svc.namespace().into(),
                    name: svc.name().into(),
                    port,
                    service: svc.clone(),
                });
            }
        }
        let b = EntryBackend {
            backend: format!("{}/{}", ing.namespace(), backend_label(r.backend)),
            weight: None,
            status: res.status,
            traced: i == ci && backend.is_some(),
        };
        if !backends.iter().any(|x: &EntryBackend| x.backend == b.backend) {
            backends.push(b);
        }
        if res.status == Status::Fail {
            bad += 1;
            first_bad.get_or_insert_with(|| line.clone());
        }
        if res.status > status {
            status = res.status;
            finding = res.finding;
        }
        if every && details.len() < 12 {
            details.push(if i == ci { format!("{line} (traced)") } else { line });
        }
    }
    let reason = match first_bad {
        Some(first) if every && rs.len() > 1 => format!("{bad} of {} route(s) lead nowhere: {first}", rs.len()),
        _ => {
            if !every || rs.len() < 2 {
                details.clear();
            }
            traced_line
        }
    };
    let mut h = hop("backend", status, reason).details(details);
    if let Some(f) = finding {
        h = h.fix(match f.cause.as_str() {
            "BackendServiceNotFound" => "create the Service, or point the rule at one that exists",
            "BackendPortNotFound" => "make the backend's port match a Service port by number or name",
            _ => "point the rule at a Service",
        });
        h = h.finding(f);
    }
    (Some(h), backend, backends)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_as_the_ingress_spec_says() {
        assert_eq!(host_match(Some("shop.example.com"), "shop.example.com"), Some(2));
        assert_eq!(host_match(Some("Shop.Example.com"), "shop.example.com"), Some(2));
        assert_eq!(host_match(Some("*.example.com"), "shop.example.com"), Some(1));
        assert_eq!(host_match(Some("*.example.com"), "a.shop.example.com"), None, "one label only");
        assert_eq!(host_match(Some("*.example.com"), "example.com"), None);
        assert_eq!(host_match(None, "anything.example.com"), Some(0));
        assert_eq!(host_match(Some("shop.example.com"), "www.example.com"), None);
    }

    #[test]
    fn paths_match_element_by_element() {
        // The Ingress spec's examples.
        for (kind, rule, path, want) in [
            ("Prefix", "/", "/anything", true),
            ("Exact", "/foo", "/foo", true),
            ("Exact", "/foo", "/bar", false),
            ("Exact", "/foo", "/foo/", false),
            ("Exact", "/foo/", "/foo", false),
            ("Prefix", "/foo", "/foo", true),
            ("Prefix", "/foo", "/foo/", true),
            ("Prefix", "/foo/", "/foo", true),
            ("Prefix", "/aaa/bb", "/aaa/bbb", false),
            ("Prefix", "/aaa/bbb", "/aaa/bbb", true),
            ("Prefix", "/aaa/bbb/", "/aaa/bbb", true),
            ("Prefix", "/aaa/bbb", "/aaa/bbb/", true),
            ("Prefix", "/aaa/bbb", "/aaa/bbb/ccc", true),
            ("Prefix", "/aaa/bbb", "/aaa/bbbxyz", false),
            ("ImplementationSpecific", "/api", "/api/v1", true),
        ] {
            assert_eq!(path_match(kind, rule, path), want, "{kind} {rule} vs {path}");
        }
    }

    fn ingress(name: &str, created: &str, spec: serde_json::Value) -> Ingress {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "shop", "creationTimestamp": created},
            "spec": spec
        }))
        .expect("ingress")
    }

    fn rule(host: Option<&str>, path: &str, kind: &str, svc: &str) -> serde_json::Value {
        let mut r = serde_json::json!({"http": {"paths": [{"path": path, "pathType": kind, "backend": {"service": {"name": svc, "port": {"number": 80}}}}]}});
        if let Some(h) = host {
            r["host"] = h.into();
        }
        r
    }

    fn url(host: &str, path: &str) -> Url {
        Url { scheme: "https".into(), host: host.into(), port: None, path: path.into() }
    }

    #[test]
    fn the_most_specific_rule_serves_the_url() {
        let ings = vec![
            ingress(
                "any",
                "2024-01-01T00:00:00Z",
                serde_json::json!({"rules": [rule(None, "/", "Prefix", "catch-all")]}),
            ),
            ingress(
                "wild",
                "2024-01-02T00:00:00Z",
                serde_json::json!({"rules": [rule(Some("*.example.com"), "/api", "Prefix", "wild-api")]}),
            ),
            ingress(
                "shop",
                "2024-01-03T00:00:00Z",
                serde_json::json!({"rules": [rule(Some("shop.example.com"), "/", "Prefix", "web"), rule(Some("shop.example.com"), "/api", "Prefix", "api"), rule(Some("shop.example.com"), "/api", "Exact", "api-root")]}),
            ),
            ingress(
                "late",
                "2024-01-04T00:00:00Z",
                serde_json::json!({"rules": [rule(Some("shop.example.com"), "/api", "Exact", "late")]}),
            ),
            ingress(
                "default",
                "2024-01-05T00:00:00Z",
                serde_json::json!({"defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}}}),
            ),
        ];
        let first = |u: &Url| {
            let h = hits(&ings, u);
            let h = h.first().expect("a hit");
            let r = routes(&ings[h.ingress])[h.route];
            format!("{} {}", ings[h.ingress].name(), backend_label(r.backend))
        };
        // Exact host, then the longest path, then Exact over Prefix; the older Ingress on a tie.
        assert_eq!(first(&url("shop.example.com", "/api")), "shop api-root:80");
        assert_eq!(first(&url("shop.example.com", "/api/v1")), "shop api:80");
        assert_eq!(first(&url("shop.example.com", "/cart")), "shop web:80");
        // A wildcard host beats a rule without one.
        assert_eq!(first(&url("www.example.com", "/api/x")), "wild wild-api:80");
        assert_eq!(first(&url("www.example.com", "/cart")), "any catch-all:80");
        assert_eq!(first(&url("other.org", "/x")), "any catch-all:80");
        // Nothing but the defaultBackend after the rules.
        let only_default = vec![
            ings[4].clone(),
            ingress(
                "x",
                "2024-01-01T00:00:00Z",
                serde_json::json!({"rules": [rule(Some("a.example.com"), "/", "Prefix", "a")]}),
            ),
        ];
        let h = hits(&only_default, &url("b.example.com", "/"));
        assert_eq!(h.len(), 1);
        assert!(!is_rule(&h[0]));
    }
}
