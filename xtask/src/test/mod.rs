//! `cargo xtask test`: the README's test command, run verbatim by CI.
//!
//! Installs what the tests need (`prereq`), starts the cluster (building it the first time),
//! and two more beside it for the fleet tests (`cluster up --fleet 3`),
//! makes the release for every platform that the krew and platform tests install and run
//! (`cargo xtask dist --all-targets`), runs `cargo test --workspace --no-fail-fast` with the
//! cluster tests (`#[ignore]`d for a plain `cargo test`) included, and stops the cluster again
//! even when the tests fail, unless it was already running before. The output streams as it
//! comes and ends with a line per test file (`summary`). The exit status is the tests'.
//!
//! `--stress N` (`stress`) runs the cluster tests N times on a machine kept busy instead.

mod stress;
mod summary;

use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::{cluster, dist, gobuild, paths, prereq, util};

/// The clusters the fleet tests read (`tests/tests/fleet.rs`), the first included.
const FLEET: usize = 3;

/// What `cargo xtask test` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Args<'a> {
    /// `--stress N`.
    stress: Option<u32>,
    /// cargo's arguments (`-p X`, `--test Y`).
    cargo: Vec<&'a str>,
    /// The test harness's, after `--`.
    harness: Vec<&'a str>,
}

fn parse<'a>(args: &[&'a str]) -> Result<Args<'a>> {
    let (before, harness) = match args.iter().position(|a| *a == "--") {
        Some(i) => (&args[..i], args[i + 1..].to_vec()),
        None => (args, vec![]),
    };
    let mut stress = None;
    let mut cargo = vec![];
    let mut it = before.iter();
    while let Some(a) = it.next() {
        let value = match *a {
            "--stress" => Some(it.next().copied().unwrap_or_default()),
            other => other.strip_prefix("--stress="),
        };
        match value {
            Some(v) => match v.parse::<u32>() {
                Ok(n) if n > 0 => stress = Some(n),
                _ => bail!("--stress takes a number of runs (1 or more), not {v:?}"),
            },
            None => cargo.push(*a),
        }
    }
    Ok(Args { stress, cargo, harness })
}

pub fn run(raw: &[&str]) -> ExitCode {
    let args = match parse(raw) {
        Ok(a) => a,
        Err(e) => {
            util::say_err(&format!("error: {e:#}\n{}", crate::USAGE));
            return ExitCode::from(2);
        }
    };
    let task = if args.stress.is_some() { prereq::Task::Stress } else { prereq::Task::Test };
    if let Err(e) = prereq::ensure(task) {
        util::say_err(&format!("error: {e:#}\n"));
        return ExitCode::from(1);
    }
    let started_here = match cluster::ensure_up() {
        Ok((_, started)) => started,
        Err(e) => {
            util::say_err(&format!("error: could not start the test cluster: {e:#}\n"));
            return ExitCode::from(1);
        }
    };
    // The fleet tests read three clusters side by side; the first is the one above.
    let fleet_here = cluster::fleet::running().is_none();
    if fleet_here && let Err(e) = cluster::fleet::up(FLEET) {
        util::say_err(&format!("error: could not start the test fleet: {e:#}\n"));
        return ExitCode::from(1);
    }
    let result = match args.stress {
        Some(n) => stress(n, &args),
        None => all(&args),
    };
    if fleet_here
        && !started_here
        && let Err(e) = cluster::fleet::down()
    {
        util::say_err(&format!("warning: could not stop the test fleet: {e:#}\n"));
    }
    if started_here {
        if let Err(e) = cluster::down() {
            util::say_err(&format!("warning: could not stop the test cluster: {e:#}\n"));
        }
    } else {
        util::say_err("the cluster was running before `cargo xtask test`; leaving it up\n");
    }
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            util::say_err(&format!("error: {e:#}\n"));
            ExitCode::from(1)
        }
    }
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(paths::root());
    c
}

/// A `cargo test` of `selection` with the cluster tests included, pointed at the cluster.
fn cargo_test(selection: &[String], harness: &[&str]) -> Command {
    let mut c = cargo();
    c.args(["test", "--no-fail-fast"])
        .args(selection)
        .args(["--", "--include-ignored"])
        .args(harness)
        .env("KUBECTL_KIT_TEST_KUBECONFIG", paths::kubeconfig())
        .env("KUBECTL_KIT_TEST_KUBECTL", paths::kubectl())
        .env("KUBECTL_KIT_TEST_FLEET_KUBECONFIG", cluster::fleet::kubeconfig());
    c
}

/// The debug binaries the cluster tests run, and krew (a cluster that was already up may
/// predate it).
fn prepare() -> Result<()> {
    gobuild::ensure_binaries()?;
    let built = cargo().args(["build", "--workspace", "--bins"]).status().context("could not run cargo")?;
    if !built.success() {
        bail!("cargo build --workspace --bins failed");
    }
    Ok(())
}

/// Every test of the workspace once; the exit status is cargo's.
fn all(args: &Args<'_>) -> Result<u8> {
    // The release the krew and platform tests install and run.
    dist::run(&["--all-targets"])?;
    prepare()?;
    let mut selection: Vec<String> = vec!["--workspace".into()];
    selection.extend(args.cargo.iter().map(|a| a.to_string()));
    let (status, summary) = summary::run(cargo_test(&selection, &args.harness))?;
    util::say_err(&summary.render());
    Ok(if status.success() { 0 } else { status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1) })
}

/// The cluster tests `n` times under load; 0 when every run was green, else 1.
fn stress(n: u32, args: &Args<'_>) -> Result<u8> {
    prepare()?;
    let selection = if args.cargo.is_empty() {
        stress::selection(&paths::root().join("tests").join("tests"))?
    } else {
        args.cargo.iter().map(|a| a.to_string()).collect()
    };
    util::step("building the cluster tests once");
    let built = cargo().arg("test").args(&selection).arg("--no-run").status().context("could not run cargo")?;
    if !built.success() {
        bail!("cargo test --no-run failed");
    }
    let green = stress::runs(n, || cargo_test(&selection, &args.harness))?;
    Ok(if green { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_into_stress_cargo_and_harness() {
        let a = parse(&["--stress", "3", "-p", "kubectl-kit-tests", "--", "smoke", "--exact"]).expect("parses");
        assert_eq!(
            a,
            Args { stress: Some(3), cargo: vec!["-p", "kubectl-kit-tests"], harness: vec!["smoke", "--exact"] }
        );
        let a = parse(&["--stress=2"]).expect("parses");
        assert_eq!((a.stress, a.cargo.len(), a.harness.len()), (Some(2), 0, 0));
        // After `--`, `--stress` is the harness's.
        assert_eq!(parse(&["--", "--stress"]).expect("parses").stress, None);
        for bad in [&["--stress"][..], &["--stress", "0"], &["--stress", "many"], &["--stress=-1"]] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_test_command_never_stops_at_the_first_failing_binary() {
        let c = cargo_test(&["--workspace".into()], &["smoke"]);
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().to_string()).collect();
        assert_eq!(args, ["test", "--no-fail-fast", "--workspace", "--", "--include-ignored", "smoke"]);
    }
}
