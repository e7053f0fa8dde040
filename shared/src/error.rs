//! One error type for the whole suite: kubectl-like rendering, exit codes and redaction.
//!
//! Exit codes follow kubectl: 0 success, 1 runtime or API failure, 2 usage error. Messages read
//! `error: …` with `caused by:` lines and `hint:` lines; API statuses read like kubectl's
//! `Error from server (NotFound): pods "x" not found`.

use std::fmt;

/// What went wrong, which decides the exit code and the first line of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The command line was wrong; nothing was sent to the cluster. Exit 2.
    Usage,
    /// Something failed while running: network, kubeconfig, a file. Exit 1.
    Runtime,
    /// No cluster could be reached: no configuration, or the connection failed. Exit 1.
    Unreachable,
    /// The API server answered with a Status. Exit 1.
    Api {
        /// `metav1.Status.reason`, e.g. `NotFound` (may be empty).
        reason: String,
        /// HTTP status code.
        code: u16,
    },
}

/// The suite's error: a message, its causes, and hints on what to try.
#[derive(Debug, Clone)]
pub struct Error {
    /// Decides the exit code and how the first line reads.
    pub kind: Kind,
    /// The first line, without the `error: ` prefix.
    pub message: String,
    /// Underlying causes, outermost first.
    pub causes: Vec<String>,
    /// What the user can try next.
    pub hints: Vec<String>,
}

/// Shorthand for results in the suite.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A usage error (exit 2): the command line cannot be carried out.
    pub fn usage(message: impl Into<String>) -> Self {
        Self { kind: Kind::Usage, message: message.into(), causes: vec![], hints: vec![] }
    }

    /// A runtime error (exit 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        Self { kind: Kind::Runtime, message: message.into(), causes: vec![], hints: vec![] }
    }

    /// An error reported by the API server.
    pub fn api(reason: impl Into<String>, code: u16, message: impl Into<String>) -> Self {
        Self { kind: Kind::Api { reason: reason.into(), code }, message: message.into(), causes: vec![], hints: vec![] }
    }

    /// An exit status without a message: the command already printed its answer (for example a
    /// trace whose hops failed).
    pub fn quiet(code: u8) -> Self {
        let kind = if code == 2 { Kind::Usage } else { Kind::Runtime };
        Self { kind, message: String::new(), causes: vec![], hints: vec![] }
    }

    /// Adds a cause line.
    #[must_use]
    pub fn caused_by(mut self, cause: impl fmt::Display) -> Self {
        self.causes.push(redact(&cause.to_string()));
        self
    }

    /// Adds a hint line.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            Kind::Usage => 2,
            Kind::Runtime | Kind::Unreachable | Kind::Api { .. } => 1,
        }
    }

    /// True when no cluster could be reached at all (as opposed to the cluster refusing).
    pub fn is_unreachable(&self) -> bool {
        self.kind == Kind::Unreachable
    }

    /// The HTTP status of an API error, if this is one.
    pub fn api_code(&self) -> Option<u16> {
        match self.kind {
            Kind::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Renders the error the way it is printed on stderr (terminal-escaped, newline-terminated).
    /// Line breaks in the message are kept; every other control character is escaped.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.message.is_empty() && self.causes.is_empty() && self.hints.is_empty() {
            return out;
        }
        let message: String = self.message.split('\n').map(crate::output::escape).collect::<Vec<_>>().join("\n");
        let message = message.strip_suffix('\n').unwrap_or(&message);
        match &self.kind {
            Kind::Api { reason, .. } if !reason.is_empty() => {
                out.push_str(&format!("Error from server ({reason}): {message}\n"));
            }
            Kind::Api { .. } => out.push_str(&format!("Error from server: {message}\n")),
            _ => out.push_str(&format!("error: {message}\n")),
        }
        for cause in &self.causes {
            out.push_str(&format!("  caused by: {}\n", crate::output::escape(cause)));
        }
        for hint in &self.hints {
            let lines: Vec<String> = hint.split('\n').map(crate::output::escape).collect();
            out.push_str(&format!("hint: {}\n", lines.join("\n")));
        }
        out
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::runtime(err.to_string())
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
                Error::runtime("could not start the exec credential plugin").caused_by(io)
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
            kube::Error::HyperError(e) => transport_error(&e),
            kube::Error::Service(e) => transport_error(e.as_ref()),
            kube::Error::SerdeError(e) => {
                Error::runtime("the server sent a response that could not be decoded").caused_by(e)
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

/// Describes a connection-level failure by walking its source chain.
pub(crate) fn transport_error(err: &(dyn std::error::Error + 'static)) -> Error {
    let mut chain = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if chain.last() != Some(&text) {
            chain.push(text);
        }
        source = s.source();
    }
    let joined = chain.join(": ").to_lowercase();
    let mut e = Error::runtime("could not reach the API server");
    e.kind = Kind::Unreachable;
    for c in chain {
        e = e.caused_by(c);
    }
    if joined.contains("connection refused") {
        e = e.hint("is the cluster running? check --context, --kubeconfig and KUBECONFIG");
    } else if joined.contains("certificate") || joined.contains("unknownissuer") {
        e = e.hint(match AUTHORITY.get() {
            Some(field) => format!("the server's certificate was not accepted: check {field}"),
            None => {
                "the server's certificate was not accepted: check certificate-authority(-data) in the kubeconfig".into()
            }
        });
    } else if joined.contains("timed out") || joined.contains("elapsed") {
        e = e.hint("the server did not answer in time: raise --request-timeout or check the network");
    }
    e
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
