//! What the user typed: `NAME`, `NAME.NAMESPACE`, `NAME.NAMESPACE.svc[.DOMAIN]`, a URL
//! (`http://numbers-api.default:8080/path`) or a ClusterIP, each with an optional port.

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

/// Parses a target.
pub fn parse(text: &str) -> Result<Target, String> {
    let raw = text.to_string();
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("empty service name".into());
    }
    if let Some((scheme, after)) = rest.split_once("://") {
        if !matches!(scheme, "http" | "https" | "tcp" | "grpc" | "ws" | "wss") {
            return Err(format!("unsupported scheme {scheme:?} in {text:?}"));
        }
        rest = after;
        rest = rest.split(['/', '?', '#']).next().unwrap_or(rest);
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
    let (name, namespace, domain) = match lower.as_slice() {
        [n] => (n.clone(), None, None),
        [n, ns] => (n.clone(), Some(ns.clone()), None),
        [n, ns, svc] if svc == "svc" => (n.clone(), Some(ns.clone()), None),
        [n, ns, svc, domain @ ..] if svc == "svc" => (n.clone(), Some(ns.clone()), Some(domain.join("."))),
        _ => {
            return Err(format!(
                "{host:?} is not a Service name: expected NAME, NAME.NAMESPACE or NAME.NAMESPACE.svc[.DOMAIN]"
            ));
        }
    };
    Ok(Target { name: Some(name), namespace, ip: None, domain, port, raw })
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
    }
}
