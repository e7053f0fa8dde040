//! How connections are made, for every server the suite speaks to besides through kube's own
//! stack: names resolved (`localhost` and `*.localhost` are loopback without asking DNS,
//! RFC 6761, as curl does) and proxies taken from the environment as kubectl takes them.
//!
//! Proxies: `HTTPS_PROXY` for `https://` destinations, `HTTP_PROXY` for `http://` ones (either
//! case), minus `NO_PROXY`; as in Go's `httpproxy`, loopback destinations never go through a
//! proxy (here `*.localhost` too, since it is resolved here to loopback). The proxy is
//! spoken to with HTTP `CONNECT`, and resolves the destination's name itself.
//!
//! [`env_proxy`] is Go's rule for the API server (client-go uses `http.ProxyFromEnvironment`);
//! the registry connector's matcher, hyper-util's, is curl's (it also reads `ALL_PROXY`, and
//! `.name` in `NO_PROXY` covers `name` itself).

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// True for `localhost` and names under it (`k3d-registry.localhost`), which RFC 6761 reserves
/// for the loopback interface.
pub fn is_localhost(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// True for a host (`name`, `name:port`, `[v6]:port`, an IP) on the loopback interface:
/// localhost names and loopback addresses.
pub fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => match host.rsplit_once(':') {
            Some((name, _)) if !name.contains(':') => name,
            _ => host,
        },
    };
    is_localhost(name) || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The system's resolver, except that localhost names are loopback without asking it.
#[derive(Clone)]
pub struct Resolver {
    system: GaiResolver,
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver { system: GaiResolver::new() }
    }
}

impl tower::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        if is_localhost(name.as_str()) {
            // The port is the connector's to set.
            let loopback = vec![SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), SocketAddr::from((Ipv6Addr::LOCALHOST, 0))];
            return Box::pin(std::future::ready(Ok(loopback.into_iter())));
        }
        let lookup = self.system.call(name);
        Box::pin(async move { Ok(lookup.await?.collect::<Vec<_>>().into_iter()) })
    }
}

/// A TCP connector with [`Resolver`], keeping `Nagle` off and giving up connecting after
/// `connect_timeout`.
pub fn tcp_connector(connect_timeout: Option<std::time::Duration>) -> HttpConnector<Resolver> {
    let mut tcp = HttpConnector::new_with_resolver(Resolver::default());
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    tcp.set_connect_timeout(connect_timeout);
    tcp
}

/// A connector that reaches each destination directly or through the proxy the environment
/// names for it (see the module's documentation). TLS, if any, goes on top of it.
#[derive(Clone)]
pub struct ProxyConnector {
    tcp: HttpConnector<Resolver>,
    proxies: Arc<Matcher>,
}

impl ProxyConnector {
    /// Proxies from `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (either case).
    pub fn from_env(tcp: HttpConnector<Resolver>) -> Self {
        ProxyConnector { tcp, proxies: Arc::new(Matcher::from_env()) }
    }

    fn intercept(&self, dst: &http::Uri) -> Option<hyper_util::client::proxy::matcher::Intercept> {
        if dst.host().is_some_and(|h| is_loopback_host(h.trim_start_matches('[').trim_end_matches(']'))) {
            return None;
        }
        self.proxies.intercept(dst)
    }
}

/// A proxy that cannot carry a tunnel (`socks5://…`, or TLS to the proxy itself).
#[derive(Debug)]
pub struct UnsupportedProxy(pub http::Uri);

impl std::fmt::Display for UnsupportedProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "proxy {}: only http:// proxies are supported", crate::error::redact(&self.0.to_string()))
    }
}

impl std::error::Error for UnsupportedProxy {}

impl tower::Service<http::Uri> for ProxyConnector {
    type Response = TokioIo<tokio::net::TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        let mut tcp = self.tcp.clone();
        match self.intercept(&dst) {
            None => Box::pin(async move { Ok(tcp.call(dst).await?) }),
            Some(proxy) if proxy.uri().scheme_str() != Some("http") => {
                let refused = UnsupportedProxy(proxy.uri().clone());
                Box::pin(std::future::ready(Err(Box::new(refused) as BoxError)))
            }
            Some(proxy) => {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), tcp);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                Box::pin(async move { Ok(tunnel.call(dst).await?) })
            }
        }
    }
}

