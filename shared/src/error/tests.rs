//! Tests of the error type: rendering, kinds, sources, redaction and connection failures.

use super::connect::unreachable_error;
use super::from_kube::command_name;
use super::*;

#[test]
fn one_line_joins_message_and_causes() {
    let e = Error::runtime("registry r:5000 refused the request").caused_by("UNAUTHORIZED").caused_by("token expired");
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
