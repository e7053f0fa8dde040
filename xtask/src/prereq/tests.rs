use std::path::PathBuf;

use super::probe::Privilege;
use super::*;

/// A machine with nothing the commands need beyond Rust (through rustup) and a Linux host.
fn bare() -> Machine {
    Machine {
        host: Some("x86_64-unknown-linux-gnu".into()),
        go: Err("the Go toolchain was not found on PATH".into()),
        hostname: false,
        python_crypt: false,
        pip: false,
        programs: vec![],
        targets: vec!["x86_64-unknown-linux-gnu".into()],
        zigbuild: None,
        zig: None,
        privilege: Privilege::Root,
        rustup: true,
    }
}

/// A machine with everything.
fn complete() -> Machine {
    let mut programs: Vec<String> = ["git", "dot", "skopeo", "/usr/bin/time"].map(String::from).to_vec();
    programs.extend(platform::release().flat_map(|p| p.runners).map(|r| r.program.to_string()));
    Machine {
        go: Ok(()),
        hostname: true,
        python_crypt: true,
        pip: true,
        programs,
        targets: platform::release().map(|p| p.target.to_string()).chain(["x86_64-unknown-linux-gnu".into()]).collect(),
        zigbuild: Some(PathBuf::from("/cache/cargo-zigbuild/bin")),
        zig: Some(PathBuf::from("/cache/ziglang/ziglang")),
        ..bare()
    }
}

fn apt(needs: &[Need]) -> Vec<&'static str> {
    needs
        .iter()
        .filter_map(|n| match n.fix {
            Fix::Apt(p) => Some(p),
            _ => None,
        })
        .collect()
}

fn lines(plan: &Plan) -> Vec<String> {
    plan.steps.iter().map(|s| s.line()).collect()
}

#[test]
fn a_complete_machine_needs_nothing() {
    let release: Vec<&'static Platform> = platform::release().collect();
    for task in [Task::Cluster, Task::Dist(&release), Task::Test, Task::Stress, Task::Bench] {
        assert_eq!(needs(task, &complete()), [], "{task:?}");
    }
}

#[test]
fn a_bare_machine_needs_the_packages_targets_and_linkers_of_the_test() {
    let got = needs(Task::Test, &bare());
    assert_eq!(
        apt(&got),
        ["hostname", "git", "python3", "graphviz", "qemu-user-static", "wine", "wine64", "python3-pip"]
    );
    let release: Vec<&str> = platform::release().map(|p| p.target).collect();
    assert!(got.contains(&Need {
        what: format!("the Rust standard library for {} (the release is built for it)", release.join(", ")),
        fix: Fix::RustTargets(release),
    }));
    let fixes: Vec<&Fix> = got.iter().map(|n| &n.fix).collect();
    assert!(fixes.contains(&&Fix::Zigbuild) && fixes.contains(&&Fix::Zig), "{got:?}");
    assert!(matches!(got[0].fix, Fix::Say(_)) && got[0].what.contains("Go toolchain"), "{got:?}");
}

#[test]
fn the_stress_run_needs_the_cluster_tests_helpers_but_no_release() {
    let got = needs(Task::Stress, &bare());
    assert_eq!(apt(&got), ["hostname", "python3", "graphviz"]);
    assert!(got.iter().all(|n| !matches!(n.fix, Fix::RustTargets(_) | Fix::Zig | Fix::Zigbuild)), "{got:?}");
}

#[test]
fn a_release_of_this_machines_own_target_needs_no_zig() {
    let native = [Platform::of("x86_64-unknown-linux-gnu").expect("known")];
    let got = needs(Task::Dist(&native), &bare());
    assert_eq!(got.iter().map(|n| &n.fix).collect::<Vec<_>>(), [&Fix::Apt("git")]);
    let musl = [Platform::of("x86_64-unknown-linux-musl").expect("known")];
    let got = needs(Task::Dist(&musl), &Machine { pip: true, ..bare() });
    let fixes: Vec<&Fix> = got.iter().map(|n| &n.fix).collect();
    assert_eq!(
        fixes,
        [&Fix::Apt("git"), &Fix::RustTargets(vec!["x86_64-unknown-linux-musl"]), &Fix::Zigbuild, &Fix::Zig]
    );
}

