//! The kube-rs configuration for these flags, built here from the selected entries (kube's
//! own loader reads the proxy environment by other rules than client-go's), and the client
//! built on it: kube's own stack with the suite's request layer on top, or, for a server named
//! `NAME.localhost`, the same stack on the suite's resolver.

use std::io::IsTerminal;
use std::path::PathBuf;

use kube::client::{Body, ClientBuilder};
use kube::config::Kubeconfig;

use super::credentials::check_credentials;
use super::kubeconfig::{Source, kubeconfig_error_text, load_kubeconfig};
use super::overrides::{Overrides, Selected, select, token_auth};
use super::proxy::proxy_for;
use super::request::{BoxError, ObserveLayer};
use super::tls::check_tls_material;
use crate::error::{Error, Result};
use crate::flags::GlobalFlags;
use crate::output;

/// The kube-rs configuration for an invocation, where it came from, and the context's name.
pub(crate) struct Configured {
    pub config: kube::Config,
    pub source: Source,
    pub context: Option<String>,
}

/// Builds the kube-rs configuration the way kubectl would for these flags.
pub async fn config(flags: &GlobalFlags) -> Result<(kube::Config, Source)> {
    let c = configure(flags)?;
    Ok((c.config, c.source))
}

/// [`config`], with the context's name.
pub(crate) fn configure(flags: &GlobalFlags) -> Result<Configured> {
    configure_from(flags, load_kubeconfig(flags)?)
}

/// [`configure`] from kubeconfig files already read and merged (several contexts of one
/// invocation read them once).
pub(crate) fn configure_from(flags: &GlobalFlags, loaded: Option<(Kubeconfig, Vec<PathBuf>)>) -> Result<Configured> {
    let overrides = Overrides::from_flags(flags);
    let files = match loaded {
        Some(loaded) => Some(loaded),
        // As client-go: with no kubeconfig, flags that name a server make the whole configuration.
        None if overrides.server.is_some() => Some((Kubeconfig::default(), vec![])),
        None => None,
    };
    let (mut config, source, context) = match files {
        Some((kc, files)) => {
            let source = Source::Files(files);
            let sel = select(&kc, &overrides, &source.describe())?;
            let context = sel.context.clone();
            let env = |name: &str| std::env::var(name).ok();
            let config = kube_config(sel, &overrides, std::io::stdin().is_terminal(), &env)?;
            (config, source, context)
        }
        None => match kube::Config::incluster() {
            Ok(mut c) => {
                apply_in_cluster(&mut c, &overrides)?;
                (c, Source::InCluster, None)
            }
            Err(_) => {
                return Err(Error::unreachable("no kubeconfig found and not running in a pod")
                    .hint("set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config"));
            }
        },
    };
    if flags.insecure_skip_tls_verify {
        // Once per process, however many contexts it connects to.
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| output::warn(
            "--insecure-skip-tls-verify: the server's certificate is not checked; anyone on the network path can read and change this traffic",
        ));
        config.accept_invalid_certs = true;
        config.root_cert = None;
    }
    if let Some(t) = flags.request_timeout.filter(|t| !t.is_zero()) {
        config.connect_timeout = Some(t);
        config.read_timeout = Some(t);
        config.write_timeout = Some(t);
    }
    config.default_retry = false;
    Ok(Configured { config, source, context })
}

/// The flags client-go's in-cluster configuration takes: `--server`, `--token`,
/// `--certificate-authority` (instead of the service account's), `--as`, `--as-group`, `-n`.
fn apply_in_cluster(config: &mut kube::Config, o: &Overrides) -> Result<()> {
    if let Some(server) = &o.server {
        config.cluster_url = server_url(server, true)
            .map_err(|e| Error::usage(format!("invalid --server {:?} {e}", crate::error::redact(server))))?;
    }
    if let Some(token) = &o.token {
        config.auth_info.token = token_auth(token)?.token;
        config.auth_info.token_file = None;
    }
    if let Some(ca) = &o.certificate_authority {
        let authority = crate::certs::Material { field: "--certificate-authority".into(), data: None, file: Some(ca) };
        config.root_cert = Some(authority.certificates(&Source::Files(vec![]).describe())?);
        // kube re-reads this file to follow a rotated authority: it is now the flag's.
        config.root_cert_file = Some(ca.into());
    }
    if let Some(user) = &o.as_user {
        config.auth_info.impersonate = Some(user.clone());
    }
    if !o.as_group.is_empty() {
        config.auth_info.impersonate_groups = Some(o.as_group.clone());
    }
    if let Some(ns) = &o.namespace {
        config.default_namespace = ns.clone();
    }
    Ok(())
}

