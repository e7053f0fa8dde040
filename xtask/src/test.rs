//! `cargo xtask test`: the README's test command, run verbatim by CI.
//!
//! Starts the cluster (building it the first time), runs `cargo test --workspace` with cluster
//! tests required (`KUBECTL_KIT_REQUIRE_CLUSTER=1`), and stops the cluster again even when the
//! tests fail, unless it was already running before. The exit status is the tests'.

use std::process::{Command, ExitCode};

use crate::{cluster, paths, util};

pub fn run(extra: &[&str]) -> ExitCode {
    let started_here = match cluster::ensure_up() {
        Ok((_, started)) => started,
        Err(e) => {
            util::say_err(&format!("error: could not start the test cluster: {e:#}\n"));
            return ExitCode::from(1);
        }
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // The cluster tests run the plugin binaries: build them all first.
    let built = Command::new(&cargo).current_dir(paths::root()).args(["build", "--workspace", "--bins"]).status();
    let status = match built {
        Ok(s) if s.success() => Command::new(&cargo)
            .current_dir(paths::root())
            .args(["test", "--workspace"])
            .args(extra)
            .env("KUBECTL_KIT_REQUIRE_CLUSTER", "1")
            .env("KUBECTL_KIT_TEST_KUBECONFIG", paths::kubeconfig())
            .env("KUBECTL_KIT_TEST_KUBECTL", paths::kubectl())
            .status(),
        other => other,
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
            util::say_err(&format!("error: could not run cargo: {e}\n"));
            ExitCode::from(1)
        }
    }
}
