//! One error type for the whole suite: what went wrong as data, the errors it came from,
//! kubectl-like rendering, exit codes and redaction.
//!
//! Decisions are taken on an error's [`Kind`] (and on the API status it carries), never on its
//! text: `is_unreachable()`, `is_corrupt()`, `is_not_found()`… The errors an [`Error`] was built
//! from stay reachable through [`std::error::Error::source`] and [`Error::find`].
//!
//! Exit codes follow kubectl: 0 success, 1 runtime or API failure, 2 usage error. Messages read
//! `error: …` with `caused by:` lines and `hint:` lines; API statuses read like kubectl's
//! `Error from server (NotFound): pods "x" not found`. Everything printed is redacted (no
//! tokens, passwords or URL credentials) and escaped for the terminal here, in one place.

use std::fmt;
use std::sync::Arc;

use crate::terminal::escape;

/// What went wrong, which decides the exit code and the first line of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The command line was wrong; nothing was sent to the cluster. Exit 2.
    Usage,
    /// Something failed while running: network, kubeconfig, a file. Exit 1.
    Runtime,
    /// No server could be reached: no configuration, or the connection failed (refused, reset,
    /// timed out, certificate refused). Exit 1.
    Unreachable,
    /// Input is not what it says it is: bytes that hash to another digest, a truncated
    /// archive, a document that does not parse. Trying again will not help. Exit 1.
    Corrupt,
    /// Something named does not exist (outside the API server: a file, an entry, a blob). Exit 1.
    NotFound,
    /// A server (outside the API server: a registry) refused the credentials. Exit 1.
    Forbidden,
    /// A write lost to a concurrent one. Exit 1.
    Conflict,
    /// The API server answered with a Status. Exit 1.
    Api {
        /// `metav1.Status.reason`, e.g. `NotFound` (may be empty).
        reason: String,
        /// HTTP status code.
        code: u16,
    },
}

/// One `caused by:` line: text, or an error kept whole (its own chain stays reachable).
#[derive(Clone)]
enum Cause {
    Text(String),
    Error {
        error: Arc<dyn std::error::Error + Send + Sync + 'static>,
        /// Render every link of the error's chain, not only the error itself.
        chain: bool,
    },
}

/// The suite's error: a kind, a message, its causes, and hints on what to try.
#[derive(Clone)]
pub struct Error {
    /// Decides the exit code and how the first line reads.
    pub kind: Kind,
    /// The first line, without the `error: ` prefix.
    pub message: String,
    /// Underlying causes, outermost first.
    causes: Vec<Cause>,
    /// What the user can try next.
    pub hints: Vec<String>,
}

