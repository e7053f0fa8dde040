//! `cargo xtask dist`: the release. Release builds of every plugin for every platform krew
//! users run, one archive per plugin and platform, `SHA256SUMS`, the krew manifests and a krew
//! index, all in `target/dist/`.
//!
//! - Platforms: linux/amd64 and linux/arm64 (static musl), darwin/amd64 and darwin/arm64,
//!   windows/amd64 (`x86_64-pc-windows-gnu`), all built on one Linux machine: cargo-zigbuild
//!   links them with zig (PyPI's `ziglang`), which carries the C libraries, headers and linkers
//!   of every target (ring compiles C), so no SDK or second compiler is needed.
//! - Archives: `kubectl-PLUGIN-vVERSION-TARGET.tar.gz` (`.zip` with `.exe` names for Windows),
//!   one per plugin, since krew downloads a plugin's archive for each plugin it installs: the
//!   suite costs the sum of five small archives, not five times one large one. Each holds the
//!   binary, `LICENSE` and `README.md` at the top level; entries sorted, owned by root, tar
//!   entries dated `SOURCE_DATE_EPOCH` (else the last commit), so the same binaries give the
//!   same bytes.
//! - Manifests: `krew/<plugin>.yaml` are templates; the version comes from the workspace's
//!   `Cargo.toml`, and each platform entry (URI, sha256, files, bin) is written from an archive
//!   that exists in `target/dist/`. A platform without an archive is left out rather than given
//!   a hash nobody computed; `dist --no-build` writes manifests for archives gathered from
//!   elsewhere.
//! - Index: `target/dist/index/plugins/*.yaml` in a git repository (krew clones indexes with
//!   git), so `kubectl krew index add kit file://…/target/dist/index` works before anything is
//!   published.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{paths, prereq, util};

/// What a release is made of, from the workspace.
struct Workspace {
    /// `[workspace.package] version` (xtask inherits it, so Cargo has already read it for us).
    version: String,
    homepage: String,
    /// Binary names, `kubectl-cols`, `kubectl-trace_svc`, …
    binaries: Vec<String>,
}

/// A Rust target a release can be built for, and the krew platform it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    pub target: &'static str,
    pub os: &'static str,
    pub arch: &'static str,
}

/// Every target the manifests know, preferred first for each os/arch: a static musl build
/// runs on every Linux, a glibc one only where glibc is at least as new as the build machine's.
pub const PLATFORMS: &[Platform] = &[
    Platform { target: "x86_64-unknown-linux-musl", os: "linux", arch: "amd64" },
    Platform { target: "x86_64-unknown-linux-gnu", os: "linux", arch: "amd64" },
    Platform { target: "aarch64-unknown-linux-musl", os: "linux", arch: "arm64" },
    Platform { target: "aarch64-unknown-linux-gnu", os: "linux", arch: "arm64" },
    Platform { target: "x86_64-apple-darwin", os: "darwin", arch: "amd64" },
    Platform { target: "aarch64-apple-darwin", os: "darwin", arch: "arm64" },
    Platform { target: "x86_64-pc-windows-msvc", os: "windows", arch: "amd64" },
    Platform { target: "x86_64-pc-windows-gnu", os: "windows", arch: "amd64" },
];

/// What `--all-targets` (and a release) builds: one target per platform krew users run, all
/// of them buildable on a Linux machine.
pub const ALL_TARGETS: &[&str] = &[
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-gnu",
];

/// The download size goal: every plugin of the suite, for one platform.
const GOAL_BYTES: u64 = 20_000_000;

impl Platform {
    fn windows(&self) -> bool {
        self.os == "windows"
    }

    fn exe(&self, binary: &str) -> String {
        if self.windows() { format!("{binary}.exe") } else { binary.to_string() }
    }