/// The proxy Go's `http.ProxyFromEnvironment`, and so kubectl, takes from the environment for a
/// request to `dst`, with `var` reading the environment: `HTTPS_PROXY` for `https://`,
/// `HTTP_PROXY` for `http://` (each upper case first, then lower case; an empty value is
/// unset), none for a loopback destination or one `NO_PROXY` names. A proxy written without a
/// scheme (`proxy:3128`) is `http://`. `ALL_PROXY`, which curl reads, is not read.
pub fn env_proxy(dst: &http::Uri, var: &dyn Fn(&str) -> Option<String>) -> Option<http::Uri> {
    let first = |names: [&str; 2]| names.iter().find_map(|n| var(n).filter(|v| !v.is_empty()));
    let (proxy, default_port) = match dst.scheme_str() {
        Some("https") => (first(["HTTPS_PROXY", "https_proxy"])?, 443),
        // golang.org/s/cgihttpproxy: in a CGI environment HTTP_PROXY may be a request header.
        Some("http") if var("REQUEST_METHOD").is_none_or(|m| m.is_empty()) => {
            (first(["HTTP_PROXY", "http_proxy"])?, 80)
        }
        _ => return None,
    };
    let host = dst.host()?.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    if is_loopback_host(&host) {
        return None;
    }
    let no_proxy = first(["NO_PROXY", "no_proxy"]).unwrap_or_default();
    if no_proxy_matches(&no_proxy, &host, dst.port_u16().unwrap_or(default_port)) {
        return None;
    }
    parse_proxy(&proxy)
}

/// A proxy as Go's `httpproxy` reads one: a URL, else the same text after `http://`.
fn parse_proxy(text: &str) -> Option<http::Uri> {
    let uri = text.parse::<http::Uri>().ok().filter(|u| u.scheme().is_some() && u.host().is_some());
    uri.or_else(|| format!("http://{text}").parse::<http::Uri>().ok().filter(|u| u.host().is_some()))
}

/// True when the `NO_PROXY` list names `host` (lower case, no brackets) at `port`, by Go's
/// rules: `*`; an address or a CIDR block; `name` (the name and every name under it),
/// `.name` and `*.name` (only the names under it); any of them with `:port` for that port only.
/// Malformed entries are ignored, as in Go.
pub fn no_proxy_matches(list: &str, host: &str, port: u16) -> bool {
    let ip = host.parse::<IpAddr>().ok();
    list.split(',').map(|e| e.trim().to_ascii_lowercase()).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        if let Some((net, bits)) = entry.split_once('/') {
            return ip.is_some_and(|ip| in_block(ip, net, bits));
        }
        let (name, want_port) = split_host_port(&entry);
        let port_ok = want_port.is_none_or(|p| p == port.to_string());
        if let Ok(listed) = name.parse::<IpAddr>() {
            return ip == Some(listed) && port_ok;
        }
        if ip.is_some() || name.is_empty() {
            return false;
        }
        let (suffix, whole) = match name.strip_prefix('*') {
            Some(rest) if rest.starts_with('.') => (rest.to_string(), false),
            _ if name.starts_with('.') => (name.to_string(), false),
            _ => (format!(".{name}"), true),
        };
        (host.ends_with(&suffix) || (whole && host == name)) && port_ok
    })
}

/// `host:port`, `[v6]:port` or a bare host (an IPv6 address without brackets has no port).
fn split_host_port(entry: &str) -> (&str, Option<&str>) {
    if let Some(rest) = entry.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':').filter(|p| !p.is_empty())),
            None => (entry, None),
        };
    }
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && !p.is_empty() => (h, Some(p)),
        _ => (entry, None),
    }
}