/// Shorthand for results in the suite.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of this kind.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), causes: vec![], hints: vec![] }
    }

    /// A usage error (exit 2): the command line cannot be carried out.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    /// A runtime error (exit 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        Self::new(Kind::Runtime, message)
    }

    /// A server that could not be reached (exit 1).
    pub fn unreachable(message: impl Into<String>) -> Self {
        Self::new(Kind::Unreachable, message)
    }

    /// Input that is not what it claims to be (exit 1); retrying will not help.
    pub fn corrupt(message: impl Into<String>) -> Self {
        Self::new(Kind::Corrupt, message)
    }

    /// Something named that does not exist (exit 1).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, message)
    }

    /// An error reported by the API server.
    pub fn api(reason: impl Into<String>, code: u16, message: impl Into<String>) -> Self {
        Self::new(Kind::Api { reason: reason.into(), code }, message)
    }

    /// A file that could not be read or written: the message names it (`cannot read PATH`) and
    /// the I/O error is kept as the cause. A missing file is [`Kind::NotFound`].
    pub fn io(action: &str, path: &std::path::Path, err: std::io::Error) -> Self {
        let kind = if err.kind() == std::io::ErrorKind::NotFound { Kind::NotFound } else { Kind::Runtime };
        Self::new(kind, format!("cannot {action} {}", path.display())).caused_by_error(err)
    }

    /// An exit status without a message: the command already printed its answer (for example a
    /// trace whose hops failed).
    pub fn quiet(code: u8) -> Self {
        let kind = if code == 2 { Kind::Usage } else { Kind::Runtime };
        Self::new(kind, "")
    }

    /// The same error, of another kind.
    #[must_use]
    pub fn with_kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    /// Adds a cause line (text; redacted when rendered).
    #[must_use]
    pub fn caused_by(mut self, cause: impl fmt::Display) -> Self {
        self.causes.push(Cause::Text(redact(&cause.to_string())));
        self
    }

    /// Adds an error as a cause: rendered as its own line, and kept whole, so that
    /// [`std::error::Error::source`] and [`Error::find`] reach it and the errors behind it.
    #[must_use]
    pub fn caused_by_error(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.causes.push(Cause::Error { error: Arc::new(cause), chain: false });
        self
    }

    /// [`Error::caused_by_error`] for an error whose chain says more than its first line (a
    /// connection failure: `client error (Connect)`, `tcp connect error`, `Connection refused`):
    /// one line per link.
    #[must_use]
    pub fn caused_by_chain(mut self, cause: Box<dyn std::error::Error + Send + Sync + 'static>) -> Self {
        self.causes.push(Cause::Error { error: Arc::from(cause), chain: true });
        self
    }

    /// Adds a hint line.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Adds text to the first line (`…; nothing was pushed`).
    #[must_use]
    pub fn context(mut self, more: &str) -> Self {
        self.message.push_str(more);
        self
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            Kind::Usage => 2,
            _ => 1,
        }
    }

    /// True for a usage error.
    pub fn is_usage(&self) -> bool {
        self.kind == Kind::Usage
    }

    /// True when no server could be reached at all (as opposed to a server refusing).
    pub fn is_unreachable(&self) -> bool {
        self.kind == Kind::Unreachable
    }

    /// True when the input is corrupt: trying again will not help.
    pub fn is_corrupt(&self) -> bool {
        self.kind == Kind::Corrupt
    }

    /// True when something does not exist: [`Kind::NotFound`], or the API server's 404.
    pub fn is_not_found(&self) -> bool {
        self.kind == Kind::NotFound || self.api_code() == Some(404)
    }

    /// True when the credentials were refused: [`Kind::Forbidden`], or the API server's 403.
    pub fn is_forbidden(&self) -> bool {
        self.kind == Kind::Forbidden || self.api_code() == Some(403)
    }

    /// True when a write lost to another: [`Kind::Conflict`], or the API server's 409.
    pub fn is_conflict(&self) -> bool {
        self.kind == Kind::Conflict || self.api_code() == Some(409)
    }

    /// The HTTP status of an API error, if this is one.
    pub fn api_code(&self) -> Option<u16> {
        match self.kind {
            Kind::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The message and its causes on one line (`message: cause: cause`), redacted, not yet
    /// escaped: for a report that carries an error as one field.
    pub fn one_line(&self) -> String {
        std::iter::once(self.message.clone()).chain(self.causes()).collect::<Vec<_>>().join(": ")
    }

    /// The cause lines as they are printed (redacted, not yet escaped), outermost first.
    pub fn causes(&self) -> Vec<String> {
        let mut lines: Vec<String> = vec![];
        for cause in &self.causes {
            match cause {
                Cause::Text(t) => lines.push(t.clone()),
                Cause::Error { error, chain: false } => lines.push(redact(&error.to_string())),
                Cause::Error { error, chain: true } => {
                    let mut link: Option<&(dyn std::error::Error + 'static)> = Some(error.as_ref());
                    let mut last: Option<String> = None;
                    while let Some(e) = link {
                        let text = redact(&e.to_string());
                        if last.as_ref() != Some(&text) {
                            lines.push(text.clone());
                        }
                        last = Some(text);
                        link = e.source();
                    }
                }
            }
        }
        lines
    }

    /// The first error of type `T` among the causes and the errors behind them (looking inside
    /// `std::io::Error`s, which hide the error they wrap from `source()`).
    pub fn find<T: std::error::Error + 'static>(&self) -> Option<&T> {
        self.causes.iter().find_map(|c| match c {
            Cause::Error { error, .. } => find_in(error.as_ref(), 0),
            Cause::Text(_) => None,
        })
    }

    /// Renders the error the way it is printed on stderr (terminal-escaped, newline-terminated).
    /// Line breaks in the message are kept; every other control character is escaped.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.message.is_empty() && self.causes.is_empty() && self.hints.is_empty() {
            return out;
        }
        let message: String = self.message.split('\n').map(escape).collect::<Vec<_>>().join("\n");
        let message = message.strip_suffix('\n').unwrap_or(&message);
        match &self.kind {
            Kind::Api { reason, .. } if !reason.is_empty() => {
                out.push_str(&format!("Error from server ({reason}): {message}\n"));
            }
            Kind::Api { .. } => out.push_str(&format!("Error from server: {message}\n")),
            _ => out.push_str(&format!("error: {message}\n")),
        }
        for cause in self.causes() {
            out.push_str(&format!("  caused by: {}\n", escape(&cause)));
        }
        for hint in &self.hints {
            let lines: Vec<String> = hint.split('\n').map(escape).collect();
            out.push_str(&format!("hint: {}\n", lines.join("\n")));
        }
        out
    }
}

