//! `cargo test` run with its output streamed as it comes, and read on the way: cargo's
//! `Running …` and `Doc-tests …` lines name each test binary, the harness's `test result:`
//! line counts it. At the end, one line per test file (passed, failed, ignored), and the files
//! whose binary never reported (crashed, killed, or not built).

use std::io::{Read, Write};
use std::process::{Command, ExitStatus};

use anyhow::{Context, Result};

/// One test binary: a crate's unit tests, an integration test file or a crate's doc-tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// `kubectl-cols tests/cli.rs`, `kubectl-kit-core src/lib.rs`, `kubectl-cols doc-tests`.
    pub label: String,
    /// `None` until its `test result:` line; still `None` at the end when the binary crashed.
    pub counts: Option<Counts>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: u32,
    pub failed: u32,
    pub ignored: u32,
}

/// What the output said so far.
#[derive(Debug, Default)]
pub struct Summary {
    pub files: Vec<File>,
    /// The crate whose unit tests ran last: cargo runs a package's unit tests before its
    /// integration tests, whose `Running` lines name only the file (`tests/cli.rs`).
    package: Option<String>,
    /// The bytes of a line not yet ended.
    partial: Vec<u8>,
}

impl Summary {
    /// Feeds output as it arrives, in pieces of any size.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                let line = String::from_utf8_lossy(&self.partial).to_string();
                self.partial.clear();
                self.line(&line);
            } else {
                self.partial.push(b);
            }
        }
    }

    fn line(&mut self, raw: &str) {
        let line = strip_ansi(raw);
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Running ") {
            // `Running unittests src/lib.rs (target/debug/deps/kubectl_cols-0123abcd)` or
            // `Running tests/cli.rs (target/debug/deps/cli-0123abcd)`.
            let Some((file, exe)) = rest.strip_suffix(')').and_then(|r| r.rsplit_once(" (")) else { return };
            let label = match file.strip_prefix("unittests ") {
                Some(file) => {
                    let stem = exe.rsplit('/').next().unwrap_or(exe);
                    let krate = stem.rsplit_once('-').map_or(stem, |(name, _hash)| name).replace('_', "-");
                    self.package = Some(krate.clone());
                    format!("{krate} {file}")
                }
                None => match &self.package {
                    Some(krate) => format!("{krate} {file}"),
                    None => file.to_string(),
                },
            };
            self.files.push(File { label, counts: None });
        } else if let Some(krate) = line.strip_prefix("Doc-tests ") {
            self.files.push(File { label: format!("{} doc-tests", krate.replace('_', "-")), counts: None });
        } else if let Some(result) = line.strip_prefix("test result: ")
            && let (Some(file), Some(counts)) = (self.files.last_mut(), parse_counts(result))
        {
            file.counts = Some(counts);
        }
    }

    /// Sums over every file that reported.
    pub fn total(&self) -> Counts {
        self.files.iter().filter_map(|f| f.counts).fold(Counts::default(), |a, c| Counts {
            passed: a.passed + c.passed,
            failed: a.failed + c.failed,
            ignored: a.ignored + c.ignored,
        })
    }

    /// The files that failed a test or never reported.
    pub fn red(&self) -> Vec<&File> {
        self.files.iter().filter(|f| f.counts.is_none_or(|c| c.failed > 0)).collect()
    }

    /// One line per test file, then the totals.
    pub fn render(&self) -> String {
        let width = self.files.iter().map(|f| f.label.chars().count()).max().unwrap_or(0);
        let mut text = String::from("==> test summary (passed, failed, ignored per test file):\n");
        for f in &self.files {
            let counts = match f.counts {
                Some(c) => format!(
                    "{:>4} passed {:>3} failed {:>3} ignored{}",
                    c.passed,
                    c.failed,
                    c.ignored,
                    if c.failed > 0 { "  FAILED" } else { "" }
                ),
                None => "no result: the test binary crashed or was killed  FAILED".to_string(),
            };
            text.push_str(&format!("  {:<width$}  {counts}\n", f.label));
        }
        text.push_str(&format!("  {}\n", self.total_line()));
        text
    }

    /// `1203 passed, 0 failed, 12 ignored in 48 test files`, and the files without a result.
    pub fn total_line(&self) -> String {
        let t = self.total();
        let silent = self.files.iter().filter(|f| f.counts.is_none()).count();
        let mut line = format!(
            "{} passed, {} failed, {} ignored in {} test files",
            t.passed,
            t.failed,
            t.ignored,
            self.files.len()
        );
        if silent > 0 {
            line.push_str(&format!(", {silent} without a result"));
        }
        line
    }
}

/// `ok. 5 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s`.
fn parse_counts(result: &str) -> Option<Counts> {
    let (_, fields) = result.split_once(". ")?;
    let mut counts = Counts::default();
    for field in fields.split(';') {
        let mut words = field.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else { continue };
        let Ok(n) = n.parse::<u32>() else { continue };
        match what {
            "passed" => counts.passed = n,
            "failed" => counts.failed = n,
            "ignored" => counts.ignored = n,
            _ => {}
        }
    }
    Some(counts)
}

