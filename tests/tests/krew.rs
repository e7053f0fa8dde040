//! The release through real krew (v0.5.0, built from the Go module): manifests that krew-index's
//! validator accepts, install and uninstall from the release archive, discovery by kubectl,
//! shell completion through `kubectl __complete`, a tampered archive refused, and the local
//! index that `cargo xtask dist` lays out.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use kubectl_kit_tests::krew::KrewHome;
use kubectl_kit_tests::{require_cluster, require_release, stderr, stdout};

#[test]
#[ignore = "needs the release and krew (cargo xtask test runs it)"]
fn every_manifest_passes_validate_krew_manifest() {
    let release = require_release!("validate");
    // One manifest per plugin: plugins/<name> is the crate of `kubectl <name>`.
    let mut plugins: Vec<String> = std::fs::read_dir(kubectl_kit_tests::root().join("plugins"))
        .expect("plugins/")
        .filter_map(|e| e.ok()?.file_name().to_str().map(str::to_string))
        .collect();
    plugins.sort();
    assert_eq!(release.plugins, plugins, "krew/ must hold one template per plugin");
    let sums = std::fs::read_to_string(release.dist.join("SHA256SUMS")).expect("SHA256SUMS");
    for p in &release.plugins {
        let out = std::process::Command::new(&release.validate)
            .arg("-manifest")
            .arg(release.manifest(p))
            .arg("-skip-install")
            .output()
            .expect("validate-krew-manifest runs");
        assert!(out.status.success(), "{p}: {}", stderr(&out));
        assert!(stderr(&out).contains("structural validation OK"), "{p}: {}", stderr(&out));
        // Every platform: its own archive of this plugin, whose sha256 SHA256SUMS records, and
        // the binary krew links under kubectl's name (`.exe` on Windows, krew#131).
        let m: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(release.manifest(p)).expect("manifest")).expect("YAML");
        let mut found = vec![];
        for platform in m["spec"]["platforms"].as_sequence().expect("platforms") {
            let labels = &platform["selector"]["matchLabels"];
            let (os, arch) = (labels["os"].as_str().expect("os"), labels["arch"].as_str().expect("arch"));
            let (archive, sha) = release.platform_archive(p, os, arch).expect("the platform's archive");
            let name = archive.file_name().and_then(|n| n.to_str()).expect("name");
            assert!(name.starts_with(&format!("kubectl-{p}-v")), "{p}: {name} is not the plugin's own archive");
            assert!(sums.lines().any(|l| l == format!("{sha}  {name}")), "{p}: {sha} {name} not in\n{sums}");
            let exe = if os == "windows" { ".exe" } else { "" };
            assert_eq!(platform["bin"], format!("kubectl-{}{exe}", p.replace('-', "_")), "{p} {os}/{arch}");
            found.push(format!("{os}/{arch}"));
        }
        found.sort();
        // `cargo xtask test` builds the release for every platform.
        assert_eq!(found, ["darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64"], "{p}");
    }

    // The whole of krew-index's check: krew installs every platform of every manifest
    // (KREW_OS/KREW_ARCH), downloading the archive from its URI (served from target/dist
    // here, until the release is published), and finds the license beside the binary.
    let home = KrewHome::new(&release, None);
    let tools = home.dir.path().join("validate-tools");
    std::fs::create_dir_all(&tools).expect("mkdir");
    let kubectl = kubectl_kit_tests::root().join("target/cluster/bin/kubectl");
    std::os::unix::fs::symlink(&kubectl, tools.join("kubectl")).expect("link kubectl");
    std::os::unix::fs::symlink(&release.krew, tools.join("kubectl-krew")).expect("link krew");
    let server = serve(&release.dist);
    let served = home.dir.path().join("served");
    std::fs::create_dir_all(&served).expect("mkdir");
    for p in &release.plugins {
        let manifest = served.join(format!("{p}.yaml"));
        std::fs::write(&manifest, served_manifest(&release, p, &server)).expect("write");
        let out = std::process::Command::new(&release.validate)
            .arg("-manifest")
            .arg(&manifest)
            .env("PATH", &tools)
            .output()
            .expect("validate-krew-manifest runs");
        let count = platform_count(&manifest);
        assert!(out.status.success(), "{p}: {}", stderr(&out));
        assert!(stderr(&out).contains(&format!("all {count} spec.platforms installed fine")), "{p}: {}", stderr(&out));
    }
}

/// How many platforms a manifest lists.
fn platform_count(manifest: &Path) -> usize {
    let m: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(manifest).expect("manifest")).expect("YAML");
    m["spec"]["platforms"].as_sequence().map_or(0, Vec::len)
}

