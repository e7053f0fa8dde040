//! From flags to a connected client, reading the kubeconfig exactly as kubectl does. One
//! module per step, in the order they run:
//!
//! - [`kubeconfig`]: which files are read and how they merge: `--kubeconfig FILE` wins; else
//!   `KUBECONFIG` as a list of files merged first-wins (missing files are skipped); else
//!   `~/.kube/config`; else the in-cluster service account.
//! - [`overrides`]: `--context`, `--cluster`, `--user` pick entries; `--server`, `--token`,
//!   `--certificate-authority`, `--client-certificate`, `--client-key`, `--tls-server-name`,
//!   `--as`, `--as-group` and `--insecure-skip-tls-verify` override them, as with kubectl.
//! - [`tls`]: the chosen entries' certificate authority and client certificate, checked before
//!   connecting (with [`crate::certs`]).
//! - [`connect`]: the kube-rs configuration and the client; a server named `NAME.localhost` is
//!   reached without asking DNS. Proxies: `proxy-url` in the cluster entry, else
//!   `HTTPS_PROXY`/`NO_PROXY`.
//! - [`request`]: the tower layer every request passes: it logs at `-v=6`, counts, applies
//!   `--request-timeout`, and retries throttling (429) and unavailability (503/504) within a
//!   bounded total wait, saying so on stderr. kube's own retry (up to 15 tries, 1000 s) is off.
//! - [`cache`]: kubectl's cache directory.

mod cache;
mod connect;
mod kubeconfig;
mod overrides;
mod request;
mod tls;

use std::path::PathBuf;
use std::sync::Arc;

use http::Request;

pub use cache::{cache_dir, write_cache_file};
pub use connect::config;
pub use kubeconfig::{Source, load_kubeconfig};
pub use request::{
    ObserveLayer, ObserveService, RETRY_BUDGET, log_round_trip, requests_sent, retry_delay, status_text,
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
        let (config, source) = config(flags).await?;
        let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
        let namespace = config.default_namespace.clone();
        let layer = ObserveLayer {
            shared: Arc::new(Observe {
                server: server.clone(),
                verbosity: flags.verbosity,
                timeout: flags.request_timeout.filter(|t| !t.is_zero()),
            }),
        };
        let on_localhost = config.proxy_url.is_none()
            && config.cluster_url.host().is_some_and(|h| crate::net::is_localhost(h) && h.contains('.'));
        let client =
            if on_localhost { connect::localhost_client(config, &layer) } else { connect::kube_client(config, &layer) }
                .map_err(|e| {
                    let auth = matches!(e, kube::Error::Auth(_));
                    let err = Error::from(e);
                    if auth { err } else { err.hint("check the TLS and proxy settings of the kubeconfig") }
                })?;
        Ok(Kube {
            client,
            namespace,
            namespace_explicit: flags.namespace.is_some(),
            server,
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
