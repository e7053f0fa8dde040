//! How connections are made, for every server the suite speaks to besides through kube's own
//! stack: names resolved (`localhost` and `*.localhost` are loopback without asking DNS,
//! RFC 6761, as curl does) and proxies taken from the environment as kubectl takes them.
//!
//! Proxies: `HTTPS_PROXY` for `https://` destinations, `HTTP_PROXY` for `http://` ones (either
//! case), minus `NO_PROXY`; as in Go's `httpproxy`, loopback destinations never go through a
//! proxy (here `*.localhost` too, since it is resolved here to loopback). The proxy is
//! spoken to with HTTP `CONNECT`, and resolves the destination's name itself.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
