//! A small forward proxy that speaks HTTP `CONNECT`, as corporate proxies (squid, tinyproxy) do
//! for HTTPS: it resolves the requested host itself (from its own host table first, as a
//! proxy with its own DNS view does), opens the connection and relays bytes both ways. It
//! records every CONNECT target and can require Basic credentials, so that tests can see what
//! went through it. It proxies to real servers (the registry); it imitates none.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};

/// A running proxy on 127.0.0.1; it stops accepting when dropped.
pub struct Proxy {
    /// `127.0.0.1:PORT`.
    pub address: String,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Proxy {
    /// Starts a proxy. `hosts` maps names to the addresses it reaches them at (names it does
    /// not know are resolved by the system); `credentials` (`user:password`) makes it answer
    /// 407 to CONNECTs without them.
    pub fn start(hosts: &[(&str, &str)], credentials: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy listens");
        let address = listener.local_addr().expect("address").to_string();
        let hosts: Arc<HashMap<String, String>> =
            Arc::new(hosts.iter().map(|(n, a)| (n.to_string(), a.to_string())).collect());
        let expected = credentials.map(|c| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(c)
        });
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen2, stop2) = (Arc::clone(&seen), Arc::clone(&stop));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (hosts, seen, expected) = (Arc::clone(&hosts), Arc::clone(&seen2), expected.clone());
                std::thread::spawn(move || serve(conn, &hosts, &seen, expected.as_deref()));
            }
        });
        Proxy { address, seen, stop }
    }

    /// The CONNECT targets asked for so far (`host:port`), in order.
    pub fn connects(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(&self.address);
    }
}

fn serve(mut client: TcpStream, hosts: &HashMap<String, String>, seen: &Mutex<Vec<String>>, expected: Option<&str>) {
    let mut reader = BufReader::new(client.try_clone().expect("clone"));
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("proxy-authorization")
        {
            authorization = Some(value.trim().to_string());
        }
    }
    let mut words = request.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    if let Some(want) = expected {
        let ok = authorization
            .as_deref()
            .and_then(|a| a.split_once(' '))
            .is_some_and(|(scheme, token)| scheme.eq_ignore_ascii_case("basic") && token.trim() == want);
        if !ok {
            let _ = client.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"kit\"\r\nContent-Length: 0\r\n\r\n",
            );
            return;
        }
    }
    if let Ok(mut s) = seen.lock() {
        s.push(target.to_string());
    }
    let (host, port) = target.rsplit_once(':').unwrap_or((target, "443"));
    let resolved = match hosts.get(host) {
        Some(address) => format!("{address}:{port}"),
        None => target.to_string(),
    };
    let upstream = resolved.to_socket_addrs().ok().and_then(|mut a| a.find_map(|a| TcpStream::connect(a).ok()));
    let Some(upstream) = upstream else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    if client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").is_err() {
        return;
    }
    // Bytes the client sent after its request head are already in the reader's buffer.
    let buffered = reader.buffer().to_vec();
    let mut up_writer = upstream.try_clone().expect("clone");
    if !buffered.is_empty() && up_writer.write_all(&buffered).is_err() {
        return;
    }
    let mut up_reader = upstream;
    let mut down_writer = client.try_clone().expect("clone");
    let upward = std::thread::spawn(move || {
        let mut client_reader = client;
        relay(&mut client_reader, &mut up_writer);
    });
    relay(&mut up_reader, &mut down_writer);
    let _ = upward.join();
}

fn relay(from: &mut TcpStream, to: &mut TcpStream) {
    let mut buf = [0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}
