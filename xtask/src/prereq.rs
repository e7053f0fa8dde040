//! What each command needs from the machine, checked before anything is built, and every
//! missing piece reported at once with the command that installs it: the apt packages in one
//! `apt-get install` line, then the Rust targets, crates and Python packages.
//!
//! Everything else is built from the package registries by the commands themselves: the control
//! plane, kwok, krew, crane and the registry from the Go module proxy (`tests/cluster/go/`).
//! `.ci/run` installs exactly what this module asks for.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Result, bail};

use crate::{dist, paths};

/// The zig release cargo-zigbuild links the cross-compiled release with (PyPI's `ziglang`).
pub const ZIG_VERSION: &str = "0.15.2";
/// The cargo-zigbuild release (crates.io).
pub const ZIGBUILD_VERSION: &str = "0.24.1";

/// What a command is about to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// `cluster up` (and `demo`): the control plane and registry, built with Go.
    Cluster,
    /// `dist` for these targets.
    Dist,
    /// `test`: the cluster, the release for every platform, and each artifact run.
    Test,
    /// `bench`: the cluster, a release build and the peers.
    Bench,
}

/// One missing piece and how to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fix {
    /// A Debian package.
    Apt(&'static str),
    /// A command to run (rustup, cargo install, pip).
    Run(String),
    /// Something to install by other means, said in words.
    Say(String),
}

/// Checks what `task` needs (with `targets` for the release it builds); fails listing every
/// missing piece.
pub fn check(task: Task, targets: &[&str]) -> Result<()> {
    let missing = missing(task, targets);
    if missing.is_empty() {
        return Ok(());
    }
    bail!("{}", report(&missing))
}

fn missing(task: Task, targets: &[&str]) -> Vec<(String, Fix)> {
    let cluster = matches!(task, Task::Cluster | Task::Test | Task::Bench);
    let release = matches!(task, Task::Test | Task::Dist);
    // `rustc -vV` (this machine's target) runs inside the threads too; it is asked once.
    let zig_needed = || release && targets.iter().any(|t| dist::needs_zig(t));
    // The checks that start a program run side by side, so that the whole check stays well
    // under a second even where Python starts slowly.
    let (go, hostname, python, pip, installed, zig_dir) = std::thread::scope(|s| {
        let go = s.spawn(|| cluster.then(crate::gobuild::go));
        let hostname = s.spawn(|| {
            !cluster || std::env::var_os("KUBECTL_KIT_ADVERTISE_ADDRESS").is_some() || runs("hostname", &["-I"])
        });
        let python = s.spawn(|| task != Task::Test || runs("python3", &["-c", "import crypt"]));
        let pip = s.spawn(|| !zig_needed() || zig().is_some() || runs("python3", &["-m", "pip", "--version"]));
        let installed = s.spawn(|| if release { installed_targets() } else { vec![] });
        let zig_dir = s.spawn(|| if zig_needed() { zig() } else { None });
        let join = |h: std::thread::ScopedJoinHandle<'_, bool>| h.join().unwrap_or(false);
        (
            go.join().ok().flatten(),
            join(hostname),
            join(python),
            join(pip),
            installed.join().unwrap_or_default(),
            zig_dir.join().ok().flatten(),
        )
    });
    let mut out: Vec<(String, Fix)> = vec![];
    let mut need = |what: &str, fix: Fix| out.push((what.to_string(), fix));
    match go {
        Some(Err(_)) if which::which("go").is_err() => {
            need("go (the Go toolchain, 1.26 or newer)", Fix::Say("install Go: https://go.dev/doc/install".into()))
        }
        Some(Err(e)) => need(&format!("{e:#}"), Fix::Say("install Go: https://go.dev/doc/install".into())),
        _ => {}
    }
    if !hostname {
        need("hostname -I (the address kube-apiserver advertises)", Fix::Apt("hostname"));
    }
    if release && !on_path("git") {
        need("git (the krew index is a git repository)", Fix::Apt("git"));
    }
    if task == Task::Test {
        if !python {
            need("python3 with crypt (the push-image tests' blob store and htpasswd)", Fix::Apt("python3"));
        }
        if !on_path("qemu-aarch64-static") {
            need("qemu-aarch64-static (the linux/arm64 release is run under it)", Fix::Apt("qemu-user-static"));
        }
        if !on_path("wine") {
            need("wine (the windows/amd64 release is run under it)", Fix::Apt("wine"));
        }
        if !on_path("wine64") && !PathBuf::from("/usr/lib/wine/wine64").is_file() {
            need("wine64 (64-bit Windows programs)", Fix::Apt("wine64"));
        }
        if !on_path("dot") {
            need("Graphviz's dot (renders trace-svc's -o dot in the failure tests)", Fix::Apt("graphviz"));
        }
    }
    if task == Task::Bench {
        if !on_path("skopeo") {
            need("skopeo (the push-image benchmark's peer)", Fix::Apt("skopeo"));
        }
        if !PathBuf::from("/usr/bin/time").is_file() {
            need("GNU time (peak memory of each run)", Fix::Apt("time"));
        }
    }
    if release {
        let absent: Vec<&str> = targets.iter().copied().filter(|t| !installed.iter().any(|i| i == t)).collect();
        if !absent.is_empty() {
            need(
                &format!("the Rust standard library for {}", absent.join(", ")),
                Fix::Run(format!("rustup target add {}", absent.join(" "))),
            );
        }
    }
    if zig_needed() {
        if !on_path("cargo-zigbuild") {
            need(
                "cargo-zigbuild (links the release for other platforms with zig)",
                Fix::Run(format!("cargo install --locked cargo-zigbuild --version {ZIGBUILD_VERSION}")),
            );
        }
        if zig_dir.is_none() {
            if !pip {
                need("pip (installs zig from PyPI)", Fix::Apt("python3-pip"));
            }
            need(
                &format!("zig {ZIG_VERSION} (the C compiler and linker for every target)"),
                Fix::Run(format!("python3 -m pip install --target {} ziglang=={ZIG_VERSION}", zig_home().display())),
            );
        }
    }
    out
}

