//! A registry token service (distribution's token authentication spec) for the tests, served
//! from a thread of the test process: no Python, no `cryptography` package.
//!
//! It makes a P-256 key and a self-signed CA certificate for it (the registry's
//! `rootcertbundle`) and answers `GET /token`: with HTTP Basic `USER:PASSWORD` and the right
//! `service`, a JWT signed ES256 with the certificate in its `x5c` header, granting the requested
//! scopes; otherwise 401. Each request is logged as `"REQUEST LINE" STATUS` (no headers, so
//! neither the password nor a token is ever in the log).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::{Value, json};

/// A running token service; stopped on drop.
pub struct TokenService {
    /// `http://localhost:PORT/token`, the registry's `realm`.
    pub realm: String,
    /// The issuer's certificate, PEM: the registry's `rootcertbundle`.
    pub certificate_pem: String,
    stop: Arc<AtomicBool>,
    port: u16,
}

/// Who may have a token, and what the tokens say.
struct Grant {
    basic: String,
    service: String,
    issuer: String,
    user: String,
    key: EcdsaKeyPair,
    x5c: String,
    log: PathBuf,
}

impl TokenService {
    /// Starts the service on a free loopback port: tokens for `service` from `issuer` to
    /// `user:password` only; requests logged to `log`.
    pub fn start(user: &str, password: &str, service: &str, issuer: &str, log: PathBuf) -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a P-256 key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("certificate parameters");
        params.distinguished_name.push(rcgen::DnType::CommonName, "kit token issuer");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).expect("self-signed certificate");
        let rng = ring::rand::SystemRandom::new();
        let signer = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.serialize_der(), &rng)
            .expect("ring reads rcgen's PKCS#8 key");
        let grant = Grant {
            basic: format!("Basic {}", STANDARD.encode(format!("{user}:{password}"))),
            service: service.to_string(),
            issuer: issuer.to_string(),
            user: user.to_string(),
            key: signer,
            x5c: STANDARD.encode(cert.der()),
            log,
        };
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the token service");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(s) = stream {
                    grant.answer(s);
                }
            }
        });
        // By name: crane (go-containerregistry#2258) refuses a realm whose host is a loopback or
        // private IP literal, as an SSRF guard; names are not checked.
        TokenService { realm: format!("http://localhost:{port}/token"), certificate_pem: cert.pem(), stop, port }
    }
}

impl Drop for TokenService {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl Grant {
    /// Answers one request (one per connection: the reply closes it).
    fn answer(&self, stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let mut reader = BufReader::new(&stream);
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return;
        }
        let line = line.trim_end().to_string();
        let mut authorization = None;
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header) {
                Ok(0) | Err(_) => break,
                Ok(_) if header.trim_end().is_empty() => break,
                Ok(_) => {
                    if let Some((name, value)) = header.trim_end().split_once(':')
                        && name.eq_ignore_ascii_case("authorization")
                    {
                        authorization = Some(value.trim().to_string());
                    }
                }
            }
        }
        let target = line.split_whitespace().nth(1).unwrap_or_default();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let params: Vec<(String, String)> =
            query.split('&').filter_map(|p| p.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect();
        let services: Vec<&str> = params.iter().filter(|(k, _)| k == "service").map(|(_, v)| v.as_str()).collect();
        let granted = line.starts_with("GET ")
            && path == "/token"
            && authorization.as_deref() == Some(self.basic.as_str())
            && services == [self.service.as_str()];
        let (status, body) = if granted {
            let scopes: Vec<&str> = params.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v.as_str()).collect();
            ("200 OK", json!({ "token": self.token(&scopes) }).to_string())
        } else {
            ("401 Unauthorized", String::new())
        };
        let mut stream = &stream;
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let code = status.split(' ').next().unwrap_or_default();
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&self.log) {
            let _ = writeln!(f, "\"{line}\" {code}");
        }
    }

    /// A JWT granting `scopes` (`repository:NAME:pull,push`, several per parameter allowed).
    fn token(&self, scopes: &[&str]) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let header = json!({ "typ": "JWT", "alg": "ES256", "x5c": [self.x5c] });
        let claims = json!({
            "iss": self.issuer,
            "sub": self.user,
            "aud": self.service,
            "exp": now + 600,
            "nbf": now - 30,
            "iat": now,
            "jti": format!("{now}-{}", std::process::id()),
            "access": access(scopes),
        });
        let signing =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let rng = ring::rand::SystemRandom::new();
        // FIXED signing gives r || s, the form JWS wants for ES256 (RFC 7518 §3.4).
        let signature = self.key.sign(&rng, signing.as_bytes()).expect("ECDSA signature");
        format!("{signing}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }
}

/// The token's `access` claim of scopes `TYPE:NAME:ACTION,…` (the name may hold `:`, as
/// `host:port/repo` does not here but the spec allows).
fn access(scopes: &[&str]) -> Value {
    let mut out = vec![];
    for scope in scopes.iter().flat_map(|s| s.split(' ')).filter(|s| !s.is_empty()) {
        let Some((rest, actions)) = scope.rsplit_once(':') else { continue };
        let Some((kind, name)) = rest.split_once(':') else { continue };
        out.push(json!({ "type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>() }));
    }
    Value::Array(out)
}

/// Percent-decoding of a query component (`+` is a space in forms).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_become_access_claims() {
        assert_eq!(
            access(&["repository:kit/app:pull,push", "registry:catalog:*"]),
            json!([
                {"type": "repository", "name": "kit/app", "actions": ["pull", "push"]},
                {"type": "registry", "name": "catalog", "actions": ["*"]},
            ])
        );
        assert_eq!(decode("repository%3Akit%2Fapp%3Apull%2Cpush"), "repository:kit/app:pull,push");
        assert_eq!(decode("a+b%2"), "a b%2");
    }
}
