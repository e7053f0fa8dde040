//! An HTTPRoute as the way in (Gateway API, `gateway.networking.k8s.io/v1`): its parent
//! Gateways, their GatewayClass and controller, their `Accepted`/`Programmed` conditions and
//! listeners; whether a listener takes the route (protocol, `allowedRoutes` namespaces and kinds,
//! hostnames); the route's own `Accepted`/`ResolvedRefs` conditions as the controller wrote them;
//! which rule serves a URL; and each backendRef → Service and port, with weights and the
//! ReferenceGrant a cross-namespace backend needs.
//!
//! Conditions are the controllers': trace-svc never guesses them. A Gateway or GatewayClass
//! whose condition is still the CRD's default (`Unknown`, `Pending`, "Waiting for controller")
//! has not been accepted by any controller, and an HTTPRoute whose `status.parents` has no
//! entry for a Gateway has not been accepted through it: both are failures, said as such.
//!
//! Matching, from the spec: hostnames `*.example.com` match any name under `example.com`
//! (`a.example.com`, `a.b.example.com`), not `example.com`; a listener and a route must share
//! a hostname when both have some. Paths: `Exact`, `PathPrefix` (element by element, as an
//! Ingress's `Prefix`), `RegularExpression` (matched whole, with RE2 syntax as Envoy does; the
//! spec leaves it to the implementation). Precedence across the routes of a listener: the
//! longest matching non-wildcard hostname, the longest matching hostname, an `Exact` path, the
//! longest `PathPrefix`, a method, the most header matches, the most query matches, the oldest
//! route, `namespace/name` order, rule order. Header, method and query matches are shown; a bare
//! URL is not required to carry them.
//!
//! | hop | cause | when |
//! |---|---|---|
//! | `gateway` | `NoParent` | the route names no Gateway |
//! | | `GatewayNotFound` | the parent Gateway does not exist |
//! | | `GatewayClassNotFound` | its GatewayClass does not exist |
//! | | `GatewayClassNotAccepted` | no controller has accepted the class (or it refused it) |
//! | | `GatewayNotAccepted` / `GatewayNotProgrammed` | the Gateway's conditions are not True |
//! | | `NoListenerForURL` | no listener for the URL's scheme, port and host |
//! | | `NoMatchingParent` | the parentRef's sectionName or port names no listener |
//! | | `NotAllowedByListeners` | the listeners refuse the route's namespace or kind |
//! | | `NoMatchingListenerHostname` | no hostname shared by listener and route |
//! | | `ListenerNotReady` | the controller reports the listener not Programmed, refs unresolved or in conflict |
//! | `tls` | `NoCertificateRef`, `RefNotPermitted`, (see [`super::tls`]) | the HTTPS listener's certificate |
//! | `httproute` | `RouteNotAccepted` | no controller has accepted the route for the Gateway, or it refused it |
//! | | `RouteRefsNotResolved` | the controller reports ResolvedRefs not True |
//! | `backend` | `NoBackends` | the rule has no backendRefs and no redirect: 500 |
//! | | `BackendNotFound` | the Service does not exist |
//! | | `BackendPortNotFound` | no port, or a port the Service lacks |
//! | | `RefNotPermitted` | a cross-namespace backend with no ReferenceGrant |
//! | | `UnsupportedBackend` (warn) | a backend that is not a core Service: not traced |
//! | | `AllWeightsZero` | every backend has weight 0 |

use k8s_openapi::api::core::v1::Service;

use super::ingress::prefix_match;
use super::objects::{
    Condition, Gateway, HttpRoute, Listener, Lookup, Meta, ObjectRef, RouteMatch, RouteParentStatus, RouteRule,
    condition, created,
};
use super::{Backend, EntryWorld, Outcome, tls};
use crate::model::{Entry, EntryBackend, EntryBox, Finding, Hop, Status, hop};
use crate::target::{PortSel, Url};

/// The Gateway API's group.
pub const GROUP: &str = "gateway.networking.k8s.io";

/// Whether a Gateway API hostname (`*.example.com` a suffix of one or more labels) matches
/// `host`.
pub fn hostname_match(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.len().checked_sub(suffix.len() + 1).is_some_and(|cut| {
            cut > 0 && host.get(cut..).is_some_and(|t| t.eq_ignore_ascii_case(&format!(".{suffix}")))
        }),
        None => pattern.eq_ignore_ascii_case(host),
    }
}

/// Whether a listener's hostname and a route's hostnames share one (either side empty: yes).
fn hostnames_intersect(listener: Option<&str>, route: &[String]) -> bool {
    match listener {
        None => true,
        Some(_) if route.is_empty() => true,
        Some(l) => route.iter().any(|r| hostname_match(l, r) || hostname_match(r, l)),
    }
}

/// True for a parentRef to a Gateway (its group and kind are those by default).
pub fn is_gateway(p: &ObjectRef) -> bool {
    p.group_or(GROUP) == GROUP && p.kind_or("Gateway") == "Gateway"
}

/// `Gateway shop/web`, `Gateway shop/web listener https`.
fn parent_label(p: &ObjectRef, route_ns: &str) -> String {
    let mut s = format!("Gateway {}/{}", p.namespace_or(route_ns), p.name);
    if let Some(sec) = &p.section_name {
        s.push_str(&format!(" listener {sec}"));
    }
    if let Some(port) = p.port {
        s.push_str(&format!(" port {port}"));
    }
    s
}

/// The listeners a parentRef selects: by sectionName and port when given, else all.
fn selected<'a>(gw: &'a Gateway, p: &ObjectRef) -> Vec<&'a Listener> {
    gw.spec
        .listeners
        .iter()
        .filter(|l| p.section_name.as_ref().is_none_or(|s| *s == l.name) && p.port.is_none_or(|port| port == l.port))
        .collect()
}

