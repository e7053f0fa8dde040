//! A client of the OCI distribution API, just what a push needs: ping, blob HEAD, cross-repository
//! mount, monolithic upload (chunked as a fallback), manifest PUT — with Basic and bearer-token
//! authentication, bounded retries of what is safe to repeat, and redirects that never carry
//! credentials to another host.
//!
//! Connections go through [`kubectl_kit_core::net`] (`*.localhost` is loopback without DNS;
//! `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` as kubectl reads them) and trust what
//! [`crate::trust`] says (the system's roots, `--ca-file`, the container tools' `certs.d`).

mod blobs;
mod login;
mod request;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Mutex;

use kubectl_kit_core::Result;
use kubectl_kit_core::net::ProxyConnector;
use kubectl_kit_core::percent;

use crate::auth::Credential;
use crate::store::ByteRange;
use crate::stream::VerifiedBody;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type ReqBody = BoxBody<Bytes, BoxError>;
type HttpClient = Client<hyper_rustls::HttpsConnector<ProxyConnector>, ReqBody>;

/// Chunk size of the chunked-upload fallback (smaller chunks are much slower).
pub const FALLBACK_CHUNK: u64 = 16 << 20;

/// How a blob reached the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The repository already had it: nothing sent.
    Exists,
    /// Mounted from another repository of the registry: nothing sent.
    Mounted,
    /// Uploaded.
    Pushed,
}

/// One registry, spoken to by one push.
pub struct Registry {
    /// `host[:port]` as the user or the ConfigMap named it.
    pub host: String,
    base: String,
    client: HttpClient,
    credential: Option<Credential>,
    auth: Mutex<AuthState>,
    requests: AtomicUsize,
    verbosity: u8,
    timeout: Option<Duration>,
}

#[derive(Debug, Default)]
enum AuthState {
    #[default]
    Anonymous,
    Basic(String),
    Bearer {
        realm: String,
        service: Option<String>,
        tokens: HashMap<String, String>,
    },
}

/// What a request's body is, rebuilt for every attempt.
pub enum Payload<'a> {
    /// No body.
    Empty,
    /// Small bytes (manifests).
    Bytes(&'a [u8], &'a str),
    /// A blob (or a chunk of one) streamed from the source.
    Blob {
        /// The bytes.
        range: &'a ByteRange,
        /// The digest to check while streaming (`None` for a chunk).
        digest: Option<&'a str>,
        /// For a chunk: its first and last byte within the blob (`Content-Range`).
        chunk: Option<(u64, u64)>,
        /// Progress counter.
        sent: &'a Arc<AtomicU64>,
    },
}

impl Payload<'_> {
    fn body(&self) -> ReqBody {
        match self {
            Payload::Empty => Empty::new().map_err(|e| match e {}).boxed(),
            Payload::Bytes(b, _) => Full::new(Bytes::copy_from_slice(b)).map_err(|e| match e {}).boxed(),
            Payload::Blob { range, digest, sent, .. } => {
                VerifiedBody::start((*range).clone(), digest.map(str::to_string), Arc::clone(sent)).boxed()
            }
        }
    }

    fn headers(&self, req: &mut http::request::Builder) {
        let (len, kind) = match self {
            Payload::Empty => (0, None),
            Payload::Bytes(b, media) => (b.len() as u64, Some(*media)),
            Payload::Blob { range, .. } => (range.len, Some("application/octet-stream")),
        };
        if let Some(h) = req.headers_mut() {
            if let Payload::Blob { chunk: Some((first, last)), .. } = self
                && let Ok(v) = HeaderValue::from_str(&format!("{first}-{last}"))
            {
                h.insert(header::CONTENT_RANGE, v);
            }
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            if let Some(kind) = kind.and_then(|k| HeaderValue::from_str(k).ok()) {
                h.insert(header::CONTENT_TYPE, kind);
            }
        }
    }
}

/// Access a request needs, for the token flow: `repository:REPO:pull,push`.
pub fn scope(repository: &str, actions: &str) -> String {
    format!("repository:{repository}:{actions}")
}

