//! Connection failures: what they were (refused, certificate, timed out), told from the error
//! types in their chain, and the message naming the server that could not be reached.

use std::fmt;

use super::{Error, redact};

/// Where the certificate authority of the connection comes from
/// (`clusters[kind].cluster.certificate-authority-data in /home/me/.kube/config`), set once
/// the kubeconfig is read, so that a refused server certificate names the field to check.
pub(crate) static AUTHORITY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// A request that got no answer within `--request-timeout`.
#[derive(Debug, Clone, Copy)]
pub struct Timeout(pub std::time::Duration);

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request timed out after {} (--request-timeout)", crate::time::humanize(self.0))
    }
}

impl std::error::Error for Timeout {}

/// Why a connection failed, read from the types in its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Nothing listens there.
    Refused,
    /// The server's certificate was not accepted.
    Certificate,
    /// No answer in time.
    TimedOut,
}

/// Every error in a chain, looking inside `std::io::Error`s (which hide what they wrap from
/// `source()`), outermost first, bounded in case a chain loops.
fn links<'a>(err: &'a (dyn std::error::Error + 'static)) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = vec![];
    let mut next = Some(err);
    while let Some(e) = next.filter(|_| out.len() < 64) {
        out.push(e);
        next = match e.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    out
}

/// What a connection failure was, from the error types in its chain (an `io::Error`'s kind,
/// a rustls certificate error, a timer that fired), never from its text.
pub fn classify(err: &(dyn std::error::Error + 'static)) -> Option<Failure> {
    let chain = links(err);
    let io_kind = |kind: std::io::ErrorKind| {
        chain.iter().any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == kind))
    };
    if io_kind(std::io::ErrorKind::ConnectionRefused) {
        return Some(Failure::Refused);
    }
    let certificate = chain.iter().any(|e| {
        matches!(
            e.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)
        )
    });
    if certificate {
        return Some(Failure::Certificate);
    }
    let timer = chain.iter().any(|e| e.is::<Timeout>() || e.is::<tokio::time::error::Elapsed>());
    if timer || io_kind(std::io::ErrorKind::TimedOut) {
        return Some(Failure::TimedOut);
    }
    None
}

/// The API server this process talks to, set once its configuration is read, so that a
/// connection failure names it.
#[derive(Debug, Clone)]
pub(crate) struct ApiServer {
    /// Its URL (redacted when printed).
    pub url: String,
    /// The kubeconfig context that named it, if any.
    pub context: Option<String>,
}

pub(crate) static API_SERVER: std::sync::OnceLock<ApiServer> = std::sync::OnceLock::new();

/// The connection of one context among several ([`crate::fleet`]): the server and the
/// certificate authority its failures name, instead of the process-wide ones (the first
/// context's). The context itself is named by the fleet's own `error: context NAME:` line.
#[derive(Debug, Default)]
pub(crate) struct Connection {
    server: std::sync::OnceLock<ApiServer>,
    authority: std::sync::OnceLock<String>,
}

tokio::task_local! {
    static CONNECTION: Connection;
}

/// Runs `work` with its own [`Connection`]: the server and authority a client built inside it
/// notes are the ones its connection failures name.
pub(crate) async fn with_own_connection<F: std::future::Future>(work: F) -> F::Output {
    CONNECTION.scope(Connection::default(), work).await
}

/// Notes the API server a client talks to: the current fleet context's, else the process's.
pub(crate) fn note_server(server: ApiServer) {
    let scoped = CONNECTION.try_with(|c| {
        let _ = c.server.set(ApiServer { context: None, ..server.clone() });
    });
    if scoped.is_err() {
        let _ = API_SERVER.set(server);
    }
}

/// Notes where the certificate authority comes from, as [`note_server`] notes the server.
pub(crate) fn note_authority(authority: String) {
    let scoped = CONNECTION.try_with(|c| {
        let _ = c.authority.set(authority.clone());
    });
    if scoped.is_err() {
        let _ = AUTHORITY.set(authority);
    }
}

/// Describes a connection-level failure to the API server: see [`unreachable_error`].
pub(crate) fn transport_error(err: Box<dyn std::error::Error + Send + Sync + 'static>) -> Error {
    match CONNECTION.try_with(|c| (c.server.get().cloned(), c.authority.get().cloned())) {
        Ok((server, authority)) => unreachable_error(err, server.as_ref(), authority.as_deref()),
        Err(_) => unreachable_error(err, API_SERVER.get(), AUTHORITY.get().map(String::as_str)),
    }
}

/// A connection-level failure: a first line naming the server, its context and what the
/// failure was (`could not reach the API server https://127.0.0.1:6443 (context "kind-kind"):
/// connection refused`), every link of its chain as a cause, and a hint chosen by the failure
/// (for a refusal, kubectl's "did you specify the right host or port?"). `authority` is where
/// the certificate authority comes from, for a refused certificate.
pub(crate) fn unreachable_error(
    err: Box<dyn std::error::Error + Send + Sync + 'static>,
    server: Option<&ApiServer>,
    authority: Option<&str>,
) -> Error {
    let failure = classify(err.as_ref());
    let mut message = String::from("could not reach the API server");
    if let Some(s) = server {
        message.push(' ');
        message.push_str(&redact(&s.url));
        if let Some(context) = &s.context {
            message.push_str(&format!(" (context \"{context}\")"));
        }
    }
    message.push_str(match failure {
        Some(Failure::Refused) => ": connection refused",
        Some(Failure::Certificate) => ": its certificate was not accepted",
        Some(Failure::TimedOut) => ": timed out",
        None => "",
    });
    let e = Error::unreachable(message).caused_by_chain(err);
    match failure {
        Some(Failure::Refused) => e.hint(
            "did you specify the right host or port? is the cluster running? check --context, --kubeconfig and KUBECONFIG",
        ),
        Some(Failure::Certificate) => e.hint(match authority {
            Some(field) => format!("the server's certificate was not accepted: check {field}"),
            None => {
                "the server's certificate was not accepted: check certificate-authority(-data) in the kubeconfig".into()
            }
        }),
        Some(Failure::TimedOut) => {
            e.hint("the server did not answer in time: raise --request-timeout or check the network")
        }
        None => e,
    }
}
