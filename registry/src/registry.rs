//! A client of the OCI distribution API, just what a push needs: ping, blob HEAD, cross-repository
//! mount, monolithic upload (chunked as a fallback), manifest PUT — with Basic and bearer-token
//! authentication, bounded retries of what is safe to repeat, and redirects that never carry
//! credentials to another host.
//!
//! Connections go through [`kubectl_kit_core::net`] (`*.localhost` is loopback without DNS;
//! `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` as kubectl reads them) and trust what
//! [`crate::trust`] says (the system's roots, `--ca-file`, the container tools' `certs.d`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::sync::Mutex;

use kubectl_kit_core::client::{log_round_trip, status_text};
use kubectl_kit_core::error::{Failure, Kind};
use kubectl_kit_core::net::ProxyConnector;
use kubectl_kit_core::percent;
use kubectl_kit_core::{Error, Result, output};

use crate::auth::{self, Credential};
use crate::oci::Descriptor;
use crate::store::ByteRange;
use crate::stream::{SourceError, VerifiedBody};

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

    /// `GET /v2/`: is this a registry, and how does it want us to authenticate?
    pub async fn ping(&self) -> Result<()> {
        let url = format!("{}/v2/", self.base);
        let resp = self.raw_with(Method::GET, &url, &Payload::Empty, None, None).await?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED {
            self.learn_challenge(resp.headers()).await?;
            return Ok(());
        }
        if status.is_success() {
            return Ok(());
        }
        Err(self.failure(&Method::GET, "/v2/", resp).await)
    }

    async fn learn_challenge(&self, headers: &http::HeaderMap) -> Result<()> {
        let challenges: Vec<auth::Challenge> = headers
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(auth::parse_challenges)
            .collect();
        let mut state = self.auth.lock().await;
        if let Some(bearer) = challenges.iter().find(|c| c.scheme == "bearer") {
            let realm = bearer.params.get("realm").cloned().ok_or_else(|| {
                Error::runtime(format!("registry {} asks for a bearer token without a realm", self.host))
            })?;
            if !(realm.starts_with("https://") || realm.starts_with("http://")) {
                return Err(Error::runtime(format!("registry {} names an invalid token realm", self.host)));
            }
            if !matches!(&*state, AuthState::Bearer { realm: r, .. } if *r == realm) {
                *state =
                    AuthState::Bearer { realm, service: bearer.params.get("service").cloned(), tokens: HashMap::new() };
            }
            return Ok(());
        }
        if challenges.iter().any(|c| c.scheme == "basic") {
            let header = self.credential.as_ref().and_then(Credential::basic_header).ok_or_else(|| self.no_login())?;
            *state = AuthState::Basic(header);
            return Ok(());
        }
        Err(self.no_login())
    }

    fn no_login(&self) -> Error {
        Error::runtime(format!("registry {} requires authentication and no usable credential was found", self.host))
            .hint(format!("log in with `docker login {}` (credentials are read from ~/.docker/config.json)", self.host))
    }

    async fn token(&self, scopes: &[String]) -> Result<Option<String>> {
        let key = scopes.join(" ");
        let (realm, service) = {
            let state = self.auth.lock().await;
            match &*state {
                AuthState::Bearer { realm, service, tokens } => {
                    if let Some(t) = tokens.get(&key) {
                        return Ok(Some(t.clone()));
                    }
                    (realm.clone(), service.clone())
                }
                _ => return Ok(None),
            }
        };
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(s) = &service {
            query.push(("service", s));
        }
        for s in scopes {
            query.push(("scope", s));
        }
        let (method, url, payload_bytes, auth_header) = match &self.credential {
            // An identity token is an OAuth2 refresh token: POST it (distribution's token spec).
            Some(Credential::IdentityToken(t)) => {
                let mut form = vec![
                    ("grant_type", "refresh_token"),
                    ("refresh_token", t.as_str()),
                    ("client_id", "kubectl-push-image"),
                ];
                form.extend(query.iter().copied());
                (Method::POST, realm.clone(), Some(percent::form(&form)), None)
            }
            other => {
                let sep = if realm.contains('?') { '&' } else { '?' };
                (
                    Method::GET,
                    format!("{realm}{sep}{}", percent::form(&query)),
                    None,
                    other.as_ref().and_then(Credential::basic_header),
                )
            }
        };
        let uri: http::Uri =
            url.parse().map_err(|_| Error::runtime(format!("registry {} names an invalid token realm", self.host)))?;
        let mut req = Request::builder().method(method.clone()).uri(uri);
        if let Some(h) = auth_header {
            req = req.header(header::AUTHORIZATION, h);
        }
        let body = match &payload_bytes {
            Some(form) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Full::new(Bytes::from(form.clone())).map_err(|e| match e {}).boxed()
            }
            None => Empty::new().map_err(|e| match e {}).boxed(),
        };
        let req = req.body(body).map_err(|e| Error::runtime("cannot build a token request").caused_by(e))?;
        // The realm URL carries no secret (credentials go in a header or the POST body); log
        // it without the query all the same.
        let shown = realm.split('?').next().unwrap_or("").to_string();
        let resp = self.send_logged(req, &method, &shown).await?;
        let status = resp.status();
        let body = read_limited(resp, 1 << 20).await?;
        if !status.is_success() {
            return Err(Error::runtime(format!(
                "the token service of registry {} refused the request ({})",
                self.host,
                status_text(status)
            ))
            .hint(format!("check the credentials for {} (`docker login {}`)", self.host, self.host)));
        }
        let value: Value = serde_json::from_slice(&body).map_err(|_| {
            Error::runtime(format!("the token service of registry {} answered something that is not JSON", self.host))
        })?;
        let token = value
            .get("token")
            .or_else(|| value.get("access_token"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::runtime(format!("the token service of registry {} answered without a token", self.host))
            })?
            .to_string();
        if let AuthState::Bearer { tokens, .. } = &mut *self.auth.lock().await {
            tokens.insert(key, token.clone());
        }
        Ok(Some(token))
    }

    async fn authorization(&self, scopes: &[String]) -> Result<Option<String>> {
        let basic = match &*self.auth.lock().await {
            AuthState::Basic(h) => Some(h.clone()),
            AuthState::Anonymous => return Ok(None),
            AuthState::Bearer { .. } => None,
        };
        if basic.is_some() {
            return Ok(basic);
        }
        Ok(self.token(scopes).await?.map(|t| format!("Bearer {t}")))
    }

    /// Sends a request to the registry (`path` from `/v2/…`, or an absolute upload location),
    /// with credentials for `scopes`, following redirects for reads and answering one 401
    /// challenge. Connection failures and 5xx answers of idempotent requests are retried.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        payload: &Payload<'_>,
        scopes: &[String],
        accept: Option<&str>,
    ) -> Result<Response<Incoming>> {
        let mut url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let idempotent =
            matches!(method, Method::GET | Method::HEAD) || (method == Method::PUT && path.contains("/manifests/"));
        let mut challenged = false;
        let mut redirects = 0;
        let mut attempt = 0u32;
        loop {
            let same_host = self.is_own(&url);
            let authorization = if same_host { self.authorization(scopes).await? } else { None };
            let result = self.raw_with(method.clone(), &url, payload, authorization, accept).await;
            let resp = match result {
                Ok(r) => r,
                Err(e) if idempotent && attempt < 3 && !matches!(payload, Payload::Blob { .. }) => {
                    attempt += 1;
                    output::warn(&format!("{method} {}: {}; retrying ({attempt} of 3)", strip_query(&url), e.message));
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && same_host && !challenged {
                challenged = true;
                self.learn_challenge(resp.headers()).await?;
                continue;
            }
            if status.is_redirection()
                && matches!(method, Method::GET | Method::HEAD)
                && redirects < 5
                && let Some(next) = resp.headers().get(header::LOCATION).and_then(|l| l.to_str().ok())
            {
                redirects += 1;
                url = resolve(&url, next);
                continue;
            }
            if status.is_server_error() && idempotent && attempt < 3 {
                attempt += 1;
                output::warn(&format!(
                    "registry {} answered {} to {method} {}; retrying ({attempt} of 3)",
                    self.host,
                    status_text(status),
                    strip_query(&url)
                ));
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                continue;
            }
            return Ok(resp);
        }
    }

    async fn raw_with(
        &self,
        method: Method,
        url: &str,
        payload: &Payload<'_>,
        authorization: Option<String>,
        accept: Option<&str>,
    ) -> Result<Response<Incoming>> {
        let uri: http::Uri =
            url.parse().map_err(|_| Error::runtime(format!("registry {} gave an invalid URL", self.host)))?;
        let mut req = Request::builder()
            .method(method.clone())
            .uri(uri)
            .header(header::USER_AGENT, concat!("kubectl-push-image/", env!("CARGO_PKG_VERSION")));
        if let Some(a) = authorization {
            req = req.header(header::AUTHORIZATION, a);
        }
        if let Some(a) = accept {
            req = req.header(header::ACCEPT, a);
        }
        if method != Method::GET && method != Method::HEAD {
            payload.headers(&mut req);
        }
        let req =
            req.body(payload.body()).map_err(|e| Error::runtime("cannot build a registry request").caused_by(e))?;
        self.send_logged(req, &method, &strip_query(url)).await
    }

    async fn send_logged(&self, req: Request<ReqBody>, method: &Method, shown: &str) -> Result<Response<Incoming>> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let fut = self.client.request(req);
        let result = match self.timeout {
            Some(t) => match tokio::time::timeout(t, fut).await {
                Ok(r) => r.map_err(|e| self.transport(e)),
                Err(_) => Err(Error::runtime(format!(
                    "{method} {shown}: no answer from registry {} within {} (--request-timeout)",
                    self.host,
                    kubectl_kit_core::time::humanize(t)
                ))),
            },
            None => fut.await.map_err(|e| self.transport(e)),
        };
        if self.verbosity >= 6 {
            let ms = started.elapsed().as_millis();
            match &result {
                Ok(r) => log_round_trip(method, shown, Ok(r.status()), ms),
                Err(e) => log_round_trip(method, shown, Err(&e.message), ms),
            }
        }
        result
    }

    fn transport(&self, e: hyper_util::client::legacy::Error) -> Error {
        // A blob whose source failed ends its body with our own error: say that, not
        // "connection error" (and a corrupt one is not retried).
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if let Some(c) = s.downcast_ref::<SourceError>() {
                return c.to_error();
            }
            source = s.source();
        }
        let failure = kubectl_kit_core::error::classify(&e);
        let mut err = Error::unreachable(format!("cannot reach registry {}", self.host));
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            err = err.caused_by(s);
            source = s.source();
        }
        if failure == Some(Failure::Certificate) {
            return err.hint(format!(
                "the registry's certificate was not accepted: trust its authority with --ca-file FILE, or in /etc/containers/certs.d/{}/ca.crt",
                self.host
            ));
        }
        if e.is_connect() { err.hint(format!("is a registry listening at {}?", self.base)) } else { err }
    }

    /// Turns an unexpected answer into an error with the registry's own error codes.
    pub async fn failure(&self, method: &Method, what: &str, resp: Response<Incoming>) -> Error {
        let status = resp.status();
        let body = read_limited(resp, 64 << 10).await.unwrap_or_default();
        let detail = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("errors").and_then(Value::as_array).cloned())
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            e.get("code").and_then(Value::as_str).unwrap_or("UNKNOWN"),
                            e.get("message").and_then(Value::as_str).unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .filter(|d| !d.is_empty());
        // The kind says what the answer meant, for callers that decide on it.
        let kind = match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Kind::Forbidden,
            StatusCode::NOT_FOUND => Kind::NotFound,
            StatusCode::CONFLICT => Kind::Conflict,
            _ => Kind::Runtime,
        };
        let mut err =
            Error::new(kind, format!("registry {} answered {} to {method} {what}", self.host, status_text(status)));
        if let Some(d) = detail {
            err = err.caused_by(d);
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            err = err.hint(format!("check the credentials for {} (`docker login {}`)", self.host, self.host));
        }
        err
    }

    /// HEAD a blob: does `repository` have it?
    pub async fn has_blob(&self, repository: &str, digest: &str) -> Result<bool> {
        let path = format!("/v2/{repository}/blobs/{digest}");
        let resp = self.send(Method::HEAD, &path, &Payload::Empty, &[scope(repository, "pull,push")], None).await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.failure(&Method::HEAD, &path, resp).await),
        }
    }

    /// Pushes one blob the repository lacks: mounted from `from` when given and the registry
    /// agrees, else uploaded in one PUT (16 MiB PATCHes if the registry refuses that).
    pub async fn upload_blob(
        &self,
        repository: &str,
        blob: &Descriptor,
        range: &ByteRange,
        from: Option<&str>,
        sent: &Arc<AtomicU64>,
    ) -> Result<Action> {
        let mut scopes = vec![scope(repository, "pull,push")];
        let start = match from {
            Some(from) => {
                scopes.push(scope(from, "pull"));
                format!("/v2/{repository}/blobs/uploads/?mount={}&from={from}", blob.digest)
            }
            None => format!("/v2/{repository}/blobs/uploads/"),
        };
        let resp = self.send(Method::POST, &start, &Payload::Empty, &scopes, None).await?;
        match resp.status() {
            StatusCode::CREATED if from.is_some() => return Ok(Action::Mounted),
            StatusCode::ACCEPTED => {}
            _ => return Err(self.failure(&Method::POST, &strip_query(&start), resp).await),
        }
        let location = self.location(&resp)?;
        let put = with_query(&location, "digest", &blob.digest);
        let payload = Payload::Blob { range, digest: Some(&blob.digest), chunk: None, sent };
        let resp = self.send(Method::PUT, &put, &payload, &scopes, None).await?;
        match resp.status() {
            StatusCode::CREATED => Ok(Action::Pushed),
            // Some registries (and proxies in front of them) cap request bodies: fall back to
            // chunks, as big as they let us.
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::RANGE_NOT_SATISFIABLE => {
                sent.fetch_sub(sent.load(Ordering::Relaxed).min(range.len), Ordering::Relaxed);
                self.upload_chunked(repository, blob, range, &scopes, sent).await
            }
            _ => Err(self.failure(&Method::PUT, &format!("/v2/{repository}/blobs/uploads/…"), resp).await),
        }
    }

    async fn upload_chunked(
        &self,
        repository: &str,
        blob: &Descriptor,
        range: &ByteRange,
        scopes: &[String],
        sent: &Arc<AtomicU64>,
    ) -> Result<Action> {
        let start = format!("/v2/{repository}/blobs/uploads/");
        let resp = self.send(Method::POST, &start, &Payload::Empty, scopes, None).await?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(self.failure(&Method::POST, &start, resp).await);
        }
        let mut location = self.location(&resp)?;
        let mut offset = 0u64;
        while offset < range.len {
            let len = FALLBACK_CHUNK.min(range.len - offset);
            let chunk = ByteRange { path: Arc::clone(&range.path), offset: range.offset + offset, len };
            let payload = Payload::Blob { range: &chunk, digest: None, chunk: Some((offset, offset + len - 1)), sent };
            let resp = self.send(Method::PATCH, &location, &payload, scopes, None).await?;
            if resp.status() != StatusCode::ACCEPTED {
                return Err(self.failure(&Method::PATCH, &format!("/v2/{repository}/blobs/uploads/…"), resp).await);
            }
            location = self.location(&resp)?;
            offset += len;
        }
        let put = with_query(&location, "digest", &blob.digest);
        let resp = self.send(Method::PUT, &put, &Payload::Empty, scopes, None).await?;
        if resp.status() != StatusCode::CREATED {
            return Err(self.failure(&Method::PUT, &format!("/v2/{repository}/blobs/uploads/…"), resp).await);
        }
        Ok(Action::Pushed)
    }

    /// Whether `url` is on this registry (same scheme, host and port), the only place
    /// credentials and uploads go.
    fn is_own(&self, url: &str) -> bool {
        url.strip_prefix(self.base.as_str()).is_some_and(|rest| rest.starts_with('/'))
    }

    fn location(&self, resp: &Response<Incoming>) -> Result<String> {
        let loc =
            resp.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).ok_or_else(|| {
                Error::runtime(format!("registry {} started an upload without a Location", self.host))
            })?;
        let url = resolve(&self.base, loc);
        // An upload location on another host would receive our credentials and the blob.
        if !self.is_own(&url) {
            return Err(Error::runtime(format!("registry {} sent the upload to another host; refused", self.host)));
        }
        Ok(url)
    }

    /// PUTs a manifest under `reference` (a tag or a digest) and checks the digest the
    /// registry computed.
    pub async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
        digest: &str,
    ) -> Result<()> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        let resp = self
            .send(Method::PUT, &path, &Payload::Bytes(bytes, media_type), &[scope(repository, "pull,push")], None)
            .await?;
        if resp.status() != StatusCode::CREATED {
            return Err(self.failure(&Method::PUT, &path, resp).await);
        }
        if let Some(got) = resp.headers().get("docker-content-digest").and_then(|v| v.to_str().ok())
            && got != digest
        {
            return Err(Error::runtime(format!(
                "registry {} stored manifest {repository}:{reference} as {}, not {digest}",
                self.host,
                output::escape(got)
            )));
        }
        Ok(())
    }

    /// GETs a manifest (for checks); `None` when the registry does not have it.
    pub async fn get_manifest(&self, repository: &str, reference: &str, accept: &str) -> Result<Option<Vec<u8>>> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        let resp = self.send(Method::GET, &path, &Payload::Empty, &[scope(repository, "pull")], Some(accept)).await?;
        match resp.status() {
            StatusCode::OK => Ok(Some(read_limited(resp, crate::store::MAX_DOCUMENT as usize).await?)),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(self.failure(&Method::GET, &path, resp).await),
        }
    }
}

async fn read_limited(resp: Response<Incoming>, limit: usize) -> Result<Vec<u8>> {
    let mut body = resp.into_body();
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::runtime("the registry's answer broke off").caused_by(e))?;
        if let Some(data) = frame.data_ref() {
            if out.len() + data.len() > limit {
                return Err(Error::runtime(format!("the registry's answer is larger than {limit} bytes")));
            }
            out.extend_from_slice(data);
        }
    }
    Ok(out)
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
