//! `cargo xtask dist`: the release. Release builds of every plugin for every platform krew
//! users run, one archive per plugin and platform, `SHA256SUMS`, the krew manifests and a krew
//! index, all in `target/dist/`.
//!
//! - Platforms: the release targets of [`crate::platform::PLATFORMS`] (linux/amd64 and
//!   linux/arm64 as static musl builds, darwin/amd64 and darwin/arm64, windows/amd64 as
//!   `x86_64-pc-windows-gnu`), all built on one Linux machine (`build`): cargo-zigbuild links
//!   them with zig (PyPI's `ziglang`), which carries the C libraries, headers and linkers of
//!   every target (ring compiles C), so no SDK or second compiler is needed.
//! - Archives (`archive`): `kubectl-PLUGIN-vVERSION-TARGET.tar.gz` (`.zip` with `.exe` names for
//!   Windows), one per plugin, since krew downloads a plugin's archive for each plugin it
//!   installs: the suite costs the sum of five small archives, not five times one large one.
//!   Each holds the binary, `LICENSE` and `README.md` at the top level; entries sorted, owned by
//!   root, tar entries dated `SOURCE_DATE_EPOCH` (else the last commit), so the same binaries
//!   give the same bytes.
//! - Manifests (`manifest`): `krew/<plugin>.yaml` are templates; the version comes from the
//!   workspace's `Cargo.toml`, and each platform entry (URI, sha256, files, bin) is written from
//!   an archive that exists in `target/dist/`. A platform without an archive is left out rather
//!   than given a hash nobody computed; `dist --no-build` writes manifests for archives gathered
//!   from elsewhere.
//! - Index: `target/dist/index/plugins/*.yaml` in a git repository (krew clones indexes with
//!   git), so `kubectl krew index add kit file://…/target/dist/index` works before anything is
//!   published.

mod archive;
mod build;
mod manifest;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::platform::{self, PLATFORMS, Platform};
use crate::{paths, prereq, util};

/// What a release is made of, from the workspace.
struct Workspace {
    /// `[workspace.package] version` (xtask inherits it, so Cargo has already read it for us).
    version: String,
    homepage: String,
    /// Binary names, `kubectl-cols`, `kubectl-trace_svc`, …
    binaries: Vec<String>,
}

/// The download size goal: every plugin of the suite, for one platform.
const GOAL_BYTES: u64 = 20_000_000;

/// `dist`'s usage, with the release's platforms from the table.
pub fn usage() -> String {
    format!(
        "\
usage: cargo xtask dist [--all-targets | --target TRIPLE...] [--base-url URL] [--no-build]

  --all-targets    build for {release}
                   (the default when HEAD is tagged vVERSION, a release)
  --target TRIPLE  build for this Rust target (repeatable; default: this machine's,
                   as a static musl build on Linux), one of:
{known}
  --base-url URL   where the archives will be downloaded from
                   (default: REPOSITORY/releases/download/vVERSION/)
  --no-build       build nothing: hash the archives already in target/dist and write
                   SHA256SUMS, the manifests and the index for them
",
        release = platform::release_words(),
        known = wrap(PLATFORMS.iter().map(|p| p.target), 19, 96),
    )
}

/// Words joined by spaces into lines of at most `width` columns, each indented by `indent`.
fn wrap<'a>(words: impl Iterator<Item = &'a str>, indent: usize, width: usize) -> String {
    let mut lines: Vec<String> = vec![];
    for word in words {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(format!("{}{word}", " ".repeat(indent))),
        }
    }
    lines.join("\n")
}

/// `target/dist`.
pub fn dir() -> PathBuf {
    paths::root().join("target").join("dist")
}

/// The platforms a `dist` with these arguments builds, by target (none with `--no-build`).
pub fn targets_of(args: &[&str]) -> Result<Vec<&'static Platform>> {
    let mut targets: Vec<String> = vec![];
    let mut all = false;
    let mut build = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match *a {
            "--target" => targets.push(it.next().with_context(usage)?.to_string()),
            "--all-targets" => all = true,
            "--base-url" => {
                it.next().with_context(usage)?;
            }
            "--no-build" => build = false,
            other if other.starts_with("--base-url=") => {}
            other => match other.strip_prefix("--target=") {
                Some(t) => targets.push(t.to_string()),
                None => bail!("unknown argument {other:?}\n{}", usage()),
            },
        }
    }
    if !build {
        return Ok(vec![]);
    }
    if all || (targets.is_empty() && is_release()) {
        targets.extend(platform::release().map(|p| p.target.to_string()));
    }
    if targets.is_empty() {
        targets.push(default_target()?);
    }
    targets.sort();
    targets.dedup();
    targets
        .iter()
        .map(|t| {
            Platform::of(t).with_context(|| {
                let known: Vec<&str> = PLATFORMS.iter().map(|p| p.target).collect();
                format!("no krew platform for target {t}; known: {}", known.join(", "))
            })
        })
        .collect()
}

