//! From flags to a connected client, reading the kubeconfig exactly as kubectl (client-go's
//! `clientcmd`) does. One file per step, in the order they run:
//!
//! - `kubeconfig`: which files are read and how they merge: `--kubeconfig FILE` alone; else
//!   the files `KUBECONFIG` lists, merged first-wins (missing files are skipped); else
//!   `~/.kube/config`; else the in-cluster service account.
//! - `overrides`: `--context`, `--cluster`, `--user` pick entries; `--server`, `--token`,
//!   `--certificate-authority`, `--client-certificate`, `--client-key`, `--tls-server-name`,
//!   `--as`, `--as-group`, `--insecure-skip-tls-verify` and `-n` override them. An empty flag
//!   (`--context=""`) overrides nothing.
//! - `tls`: the chosen entries' certificate authority and client certificate, checked before
//!   connecting (with [`crate::certs`]).
//! - `credentials`: exec plugins and auth-providers checked as client-go checks them.
//! - `proxy`: `proxy-url` in the cluster entry, else `HTTPS_PROXY`/`NO_PROXY` by Go's rules.
//! - `connect`: the kube-rs configuration and the client; a server named `NAME.localhost` is
//!   reached without asking DNS.
//! - `request`: the tower layer every request passes: it logs at `-v=6`, counts, applies
//!   `--request-timeout`, and retries throttling (429) and unavailability (503/504) within a
//!   bounded total wait, saying so on stderr. kube's own retry (up to 15 tries, 1000 s) is off.
//! - `cache`: kubectl's cache directory.

mod cache;
mod connect;
mod credentials;
mod kubeconfig;
mod overrides;
mod proxy;
mod request;
mod tls;

use std::path::PathBuf;
use std::sync::Arc;

use http::Request;

pub use cache::{cache_dir, write_cache_file};
pub use connect::config;
pub use kubeconfig::{Source, load_kubeconfig};
pub use request::{
    ObserveLayer, ObserveService, RETRY_BUDGET, log_round_trip, requests_sent, retry_delay, round_trip_line,
    status_text,
};

use crate::error::{Error, Result};
use crate::flags::GlobalFlags;
use request::Observe;

/// A client ready to talk to the selected cluster, with what the plugins need beside it.
#[derive(Clone)]
pub struct Kube {
    /// The kube-rs client (with the suite's logging, timeout and retry layer).
    pub client: kube::Client,
    /// The namespace for this invocation: `-n`, else the context's, else `default`.
    pub namespace: String,
    /// True when the user named the namespace with `-n`.
    pub namespace_explicit: bool,
    /// The API server URL.
    pub server: String,
    /// The kubeconfig context in use (`--context`, else `current-context`), if any.
    pub context: Option<String>,
    /// Where the configuration came from.
    pub source: Source,
    /// The cache directory (`--cache-dir`, `KUBECACHEDIR`, `~/.kube/cache`).
    pub cache_dir: PathBuf,
}

impl std::fmt::Debug for Kube {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kube").field("server", &self.server).field("namespace", &self.namespace).finish()
    }
}

impl Kube {
    /// Loads the configuration and builds the client. No request is sent yet.
    pub async fn connect(flags: &GlobalFlags) -> Result<Self> {
        Self::connect_loaded(flags, load_kubeconfig(flags)?)
    }

