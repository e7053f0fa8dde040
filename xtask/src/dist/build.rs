//! The release builds: this machine's own glibc target with cargo, every other target in one
//! cargo-zigbuild run linked by zig, each with what its [`Link`] and `rustflags` in the
//! platform table ask for.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::platform::{Link, Platform};
use crate::{paths, prereq, util};

/// Where the release binaries of a platform are.
pub fn release_dir(platform: &Platform) -> Result<PathBuf> {
    // The host's own target goes to target/release, shared with `cargo build --release`, so a
    // release build already made is not made again.
    Ok(if platform.native() {
        paths::root().join("target").join("release")
    } else {
        paths::root().join("target").join(platform.target).join("release")
    })
}

/// Builds the plugins in release mode for the platforms: the host's glibc target with cargo,
/// every other one in a single cargo-zigbuild run (cargo builds the targets side by side and
/// the build scripts and proc-macros once).
pub fn build(platforms: &[&Platform]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let (native, zig): (Vec<&Platform>, Vec<&Platform>) = platforms.iter().partition(|p| p.native());
    let describe = |ps: &[&Platform]| ps.iter().map(|p| p.target).collect::<Vec<_>>().join(", ");
    if !native.is_empty() {
        util::step(&format!("building the plugins for {} (release)", describe(&native)));
        let started = Instant::now();
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(paths::root()).args(["build", "--release", "--locked", "--bins"]);
        let status = cmd.status().with_context(|| format!("could not run {}", util::describe(&cmd)))?;
        if !status.success() {
            bail!("{} failed", util::describe(&cmd));
        }
        util::step(&format!("built {} in {:.0}s", describe(&native), started.elapsed().as_secs_f64()));
    }
    if !zig.is_empty() {
        let tools = prereq::zig_tools().context("zig or cargo-zigbuild is missing (see cargo xtask prereq dist)")?;
        util::step(&format!("building the plugins for {} (release, linked by zig)", describe(&zig)));
        let started = Instant::now();
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(paths::root()).args(["zigbuild", "--release", "--locked", "--bins"]);
        for p in &zig {
            cmd.args(["--target", p.target]);
        }
        // cargo finds `cargo-zigbuild`, and cargo-zigbuild `zig`, on PATH.
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(tools.into_iter().chain(std::env::split_paths(&path)))?;
        cmd.env("PATH", path);
        let stubs = if zig.iter().any(|p| p.link == Link::ZigMacFrameworks) { Some(framework_stubs()?) } else { None };
        for p in &zig {
            let mut flags: Vec<String> = vec![];
            if let (Link::ZigMacFrameworks, Some(stubs)) = (p.link, &stubs) {
                flags.push(format!("-C link-arg=-F{} -C link-arg=-Wl,-dead_strip_dylibs", stubs.display()));
            }
            if !p.rustflags.is_empty() {
                flags.push(p.rustflags.to_string());
            }
            if !flags.is_empty() {
                let var = format!("CARGO_TARGET_{}_RUSTFLAGS", p.target.to_uppercase().replace('-', "_"));
                cmd.env(var, flags.join(" "));
            }
        }
        let status = cmd.status().with_context(|| format!("could not run {}", util::describe(&cmd)))?;
        if !status.success() {
            bail!("{} failed", util::describe(&cmd));
        }
        util::step(&format!("built {} in {:.0}s", describe(&zig), started.elapsed().as_secs_f64()));
    }
    Ok(())
}

/// The macOS frameworks that crates of the tree name for the linker (security-framework and
/// core-foundation, through kube's and hyper-rustls's platform-verifier and native-certs
/// features), as text stubs that export nothing, in `target/macos-frameworks`.
///
/// The SDK with the real ones cannot be had on Linux, and nothing the plugins run calls them:
/// API servers are checked against the kubeconfig's CA (else kube's bundled roots on macOS) and
/// registries against bundled roots (`kubectl_kit_registry::trust`). With the stubs the link
/// succeeds, `-dead_strip_dylibs` leaves the unused frameworks out of the binary (it loads
/// libSystem only, which the platform tests check), and a call that did reach one of them would
/// fail the link with an undefined symbol rather than ship.
fn framework_stubs() -> Result<PathBuf> {
    let dir = paths::root().join("target").join("macos-frameworks");
    for name in ["Security", "CoreFoundation"] {
        let framework = dir.join(format!("{name}.framework"));
        std::fs::create_dir_all(&framework)?;
        std::fs::write(
            framework.join(format!("{name}.tbd")),
            format!(
                "--- !tapi-tbd\ntbd-version: 4\ntargets: [ x86_64-macos, arm64-macos ]\n\
                 install-name: '/System/Library/Frameworks/{name}.framework/Versions/A/{name}'\n\
                 current-version: 1\n...\n"
            ),
        )?;
    }
    Ok(dir)
}
