//! The release archives of the other platforms, exercised as far as this Linux machine allows:
//! the linux/arm64 binaries run under qemu-aarch64-static against the cluster, the
//! windows/amd64 binaries under wine (offline and against the cluster through a kubeconfig),
//! and the macOS binaries are read as Mach-O files (CPU, kind, and the libraries they load).
//! Each binary is taken out of the archive its krew manifest names, as krew would install it,
//! and compared with this machine's build where both can run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use kubectl_kit_tests::krew::Release;
use kubectl_kit_tests::{Cluster, images, registry, require_cluster, require_release, scrubbed, stderr, stdout};

/// The binary of `plugin` for `os/arch`, unpacked from the archive its manifest names into
/// `dir`.
fn unpack(release: &Release, plugin: &str, os: &str, arch: &str, dir: &Path) -> PathBuf {
    let Some((archive, _)) = release.platform_archive(plugin, os, arch) else {
        panic!("{plugin}.yaml has no {os}/{arch} platform (cargo xtask dist --all-targets builds it)");
    };
    let bin = format!("kubectl-{}{}", plugin.replace('-', "_"), if os == "windows" { ".exe" } else { "" });
    let dest = dir.join(os).join(arch);
    std::fs::create_dir_all(&dest).expect("mkdir");
    let file = std::fs::File::open(&archive).expect("archive");
    if archive.extension().is_some_and(|e| e == "zip") {
        zip::ZipArchive::new(file).expect("a zip").extract(&dest).expect("unzip");
    } else {
        tar::Archive::new(flate2::read::GzDecoder::new(file)).unpack(&dest).expect("untar");
    }
    let path = dest.join(&bin);
    assert!(path.is_file(), "{} holds no {bin}", archive.display());
    assert!(dest.join("LICENSE").is_file(), "{} holds no LICENSE", archive.display());
    path
}

/// Runs a command to the end with a deadline (an emulated binary that hangs fails the test
/// rather than the whole run).
fn run(cmd: &mut Command) -> Output {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("runs");
    let out = child.stdout.take().expect("stdout");
    let err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || std::io::read_to_string(out).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(err).unwrap_or_default());
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} did not finish within 180 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out.join().expect("stdout").into_bytes(),
        stderr: err.join().expect("stderr").into_bytes(),
    }
}

/// `out`'s stdout, after asserting it succeeded.
fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed ({}): {}{}", out.status, stdout(out), stderr(out));
    stdout(out)
}