/// The kube-rs configuration for the selected entries, as client-go builds its REST config:
/// the server (without a scheme, `https://` when TLS material is configured, else
/// `http://`), the namespace, the certificate authority (checked first, see [`super::tls`]),
/// `insecure-skip-tls-verify`, `tls-server-name`, `disable-compression`, the proxy (see
/// [`super::proxy`]) and the user's credentials (see [`super::credentials`]); an exec plugin
/// that asks for it gets the cluster's details. `var` reads the environment.
pub(crate) fn kube_config(
    mut sel: Selected,
    overrides: &Overrides,
    stdin_is_terminal: bool,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<kube::Config> {
    let where_ = sel.where_.clone();
    let field = match (&overrides.server, &sel.cluster_name) {
        (None, Some(name)) => format!("clusters[{name}].cluster.server"),
        _ => "--server".to_string(),
    };
    let invalid = |what: String| match overrides.server {
        Some(_) => Error::usage(format!("invalid --server {what}")),
        None => Error::runtime(format!("invalid kubeconfig ({where_})")).caused_by(format!("{field}: {what}")),
    };
    let server = sel.cluster.server.clone().filter(|s| !s.is_empty()).ok_or_else(|| {
        Error::runtime(format!("invalid kubeconfig ({where_})"))
            .caused_by(format!("{field} is not set"))
            .hint("pass --server, or set the cluster's server in the kubeconfig")
    })?;
    let c = &sel.cluster;
    let tls = c.certificate_authority.is_some()
        || c.certificate_authority_data.is_some()
        || c.insecure_skip_tls_verify == Some(true)
        || sel.user.client_certificate.is_some()
        || sel.user.client_certificate_data.is_some();
    let cluster_url =
        server_url(&server, tls).map_err(|e| invalid(format!("{:?} {e}", crate::error::redact(&server))))?;
    let authority = check_tls_material(&sel)?;
    check_credentials(&mut sel.user, sel.user_name.as_deref(), &where_, stdin_is_terminal)?;
    let proxy_url = proxy_for(&sel.cluster, &cluster_url, &where_, var)?;
    if let Some(exec) = sel.user.exec.as_mut().filter(|e| e.provide_cluster_info) {
        let cluster = kube::config::ExecAuthCluster::try_from(&sel.cluster).map_err(|e| {
            Error::runtime(format!("invalid kubeconfig ({where_})")).caused_by(kubeconfig_error_text(&e))
        })?;
        exec.cluster = Some(cluster);
    }
    let mut config = kube::Config::new(cluster_url);
    config.default_namespace = sel.namespace.clone().unwrap_or_else(|| "default".into());
    config.root_cert = (!authority.is_empty()).then_some(authority);
    config.accept_invalid_certs = sel.cluster.insecure_skip_tls_verify.unwrap_or(false);
    config.disable_compression = sel.cluster.disable_compression.unwrap_or(false);
    config.tls_server_name = sel.cluster.tls_server_name.clone().filter(|n| !n.is_empty());
    config.proxy_url = proxy_url;
    config.auth_info = sel.user;
    Ok(config)
}

/// The server's URL, as client-go's `DefaultServerURL` reads it: a host without a scheme
/// (`10.0.0.1:6443`) is `https://` when TLS is configured, else `http://`.
fn server_url(server: &str, tls: bool) -> std::result::Result<http::Uri, String> {
    let parsed = server.parse::<http::Uri>().ok().filter(|u| u.scheme().is_some() && u.host().is_some());
    if let Some(uri) = parsed {
        return Ok(uri);
    }
    let scheme = if tls { "https" } else { "http" };
    let uri = format!("{scheme}://{server}").parse::<http::Uri>().map_err(|e| format!("is not a URL: {e}"))?;
    match uri.host() {
        Some(h) if !h.is_empty() => Ok(uri),
        _ => Err("is not a URL: it names no host".into()),
    }
}

/// kube's own client stack, with the suite's request layer on top: through a proxy, which kube
/// tunnels to (HTTP, HTTPS or SOCKS5).
pub(crate) fn kube_client(config: kube::Config, layer: &ObserveLayer) -> kube::Result<kube::Client> {
    Ok(ClientBuilder::try_from(config)?.with_layer(layer).build())
}

/// The most a connection buffers of a response before the reader takes it. Lists are decoded
/// as they stream in, 64 KiB at a time (`crate::list`), so a larger buffer only holds text
/// ahead of the decoder; hyper's default grows to about 400 KiB per connection, which a read
/// across several contexts (two connections each while the next page is asked for) pays again
/// for every context read at once.
const READ_BUFFER: usize = 64 * 1024;

/// kube's stack for a server reached without a proxy, built here on [`crate::net::tcp_connector`]
/// for two reasons. Nagle's algorithm is off, as Go's dialer (kubectl's) turns it off: kube's
/// connector leaves it on, and a request written on a new TLS connection then waits for the
/// server's delayed ACK, 40 ms on Linux. And names resolve through [`crate::net::Resolver`]:
/// the system resolver may not know `NAME.localhost` (RFC 6761 reserves it for loopback; curl
/// resolves it itself). The same layers in the same order as kube's (base URI, authentication,
/// extra headers, timeouts, TLS from the kubeconfig); kube's retry layer is off here anyway
/// (`default_retry`), and it decompresses nothing without its `gzip` feature.
pub(crate) fn direct_client(config: kube::Config, layer: &ObserveLayer) -> kube::Result<kube::Client> {
    use kube::client::ConfigExt;
    let https = config.rustls_https_connector_with_connector(crate::net::tcp_connector(None))?;
    let mut timed = hyper_timeout::TimeoutConnector::new(https);
    timed.set_connect_timeout(config.connect_timeout);
    timed.set_read_timeout(config.read_timeout);
    timed.set_write_timeout(config.write_timeout);
    timed.set_reset_reader_on_write(config.reset_reader_on_write);
    let http: hyper_util::client::legacy::Client<_, Body> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .http1_max_buf_size(READ_BUFFER)
            .build(timed);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(BoxError::from)
        .service(http);
    Ok(ClientBuilder::new(service, config.default_namespace.clone()).with_layer(layer).build())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;
    use crate::client::fixture::{env, kubeconfig, parse, write};
    use crate::client::kubeconfig::load_files;

    fn build(kc: &Kubeconfig, o: &Overrides, vars: &[(&str, &str)]) -> Result<kube::Config> {
        kube_config(select(kc, o, "/k/config")?, o, false, &env(vars))
    }

    #[test]
    fn exec_plugins_reach_kube_as_the_kubeconfig_says() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "config",
            r#"current-context: eks
clusters:
- name: eks
  cluster:
    server: https://eks.example.com
    certificate-authority-data: CA-DATA
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {audience: kit}
users:
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/get-token
      args: [token, --cluster, kit]
      env:
      - {name: AWS_PROFILE, value: ops}
      interactiveMode: Never
      provideClusterInfo: true
- name: bare
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token]}
contexts:
- name: eks
  context: {cluster: eks, user: eks}
