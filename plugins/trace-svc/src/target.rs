//! What the user typed: `NAME`, `NAME.NAMESPACE`, `NAME.NAMESPACE.svc[.DOMAIN]`, a URL
//! (`http://numbers-api.default:8080/path`, `https://shop.example.com/api`) or a ClusterIP,
//! each with an optional port; or where users start before the Service: `ingress/NAME`,
//! `httproute/NAME` (and `svc/NAME` for the Service itself).

use std::net::IpAddr;

/// A Service port chosen by number or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSel {
    /// `:80`
    Number(i32),
    /// `:http`
    Name(String),
}

impl std::fmt::Display for PortSel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortSel::Number(n) => write!(f, "{n}"),
            PortSel::Name(n) => f.write_str(n),
        }
    }
}

/// The parsed target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    /// Service name, unless the target is an IP.
    pub name: Option<String>,
    /// Namespace named in the target, if any.
    pub namespace: Option<String>,
    /// A ClusterIP given instead of a name.
    pub ip: Option<IpAddr>,
    /// The cluster domain typed after `.svc.`, if any.
    pub domain: Option<String>,
    /// The port, if one was given.
    pub port: Option<PortSel>,
    /// The text as typed.
    pub raw: String,
    /// `ingress/NAME` or `httproute/NAME`: the trace starts at that object, not at a Service.
    pub object: Option<EntryObject>,
    /// A URL's parts, when the target is a URL whose host is a name: matched against the
    /// cluster's Ingresses and HTTPRoutes when no Service answers to that name (see
    /// [`Target::service_first`]).
    pub url: Option<Url>,
}

/// Which kind of object a trace starts at, before the Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// `networking.k8s.io/v1` Ingress.
    Ingress,
    /// `gateway.networking.k8s.io/v1` HTTPRoute.
    HttpRoute,
}

impl EntryKind {
    /// `Ingress`, `HTTPRoute`.
    pub fn kind(self) -> &'static str {
        match self {
            EntryKind::Ingress => "Ingress",
            EntryKind::HttpRoute => "HTTPRoute",
        }
    }

    /// The resource word kubectl takes: `ingress`, `httproute`.
    pub fn word(self) -> &'static str {
        match self {
            EntryKind::Ingress => "ingress",
            EntryKind::HttpRoute => "httproute",
        }
    }
}

/// `ingress/NAME` or `httproute/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryObject {
    pub kind: EntryKind,
    pub name: String,
}

/// The parts of a URL a route is matched on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `http` or `https` (or another scheme the target accepts).
    pub scheme: String,
    /// The host, lower case, without a trailing dot.
    pub host: String,
    /// The port when it is a number (the Gateway listener's port); `None` for the scheme's.
    pub port: Option<u16>,
    /// The path, `/` when none was typed; without the query and the fragment.
    pub path: String,
}

impl Url {
    /// The port the request goes to: the one typed, else 443 for https and 80 otherwise.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(if self.tls() { 443 } else { 80 })
    }

    /// True for schemes that speak TLS to the entry point (https, wss).
    pub fn tls(&self) -> bool {
        matches!(self.scheme.as_str(), "https" | "wss")
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        f.write_str(&self.path)
    }
}

impl Target {
    /// Whether the trace starts at a Service, at an Ingress or HTTPRoute, or at a URL that
    /// may be either. The precedence, for a URL whose host could name a Service and an
    /// Ingress or HTTPRoute host alike:
    ///
    /// - an IP, or a name ending in `.svc[.DOMAIN]`: the Service (cluster DNS names);
    /// - `NAME` or `NAME.NAMESPACE`: the Service of that name when it exists, as cluster DNS
    ///   resolves it for a client in the cluster; otherwise the Ingress rules and HTTPRoutes
    ///   whose host matches;
    /// - any other host (`shop.example.com`): the Ingress rules and HTTPRoutes.
    pub fn service_first(&self) -> Start {
        match (&self.object, &self.url) {
            (Some(_), _) => Start::Entry,
            (None, Some(_)) if self.name.is_none() => Start::Entry,
            (None, Some(_)) if self.domain.is_none() && !self.svc_suffix() => Start::ServiceThenEntry,
            _ => Start::Service,
        }
    }

    /// True when the typed host ended in `.svc` or `.svc.DOMAIN`.
    fn svc_suffix(&self) -> bool {
        self.url.as_ref().is_some_and(|u| u.host.split('.').nth(2) == Some("svc"))
    }
}

/// Where a trace starts (see [`Target::service_first`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A Service, named or by ClusterIP.
    Service,
    /// An Ingress, an HTTPRoute, or a URL no Service name can match.
    Entry,
    /// A URL whose host is `NAME` or `NAME.NAMESPACE`: that Service when it exists, else the
    /// routes whose host matches.
    ServiceThenEntry,
}