/// A namespace with the numbers-api app, its pods Ready and ready endpoints of its Service.
fn numbers_api(c: &Cluster, prefix: &str) -> kubectl_kit_tests::Namespace {
    let ns = c.namespace(prefix);
    c.apply_fixture(&ns.name, "numbers-api");
    c.wait_replicas(&ns.name, "deployment/numbers-api", 2);
    c.wait_endpoints(&ns.name, "numbers-api", kubectl_kit_tests::Counts::listing(2, 2));
    ns
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn linux_arm64_binaries_run_under_qemu_against_the_cluster() {
    let c = require_cluster!("linux/arm64 under qemu");
    let release = require_release!("linux/arm64 under qemu");
    let dir = tempfile::tempdir().expect("tempdir");
    let ns = numbers_api(&c, "arm64");
    let cache = dir.path().join("cache");
    // The arm64 binary and this machine's, with the same cluster, namespace and cache layout.
    let both = |plugin: &str, args: &[&str]| -> (Output, Output) {
        let bin = unpack(&release, plugin, "linux", "arm64", dir.path());
        let arm = run(c.command("qemu-aarch64-static", &cache).arg(&bin).args(args));
        let mut native = c.plugin(&plugin.replace('-', "_"), &cache);
        native.args(args);
        (arm, run(&mut native))
    };
    let n = ns.name.as_str();

    // The files really are for the other CPU: 64-bit ELF, machine EM_AARCH64 (183).
    let elf = std::fs::read(unpack(&release, "cols", "linux", "arm64", dir.path())).expect("read");
    assert_eq!((&elf[..4], elf[4], u16::from_le_bytes([elf[18], elf[19]])), (&b"\x7fELF"[..], 2, 183));

    let (arm, native) = both("cols", &["pods", "-n", n]);
    let text = ok(&arm, "arm64 cols pods");
    assert_eq!(text.lines().count(), 3, "a header and two pods:\n{text}");
    assert!(text.lines().skip(1).all(|l| l.starts_with("numbers-api-")), "{text}");
    ok(&native, "native cols pods");
    let (arm, native) = both("cols", &["pods", "-n", n, "ip"]);
    assert_eq!(ok(&arm, "arm64 cols pods ip"), ok(&native, "native cols pods ip"));

    let (arm, native) = both("trace-svc", &["numbers-api", "-n", n]);
    assert_eq!(arm.status.code(), native.status.code(), "{}", stderr(&arm));
    let text = ok(&arm, "arm64 trace-svc");
    assert!(text.contains("numbers-api"), "{text}");
    assert_eq!(text, stdout(&native), "the same trace as this machine's build");

    let (arm, native) = both("shortname", &["po"]);
    assert_eq!(ok(&arm, "arm64 shortname po"), ok(&native, "native shortname po"));

    // A push into the cluster's registry (found through its KEP-1755 ConfigMap), read back by
    // crane.
    let img = images::image(&dir.path().join("layers"), &[1 << 20, 4096], 0xa64, true, "arm64");
    let layout = dir.path().join("layout");
    images::write_oci_layout(&layout, &img, None);
    let (host, _) = c.registry_hosts();
    let repo = format!("kit/arm64-{}", std::process::id());
    let bin = unpack(&release, "push-image", "linux", "arm64", dir.path());
    let mut push = c.command("qemu-aarch64-static", &cache);
    push.arg(&bin).arg(&layout).arg(format!("{repo}:v1")).args(["--platform", "linux/arm64", "-o", "json"]);
    let report: serde_json::Value =
        serde_json::from_str(&ok(&run(&mut push), "arm64 push-image")).expect("JSON report");
    assert_eq!(report["images"][0]["digest"], img.digest.as_str(), "{report}");
    let manifest = registry::crane(None)
        .args(["manifest", "--insecure", &format!("{host}/{repo}:v1")])
        .output()
        .expect("crane runs");
    assert!(manifest.status.success(), "{}", stderr(&manifest));
    assert_eq!(images::digest(&manifest.stdout), img.digest);
}

/// `cmd` (a [`kubectl_kit_tests::scrubbed`] `wine`: no display) run under wine with a prefix
/// of its own under `target/` (made on first use, kept for later runs), quiet, and without the
/// Mono and Gecko installers it would offer.
fn wine(mut cmd: Command, bin: &Path) -> Command {
    let prefix = kubectl_kit_tests::root().join("target/wine");
    cmd.arg(bin).env("WINEPREFIX", prefix).env("WINEDEBUG", "-all").env("WINEDLLOVERRIDES", "mscoree,mshtml=");
    cmd
}

/// `bcryptprimitives.dll` for wine versions without it (Debian 12's 8.0), built with the zig
/// that links the release (PyPI's ziglang in the cache, else `zig` on PATH) from
/// `tests/fixtures/wine/bcryptprimitives.c` into `dir`.
fn wine_prng(dir: &Path) {
    let cache = std::env::var_os("KUBECTL_KIT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kubectl-kit"));
    let zig = std::fs::read_dir(&cache)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("ziglang/zig"))
        .find(|z| z.is_file())
        .unwrap_or_else(|| PathBuf::from("zig"));
    let source = kubectl_kit_tests::root().join("tests/fixtures/wine/bcryptprimitives.c");
    let out = Command::new(zig)
        .args(["cc", "-target", "x86_64-windows-gnu", "-shared", "-o"])
        .arg(dir.join("bcryptprimitives.dll"))
        .arg(source)
        .arg("-ladvapi32")
        .current_dir(dir)
        .output()
        .expect("zig runs (cargo xtask dist installs it)");
    assert!(out.status.success(), "building bcryptprimitives.dll: {}", stderr(&out));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn windows_binaries_run_under_wine() {
    let c = require_cluster!("windows/amd64 under wine");
    let release = require_release!("windows/amd64 under wine");
    let dir = tempfile::tempdir().expect("tempdir");
    let cols = unpack(&release, "cols", "windows", "amd64", dir.path());
    wine_prng(cols.parent().expect("the binaries' directory"));
    // Every plugin starts and prints its help, named as kubectl runs it.
    for p in &release.plugins {
        let bin = unpack(&release, p, "windows", "amd64", dir.path());
        let help = ok(&run(wine(scrubbed("wine", dir.path()), &bin).arg("--help")), &format!("{p}.exe --help"));
        assert!(help.contains(&format!("Usage: kubectl {p}")), "{p}: {help}");
    }

    // Offline: objects from a file, no cluster and no kubeconfig at all.
    let ns = numbers_api(&c, "windows");
    let file = dir.path().join("pods.json");
    std::fs::write(&file, c.kubectl_ok(&["-n", &ns.name, "get", "pods", "-o", "json"])).expect("write");
    let spec = "custom-columns=NAME:.metadata.name,IP:.status.podIP,NODE:.spec.nodeName";
    let offline = |cmd: &mut Command| {
        cmd.arg("--local")
            .arg("-f")
            .arg(&file)
            .args(["-o", spec])
            .env("KUBECONFIG", dir.path().join("none"))
            .env_remove("HOME");
    };
    let mut win = wine(scrubbed("wine", dir.path()), &cols);
    offline(&mut win);
    let mut native = scrubbed(kubectl_kit_tests::plugin_path("cols"), dir.path());
    offline(&mut native);
    let text = ok(&run(&mut win), "cols.exe -f");
    assert_eq!(text.lines().count(), 3, "{text}");
    assert_eq!(text, ok(&run(&mut native), "cols -f"), "the same table as this machine's build");

    // Against the cluster, through the kubeconfig (TLS to the API server with its CA, a client
    // certificate), same answers as this machine's build.
    let cache = dir.path().join("cache");
    let shortname = unpack(&release, "shortname", "windows", "amd64", dir.path());
    for (bin, plugin, args) in
        [(&shortname, "shortname", vec!["po", "deploy"]), (&cols, "cols", vec!["pods", "-n", &ns.name, "ip"])]
    {
        let mut win = wine(c.command("wine", &cache), bin);
        win.args(&args);
        let mut native = c.plugin(plugin, &cache);
        native.args(&args);
        let text = ok(&run(&mut win), &format!("{plugin}.exe {}", args.join(" ")));
        assert!(!text.is_empty());
        assert_eq!(text, ok(&run(&mut native), plugin), "{plugin} {}", args.join(" "));
    }
    // --kubeconfig as a Windows path (wine's Z: drive is the root of this machine).
    let windows_path = format!("Z:{}", c.kubeconfig.display()).replace('/', "\\");
    let mut win = wine(scrubbed("wine", dir.path()), &shortname);
    let text = ok(&run(win.args(["po", "--kubeconfig", &windows_path])), "shortname.exe --kubeconfig");
    assert!(text.contains("pods"), "{text}");
}