/// Downcasts `err` or an error behind it to `T` (bounded, in case a chain loops).
fn find_in<'a, T: std::error::Error + 'static>(err: &'a (dyn std::error::Error + 'static), depth: u8) -> Option<&'a T> {
    if depth > 32 {
        return None;
    }
    if let Some(hit) = err.downcast_ref::<T>() {
        return Some(hit);
    }
    if let Some(inner) = err.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref)
        && let Some(hit) = find_in::<T>(inner, depth + 1)
    {
        return Some(hit);
    }
    err.source().and_then(|s| find_in(s, depth + 1))
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("causes", &self.causes())
            .field("hints", &self.hints)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

impl std::error::Error for Error {
    /// The first error kept as a cause ([`Error::caused_by_error`]); text causes are not errors.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.causes.iter().find_map(|c| match c {
            Cause::Error { error, .. } => Some(error.as_ref() as &(dyn std::error::Error + 'static)),
            Cause::Text(_) => None,
        })
    }
}

/// A read the API server refused with 403 Forbidden, kept with the server's message
/// (`pods is forbidden: User "jane" cannot list resource "pods" …`): what RBAC hides from a
/// command that reports it rather than failing. Shown as `not visible: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotVisible {
    /// The server's message.
    pub message: String,
}

impl fmt::Display for NotVisible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not visible: {}", self.message)
    }
}

/// The suite's rule for reads a command can do without (detach's neighbourhood, trace-svc's
/// hops): a forbidden read (403) is not visible, with the server's message; any other failure
/// is an error.
pub fn visible<T, E: Into<Error>>(read: std::result::Result<T, E>) -> Result<std::result::Result<T, NotVisible>> {
    match read.map_err(Into::into) {
        Ok(v) => Ok(Ok(v)),
        Err(e) if e.api_code() == Some(403) => Ok(Err(NotVisible { message: e.message })),
        Err(e) => Err(e),
    }
}

/// Converts kube's errors, keeping API statuses and dropping what must never be printed.
///
/// kube's own text for a failed exec credential plugin includes the command's arguments and its
/// whole output (where tokens live); only the command's name and exit status are kept.
impl From<kube::Error> for Error {
    fn from(err: kube::Error) -> Self {
        use kube::client::AuthError;
        match err {
            kube::Error::Api(status) => {
                let status = *status;
                Error::api(status.reason.clone(), status.code, status.message.clone())
            }
            kube::Error::Auth(AuthError::AuthExecRun { cmd, out }) => {
                let name = command_name(&cmd);
                let code = out.status.code().map_or_else(|| "a signal".to_string(), |c| c.to_string());
                Error::runtime(format!("exec credential plugin \"{name}\" failed (exit status {code})")).hint(
                    "run the plugin by hand to see its output; it is not shown here because it may hold credentials",
                )
            }
            kube::Error::Auth(AuthError::AuthExecStart(io)) => {
                Error::runtime("could not start the exec credential plugin").caused_by_error(io)
            }
            kube::Error::Auth(AuthError::AuthExecParse(_)) => {
                Error::runtime("the exec credential plugin printed something that is not an ExecCredential")
            }
            kube::Error::Auth(AuthError::AuthExec(_)) => Error::runtime("the exec credential plugin failed"),
            kube::Error::Auth(AuthError::InvalidBearerToken(_)) => {
                Error::runtime("the bearer token in the kubeconfig is not a valid HTTP header value")
            }
            kube::Error::Auth(AuthError::InvalidBasicAuth(_)) => {
                Error::runtime("the username/password in the kubeconfig are not a valid HTTP header value")
            }
            kube::Error::Auth(other) => Error::runtime("authentication failed").caused_by(other),
            kube::Error::HyperError(e) => transport_error(Box::new(e)),
            kube::Error::Service(e) => transport_error(e),
            kube::Error::SerdeError(e) => {
                Error::corrupt("the server sent a response that could not be decoded").caused_by_error(e)
            }
            kube::Error::InferConfig(e) => Error::runtime("could not load a kubeconfig").caused_by(e),
            other => Error::runtime(other.to_string()),
        }
    }
}