/// A plugin's manifest with each archive's URI pointed at `server`, which serves target/dist.
fn served_manifest(release: &kubectl_kit_tests::krew::Release, plugin: &str, server: &str) -> String {
    let text = std::fs::read_to_string(release.manifest(plugin)).expect("manifest");
    text.lines()
        .map(|l| match l.strip_prefix("    uri: ") {
            Some(uri) => format!("    uri: {server}/{}\n", uri.rsplit('/').next().unwrap_or_default()),
            None => format!("{l}\n"),
        })
        .collect()
}

#[test]
#[ignore = "needs the release and krew (cargo xtask test runs it)"]
fn krew_installs_each_plugin_kubectl_runs_it_and_uninstall_removes_it() {
    let release = require_release!("install");
    let home = KrewHome::new(&release, None);
    // krew's other commands want an index (users have the default one); ours will do.
    home.add_index(&release, "kit");
    for p in &release.plugins {
        let bin = format!("kubectl-{}", p.replace('-', "_"));
        home.install(&release, p);
        // Through kubectl's own plugin discovery, by both spellings kubectl accepts.
        let help = home.kubectl_ok(&[p, "--help"]);
        assert!(help.contains(&format!("Usage: kubectl {p}")), "{p}: {help}");
        home.kubectl_ok(&[&p.replace('-', "_"), "--version"]);
        let list = home.kubectl_ok(&["plugin", "list", "--name-only"]);
        assert!(list.lines().any(|l| l == bin), "{bin} not in\n{list}");
        let installed = home.root.join("store").join(p).join(format!("v{}", env!("CARGO_PKG_VERSION")));
        assert!(installed.join(&bin).is_file(), "{}", installed.display());
        assert!(installed.join("LICENSE").is_file(), "krew-index requires the license beside the binary");
        let listed = home.kubectl_ok(&["krew", "list"]);
        // krew files a --manifest install under the pseudo-index "detached".
        assert!(listed.lines().any(|l| l == format!("detached/{p}")), "{p} not in\n{listed}");

        home.kubectl_ok(&["krew", "uninstall", p]);
        assert!(!home.root.join("receipts").join(format!("{p}.yaml")).exists());
        let gone = home.kubectl(&[p, "--help"]);
        assert!(!gone.status.success(), "{p} still runs after uninstall");
        assert!(!installed.exists(), "{} left behind", installed.display());
        assert!(!home.root.join("bin").join(&bin).exists());
    }
}

#[test]
#[ignore = "needs the release and krew (cargo xtask test runs it)"]
fn a_tampered_archive_is_refused() {
    let release = require_release!("tampered");
    let home = KrewHome::new(&release, None);
    let (archive, _) = release.archive("cols");
    let mut bytes = std::fs::read(&archive).expect("archive");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    let tampered = home.dir.path().join(archive.file_name().expect("name"));
    std::fs::write(&tampered, &bytes).expect("write");
    let out = home.kubectl(&[
        "krew",
        "install",
        &format!("--manifest={}", release.manifest("cols").display()),
        &format!("--archive={}", tampered.display()),
    ]);
    assert!(!out.status.success(), "krew installed a tampered archive");
    assert!(stderr(&out).contains("checksum does not match"), "{}", stderr(&out));
    assert!(!home.root.join("store").join("cols").exists());
    assert!(!home.kubectl(&["cols", "--help"]).status.success());
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn kubectl_completes_plugin_arguments_from_the_cluster() {
    let c = require_cluster!("krew completion");
    let release = require_release!("completion");
    let home = KrewHome::new(&release, Some(&c));
    let ns = c.namespace("krew-complete");
    c.apply_fixture(&ns.name, "numbers-api");
    for p in &release.plugins {
        home.install(&release, p);
        // What the krew caveats tell users to run, through kubectl.
        let said = home.kubectl_ok(&[p, "completion", "install"]);
        let completer = home.root.join("bin").join(format!("kubectl_complete-{}", p.replace('-', "_")));
        assert!(said.starts_with(&completer.display().to_string()), "{said}");
        // The link points at krew's link, which krew moves on upgrade, not into the store.
        let target = std::fs::read_link(&completer).expect("a link");
        assert_eq!(target, home.root.join("bin").join(format!("kubectl-{}", p.replace('-', "_"))));
    }
    let complete = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["__complete"];
        all.extend_from_slice(args);
        let out = home.kubectl(&all);
        assert!(out.status.success(), "kubectl {}: {}", all.join(" "), stderr(&out));
        stdout(&out).lines().map(|l| l.split('\t').next().unwrap_or_default().to_string()).collect()
    };

    // trace-svc: the Services of the namespace.
    let got = complete(&["trace-svc", ""]);
    assert!(got.contains(&"kubernetes".to_string()), "{got:?}");
    assert_eq!(got.last().map(String::as_str), Some(":4"), "{got:?}");
    let got = complete(&["trace-svc", "-n", &ns.name, ""]);
    assert_eq!(got, ["numbers-api", ":4"]);
    let got = complete(&["trace-svc", "-n", &ns.name, "numbers-api", "--port", ""]);
    assert!(got.contains(&"80".to_string()), "{got:?}");
    let got = complete(&["trace-svc", "--req"]);
    assert_eq!(got, ["--request-timeout", ":4"]);

    // cols: resource words from live discovery (the cluster's CRD too), then presets and names.
    let got = complete(&["cols", "wi"]);
    assert_eq!(got, ["widgets", ":4"]);
    kubectl_kit_tests::converge(
        "numbers-api's two pods completed",
        kubectl_kit_tests::WAIT,
        || complete(&["cols", "-n", &ns.name, "po", "numbers-api"]),
        |got| got.len() == 3,
    );
    let got = complete(&["cols", "-n", &ns.name, "po", ""]);
    for want in ["ip", "images", "ready"] {
        assert!(got.contains(&want.to_string()), "{want} missing from {got:?}");
    }

    // shortname: resource words, the CRD's short name included.
    let got = complete(&["shortname", "why", "w"]);
    assert!(got.contains(&"wd".to_string()) && got.contains(&"widgets".to_string()), "{got:?}");

    // detach: the namespace's pods after the type word, and in resource/name form.
    let pods = complete(&["detach", "-n", &ns.name, "pod", ""]);
    assert_eq!(pods.len(), 3, "{pods:?}");
    assert!(pods[..2].iter().all(|p| p.starts_with("numbers-api-")), "{pods:?}");
    let got = complete(&["detach", "-n", &ns.name, "pods/numbers"]);
    assert_eq!(got[..2], pods[..2].iter().map(|p| format!("pods/{p}")).collect::<Vec<_>>()[..], "{got:?}");
    let got = complete(&["detach", "--from", ""]);
    assert_eq!(got, ["all", "owner", "services", ":4"]);

    // A namespace the user may not list: no candidates, no file names, nothing printed.
    let got = complete(&["trace-svc", "--context", "kubectl-kit-user", ""]);
    assert_eq!(got, [":4"]);

    for p in &release.plugins {
        home.kubectl_ok(&[p, "completion", "uninstall"]);
        let got = complete(&[p, ""]);
        assert_eq!(got, [":0"], "{p}: without the completer, kubectl falls back to file names");
    }
}

