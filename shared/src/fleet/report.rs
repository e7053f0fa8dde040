//! Failures of a read across contexts, printed after the output: one `error: context NAME: …`
//! line each, with its cause, and its hint once (ten dead clusters do not print the same hint
//! ten times). Redacted and escaped as every [`Error`] is.

use super::Outcome;
use crate::error::{Error, Kind, Result};

/// One failure as printed: `error: context NAME: MESSAGE: CAUSE` (an API error keeps kubectl's
/// `Error from server (Reason): …`), then `hint: …` lines. Without a context (one context
/// read in several namespaces) the error reads as it would alone.
pub fn error_line(context: Option<&str>, e: &Error) -> String {
    let Some(context) = context else { return e.render() };
    let first = match &e.kind {
        Kind::Api { reason, .. } if !reason.is_empty() => format!("Error from server ({reason}): {}", e.message),
        Kind::Api { .. } => format!("Error from server: {}", e.message),
        _ => e.message.clone(),
    };
    let mut line = format!("context {context}: {first}");
    // The innermost cause says what happened at the bottom (`Connection refused`, the
    // certificate's problem); the links between are the stack's names for it.
    if let Some(cause) = e.causes().last().filter(|c| !says_again(&line, c)) {
        line.push_str(": ");
        line.push_str(cause);
    }
    let mut out = Error::runtime(line);
    for hint in &e.hints {
        out = out.hint(hint.clone());
    }
    out.render()
}

/// True when `cause` only repeats what `line` says (`Connection refused (os error 111)` after
/// `…: connection refused`).
fn says_again(line: &str, cause: &str) -> bool {
    let bare = cause.split(" (os error").next().unwrap_or(cause).trim().to_lowercase();
    bare.is_empty() || line.to_lowercase().contains(&bare)
}

/// Prints `unmatched` (patterns that named no context), then each context's failure and
/// faults in order, each hint once; `Err` (exit 1, nothing more to print) if anything failed.
pub(super) fn report<T>(unmatched: &[Error], outcomes: &[Outcome<T>]) -> Result<()> {
    let mut text = String::new();
    let mut hints: Vec<String> = vec![];
    let mut add = |rendered: String| {
        for l in rendered.lines() {
            if l.starts_with("hint: ") {
                if hints.iter().any(|h| h == l) {
                    continue;
                }
                hints.push(l.to_string());
            }
            text.push_str(l);
            text.push('\n');
        }
    };
    for e in unmatched {
        add(e.render());
    }
    let mut failed = !unmatched.is_empty();
    for o in outcomes {
        let context = o.target.context.as_deref();
        for f in &o.faults {
            add(error_line(context, f));
            failed = true;
        }
        if let Err(e) = &o.result {
            add(error_line(context, e));
            failed = true;
        }
    }
    if !text.is_empty() {
        crate::output::err(&text);
    }
    if failed { Err(Error::quiet(1)) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_failure_is_one_line_with_its_cause_and_hint() {
        let refused = Error::unreachable("could not reach the API server https://127.0.0.1:1: connection refused")
            .caused_by("client error (Connect)")
            .caused_by("Connection refused (os error 111)")
            .hint("is the cluster running?");
        assert_eq!(
            error_line(Some("dead"), &refused),
            "error: context dead: could not reach the API server https://127.0.0.1:1: connection refused\nhint: is the cluster running?\n"
        );
        let cert = Error::unreachable("could not reach the API server https://k: its certificate was not accepted")
            .caused_by("invalid peer certificate: UnknownIssuer");
        assert_eq!(
            error_line(Some("prod-eu"), &cert),
            "error: context prod-eu: could not reach the API server https://k: its certificate was not accepted: invalid peer certificate: UnknownIssuer\n"
        );
        let forbidden =
            Error::api("Forbidden", 403, "pods is forbidden: User \"nobody\" cannot list resource \"pods\"");
        assert_eq!(
            error_line(Some("nobody"), &forbidden),
            "error: context nobody: Error from server (Forbidden): pods is forbidden: User \"nobody\" cannot list resource \"pods\"\n"
        );
        assert_eq!(error_line(None, &forbidden), forbidden.render(), "alone, as kubectl prints it");
    }

    #[test]
    fn context_names_and_causes_are_escaped_and_redacted() {
        let e = Error::runtime("failed").caused_by("Authorization: Bearer s3cr3t-token refused");
        let line = error_line(Some("c\u{1b}[31m"), &e);
        assert!(!line.contains('\u{1b}') && !line.contains("s3cr3t-token"), "{line}");
    }
}
