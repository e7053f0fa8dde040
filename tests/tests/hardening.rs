//! The same guarantees for every plugin, each run against each of them: kubeconfig mistakes
//! name the file and the field, an exec credential plugin's secrets never reach the terminal, a
//! server that never answers fails within `--request-timeout`, a refused server certificate
//! names the authority to check, and a bearer token stays out of even `-v=9` logs.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use kubectl_kit_tests::{Cluster, plugin_path, require_cluster, scrubbed, stderr, stdout};

/// Each plugin with an invocation that has to reach the API server.
fn invocations(work: &Path) -> Vec<(&'static str, Vec<String>)> {
    let layout = work.join("layout");
    if !layout.exists() {
        let img = kubectl_kit_tests::images::image(&work.join("layers"), &[4096], 7, true, "amd64");
        kubectl_kit_tests::images::write_oci_layout(&layout, &img, None);
    }
    vec![
        ("cols", vec!["pods".into()]),
        ("trace_svc", vec!["kubernetes".into()]),
        ("detach", vec!["list".into()]),
        ("shortname", vec!["po".into()]),
        ("push_image", vec![layout.display().to_string(), "kit/hardening:v1".into()]),
    ]
}

fn run(plugin: &str, kubeconfig: &Path, args: &[String], extra: &[&str]) -> (Output, Duration) {
    let cache = tempfile::tempdir().expect("cache");
    // Built (if need be) before the clock starts.
    let bin = plugin_path(plugin);
    let start = Instant::now();
    let out = scrubbed(bin, cache.path())
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .args(extra)
        .env("KUBECACHEDIR", cache.path())
        .output()
        .expect("plugin runs");
    (out, start.elapsed())
}

fn kubeconfig(dir: &Path, name: &str, cluster: &str, user: &str) -> PathBuf {
    let path = dir.join(name);
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n{cluster}contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n    namespace: default\nusers:\n- name: u\n  user:\n{user}current-context: x\n"
    );
    std::fs::write(&path, text).expect("kubeconfig");
    path
}

fn pem_b64(pem: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(pem)
}

#[test]
fn kubeconfig_mistakes_name_the_file_and_the_field_in_every_plugin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let malformed = dir.path().join("malformed");
    std::fs::write(&malformed, "apiVersion: v1\nkind: Config\ncontexts: [\n").expect("write");
    let server = "    server: https://127.0.0.1:1\n";
    let bad_ca = kubeconfig(
        dir.path(),
        "bad-ca",
        &format!("{server}    certificate-authority-data: bm90IGEgY2VydA==\n"),
        "    token: t\n",
    );
    // An expired client certificate: refused before any connection, with its expiry.
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(vec!["kit".to_string()]).expect("params");
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let cert = params.self_signed(&key).expect("cert");
    let expired = kubeconfig(
        dir.path(),
        "expired",
        server,
        &format!(
            "    client-certificate-data: {}\n    client-key-data: {}\n",
            pem_b64(&cert.pem()),
            pem_b64(&key.serialize_pem())
        ),
    );
    let fine = kubeconfig(dir.path(), "fine", server, "    token: t\n");
    // Each mistake: its kubeconfig, extra flags, and what the error must say.
    let cases: Vec<(&Path, &[&str], Vec<String>)> = vec![
        (
            &malformed,
            &[],
            vec![format!("could not load kubeconfig {}", malformed.display()), "line 3 column 11".into()],
        ),
        (
            &fine,
            &["--context", "nope"],
            vec!["context \"nope\" does not exist".into(), format!("contexts are read from {}", fine.display())],
        ),
        (
            &bad_ca,
            &[],
            vec![format!(
                "clusters[c].cluster.certificate-authority-data in {} holds no readable X.509 certificate",
                bad_ca.display()
            )],
        ),
        (
            &expired,
            &[],
            vec![format!(
                "the client certificate in users[u].user.client-certificate-data ({}) expired at 2021-01-01T00:00:00Z",
                expired.display()
            )],
        ),
    ];
    for (plugin, args) in invocations(dir.path()) {
        for (kc, extra, wanted) in &cases {
            let (out, _) = run(plugin, kc, &args, extra);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{plugin}: {err}");
            for w in wanted {
                assert!(err.contains(w.as_str()), "{plugin}: {w:?} missing from: {err}");
            }
        }
    }
}

#[test]
fn a_failing_exec_credential_plugin_leaks_nothing_in_every_plugin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = kubeconfig(
        dir.path(),
        "exec",
        "    server: https://127.0.0.1:1\n",
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [\"-c\", \"echo planted-token-out; echo planted-token-err >&2; exit 3\", \"planted-arg-secret\"]\n      env: [{name: PLANTED, value: planted-env-secret}]\n      interactiveMode: Never\n",
    );
    for (plugin, args) in invocations(dir.path()) {
        let (out, _) = run(plugin, &kc, &args, &["-v=9"]);
        let (o, e) = (stdout(&out), stderr(&out));
        for secret in ["planted-token-out", "planted-token-err", "planted-arg-secret", "planted-env-secret"] {
            assert!(!o.contains(secret) && !e.contains(secret), "{plugin}: {secret} leaked:\n{o}\n{e}");
        }
        assert_eq!(out.status.code(), Some(1), "{plugin}: {e}");
        assert!(e.contains("exec credential plugin \"sh\" failed (exit status 3)"), "{plugin}: {e}");
    }
}

