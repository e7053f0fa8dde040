//! From flags to a connected client, reading the kubeconfig exactly as kubectl does.
//!
//! - `--kubeconfig FILE` wins; else `KUBECONFIG` as a list of files merged first-wins (missing files
//!   are skipped); else `~/.kube/config`; else the in-cluster service account.
//! - `--context`, `--cluster`, `--user` pick entries; `--server`, `--token`, `--certificate-authority`,
//!   `--client-certificate`, `--client-key`, `--tls-server-name`, `--as`, `--as-group` and
//!   `--insecure-skip-tls-verify` override them, as with kubectl.
//! - Proxies: `proxy-url` in the cluster entry, else `HTTPS_PROXY`/`NO_PROXY`.
//! - Every request passes one tower layer that logs it at `-v=6`, counts it, applies
//!   `--request-timeout`, and retries throttling (429) and unavailability (503/504) within a bounded
//!   total wait, saying so on stderr. kube's own retry (up to 15 tries, 1000 s) is turned off.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{Request, Response, StatusCode};
use kube::client::{Body, ClientBuilder};
use kube::config::{AuthInfo, KubeConfigOptions, Kubeconfig};

use crate::error::{Error, Result};
use crate::flags::GlobalFlags;
use crate::output;

/// Longest total time spent waiting on retries of one request.
pub const RETRY_BUDGET: Duration = Duration::from_secs(30);

static REQUESTS: AtomicUsize = AtomicUsize::new(0);

/// Number of HTTP requests this process has sent to the API server.
pub fn requests_sent() -> usize {
    REQUESTS.load(Ordering::Relaxed)
}

/// Where the configuration came from, for error messages.
#[derive(Debug, Clone)]
pub enum Source {
    /// One or more kubeconfig files, merged in this order.
    Files(Vec<PathBuf>),
    /// The pod's service account.
    InCluster,
}

impl Source {
    /// Human description: the file list or "in-cluster configuration".
    pub fn describe(&self) -> String {
        match self {
            Source::Files(files) => files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "),
            Source::InCluster => "in-cluster service account".into(),
        }
    }
}

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

/// The cache directory kubectl would use.
pub fn cache_dir(flags: &GlobalFlags) -> PathBuf {
    if let Some(dir) = &flags.cache_dir {
        return dir.clone();
    }
    if let Some(dir) = std::env::var_os("KUBECACHEDIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    home_dir().join(".kube").join("cache")
}

/// Writes a file under the cache directory: private (0700 directories, 0600 file, as kubectl
/// keeps its cache) and whole, by renaming a complete temporary file over it.
pub fn write_cache_file(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut dirs = std::fs::DirBuilder::new();
    let mut open = std::fs::OpenOptions::new();
    // Windows has no mode bits: the profile directory's ACLs keep the cache private there.
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        dirs.mode(0o700);
        open.mode(0o600);
    }
    dirs.recursive(true).create(dir)?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("cache");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = open.write(true).create(true).truncate(true).open(&tmp)?;
        f.write_all(bytes)?;
    }
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn home_dir() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// Reads the kubeconfig files kubectl would read, merged. `None` means there is none at all.
pub fn load_kubeconfig(flags: &GlobalFlags) -> Result<Option<(Kubeconfig, Vec<PathBuf>)>> {
    let read = |path: &Path| -> Result<Kubeconfig> {
        Kubeconfig::read_from(path).map_err(|e| {
            Error::runtime(format!("could not load kubeconfig {}", path.display())).caused_by(kubeconfig_error_text(&e))
        })
    };
    if let Some(path) = &flags.kubeconfig {
        if !path.exists() {
            return Err(Error::runtime(format!("kubeconfig {} does not exist", path.display()))
                .hint("--kubeconfig names one file; KUBECONFIG may list several"));
        }
        return Ok(Some((read(path)?, vec![path.clone()])));
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let mut merged: Option<Kubeconfig> = None;
        let mut files = Vec::new();
        for path in std::env::split_paths(&list) {
            if path.as_os_str().is_empty() || files.contains(&path) || !path.exists() {
                continue;
            }
            let kc = read(&path)?;
            merged = Some(match merged {
                None => kc,
                Some(m) => m.merge(kc).map_err(|e| {
                    Error::runtime(format!("could not merge kubeconfig {}", path.display())).caused_by(e)
                })?,
            });
            files.push(path);
        }
        return Ok(merged.map(|m| (m, files)));
    }
    let default = home_dir().join(".kube").join("config");
    if default.exists() {
        return Ok(Some((read(&default)?, vec![default])));
    }
    Ok(None)
}