#[test]
#[ignore = "needs the release and krew (cargo xtask test runs it)"]
fn macos_binaries_are_mach_o_for_their_cpu_and_load_only_libsystem() {
    use object::macho::MachHeader64;
    use object::read::macho::MachHeader;
    let release = require_release!("darwin Mach-O");
    let dir = tempfile::tempdir().expect("tempdir");
    for (arch, cpu) in [("amd64", object::macho::CPU_TYPE_X86_64), ("arm64", object::macho::CPU_TYPE_ARM64)] {
        for p in &release.plugins {
            let bin = unpack(&release, p, "darwin", arch, dir.path());
            let data = std::fs::read(&bin).expect("read");
            let header = MachHeader64::<object::Endianness>::parse(&*data, 0)
                .unwrap_or_else(|e| panic!("{}: not a 64-bit Mach-O file: {e}", bin.display()));
            let endian = header.endian().expect("endianness");
            assert_eq!(header.cputype(endian), cpu, "{p} darwin/{arch}: CPU type");
            assert_eq!(header.filetype(endian), object::macho::MH_EXECUTE, "{p} darwin/{arch}: an executable");
            let mut libraries = vec![];
            let mut signature = None;
            let mut commands = header.load_commands(endian, &*data, 0).expect("load commands");
            while let Some(command) = commands.next().expect("a load command") {
                if command.cmd() == object::macho::LC_CODE_SIGNATURE
                    && let object::read::macho::LoadCommandVariant::LinkeditData(linkedit) =
                        command.variant().expect("a linkedit command")
                {
                    signature = Some(linkedit.dataoff.get(endian) as usize);
                }
                if let Some(dylib) = command.dylib().expect("a dylib command")
                    && command.cmd() != object::macho::LC_ID_DYLIB
                {
                    let name = command.string(endian, dylib.dylib.name).expect("dylib name");
                    libraries.push(String::from_utf8_lossy(name).into_owned());
                }
            }
            // libSystem (the C library, in every macOS), and no framework: TLS roots are bundled,
            // so Security.framework is neither needed nor linked.
            assert_eq!(libraries, ["/usr/lib/libSystem.B.dylib"], "{p} darwin/{arch}");
            // Apple silicon runs no unsigned code: the linker's ad-hoc signature must hash every
            // page of the file as it ships (nothing changed it after the link). Intel Macs run
            // unsigned executables, and the linker signs only arm64 ones; a signature that is
            // there must still be right.
            match (signature, arch) {
                (Some(at), _) => {
                    let pages = ad_hoc_signature_pages(&data, at).unwrap_or_else(|e| panic!("{p} darwin/{arch}: {e}"));
                    assert!(pages > 0, "{p} darwin/{arch}");
                }
                (None, "arm64") => panic!("{p} darwin/arm64: no code signature"),
                (None, _) => {}
            }
        }
    }
}

