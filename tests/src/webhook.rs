//! An admission webhook for the tests, served over HTTPS from a thread of the test process: the
//! API server calls it as it calls any webhook (`clientConfig.url`), and it refuses every
//! request with a message. It is a real webhook, not a model of the API server: the API server
//! sends it `AdmissionReview` requests and acts on its answers.
//!
//! It makes a self-signed certificate for 127.0.0.1 (the configuration's `caBundle`) and answers
//! `POST` with `allowed: false`, a 403 status and the message. Requests are counted, so a test
//! can wait until the API server has asked.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// A running webhook; stopped on drop.
pub struct Webhook {
    /// `https://127.0.0.1:PORT/validate`: the configuration's `clientConfig.url`.
    pub url: String,
    /// The server's certificate, base64 of its PEM: the configuration's `caBundle`.
    pub ca_bundle: String,
    asked: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl Webhook {
    /// Starts a webhook on a free loopback port that denies every request with `message`.
    pub fn deny(message: &str) -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a P-256 key");
        let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("certificate parameters");
        params.distinguished_name.push(rcgen::DnType::CommonName, "kit admission webhook");
        let cert = params.self_signed(&key).expect("self-signed certificate");
        let der = rustls_pki_types::CertificateDer::from(cert.der().to_vec());
        let private = rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![der], private)
            .expect("a server certificate");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the webhook");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let asked = Arc::new(AtomicUsize::new(0));
        let (stopped, counter, message) = (stop.clone(), asked.clone(), message.to_string());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(s) = stream else { continue };
                let (config, counter, message) = (config.clone(), counter.clone(), message.clone());
                // The API server keeps connections open: one thread each.
                std::thread::spawn(move || serve(s, config, &counter, &message));
            }
        });
        Webhook {
            url: format!("https://127.0.0.1:{port}/validate"),
            ca_bundle: STANDARD.encode(cert.pem()),
            asked,
            stop,
            port,
        }
    }

    /// How many admission requests the API server has sent.
    pub fn asked(&self) -> usize {
        self.asked.load(Ordering::Relaxed)
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Answers the requests of one connection until the API server closes it.
fn serve(stream: TcpStream, config: Arc<rustls::ServerConfig>, asked: &AtomicUsize, message: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let Ok(conn) = rustls::ServerConnection::new(config) else { return };
    let tls = rustls::StreamOwned::new(conn, stream);
    let mut reader = BufReader::new(tls);
    loop {
        let Some(body) = read_request(&mut reader) else { return };
        asked.fetch_add(1, Ordering::Relaxed);
        let review: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let answer = json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "response": {
                "uid": review["request"]["uid"],
                "allowed": false,
                "status": {"code": 403, "message": message},
            },
        })
        .to_string();
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        );
        let tls = reader.get_mut();
        if tls.write_all(reply.as_bytes()).and_then(|_| tls.flush()).is_err() {
            return;
        }
    }
}

/// One HTTP/1.1 request's body (`Content-Length` bytes after the headers), or `None` when the
/// connection ends.
fn read_request(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length.min(16 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_request_and_its_body() {
        let text =
            "POST /validate?timeout=10s HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcdPOST / HTTP/1.1\r\n\r\n";
        let mut r = BufReader::new(text.as_bytes());
        assert_eq!(read_request(&mut r).as_deref(), Some(&b"abcd"[..]));
        assert_eq!(read_request(&mut r).as_deref(), Some(&b""[..]));
        assert_eq!(read_request(&mut r), None);
    }
}