    /// `kubectl-trace-svc-v0.1.0-x86_64-unknown-linux-musl.tar.gz`: the archive of one plugin.
    pub fn archive(&self, plugin: &str, version: &str) -> String {
        let ext = if self.windows() { "zip" } else { "tar.gz" };
        format!("kubectl-{plugin}-v{version}-{}.{ext}", self.target)
    }
}

const USAGE: &str = "\
usage: cargo xtask dist [--all-targets | --target TRIPLE...] [--base-url URL] [--no-build]

  --all-targets    build for linux/amd64, linux/arm64, darwin/amd64, darwin/arm64 and
                   windows/amd64 (the default when HEAD is tagged vVERSION, a release)
  --target TRIPLE  build for this Rust target (repeatable; default: this machine's,
                   as a static musl build on Linux)
  --base-url URL   where the archives will be downloaded from
                   (default: REPOSITORY/releases/download/vVERSION/)
  --no-build       build nothing: hash the archives already in target/dist and write
                   SHA256SUMS, the manifests and the index for them
";

/// `target/dist`.
pub fn dir() -> PathBuf {
    paths::root().join("target").join("dist")
}

/// True for a target linked through cargo-zigbuild (every one but this machine's own glibc
/// target, which the system's compiler links).
pub fn needs_zig(target: &str) -> bool {
    host().map_or(true, |h| h != target)
}

/// The targets a `dist` with these arguments builds (empty with `--no-build`).
pub fn targets_of(args: &[&str]) -> Result<Vec<String>> {
    let mut targets: Vec<String> = vec![];
    let mut all = false;
    let mut build = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match *a {
            "--target" => targets.push(it.next().context(USAGE)?.to_string()),
            "--all-targets" => all = true,
            "--base-url" => {
                it.next().context(USAGE)?;
            }
            "--no-build" => build = false,
            other if other.starts_with("--target=") => targets.push(other["--target=".len()..].to_string()),
            other if other.starts_with("--base-url=") => {}
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    if !build {
        return Ok(vec![]);
    }
    if all || (targets.is_empty() && is_release()) {
        targets.extend(ALL_TARGETS.iter().map(|t| t.to_string()));
    }
    if targets.is_empty() {
        targets.push(default_target()?);
    }
    targets.sort();
    targets.dedup();
    for t in &targets {
        if !PLATFORMS.iter().any(|p| p.target == t) {
            let known: Vec<&str> = PLATFORMS.iter().map(|p| p.target).collect();
            bail!("no krew platform for target {t}; known: {}", known.join(", "));
        }
    }
    Ok(targets)
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
    let wanted: Vec<&str> = targets.iter().map(String::as_str).collect();
    prereq::check(prereq::Task::Dist, &wanted)?;
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
        let platforms: Vec<&Platform> =
            targets.iter().filter_map(|t| PLATFORMS.iter().find(|p| p.target == t)).collect();
        build(&platforms)?;
        for platform in platforms {
            for binary in &ws.binaries {
                let bin = release_dir(platform.target)?.join(platform.exe(binary));
                if !bin.is_file() {
                    bail!("{} was not built", bin.display());
                }
                let archive = out.join(platform.archive(&command_name(binary), &ws.version));
                write_archive(
                    &archive,
                    platform,
                    std::slice::from_ref(&bin),
                    &[paths::root().join("LICENSE"), paths::root().join("README.md")],
                )?;
            }
        }
    }
    let archives = hash_archives(&out, &ws.version)?;
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
        let chosen = choose_platforms(&archives, &name, &ws.version);
        for (p, _) in &chosen {
            match covered.iter_mut().find(|(c, _)| c.os == p.os && c.arch == p.arch) {
                Some((_, names)) => names.push(name.clone()),
                None => covered.push((*p, vec![name.clone()])),
            }
        }
        let template_path = paths::root().join("krew").join(format!("{name}.yaml"));
        let template = std::fs::read_to_string(&template_path)
            .with_context(|| format!("{binary} has no krew manifest template: add {}", template_path.display()))?;
        let manifest = render(&template, &name, binary, &ws, &base_url, &chosen)?;
        std::fs::write(out.join("krew").join(format!("{name}.yaml")), &manifest)?;
        std::fs::write(out.join("index").join("plugins").join(format!("{name}.yaml")), &manifest)?;
    }
    commit_index(&out.join("index"), &ws.version)?;
    util::say_err(&size_report(&out, &archives, &covered, &ws)?);
    util::step(&format!(
        "manifests for {} in {} and {} (a git repository for `kubectl krew index add`)",
        covered.iter().map(|(p, _)| format!("{}/{}", p.os, p.arch)).collect::<Vec<_>>().join(", "),
        out.join("krew").display(),
        out.join("index").display()
    ));
    let missing: std::collections::BTreeSet<String> = PLATFORMS
        .iter()
        .filter(|p| !covered.iter().any(|(c, _)| c.os == p.os && c.arch == p.arch))
        .map(|p| format!("{}/{}", p.os, p.arch))
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

