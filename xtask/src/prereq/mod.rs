//! What each command needs from the machine, and getting it before anything is built.
//!
//! - `probe`: what this machine has (programs, the Rust targets of the toolchain that runs us,
//!   zig and cargo-zigbuild in the cache, whether we may install Debian packages).
//! - [`needs`]: what a [`Task`] lacks on such a machine, each with why and how to get it. A pure
//!   function of the probe, so that the decision is unit-tested.
//! - `install`: the plan for those needs (what is run, what is left to the user) and running
//!   it. The Rust targets (`rustup target add`), cargo-zigbuild and zig (into the project's
//!   cache) are always installed; the Debian packages when running as root or with password-less
//!   sudo, else the one `apt-get install` line to run is the error.
//!
//! Everything else is built from the package registries by the commands themselves: the control
//! plane, kwok, krew, crane and the registry from the Go module proxy (`tests/cluster/go/`).
//! `cargo xtask prereq [--dry-run] [TASK]` runs this step alone.

mod install;
mod probe;

use std::path::PathBuf;

use anyhow::{Result, bail};

pub use install::Plan;
pub use probe::Machine;

use crate::platform::{self, Platform};
use crate::{paths, util};

/// The zig release cargo-zigbuild links the cross-compiled release with (PyPI's `ziglang`).
pub const ZIG_VERSION: &str = "0.15.2";
/// The cargo-zigbuild release (crates.io).
pub const ZIGBUILD_VERSION: &str = "0.24.1";

/// What a command is about to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task<'a> {
    /// `cluster up` (and `demo`): the control plane and registry, built with Go.
    Cluster,
    /// `dist` for these platforms.
    Dist(&'a [&'static Platform]),
    /// `test`: the cluster, the release for every platform, and each artifact run.
    Test,
    /// `test --stress`: the cluster and the cluster tests, without the release.
    Stress,
    /// `bench`: the cluster, a release build and the peers.
    Bench,
}

impl Task<'_> {
    /// The command, for messages.
    pub fn command(&self) -> &'static str {
        match self {
            Task::Cluster => "cargo xtask cluster up",
            Task::Dist(_) => "cargo xtask dist",
            Task::Test => "cargo xtask test",
            Task::Stress => "cargo xtask test --stress",
            Task::Bench => "cargo xtask bench",
        }
    }

    /// The platforms whose release it builds.
    fn release(&self) -> Vec<&'static Platform> {
        match self {
            Task::Dist(platforms) => platforms.to_vec(),
            Task::Test => platform::release().collect(),
            _ => vec![],
        }
    }

    fn cluster(&self) -> bool {
        !matches!(self, Task::Dist(_))
    }

    /// Runs the cluster tests (their helpers: python3, Graphviz).
    fn cluster_tests(&self) -> bool {
        matches!(self, Task::Test | Task::Stress)
    }
}

