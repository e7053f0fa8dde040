//! Converting kube's errors into the suite's: API statuses kept, connection failures described,
//! and nothing an exec credential plugin printed (where tokens live).

use super::{Error, transport_error};

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
pub(super) fn command_name(cmd: &str) -> String {
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