/// Checks the SHA-256 page hashes of the code directory in the signature superblob at `at`
/// against the file's pages; returns how many pages it covers.
fn ad_hoc_signature_pages(data: &[u8], at: usize) -> Result<usize, String> {
    let be = |o: usize| -> Result<u32, String> {
        data.get(o..o + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok_or("truncated".to_string())
    };
    if be(at)? != 0xfade_0cc0 {
        return Err("no embedded-signature superblob".into());
    }
    for i in 0..be(at + 8)? as usize {
        let blob = at + be(at + 12 + 8 * i + 4)? as usize;
        if be(blob)? != 0xfade_0c02 {
            continue;
        }
        // CodeDirectory: hashOffset @16, nCodeSlots @28, codeLimit @32, hashSize @36,
        // hashType @37 (2: SHA-256), pageSize @39 (log2).
        let field = |o: usize| data.get(blob + o).copied().ok_or("truncated".to_string());
        let (hashes, slots, limit) = (be(blob + 16)? as usize, be(blob + 28)? as usize, be(blob + 32)? as usize);
        let (size, kind, page) = (field(36)? as usize, field(37)?, 1usize << field(39)?);
        if kind != 2 || size != 32 || limit != at {
            return Err(format!("code directory hash type {kind}, size {size}, limit {limit} (signature at {at})"));
        }
        for k in 0..slots {
            let page_bytes = &data[k * page..((k + 1) * page).min(limit)];
            let want = data.get(blob + hashes + k * 32..blob + hashes + (k + 1) * 32).ok_or("truncated")?;
            if ring::digest::digest(&ring::digest::SHA256, page_bytes).as_ref() != want {
                return Err(format!("page {k} does not match its signature hash"));
            }
        }
        return Ok(slots);
    }
    Err("no code directory".into())
}
