//! Developer workflows for kubectl-kit, run as `cargo xtask <command>`.
//!
//! - `cluster up|down|status|restart NAME`: a real local control plane (etcd, kube-apiserver,
//!   kube-controller-manager, kube-scheduler, kwok nodes) and an OCI registry on 127.0.0.1.
//! - `demo`: the suite at work on that cluster.
//! - `test`: cluster up, every test (the cluster tests included), cluster down.
//! - `bench`: the suite against its peers, as ratios.
//! - `fuzz`: the parsers' fuzz targets.
//! - `dist`: release archives for every platform, SHA256SUMS, krew manifests and a local krew
//!   index.
//!
//! Each command first checks what it needs from the machine (`prereq`) and names everything
//! missing at once, before anything is built.

mod bench;
mod cluster;
mod demo;
mod dist;
mod fuzz;
mod gobuild;
mod paths;
mod pki;
mod prereq;
mod seed;
mod test;
mod util;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  cluster up       build (first time) and start the local control plane and registry
  cluster down     stop every process `cluster up` started
  cluster status   what runs where
  cluster restart NAME  stop one component and start it again (fault tests)
  demo             build the plugins, start the cluster, apply the demo apps, tour the plugins
  test             cluster up, cargo test --workspace with the cluster tests included, cluster down
  bench [FILTER] [--large]   benchmarks against kubectl and other peers, printed as ratios
  fuzz [--seconds N] [TARGET...]   run the parsers' fuzz targets (default 60 s each)
  dist [--all-targets | --target TRIPLE...] [--base-url URL] [--no-build]
                   release archives, SHA256SUMS, krew manifests and index in target/dist
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let needs = match words.as_slice() {
        ["cluster", "up"] | ["demo"] => Some((prereq::Task::Cluster, &[][..])),
        ["test", ..] => Some((prereq::Task::Test, dist::ALL_TARGETS)),
        ["bench", ..] => Some((prereq::Task::Bench, &[][..])),
        _ => None,
    };
    if let Some((task, targets)) = needs
        && let Err(e) = prereq::check(task, targets)
    {
        util::say_err(&format!("error: {e:#}\n"));
        return ExitCode::from(1);
    }
    let result = match words.as_slice() {
        ["cluster", "up"] => cluster::up().map(|_| ()),
        ["cluster", "down"] => cluster::down(),
        ["cluster", "status"] => cluster::status(),
        ["cluster", "restart", name] => cluster::restart(name),
        ["demo"] => demo::run(),
        ["test", rest @ ..] => return test::run(rest),
        ["bench", rest @ ..] => bench::run(rest),
        ["fuzz", rest @ ..] => fuzz::run(rest),
        ["dist", rest @ ..] => dist::run(rest),
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
