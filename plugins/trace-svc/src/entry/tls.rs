//! A TLS Secret named by an Ingress's `tls` or a Gateway listener's `certificateRefs`: present,
//! of type `kubernetes.io/tls`, and holding a certificate that covers the host and is valid now.
//!
//! | cause | when |
//! |---|---|
//! | `TLSSecretNotFound` | the Secret does not exist |
//! | `TLSSecretWrongType` | its type is not `kubernetes.io/tls` |
//! | `CertificateUnreadable` | no `tls.crt`, or not a PEM X.509 certificate |
//! | `CertificateNameMismatch` | the certificate's names do not cover the host |
//! | `CertificateExpired` / `CertificateNotYetValid` | outside its validity period |

use jiff::Timestamp;

use super::cert;
use super::objects::{Lookup, Pool, TlsSecret};
use crate::model::{Finding, Status};

/// What one Secret check found: a line for the hop, and the cause when it is not ok.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub status: Status,
    pub line: String,
    pub finding: Option<Finding>,
}

/// The command that shows a Secret's certificate without printing its key.
fn show_cert(ns: &str, name: &str, what: &str) -> String {
    format!(
        "kubectl get secret {name} -n {ns} -o jsonpath='{{.data.tls\\.crt}}' | base64 -d | openssl x509 -noout {what}"
    )
}