/// Why a listener refuses a route (the cause and a sentence), or `None` when it takes it.
fn refuses(w: &EntryWorld, gw: &Gateway, l: &Listener, route: &HttpRoute) -> Option<(&'static str, String)> {
    let allowed = l.allowed_routes.clone().unwrap_or_default();
    let kind_ok = if allowed.kinds.is_empty() {
        matches!(l.protocol.as_str(), "HTTP" | "HTTPS")
    } else {
        allowed.kinds.iter().any(|k| k.kind == "HTTPRoute" && k.group.as_deref().unwrap_or(GROUP) == GROUP)
    };
    if !kind_ok {
        let kinds: Vec<&str> = allowed.kinds.iter().map(|k| k.kind.as_str()).collect();
        let why = if kinds.is_empty() {
            format!("listener {} is {}, which takes no HTTPRoutes", l.name, l.protocol)
        } else {
            format!("listener {} allows only {}", l.name, kinds.join(", "))
        };
        return Some(("NotAllowedByListeners", why));
    }
    let ns = allowed.namespaces.clone().unwrap_or_default();
    let route_ns = route.namespace();
    match ns.from.as_deref().unwrap_or("Same") {
        "All" => {}
        "Selector" => {
            let sel = ns.selector.clone().unwrap_or_default();
            // When its labels are not known, say nothing rather than guess.
            if let Lookup::Found(n) = w.namespaces.find("", route_ns) {
                let labels = n.metadata.labels.clone().unwrap_or_default();
                if !kubectl_kit_core::selector::matches(&sel, &labels) {
                    return Some((
                        "NotAllowedByListeners",
                        format!(
                            "listener {} allows routes from namespaces {} only, and namespace {route_ns} does not match",
                            l.name,
                            kubectl_kit_core::selector::to_string(&sel)
                        ),
                    ));
                }
            }
        }
        _ if route_ns != gw.namespace() => {
            return Some((
                "NotAllowedByListeners",
                format!(
                    "listener {} allows routes from its own namespace {} only; the route is in {route_ns}",
                    l.name,
                    gw.namespace()
                ),
            ));
        }
        _ => {}
    }
    if !hostnames_intersect(l.hostname.as_deref(), &route.spec.hostnames) {
        return Some((
            "NoMatchingListenerHostname",
            format!(
                "listener {} is for {}, and the route's hostnames ({}) share none with it",
                l.name,
                l.hostname.as_deref().unwrap_or("*"),
                route.spec.hostnames.join(", ")
            ),
        ));
    }
    None
}

/// The route's status entry for a parentRef, as a controller wrote it.
fn route_status<'a>(route: &'a HttpRoute, p: &ObjectRef) -> Option<&'a RouteParentStatus> {
    let ns = route.namespace();
    route.status.parents.iter().find(|s| {
        s.parent_ref.name == p.name
            && s.parent_ref.namespace_or(ns) == p.namespace_or(ns)
            && s.parent_ref.section_name == p.section_name
            && is_gateway(&s.parent_ref)
    })
}

/// Whether a listener serves the URL's scheme and port.
fn serves(l: &Listener, url: &Url) -> bool {
    let protocol = if url.tls() { "HTTPS" } else { "HTTP" };
    l.protocol == protocol && i32::from(url.effective_port()) == l.port
}

/// `PathPrefix /api`, `Exact /`, `RegularExpression ^/v[0-9]+`.
fn path_label(m: &RouteMatch) -> String {
    let p = m.path.clone().unwrap_or_default();
    format!("{} {}", p.type_.as_deref().unwrap_or("PathPrefix"), p.value.as_deref().unwrap_or("/"))
}

/// What else a match requires besides the path: method, headers, query parameters.
fn requirements(m: &RouteMatch) -> Vec<String> {
    let mut out = vec![];
    if let Some(me) = &m.method {
        out.push(format!("method {me}"));
    }
    for h in &m.headers {
        let how = if h.type_.as_deref() == Some("RegularExpression") { " ~" } else { ":" };
        out.push(format!("header {}{how} {}", h.name, h.value));
    }
    for q in &m.query_params {
        out.push(format!("query {}={}", q.name, q.value));
    }
    out
}

/// The matches of a rule; none means one that matches every request (`PathPrefix /`).
fn matches_of(r: &RouteRule) -> Vec<RouteMatch> {
    if r.matches.is_empty() { vec![RouteMatch::default()] } else { r.matches.clone() }
}

/// How a match's path matches `path`: `Some((kind rank, length))` (Exact 2, PathPrefix 1,
/// RegularExpression 0).
fn path_rank(m: &RouteMatch, path: &str) -> Option<(u8, usize)> {
    let p = m.path.clone().unwrap_or_default();
    let value = p.value.unwrap_or_else(|| "/".into());
    match p.type_.as_deref().unwrap_or("PathPrefix") {
        "Exact" => (value == path).then_some((2, value.len())),
        "RegularExpression" => {
            let re = regex::RegexBuilder::new(&format!("^(?:{value})$")).size_limit(1 << 20).build().ok()?;
            re.is_match(path).then_some((0, value.len()))
        }
        _ => prefix_match(&value, path).then_some((1, value.trim_end_matches('/').len())),
    }
}

/// A rule of a route that matches a URL, and how well.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Index into the pool's HTTPRoutes.
    pub route: usize,
    /// Index into its parentRefs.
    pub parent: usize,
    pub rule: usize,
    pub matched: usize,
    /// (attached, non-wildcard host length, host length, path kind, path length, method,
    /// headers, query parameters): higher is more specific.
    rank: (u8, usize, usize, u8, usize, bool, usize, usize),
    created: String,
    key: String,
}