/// kube's YAML errors say where; keep that, drop the rest of the chain's noise.
fn kubeconfig_error_text(e: &kube::config::KubeconfigError) -> String {
    // The YAML parser appends a drawing of the input after the position; the file may hold
    // secrets, so only the first line (what and where) is kept.
    let text = e.to_string();
    crate::error::redact(text.lines().next().unwrap_or_default())
}

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

/// Applies the override flags to the entries the invocation will use, as kubectl's
/// `ClientConfigOverrides` does.
fn apply_overrides(kc: &mut Kubeconfig, flags: &GlobalFlags, files: &[PathBuf]) -> Result<()> {
    let where_ = Source::Files(files.to_vec()).describe();
    let ctx_name = flags.context.clone().or_else(|| kc.current_context.clone()).filter(|c| !c.is_empty());
    let ctx = match &ctx_name {
        Some(name) => {
            let found = kc.contexts.iter().find(|c| &c.name == name).and_then(|c| c.context.clone());
            match found {
                Some(c) => Some(c),
                None => {
                    return Err(Error::runtime(format!("context \"{name}\" does not exist"))
                        .hint(format!("contexts are read from {where_}; list them with kubectl config get-contexts")));
                }
            }
        }
        None if flags.cluster.is_none() && flags.server.is_none() => {
            return Err(Error::runtime("current-context is not set")
                .hint(format!("pass --context NAME or run kubectl config use-context NAME (kubeconfig: {where_})")));
        }
        None => None,
    };
    let cluster_name = flags.cluster.clone().or_else(|| ctx.as_ref().map(|c| c.cluster.clone()));
    let user_name = flags.user.clone().or_else(|| ctx.as_ref().and_then(|c| c.user.clone()));
    if let Some(name) = &cluster_name
        && !kc.clusters.iter().any(|c| &c.name == name)
    {
        if flags.server.is_none() {
            return Err(Error::runtime(format!("cluster \"{name}\" does not exist"))
                .hint(format!("clusters are read from {where_}")));
        }
        kc.clusters.push(kube::config::NamedCluster {
            name: name.clone(),
            cluster: Some(Default::default()),
            other: Default::default(),
        });
    }
    if let Some(name) = &user_name
        && !kc.auth_infos.iter().any(|u| &u.name == name)
    {
        if flags.user.is_some() {
            return Err(
                Error::runtime(format!("user \"{name}\" does not exist")).hint(format!("users are read from {where_}"))
            );
        }
        kc.auth_infos.push(kube::config::NamedAuthInfo {
            name: name.clone(),
            auth_info: Some(AuthInfo::default()),
            other: Default::default(),
        });
    }
    if let Some(cluster) =
        cluster_name.as_ref().and_then(|n| kc.clusters.iter_mut().find(|c| &c.name == n)).and_then(|c| {
            if c.cluster.is_none() {
                c.cluster = Some(Default::default());
            }
            c.cluster.as_mut()
        })
    {
        if let Some(s) = &flags.server {
            cluster.server = Some(s.clone());
        }
        if let Some(ca) = &flags.certificate_authority {
            cluster.certificate_authority = Some(ca.display().to_string());
            cluster.certificate_authority_data = None;
        }
        if let Some(name) = &flags.tls_server_name {
            cluster.tls_server_name = Some(name.clone());
        }
    }
    if let Some(user) = user_name.as_ref().and_then(|n| kc.auth_infos.iter_mut().find(|u| &u.name == n)).and_then(|u| {
        if u.auth_info.is_none() {
            u.auth_info = Some(AuthInfo::default());
        }
        u.auth_info.as_mut()
    }) {
        if let Some(token) = &flags.token {
            // SecretString is only reachable through deserialization without another dependency.
            let parsed: AuthInfo = serde_json::from_value(serde_json::json!({ "token": token }))
                .map_err(|e| Error::usage("invalid --token").caused_by(e))?;
            user.token = parsed.token;
            user.token_file = None;
        }
        if let Some(cert) = &flags.client_certificate {
            user.client_certificate = Some(cert.display().to_string());
            user.client_certificate_data = None;
        }
        if let Some(key) = &flags.client_key {
            user.client_key = Some(key.display().to_string());
            user.client_key_data = None;
        }
        if let Some(who) = &flags.as_user {
            user.impersonate = Some(who.clone());
        }
        if !flags.as_group.is_empty() {
            user.impersonate_groups = Some(flags.as_group.clone());
        }
    }
    if let Some(name) = ctx_name {
        kc.current_context = Some(name);
    }
    check_tls_material(kc, cluster_name.as_deref(), user_name.as_deref(), &where_)
}

