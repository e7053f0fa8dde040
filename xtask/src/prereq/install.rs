//! From what is missing to what is run: the Debian packages in one `apt-get install` (as root,
//! or through password-less sudo), then `rustup target add`, cargo-zigbuild and zig into the
//! project's cache. What cannot be run here is left to the user, as the one command to run.

use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::probe::{Machine, Privilege};
use super::{Fix, Need, Task, ZIG_VERSION, ZIGBUILD_VERSION, zig_home, zigbuild_home};
use crate::util;

/// One command to run, and the environment it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub argv: Vec<String>,
    pub env: Vec<(&'static str, &'static str)>,
}

impl Step {
    fn new(argv: &[&str]) -> Step {
        Step { argv: argv.iter().map(|a| a.to_string()).collect(), env: vec![] }
    }

    /// `program arg…` as the user would type it.
    pub fn line(&self) -> String {
        self.argv.join(" ")
    }
}

/// What is missing, what will be run for it, and what is left to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub needs: Vec<Need>,
    pub steps: Vec<Step>,
    /// Commands (or words) for what cannot be installed here.
    pub left: Vec<String>,
}

impl Plan {
    /// Decides what to run for `needs` on `m`.
    pub fn new(needs: &[Need], m: &Machine) -> Plan {
        let mut steps = vec![];
        let mut left = vec![];
        let apt: Vec<&str> = needs
            .iter()
            .filter_map(|n| match n.fix {
                Fix::Apt(p) => Some(p),
                _ => None,
            })
            .collect();
        let apt_runs = !apt.is_empty() && m.privilege != Privilege::None;
        if !apt.is_empty() {
            let install = [&["apt-get", "install", "-y", "-qq"][..], &apt].concat();
            match m.privilege {
                Privilege::None => left.push(format!("apt-get install -y {} (as root)", apt.join(" "))),
                Privilege::Root => {
                    for argv in [&["apt-get", "update", "-qq"][..], &install] {
                        steps.push(Step { env: vec![("DEBIAN_FRONTEND", "noninteractive")], ..Step::new(argv) });
                    }
                }
                Privilege::Sudo => {
                    // sudo resets the environment; env(1) sets it for apt-get alone.
                    let sudo = ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive"];
                    for argv in [&["apt-get", "update", "-qq"][..], &install] {
                        steps.push(Step::new(&[&sudo[..], argv].concat()));
                    }
                }
            }
        }
        let pip_missing = needs.iter().any(|n| n.fix == Fix::Apt("python3-pip"));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        for need in needs {
            match &need.fix {
                Fix::Apt(_) => {}
                Fix::RustTargets(targets) => {
                    let argv = [&["rustup", "target", "add"][..], targets].concat();
                    if m.rustup {
                        steps.push(Step::new(&argv));
                    } else {
                        left.push(format!("{} (this Rust was not installed by rustup)", argv.join(" ")));
                    }
                }
                Fix::Zigbuild => {
                    let root = zigbuild_home().display().to_string();
                    steps.push(Step::new(&[
                        &cargo,
                        "install",
                        "--locked",
                        "--quiet",
                        "cargo-zigbuild",
                        "--version",
                        ZIGBUILD_VERSION,
                        "--root",
                        &root,
                    ]));
                }
                Fix::Zig => {
                    let target = zig_home().display().to_string();
                    let package = format!("ziglang=={ZIG_VERSION}");
                    let argv = [
                        "python3",
                        "-m",
                        "pip",
                        "install",
                        "--quiet",
                        "--disable-pip-version-check",
                        "--target",
                        &target,
                        &package,
                    ];
                    if pip_missing && !apt_runs {
                        left.push(argv.join(" "));
                    } else {
                        steps.push(Step::new(&argv));
                    }
                }
                Fix::Say(words) => left.push(words.clone()),
            }
        }
        Plan { needs: needs.to_vec(), steps, left }
    }

    /// What is missing and why, what will be run, and what is left: said before it is run.
    pub fn describe(&self, task: Task<'_>) -> String {
        let mut text = format!("==> {} needs what this machine lacks:\n", task.command());
        for need in &self.needs {
            text.push_str(&format!("  - {}\n", need.what));
        }
        if !self.steps.is_empty() {
            text.push_str("installing it before anything is built:\n");
            for step in &self.steps {
                text.push_str(&format!("  $ {}\n", step.line()));
            }
        }
        if !self.left.is_empty() {
            text.push_str("not installable from here (not root, no password-less sudo, or not ours to install):\n");
            for words in &self.left {
                text.push_str(&format!("  {words}\n"));
            }
        }
        text
    }

    /// The error when something is still missing after the steps ran.
    pub fn report(&self, task: Task<'_>) -> String {
        let mut text = format!("{} cannot start; this machine lacks:\n", task.command());
        for need in &self.needs {
            text.push_str(&format!("  - {}\n", need.what));
        }
        text.push_str("install it with:\n");
        for words in self.left.iter().chain(self.steps.iter().map(|s| s.line()).collect::<Vec<_>>().iter()) {
            text.push_str(&format!("  {words}\n"));
        }
        text.push_str(&format!(
            "hint: run as root or with password-less sudo, and {} installs the Debian packages itself",
            task.command()
        ));
        text
    }

    /// Runs the steps in order; stops at the first that fails.
    pub fn run(&self) -> Result<()> {
        for step in &self.steps {
            let Some((program, args)) = step.argv.split_first() else { continue };
            util::step(&step.line());
            let mut cmd = Command::new(program);
            cmd.args(args).envs(step.env.iter().copied()).stdin(Stdio::null());
            let status = cmd.status().with_context(|| format!("could not run {}", step.line()))?;
            if !status.success() {
                bail!("{} failed ({status})", step.line());
            }
        }
        Ok(())
    }
}
