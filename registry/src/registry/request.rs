//! Sending: every request to the registry goes through here, with credentials for its scopes,
//! bounded retries of what is safe to repeat, redirects that never carry credentials to another
//! host, the `-v=6` log and `--request-timeout`, and the registry's errors read into ours.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use http::header;
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::Value;

use kubectl_kit_core::client::{log_round_trip, status_text};
use kubectl_kit_core::error::{Failure, Kind};
use kubectl_kit_core::{Error, Result, output};

use super::{Payload, Registry, ReqBody, resolve, strip_query};
use crate::stream::SourceError;

impl Registry {
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

    pub(super) async fn raw_with(
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

    pub(super) async fn send_logged(
        &self,
        req: Request<ReqBody>,
        method: &Method,
        shown: &str,
    ) -> Result<Response<Incoming>> {
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

    /// Whether `url` is on this registry (same scheme, host and port), the only place
    /// credentials and uploads go.
    pub(super) fn is_own(&self, url: &str) -> bool {
        url.strip_prefix(self.base.as_str()).is_some_and(|rest| rest.starts_with('/'))
    }
}

pub(super) async fn read_limited(resp: Response<Incoming>, limit: usize) -> Result<Vec<u8>> {
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
