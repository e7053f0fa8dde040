//! The kube-rs configuration for these flags, and the client built on it: kube's own stack
//! with the suite's request layer on top, or, for a server named `NAME.localhost`, the same
//! stack on the suite's resolver.

use kube::client::{Body, ClientBuilder};
use kube::config::KubeConfigOptions;

use super::kubeconfig::{Source, kubeconfig_error_text, load_kubeconfig};
use super::overrides::apply_overrides;
use super::request::{BoxError, ObserveLayer};
use crate::error::{Error, Result};
use crate::flags::GlobalFlags;
use crate::output;

/// Builds the kube-rs configuration the way kubectl would for these flags.
pub async fn config(flags: &GlobalFlags) -> Result<(kube::Config, Source)> {
    let loaded = load_kubeconfig(flags)?;
    let (mut config, source) = match loaded {
        Some((mut kc, files)) => {
            apply_overrides(&mut kc, flags, &files)?;
            let opts = KubeConfigOptions {
                context: flags.context.clone(),
                cluster: flags.cluster.clone(),
                user: flags.user.clone(),
            };
            let config = kube::Config::from_custom_kubeconfig(kc, &opts).await.map_err(|e| {
                Error::runtime(format!("invalid kubeconfig ({})", Source::Files(files.clone()).describe()))
                    .caused_by(kubeconfig_error_text(&e))
            })?;
            (config, Source::Files(files))
        }
        None if flags.server.is_some() => {
            let url = flags.server.as_deref().unwrap_or_default();
            let uri: http::Uri =
                url.parse().map_err(|e| Error::usage(format!("invalid --server {url:?}")).caused_by(e))?;
            (kube::Config::new(uri), Source::Files(vec![]))
        }
        None => match kube::Config::incluster() {
            Ok(c) => (c, Source::InCluster),
            Err(_) => {
                return Err(Error::unreachable("no kubeconfig found and not running in a pod")
                    .hint("set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config"));
            }
        },
    };
    if matches!(source, Source::InCluster) {
        if let Some(user) = &flags.as_user {
            config.auth_info.impersonate = Some(user.clone());
        }
        if !flags.as_group.is_empty() {
            config.auth_info.impersonate_groups = Some(flags.as_group.clone());
        }
    }
    if flags.insecure_skip_tls_verify {
        output::warn(
            "--insecure-skip-tls-verify: the server's certificate is not checked; anyone on the network path can read and change this traffic",
        );
        config.accept_invalid_certs = true;
        config.root_cert = None;
    }
    if let Some(t) = flags.request_timeout.filter(|t| !t.is_zero()) {
        config.connect_timeout = Some(t);
        config.read_timeout = Some(t);
        config.write_timeout = Some(t);
    }
    config.default_retry = false;
    if let Some(ns) = &flags.namespace {
        config.default_namespace = ns.clone();
    }
    Ok((config, source))
}

/// kube's own client stack, with the suite's request layer on top.
pub(crate) fn kube_client(config: kube::Config, layer: &ObserveLayer) -> kube::Result<kube::Client> {
    Ok(ClientBuilder::try_from(config)?.with_layer(layer).build())
}

/// kube's stack for a server named `NAME.localhost`, built here on [`crate::net::Resolver`]:
/// kube resolves names with the system resolver, which may not know `*.localhost` (RFC 6761
/// reserves it for loopback; curl resolves it itself). The same layers in the same order as
/// kube's (base URI, authentication, extra headers, timeouts, TLS from the kubeconfig); only
/// the name lookup differs. (`localhost` itself is in every hosts file.)
pub(crate) fn localhost_client(config: kube::Config, layer: &ObserveLayer) -> kube::Result<kube::Client> {
    use kube::client::ConfigExt;
    let https = config.rustls_https_connector_with_connector(crate::net::tcp_connector(None))?;
    let mut timed = hyper_timeout::TimeoutConnector::new(https);
    timed.set_connect_timeout(config.connect_timeout);
    timed.set_read_timeout(config.read_timeout);
    timed.set_write_timeout(config.write_timeout);
    let http: hyper_util::client::legacy::Client<_, Body> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(timed);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(BoxError::from)
        .service(http);
    Ok(ClientBuilder::new(service, config.default_namespace.clone()).with_layer(layer).build())
}