/// The program's basename in kube's description of a command (Rust's `Command` debug form:
/// `K="v" … "prog" "arg" …`, env assignments first): enough to name a plugin, never its
/// arguments or environment.
fn command_name(cmd: &str) -> String {
    let mut rest = cmd.trim_start();
    while !rest.is_empty() {
        let is_env = rest.find('=').is_some_and(|eq| {
            let name = &rest[..eq];
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        let (token, tail) = take_token(rest);
        if !is_env {
            let prog = token.trim_matches('"');
            return prog.rsplit('/').next().unwrap_or(prog).to_string();
        }
        rest = tail.trim_start();
    }
    "exec plugin".into()
}

/// Splits off one space-separated token, keeping quoted parts (with `\` escapes) whole.
fn take_token(s: &str) -> (&str, &str) {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ' ' if !quoted => return (&s[..i], &s[i..]),
            _ => {}
        }
    }
    (s, "")
}

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

/// Describes a connection-level failure to the API server: see [`unreachable_error`].
pub(crate) fn transport_error(err: Box<dyn std::error::Error + Send + Sync + 'static>) -> Error {
    unreachable_error(err, API_SERVER.get(), AUTHORITY.get().map(String::as_str))
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

/// Removes credentials from text that is about to be printed: bearer tokens, `token=` and
/// `password=` values, and the userinfo part of URLs.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // "Bearer <token>" / "Basic <creds>"
    while let Some(pos) = find_ci(rest, &["bearer ", "basic "]) {
        let (head, tail) = rest.split_at(pos.0);
        out.push_str(head);
        out.push_str(&tail[..pos.1]);
        out.push_str("[REDACTED]");
        let end = tail[pos.1..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',')
            .unwrap_or(tail.len() - pos.1);
        rest = &tail[pos.1 + end..];
    }
    out.push_str(rest);
    let mut result = String::with_capacity(out.len());
    for (i, part) in out.split("://").enumerate() {
        if i > 0 {
            result.push_str("://");
            // user:pass@host → [REDACTED]@host
            let host_end = part.find(['/', ' ', '"']).unwrap_or(part.len());
            if let Some(at) = part[..host_end].rfind('@') {
                result.push_str("[REDACTED]");
                result.push_str(&part[at..]);
                continue;
            }
        }
        result.push_str(part);
    }
    for key in ["token=", "password=", "access_token=", "id-token="] {
        result = redact_value_after(&result, key);
    }
    result
}

fn find_ci(hay: &str, needles: &[&str]) -> Option<(usize, usize)> {
    let lower = hay.to_ascii_lowercase();
    needles.iter().filter_map(|n| lower.find(n).map(|p| (p, n.len()))).min_by_key(|(p, _)| *p)
}