/// Checks the Secret `ns/name` for `host` (`None`: any host, as a rule without one) at `now`.
pub fn check(secrets: &Pool<TlsSecret>, ns: &str, name: &str, host: Option<&str>, now: Timestamp) -> Checked {
    let fail = |line: String, cause: &str, evidence: Vec<String>, command: String| Checked {
        status: Status::Fail,
        line,
        finding: Some(Finding { cause: cause.into(), evidence, command }),
    };
    let secret = match secrets.find(ns, name) {
        Lookup::Found(s) => s,
        Lookup::Missing => {
            return fail(
                format!("Secret {ns}/{name} does not exist"),
                "TLSSecretNotFound",
                vec![format!(
                    "no Secret {name} in namespace {ns}: the controller serves its default certificate, which clients reject"
                )],
                format!("kubectl create secret tls {name} -n {ns} --cert=CERT.pem --key=KEY.pem"),
            );
        }
        Lookup::Hidden(m) => {
            return Checked {
                status: Status::Warn,
                line: format!("Secret {ns}/{name} is not visible: {m}"),
                finding: None,
            };
        }
        Lookup::Unread => {
            return Checked { status: Status::Ok, line: format!("Secret {ns}/{name} (not read)"), finding: None };
        }
    };
    let type_ = secret.type_.as_deref().unwrap_or("Opaque");
    if type_ != "kubernetes.io/tls" {
        return fail(
            format!("Secret {ns}/{name} is of type {type_}, not kubernetes.io/tls"),
            "TLSSecretWrongType",
            vec![format!("type {type_}: controllers read certificates from Secrets of type kubernetes.io/tls")],
            format!(
                "kubectl create secret tls {name} -n {ns} --cert=CERT.pem --key=KEY.pem --dry-run=client -o yaml | kubectl replace --force -f -"
            ),
        );
    }
    let Some(crt) = secret.data.crt.as_ref().filter(|c| !c.0.is_empty()) else {
        return fail(
            format!("Secret {ns}/{name} has no tls.crt"),
            "CertificateUnreadable",
            vec!["data has no tls.crt".into()],
            format!("kubectl describe secret {name} -n {ns}"),
        );
    };
    let leaf = match cert::leaf(&crt.0) {
        Ok(l) => l,
        Err(why) => {
            return fail(
                format!("Secret {ns}/{name}: {why}"),
                "CertificateUnreadable",
                vec![why],
                show_cert(ns, name, "-text"),
            );
        }
    };
    let names = if leaf.names.is_empty() { "none".to_string() } else { leaf.names.join(", ") };
    let names_line = format!("certificate names (subjectAltName DNS): {names}");
    if let Some(h) = host {
        let covered = match h.strip_prefix("*.") {
            // A wildcard rule needs a wildcard certificate for the same domain.
            Some(_) => leaf.names.iter().any(|n| n.eq_ignore_ascii_case(h)),
            None => leaf.covers(h),
        };
        if !covered {
            return fail(
                format!("Secret {ns}/{name}: the certificate does not cover {h}"),
                "CertificateNameMismatch",
                vec![names_line],
                show_cert(ns, name, "-ext subjectAltName"),
            );
        }
    }
    let day = |t: Timestamp| t.to_string().get(..10).unwrap_or_default().to_string();
    let until = match leaf.valid {
        Some((from, to)) => {
            if now < from {
                return fail(
                    format!("Secret {ns}/{name}: the certificate is not valid before {from}"),
                    "CertificateNotYetValid",
                    vec![names_line, format!("notBefore {from}")],
                    show_cert(ns, name, "-dates"),
                );
            }
            if now > to {
                return fail(
                    format!("Secret {ns}/{name}: the certificate expired on {}", day(to)),
                    "CertificateExpired",
                    vec![names_line, format!("notAfter {to}")],
                    show_cert(ns, name, "-dates"),
                );
            }
            format!(", valid until {}", day(to))
        }
        None => String::new(),
    };
    let covers = host.map(|h| format!(" for {h}")).unwrap_or_default();
    Checked {
        status: Status::Ok,
        line: format!("Secret {ns}/{name} (kubernetes.io/tls): certificate{covers} ({names}){until}"),
        finding: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    fn secret(type_: &str, crt: Option<Vec<u8>>) -> Pool<TlsSecret> {
        let mut s: TlsSecret = serde_json::from_value(
            serde_json::json!({"metadata": {"name": "tls", "namespace": "shop"}, "type": type_}),
        )
        .expect("secret");
        s.data.crt = crt.map(ByteString);
        Pool::of(vec![s])
    }

    fn pem(names: &[&str]) -> Vec<u8> {
        let mut p = rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("p");
        p.not_before = rcgen::date_time_ymd(2025, 1, 1);
        p.not_after = rcgen::date_time_ymd(2026, 1, 1);
        p.self_signed(&rcgen::KeyPair::generate().expect("key")).expect("cert").pem().into_bytes()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    #[test]
    fn every_way_a_secret_fails_is_named() {
        let now = at("2025-06-01T00:00:00Z");
        let cause = |c: Checked| c.finding.map(|f| f.cause).unwrap_or_default();
        assert_eq!(cause(check(&Pool::of(vec![]), "shop", "tls", Some("a.example.com"), now)), "TLSSecretNotFound");
        assert_eq!(
            cause(check(&secret("Opaque", Some(pem(&["a.example.com"]))), "shop", "tls", None, now)),
            "TLSSecretWrongType"
        );
        assert_eq!(cause(check(&secret("kubernetes.io/tls", None), "shop", "tls", None, now)), "CertificateUnreadable");
        let good = secret("kubernetes.io/tls", Some(pem(&["a.example.com"])));
        let c = check(&good, "shop", "tls", Some("b.example.com"), now);
        assert_eq!(
            c.finding.as_ref().map(|f| f.evidence.clone()),
            Some(vec!["certificate names (subjectAltName DNS): a.example.com".to_string()])
        );
        assert_eq!(cause(c), "CertificateNameMismatch");
        assert_eq!(
            cause(check(&good, "shop", "tls", Some("a.example.com"), at("2026-02-01T00:00:00Z"))),
            "CertificateExpired"
        );
        assert_eq!(
            cause(check(&good, "shop", "tls", Some("a.example.com"), at("2024-02-01T00:00:00Z"))),
            "CertificateNotYetValid"
        );
        let ok = check(&good, "shop", "tls", Some("a.example.com"), now);
        assert_eq!(ok.status, Status::Ok);
        assert_eq!(
            ok.line,
            "Secret shop/tls (kubernetes.io/tls): certificate for a.example.com (a.example.com), valid until 2026-01-01"
        );
    }

    #[test]
    fn a_wildcard_rule_needs_a_wildcard_certificate() {
        let now = at("2025-06-01T00:00:00Z");
        let wild = secret("kubernetes.io/tls", Some(pem(&["*.example.com"])));
        assert_eq!(check(&wild, "shop", "tls", Some("*.example.com"), now).status, Status::Ok);
        let one = secret("kubernetes.io/tls", Some(pem(&["a.example.com"])));
        assert_eq!(check(&one, "shop", "tls", Some("*.example.com"), now).status, Status::Fail);
    }
}
