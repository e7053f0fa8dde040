//! The platforms the release is built for, written once: the Rust target, the krew platform it
//! serves, its archive and executable names, what linking it needs and what runs it on this
//! Linux machine. `dist`, `prereq`, the usage text and the tests read [`PLATFORMS`].

use std::process::Command;

use anyhow::{Context, Result};

use crate::util;

/// The archive krew downloads for a platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archive {
    TarGz,
    Zip,
}

/// What linking a target needs beyond zig (every target but this machine's own is linked by
/// zig through cargo-zigbuild; zig carries each target's C libraries, headers and linker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// zig alone.
    Zig,
    /// zig and stubs of the macOS frameworks some crates name (`dist::build`'s
    /// `framework_stubs`), which `-dead_strip_dylibs` then leaves out of the binary.
    ZigMacFrameworks,
}

/// A program that runs a platform's binaries on this Linux machine, for the platform tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Runner {
    pub program: &'static str,
    /// Where Debian also puts it, off `PATH`.
    pub also_at: Option<&'static str>,
    /// The Debian package that installs it.
    pub package: &'static str,
    pub why: &'static str,
}

/// A Rust target a release can be built for, and the krew platform it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    pub target: &'static str,
    /// krew's `os` and `arch` selector labels.
    pub os: &'static str,
    pub arch: &'static str,
    pub archive: Archive,
    /// Appended to a binary's name: `.exe` on Windows.
    pub exe_suffix: &'static str,
    /// Built by a release (`dist --all-targets`, `cargo xtask test`): one target per os/arch,
    /// all buildable on a Linux machine.
    pub release: bool,
    pub link: Link,
    /// `RUSTFLAGS` of its zig-linked build.
    pub rustflags: &'static str,
    /// What the platform tests run its binaries with (none: this machine runs them, or the
    /// tests only read them).
    pub runners: &'static [Runner],
}

const QEMU: Runner = Runner {
    program: "qemu-aarch64-static",
    also_at: None,
    package: "qemu-user-static",
    why: "the linux/arm64 release is run under it",
};
const WINE: &[Runner] = &[
    Runner { program: "wine", also_at: None, package: "wine", why: "the windows/amd64 release is run under it" },
    Runner {
        program: "wine64",
        also_at: Some("/usr/lib/wine/wine64"),
        package: "wine64",
        why: "wine's loader of 64-bit Windows programs",
    },
];
// Windows code compresses worse than the others': optimised for speed, the suite's five zips
// came to 24.7 MB against at most 17.2 MB for every other platform. Optimised for size in one
// codegen unit they are 19.4 MB, under the 20 MB goal; the plugins wait on the network, not the
// CPU, and the other platforms keep the release profile.
const WINDOWS_FLAGS: &str = "-C opt-level=z -C codegen-units=1";

const fn unix(target: &'static str, os: &'static str, arch: &'static str, release: bool) -> Platform {
    Platform {
        target,
        os,
        arch,
        archive: Archive::TarGz,
        exe_suffix: "",
        release,
        link: Link::Zig,
        rustflags: "",
        runners: &[],
    }
}

/// Every target the manifests know, preferred first for each os/arch: a static musl build
/// runs on every Linux, a glibc one only where glibc is at least as new as the build machine's.
pub const PLATFORMS: &[Platform] = &[
    unix("x86_64-unknown-linux-musl", "linux", "amd64", true),
    unix("x86_64-unknown-linux-gnu", "linux", "amd64", false),
    Platform { runners: std::slice::from_ref(&QEMU), ..unix("aarch64-unknown-linux-musl", "linux", "arm64", true) },
    unix("aarch64-unknown-linux-gnu", "linux", "arm64", false),
    Platform { link: Link::ZigMacFrameworks, ..unix("x86_64-apple-darwin", "darwin", "amd64", true) },
    Platform { link: Link::ZigMacFrameworks, ..unix("aarch64-apple-darwin", "darwin", "arm64", true) },
    Platform {
        archive: Archive::Zip,
        exe_suffix: ".exe",
        rustflags: WINDOWS_FLAGS,
        ..unix("x86_64-pc-windows-msvc", "windows", "amd64", false)
    },
    Platform {
        archive: Archive::Zip,
        exe_suffix: ".exe",
        rustflags: WINDOWS_FLAGS,
        runners: WINE,
        ..unix("x86_64-pc-windows-gnu", "windows", "amd64", true)
    },
];

impl Platform {
    /// The platform of a Rust target.
    pub fn of(target: &str) -> Option<&'static Platform> {
        PLATFORMS.iter().find(|p| p.target == target)
    }

    /// `kubectl-trace_svc.exe` for `kubectl-trace_svc` on Windows.
    pub fn exe(&self, binary: &str) -> String {
        format!("{binary}{}", self.exe_suffix)
    }

    /// `kubectl-trace-svc-v0.1.0-x86_64-unknown-linux-musl.tar.gz`: the archive of one plugin.
    pub fn archive(&self, plugin: &str, version: &str) -> String {
        let ext = match self.archive {
            Archive::TarGz => "tar.gz",
            Archive::Zip => "zip",
        };
        format!("kubectl-{plugin}-v{version}-{}.{ext}", self.target)
    }

    /// `linux/amd64`.
    pub fn os_arch(&self) -> String {
        format!("{}/{}", self.os, self.arch)
    }

    /// True when this machine links the target itself (its own glibc target); every other
    /// target is linked by zig.
    pub fn native(&self) -> bool {
        host().is_ok_and(|h| h == self.target)
    }
}

/// What a release builds: the targets marked `release`.
pub fn release() -> impl Iterator<Item = &'static Platform> {
    PLATFORMS.iter().filter(|p| p.release)
}

/// The release's os/arch pairs in words, `linux/amd64, linux/arm64, … and windows/amd64`.
pub fn release_words() -> String {
    let pairs: Vec<String> = release().map(Platform::os_arch).collect();
    match pairs.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => pairs.join(""),
    }
}

/// This machine's target, from `rustc -vV` (asked once).
pub fn host() -> Result<String> {
    static HOST: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        let out = util::run(Command::new("rustc").arg("-vV")).ok()?;
        String::from_utf8_lossy(&out.stdout).lines().find_map(|l| l.strip_prefix("host: ").map(str::to_string))
    })
    .clone()
    .context("rustc -vV did not name the host target")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_release_covers_the_five_krew_platforms_once() {
        let mut pairs: Vec<String> = release().map(Platform::os_arch).collect();
        pairs.sort();
        assert_eq!(pairs, ["darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64"]);
        assert_eq!(release_words(), "linux/amd64, linux/arm64, darwin/amd64, darwin/arm64 and windows/amd64");
    }

    #[test]
    fn names_follow_the_archive_kind() {
        let windows = Platform::of("x86_64-pc-windows-gnu").expect("known");
        assert_eq!(windows.exe("kubectl-cols"), "kubectl-cols.exe");
        assert_eq!(windows.archive("cols", "1.2.3"), "kubectl-cols-v1.2.3-x86_64-pc-windows-gnu.zip");
        let linux = Platform::of("aarch64-unknown-linux-musl").expect("known");
        assert_eq!(linux.exe("kubectl-cols"), "kubectl-cols");
        assert_eq!(linux.archive("cols", "1.2.3"), "kubectl-cols-v1.2.3-aarch64-unknown-linux-musl.tar.gz");
        assert!(Platform::of("sparc-sun-solaris").is_none());
    }
}
