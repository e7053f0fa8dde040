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