#[test]
fn wine64_where_debian_puts_it_counts() {
    let mut m = complete();
    m.programs.retain(|p| p != "wine64");
    assert_eq!(apt(&needs(Task::Test, &m)), ["wine64"]);
    m.programs.push("/usr/lib/wine/wine64".into());
    assert_eq!(needs(Task::Test, &m), []);
}

#[test]
fn as_root_everything_is_installed_packages_first() {
    let m = Machine { go: Ok(()), ..bare() };
    let plan = Plan::new(&needs(Task::Test, &m), &m);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let release: Vec<&str> = platform::release().map(|p| p.target).collect();
    assert_eq!(
        lines(&plan),
        [
            "apt-get update -qq".to_string(),
            "apt-get install -y -qq hostname git python3 graphviz qemu-user-static wine wine64 python3-pip".into(),
            format!("rustup target add {}", release.join(" ")),
            format!(
                "{cargo} install --locked --quiet cargo-zigbuild --version {ZIGBUILD_VERSION} --root {}",
                zigbuild_home().display()
            ),
            format!(
                "python3 -m pip install --quiet --disable-pip-version-check --target {} ziglang=={ZIG_VERSION}",
                zig_home().display()
            ),
        ]
    );
    assert_eq!(plan.steps[1].env, [("DEBIAN_FRONTEND", "noninteractive")]);
    assert_eq!(plan.left, Vec::<String>::new());
}

#[test]
fn with_password_less_sudo_apt_runs_through_sudo() {
    let m = Machine { privilege: Privilege::Sudo, go: Ok(()), ..complete() };
    let m = Machine { programs: vec![], ..m };
    let plan = Plan::new(&needs(Task::Stress, &m), &m);
    assert_eq!(
        lines(&plan),
        [
            "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
            "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz",
        ]
    );
}

#[test]
fn without_privileges_the_packages_are_the_one_command_left() {
    let m = Machine { privilege: Privilege::None, ..bare() };
    let plan = Plan::new(&needs(Task::Test, &m), &m);
    // The Rust targets and cargo-zigbuild need no privileges; zig needs pip, which is missing.
    let steps = lines(&plan);
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(steps[0].starts_with("rustup target add ") && steps[1].contains("install --locked --quiet cargo-zigbuild"));
    assert_eq!(plan.left.len(), 3, "{:?}", plan.left);
    assert_eq!(
        plan.left[0],
        "apt-get install -y hostname git python3 graphviz qemu-user-static wine wine64 python3-pip (as root)"
    );
    assert!(plan.left[1].contains("https://go.dev/doc/install"), "{:?}", plan.left);
    assert!(plan.left[2].starts_with("python3 -m pip install "), "{:?}", plan.left);
    let report = plan.report(Task::Test);
    assert!(report.contains("  - wine (the windows/amd64 release is run under it)\n"), "{report}");
    assert!(report.contains("hint: run as root or with password-less sudo"), "{report}");
}

#[test]
fn without_rustup_the_targets_are_left_to_the_user() {
    let m = Machine { rustup: false, ..complete() };
    let m = Machine { targets: vec![], ..m };
    let plan = Plan::new(&needs(Task::Test, &m), &m);
    assert_eq!(plan.steps, []);
    assert_eq!(plan.left.len(), 1);
    assert!(plan.left[0].starts_with("rustup target add x86_64-unknown-linux-musl"), "{:?}", plan.left);
}

#[test]
fn the_description_says_what_why_and_the_commands_before_running_them() {
    let m = Machine { go: Ok(()), hostname: true, ..complete() };
    let m = Machine { programs: vec!["git".into(), "dot".into()], ..m };
    let text = Plan::new(&needs(Task::Test, &m), &m).describe(Task::Test);
    assert!(text.starts_with("==> cargo xtask test needs what this machine lacks:\n"), "{text}");
    assert!(text.contains("  - qemu-aarch64-static (the linux/arm64 release is run under it)\n"), "{text}");
    assert!(text.contains("  $ apt-get install -y -qq qemu-user-static wine wine64\n"), "{text}");
}

#[test]
fn ci_runs_the_readmes_test_command_and_nothing_else() {
    // `cargo xtask test` installs what it needs; CI must not install anything the README's
    // command would not, or a fresh machine could pass CI and fail the README.
    let ci = std::fs::read_to_string(paths::root().join(".ci/run")).expect(".ci/run");
    let commands: Vec<&str> = ci.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    assert_eq!(commands, ["set -euo pipefail", "cd \"$(dirname \"$0\")/..\"", "exec cargo xtask test"], "{ci}");
}