/// The chosen cluster's authority and user's client certificate, checked before connecting
/// (see [`crate::certs`]). Flags name themselves; kubeconfig fields are named by their path.
fn check_tls_material(kc: &Kubeconfig, cluster: Option<&str>, user: Option<&str>, where_: &str) -> Result<()> {
    use crate::certs::Material;
    let cluster = cluster
        .and_then(|n| kc.clusters.iter().find(|c| c.name == n))
        .and_then(|c| Some((&c.name, c.cluster.as_ref()?)));
    let authority = Material::pick(
        cluster.map(|(name, _)| format!("clusters[{name}].cluster.certificate-authority")),
        cluster.and_then(|(_, c)| c.certificate_authority_data.as_deref()),
        cluster.and_then(|(_, c)| c.certificate_authority.as_deref()),
    );
    let user = user
        .and_then(|n| kc.auth_infos.iter().find(|u| u.name == n))
        .and_then(|u| Some((&u.name, u.auth_info.as_ref()?)));
    let client = Material::pick(
        user.map(|(name, _)| format!("users[{name}].user.client-certificate")),
        user.and_then(|(_, u)| u.client_certificate_data.as_deref()),
        user.and_then(|(_, u)| u.client_certificate.as_deref()),
    );
    if !authority.field.is_empty() {
        let _ = crate::error::AUTHORITY.set(match authority.data.or(authority.file) {
            Some(_) => format!("{} in {where_}", authority.field),
            None => format!("{} in {where_} (not set: the system's roots are used)", authority.field),
        });
    }
    crate::certs::check(&authority, &client, where_, crate::time::now())
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
        let client = if on_localhost { localhost_client(config, &layer) } else { kube_client(config, &layer) }
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

/// kube's own client stack, with the suite's request layer on top.
fn kube_client(config: kube::Config, layer: &ObserveLayer) -> kube::Result<kube::Client> {
    Ok(ClientBuilder::try_from(config)?.with_layer(layer).build())
}

/// kube's stack for a server named `NAME.localhost`, built here on [`crate::net::Resolver`]:
/// kube resolves names with the system resolver, which may not know `*.localhost` (RFC 6761
/// reserves it for loopback; curl resolves it itself). The same layers in the same order as
/// kube's (base URI, authentication, extra headers, timeouts, TLS from the kubeconfig); only
/// the name lookup differs. (`localhost` itself is in every hosts file.)
fn localhost_client(config: kube::Config, layer: &ObserveLayer) -> kube::Result<kube::Client> {
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

struct Observe {
    /// The server URL, to log full URLs as kubectl does (requests carry only the path here).
    server: String,
    verbosity: u8,
    timeout: Option<Duration>,
}

/// The suite's request layer: log, count, time out, and retry within a budget.
#[derive(Clone)]
pub struct ObserveLayer {
    shared: Arc<Observe>,
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = ObserveService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ObserveService { inner: Arc::new(tokio::sync::Mutex::new(inner)), shared: self.shared.clone() }
    }
}

/// Service produced by [`ObserveLayer`]. kube's inner service is not `Clone`, so retries reach
/// it through a mutex held only while a request is dispatched, not while its response is awaited.
#[derive(Clone)]
pub struct ObserveService<S> {
    inner: Arc<tokio::sync::Mutex<S>>,
    shared: Arc<Observe>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, B> tower::Service<Request<Body>> for ObserveService<S>
where
    S: tower::Service<Request<Body>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<Response<B>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<std::result::Result<(), BoxError>> {
        // Readiness of the inner service is awaited per attempt in `call`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let inner = self.inner.clone();
        let shared = self.shared.clone();
        Box::pin(async move {
            let method = req.method().clone();
            let uri = req.uri().clone();
            let idempotent = method == http::Method::GET || method == http::Method::HEAD;
            let mut waited = Duration::ZERO;
            let mut attempt = 0u32;
            let mut req = Some(req);
            loop {
                let current = req.take().ok_or("request body could not be replayed")?;
                let spare = clone_request(&current);
                let started = Instant::now();
                REQUESTS.fetch_add(1, Ordering::Relaxed);
                let fut = {
                    let mut svc = inner.lock().await;
                    std::future::poll_fn(|cx| svc.poll_ready(cx)).await.map_err(Into::into)?;
                    svc.call(current)
                };
                let result = match shared.timeout {
                    Some(t) => match tokio::time::timeout(t, fut).await {
                        Ok(r) => r.map_err(Into::into),
                        Err(_) => Err(Box::new(crate::error::Timeout(t)) as BoxError),
                    },
                    None => fut.await.map_err(Into::into),
                };
                let elapsed = started.elapsed().as_millis();
                match &result {
                    // The same shape as kubectl's round-tripper log at -v=6, so greps carry over.
                    Ok(resp) if shared.verbosity >= 6 => {
                        log_round_trip(&method, &format!("{}{uri}", shared.server), Ok(resp.status()), elapsed)
                    }
                    Err(e) if shared.verbosity >= 6 => {
                        log_round_trip(&method, &format!("{}{uri}", shared.server), Err(&e.to_string()), elapsed)
                    }
                    _ => {}
                }
                let resp = result?;
                let status = resp.status();
                // 429 means the request was not executed, so any method may be retried;
                // 503/504 only for reads.
                let retryable = status == StatusCode::TOO_MANY_REQUESTS
                    || (idempotent
                        && (status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::GATEWAY_TIMEOUT));
                let Some(spare) = spare.filter(|_| retryable) else {
                    return Ok(resp);
                };
                attempt += 1;
                let delay = retry_delay(resp.headers(), attempt);
                if waited + delay > RETRY_BUDGET {
                    output::warn(&format!(
                        "giving up on {method} {}: the server still answers {} after {} of retries",
                        uri.path(),
                        status_text(status),
                        humanize(waited)
                    ));
                    return Ok(resp);
                }
                output::warn(&format!(
                    "the server answered {} to {method} {}; retrying in {} (waited {} of at most {})",
                    status_text(status),
                    uri.path(),
                    humanize(delay),
                    humanize(waited),
                    humanize(RETRY_BUDGET)
                ));
                drop(resp);
                tokio::time::sleep(delay).await;
                waited += delay;
                req = Some(spare);
            }
        })
    }
}

/// Logs one request in the shape of kubectl's round-tripper log at `-v=6`, so greps carry over
/// (used for the API server and for registries alike). Errors are redacted and escaped.
pub fn log_round_trip(method: &http::Method, url: &str, outcome: std::result::Result<StatusCode, &str>, ms: u128) {
    let url = output::escape(url);
    match outcome {
        Ok(status) => output::err(&format!(
            "I \"Response\" verb=\"{method}\" url=\"{url}\" status=\"{}\" milliseconds={ms}\n",
            status_text(status)
        )),
        Err(e) => output::err(&format!(
            "I \"Response\" verb=\"{method}\" url=\"{url}\" error=\"{}\" milliseconds={ms}\n",
            output::escape(&crate::error::redact(e))
        )),
    }
}

fn clone_request(req: &Request<Body>) -> Option<Request<Body>> {
    let body = req.body().try_clone()?;
    let mut builder = Request::builder().method(req.method().clone()).uri(req.uri().clone()).version(req.version());
    if let Some(h) = builder.headers_mut() {
        h.extend(req.headers().clone());
    }
    builder.body(body).ok().map(|mut r| {
        *r.extensions_mut() = req.extensions().clone();
        r
    })
}

/// Retry-After (seconds, clamped to 1–10 s) when the server gives one, else 250 ms doubling to 4 s.
pub fn retry_delay(headers: &http::HeaderMap, attempt: u32) -> Duration {
    if let Some(secs) =
        headers.get(http::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Duration::from_secs(secs.clamp(1, 10));
    }
    let ms = 250u64.saturating_mul(1 << attempt.min(4).saturating_sub(1));
    Duration::from_millis(ms.min(4000))
}

/// `404 Not Found`.
pub fn status_text(s: StatusCode) -> String {
    format!("{} {}", s.as_u16(), s.canonical_reason().unwrap_or(""))
}

/// Short durations for messages; kept here for callers that name it through the client.
pub use crate::time::humanize;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_honoured_and_bounded() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("3"));
        assert_eq!(retry_delay(&h, 1), Duration::from_secs(3));
        h.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("3600"));
        assert_eq!(retry_delay(&h, 1), Duration::from_secs(10));
        let empty = http::HeaderMap::new();
        assert_eq!(retry_delay(&empty, 1), Duration::from_millis(250));
        assert_eq!(retry_delay(&empty, 3), Duration::from_millis(1000));
        assert_eq!(retry_delay(&empty, 30), Duration::from_millis(2000));
    }
}
