//! Small helpers: printing, running commands, plain-HTTP probes, free ports.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Prints to stdout.
pub fn say(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
    let _ = std::io::stdout().flush();
}

/// Prints to stderr.
pub fn say_err(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// A progress line on stderr.
pub fn step(text: &str) {
    say_err(&format!("==> {text}\n"));
}

/// Runs a command to completion and fails with its stderr if it fails.
pub fn run(cmd: &mut Command) -> Result<Output> {
    let out = cmd.output().with_context(|| format!("could not run {}", describe(cmd)))?;
    if !out.status.success() {
        bail!("{} failed ({}): {}", describe(cmd), out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(out)
}

/// `program arg…` for messages.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().to_string();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// A plain-HTTP GET on loopback; returns (status, body). For etcd and the registry.
pub fn http_get(port: u16, path: &str) -> Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n")?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    let status = buf.split_whitespace().nth(1).and_then(|c| c.parse().ok()).context("malformed HTTP response")?;
    let body = buf.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// A free TCP port on 127.0.0.1 (the OS picks; the caller starts its server soon after).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// True when something already listens on 127.0.0.1:port.
pub fn port_in_use(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_err()
}

/// The last non-empty lines of a log file, for error messages.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Progress of a long step on stderr: on a terminal one line redrawn in place (elapsed time,
/// what is being done); elsewhere (CI logs, pipes) a plain line a minute, so that a log shows
/// the step is alive without filling up.
pub struct Progress {
    what: String,
    detail: String,
    started: std::time::Instant,
    terminal: bool,
    last_plain: std::time::Instant,
    drawn: bool,
}

impl Progress {
    pub fn new(what: &str) -> Self {
        use std::io::IsTerminal;
        let now = std::time::Instant::now();
        Progress {
            what: what.to_string(),
            detail: String::new(),
            started: now,
            terminal: std::io::stderr().is_terminal(),
            last_plain: now,
            drawn: false,
        }
    }

    /// Sets what is being done now and redraws.
    pub fn update(&mut self, detail: &str) {
        self.detail = detail.to_string();
        self.tick();
    }

    /// Redraws the elapsed time (terminal), or writes a line once a minute (elsewhere).
    pub fn tick(&mut self) {
        let secs = self.started.elapsed().as_secs();
        let line = format!("    {}m{:02}s {}: {}", secs / 60, secs % 60, self.what, self.detail);
        if self.terminal {
            // One terminal line: cut to 100 characters so that it never wraps on a usual width.
            let cut: String = line.chars().take(100).collect();
            say_err(&format!("\r\x1b[K{cut}"));
            self.drawn = true;
        } else if self.last_plain.elapsed() >= Duration::from_secs(60) {
            self.last_plain = std::time::Instant::now();
            say_err(&format!("{line}\n"));
        }
    }

    /// Clears the line drawn on a terminal.
    pub fn finish(&mut self) {
        if self.drawn {
            say_err("\r\x1b[K");
            self.drawn = false;
        }
    }
}