/// Removes terminal colour sequences (`ESC [ … letter`), which cargo and the harness add when
/// asked to colour a pipe.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs `cmd` (a `cargo test`) with its stdout and stderr joined into one pipe, so that each
/// `Running` line comes before the results it names, copied to our stdout as it arrives and
/// read on the way.
pub fn run(mut cmd: Command) -> Result<(ExitStatus, Summary)> {
    let (mut reader, writer) = std::io::pipe().context("could not make a pipe")?;
    cmd.stdout(writer.try_clone()?).stderr(writer);
    let mut child = cmd.spawn().with_context(|| format!("could not run {}", crate::util::describe(&cmd)))?;
    // The command holds our copies of the pipe's writing end: without dropping it, the pipe
    // never reaches its end.
    drop(cmd);
    let mut summary = Summary::default();
    let mut buf = [0u8; 8192];
    let mut out = std::io::stdout();
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("reading cargo test's output"),
        };
        let _ = out.write_all(&buf[..n]);
        let _ = out.flush();
        summary.feed(&buf[..n]);
    }
    let status = child.wait()?;
    Ok((status, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test --no-fail-fast` on a crate with a unit test, three integration test files (one
    /// failing, one aborting) and a doc-test, as cargo 1.95 printed it (stdout and stderr joined).
    const RECORDED: &str = include_str!("fixtures/no-fail-fast.txt");

    fn counts(passed: u32, failed: u32, ignored: u32) -> Option<Counts> {
        Some(Counts { passed, failed, ignored })
    }

    #[test]
    fn every_binary_is_counted_and_a_crash_has_no_result() {
        let mut s = Summary::default();
        s.feed(RECORDED.as_bytes());
        let got: Vec<(&str, Option<Counts>)> = s.files.iter().map(|f| (f.label.as_str(), f.counts)).collect();
        assert_eq!(
            got,
            [
                ("demo src/lib.rs", counts(1, 0, 1)),
                ("demo tests/bad.rs", counts(1, 1, 0)),
                ("demo tests/crash.rs", None),
                ("demo tests/good.rs", counts(2, 0, 1)),
                ("demo doc-tests", counts(1, 0, 0)),
            ]
        );
        assert_eq!(s.total(), Counts { passed: 5, failed: 1, ignored: 2 });
        assert_eq!(s.total_line(), "5 passed, 1 failed, 2 ignored in 5 test files, 1 without a result");
        let red: Vec<&str> = s.red().iter().map(|f| f.label.as_str()).collect();
        assert_eq!(red, ["demo tests/bad.rs", "demo tests/crash.rs"]);
        let text = s.render();
        assert!(text.contains("  demo tests/bad.rs       1 passed   1 failed   0 ignored  FAILED\n"), "{text}");
        assert!(
            text.contains("  demo tests/crash.rs  no result: the test binary crashed or was killed  FAILED\n"),
            "{text}"
        );
    }

    #[test]
    fn pieces_of_any_size_and_colours_give_the_same_result() {
        let mut whole = Summary::default();
        whole.feed(RECORDED.as_bytes());
        let mut bytewise = Summary::default();
        for b in RECORDED.as_bytes() {
            bytewise.feed(std::slice::from_ref(b));
        }
        assert_eq!(bytewise.files, whole.files);
        let coloured = RECORDED
            .replace("     Running", "\x1b[1m\x1b[92m     Running\x1b[0m")
            .replace("test result: ok", "test result: \x1b[32mok\x1b[0m");
        let mut c = Summary::default();
        c.feed(coloured.as_bytes());
        assert_eq!(c.files, whole.files);
    }

    #[test]
    fn integration_tests_are_named_after_the_package_whose_unit_tests_ran_before() {
        let mut s = Summary::default();
        s.feed(
            b"     Running unittests src/lib.rs (target/debug/deps/kubectl_trace_svc-0a1b2c3d4e5f6071)\n\
              test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\
              \x20    Running tests/cli.rs (target/debug/deps/cli-1a2b3c4d5e6f7081)\n\
              test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 3 filtered out; finished in 0.10s\n",
        );
        let labels: Vec<&str> = s.files.iter().map(|f| f.label.as_str()).collect();
        assert_eq!(labels, ["kubectl-trace-svc src/lib.rs", "kubectl-trace-svc tests/cli.rs"]);
        // Without unit tests before it, the file alone.
        let mut alone = Summary::default();
        alone.feed(b"     Running tests/smoke.rs (target/debug/deps/smoke-0123456789abcdef)\n");
        assert_eq!(alone.files[0].label, "tests/smoke.rs");
    }

    #[test]
    fn counts_are_read_by_name() {
        assert_eq!(
            parse_counts("FAILED. 7 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 1.2s"),
            counts(7, 2, 1)
        );
        assert_eq!(parse_counts("garbage"), None);
    }
}