/// Every rule of the cluster's HTTPRoutes that matches `url`, the one that serves it first.
/// Routes attached (as far as their listeners' rules go) come before those whose Gateway or
/// listener would refuse them, which come before those whose Gateway does not exist.
pub fn hits(w: &EntryWorld, url: &Url) -> Vec<Hit> {
    let mut out = vec![];
    for (ri, route) in w.routes.items.iter().enumerate() {
        let host_of_route =
            route.spec.hostnames.iter().filter(|h| hostname_match(h, &url.host)).max_by_key(|h| h.len());
        if !route.spec.hostnames.is_empty() && host_of_route.is_none() {
            continue;
        }
        for (pi, p) in route.spec.parent_refs.iter().enumerate().filter(|(_, p)| is_gateway(p)) {
            let (attached, listener_host) = match w.gateways.find(p.namespace_or(route.namespace()), &p.name) {
                Lookup::Found(gw) => {
                    let fits: Vec<&Listener> = selected(gw, p)
                        .into_iter()
                        .filter(|l| {
                            serves(l, url) && l.hostname.as_deref().is_none_or(|h| hostname_match(h, &url.host))
                        })
                        .collect();
                    match fits.iter().find(|l| refuses(w, gw, l, route).is_none()) {
                        Some(l) => (2, l.hostname.clone()),
                        None if host_of_route.is_some() || !fits.is_empty() => (1, None),
                        None => continue,
                    }
                }
                _ if host_of_route.is_some() => (0, None),
                _ => continue,
            };
            let host = host_of_route.cloned().or(listener_host).unwrap_or_default();
            let exact_host = if host.starts_with("*.") || host.is_empty() { 0 } else { host.len() };
            for (rule_i, rule) in route.spec.rules.iter().enumerate() {
                for (mi, m) in matches_of(rule).iter().enumerate() {
                    let Some((kind, len)) = path_rank(m, &url.path) else { continue };
                    out.push(Hit {
                        route: ri,
                        parent: pi,
                        rule: rule_i,
                        matched: mi,
                        rank: (
                            attached,
                            exact_host,
                            host.len(),
                            kind,
                            len,
                            m.method.is_some(),
                            m.headers.len(),
                            m.query_params.len(),
                        ),
                        created: created(route),
                        key: route.key(),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        b.rank
            .cmp(&a.rank)
            .then_with(|| a.created.cmp(&b.created))
            .then_with(|| a.key.cmp(&b.key))
            .then((a.rule, a.matched, a.parent).cmp(&(b.rule, b.matched, b.parent)))
    });
    out
}

/// `rule 2 (PathPrefix /api) of HTTPRoute shop/web`.
pub fn hit_label(w: &EntryWorld, h: &Hit) -> String {
    let Some(route) = w.routes.items.get(h.route) else { return String::new() };
    let m = route.spec.rules.get(h.rule).map(matches_of).and_then(|ms| ms.get(h.matched).cloned()).unwrap_or_default();
    format!("rule {} ({}) of HTTPRoute {}", h.rule + 1, path_label(&m), route.key())
}

/// For `httproute/NAME`: the parent traced (the first Gateway whose listeners take the route,
/// else the first Gateway) and the rule traced (the first whose backends resolve, else the
/// first).
pub fn first_parent_and_rule(w: &EntryWorld, route: &HttpRoute) -> (Option<usize>, Option<usize>) {
    let ns = route.namespace();
    let gateways: Vec<(usize, &ObjectRef)> =
        route.spec.parent_refs.iter().enumerate().filter(|(_, p)| is_gateway(p)).collect();
    let takes = gateways.iter().find(|(_, p)| match w.gateways.find(p.namespace_or(ns), &p.name) {
        Lookup::Found(gw) => selected(gw, p).iter().any(|l| refuses(w, gw, l, route).is_none()),
        _ => false,
    });
    let parent = takes.or(gateways.first()).map(|(i, _)| *i);
    let rule = route
        .spec
        .rules
        .iter()
        .position(|r| r.backend_refs.iter().any(|b| resolve(w, route, b).service.is_some()))
        .or_else(|| (!route.spec.rules.is_empty()).then_some(0));
    (parent, rule)
}

/// The Gateway and listener a trace through parentRef `p` goes by: for a URL the listener for
/// its scheme, port and host, else the first the parentRef selects; one that takes the route
/// first.
pub fn traced_listener<'a>(
    w: &'a EntryWorld,
    route: &HttpRoute,
    p: &ObjectRef,
    url: Option<&Url>,
) -> Option<(&'a Gateway, &'a Listener)> {
    let Lookup::Found(gw) = w.gateways.find(p.namespace_or(route.namespace()), &p.name) else {
        return None;
    };
    let fitting: Vec<&Listener> = selected(gw, p)
        .into_iter()
        .filter(|l| {
            url.is_none_or(|u| serves(l, u) && l.hostname.as_deref().is_none_or(|h| hostname_match(h, &u.host)))
        })
        .collect();
    let l = fitting.iter().copied().find(|l| refuses(w, gw, l, route).is_none()).or(fitting.first().copied())?;
    Some((gw, l))
}

/// The certificate Secret of the traced HTTPS listener, `(namespace, name)`, when a trace
/// checks one.
pub fn tls_secret(w: &EntryWorld, route: &HttpRoute, p: &ObjectRef, url: Option<&Url>) -> Option<(String, String)> {
    let (gw, l) = traced_listener(w, route, p, url)?;
    if l.protocol != "HTTPS" || !url.is_none_or(Url::tls) {
        return None;
    }
    let r = l.tls.as_ref()?.certificate_refs.first()?;
    (r.group_or("").is_empty() && r.kind_or("Secret") == "Secret")
        .then(|| (r.namespace_or(gw.namespace()).to_string(), r.name.clone()))
}

/// Whether the route's namespace labels decide whether a parent's listeners take it.
pub fn needs_namespace_labels(w: &EntryWorld, route: &HttpRoute) -> bool {
    route.spec.parent_refs.iter().filter(|p| is_gateway(p)).any(|p| {
        match w.gateways.find(p.namespace_or(route.namespace()), &p.name) {
            Lookup::Found(gw) => gw.spec.listeners.iter().any(|l| {
                l.allowed_routes.as_ref().and_then(|a| a.namespaces.as_ref()).and_then(|n| n.from.as_deref())
                    == Some("Selector")
            }),
            _ => false,
        }
    })
}

/// The hops of the way in through `route`, tracing parentRef `parent` and rule `rule` (match
/// `matched`); `url` when the trace started at one, `also` the other rules it matched.
pub fn diagnose(
    w: &EntryWorld,
    route: &HttpRoute,
    parent: Option<usize>,
    rule: Option<(usize, usize)>,
    url: Option<&Url>,
    also: Vec<String>,
) -> Outcome {
    let p = parent.and_then(|i| route.spec.parent_refs.get(i));
    let (gw_hop, listener) = gateway_hop(w, route, p, url);
    let mut hops = vec![gw_hop];
    let gw = p.and_then(|p| match w.gateways.find(p.namespace_or(route.namespace()), &p.name) {
        Lookup::Found(g) => Some(g),
        _ => None,
    });
    if let (Some(gw), Some(l)) = (gw, listener)
        && (l.protocol == "HTTPS" && url.is_none_or(Url::tls))
    {
        hops.push(tls_hop(w, gw, l, url));
    }
    hops.push(route_hop(w, route, p, gw, rule, url, also));
    let (bhop, backend, backends) = backend_hop(w, route, rule.map(|r| r.0));
    hops.push(bhop);
    let status_of =
        |names: &[&str]| hops.iter().filter(|h| names.contains(&h.hop)).map(|h| h.status).max().unwrap_or_default();
    let mut chain = vec![];
    if let Some(gw) = gw {
        chain.push(EntryBox {
            title: format!("Gateway {}", gw.key()),
            detail: match listener {
                Some(l) => {
                    format!("class {}, listener {} {} :{}", gw.spec.gateway_class_name, l.name, l.protocol, l.port)
                }
                None => format!("class {}", gw.spec.gateway_class_name),
            },
            status: status_of(&["gateway", "tls"]),
        });
    } else if let Some(p) = p {
        chain.push(EntryBox {
            title: parent_label(p, route.namespace()),
            detail: "not found".into(),
            status: status_of(&["gateway"]),
        });
    }
    let rule_label = rule.and_then(|(r, m)| {
        route.spec.rules.get(r).map(|x| (r, matches_of(x).get(m).map(path_label).unwrap_or_default()))
    });
    chain.push(EntryBox {
        title: format!("HTTPRoute {}", route.key()),
        detail: rule_label.as_ref().map(|(r, l)| format!("rule {} {l}", r + 1)).unwrap_or_default(),
        status: status_of(&["httproute"]),
    });
    Outcome {
        hops,
        entry: Entry {
            url: url.map(|u| u.to_string()),
            kind: Some("HTTPRoute".into()),
            name: Some(route.key()),
            rule: rule_label.map(|(r, l)| format!("rule {} ({l})", r + 1)),
            backend: backend.as_ref().map(|b| format!("{}/{}:{}", b.namespace, b.name, b.port)),
            backends,
            chain,
            traced: false,
        },
        backend,
    }
}

fn fail(cause: &str, evidence: Vec<String>, command: String) -> Option<Finding> {
    Some(Finding { cause: cause.into(), evidence, command })
}

/// `listener https: HTTPS :443 *.example.com, routes from Same namespace; 1 attached route, Programmed True`.
fn listener_line(gw: &Gateway, l: &Listener) -> String {
    let from = l
        .allowed_routes
        .as_ref()
        .and_then(|a| a.namespaces.as_ref())
        .and_then(|n| n.from.clone())
        .unwrap_or_else(|| "Same".into());
    let from = match from.as_str() {
        "Same" => "routes from its namespace".to_string(),
        "All" => "routes from all namespaces".to_string(),
        other => format!("routes from namespaces by {other}"),
    };
    let mut s =
        format!("listener {}: {} :{} {}, {from}", l.name, l.protocol, l.port, l.hostname.as_deref().unwrap_or("*"));
    match gw.status.listeners.iter().find(|s| s.name == l.name) {
        Some(st) => {
            s.push_str(&format!("; {} attached route(s)", st.attached_routes));
            let conds: Vec<String> = st.conditions.iter().map(|c| format!("{} {}", c.type_, c.status)).collect();
            if !conds.is_empty() {
                s.push_str(&format!(", {}", conds.join(", ")));
            }
        }
        None => s.push_str("; no status from a controller"),
    }
    s
}

/// The reason a listener the controller reported on is not ready, if so.
fn listener_problem(gw: &Gateway, l: &Listener) -> Option<String> {
    let st = gw.status.listeners.iter().find(|s| s.name == l.name)?;
    st.conditions
        .iter()
        .find(|c| {
            (matches!(c.type_.as_str(), "Accepted" | "Programmed" | "ResolvedRefs") && c.status == "False")
                || (c.type_ == "Conflicted" && c.status == "True")
        })
        .map(Condition::describe)
}

/// The parent Gateway: its class and controller, its conditions, the listener for the URL (or
/// the route) and whether it takes the route. Returns the listener traced.
fn gateway_hop<'a>(
    w: &'a EntryWorld,
    route: &HttpRoute,
    p: Option<&ObjectRef>,
    url: Option<&Url>,
) -> (Hop, Option<&'a Listener>) {
    let rns = route.namespace();
    let mut details = vec![];
    for (i, other) in route.spec.parent_refs.iter().enumerate() {
        if Some(other) == p {
            continue;
        }
        if is_gateway(other) {
            details.push(format!("also parentRefs[{i}]: {} (not traced)", parent_label(other, rns)));
        } else {
            details.push(format!(
                "also parentRefs[{i}]: {} {} (not a Gateway; not traced)",
                other.kind_or("Gateway"),
                other.name
            ));
        }
    }
    let Some(p) = p else {
        let h = hop(
            "gateway",
            Status::Fail,
            format!("HTTPRoute {} names no Gateway: nothing routes traffic to it", route.key()),
        )
        .details(details)
        .finding(Finding {
            cause: "NoParent".into(),
            evidence: vec!["spec.parentRefs has no Gateway".into()],
            command: format!("kubectl edit httproute {} -n {rns}", route.name()),
        })
        .fix("add a parentRef to the Gateway that should serve it");
        return (h, None);
    };
    let gns = p.namespace_or(rns).to_string();
    let gw = match w.gateways.find(&gns, &p.name) {
        Lookup::Found(g) => g,
        Lookup::Missing => {
            let names: Vec<String> = w.gateways.items.iter().map(|g| g.key()).take(8).collect();
            let h = hop("gateway", Status::Fail, format!("{} does not exist", parent_label(p, rns)))
                .details(details)
                .finding(Finding {
                    cause: "GatewayNotFound".into(),
                    evidence: vec![
                        format!("parentRef {}", parent_label(p, rns)),
                        format!("Gateways read: {}", if names.is_empty() { "none".into() } else { names.join(", ") }),
                    ],
                    command: "kubectl get gateways -A".into(),
                })
                .fix("create the Gateway, or point parentRefs at one that exists");
            return (h, None);
        }
        Lookup::Hidden(m) => {
            return (
                hop("gateway", Status::Warn, format!("{} is not visible: {m}", parent_label(p, rns))).details(details),
                None,
            );
        }
        Lookup::Unread => {
            return (hop("gateway", Status::Ok, format!("{} (not read)", parent_label(p, rns))).details(details), None);
        }
    };
    let describe = format!("kubectl describe gateway {} -n {gns}", gw.name());
    let class_name = gw.spec.gateway_class_name.as_str();
    let mut finding: Option<Finding> = None;
    let mut reason = None;
    let mut controller = String::new();
    match w.gateway_classes.find("", class_name) {
        Lookup::Found(gc) => {
            controller = gc.spec.controller_name.clone();
            let accepted = condition(&gc.status.conditions, "Accepted");
            details.insert(
                0,
                match accepted {
                    Some(c) => format!("GatewayClass {class_name} → controller {controller}: {}", c.describe()),
                    None => format!("GatewayClass {class_name} → controller {controller}: no Accepted condition"),
                },
            );
            if accepted.is_none_or(|c| c.status != "True") {
                let unwritten = accepted.is_none_or(Condition::unwritten);
                reason = Some(if unwritten {
                    format!(
                        "no controller has accepted GatewayClass {class_name}: none named {controller} has written its status"
                    )
                } else {
                    format!("controller {controller} did not accept GatewayClass {class_name}")
                });
                let mut ev = vec![format!(
                    "GatewayClass {class_name}: controllerName {controller}, {}",
                    accepted.map(Condition::describe).unwrap_or_else(|| "no Accepted condition".into())
                )];
                if unwritten {
                    ev.push("the status is the API server's default: no controller has reported on this class".into());
                }
                finding = fail("GatewayClassNotAccepted", ev, "kubectl get gatewayclasses".into());
            }
        }
        Lookup::Missing => {
            let names: Vec<&str> = w.gateway_classes.items.iter().map(|c| c.name()).collect();
            reason = Some(format!("GatewayClass {class_name} of Gateway {} does not exist", gw.key()));
            finding = fail(
                "GatewayClassNotFound",
                vec![
                    format!("Gateway {}: gatewayClassName {class_name}", gw.key()),
                    format!("GatewayClasses: {}", if names.is_empty() { "none".into() } else { names.join(", ") }),
                ],
                "kubectl get gatewayclasses".into(),
            );
        }
        Lookup::Hidden(m) => details.insert(0, format!("GatewayClass {class_name} is not visible: {m}")),
        Lookup::Unread => details.insert(0, format!("GatewayClass {class_name} (not read)")),
    }
    let conds: Vec<String> = ["Accepted", "Programmed"]
        .iter()
        .map(|t| condition(&gw.status.conditions, t).map(Condition::describe).unwrap_or_else(|| format!("{t}: none")))
        .collect();
    details.insert(1.min(details.len()), format!("Gateway {}: {}", gw.key(), conds.join(", ")));
    let addresses: Vec<&str> = gw.status.addresses.iter().map(|a| a.value.as_str()).collect();
    details.push(if addresses.is_empty() {
        "address: none published".into()
    } else {
        format!("address: {}", addresses.join(", "))
    });
    if finding.is_none() {
        for t in ["Accepted", "Programmed"] {
            let c = condition(&gw.status.conditions, t);
            if c.is_none_or(|c| c.status != "True") {
                let unwritten = c.is_none_or(Condition::unwritten);
                reason = Some(if unwritten {
                    format!(
                        "no controller has {} Gateway {}",
                        if t == "Accepted" { "accepted" } else { "programmed" },
                        gw.key()
                    )
                } else {
                    format!("Gateway {} is not {t}: {}", gw.key(), c.map(|c| c.reason.as_str()).unwrap_or_default())
                });
                let mut ev = vec![format!(
                    "Gateway {}: {}",
                    gw.key(),
                    c.map(Condition::describe).unwrap_or_else(|| format!("no {t} condition"))
                )];
                if unwritten {
                    ev.push(
                        "the status is the API server's default: no controller has reported on this Gateway".into(),
                    );
                }
                finding = fail(
                    if t == "Accepted" { "GatewayNotAccepted" } else { "GatewayNotProgrammed" },
                    ev,
                    describe.clone(),
                );
                break;
            }
        }
    }
    let candidates = selected(gw, p);
    for l in &gw.spec.listeners {
        details.push(listener_line(gw, l));
    }
    // The listener traced: for a URL the one for its scheme, port and host; else the first
    // selected one that takes the route.
    let fit = |l: &&Listener| {
        url.is_none_or(|u| serves(l, u) && l.hostname.as_deref().is_none_or(|h| hostname_match(h, &u.host)))
    };
    let fitting: Vec<&Listener> = candidates.iter().copied().filter(fit).collect();
    let taking = fitting.iter().copied().find(|l| refuses(w, gw, l, route).is_none());
    let listener = taking.or(fitting.first().copied());
    if finding.is_none() {
        if candidates.is_empty() {
            reason = Some(format!("{} names no listener of Gateway {}", parent_label(p, rns), gw.key()));
            finding = fail(
                "NoMatchingParent",
                vec![
                    format!(
                        "parentRef sectionName {} port {}",
                        p.section_name.as_deref().unwrap_or("-"),
                        p.port.map(|x| x.to_string()).unwrap_or_else(|| "-".into())
                    ),
                    format!(
                        "listeners: {}",
                        gw.spec.listeners.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ],
                describe.clone(),
            );
        } else if fitting.is_empty() {
            let u = url.map(|u| format!("{}://{}:{}", u.scheme, u.host, u.effective_port())).unwrap_or_default();
            reason = Some(format!("Gateway {} has no listener for {u}", gw.key()));
            finding = fail(
                "NoListenerForURL",
                candidates
                    .iter()
                    .map(|l| {
                        format!(
                            "listener {}: {} :{} {}",
                            l.name,
                            l.protocol,
                            l.port,
                            l.hostname.as_deref().unwrap_or("*")
                        )
                    })
                    .collect(),
                format!("kubectl get gateway {} -n {gns} -o jsonpath='{{.spec.listeners}}'", gw.name()),
            );
        } else if taking.is_none() {
            let refusals: Vec<(&str, String)> = fitting.iter().filter_map(|l| refuses(w, gw, l, route)).collect();
            let cause = refusals.first().map(|r| r.0).unwrap_or("NotAllowedByListeners");
            reason = Some(format!("no listener of Gateway {} takes HTTPRoute {}", gw.key(), route.key()));
            finding = fail(cause, refusals.into_iter().map(|r| r.1).collect(), describe.clone());
        } else if let Some(problem) = listener.and_then(|l| listener_problem(gw, l)) {
            reason = Some(format!(
                "listener {} of Gateway {}: {problem}",
                listener.map(|l| l.name.as_str()).unwrap_or_default(),
                gw.key()
            ));
            finding = fail("ListenerNotReady", vec![problem], describe.clone());
        }
    }
    let ok_reason = || {
        let via = listener
            .map(|l| {
                format!(", listener {} {} :{} {}", l.name, l.protocol, l.port, l.hostname.as_deref().unwrap_or("*"))
            })
            .unwrap_or_default();
        format!(
            "Gateway {} (class {class_name} → {}){via}",
            gw.key(),
            if controller.is_empty() { "?" } else { controller.as_str() }
        )
    };
    let status = if finding.is_some() { Status::Fail } else { Status::Ok };
    let mut h = hop("gateway", status, reason.unwrap_or_else(ok_reason)).details(details);
    if let Some(f) = finding {
        h = h.fix(match f.cause.as_str() {
            "GatewayClassNotAccepted" | "GatewayNotAccepted" | "GatewayNotProgrammed" => {
                format!("run the controller {} (or use a GatewayClass whose controller runs: its ACCEPTED column reads True)", if controller.is_empty() { "of the class" } else { controller.as_str() })
            }
            "GatewayClassNotFound" => "create the GatewayClass, or set gatewayClassName to one that exists".to_string(),
            "NotAllowedByListeners" => "allow the route's namespace in the listener's allowedRoutes, or move the route".to_string(),
            "NoMatchingListenerHostname" => "give the route a hostname the listener serves".to_string(),
            "NoListenerForURL" => "add a listener for the URL's protocol, port and host".to_string(),
            _ => "see the Gateway's conditions and listeners".to_string(),
        });
        h = h.finding(f);
    }
    (h, listener)
}

/// Whether a ReferenceGrant allows a reference.
enum Grant {
    Allowed,
    Missing,
    Hidden(String),
    Unread,
}

/// Whether a ReferenceGrant in `to_ns` lets `from_kind` objects of `from_ns` refer to the
/// `to_kind` (core group) object `name`.
fn granted(w: &EntryWorld, from_kind: &str, from_ns: &str, to_ns: &str, to_kind: &str, name: &str) -> Grant {
    if let Some(m) = w.grants.hidden.get(to_ns).or_else(|| w.grants.hidden.get("")) {
        return Grant::Hidden(m.clone());
    }
    if !w.grants.has_read(to_ns) {
        return Grant::Unread;
    }
    let ok = w.grants.in_namespace(to_ns).any(|g| {
        g.spec.from.iter().any(|f| f.group == GROUP && f.kind == from_kind && f.namespace == from_ns)
            && g.spec
                .to
                .iter()
                .any(|t| t.group.is_empty() && t.kind == to_kind && t.name.as_deref().is_none_or(|n| n == name))
    });
    if ok { Grant::Allowed } else { Grant::Missing }
}

/// The HTTPS listener's certificate.
fn tls_hop(w: &EntryWorld, gw: &Gateway, l: &Listener, url: Option<&Url>) -> Hop {
    let gns = gw.namespace();
    let tls = l.tls.clone().unwrap_or_default();
    let host = url.map(|u| u.host.clone()).or(l.hostname.clone());
    if tls.mode.as_deref() == Some("Passthrough") {
        return hop("tls", Status::Ok, format!("listener {} passes TLS through to the backends", l.name));
    }
    let Some(r) = tls.certificate_refs.first() else {
        return hop("tls", Status::Fail, format!("listener {} is HTTPS with no certificateRefs", l.name))
            .finding(Finding {
                cause: "NoCertificateRef".into(),
                evidence: vec![format!("Gateway {}: listener {} tls.certificateRefs is empty", gw.key(), l.name)],
                command: format!("kubectl describe gateway {} -n {gns}", gw.name()),
            })
            .fix("give the listener a certificateRef to a kubernetes.io/tls Secret");
    };
    if !r.group_or("").is_empty() || r.kind_or("Secret") != "Secret" {
        return hop(
            "tls",
            Status::Ok,
            format!("listener {}: certificate from {} {} (not checked)", l.name, r.kind_or("Secret"), r.name),
        );
    }
    let sns = r.namespace_or(gns);
    if sns != gns {
        match granted(w, "Gateway", gns, sns, "Secret", &r.name) {
            Grant::Missing => {
                return hop(
                    "tls",
                    Status::Fail,
                    format!(
                        "listener {}: Secret {sns}/{} is in another namespace, and no ReferenceGrant there allows it",
                        l.name, r.name
                    ),
                )
                .finding(Finding {
                    cause: "RefNotPermitted".into(),
                    evidence: vec![format!("no ReferenceGrant in {sns} from Gateways of {gns} to Secret {}", r.name)],
                    command: format!("kubectl get referencegrants -n {sns}"),
                })
                .fix(format!("create a ReferenceGrant in {sns} from Gateway in {gns} to Secret {}", r.name));
            }
            Grant::Hidden(m) => {
                return hop("tls", Status::Warn, format!("ReferenceGrants in {sns} are not visible: {m}"));
            }
            Grant::Allowed | Grant::Unread => {}
        }
    }
    let c = tls::check(&w.secrets, sns, &r.name, host.as_deref(), w.now);
    let mut h = hop("tls", c.status, format!("listener {}: {}", l.name, c.line));
    if tls.certificate_refs.len() > 1 {
        h.details.push(format!("{} more certificateRefs (not checked)", tls.certificate_refs.len() - 1));
    }
    if let Some(f) = c.finding {
        h = h
            .fix("point the listener at a kubernetes.io/tls Secret whose certificate covers the host and is valid")
            .finding(f);
    }
    h
}

/// The route as the controller sees it (its status for the parent) and the rule traced.
fn route_hop(
    w: &EntryWorld,
    route: &HttpRoute,
    p: Option<&ObjectRef>,
    gw: Option<&Gateway>,
    rule: Option<(usize, usize)>,
    url: Option<&Url>,
    also: Vec<String>,
) -> Hop {
    let rns = route.namespace();
    let describe = format!("kubectl describe httproute {} -n {rns}", route.name());
    let mut details = vec![];
    if !route.spec.hostnames.is_empty() {
        details.push(format!("hostnames: {}", route.spec.hostnames.join(", ")));
    }
    let rules = &route.spec.rules;
    if url.is_none() {
        for (i, r) in rules.iter().enumerate().take(12) {
            let ms: Vec<String> = matches_of(r)
                .iter()
                .map(|m| {
                    let req = requirements(m);
                    if req.is_empty() { path_label(m) } else { format!("{} with {}", path_label(m), req.join(", ")) }
                })
                .collect();
            let mark = if rule.map(|x| x.0) == Some(i) { " (traced)" } else { "" };
            details.push(format!("rule {}: {} → {}{mark}", i + 1, ms.join(" | "), backends_label(r, rns)));
        }
    }
    let picked = rule.and_then(|(r, m)| rules.get(r).map(|x| (r, matches_of(x).get(m).cloned().unwrap_or_default())));
    if let Some((_, m)) = &picked {
        let req = requirements(m);
        if !req.is_empty() {
            details
                .push(format!("the rule also requires {}: a request without them does not match it", req.join(", ")));
        }
        if matches!(m.path.as_ref().and_then(|p| p.type_.as_deref()), Some("RegularExpression")) {
            details.push(
                "RegularExpression: matched whole with RE2 syntax; the implementation's own dialect decides".into(),
            );
        }
    }
    for a in also {
        details.push(format!("also matches, with lower precedence: {a}"));
    }
    for s in &route.status.parents {
        let conds: Vec<String> = s.conditions.iter().map(Condition::describe).collect();
        details.push(format!(
            "status for {} (controller {}): {}",
            parent_label(&s.parent_ref, rns),
            s.controller_name,
            conds.join(", ")
        ));
    }
    let base = match (&picked, url) {
        (Some((r, m)), Some(u)) => {
            format!("{} {} → rule {} ({}) of HTTPRoute {}", u.host, u.path, r + 1, path_label(m), route.key())
        }
        (Some((r, m)), None) => format!("{} rule(s); traced: rule {} ({})", rules.len(), r + 1, path_label(m)),
        (None, _) => format!("HTTPRoute {} has no rules", route.key()),
    };
    let Some(p) = p.filter(|p| is_gateway(p)) else {
        return hop("httproute", Status::Ok, base).details(details);
    };
    let class_controller = gw
        .and_then(|g| match w.gateway_classes.find("", &g.spec.gateway_class_name) {
            Lookup::Found(c) => Some(c.spec.controller_name.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "of its GatewayClass".into());
    let (status, reason, finding) = match route_status(route, p) {
        None => (
            Status::Fail,
            format!("no controller has accepted HTTPRoute {} for {}", route.key(), parent_label(p, rns)),
            Finding {
                cause: "RouteNotAccepted".into(),
                evidence: vec![
                    if route.status.parents.is_empty() {
                        "status.parents is empty: no controller has reported on this route".into()
                    } else {
                        format!("status.parents has no entry for {}", parent_label(p, rns))
                    },
                    format!("the controller {class_controller} has not accepted it"),
                ],
                command: describe.clone(),
            },
        ),
        Some(s) => {
            let accepted = condition(&s.conditions, "Accepted");
            let resolved = condition(&s.conditions, "ResolvedRefs");
            if accepted.is_none_or(|c| c.status != "True") {
                let text = accepted.map(Condition::describe).unwrap_or_else(|| "no Accepted condition".into());
                (
                    Status::Fail,
                    format!(
                        "{} did not accept HTTPRoute {}: {}",
                        s.controller_name,
                        route.key(),
                        accepted.map(|c| c.reason.as_str()).unwrap_or("no condition")
                    ),
                    Finding {
                        cause: "RouteNotAccepted".into(),
                        evidence: vec![format!("status for {}: {text}", parent_label(p, rns))],
                        command: describe.clone(),
                    },
                )
            } else if resolved.is_some_and(|c| c.status != "True") {
                let text = resolved.map(Condition::describe).unwrap_or_default();
                (
                    Status::Fail,
                    format!(
                        "{} could not resolve the references of HTTPRoute {}: {}",
                        s.controller_name,
                        route.key(),
                        resolved.map(|c| c.reason.as_str()).unwrap_or_default()
                    ),
                    Finding {
                        cause: "RouteRefsNotResolved".into(),
                        evidence: vec![format!("status for {}: {text}", parent_label(p, rns))],
                        command: describe.clone(),
                    },
                )
            } else {
                return hop("httproute", Status::Ok, format!("{base}; accepted by {}", s.controller_name))
                    .details(details);
            }
        }
    };
    hop("httproute", status, format!("{reason}; {base}"))
        .details(details)
        .fix(match finding.cause.as_str() {
            "RouteRefsNotResolved" => "fix the backendRefs the controller names in the condition",
            _ => "make the parent Gateway's controller run and accept the route (see the gateway hop)",
        })
        .finding(finding)
}

/// `numbers-api:80 (weight 90), canary:80 (weight 10)`.
fn backends_label(r: &RouteRule, rns: &str) -> String {
    if r.backend_refs.is_empty() {
        let redirect = r.filters.iter().any(|f| f.type_ == "RequestRedirect");
        return if redirect { "(redirect)".into() } else { "(no backends)".into() };
    }
    r.backend_refs
        .iter()
        .map(|b| {
            let ns = b.namespace_or(rns);
            let name = if ns == rns { b.name.clone() } else { format!("{ns}/{}", b.name) };
            let port = b.port.map(|p| format!(":{p}")).unwrap_or_default();
            match b.weight {
                Some(wt) => format!("{name}{port} (weight {wt})"),
                None => format!("{name}{port}"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What one backendRef resolves to.
struct Resolved<'a> {
    line: String,
    status: Status,
    finding: Option<Finding>,
    service: Option<&'a Service>,
}

fn resolve<'a>(w: &'a EntryWorld, route: &HttpRoute, b: &ObjectRef) -> Resolved<'a> {
    let rns = route.namespace();
    let ns = b.namespace_or(rns);
    let bad = |status: Status, line: String, cause: &str, evidence: Vec<String>, command: String| Resolved {
        line,
        status,
        finding: Some(Finding { cause: cause.into(), evidence, command }),
        service: None,
    };
    let (group, kind) = (b.group_or(""), b.kind_or("Service"));
    if !group.is_empty() || kind != "Service" {
        let g = if group.is_empty() { String::new() } else { format!(".{group}") };
        return bad(
            Status::Warn,
            format!("a {kind}{g}, not a Service; not traced"),
            "UnsupportedBackend",
            vec![format!("backendRef kind {kind}{g}")],
            format!("kubectl get {}{g} {} -n {ns}", kind.to_ascii_lowercase(), b.name),
        );
    }
    if ns != rns {
        match granted(w, "HTTPRoute", rns, ns, "Service", &b.name) {
            Grant::Missing => {
                return bad(
                    Status::Fail,
                    format!("in another namespace, and no ReferenceGrant in {ns} allows it"),
                    "RefNotPermitted",
                    vec![format!("no ReferenceGrant in {ns} from HTTPRoutes of {rns} to Service {}", b.name)],
                    format!("kubectl get referencegrants -n {ns}"),
                );
            }
            Grant::Hidden(m) => {
                return Resolved {
                    line: format!("ReferenceGrants in {ns} are not visible: {m}"),
                    status: Status::Warn,
                    finding: None,
                    service: None,
                };
            }
            Grant::Allowed | Grant::Unread => {}
        }
    }
    let svc = match w.services.find(ns, &b.name) {
        Lookup::Found(s) => s,
        Lookup::Missing => {
            let names: Vec<&str> = w.services.in_namespace(ns).map(|s| s.name()).take(8).collect();
            return bad(
                Status::Fail,
                format!("Service {ns}/{} does not exist", b.name),
                "BackendNotFound",
                vec![format!("Services in {ns}: {}", if names.is_empty() { "none".into() } else { names.join(", ") })],
                format!("kubectl get services -n {ns}"),
            );
        }
        Lookup::Hidden(m) => {
            return Resolved {
                line: format!("Services are not visible: {m}"),
                status: Status::Warn,
                finding: None,
                service: None,
            };
        }
        Lookup::Unread => {
            return Resolved { line: "not checked".into(), status: Status::Ok, finding: None, service: None };
        }
    };
    let edit = format!("kubectl edit httproute {} -n {rns}", route.name());
    let Some(want) = b.port else {
        return bad(
            Status::Fail,
            "the backendRef names no port".into(),
            "BackendPortNotFound",
            vec!["a Service backendRef needs a port".into()],
            edit,
        );
    };
    let ports = svc.spec.as_ref().and_then(|s| s.ports.clone()).unwrap_or_default();
    if !ports.iter().any(|p| p.port == want) {
        let have: Vec<String> = ports.iter().map(|p| p.port.to_string()).collect();
        return bad(
            Status::Fail,
            format!("Service {ns}/{} has no port {want}", b.name),
            "BackendPortNotFound",
            vec![format!(
                "Service {ns}/{} ports: {}",
                b.name,
                if have.is_empty() { "none".into() } else { have.join(", ") }
            )],
            edit,
        );
    }
    Resolved {
        line: format!("Service {ns}/{} port {want}", b.name),
        status: Status::Ok,
        finding: None,
        service: Some(svc),
    }
}

/// The rule's backendRefs with their weights: which resolve, what share of requests get a 500,
/// and the one traced (the heaviest that resolves).
fn backend_hop(w: &EntryWorld, route: &HttpRoute, rule: Option<usize>) -> (Hop, Option<Backend>, Vec<EntryBackend>) {
    let rns = route.namespace();
    let Some(r) = rule.and_then(|i| route.spec.rules.get(i)) else {
        let h = hop("backend", Status::Fail, format!("HTTPRoute {} has no rules", route.key())).finding(Finding {
            cause: "NoBackends".into(),
            evidence: vec!["spec.rules is empty".into()],
            command: format!("kubectl edit httproute {} -n {rns}", route.name()),
        });
        return (h, None, vec![]);
    };
    let idx = rule.unwrap_or_default() + 1;
    if r.backend_refs.is_empty() {
        if r.filters.iter().any(|f| f.type_ == "RequestRedirect") {
            return (hop("backend", Status::Ok, format!("rule {idx} redirects: no backend to trace")), None, vec![]);
        }
        let h = hop("backend", Status::Fail, format!("rule {idx} has no backendRefs: requests that match it get 500"))
            .finding(Finding {
                cause: "NoBackends".into(),
                evidence: vec![format!("rule {idx}: no backendRefs and no RequestRedirect filter")],
                command: format!("kubectl edit httproute {} -n {rns}", route.name()),
            })
            .fix("add a backendRef to the rule");
        return (h, None, vec![]);
    }
    let resolved: Vec<(i32, Resolved)> =
        r.backend_refs.iter().map(|b| (b.weight.unwrap_or(1).max(0), resolve(w, route, b))).collect();
    let total: i32 = resolved.iter().map(|(wt, _)| *wt).sum();
    let traced = resolved
        .iter()
        .enumerate()
        .filter(|(_, (wt, x))| *wt > 0 && x.service.is_some())
        .max_by(|(ia, (wa, _)), (ib, (wb, _))| wa.cmp(wb).then(ib.cmp(ia)))
        .map(|(i, _)| i);
    let mut details = vec![];
    let mut backends = vec![];
    let mut failing_share = 0;
    let mut finding = None;
    let mut worst = Status::Ok;
    let label = |b: &ObjectRef| {
        let ns = b.namespace_or(rns);
        let name = if ns == rns { b.name.clone() } else { format!("{ns}/{}", b.name) };
        format!("{name}{}", b.port.map(|p| format!(":{p}")).unwrap_or_default())
    };
    for (i, (wt, x)) in resolved.iter().enumerate() {
        let share = if total > 0 { format!(", {}%", wt * 100 / total) } else { String::new() };
        let mark = if Some(i) == traced { " (traced)" } else { "" };
        details.push(format!("{} (weight {wt}{share}): {}{mark}", label(&r.backend_refs[i]), x.line));
        if x.status == Status::Fail {
            failing_share += wt;
        }
        if x.status > worst {
            worst = x.status;
            finding = x.finding.clone();
        }
        let b = &r.backend_refs[i];
        backends.push(EntryBackend {
            backend: format!(
                "{}/{}{}",
                b.namespace_or(rns),
                b.name,
                b.port.map(|p| format!(":{p}")).unwrap_or_default()
            ),
            weight: Some(*wt),
            status: x.status,
            traced: Some(i) == traced,
        });
    }
    let backend = traced.and_then(|i| {
        let (_, x) = resolved.get(i)?;
        let svc = x.service?;
        Some(Backend {
            namespace: svc.namespace().into(),
            name: svc.name().into(),
            port: PortSel::Number(r.backend_refs[i].port?),
            service: svc.clone(),
        })
    });
    let n = resolved.len();
    let (status, reason) = if total == 0 {
        finding = Some(Finding {
            cause: "AllWeightsZero".into(),
            evidence: vec![format!("rule {idx}: every backendRef has weight 0")],
            command: format!("kubectl edit httproute {} -n {rns}", route.name()),
        });
        (Status::Fail, format!("rule {idx}: every backend has weight 0, so none receives traffic"))
    } else if failing_share == total {
        let first = resolved.iter().position(|(_, x)| x.status == Status::Fail).unwrap_or_default();
        let why = resolved
            .get(first)
            .map(|(_, x)| format!("{}: {}", label(&r.backend_refs[first]), x.line))
            .unwrap_or_default();
        let what = if n == 1 {
            "its backend does not resolve".to_string()
        } else {
            format!("none of its {n} backends resolves")
        };
        (Status::Fail, format!("rule {idx}: {what}, so every request gets 500: {why}"))
    } else if failing_share > 0 {
        (
            Status::Warn,
            format!(
                "rule {idx}: {}% of requests go to backends that do not resolve and get 500",
                failing_share * 100 / total
            ),
        )
    } else {
        let t = traced
            .and_then(|i| resolved.get(i).map(|(_, x)| format!("{} → {}", label(&r.backend_refs[i]), x.line)))
            .unwrap_or_default();
        (worst, if n == 1 { format!("rule {idx}: {t}") } else { format!("rule {idx}: {n} backends; traced: {t}") })
    };
    let mut h = hop("backend", status, reason).details(details);
    if let Some(f) = finding.filter(|_| status != Status::Ok) {
        h = h.fix(match f.cause.as_str() {
            "RefNotPermitted" => "create a ReferenceGrant in the backend's namespace from HTTPRoutes of the route's namespace to the Service",
            "BackendNotFound" => "create the Service, or point the backendRef at one that exists",
            "BackendPortNotFound" => "set the backendRef's port to one of the Service's ports",
            "AllWeightsZero" => "give at least one backend a weight above 0",
            _ => "point the backendRef at a Service",
        });
        h = h.finding(f);
    }
    (h, backend, backends)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_hostnames_match_suffixes_of_one_or_more_labels() {
        assert!(hostname_match("*.example.com", "a.example.com"));
        assert!(hostname_match("*.example.com", "a.b.example.com"));
        assert!(!hostname_match("*.example.com", "example.com"));
        assert!(!hostname_match("*.example.com", "aexample.com"));
        assert!(hostname_match("Shop.example.com", "shop.example.com"));
        assert!(!hostname_match("*.example.com", "é.example.co"));
        assert!(hostnames_intersect(Some("*.example.com"), &["shop.example.com".into()]));
        assert!(hostnames_intersect(Some("shop.example.com"), &["*.example.com".into()]));
        assert!(!hostnames_intersect(Some("*.example.com"), &["example.net".into()]));
        assert!(hostnames_intersect(None, &["x.org".into()]));
    }

    #[test]
    fn route_paths_match_as_the_spec_says() {
        let m = |t: &str, v: &str| RouteMatch {
            path: Some(super::super::objects::PathMatch { type_: Some(t.into()), value: Some(v.into()) }),
            ..Default::default()
        };
        assert_eq!(path_rank(&m("Exact", "/abc"), "/abc"), Some((2, 4)));
        assert_eq!(path_rank(&m("Exact", "/abc"), "/abc/"), None);
        assert_eq!(path_rank(&m("PathPrefix", "/abc"), "/abc/def"), Some((1, 4)));
        assert_eq!(path_rank(&m("PathPrefix", "/abc/"), "/abc"), Some((1, 4)));
        assert_eq!(path_rank(&m("PathPrefix", "/abc"), "/abcd"), None);
        assert_eq!(path_rank(&m("RegularExpression", "/v[0-9]+/.*"), "/v2/items"), Some((0, 11)));
        assert_eq!(path_rank(&m("RegularExpression", "/v[0-9]+"), "/v2/items"), None, "matched whole");
        assert_eq!(path_rank(&m("RegularExpression", "(unclosed"), "/"), None);
        assert_eq!(path_rank(&RouteMatch::default(), "/anything"), Some((1, 0)), "PathPrefix / by default");
    }
}