/// One missing piece: what it is and why it is needed, and how to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub what: String,
    pub fix: Fix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// A Debian package.
    Apt(&'static str),
    /// The Rust standard library for these targets (`rustup target add`).
    RustTargets(Vec<&'static str>),
    /// cargo-zigbuild [`ZIGBUILD_VERSION`] from crates.io, into the cache.
    Zigbuild,
    /// zig [`ZIG_VERSION`] from PyPI, into the cache (needs pip).
    Zig,
    /// Something to install by other means, said in words.
    Say(String),
}

/// What `task` lacks on `m`, in the order it is installed: Debian packages, then the Rust
/// targets, cargo-zigbuild and zig.
pub fn needs(task: Task<'_>, m: &Machine) -> Vec<Need> {
    let mut out: Vec<Need> = vec![];
    let mut need = |what: &str, fix: Fix| out.push(Need { what: what.to_string(), fix });
    let release = task.release();
    let zig_needed = release.iter().any(|p| Some(p.target) != m.host.as_deref());
    if task.cluster() {
        if let Err(e) = &m.go {
            need(e, Fix::Say("install Go 1.26 or newer: https://go.dev/doc/install".into()));
        }
        if !m.hostname {
            need("hostname -I (the address kube-apiserver advertises)", Fix::Apt("hostname"));
        }
    }
    if !release.is_empty() && !m.has("git") {
        need("git (the krew index is a git repository)", Fix::Apt("git"));
    }
    if task.cluster_tests() {
        if !m.python_crypt {
            need("python3 with crypt (the push-image tests' blob store and htpasswd)", Fix::Apt("python3"));
        }
        if !m.has("dot") {
            need("Graphviz's dot (renders trace-svc's -o dot in the failure tests)", Fix::Apt("graphviz"));
        }
    }
    if task == Task::Test {
        for runner in release.iter().flat_map(|p| p.runners) {
            if !m.has(runner.program) && !runner.also_at.is_some_and(|p| m.has(p)) {
                need(&format!("{} ({})", runner.program, runner.why), Fix::Apt(runner.package));
            }
        }
    }
    if task == Task::Bench {
        if !m.has("skopeo") {
            need("skopeo (the push-image benchmark's peer)", Fix::Apt("skopeo"));
        }
        if !m.has("/usr/bin/time") {
            need("GNU time (peak memory of each run)", Fix::Apt("time"));
        }
    }
    if zig_needed && m.zig.is_none() && !m.pip {
        need("pip (installs zig from PyPI)", Fix::Apt("python3-pip"));
    }
    let absent: Vec<&'static str> =
        release.iter().map(|p| p.target).filter(|t| !m.targets.iter().any(|i| i == t)).collect();
    if !absent.is_empty() {
        need(
            &format!("the Rust standard library for {} (the release is built for it)", absent.join(", ")),
            Fix::RustTargets(absent),
        );
    }
    if zig_needed && m.zigbuild.is_none() {
        need(
            &format!("cargo-zigbuild {ZIGBUILD_VERSION} (links the release for other platforms with zig)"),
            Fix::Zigbuild,
        );
    }
    if zig_needed && m.zig.is_none() {
        need(&format!("zig {ZIG_VERSION} (the C compiler and linker for every target)"), Fix::Zig);
    }
    out
}

/// Installs what `task` lacks, saying what and why before anything is built; fails naming what
/// could not be installed and how to get it.
pub fn ensure(task: Task<'_>) -> Result<()> {
    let machine = Machine::probe(task);
    let needs = needs(task, &machine);
    if needs.is_empty() {
        return Ok(());
    }
    let plan = Plan::new(&needs, &machine);
    if plan.steps.is_empty() {
        bail!("{}", plan.report(task));
    }
    util::say_err(&plan.describe(task));
    plan.run()?;
    let still = self::needs(task, &Machine::probe(task));
    if !still.is_empty() {
        bail!("{}", Plan::new(&still, &machine).report(task));
    }
    util::step(&format!("everything {} needs is installed", task.command()));
    Ok(())
}

/// `cargo xtask prereq [--dry-run] [cluster|dist|test|stress|bench]`: the prerequisite step of a
/// command alone; with `--dry-run`, what it would install, and nothing installed.
pub fn run(args: &[&str]) -> Result<()> {
    let dry = args.contains(&"--dry-run");
    let release: Vec<&'static Platform> = platform::release().collect();
    let task = match args.iter().copied().find(|a| *a != "--dry-run").unwrap_or("test") {
        "cluster" => Task::Cluster,
        "dist" => Task::Dist(&release),
        "test" => Task::Test,
        "stress" => Task::Stress,
        "bench" => Task::Bench,
        other => bail!("unknown task {other:?}: cluster, dist, test, stress or bench"),
    };
    if !dry {
        return ensure(task);
    }
    let machine = Machine::probe(task);
    let needs = needs(task, &machine);
    if needs.is_empty() {
        util::say(&format!("{} has everything it needs\n", task.command()));
        return Ok(());
    }
    util::say(&Plan::new(&needs, &machine).describe(task));
    Ok(())
}

/// Where `pip install --target` puts the ziglang package.
pub fn zig_home() -> PathBuf {
    paths::cache().join(format!("ziglang-{ZIG_VERSION}"))
}

/// Where `cargo install --root` puts cargo-zigbuild.
pub fn zigbuild_home() -> PathBuf {
    paths::cache().join(format!("cargo-zigbuild-{ZIGBUILD_VERSION}"))
}

/// The directories to put first on `PATH` for a zig-linked build: cargo-zigbuild's and zig's.
/// None when either is missing.
pub fn zig_tools() -> Option<Vec<PathBuf>> {
    Some(vec![probe::zigbuild()?, probe::zig()?])
}

#[cfg(test)]
mod tests;
