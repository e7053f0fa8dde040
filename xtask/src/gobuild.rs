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
    Module { dir: "etcd", packages: &["."], binaries: &["etcd"], kube_version: None, stamps: &[] },
    Module {
        dir: "kwok",
        packages: &["sigs.k8s.io/kwok/cmd/kwok"],
        binaries: &["kwok"],
        kube_version: None,
        stamps: &[],
    },
    // krew and the krew-index CI's manifest validator, for the krew tests of the release archives.
    Module {
        dir: "krew",
        packages: &["sigs.k8s.io/krew/cmd/krew", "sigs.k8s.io/krew/cmd/validate-krew-manifest"],
        binaries: &["krew", "validate-krew-manifest"],
        kube_version: None,
        // Without a tag krew calls itself a development build and `kubectl krew version` says
        // "unknown".
        stamps: &["sigs.k8s.io/krew/internal/version.gitTag=v0.5.0"],
    },
    // crane (go-containerregistry), the push-image benchmark's second peer.
    Module {
        dir: "crane",
        packages: &["github.com/google/go-containerregistry/cmd/crane"],
        binaries: &["crane"],
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
        "building {} with Go (first time only; the Kubernetes binaries take about 6 minutes on 2 cores; log: {})",
        m.binaries.join(", "),
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
    let logfile = std::fs::File::create(&log)?;
    let mut cmd = go_command(go, dir);
    cmd.arg("build").arg("-trimpath").arg("-ldflags").arg(&ldflags);
    if m.kube_version.is_some() {
        cmd.arg("-tags").arg("selinux,notest,grpcnotrace");
    }
    if m.packages == ["."] {
        cmd.arg("-o").arg(out.join(m.binaries[0]));
    } else {
        cmd.arg("-o").arg(format!("{}/", out.display()));
    }
    cmd.args(m.packages).stdout(logfile.try_clone()?).stderr(logfile);
    let status = cmd.status().with_context(|| format!("could not run {}", util::describe(&cmd)))?;
    if !status.success() {
        bail!(
            "building {} failed ({status}); see {}\n{}",
            m.binaries.join(", "),
            log.display(),
            util::log_tail(&log, 10)
        );
    }
    util::step(&format!("built {} in {:.0}s", m.binaries.join(", "), started.elapsed().as_secs_f64()));
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
    let go = go()?;
    let dir = paths::go_modules().join("kwok");
    // `go mod download -json` fetches the module if the cache lacks it and says where it is.
    let out = util::run(go_command(&go, &dir).args(["mod", "download", "-json", "sigs.k8s.io/kwok"]))?;
    let info: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("unexpected output from go mod download")?;
    let path = PathBuf::from(info["Dir"].as_str().unwrap_or_default());
    if !path.join("kustomize/stage").is_dir() {
        bail!("kwok's stage configurations are missing from {}", path.display());
    }
    Ok(path)
}
