//! Builds the control plane and tools from the Go wrapper modules in `tests/cluster/go/`, into a
//! cache outside the work tree keyed by the module files and the Go version, so that a fresh
//! checkout (or CI) reuses them. Only the Go module proxy is used.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{paths, util};

/// One wrapper module and the packages it builds.
struct Module {
    dir: &'static str,
    /// What it is and how long its first build takes on 2 cores (measured), for the message
    /// that starts it.
    about: &'static str,
    packages: &'static [&'static str],
    binaries: &'static [&'static str],
    /// Version stamped into the Kubernetes binaries (what `/version` reports).
    kube_version: Option<&'static str>,
    /// Other `-X importpath.name=value` stamps.
    stamps: &'static [&'static str],
}

const MODULES: &[Module] = &[
    Module {
        dir: "kube",
        about: "the Kubernetes control plane and kubectl v1.35.4, about 6 minutes",
        packages: &[
            "k8s.io/kubernetes/cmd/kube-apiserver",
            "k8s.io/kubernetes/cmd/kube-controller-manager",
            "k8s.io/kubernetes/cmd/kube-scheduler",
            "k8s.io/kubernetes/cmd/kubectl",
        ],
        binaries: &["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"],
        kube_version: Some("1.35.4"),
        stamps: &[],
    },
    Module {
        dir: "etcd",
        about: "etcd 3.6, about 30 seconds",
        packages: &["."],
        binaries: &["etcd"],
        kube_version: None,
        stamps: &[],
    },
    Module {
        dir: "kwok",
        about: "kwok v0.8, about a minute",
        packages: &["sigs.k8s.io/kwok/cmd/kwok"],
        binaries: &["kwok"],
        kube_version: None,
        stamps: &[],
    },
    // krew and the krew-index CI's manifest validator, for the krew tests of the release archives.
    Module {
        dir: "krew",
        about: "krew v0.5.0 and validate-krew-manifest, about 15 seconds",
        packages: &["sigs.k8s.io/krew/cmd/krew", "sigs.k8s.io/krew/cmd/validate-krew-manifest"],
        binaries: &["krew", "validate-krew-manifest"],
        kube_version: None,
        // Without a tag krew calls itself a development build and `kubectl krew version` says
        // "unknown".
        stamps: &["sigs.k8s.io/krew/internal/version.gitTag=v0.5.0"],
    },
    // crane (go-containerregistry): the independent registry client of the push-image tests and
    // the push-image benchmark's second peer.
    Module {
        dir: "crane",
        about: "crane (go-containerregistry), about 20 seconds",
        packages: &["github.com/google/go-containerregistry/cmd/crane"],
        binaries: &["crane"],
        kube_version: None,
        stamps: &[],
    },
    // The CNCF distribution registry of the cluster and the push-image tests.
    Module {
        dir: "registry",
        about: "the CNCF distribution registry v3, about a minute",
        packages: &["."],
        binaries: &["registry"],
        kube_version: None,
        stamps: &[],
    },
];

/// The Go toolchain, or a clear error.
pub fn go() -> Result<PathBuf> {
    let go = which::which("go").context(
        "the Go toolchain was not found on PATH: install Go 1.26 or newer (https://go.dev/doc/install) and retry",
    )?;
    let out = util::run(Command::new(&go).arg("env").arg("GOVERSION"))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let minor: u32 = version
        .strip_prefix("go1.")
        .and_then(|v| v.split(['.', '-', ' ']).next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if minor < 26 {
        bail!("Go {version} is too old: kwok v0.8 needs Go 1.26 or newer");
    }
    Ok(go)
}

fn go_command(go: &Path, dir: &Path) -> Command {
    let mut c = Command::new(go);
    c.current_dir(dir)
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "0")
        .env("GOFLAGS", "-mod=readonly -buildvcs=false");
    c
}

/// Makes sure every binary exists in `target/cluster/bin`, building what the cache lacks.
pub fn ensure_binaries() -> Result<()> {
    let go = go()?;
    let go_version = String::from_utf8_lossy(&util::run(Command::new(&go).arg("version"))?.stdout).to_string();
    std::fs::create_dir_all(paths::bin())?;
    std::fs::create_dir_all(paths::logs())?;
    for m in MODULES {
        let dir = paths::go_modules().join(m.dir);
        let mut h = DefaultHasher::new();
        go_version.hash(&mut h);
        for f in ["go.mod", "go.sum", "main.go"] {
            std::fs::read(dir.join(f)).unwrap_or_default().hash(&mut h);
        }
        m.packages.hash(&mut h);
        // Only when there are any, so that the keys of the modules without stamps stay what
        // they were (and their cached builds stay valid).
        if !m.stamps.is_empty() {
            m.stamps.hash(&mut h);
        }
        let out = paths::cache().join("go-bin").join(format!("{}-{:016x}", m.dir, h.finish()));
        let stamp = out.join(".complete");
        if !stamp.exists() {
            build(&go, m, &dir, &out)?;
            std::fs::write(&stamp, "")?;
        }
        for b in m.binaries {
            install(&out.join(b), &paths::bin().join(b))?;
        }
    }
    Ok(())
}

