//! `kubectl push-image` without a cluster: help, usage errors, unreadable sources, no cluster,
//! no registry.

use std::process::Command;

fn push() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-push_image"));
    c.env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"))
        .env("PATH", "/nonexistent");
    c
}

fn layout(dir: &std::path::Path) -> String {
    // The smallest real OCI layout: one empty-ish layer, a config and a manifest.
    use kubectl_kit_registry::image::digest_of;
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let put = |bytes: &[u8]| {
        let d = digest_of(bytes);
        std::fs::write(blobs.join(d.trim_start_matches("sha256:")), bytes).expect("write blob");
        (d, bytes.len())
    };
    let (layer, layer_size) = put(&[0u8; 1024]);
    let (config, config_size) =
        put(br#"{"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":[]}}"#);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer}","size":{layer_size}}}]}}"#
    );
    let (manifest_digest, manifest_size) = put(manifest.as_bytes());
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("write");
    std::fs::write(
        dir.join("index.json"),
        format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{manifest_size}}}]}}"#),
    )
    .expect("write");
    dir.display().to_string()
}

#[test]
fn help_and_usage_errors() {
    let out = push().arg("--help").output().expect("runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Usage: kubectl push-image"), "{help}");
    let dir = tempfile::tempdir().expect("tempdir");
    let not_an_image = dir.path().join("notes.txt");
    std::fs::write(&not_an_image, "hello").expect("write");
    let empty_dir = tempfile::tempdir().expect("tempdir");
    for (args, want) in [
        (vec!["x.tar", "App:1"], "invalid image name \"App:1\""),
        (vec!["x.tar", "--platform", "linux"], "invalid platform \"linux\""),
        (vec!["x.tar", "-o", "wide"], "allowed formats are: json,yaml"),
        (vec!["x.tar", "--registry", "https://r.example"], "--registry: registry \"https://r.example\" has a scheme"),
        (vec!["x.tar", "--set-image", "pod/web"], "expected deployment/NAME[=CONTAINER]"),
        (vec!["x.tar", "--compress", "brotli"], "invalid value 'brotli'"),
        (vec!["app:dev"], "no docker or podman CLI was found on PATH"),
        (vec![empty_dir.path().to_str().expect("utf-8")], "without index.json: not an OCI image layout"),
    ] {
        let out = push().args(&args).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let out = push().arg(not_an_image.to_str().expect("utf-8")).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    let out = push().arg("./missing.tar").output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read ./missing.tar"));
}

#[test]
fn no_cluster_and_no_registry_are_runtime_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = layout(dir.path());
    // The registry comes from the cluster: without one, say so.
    let out = push().args([&source, "app:1"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no kubeconfig found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A named registry that is not listening: the host and a hint, exit 1, no panic.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let out = push().args([&source, "app:1", "--registry", &format!("127.0.0.1:{port}")]).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("cannot reach registry 127.0.0.1:{port}")), "{err}");
}

#[test]
fn a_file_that_is_not_an_image_is_named_and_never_quoted() {
    let dir = tempfile::tempdir().expect("tempdir");
    // `kubectl push-image /etc/passwd` answered with tar's message, which quotes the file.
    let text = "root:x:0:0:root:/root:/bin/bash\nlogin:x:1:1:login:/nonexistent:/usr/sbin/nologin\n".repeat(20);
    let passwd = dir.path().join("passwd");
    std::fs::write(&passwd, &text).expect("write");
    // Random bytes (a fixed seed: the same bytes every run).
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.to_le_bytes()[0]
        })
        .collect();
    assert_ne!(random.get(..2), Some(&[0x1f, 0x8b][..]), "not gzip's magic");
    let noise = dir.path().join("noise.bin");
    std::fs::write(&noise, &random).expect("write");
    // The same text, gzip-compressed: decompressed, then still not a tarball.
    let gzipped = dir.path().join("passwd.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).expect("gzip");
    std::fs::write(&gzipped, gz.finish().expect("gzip")).expect("write");
    for (file, content) in [(&passwd, text.as_bytes()), (&noise, &random[..]), (&gzipped, text.as_bytes())] {
        let shown = file.to_str().expect("utf-8");
        let out = push().arg(shown).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{shown}: {err}");
        assert!(err.starts_with(&format!("error: {shown} is not a tar archive\n")), "{shown}: {err}");
        assert!(err.contains("hint: give a `docker save` tarball or an OCI archive (either may be gzip-compressed), or an OCI layout directory"), "{err}");
        assert!(out.stdout.is_empty());
        for quoted in printable_runs(content) {
            assert!(!err.contains(&quoted), "{shown}: the error quotes the file ({quoted:?}): {err}");
        }
    }

    // A real tarball, truncated: cut inside a file's data, and inside the second header.
    let tarball = {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in
            [("manifest.json", b"[] private content of the file".repeat(40)), ("index.json", b"{}".to_vec())]
        {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            b.append_data(&mut header, name, &data[..]).expect("append");
        }
        b.into_inner().expect("tar")
    };
    let first_data_end = 512 + (b"[] private content of the file".len() * 40).div_ceil(512) * 512;
    for (name, cut, says) in [
        ("in-data.tar", 512 + 100, "past the end of the archive"),
        ("in-header.tar", first_data_end + 100, "the tar header after entry 1 cannot be read"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, &tarball[..cut]).expect("write");
        let shown = file.to_str().expect("utf-8");
        let out = push().arg(shown).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.starts_with(&format!("error: {shown}: ")), "{name}: {err}");
        assert!(err.contains(says) && err.contains("truncated or corrupt"), "{name}: {err}");
        assert!(err.contains("hint: give a `docker save` tarball"), "{name}: {err}");
        assert!(!err.contains("private content"), "{name}: the error quotes the file: {err}");
    }
}

/// Runs of six or more printable ASCII characters: what a message quoting the file would show.
fn printable_runs(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|b| !(b.is_ascii_graphic() || *b == b' '))
        .filter(|run| run.len() >= 6)
        .map(|run| String::from_utf8_lossy(run).into_owned())
        .collect()
}