/// True when `ip` is in the block `net/bits`.
fn in_block(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else { return false };
    let masked = |a: u128, width: u32| if bits == 0 { 0 } else { a >> (width - bits.min(width)) };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            masked(u128::from(u32::from(a)), 32) == masked(u128::from(u32::from(n)), 32)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => masked(u128::from(a), 128) == masked(u128::from(n), 128),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_are_made_with_nagle_off() {
        use tower::Service;
        // A request written on a new TLS connection would otherwise wait for the server's
        // delayed ACK (40 ms on Linux): every plugin's first requests did.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let uri: http::Uri = format!("http://{}", listener.local_addr().expect("addr")).parse().expect("uri");
        let io = tcp_connector(None).call(uri).await.expect("connects");
        assert!(io.inner().nodelay().expect("reads TCP_NODELAY"));
    }

    #[test]
    fn localhost_names_and_loopback_hosts() {
        for h in ["localhost", "LOCALHOST.", "k3d-registry.localhost", "a.b.localhost"] {
            assert!(is_localhost(h), "{h}");
        }
        for h in ["localhost.example.com", "mylocalhost", "example.com", ""] {
            assert!(!is_localhost(h), "{h}");
        }
        for h in ["localhost:5000", "registry.localhost", "127.0.0.1:5001", "127.8.9.1", "[::1]:5000", "::1"] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["192.168.1.2:5000", "registry.example.com", "localhost.example.com:5000", "10.0.0.1", "[::2]:1"] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[tokio::test]
    async fn localhost_names_resolve_to_loopback_without_dns() {
        use tower::Service;
        let mut r = Resolver::default();
        for name in ["localhost", "k3d-registry.localhost"] {
            let addrs: Vec<SocketAddr> = r.call(name.parse().expect("a name")).await.expect("resolves").collect();
            assert_eq!(
                addrs,
                [SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), SocketAddr::from((Ipv6Addr::LOCALHOST, 0))],
                "{name}"
            );
        }
    }

    /// The environment of one test, looked up by name.
    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    fn proxy_for(dst: &str, vars: &[(&str, &str)]) -> Option<String> {
        env_proxy(&dst.parse().expect("a URL"), &env(vars)).map(|u| u.to_string())
    }

    #[test]
    fn environment_proxies_are_chosen_as_go_chooses_them() {
        let https = [("HTTPS_PROXY", "http://proxy:3128")];
        assert_eq!(proxy_for("https://api.example.com:6443", &https).as_deref(), Some("http://proxy:3128/"));
        assert_eq!(proxy_for("http://api.example.com", &https), None, "HTTPS_PROXY is for https:// only");
        let lower = [("https_proxy", "proxy:3128"), ("http_proxy", "http://web:80")];
        assert_eq!(proxy_for("https://a.example.com", &lower).as_deref(), Some("http://proxy:3128/"), "no scheme");
        assert_eq!(proxy_for("http://a.example.com", &lower).as_deref(), Some("http://web:80/"));
        let both = [("HTTPS_PROXY", "http://upper:1"), ("https_proxy", "http://lower:2")];
        assert_eq!(proxy_for("https://a.example.com", &both).as_deref(), Some("http://upper:1/"));
        let empty_upper = [("HTTPS_PROXY", ""), ("https_proxy", "http://lower:2")];
        assert_eq!(proxy_for("https://a.example.com", &empty_upper).as_deref(), Some("http://lower:2/"));
        assert_eq!(proxy_for("https://a.example.com", &[("ALL_PROXY", "http://all:1")]), None, "curl's, not Go's");
        for loopback in
            ["https://127.0.0.1:6443", "https://localhost:6443", "https://[::1]:6443", "https://k.localhost"]
        {
            assert_eq!(proxy_for(loopback, &https), None, "{loopback}");
        }
        let cgi = [("HTTP_PROXY", "http://from-a-header:1"), ("REQUEST_METHOD", "GET")];
        assert_eq!(proxy_for("http://a.example.com", &cgi), None);
    }

    #[test]
    fn no_proxy_lists_match_as_in_go() {
        let skipped =
            |dst: &str, no: &str| proxy_for(dst, &[("HTTPS_PROXY", "http://proxy:3128"), ("no_proxy", no)]).is_none();
        assert!(skipped("https://example.com", "example.com"));
        assert!(skipped("https://api.example.com", "example.com"), "a name covers the names under it");
        assert!(!skipped("https://notexample.com", "example.com"));
        assert!(skipped("https://api.example.com", ".example.com") && !skipped("https://example.com", ".example.com"));
        assert!(
            skipped("https://api.example.com", "*.example.com") && !skipped("https://example.com", "*.example.com")
        );
        assert!(skipped("https://API.Example.com", " Example.COM "), "case and spaces");
        assert!(skipped("https://api.example.com:6443", "example.com:6443"));
        assert!(!skipped("https://api.example.com:6443", "example.com:443"));
        assert!(skipped("https://api.example.com", "example.com:443"), "https' default port");
        assert!(skipped("https://10.1.2.3:6443", "10.0.0.0/8") && !skipped("https://11.1.2.3", "10.0.0.0/8"));
        assert!(skipped("https://10.1.2.3", "10.1.2.3") && !skipped("https://10.1.2.3", "10.1.2.4"));
        assert!(skipped("https://[fd00::1]:6443", "fd00::/8") && skipped("https://[fd00::1]:6443", "[fd00::1]:6443"));
        assert!(!skipped("https://10.1.2.3", "10.1.2.3.nip.io"), "names never match an address");
        assert!(skipped("https://anything.example", "*"));
        assert!(skipped("https://b.example.com", "a.example.com,,b.example.com,"), "empty entries are skipped");
        assert!(!skipped("https://b.example.com", ":443,[]:1,/8"), "malformed entries are ignored");
        let upper_wins = [("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "a.example.com"), ("no_proxy", "b.example.com")];
        assert!(proxy_for("https://a.example.com", &upper_wins).is_none());
        assert!(proxy_for("https://b.example.com", &upper_wins).is_some());
    }
}