fn build(go: &Path, m: &Module, dir: &Path, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out)?;
    let log = paths::logs().join(format!("go-build-{}.log", m.dir));
    util::step(&format!(
        "building {} with Go, first time only: {} on 2 cores (log: {})",
        m.binaries.join(", "),
        m.about,
        log.display()
    ));
    let started = Instant::now();
    let mut ldflags = String::from("-s -w");
    if let Some(v) = m.kube_version {
        let minor = v.split('.').nth(1).unwrap_or("0");
        for p in ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"] {
            ldflags.push_str(&format!(
                " -X {p}.gitVersion=v{v} -X {p}.gitMajor=1 -X {p}.gitMinor={minor} -X {p}.gitTreeState=clean"
            ));
        }
    }
    for stamp in m.stamps {
        ldflags.push_str(&format!(" -X {stamp}"));
    }
    let tags: &[&str] = if m.kube_version.is_some() { &["-tags", "selinux,notest,grpcnotrace"] } else { &[] };
    let mut progress = util::Progress::new(&format!("go build {}", m.dir));
    progress.update("starting");
    // The packages the build may compile, for the count: listed beside the build (listing the
    // Kubernetes tree takes a while); a failure leaves the count out.
    let list = {
        let mut cmd = go_command(go, dir);
        cmd.args(["list", "-deps"]).args(tags).args(m.packages);
        std::thread::spawn(move || util::run(&mut cmd).ok().map(|o| String::from_utf8_lossy(&o.stdout).lines().count()))
    };
    let mut total = None;
    let mut logfile = std::fs::File::create(&log)?;
    let mut cmd = go_command(go, dir);
    // -v: the name of each package as it is compiled, on stderr, which is what is counted.
    cmd.arg("build").arg("-v").arg("-trimpath").arg("-ldflags").arg(&ldflags).args(tags);
    if m.packages == ["."] {
        cmd.arg("-o").arg(out.join(m.binaries[0]));
    } else {
        cmd.arg("-o").arg(format!("{}/", out.display()));
    }
    cmd.args(m.packages).stdout(logfile.try_clone()?).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().with_context(|| format!("could not run {}", util::describe(&cmd)))?;
    let lines = kubectl_kit_tests::lines(child.stderr.take().context("go build's stderr")?);
    let mut compiled = 0usize;
    let mut list = Some(list);
    let status = loop {
        if list.as_ref().is_some_and(|l| l.is_finished()) {
            total = list.take().and_then(|l| l.join().ok().flatten());
        }
        let finished = child.try_wait()?;
        while let Ok(line) = lines.try_recv() {
            use std::io::Write;
            writeln!(logfile, "{line}")?;
            // Package paths have no spaces; compiler messages do.
            if !line.contains(' ') && !line.starts_with('#') {
                compiled += 1;
                let count = match total {
                    Some(t) => format!("{compiled}/{t} packages"),
                    None => format!("{compiled} packages"),
                };
                progress.update(&format!("{count}, {line}"));
            }
        }
        if let Some(status) = finished {
            // What the reader thread still holds.
            for line in lines.iter() {
                use std::io::Write;
                writeln!(logfile, "{line}")?;
            }
            break status;
        }
        progress.tick();
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    progress.finish();
    if !status.success() {
        bail!(
            "building {} failed ({status}); see {}\n{}",
            m.binaries.join(", "),
            log.display(),
            util::log_tail(&log, 10)
        );
    }
    util::step(&format!(
        "built {} in {:.0}s ({compiled} packages compiled)",
        m.binaries.join(", "),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Hard-links (or copies) a cached binary into place unless it is already there.
fn install(from: &Path, to: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    if let (Ok(a), Ok(b)) = (std::fs::metadata(from), std::fs::metadata(to))
        && (a.ino() == b.ino() || (a.len() == b.len() && a.mtime() <= b.mtime()))
    {
        return Ok(());
    }
    let _ = std::fs::remove_file(to);
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).with_context(|| format!("could not copy {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

/// The directory of kwok's module in the module cache, where its stage configurations live.
pub fn kwok_module_dir() -> Result<PathBuf> {
    module_dir("kwok", "sigs.k8s.io/kwok", "kustomize/stage")
}

/// The directory of the Gateway API's module (the version `tests/cluster/go/gateway-api`
/// requires), where its standard-channel CRDs live.
pub fn gateway_api_crds() -> Result<PathBuf> {
    Ok(module_dir("gateway-api", "sigs.k8s.io/gateway-api", "config/crd/standard")?.join("config/crd/standard"))
}

/// The module cache's directory of `module` at the version the wrapper module `wrapper`
/// requires, checked to hold `inside`.
fn module_dir(wrapper: &str, module: &str, inside: &str) -> Result<PathBuf> {
    let go = go()?;
    let dir = paths::go_modules().join(wrapper);
    // `go mod download -json` fetches the module if the cache lacks it and says where it is.
    let out = util::run(go_command(&go, &dir).args(["mod", "download", "-json", module]))?;
    let info: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("unexpected output from go mod download")?;
    let path = PathBuf::from(info["Dir"].as_str().unwrap_or_default());
    if !path.join(inside).is_dir() {
        bail!("{inside} is missing from {} ({module})", path.display());
    }
    Ok(path)
}
