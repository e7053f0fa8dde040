//! Developer workflows for kubectl-kit, run as `cargo xtask <command>`.
//!
//! - `cluster up|down|status|restart NAME` (`cluster/`): a real local control plane (etcd,
//!   kube-apiserver, kube-controller-manager, kube-scheduler, kwok nodes) and an OCI registry on
//!   127.0.0.1, built by `gobuild` from the Go module proxy.
//! - `demo`: the suite at work on that cluster.
//! - `test` (`test/`): cluster up, every test (the cluster tests included) with a summary per
//!   test file, cluster down; `--stress N`, the cluster tests N times on a busy machine.
//! - `bench` (`bench/`): the suite against its peers, as ratios.
//! - `fuzz`: the parsers' fuzz targets.
//! - `dist` (`dist/`): release archives for every platform of `platform`'s table, SHA256SUMS,
//!   krew manifests and a local krew index.
//! - `prereq`: the step every command above starts with, alone.
//!
//! Each command first gets what it needs from the machine (`prereq`): it says what is missing
//! and why, installs it (Debian packages as root or with password-less sudo; Rust targets,
//! cargo-zigbuild and zig always), and only then builds anything.

mod bench;
mod cluster;
mod demo;
mod dist;
mod fuzz;
mod gobuild;
mod paths;
mod pki;
mod platform;
mod prereq;
mod seed;
mod test;
mod util;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  cluster up       build (first time) and start the local control plane and registry
  cluster up --fleet N
                   N clusters side by side (2 to 4, about 1.5 GB each) and one kubeconfig,
                   target/fleet/kubeconfig: contexts kit-1 … kit-N, kit-1-user (no rights), dead
  cluster down     stop every process `cluster up` started
  cluster status   what runs where
  cluster restart NAME  stop one component and start it again (fault tests)
  demo             build the plugins, start the cluster, apply the demo apps, tour the plugins
  test [CARGO ARGS] [-- TEST ARGS]
                   install what the tests need, cluster up, the release for every platform,
                   cargo test --workspace --no-fail-fast with the cluster tests included, a
                   line per test file (passed, failed, ignored), cluster down
  test --stress N [CARGO ARGS] [-- TEST ARGS]
                   the cluster tests N times in a row with every core kept busy, the time and
                   counts of each run, and whether all were green; without CARGO ARGS every
                   file of tests/tests but krew and platforms (they test the release archives,
                   which --stress does not build: name them with --test after a
                   `cargo xtask dist --all-targets`)
  bench [FILTER] [--large]   benchmarks against kubectl and other peers, printed as ratios
  fuzz [--seconds N] [--runs N] [--jobs N] [--summary] [TARGET...]
                   fuzzing campaigns: each target until 600 s or 10 M executions pass without
                   a failure, the corpus grown and minimized in fuzz/corpus, the figures
                   recorded in SECURITY.md; --summary prints that record
  dist [--all-targets | --target TRIPLE...] [--base-url URL] [--no-build]
                   release archives, SHA256SUMS, krew manifests and index in target/dist
  prereq [--dry-run] [cluster|dist|test|stress|bench]
                   install what a command needs (default: test), or say what it would run
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    // `test` and `dist` get theirs once their arguments say what they will do.
    let task = match words.as_slice() {
        ["cluster", "up", ..] | ["demo"] => Some(prereq::Task::Cluster),
        ["bench", ..] => Some(prereq::Task::Bench),
        _ => None,
    };
    if let Some(task) = task
        && let Err(e) = prereq::ensure(task)
    {
        util::say_err(&format!("error: {e:#}\n"));
        return ExitCode::from(1);
    }
    let result = match words.as_slice() {
        ["cluster", "up"] => cluster::up().map(|_| ()),
        ["cluster", "up", rest @ ..] => cluster::fleet::parse(rest).and_then(cluster::fleet::up),
        ["cluster", "down"] => cluster::down(),
        ["cluster", "status"] => cluster::status(),
        ["cluster", "restart", name] => cluster::restart(name),
        ["demo"] => demo::run(),
        ["test", rest @ ..] => return test::run(rest),
        ["bench", rest @ ..] => bench::run(rest),
        ["fuzz", rest @ ..] => fuzz::run(rest),
        ["dist", rest @ ..] => dist::run(rest),
        ["prereq", rest @ ..] => prereq::run(rest),
        ["help"] | ["--help"] | ["-h"] => {
            util::say(USAGE);
            return ExitCode::SUCCESS;
        }
        _ => {
            util::say_err(USAGE);
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            util::say_err(&format!("error: {e:#}\n"));
            ExitCode::from(1)
        }
    }
}
