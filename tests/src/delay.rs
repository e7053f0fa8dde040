//! A TCP proxy that adds latency: it accepts on 127.0.0.1, holds each new connection for a set
//! time, then relays bytes both ways to the real server (an API server, unchanged: TLS goes
//! through it end to end). A cluster made slow this way is still the real control plane; the
//! proxy imitates nothing, it only delays.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// A running delaying proxy; it stops accepting when dropped.
pub struct Delay {
    /// `127.0.0.1:PORT`, to put in a kubeconfig's `server:` instead of the real address.
    pub address: String,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Delay {
    /// Relays to `upstream` (`host:port`), each connection held `delay` before its first byte
    /// goes either way.
    pub fn start(upstream: &str, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the delaying proxy listens");
        let address = listener.local_addr().expect("address").to_string();
        let (accepted, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (count, halt, upstream) = (Arc::clone(&accepted), Arc::clone(&stop), upstream.to_string());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if halt.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = conn else { continue };
                count.fetch_add(1, Ordering::Relaxed);
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    if let Ok(server) = TcpStream::connect(&upstream) {
                        relay(client, server);
                    }
                });
            }
        });
        Delay { address, accepted, stop }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for Delay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(&self.address);
    }
}

/// Copies bytes both ways until either side closes.
fn relay(client: TcpStream, server: TcpStream) {
    let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else { return };
    let up = std::thread::spawn(move || copy(client2, server2));
    copy(server, client);
    let _ = up.join();
}

fn copy(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn bytes_pass_after_the_delay() {
        let echo = TcpListener::bind("127.0.0.1:0").expect("listen");
        let upstream = echo.local_addr().expect("addr").to_string();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = echo.accept() {
                let mut buf = [0u8; 5];
                if s.read_exact(&mut buf).is_ok() {
                    let _ = s.write_all(&buf);
                }
            }
        });
        let delay = Delay::start(&upstream, Duration::from_millis(300));
        let started = Instant::now();
        let mut c = TcpStream::connect(&delay.address).expect("connect");
        c.write_all(b"hello").expect("write");
        let mut back = [0u8; 5];
        c.read_exact(&mut back).expect("read");
        assert_eq!(&back, b"hello");
        assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
        assert_eq!(delay.accepted(), 1);
    }
}