/// This machine's target, from `rustc -vV` (asked once).
fn host() -> Result<String> {
    static HOST: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        let out = util::run(Command::new("rustc").arg("-vV")).ok()?;
        String::from_utf8_lossy(&out.stdout).lines().find_map(|l| l.strip_prefix("host: ").map(str::to_string))
    })
    .clone()
    .context("rustc -vV did not name the host target")
}

/// True when HEAD carries the tag of this version: a release, which builds every platform.
fn is_release() -> bool {
    Command::new("git").current_dir(paths::root()).args(["tag", "--points-at", "HEAD"]).output().is_ok_and(|o| {
        String::from_utf8_lossy(&o.stdout).lines().any(|t| t == format!("v{}", env!("CARGO_PKG_VERSION")))
    })
}

/// This machine's platform: on Linux the static musl build of its architecture.
fn default_target() -> Result<String> {
    let host = host()?;
    Ok(match host.strip_suffix("-unknown-linux-gnu") {
        Some(arch) => format!("{arch}-unknown-linux-musl"),
        None => host,
    })
}

/// Where the release binaries of a target are.
fn release_dir(target: &str) -> Result<PathBuf> {
    // The host's own target goes to target/release, shared with `cargo build --release`, so a
    // release build already made is not made again.
    Ok(if target == host()? {
        paths::root().join("target").join("release")
    } else {
        paths::root().join("target").join(target).join("release")
    })
}

