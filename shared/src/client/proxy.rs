//! Which proxy reaches the API server, as client-go decides: the cluster entry's `proxy-url`
//! for every request (the environment is then not read, `NO_PROXY` included); else the
//! environment by Go's rules ([`crate::net::env_proxy`]: `HTTPS_PROXY`/`https_proxy`,
//! `NO_PROXY`/`no_proxy`, never for loopback).

use kube::config::Cluster;

use crate::error::{Error, Result};

/// The proxy for `server`, with `var` reading the environment. `http`, `https` and `socks5`
/// proxies are accepted in `proxy-url`, as client-go accepts them.
pub(crate) fn proxy_for(
    cluster: &Cluster,
    server: &http::Uri,
    where_: &str,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<http::Uri>> {
    let Some(url) = cluster.proxy_url.as_deref().filter(|u| !u.is_empty()) else {
        return Ok(crate::net::env_proxy(server, var));
    };
    let invalid = || Error::runtime(format!("invalid proxy-url {} in {where_}", crate::error::redact(url)));
    let uri: http::Uri = url.parse().map_err(|e| invalid().caused_by(e))?;
    match uri.scheme_str() {
        Some("http" | "https" | "socks5") if uri.host().is_some() => Ok(Some(uri)),
        _ => Err(invalid().hint("a proxy-url is http://, https:// or socks5:// followed by a host")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fixture::env;

    fn cluster(proxy_url: Option<&str>) -> Cluster {
        Cluster {
            server: Some("https://api.example.com:6443".into()),
            proxy_url: proxy_url.map(str::to_string),
            ..Default::default()
        }
    }

    fn proxy(proxy_url: Option<&str>, vars: &[(&str, &str)]) -> Result<Option<String>> {
        let server: http::Uri = "https://api.example.com:6443".parse().expect("url");
        Ok(proxy_for(&cluster(proxy_url), &server, "/k/config", &env(vars))?.map(|u| u.to_string()))
    }

    #[test]
    fn proxy_url_wins_and_the_environment_is_then_not_read() {
        let env_vars = [("HTTPS_PROXY", "http://env-proxy:3128"), ("NO_PROXY", "api.example.com")];
        assert_eq!(
            proxy(Some("http://kc-proxy:8080"), &env_vars).expect("ok").as_deref(),
            Some("http://kc-proxy:8080/")
        );
        assert_eq!(proxy(Some("socks5://kc-proxy:1080"), &[]).expect("ok").as_deref(), Some("socks5://kc-proxy:1080/"));
        assert_eq!(proxy(None, &env_vars).expect("ok"), None, "NO_PROXY names the server");
        assert_eq!(
            proxy(None, &[("https_proxy", "env-proxy:3128")]).expect("ok").as_deref(),
            Some("http://env-proxy:3128/")
        );
        // A trailing comma or an entry kube's own parser refuses is no error (Go ignores them).
        let messy = [("HTTPS_PROXY", "http://p:1"), ("no_proxy", "localhost,127.0.0.1,.svc,,api.example.com,")];
        assert_eq!(proxy(None, &messy).expect("ok"), None);
        let e = proxy(Some("ftp://user:pw@kc-proxy"), &[]).expect_err("unsupported");
        assert_eq!(e.message, "invalid proxy-url ftp://[REDACTED]@kc-proxy in /k/config");
    }
}