pub fn run(args: &[&str]) -> Result<()> {
    let started = Instant::now();
    let targets = targets_of(args)?;
    let mut base_url: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if *a == "--base-url" {
            base_url = it.next().map(|u| u.to_string());
        } else if let Some(u) = a.strip_prefix("--base-url=") {
            base_url = Some(u.to_string());
        }
    }
    prereq::ensure(prereq::Task::Dist(&targets))?;
    let ws = workspace()?;
    let base_url = base_url.unwrap_or_else(|| format!("{}/releases/download/v{}/", ws.homepage, ws.version));
    let out = dir();
    std::fs::create_dir_all(&out)?;
    if !targets.is_empty() {
        // The manifests describe the archives of this run only, never one left from an earlier
        // build; `--no-build` is the way to gather archives built elsewhere.
        for entry in std::fs::read_dir(&out)? {
            let name = entry?.file_name().to_string_lossy().to_string();
            if name.starts_with("kubectl-") && (name.ends_with(".tar.gz") || name.ends_with(".zip"))
                || name == "SHA256SUMS"
            {
                std::fs::remove_file(out.join(&name))?;
            }
        }
        build::build(&targets)?;
        for platform in targets {
            for binary in &ws.binaries {
                let bin = build::release_dir(platform)?.join(platform.exe(binary));
                if !bin.is_file() {
                    bail!("{} was not built", bin.display());
                }
                let archive = out.join(platform.archive(&command_name(binary), &ws.version));
                archive::write(
                    &archive,
                    platform,
                    std::slice::from_ref(&bin),
                    &[paths::root().join("LICENSE"), paths::root().join("README.md")],
                )?;
            }
        }
    }
    let archives = archive::hash_all(&out, &ws.version)?;
    if archives.is_empty() {
        bail!("no archives for v{} in {}: run cargo xtask dist without --no-build", ws.version, out.display());
    }
    let sums: String = archives.iter().map(|(name, sum)| format!("{sum}  {name}\n")).collect();
    std::fs::write(out.join("SHA256SUMS"), sums)?;
    for dir in [out.join("krew"), out.join("index").join("plugins")] {
        std::fs::create_dir_all(&dir)?;
        for entry in std::fs::read_dir(&dir)? {
            std::fs::remove_file(entry?.path())?;
        }
    }
    let mut covered: Vec<(Platform, Vec<String>)> = vec![];
    for binary in &ws.binaries {
        let name = command_name(binary);
        let chosen = manifest::choose_platforms(&archives, &name, &ws.version);
        for (p, _) in &chosen {
            match covered.iter_mut().find(|(c, _)| c.os == p.os && c.arch == p.arch) {
                Some((_, names)) => names.push(name.clone()),
                None => covered.push((*p, vec![name.clone()])),
            }
        }
        let template_path = paths::root().join("krew").join(format!("{name}.yaml"));
        let template = std::fs::read_to_string(&template_path)
            .with_context(|| format!("{binary} has no krew manifest template: add {}", template_path.display()))?;
        let manifest = manifest::render(&template, &name, binary, &ws, &base_url, &chosen)?;
        std::fs::write(out.join("krew").join(format!("{name}.yaml")), &manifest)?;
        std::fs::write(out.join("index").join("plugins").join(format!("{name}.yaml")), &manifest)?;
    }
    manifest::commit_index(&out.join("index"), &ws.version)?;
    util::say_err(&size_report(&out, &archives, &covered, &ws)?);
    util::step(&format!(
        "manifests for {} in {} and {} (a git repository for `kubectl krew index add`)",
        covered.iter().map(|(p, _)| p.os_arch()).collect::<Vec<_>>().join(", "),
        out.join("krew").display(),
        out.join("index").display()
    ));
    let missing: BTreeSet<String> = PLATFORMS
        .iter()
        .filter(|p| !covered.iter().any(|(c, _)| c.os == p.os && c.arch == p.arch))
        .map(Platform::os_arch)
        .collect();
    if !missing.is_empty() {
        util::step(&format!(
            "no archive for {}: those platforms are left out of the manifests (cargo xtask dist --all-targets builds them)",
            missing.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    util::step(&format!("dist took {:.0}s", started.elapsed().as_secs_f64()));
    Ok(())
}

/// What a user downloads per platform to install the whole suite with krew (one archive per
/// plugin), against the goal.
fn size_report(
    out: &Path,
    archives: &[(String, String)],
    covered: &[(Platform, Vec<String>)],
    ws: &Workspace,
) -> Result<String> {
    let mut text = String::from("download size of the whole suite per platform (goal ≤ 20 MB):\n");
    for (p, plugins) in covered {
        let mut total = 0u64;
        for plugin in plugins {
            let name = p.archive(plugin, &ws.version);
            if archives.iter().any(|(a, _)| *a == name) {
                total += std::fs::metadata(out.join(&name))?.len();
            }
        }
        let verdict = if total <= GOAL_BYTES { "" } else { "  (over the goal)" };
        text.push_str(&format!(
            "  {:<8} {:<7} {:>5.1} MB in {} archives ({}){verdict}\n",
            p.os,
            p.arch,
            total as f64 / 1e6,
            plugins.len(),
            p.target
        ));
    }
    Ok(text)
}

fn workspace() -> Result<Workspace> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = util::run(Command::new(cargo).current_dir(paths::root()).args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
    ]))?;
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).context("unreadable cargo metadata")?;
    let mut binaries = vec![];
    let mut homepage = String::new();
    for p in meta["packages"].as_array().into_iter().flatten() {
        for t in p["targets"].as_array().into_iter().flatten() {
            let is_bin = t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "bin"));
            if let Some(name) = t["name"].as_str().filter(|n| is_bin && n.starts_with("kubectl-")) {
                binaries.push(name.to_string());
                if let Some(h) = p["repository"].as_str() {
                    homepage = h.trim_end_matches('/').to_string();
                }
            }
        }
    }
    binaries.sort();
    if binaries.is_empty() || homepage.is_empty() {
        bail!("cargo metadata lists no kubectl-* binaries with a repository URL");
    }
    Ok(Workspace { version: env!("CARGO_PKG_VERSION").to_string(), homepage, binaries })
}

