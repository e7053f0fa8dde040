//! Behaviour that needs no cluster: help, usage errors, the offline fallback, kubeconfig errors.

use std::process::Command;

fn shortname() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-shortname"));
    c.env_remove("KUBECONFIG").env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"));
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn help_reads_like_kubectl_and_lists_the_global_flags() {
    let (code, out, _) = run(shortname().arg("--help"));
    assert_eq!(code, 0);
    assert!(out.contains("Usage: kubectl shortname"), "{out}");
    for flag in
        ["--kubeconfig", "--context", "--namespace", "--request-timeout", "--output", "--no-headers", "--api-group"]
    {
        assert!(out.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn usage_errors_exit_2_without_touching_a_cluster() {
    let (code, _, err) = run(shortname().args(["-o", "xml"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unable to match a printer suitable for the output format \"xml\""), "{err}");
    let (code, _, _) = run(shortname().arg("--no-such-flag"));
    assert_eq!(code, 2);
    let (code, _, _) = run(shortname().args(["--sort-by", "age"]));
    assert_eq!(code, 2);
}

#[test]
fn without_a_cluster_prints_the_builtin_table_with_a_warning() {
    let (code, out, err) = run(&mut shortname());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Warning: ") && err.contains("offline"), "{err}");
    assert!(out.lines().any(|l| l.starts_with("pods ") && l.contains(" po ")), "{out}");
    assert!(out.contains("deployments") && out.contains("deploy"));
}

#[test]
fn unreachable_server_falls_back_offline_and_still_resolves_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = dir.path().join("config");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: secret-token-value\ncurrent-context: x\n",
    )
    .expect("write");
    let (code, out, err) = run(shortname().arg("--kubeconfig").arg(&kc).args(["deploy", "-o", "name"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "deployments.apps\n");
    assert!(err.contains("could not reach the API server"), "{err}");
    assert!(!err.contains("secret-token-value"), "token leaked: {err}");
}

#[test]
fn an_unreachable_server_is_named_with_its_context() {
    // A closed port on loopback: the connection is refused at once, no cluster and no network.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = dir.path().join("config");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://admin:s3cret-pw@127.0.0.1:{port}\ncontexts:\n- name: kind-kind\n  context:\n    cluster: c\n    user: u\n- name: other\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: secret-token-value\ncurrent-context: other\n"
        ),
    )
    .expect("write");
    let (code, out, err) =
        run(shortname().arg("--kubeconfig").arg(&kc).args(["--context", "kind-kind", "deploy", "-o", "name"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "deployments.apps\n");
    let named = format!(
        "could not reach the API server https://[REDACTED]@127.0.0.1:{port} (context \"kind-kind\"): connection refused"
    );
    assert!(err.contains(&named), "{err}");
    assert!(err.contains("did you specify the right host or port?"), "{err}");
    for secret in ["s3cret-pw", "secret-token-value", "admin"] {
        assert!(!err.contains(secret), "{secret} leaked: {err}");
    }
}

#[test]
fn unknown_words_exit_1_with_suggestions() {
    let (code, _, err) = run(shortname().arg("deploymnet"));
    assert_eq!(code, 1);
    assert!(err.contains("error: the server doesn't have a resource type \"deploymnet\""), "{err}");
    assert!(err.contains("did you mean deployments.apps"), "{err}");
}

#[test]
fn kubeconfig_errors_name_the_file_and_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = dir.path().join("config");
    std::fs::write(&kc, "apiVersion: v1\nkind: Config\ncontexts: [\n").expect("write");
    let (code, _, err) = run(shortname().arg("--kubeconfig").arg(&kc));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&kc.display().to_string()), "{err}");

    std::fs::write(&kc, "apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts: []\n").expect("write");
    let (code, _, err) = run(shortname().arg("--kubeconfig").arg(&kc).args(["--context", "nope"]));
    assert_eq!(code, 1);
    assert!(err.contains("error: context \"nope\" does not exist"), "{err}");

    let missing = dir.path().join("missing");
    let (code, _, err) = run(shortname().arg("--kubeconfig").arg(&missing));
    assert_eq!(code, 1);
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn broken_pipe_is_quiet_success() {
    use std::process::Stdio;
    let mut child = shortname().arg("--all").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success() || out.status.code() == Some(0), "{:?}", out.status);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
}

#[test]
fn a_failing_exec_credential_plugin_never_leaks_its_output_args_or_env() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = dir.path().join("config");
    // A plugin that prints a token on both streams and fails; its args and env hold secrets too.
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [\"-c\", \"echo planted-token-out; echo planted-token-err >&2; exit 3\", \"planted-arg-secret\"]\n      env: [{name: PLANTED, value: planted-env-secret}]\n      interactiveMode: Never\ncurrent-context: x\n",
    )
    .expect("write");
    let (code, out, err) = run(shortname().arg("--kubeconfig").arg(&kc).arg("po"));
    for secret in ["planted-token-out", "planted-token-err", "planted-arg-secret", "planted-env-secret"] {
        assert!(!out.contains(secret) && !err.contains(secret), "{secret} leaked:\n{out}\n{err}");
    }
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("exec credential plugin \"sh\" failed (exit status 3)"), "{err}");
}

#[cfg(unix)]
#[test]
fn completion_offers_the_built_in_words_without_a_cluster() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("kubectl_complete-shortname");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kubectl-shortname"), &link).expect("link");
    let mut c = Command::new(&link);
    c.env_remove("KUBECONFIG").env("HOME", std::env::temp_dir().join("kubectl-kit-no-home"));
    let (code, out, err) = run(c.args(["why", "dep"]));
    assert_eq!(code, 0);
    assert_eq!(out, "deployments\tDeployment (apps/v1)\ndeploy\tdeployments (apps/v1)\n:4\n");
    assert_eq!(err, "");
}
