//! How the plugins reach the API server when its name is one the system resolver may not know:
//! `NAME.localhost` (RFC 6761 loopback, as k3d names things) resolves to loopback without DNS,
//! against the real API server.

use std::process::Command;

use kubectl_kit_tests::{plugin_path, require_cluster, scrubbed, stderr, stdout};

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn an_api_server_named_under_localhost_is_reached_without_dns() {
    let c = require_cluster!("an_api_server_named_under_localhost_is_reached_without_dns");
    let lookup = Command::new("getent").args(["hosts", "kit-api.localhost"]).output().expect("getent runs");
    assert!(!lookup.status.success(), "the system resolver knows kit-api.localhost: this test would prove nothing");
    // The cluster's kubeconfig, its server renamed kit-api.localhost; the certificate names
    // `localhost`, which tls-server-name checks it against.
    let mut kc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&c.kubeconfig).expect("kubeconfig")).expect("yaml");
    let mut server = String::new();
    for cluster in kc["clusters"].as_sequence_mut().expect("clusters") {
        let entry = &mut cluster["cluster"];
        let url = entry["server"].as_str().expect("server").to_string();
        let port = url.rsplit(':').next().expect("port").to_string();
        server = format!("https://kit-api.localhost:{port}");
        entry["server"] = server.clone().into();
        entry["tls-server-name"] = "localhost".into();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config");
    std::fs::write(&path, serde_yaml::to_string(&kc).expect("yaml")).expect("write");
    for (plugin, args) in [("shortname", vec!["po"]), ("detach", vec!["list", "-A"]), ("cols", vec!["namespaces"])] {
        let out = scrubbed(plugin_path(plugin), dir.path())
            .arg("--kubeconfig")
            .arg(&path)
            .args(&args)
            .arg("-v=6")
            .env("KUBECACHEDIR", dir.path().join(format!("cache-{plugin}")))
            .output()
            .expect("plugin runs");
        let err = stderr(&out);
        assert!(out.status.success(), "{plugin}: {err}");
        assert!(err.contains(&format!("url=\"{server}/")) && err.contains("status=\"200 OK\""), "{plugin}: {err}");
        assert!(!err.contains("could not reach"), "{plugin}: {err}");
        if plugin == "cols" {
            assert!(stdout(&out).lines().any(|l| l.starts_with("kube-system")), "{}", stdout(&out));
        }
    }
}