#[test]
fn a_server_that_never_answers_fails_within_the_request_timeout_in_every_plugin() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A socket that accepts connections (the kernel completes them) and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let kc = kubeconfig(
        dir.path(),
        "silent",
        &format!("    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\n"),
        "    token: t\n",
    );
    for (plugin, args) in invocations(dir.path()) {
        let (out, took) = run(plugin, &kc, &args, &["--request-timeout=2s"]);
        let err = stderr(&out);
        assert!(took < Duration::from_secs(20), "{plugin} took {took:?}: {err}");
        if plugin == "shortname" {
            // shortname answers from its built-in table when the server cannot be reached.
            assert!(out.status.success(), "{plugin}: {err}");
            assert!(err.contains("could not reach the API server"), "{plugin}: {err}");
        } else {
            assert_eq!(out.status.code(), Some(1), "{plugin}: {err}");
            assert!(err.contains("could not reach the API server"), "{plugin}: {err}");
            assert!(err.contains("did not answer in time"), "{plugin}: {err}");
        }
    }
    drop(silent);
}

/// The test cluster's kubeconfig with one field's value replaced.
fn cluster_kubeconfig_with(c: &Cluster, dir: &Path, name: &str, field: &str, value: &str) -> PathBuf {
    let text = std::fs::read_to_string(&c.kubeconfig).expect("kubeconfig");
    let mut replaced = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let key = l.trim_start();
            if !replaced && key.starts_with(&format!("{field}:")) {
                replaced = true;
                format!("{}{field}: {value}", &l[..l.len() - key.len()])
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(replaced, "no {field} in the cluster kubeconfig");
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    path
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_server_certificate_from_another_authority_names_the_field_in_every_plugin() {
    let c = require_cluster!("a_server_certificate_from_another_authority_names_the_field_in_every_plugin");
    let dir = tempfile::tempdir().expect("tempdir");
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other = params.self_signed(&key).expect("ca");
    let kc = cluster_kubeconfig_with(&c, dir.path(), "other-ca", "certificate-authority-data", &pem_b64(&other.pem()));
    // kubectl refuses it too.
    let out =
        scrubbed(&c.kubectl, dir.path()).arg("--kubeconfig").arg(&kc).args(["get", "pods"]).output().expect("kubectl");
    assert!(!out.status.success(), "kubectl accepted the server");
    for (plugin, args) in invocations(dir.path()) {
        let (out, _) = run(plugin, &kc, &args, &["--request-timeout=20s"]);
        let err = stderr(&out);
        assert!(err.contains("UnknownIssuer"), "{plugin}: {err}");
        assert!(
            err.contains(&format!(
                "check clusters[kubectl-kit].cluster.certificate-authority-data in {}",
                kc.display()
            )),
            "{plugin}: {err}"
        );
        if plugin != "shortname" {
            assert_eq!(out.status.code(), Some(1), "{plugin}: {err}");
        }
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_bearer_token_never_appears_even_at_v9_in_every_plugin() {
    let c = require_cluster!("a_bearer_token_never_appears_even_at_v9_in_every_plugin");
    let ns = c.namespace("secrets");
    let sa = "reader";
    c.kubectl_ok(&["create", "serviceaccount", sa, "-n", &ns.name]);
    let binding = format!("kit-reader-{}", ns.name);
    c.kubectl_ok(&[
        "create",
        "clusterrolebinding",
        &binding,
        "--clusterrole=view",
        &format!("--serviceaccount={}:{sa}", ns.name),
    ]);
    let token = c.kubectl_ok(&["create", "token", sa, "-n", &ns.name]).trim().to_string();
    assert!(token.len() > 40, "token: {token}");
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(&c.kubeconfig).expect("kubeconfig");
    // Every user of the cluster kubeconfig authenticates with the token instead.
    let users: Vec<String> = text
        .lines()
        .filter(|l| {
            !l.trim_start().starts_with("client-certificate-data:") && !l.trim_start().starts_with("client-key-data:")
        })
        .map(|l| if l.trim_start() == "user:" { format!("{l}\n    token: {token}") } else { l.to_string() })
        .collect();
    let kc = dir.path().join("token");
    std::fs::write(&kc, users.join("\n") + "\n").expect("write");
    let tail = &token[token.len() - 24..];
    for (plugin, args) in invocations(dir.path()) {
        let (out, _) = run(plugin, &kc, &args, &["-v=9", "-n", &ns.name]);
        let (o, e) = (stdout(&out), stderr(&out));
        assert!(e.contains("GET https://") || e.contains("verb=\"GET\""), "{plugin}: no request log at -v=9:\n{e}");
        assert!(!o.contains(tail) && !e.contains(tail), "{plugin}: the token leaked:\n{o}\n{e}");
    }
    c.kubectl(&["delete", "clusterrolebinding", &binding]);
}
