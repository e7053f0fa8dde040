//! The request layer every API request passes through: it logs the request at `-v=6` in the
//! shape of kubectl's round-tripper log, counts it, applies `--request-timeout`, and retries
//! throttling (429) and unavailability (503/504) within a bounded total wait, saying so on
//! stderr. kube's own retry (up to 15 tries, 1000 s) is turned off where the config is built.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{Request, Response, StatusCode};
use kube::client::Body;

use crate::output;
use crate::time::humanize;

/// Longest total time spent waiting on retries of one request.
pub const RETRY_BUDGET: Duration = Duration::from_secs(30);

static REQUESTS: AtomicUsize = AtomicUsize::new(0);

/// Number of HTTP requests this process has sent to the API server.
pub fn requests_sent() -> usize {
    REQUESTS.load(Ordering::Relaxed)
}

pub(crate) struct Observe {
    /// The server URL, to log full URLs as kubectl does (requests carry only the path here).
    pub(crate) server: String,
    pub(crate) verbosity: u8,
    pub(crate) timeout: Option<Duration>,
}

/// The suite's request layer: log, count, time out, and retry within a budget.
#[derive(Clone)]
pub struct ObserveLayer {
    pub(crate) shared: Arc<Observe>,
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

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
/// (used for the API server and for registries alike). See [`round_trip_line`].
pub fn log_round_trip(method: &http::Method, url: &str, outcome: std::result::Result<StatusCode, &str>, ms: u128) {
    output::err(&round_trip_line(method, url, outcome, ms));
}

/// One line of the `-v=6` log. The URL (credentials in a kubeconfig's server URL) and the
/// error are redacted, and both escaped for the terminal.
pub fn round_trip_line(
    method: &http::Method,
    url: &str,
    outcome: std::result::Result<StatusCode, &str>,
    ms: u128,
) -> String {
    let url = output::escape(&crate::error::redact(url));
    match outcome {
        Ok(status) => format!(
            "I \"Response\" verb=\"{method}\" url=\"{url}\" status=\"{}\" milliseconds={ms}\n",
            status_text(status)
        ),
        Err(e) => format!(
            "I \"Response\" verb=\"{method}\" url=\"{url}\" error=\"{}\" milliseconds={ms}\n",
            output::escape(&crate::error::redact(e))
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_log_reads_like_kubectls_and_prints_no_credentials() {
        let get = http::Method::GET;
        assert_eq!(
            round_trip_line(&get, "https://127.0.0.1:6443/api?timeout=32s", Ok(StatusCode::OK), 12),
            "I \"Response\" verb=\"GET\" url=\"https://127.0.0.1:6443/api?timeout=32s\" status=\"200 OK\" milliseconds=12\n"
        );
        let line = round_trip_line(&get, "https://admin:s3cret@k:6443/api\u{1b}[2J", Err("Bearer abc.def refused"), 3);
        assert!(!line.contains("s3cret") && !line.contains("abc.def") && !line.contains('\u{1b}'), "{line}");
        assert!(line.contains("url=\"https://[REDACTED]@k:6443/api"), "{line}");
    }

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