    /// [`Kube::connect`] with the kubeconfig files already read and merged
    /// ([`load_kubeconfig`]), for an invocation that connects to several contexts.
    pub fn connect_loaded(
        flags: &GlobalFlags,
        loaded: Option<(kube::config::Kubeconfig, Vec<PathBuf>)>,
    ) -> Result<Self> {
        let connect::Configured { config, source, context } = connect::configure_from(flags, loaded)?;
        let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
        // A connection failure names the server and the context (see `error::transport_error`).
        crate::error::note_server(crate::error::ApiServer { url: server.clone(), context: context.clone() });
        let namespace = config.default_namespace.clone();
        let layer = ObserveLayer {
            shared: Arc::new(Observe {
                server: server.clone(),
                verbosity: flags.verbosity,
                timeout: flags.request_timeout.filter(|t| !t.is_zero()),
            }),
        };
        let direct = config.proxy_url.is_none();
        let client = if direct { connect::direct_client(config, &layer) } else { connect::kube_client(config, &layer) }
            .map_err(|e| {
                let auth = matches!(e, kube::Error::Auth(_));
                let err = Error::from(e);
                if auth { err } else { err.hint("check the TLS and proxy settings of the kubeconfig") }
            })?;
        Ok(Kube {
            client,
            namespace,
            namespace_explicit: flags.namespace.as_deref().is_some_and(|n| !n.is_empty()),
            server,
            context,
            source,
            cache_dir: cache_dir(flags),
        })
    }

    /// GET a path with the given Accept header; API statuses become kubectl-like errors.
    pub async fn get_raw(&self, path: &str, accept: &str) -> Result<String> {
        let req = Request::get(path)
            .header(http::header::ACCEPT, accept)
            .body(Vec::new())
            .map_err(|e| Error::runtime(format!("invalid request path {path:?}")).caused_by(e))?;
        Ok(self.client.request_text(req).await?)
    }
}

/// Lines of a streaming response (a watch), as they arrive.
pub type LineStream = std::pin::Pin<Box<dyn futures::Stream<Item = std::io::Result<String>> + Send>>;

impl Kube {
    /// GET a streaming path (`?watch=1`) and yield its lines (one JSON event each).
    pub async fn stream_lines(&self, path: &str) -> Result<LineStream> {
        self.stream_lines_accepting(path, None).await
    }

    /// [`Kube::stream_lines`] with an Accept header (`as=Table` for watches of tables).
    pub async fn stream_lines_accepting(&self, path: &str, accept: Option<&str>) -> Result<LineStream> {
        use futures::AsyncBufReadExt;
        let mut req = Request::get(path);
        if let Some(a) = accept {
            req = req.header(http::header::ACCEPT, a);
        }
        let req =
            req.body(Vec::new()).map_err(|e| Error::runtime(format!("invalid request path {path:?}")).caused_by(e))?;
        let body = self.client.request_stream(req).await?;
        Ok(Box::pin(body.lines()))
    }
}

/// Short durations for messages; kept here for callers that name it through the client.
pub use crate::time::humanize;

/// Recorded inputs for the tests of this module: kubeconfig text as kubectl users write it.
#[cfg(test)]
pub(crate) mod fixture {
    use std::path::{Path, PathBuf};

    /// Two clusters, two users and three contexts (`lonely` names a cluster and a user that
    /// are not there); `dev` is current.
    pub const KUBECONFIG: &str = r#"apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example.com:6443
    tls-server-name: dev-api
    insecure-skip-tls-verify: true
- name: prod-cluster
  cluster:
    server: https://prod.example.com
    certificate-authority-data: CA-DATA
users:
- name: dev-user
  user:
    token: dev-token
- name: prod-user
  user:
    tokenFile: /var/run/prod-token
    client-certificate-data: CA-DATA
    client-key-data: a2V5
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: team-a}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
- name: lonely
  context: {cluster: gone-cluster, user: gone-user}
"#;

    /// [`KUBECONFIG`], its `CA-DATA` a readable certificate.
    pub fn kubeconfig() -> kube::config::Kubeconfig {
        parse(KUBECONFIG)
    }

    /// A kubeconfig from text, `CA-DATA` replaced by a readable certificate.
    pub fn parse(text: &str) -> kube::config::Kubeconfig {
        kube::config::Kubeconfig::from_yaml(&text.replace("CA-DATA", &crate::certs::fixture::pem_data()))
            .expect("a kubeconfig")
    }

    /// Writes `text` (`CA-DATA` replaced) as `dir/name`.
    pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text.replace("CA-DATA", &crate::certs::fixture::pem_data())).expect("write");
        path
    }

    /// An environment of the given variables only.
    pub fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }
}