/// The message: what is missing, then the commands, apt packages in one line.
fn report(missing: &[(String, Fix)]) -> String {
    let mut text = String::from("this machine lacks what the command needs:\n");
    for (what, _) in missing {
        text.push_str(&format!("  - {what}\n"));
    }
    let apt: Vec<&str> = missing
        .iter()
        .filter_map(|(_, f)| match f {
            Fix::Apt(p) => Some(*p),
            _ => None,
        })
        .collect();
    text.push_str("install it with:\n");
    if !apt.is_empty() {
        text.push_str(&format!("  apt-get install -y {}\n", apt.join(" ")));
    }
    for (_, fix) in missing {
        match fix {
            Fix::Run(cmd) => text.push_str(&format!("  {cmd}\n")),
            Fix::Say(words) => text.push_str(&format!("  {words}\n")),
            Fix::Apt(_) => {}
        }
    }
    text.push_str("(.ci/run installs all of these on a Debian machine with Rust and Go)");
    text
}

/// Where `pip install --target` puts the ziglang package.
pub fn zig_home() -> PathBuf {
    paths::cache().join(format!("ziglang-{ZIG_VERSION}"))
}

/// The directory holding the `zig` executable: PyPI's package in the cache, else `zig` on
/// PATH when it is the wanted release.
pub fn zig() -> Option<PathBuf> {
    let packaged = zig_home().join("ziglang");
    if packaged.join("zig").is_file() {
        return Some(packaged);
    }
    let on_path = which::which("zig").ok()?;
    let out = Command::new(&on_path).arg("version").output().ok()?;
    (String::from_utf8_lossy(&out.stdout).trim() == ZIG_VERSION).then(|| on_path.parent().map(PathBuf::from))?
}

/// The targets `rustup` has installed.
fn installed_targets() -> Vec<String> {
    let Ok(out) = Command::new("rustc").args(["--print", "sysroot"]).output() else {
        return vec![];
    };
    let lib = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("lib").join("rustlib");
    std::fs::read_dir(lib)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().join("lib").is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn on_path(program: &str) -> bool {
    which::which(program).is_ok()
}

/// True when `program args` runs and succeeds (quietly).
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_everything_and_one_apt_line() {
        let text = report(&[
            ("git".into(), Fix::Apt("git")),
            ("zig".into(), Fix::Run("python3 -m pip install ziglang".into())),
            ("wine".into(), Fix::Apt("wine")),
        ]);
        assert!(text.contains("  - git\n  - zig\n  - wine\n"), "{text}");
        assert!(text.contains("  apt-get install -y git wine\n"), "{text}");
        assert!(text.contains("  python3 -m pip install ziglang\n"), "{text}");
    }

    #[test]
    fn ci_installs_what_the_check_asks_for() {
        let ci = std::fs::read_to_string(paths::root().join(".ci/run")).expect(".ci/run");
        assert!(ci.contains(&format!("ZIG_VERSION={ZIG_VERSION}\n")), "zig {ZIG_VERSION} in .ci/run");
        assert!(ci.contains(&format!("ZIGBUILD_VERSION={ZIGBUILD_VERSION}\n")), "cargo-zigbuild in .ci/run");
        assert!(ci.contains(&format!("TARGETS=\"{}\"\n", dist::ALL_TARGETS.join(" "))), "targets in .ci/run");
        for package in ["git", "hostname", "python3", "python3-pip", "qemu-user-static", "wine", "wine64"] {
            assert!(ci.contains(&format!("need+=({package})")), "{package} in .ci/run");
        }
    }
}
