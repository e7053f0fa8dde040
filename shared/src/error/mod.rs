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

mod connect;
mod from_kube;
mod redact;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;

use crate::terminal::escape;
pub(crate) use connect::{ApiServer, note_authority, note_server, transport_error, with_own_connection};
pub use connect::{Failure, Timeout, classify};
pub use redact::redact;

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