impl Registry {
    /// A client for `host`: plain HTTP when `plain_http`, else HTTPS trusting the system's
    /// roots and the registry's own authority in the container tools' `certs.d`.
    pub fn new(
        host: &str,
        plain_http: bool,
        credential: Option<Credential>,
        verbosity: u8,
        timeout: Option<Duration>,
    ) -> Result<Self> {
        Self::with_ca_file(host, plain_http, credential, verbosity, timeout, None)
    }

    /// [`Registry::new`], also trusting the certificates in `ca_file` (`--ca-file`).
    pub fn with_ca_file(
        host: &str,
        plain_http: bool,
        credential: Option<Credential>,
        verbosity: u8,
        timeout: Option<Duration>,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Self> {
        let tcp = kubectl_kit_core::net::tcp_connector(Some(Duration::from_secs(10)));
        let builder =
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(crate::trust::client_config(host, ca_file)?);
        let proxied = ProxyConnector::from_env(tcp);
        let connector = if plain_http {
            builder.https_or_http().enable_http1().wrap_connector(proxied)
        } else {
            builder.https_only().enable_http1().wrap_connector(proxied)
        };
        // writev: hand each 1 MiB chunk to the socket as it is, rather than copying it into
        // hyper's write buffer first.
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .http1_writev(true)
            .build(connector);
        let scheme = if plain_http { "http" } else { "https" };
        Ok(Registry {
            host: host.to_string(),
            base: format!("{scheme}://{host}"),
            client,
            credential,
            auth: Mutex::new(AuthState::Anonymous),
            requests: AtomicUsize::new(0),
            verbosity,
            timeout,
        })
    }

    /// Requests sent so far (to the registry and its token service).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

/// Adds `key=value` to a URL that may already have a query (upload locations carry state).
pub fn with_query(url: &str, key: &str, value: &str) -> String {
    let mut url = url.to_string();
    percent::query_pair(&mut url, key, value);
    url
}

/// A URL without its query (upload state tokens are long and of no use in messages).
pub fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

/// Resolves a Location header against the URL it answered.
pub fn resolve(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let origin_end =
        base.find("://").map(|i| i + 3).and_then(|s| base[s..].find('/').map(|j| s + j)).unwrap_or(base.len());
    if location.starts_with('/') {
        format!("{}{location}", &base[..origin_end])
    } else {
        let dir_end = base.rfind('/').filter(|&i| i >= origin_end).map_or(base.len(), |i| i + 1);
        let mut out = base[..dir_end].to_string();
        if !out.ends_with('/') {
            out.push('/');
        }
        out.push_str(location);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_registry_that_is_not_there_is_unreachable_by_kind() {
        // A port that was just free: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
        let host = format!("127.0.0.1:{port}");
        let registry = Registry::new(&host, true, None, 0, None).expect("client");
        let e = registry.ping().await.expect_err("nothing listens");
        assert!(e.is_unreachable(), "{e}");
        assert_eq!(e.message, format!("cannot reach registry {host}"));
        assert!(e.hints.iter().any(|h| h.contains("is a registry listening")), "{:?}", e.hints);
    }

    #[test]
    fn locations() {
        assert_eq!(
            resolve("http://h:5000", "/v2/a/blobs/uploads/x?_state=1"),
            "http://h:5000/v2/a/blobs/uploads/x?_state=1"
        );
        assert_eq!(resolve("http://h:5000/v2/a/", "x"), "http://h:5000/v2/a/x");
        assert_eq!(resolve("http://h", "https://s3/x"), "https://s3/x");
        assert_eq!(with_query("http://h/u?_state=a", "digest", "sha256:ab"), "http://h/u?_state=a&digest=sha256%3Aab");
        assert_eq!(with_query("http://h/u", "digest", "sha256:ab"), "http://h/u?digest=sha256%3Aab");
        assert_eq!(strip_query("http://h/u?_state=secretish"), "http://h/u");
    }
}