fn port(s: &str) -> Result<PortSel, String> {
    if s.is_empty() {
        return Err("empty port".into());
    }
    match s.parse::<i32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(PortSel::Number(n)),
        Ok(n) => Err(format!("port {n} is out of range 1-65535")),
        Err(_) if s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') => {
            Ok(PortSel::Name(s.into()))
        }
        Err(_) => Err(format!("invalid port {s:?}")),
    }
}

/// The resource words of `KIND/NAME` targets, as kubectl spells them.
fn entry_kind(word: &str) -> Option<Option<EntryKind>> {
    Some(match word.to_ascii_lowercase().as_str() {
        "ingress" | "ingresses" | "ing" | "ingress.networking.k8s.io" | "ingresses.networking.k8s.io" => {
            Some(EntryKind::Ingress)
        }
        "httproute" | "httproutes" | "httproute.gateway.networking.k8s.io" | "httproutes.gateway.networking.k8s.io" => {
            Some(EntryKind::HttpRoute)
        }
        "svc" | "service" | "services" => None,
        _ => return None,
    })
}

/// An object name: a DNS subdomain (RFC 1123), as Ingresses, HTTPRoutes and Services have.
fn object_name(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if ok { Ok(name.to_string()) } else { Err(format!("{name:?} is not a valid object name")) }
}