#[test]
#[ignore = "needs the release and krew (cargo xtask test runs it)"]
fn the_local_index_installs_the_plugins() {
    let release = require_release!("index");
    let home = KrewHome::new(&release, None);
    home.add_index(&release, "kit");
    let found = home.kubectl_ok(&["krew", "search"]);
    for p in &release.plugins {
        assert!(found.lines().any(|l| l.starts_with(&format!("kit/{p} "))), "kit/{p} not in\n{found}");
    }
    let info = home.kubectl_ok(&["krew", "info", "kit/trace-svc"]);
    assert!(info.contains(&format!("VERSION: v{}", env!("CARGO_PKG_VERSION"))), "{info}");

    // Installing from an index downloads the archive from the manifest's URI (krew fetches
    // http(s) only). Until the release is published, serve target/dist from here: the same
    // index, with its download base pointed at this server.
    let server = serve(&release.dist);
    let copy = home.dir.path().join("index-copy");
    std::fs::create_dir_all(copy.join("plugins")).expect("mkdir");
    for p in &release.plugins {
        std::fs::write(copy.join("plugins").join(format!("{p}.yaml")), served_manifest(&release, p, &server))
            .expect("write");
    }
    git(&copy, &["init", "--quiet"]);
    git(&copy, &["add", "plugins"]);
    git(&copy, &["commit", "--quiet", "-m", "served from the test"]);
    home.kubectl_ok(&["krew", "index", "add", "served", &format!("file://{}", copy.display())]);
    home.kubectl_ok(&["krew", "install", "served/shortname"]);
    let out = home.kubectl_ok(&["shortname", "--help"]);
    assert!(out.contains("Usage: kubectl shortname"), "{out}");
    let listed = home.kubectl_ok(&["krew", "list"]);
    assert!(listed.contains("served/shortname"), "{listed}");
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=kubectl-kit", "-c", "user.email=dev@kubectl-kit.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {}: {}", args.join(" "), stderr(&out));
}

/// Serves the files of a directory over HTTP on 127.0.0.1 for the rest of the test process;
/// returns the base URL.
fn serve(dir: &Path) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let dir: PathBuf = dir.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut request = vec![0u8; 8192];
            let n = s.read(&mut request).unwrap_or(0);
            let line = String::from_utf8_lossy(&request[..n]).lines().next().unwrap_or_default().to_string();
            let path = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
            let file = (!path.contains("..") && !path.contains('/')).then(|| std::fs::read(dir.join(&path)).ok());
            match file.flatten() {
                Some(body) => {
                    let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                    let _ = s.write_all(&body);
                }
                None => {
                    let _ = s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
            }
        }
    });
    base
}
