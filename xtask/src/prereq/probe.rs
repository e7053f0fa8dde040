//! What this machine has, looked at once before a command starts. The checks that start a
//! program run side by side, so that the whole probe stays well under a second even where
//! Python starts slowly.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::{Task, ZIG_VERSION, ZIGBUILD_VERSION, zig_home, zigbuild_home};
use crate::platform;

/// Whether we may run `apt-get install`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    Root,
    /// `sudo -n` works (password-less sudo).
    Sudo,
    None,
}

/// The facts [`super::needs`] decides on.
#[derive(Debug, Clone)]
pub struct Machine {
    /// This machine's Rust target.
    pub host: Option<String>,
    /// A Go toolchain recent enough, or what is wrong with it.
    pub go: Result<(), String>,
    /// `hostname -I` works (or `KUBECTL_KIT_ADVERTISE_ADDRESS` makes it unnecessary).
    pub hostname: bool,
    pub python_crypt: bool,
    pub pip: bool,
    /// The programs (names on `PATH`, or absolute paths) found among those the task uses.
    pub programs: Vec<String>,
    /// The Rust targets installed for the toolchain that runs us.
    pub targets: Vec<String>,
    /// The directory of cargo-zigbuild [`ZIGBUILD_VERSION`], if there is one.
    pub zigbuild: Option<PathBuf>,
    /// The directory of zig [`ZIG_VERSION`], if there is one.
    pub zig: Option<PathBuf>,
    pub privilege: Privilege,
    pub rustup: bool,
}

impl Machine {
    pub fn has(&self, program: &str) -> bool {
        self.programs.iter().any(|p| p == program)
    }

    /// Looks at what `task` may need.
    pub fn probe(task: Task<'_>) -> Machine {
        let release = !task.release().is_empty();
        let mut programs = vec!["git", "dot", "skopeo", "/usr/bin/time"];
        programs
            .extend(platform::release().flat_map(|p| p.runners).flat_map(|r| [Some(r.program), r.also_at]).flatten());
        std::thread::scope(|s| {
            let go = s.spawn(|| {
                if task.cluster() { crate::gobuild::go().map(|_| ()).map_err(|e| format!("{e:#}")) } else { Ok(()) }
            });
            let hostname = s.spawn(|| {
                !task.cluster()
                    || std::env::var_os("KUBECTL_KIT_ADVERTISE_ADDRESS").is_some()
                    || runs("hostname", &["-I"])
            });
            let python = s.spawn(|| task.cluster_tests() && runs("python3", &["-c", "import crypt"]));
            let pip = s.spawn(|| release && runs("python3", &["-m", "pip", "--version"]));
            let targets = s.spawn(|| if release { installed_targets() } else { vec![] });
            let zigbuild = s.spawn(|| if release { zigbuild() } else { None });
            let privilege = s.spawn(privilege);
            Machine {
                host: platform::host().ok(),
                go: go.join().unwrap_or_else(|_| Err("could not check the Go toolchain".into())),
                hostname: hostname.join().unwrap_or(false),
                python_crypt: python.join().unwrap_or(false),
                pip: pip.join().unwrap_or(false),
                programs: programs.into_iter().filter(|p| which::which(p).is_ok()).map(str::to_string).collect(),
                targets: targets.join().unwrap_or_default(),
                zigbuild: zigbuild.join().ok().flatten(),
                zig: if release { zig() } else { None },
                privilege: privilege.join().unwrap_or(Privilege::None),
                rustup: which::which("rustup").is_ok(),
            }
        })
    }
}

/// The directory holding the `zig` executable: PyPI's package in the cache, else `zig` on
/// PATH when it is the wanted release.
pub fn zig() -> Option<PathBuf> {
    let packaged = zig_home().join("ziglang");
    if packaged.join("zig").is_file() {
        return Some(packaged);
    }
    on_path_at_version("zig", &["version"], ZIG_VERSION)
}

/// The directory holding `cargo-zigbuild`: the one installed into the cache, else one on PATH
/// when it is the wanted release.
pub fn zigbuild() -> Option<PathBuf> {
    let cached = zigbuild_home().join("bin");
    if cached.join("cargo-zigbuild").is_file() {
        return Some(cached);
    }
    on_path_at_version("cargo-zigbuild", &["--version"], &format!("cargo-zigbuild {ZIGBUILD_VERSION}"))
}

/// The directory of `program` on PATH when `program args` prints exactly `want`.
fn on_path_at_version(program: &str, args: &[&str], want: &str) -> Option<PathBuf> {
    let found = which::which(program).ok()?;
    let out = Command::new(&found).args(args).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    (String::from_utf8_lossy(&out.stdout).trim() == want).then(|| found.parent().map(PathBuf::from))?
}

/// The targets installed for the toolchain that runs us (rustup's proxies pass it on to
/// `rustc` through `RUSTUP_TOOLCHAIN`).
fn installed_targets() -> Vec<String> {
    let Ok(out) = Command::new("rustc").args(["--print", "sysroot"]).output() else {
        return vec![];
    };
    let lib = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("lib").join("rustlib");
    std::fs::read_dir(lib)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().join("lib").is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Root, else password-less sudo, else neither.
fn privilege() -> Privilege {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    // `Uid:	real	effective	saved	fs`: the effective one decides.
    let euid = status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|l| l.split_whitespace().nth(1));
    if euid == Some("0") {
        Privilege::Root
    } else if runs("sudo", &["-n", "true"]) {
        Privilege::Sudo
    } else {
        Privilege::None
    }
}

/// True when `program args` runs and succeeds (quietly).
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