/// Parses a target.
pub fn parse(text: &str) -> Result<Target, String> {
    let raw = text.to_string();
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("empty service name".into());
    }
    if !rest.contains("://")
        && let Some((word, name)) = rest.split_once('/')
    {
        return match entry_kind(word) {
            Some(Some(kind)) => {
                Ok(Target { object: Some(EntryObject { kind, name: object_name(name)? }), raw, ..Default::default() })
            }
            Some(None) => {
                let mut t = parse(name)?;
                if t.ip.is_some() {
                    return Err(format!("{word}/ takes a Service name, not an address: {name:?}"));
                }
                t.raw = raw;
                Ok(t)
            }
            None => Err(format!(
                "unknown resource {word:?} in {text:?}: trace-svc starts at a Service, ingress/NAME or httproute/NAME"
            )),
        };
    }
    let mut url_path = None;
    let mut scheme = None;
    if let Some((s, after)) = rest.split_once("://") {
        if !matches!(s, "http" | "https" | "tcp" | "grpc" | "ws" | "wss") {
            return Err(format!("unsupported scheme {s:?} in {text:?}"));
        }
        scheme = Some(s.to_string());
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, tail) = after.split_at(end);
        rest = authority;
        // The path alone: what Ingress rules and HTTPRoute matches compare.
        let path = tail.split(['?', '#']).next().unwrap_or_default();
        url_path = Some(if path.is_empty() { "/".to_string() } else { path.to_string() });
    }
    // [v6]:port, v4:port, host:port
    let (host, port_text) = if let Some(after) = rest.strip_prefix('[') {
        let (h, tail) = after.split_once(']').ok_or_else(|| format!("unclosed [ in {text:?}"))?;
        (h, tail.strip_prefix(':'))
    } else if rest.matches(':').count() > 1 {
        (rest, None) // a bare IPv6 address
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    let port = port_text.map(port).transpose()?;
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Target { ip: Some(ip), port, raw, ..Default::default() });
    }
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    for l in &labels {
        if l.is_empty() || l.len() > 63 || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("{host:?} is not a valid DNS name (label {l:?})"));
        }
    }
    let lower: Vec<String> = labels.iter().map(|l| l.to_ascii_lowercase()).collect();
    let url = match (scheme, url_path) {
        (Some(scheme), Some(path)) => Some(Url {
            scheme,
            host: lower.join("."),
            port: match &port {
                Some(PortSel::Number(n)) => u16::try_from(*n).ok(),
                _ => None,
            },
            path,
        }),
        _ => None,
    };
    let (name, namespace, domain) = match lower.as_slice() {
        [n] => (n.clone(), None, None),
        [n, ns] => (n.clone(), Some(ns.clone()), None),
        [n, ns, svc] if svc == "svc" => (n.clone(), Some(ns.clone()), None),
        [n, ns, svc, domain @ ..] if svc == "svc" => (n.clone(), Some(ns.clone()), Some(domain.join("."))),
        _ if url.is_some() => {
            // Not a Service's name: a host that Ingress rules and HTTPRoutes are matched on.
            if matches!(port, Some(PortSel::Name(_))) {
                return Err(format!("{text:?}: the port of a URL must be a number"));
            }
            return Ok(Target { port, raw, url, ..Default::default() });
        }
        _ => {
            return Err(format!(
                "{host:?} is not a Service name: expected NAME, NAME.NAMESPACE or NAME.NAMESPACE.svc[.DOMAIN] (for a host an Ingress or HTTPRoute serves, give its URL: https://{host}/)"
            ));
        }
    };
    Ok(Target { name: Some(name), namespace, ip: None, domain, port, raw, object: None, url })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_parses() {
        let t = parse("numbers-api").expect("name");
        assert_eq!((t.name.as_deref(), t.namespace.as_deref()), (Some("numbers-api"), None));
        let t = parse("numbers-api.default").expect("ns");
        assert_eq!(t.namespace.as_deref(), Some("default"));
        let t = parse("numbers-api.default.svc.cluster.local").expect("fqdn");
        assert_eq!(t.domain.as_deref(), Some("cluster.local"));
        let t = parse("http://numbers-api.default:8080/path?x").expect("url");
        assert_eq!((t.namespace.as_deref(), t.port.clone()), (Some("default"), Some(PortSel::Number(8080))));
        let t = parse("numbers-api:http").expect("named port");
        assert_eq!(t.port, Some(PortSel::Name("http".into())));
        let t = parse("10.96.0.10:53").expect("ip");
        assert_eq!((t.ip.map(|i| i.to_string()), t.port), (Some("10.96.0.10".into()), Some(PortSel::Number(53))));
        let t = parse("[fd00::1]:80").expect("v6");
        assert!(t.ip.is_some_and(|i| i.is_ipv6()));
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        assert!(parse("").is_err());
        assert!(parse("a.b.c").unwrap_err().contains("not a Service name"));
        assert!(parse("x:99999").unwrap_err().contains("out of range"));
        assert!(parse("ftp://x").unwrap_err().contains("unsupported scheme"));
        assert!(parse("bad_name").unwrap_err().contains("not a valid DNS name"));
        assert!(parse("a.b.c").unwrap_err().contains("give its URL: https://a.b.c/"));
        assert!(parse("deploy/x").unwrap_err().contains("unknown resource \"deploy\""));
        assert!(parse("ingress/Bad_Name").unwrap_err().contains("not a valid object name"));
        assert!(parse("https://shop.example.com:http/").unwrap_err().contains("must be a number"));
        assert!(parse("svc/10.0.0.1").unwrap_err().contains("not an address"));
    }

    #[test]
    fn entry_objects_and_urls_parse() {
        let t = parse("ingress/shop").expect("ingress");
        assert_eq!(t.object, Some(EntryObject { kind: EntryKind::Ingress, name: "shop".into() }));
        assert_eq!(t.service_first(), Start::Entry);
        let t = parse("ing/shop").expect("short");
        assert_eq!(t.object.map(|o| o.kind), Some(EntryKind::Ingress));
        let t = parse("httproutes.gateway.networking.k8s.io/web").expect("route");
        assert_eq!(t.object.map(|o| o.kind), Some(EntryKind::HttpRoute));
        let t = parse("svc/numbers-api.default").expect("svc/");
        assert_eq!((t.name.as_deref(), t.namespace.as_deref(), t.object), (Some("numbers-api"), Some("default"), None));

        let t = parse("https://Shop.Example.com/api/v1?q=1#top").expect("url");
        assert_eq!(t.name, None);
        let u = t.url.clone().expect("url parts");
        assert_eq!(
            (u.host.as_str(), u.path.as_str(), u.port, u.effective_port()),
            ("shop.example.com", "/api/v1", None, 443)
        );
        assert_eq!(u.to_string(), "https://shop.example.com/api/v1");
        assert_eq!(t.service_first(), Start::Entry);

        let t = parse("http://shop.example.com:8080").expect("port, no path");
        let u = t.url.clone().expect("url");
        assert_eq!((u.path.as_str(), u.effective_port()), ("/", 8080));

        // A host that could be a Service: the Service first, then the routes.
        let t = parse("http://numbers-api.default/api").expect("service url");
        assert_eq!(t.service_first(), Start::ServiceThenEntry);
        assert_eq!(t.name.as_deref(), Some("numbers-api"));
        let t = parse("http://numbers-api.default.svc.cluster.local/api").expect("fqdn url");
        assert_eq!(t.service_first(), Start::Service);
        let t = parse("http://numbers-api.default.svc/api").expect("svc url");
        assert_eq!(t.service_first(), Start::Service);
        let t = parse("numbers-api.default").expect("no scheme");
        assert_eq!(t.service_first(), Start::Service);
        let t = parse("http://10.96.0.10/").expect("ip url");
        assert_eq!(t.service_first(), Start::Service);
    }
}