/// Builds the plugins in release mode for the platforms: the host's glibc target with cargo,
/// every other one in a single cargo-zigbuild run (cargo builds the targets side by side and
/// the build scripts and proc-macros once).
fn build(platforms: &[&Platform]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let host = host()?;
    let (native, zig): (Vec<&&Platform>, Vec<&&Platform>) = platforms.iter().partition(|p| p.target == host);
    let describe = |ps: &[&&Platform]| ps.iter().map(|p| p.target).collect::<Vec<_>>().join(", ");
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
        let zig_dir = prereq::zig().context("zig is missing (see cargo xtask dist's prerequisites)")?;
        util::step(&format!("building the plugins for {} (release, linked by zig)", describe(&zig)));
        let started = Instant::now();
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(paths::root()).args(["zigbuild", "--release", "--locked", "--bins"]);
        for p in &zig {
            cmd.args(["--target", p.target]);
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(std::iter::once(zig_dir).chain(std::env::split_paths(&path)))?;
        cmd.env("PATH", path);
        if zig.iter().any(|p| p.os == "darwin") {
            let stubs = framework_stubs()?;
            for p in zig.iter().filter(|p| p.os == "darwin") {
                let var = format!("CARGO_TARGET_{}_RUSTFLAGS", p.target.to_uppercase().replace('-', "_"));
                cmd.env(var, format!("-C link-arg=-F{} -C link-arg=-Wl,-dead_strip_dylibs", stubs.display()));
            }
        }
        for p in zig.iter().filter(|p| p.windows()) {
            // Windows code compresses worse than the others': optimised for speed, the suite's
            // five zips came to 24.7 MB against at most 17.2 MB for every other platform.
            // Optimised for size in one codegen unit they are 19.4 MB, under the 20 MB goal;
            // the plugins wait on the network, not the CPU, and the other platforms keep the
            // release profile.
            let var = format!("CARGO_TARGET_{}_RUSTFLAGS", p.target.to_uppercase().replace('-', "_"));
            cmd.env(var, "-C opt-level=z -C codegen-units=1");
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

/// Seconds since the epoch stamped on archive entries: `SOURCE_DATE_EPOCH`, else the last
/// commit's time, so that archives do not change with the time of the build.
fn timestamp() -> u64 {
    if let Some(t) = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.parse().ok()) {
        return t;
    }
    Command::new("git")
        .current_dir(paths::root())
        .args(["log", "-1", "--format=%ct"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(0)
}

/// Writes an archive with the binaries (mode 755) and documents (mode 644) at its top level.
pub fn write_archive(path: &Path, platform: &Platform, binaries: &[PathBuf], docs: &[PathBuf]) -> Result<()> {
    let mut entries: BTreeMap<String, (Vec<u8>, u32)> = BTreeMap::new();
    for (files, mode) in [(binaries, 0o755), (docs, 0o644)] {
        for f in files {
            let name = f.file_name().context("a file without a name")?.to_string_lossy().to_string();
            let bytes = std::fs::read(f).with_context(|| format!("could not read {}", f.display()))?;
            entries.insert(name, (bytes, mode));
        }
    }
    let mtime = timestamp();
    let tmp = path.with_extension("partial");
    let file = std::fs::File::create(&tmp).with_context(|| format!("could not create {}", tmp.display()))?;
    if platform.windows() {
        let mut zip = zip::ZipWriter::new(file);
        // zip's earliest date (1980-01-01): MS-DOS times have no zone, and the bytes must not
        // depend on when the build ran.
        let time = zip::DateTime::default();
        for (name, (bytes, mode)) in &entries {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .last_modified_time(time)
                .unix_permissions(*mode);
            zip.start_file(name.as_str(), options)?;
            zip.write_all(bytes)?;
        }
        zip.finish()?;
    } else {
        let gz = flate2::GzBuilder::new().mtime(0).write(file, flate2::Compression::best());
        let mut tar = tar::Builder::new(gz);
        for (name, (bytes, mode)) in &entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(*mode);
            header.set_mtime(mtime);
            header.set_uid(0);
            header.set_gid(0);
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut header, name, bytes.as_slice())?;
        }
        tar.into_inner()?.finish()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// `(file name, lower-case sha256)` of every plugin archive of this version in `dir`, by name.
fn hash_archives(dir: &Path, version: &str) -> Result<Vec<(String, String)>> {
    let version = format!("-v{version}-");
    let mut out = vec![];
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().to_string();
        if name.starts_with("kubectl-")
            && name.contains(&version)
            && (name.ends_with(".tar.gz") || name.ends_with(".zip"))
        {
            let bytes = std::fs::read(dir.join(&name))?;
            out.push((name, sha256_hex(&bytes)));
        }
    }
    out.sort();
    Ok(out)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// For each os/arch, the preferred platform whose archive of `plugin` exists, with its sha256.
fn choose_platforms(archives: &[(String, String)], plugin: &str, version: &str) -> Vec<(Platform, String)> {
    let mut chosen: Vec<(Platform, String)> = vec![];
    for p in PLATFORMS {
        if chosen.iter().any(|(c, _)| c.os == p.os && c.arch == p.arch) {
            continue;
        }
        if let Some((_, sum)) = archives.iter().find(|(name, _)| *name == p.archive(plugin, version)) {
            chosen.push((*p, sum.clone()));
        }
    }
    chosen
}

/// Fills a template in and checks the result against what krew and krew-index ask.
fn render(
    template: &str,
    name: &str,
    binary: &str,
    ws: &Workspace,
    base_url: &str,
    platforms: &[(Platform, String)],
) -> Result<String> {
    let mut entries = String::new();
    for (p, sha256) in platforms {
        let bin = p.exe(binary);
        let base = base_url.trim_end_matches('/');
        entries.push_str(&format!(
            "  - selector:\n      matchLabels:\n        os: {os}\n        arch: {arch}\n    uri: {base}/{archive}\n    \
             sha256: {sha256}\n    files:\n    - from: {bin}\n      to: .\n    - from: LICENSE\n      to: .\n    bin: {bin}\n",
            os = p.os,
            arch = p.arch,
            archive = p.archive(name, &ws.version),
        ));
    }
    let body: String =
        template.lines().skip_while(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect::<String>();
    let text = body
        .replace("{{version}}", &format!("v{}", ws.version))
        .replace("{{homepage}}", &ws.homepage)
        .replace("{{platforms}}\n", &entries);
    check(&text, name)?;
    Ok(text)
}

/// What validate-krew-manifest and the krew-index reviewers check, caught before a release.
fn check(text: &str, name: &str) -> Result<()> {
    if text.contains("{{") {
        bail!("{name}: a placeholder was left in the manifest");
    }
    let v: serde_yaml::Value = serde_yaml::from_str(text).with_context(|| format!("{name}: not valid YAML"))?;
    let field = |path: &[&str]| -> String {
        let mut cur = &v;
        for p in path {
            cur = &cur[*p];
        }
        cur.as_str().unwrap_or_default().to_string()
    };
    let want = [
        (vec!["apiVersion"], "krew.googlecontainertools.github.com/v1alpha2"),
        (vec!["kind"], "Plugin"),
        (vec!["metadata", "name"], name),
    ];
    for (path, value) in want {
        if field(&path) != value {
            bail!("{name}: {} must be {value:?}", path.join("."));
        }
    }
    let short = field(&["spec", "shortDescription"]);
    if short.is_empty() || short.chars().count() > 50 || short.contains('\n') {
        bail!("{name}: shortDescription must be one line of at most 50 characters: {short:?}");
    }
    for (key, width) in [("description", 80), ("caveats", 80)] {
        if let Some(long) = field(&["spec", key]).lines().find(|l| l.chars().count() > width) {
            bail!("{name}: {key} is wrapped at {width} columns; too long: {long:?}");
        }
    }
    let version = field(&["spec", "version"]);
    if !version.starts_with('v') || version[1..].split('.').count() != 3 {
        bail!("{name}: version {version:?} is not v-prefixed semver");
    }
    let platforms = v["spec"]["platforms"].as_sequence().map(Vec::as_slice).unwrap_or_default();
    if platforms.is_empty() {
        bail!("{name}: no platforms");
    }
    for p in platforms {
        let sha = p["sha256"].as_str().unwrap_or_default();
        if sha.len() != 64 || !sha.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
            bail!("{name}: sha256 {sha:?} is not 64 lower-case hex digits");
        }
    }
    Ok(())
}

/// Makes `index` a git repository whose last commit holds the current manifests (krew clones
/// an index and later fast-forwards it with `krew update`).
fn commit_index(index: &Path, version: &str) -> Result<()> {
    let git = |args: &[&str]| -> Result<String> {
        let out = util::run(
            Command::new("git")
                .current_dir(index)
                .args(["-c", "user.name=kubectl-kit", "-c", "user.email=dev@kubectl-kit.invalid"])
                .args(["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"])
                .args(args),
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).to_string())
    };
    if !index.join(".git").is_dir() {
        git(&["init", "--quiet"]).context("git is needed to lay out the krew index")?;
    }
    git(&["add", "--all", "plugins"])?;
    if !git(&["status", "--porcelain"])?.trim().is_empty() || git(&["rev-parse", "--verify", "-q", "HEAD"]).is_err() {
        git(&["commit", "--quiet", "-m", &format!("kubectl-kit v{version}")])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> Workspace {
        Workspace {
            version: "1.2.3".into(),
            homepage: "https://example.com/kit".into(),
            binaries: vec!["kubectl-trace_svc".into()],
        }
    }

    const TEMPLATE: &str = "# comment for the template's readers\n# more\napiVersion: krew.googlecontainertools.github.com/v1alpha2\nkind: Plugin\nmetadata:\n  name: trace-svc\nspec:\n  version: {{version}}\n  homepage: {{homepage}}\n  shortDescription: Trace a Service\n  description: |\n    Traces.\n  platforms:\n{{platforms}}\n";

    #[test]
    fn manifests_take_version_uris_and_hashes_from_the_release() {
        let linux = PLATFORMS[1];
        let windows = PLATFORMS[6];
        let sums = vec![(linux, "a".repeat(64)), (windows, "b".repeat(64))];
        let out = render(TEMPLATE, "trace-svc", "kubectl-trace_svc", &ws(), "https://dl.example/v1.2.3/", &sums)
            .expect("renders");
        assert_eq!(
            out,
            format!(
                "apiVersion: krew.googlecontainertools.github.com/v1alpha2\nkind: Plugin\nmetadata:\n  name: trace-svc\nspec:\n  \
                 version: v1.2.3\n  homepage: https://example.com/kit\n  shortDescription: Trace a Service\n  description: |\n    \
                 Traces.\n  platforms:\n  - selector:\n      matchLabels:\n        os: linux\n        arch: amd64\n    \
                 uri: https://dl.example/v1.2.3/kubectl-trace-svc-v1.2.3-x86_64-unknown-linux-gnu.tar.gz\n    sha256: {}\n    \
                 files:\n    - from: kubectl-trace_svc\n      to: .\n    - from: LICENSE\n      to: .\n    bin: kubectl-trace_svc\n  \
                 - selector:\n      matchLabels:\n        os: windows\n        arch: amd64\n    \
                 uri: https://dl.example/v1.2.3/kubectl-trace-svc-v1.2.3-x86_64-pc-windows-msvc.zip\n    sha256: {}\n    \
                 files:\n    - from: kubectl-trace_svc.exe\n      to: .\n    - from: LICENSE\n      to: .\n    \
                 bin: kubectl-trace_svc.exe\n",
                "a".repeat(64),
                "b".repeat(64)
            )
        );
    }

    #[test]
    fn manifests_that_krew_index_would_refuse_are_errors() {
        let sums = vec![(PLATFORMS[1], "a".repeat(64))];
        let r = |t: &str, name: &str| render(t, name, "kubectl-trace_svc", &ws(), "https://x/", &sums);
        assert!(r(TEMPLATE, "cols").is_err(), "name must match the file");
        let long = TEMPLATE.replace("Trace a Service", &"x".repeat(51));
        assert!(r(&long, "trace-svc").is_err());
        let wide = TEMPLATE.replace("Traces.", &"word ".repeat(20));
        assert!(r(&wide, "trace-svc").is_err());
        let upper = vec![(PLATFORMS[1], "A".repeat(64))];
        assert!(render(TEMPLATE, "trace-svc", "kubectl-trace_svc", &ws(), "https://x/", &upper).is_err());
        assert!(render(TEMPLATE, "trace-svc", "kubectl-trace_svc", &ws(), "https://x/", &[]).is_err());
    }

    #[test]
    fn one_platform_per_os_arch_preferring_static_builds() {
        let names = |ts: &[&str]| -> Vec<(String, String)> {
            ts.iter().map(|t| (format!("kubectl-cols-v1.2.3-{t}"), "c".repeat(64))).collect()
        };
        let gnu_only = choose_platforms(&names(&["x86_64-unknown-linux-gnu.tar.gz"]), "cols", "1.2.3");
        assert_eq!(gnu_only.iter().map(|(p, _)| p.target).collect::<Vec<_>>(), ["x86_64-unknown-linux-gnu"]);
        let both = choose_platforms(
            &names(&[
                "x86_64-unknown-linux-gnu.tar.gz",
                "x86_64-unknown-linux-musl.tar.gz",
                "x86_64-apple-darwin.tar.gz",
                "x86_64-pc-windows-gnu.zip",
            ]),
            "cols",
            "1.2.3",
        );
        assert_eq!(
            both.iter().map(|(p, _)| p.target).collect::<Vec<_>>(),
            ["x86_64-unknown-linux-musl", "x86_64-apple-darwin", "x86_64-pc-windows-gnu"]
        );
        // Archives of another version, or of another plugin, are not this one's.
        assert!(choose_platforms(&names(&["x86_64-apple-darwin.tar.gz"]), "cols", "9.9.9").is_empty());
        assert!(choose_platforms(&names(&["x86_64-apple-darwin.tar.gz"]), "detach", "1.2.3").is_empty());
    }

    #[test]
    fn all_targets_cover_the_five_platforms_once() {
        let mut pairs: Vec<(&str, &str)> = ALL_TARGETS
            .iter()
            .map(|t| PLATFORMS.iter().find(|p| p.target == *t).map(|p| (p.os, p.arch)).expect("a platform"))
            .collect();
        pairs.sort();
        assert_eq!(
            pairs,
            [("darwin", "amd64"), ("darwin", "arm64"), ("linux", "amd64"), ("linux", "arm64"), ("windows", "amd64")]
        );
        assert_eq!(targets_of(&["--all-targets", "--no-build"]).expect("parses"), Vec::<String>::new());
        let all = targets_of(&["--all-targets", "--target", "x86_64-apple-darwin"]).expect("parses");
        assert_eq!(all.len(), 5, "{all:?}");
        assert!(targets_of(&["--target", "sparc-sun-solaris"]).is_err());
    }

    #[test]
    fn archives_hold_binaries_license_and_readme_at_the_top() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("kubectl-x");
        let license = dir.path().join("LICENSE");
        std::fs::write(&bin, "binary").expect("write");
        std::fs::write(&license, "license").expect("write");
        let tgz = dir.path().join("a.tar.gz");
        write_archive(&tgz, &PLATFORMS[1], std::slice::from_ref(&bin), std::slice::from_ref(&license)).expect("tar");
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(std::fs::File::open(&tgz).expect("open")));
        let got: Vec<(String, u32)> = ar
            .entries()
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                (e.path().expect("path").display().to_string(), e.header().mode().expect("mode"))
            })
            .collect();
        assert_eq!(got, [("LICENSE".to_string(), 0o644), ("kubectl-x".to_string(), 0o755)]);
        // The same inputs give the same bytes.
        let again = dir.path().join("b.tar.gz");
        write_archive(&again, &PLATFORMS[1], std::slice::from_ref(&bin), std::slice::from_ref(&license)).expect("tar");
        assert_eq!(std::fs::read(&tgz).expect("read"), std::fs::read(&again).expect("read"));

        let zip_path = dir.path().join("a.zip");
        write_archive(&zip_path, &PLATFORMS[6], &[bin], &[license]).expect("zip");
        let mut z = zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("open")).expect("zip");
        let names: Vec<String> =
            (0..z.len()).map(|i| z.by_index(i).expect("entry").name().expect("utf-8 name").to_string()).collect();
        assert_eq!(names, ["LICENSE", "kubectl-x"]);
    }

    #[test]
    fn sha256_is_lower_case_hex() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn command_names_are_what_kubectl_and_krew_use() {
        assert_eq!(command_name("kubectl-trace_svc"), "trace-svc");
        assert_eq!(command_name("kubectl-cols"), "cols");
    }
}
