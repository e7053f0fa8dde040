//! `cargo xtask test`: the README's test command, run verbatim by CI.
//!
//! Installs what the tests need (`prereq`), starts the cluster (building it the first time), makes the release for every platform that
//! the krew and platform tests install and run (`cargo xtask dist --all-targets`), runs
//! `cargo test --workspace` with the cluster tests (`#[ignore]`d for a plain `cargo test`)
//! included, and stops the cluster again even when the tests fail, unless it was already
//! running before. The exit status is the tests'.

use std::process::{Command, ExitCode};

use crate::{cluster, dist, gobuild, paths, prereq, util};

pub fn run(extra: &[&str]) -> ExitCode {
    // `cargo xtask test -p X -- FILTER`: cargo's arguments, then the test harness's.
    let (cargo_args, test_args) = match extra.iter().position(|a| *a == "--") {
        Some(i) => (&extra[..i], &extra[i + 1..]),
        None => (extra, &[][..]),
    };
    if let Err(e) = prereq::ensure(prereq::Task::Test) {
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
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // krew (a cluster that was already up may predate it), the release the krew and platform
    // tests install and run,
    // and the debug binaries the other cluster tests run.
    let prepared = gobuild::ensure_binaries().and_then(|()| dist::run(&["--all-targets"])).and_then(|()| {
        let built =
            Command::new(&cargo).current_dir(paths::root()).args(["build", "--workspace", "--bins"]).status()?;
        anyhow::ensure!(built.success(), "cargo build --workspace --bins failed");
        Ok(())
    });
    let status = match prepared {
        Ok(()) => Command::new(&cargo)
            .current_dir(paths::root())
            .args(["test", "--workspace"])
            .args(cargo_args)
            .args(["--", "--include-ignored"])
            .args(test_args)
            .env("KUBECTL_KIT_TEST_KUBECONFIG", paths::kubeconfig())
            .env("KUBECTL_KIT_TEST_KUBECTL", paths::kubectl())
            .status()
            .map_err(|e| format!("could not run cargo: {e}")),
        Err(e) => Err(format!("{e:#}")),
    };
    if started_here {
        if let Err(e) = cluster::down() {
            util::say_err(&format!("warning: could not stop the test cluster: {e:#}\n"));
        }
    } else {
        util::say_err("the cluster was running before `cargo xtask test`; leaving it up\n");
    }
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => {
            util::say_err(&format!("error: {e}\n"));
            ExitCode::from(1)
        }
    }
}