/// kubectl's command for a binary: `kubectl-trace_svc` → `trace-svc` (krew links
/// `kubectl-trace_svc` for a plugin named `trace-svc`).
pub fn command_name(binary: &str) -> String {
    binary.trim_start_matches("kubectl-").replace('_', "-")
}

/// True when HEAD carries the tag of this version: a release, which builds every platform.
fn is_release() -> bool {
    Command::new("git").current_dir(paths::root()).args(["tag", "--points-at", "HEAD"]).output().is_ok_and(|o| {
        String::from_utf8_lossy(&o.stdout).lines().any(|t| t == format!("v{}", env!("CARGO_PKG_VERSION")))
    })
}

/// This machine's platform: on Linux the static musl build of its architecture.
fn default_target() -> Result<String> {
    let host = platform::host()?;
    Ok(match host.strip_suffix("-unknown-linux-gnu") {
        Some(arch) => format!("{arch}-unknown-linux-musl"),
        None => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_come_from_the_platform_table() {
        assert!(targets_of(&["--all-targets", "--no-build"]).expect("parses").is_empty());
        let all = targets_of(&["--all-targets", "--target", "x86_64-apple-darwin"]).expect("parses");
        let mut release: Vec<&Platform> = platform::release().collect();
        release.sort_by_key(|p| p.target);
        assert_eq!(all, release);
        let one = targets_of(&["--target=x86_64-pc-windows-gnu", "--base-url", "https://x/"]).expect("parses");
        assert_eq!(one.iter().map(|p| p.target).collect::<Vec<_>>(), ["x86_64-pc-windows-gnu"]);
        let e = targets_of(&["--target", "sparc-sun-solaris"]).expect_err("unknown");
        assert!(e.to_string().contains("no krew platform for target sparc-sun-solaris"), "{e}");
        assert!(targets_of(&["--target"]).is_err());
        assert!(targets_of(&["--bogus"]).is_err());
    }

    #[test]
    fn command_names_are_what_kubectl_and_krew_use() {
        assert_eq!(command_name("kubectl-trace_svc"), "trace-svc");
        assert_eq!(command_name("kubectl-cols"), "cols");
    }

    #[test]
    fn usage_lines_are_wrapped() {
        assert_eq!(wrap(["aaa", "bbb", "ccc"].into_iter(), 2, 9), "  aaa bbb\n  ccc");
        assert!(usage().lines().all(|l| l.chars().count() <= 100), "{}", usage());
    }

    #[test]
    fn usage_names_the_release_platforms() {
        let text = usage();
        assert!(text.contains(&platform::release_words()), "{text}");
        for p in PLATFORMS {
            assert!(text.contains(p.target), "{} in {text}", p.target);
        }
    }
}