fn redact_value_after(text: &str, key: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::new();
    let mut last = 0;
    let mut search = 0;
    while let Some(p) = lower[search..].find(key) {
        let start = search + p + key.len();
        out.push_str(&text[last..start]);
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || c == '&' || c == '"' || c == '\'')
            .map_or(text.len(), |e| start + e);
        out.push_str("[REDACTED]");
        last = end;
        search = end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_message_and_causes() {
        let e =
            Error::runtime("registry r:5000 refused the request").caused_by("UNAUTHORIZED").caused_by("token expired");
        assert_eq!(e.one_line(), "registry r:5000 refused the request: UNAUTHORIZED: token expired");
        assert_eq!(Error::runtime("alone").one_line(), "alone");
    }

    #[test]
    fn exit_codes_follow_kubectl() {
        assert_eq!(Error::usage("x").exit_code(), 2);
        assert_eq!(Error::runtime("x").exit_code(), 1);
        assert_eq!(Error::api("NotFound", 404, "x").exit_code(), 1);
    }

    #[test]
    fn api_errors_read_like_kubectl() {
        let e = Error::api("NotFound", 404, "pods \"x\" not found");
        assert_eq!(e.render(), "Error from server (NotFound): pods \"x\" not found\n");
        let e = Error::api("", 500, "boom");
        assert_eq!(e.render(), "Error from server: boom\n");
    }

    #[test]
    fn runtime_errors_carry_causes_and_hints() {
        let e = Error::runtime("could not read file").caused_by("permission denied").hint("check the path");
        assert_eq!(e.render(), "error: could not read file\n  caused by: permission denied\nhint: check the path\n");
    }

    #[test]
    fn redacts_tokens_and_userinfo() {
        let r = redact("Authorization: Bearer abc.def.ghi failed at https://user:s3cret@proxy:3128/x token=zzz&a=1");
        assert!(!r.contains("abc.def.ghi"), "{r}");
        assert!(!r.contains("s3cret"), "{r}");
        assert!(!r.contains("zzz"), "{r}");
        assert!(r.contains("@proxy:3128/x"), "{r}");
        assert!(r.contains("a=1"), "{r}");
    }

    #[test]
    fn server_text_in_errors_is_escaped() {
        let e = Error::api("NotFound", 404, "pods \"\u{1b}[31mx\" not found");
        assert!(!e.render().contains('\u{1b}'));
    }

    #[test]
    fn kinds_decide_and_keep_exit_codes() {
        assert!(Error::corrupt("x").is_corrupt() && Error::corrupt("x").exit_code() == 1);
        assert!(Error::unreachable("x").is_unreachable());
        assert!(Error::api("NotFound", 404, "x").is_not_found() && Error::not_found("x").is_not_found());
        assert!(Error::api("Forbidden", 403, "x").is_forbidden());
        assert!(Error::api("Conflict", 409, "x").is_conflict());
        assert!(!Error::runtime("cannot reach corrupt things").is_corrupt(), "text decides nothing");
        assert_eq!(Error::usage("x").with_kind(Kind::Runtime).exit_code(), 1);
        assert_eq!(Error::runtime("a").context("; b").message, "a; b");
    }

    #[test]
    fn errors_keep_their_sources() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let e = Error::io("read", std::path::Path::new("/etc/x"), io).hint("check the path");
        assert_eq!(e.render(), "error: cannot read /etc/x\n  caused by: permission denied\nhint: check the path\n");
        let source = std::error::Error::source(&e).expect("a source");
        assert_eq!(
            source.downcast_ref::<std::io::Error>().map(std::io::Error::kind),
            Some(std::io::ErrorKind::PermissionDenied)
        );
        assert!(e.find::<std::io::Error>().is_some());
        let missing = Error::io("read", std::path::Path::new("/x"), std::io::ErrorKind::NotFound.into());
        assert!(missing.is_not_found());
        // Text causes are lines, not errors.
        assert!(std::error::Error::source(&Error::runtime("x").caused_by("y")).is_none());
    }

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("client error (Connect)")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn connection_failures_are_told_by_type() {
        let refused = Outer(std::io::ErrorKind::ConnectionRefused.into());
        assert_eq!(classify(&refused), Some(Failure::Refused));
        let timed_out = Outer(std::io::Error::new(std::io::ErrorKind::TimedOut, "deadline has elapsed"));
        assert_eq!(classify(&timed_out), Some(Failure::TimedOut));
        // rustls' error inside an io::Error, as tokio-rustls reports a refused certificate.
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let cert = Outer(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
        assert_eq!(classify(&cert), Some(Failure::Certificate));
        assert_eq!(classify(&Timeout(std::time::Duration::from_secs(2))), Some(Failure::TimedOut));
        // A message that mentions a refusal is still just a message.
        let other = Outer(std::io::Error::other("connection refused by policy; certificate; timed out"));
        assert_eq!(classify(&other), None);
        let e = unreachable_error(Box::new(Outer(std::io::ErrorKind::ConnectionRefused.into())), None, None);
        assert!(e.is_unreachable());
        assert_eq!(e.causes(), ["client error (Connect)", "connection refused"]);
        assert!(e.hints[0].starts_with("did you specify the right host or port?"), "{:?}", e.hints);
        assert!(e.find::<std::io::Error>().is_some(), "the chain stays reachable");
    }

    #[test]
    fn an_unreachable_api_server_is_named_with_its_context() {
        let kind = ApiServer { url: "https://admin:s3cret@127.0.0.1:1".into(), context: Some("kind-kind".into()) };
        let refused = Box::new(Outer(std::io::ErrorKind::ConnectionRefused.into()));
        assert_eq!(
            unreachable_error(refused, Some(&kind), None).render(),
            "error: could not reach the API server https://[REDACTED]@127.0.0.1:1 (context \"kind-kind\"): connection refused
  caused by: client error (Connect)
  caused by: connection refused
hint: did you specify the right host or port? is the cluster running? check --context, --kubeconfig and KUBECONFIG
"
        );
        let timeout = Box::new(Timeout(std::time::Duration::from_secs(2)));
        let e = unreachable_error(timeout, Some(&kind), None);
        assert_eq!(
            e.message,
            "could not reach the API server https://[REDACTED]@127.0.0.1:1 (context \"kind-kind\"): timed out"
        );
        assert_eq!(e.causes(), ["request timed out after 2s (--request-timeout)"]);
        assert!(e.hints[0].contains("did not answer in time"), "{:?}", e.hints);
        let pod = ApiServer { url: "https://10.96.0.1".into(), context: None };
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let cert = Box::new(Outer(std::io::Error::new(std::io::ErrorKind::InvalidData, tls)));
        let e = unreachable_error(cert, Some(&pod), Some("clusters[c].cluster.certificate-authority-data in /k"));
        assert_eq!(e.message, "could not reach the API server https://10.96.0.1: its certificate was not accepted");
        assert_eq!(
            e.hints,
            ["the server's certificate was not accepted: check clusters[c].cluster.certificate-authority-data in /k"]
        );
        let other = Box::new(Outer(std::io::Error::other("connection reset")));
        let e = unreachable_error(other, Some(&pod), None);
        assert_eq!((e.message.as_str(), e.hints.len()), ("could not reach the API server https://10.96.0.1", 0));
        let hostile = ApiServer { url: "https://x\u{1b}[31m".into(), context: Some("c\u{1b}]0;".into()) };
        let e = unreachable_error(Box::new(Outer(std::io::ErrorKind::ConnectionRefused.into())), Some(&hostile), None);
        assert!(!e.render().contains('\u{1b}'), "{}", e.render());
    }

    #[test]
    fn a_forbidden_read_is_not_visible_and_other_failures_are_errors() {
        let status = |code: u16, reason: &str, message: &str| {
            kube::Error::Api(Box::new(kube::core::Status {
                code,
                reason: reason.into(),
                message: message.into(),
                ..Default::default()
            }))
        };
        let forbidden = status(403, "Forbidden", "pods is forbidden: User \"jane\" cannot list resource \"pods\"");
        let hidden = visible::<Vec<u8>, _>(Err(forbidden)).expect("not an error").expect_err("not visible");
        assert_eq!(hidden.to_string(), "not visible: pods is forbidden: User \"jane\" cannot list resource \"pods\"");
        assert_eq!(visible::<_, kube::Error>(Ok(3)).expect("no error"), Ok(3));
        let e = visible::<(), _>(Err(status(404, "NotFound", "gone"))).expect_err("an error");
        assert!(e.is_not_found());
        // Our own errors follow the same rule: only the API server's 403 hides a read.
        assert!(visible::<(), _>(Err(Error::api("Forbidden", 403, "no"))).expect("hidden").is_err());
        assert!(visible::<(), _>(Err(Error::new(Kind::Forbidden, "registry said no"))).is_err());
    }

    #[test]
    fn command_name_drops_arguments_and_environment() {
        assert_eq!(command_name("\"/usr/bin/aws\" \"eks\" \"get-token\" \"--cluster\" \"secret\""), "aws");
        assert_eq!(
            command_name(
                "PLANTED=\"s3cret\" KUBERNETES_EXEC_INFO=\"{\\\"apiVersion\\\":\\\"client.authentication.k8s.io/v1\\\"}\" \"sh\" \"-c\" \"x\""
            ),
            "sh"
        );
        assert_eq!(command_name(""), "exec plugin");
    }
}