"#,
        );
        let (kc, _) = load_files(Some(&path), None, dir.path()).expect("loads").expect("some");
        let config = build(&kc, &Overrides::default(), &[]).expect("config");
        let exec = config.auth_info.exec.expect("exec");
        // A command with a path separator is read against the kubeconfig's directory; a bare
        // one is looked up in PATH when run, as client-go does.
        assert_eq!(exec.command.as_deref().map(Path::new), Some(dir.path().join("bin/get-token").as_path()));
        assert_eq!(exec.args, Some(vec!["token".into(), "--cluster".into(), "kit".into()]));
        let env: Vec<HashMap<String, String>> = vec![
            [("name", "AWS_PROFILE"), ("value", "ops")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ];
        assert_eq!(exec.env, Some(env));
        assert_eq!(exec.interactive_mode, Some(kube::config::ExecInteractiveMode::Never));
        assert_eq!(exec.api_version.as_deref(), Some("client.authentication.k8s.io/v1"));
        // provideClusterInfo: KUBERNETES_EXEC_INFO carries the server, its authority and the
        // cluster's exec extension.
        let cluster = exec.cluster.expect("cluster info");
        assert_eq!(cluster.server.as_deref(), Some("https://eks.example.com"));
        assert!(cluster.certificate_authority_data.is_some_and(|d| d.starts_with(b"-----BEGIN CERTIFICATE-----")));
        assert_eq!(cluster.config, Some(serde_json::json!({"audience": "kit"})));

        let bare = Overrides { user: Some("bare".into()), ..Default::default() };
        let exec = build(&kc, &bare, &[]).expect("config").auth_info.exec.expect("exec");
        assert_eq!((exec.command.as_deref(), exec.cluster.is_none()), (Some("aws"), true));
        assert_eq!(exec.interactive_mode, Some(kube::config::ExecInteractiveMode::IfAvailable), "v1beta1's default");
        // --token beside an exec plugin: kube sends the token and never runs the plugin, as
        // client-go's exec round-tripper leaves a request that has an Authorization alone.
        let token = Overrides { token: Some("t".into()), ..Default::default() };
        let auth = build(&kc, &token, &[]).expect("config").auth_info;
        assert!(auth.token.is_some() && auth.exec.is_some());
    }

    #[test]
    fn the_selected_cluster_becomes_the_connection() {
        let kc = kubeconfig();
        let config = build(&kc, &Overrides::default(), &[]).expect("dev");
        assert_eq!(config.cluster_url.to_string(), "https://dev.example.com:6443/");
        assert_eq!(config.default_namespace, "team-a");
        assert!(config.accept_invalid_certs && config.root_cert.is_none());
        assert_eq!(config.tls_server_name.as_deref(), Some("dev-api"));
        assert_eq!(config.proxy_url, None, "no proxy-url, no proxy in the environment");
        let prod = Overrides { context: Some("prod".into()), ..Default::default() };
        let config = build(&kc, &prod, &[("HTTPS_PROXY", "http://p:3128")]).expect("prod");
        assert_eq!(config.default_namespace, "default");
        assert_eq!(config.root_cert.map(|c| c.len()), Some(1), "the authority's certificate is trusted");
        assert_eq!(config.proxy_url.map(|u| u.to_string()).as_deref(), Some("http://p:3128/"));
        let config = build(&kc, &prod, &[("HTTPS_PROXY", "http://p:3128"), ("NO_PROXY", ".example.com")]).expect("ok");
        assert_eq!(config.proxy_url, None, "NO_PROXY is matched against the API server, not the proxy");
    }

    #[test]
    fn in_a_pod_the_flags_client_go_takes_override_the_service_account() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = dir.path().join("ca.crt");
        let pem = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(crate::certs::fixture::pem_data()).expect("base64")
        };
        std::fs::write(&ca, pem).expect("write");
        let mut config = kube::Config::new("https://10.96.0.1".parse().expect("url"));
        config.root_cert_file = Some("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt".into());
        config.auth_info.token_file = Some("/var/run/secrets/kubernetes.io/serviceaccount/token".into());
        let o = Overrides {
            server: Some("kubernetes.default.svc:443".into()),
            token: Some("t".into()),
            certificate_authority: Some(ca.display().to_string()),
            as_user: Some("jane".into()),
            namespace: Some("ops".into()),
            ..Default::default()
        };
        apply_in_cluster(&mut config, &o).expect("applies");
        assert_eq!(config.cluster_url.to_string(), "https://kubernetes.default.svc:443/");
        assert!(config.auth_info.token.is_some() && config.auth_info.token_file.is_none());
        assert_eq!((config.root_cert.map(|c| c.len()), config.root_cert_file), (Some(1), Some(ca)));
        assert_eq!((config.auth_info.impersonate.as_deref(), config.default_namespace.as_str()), (Some("jane"), "ops"));
    }

    #[test]
    fn a_server_without_a_scheme_is_https_when_tls_is_configured() {
        let kc = parse(
            "clusters:\n- name: plain\n  cluster: {server: \"10.0.0.1:8080\"}\n- name: tls\n  cluster: {server: \"10.0.0.1:6443\", certificate-authority-data: CA-DATA}\n",
        );
        let url = |cluster: &str| {
            let o = Overrides { cluster: Some(cluster.into()), ..Default::default() };
            build(&kc, &o, &[]).map(|c| c.cluster_url.to_string())
        };
        assert_eq!(url("plain").expect("plain").as_str(), "http://10.0.0.1:8080/");
        assert_eq!(url("tls").expect("tls").as_str(), "https://10.0.0.1:6443/");
        let o = Overrides { server: Some("https://exa mple".into()), ..Default::default() };
        let e = build(&kc, &o, &[]).expect_err("not a URL");
        assert!(e.is_usage() && e.message.starts_with("invalid --server \"https://exa mple\""), "{e}");
        let kc = parse(
            "clusters:\n- name: c\n  cluster: {}\ncurrent-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n",
        );
        let e = build(&kc, &Overrides::default(), &[]).expect_err("no server");
        assert_eq!(e.causes(), ["clusters[c].cluster.server is not set"]);
    }
}
