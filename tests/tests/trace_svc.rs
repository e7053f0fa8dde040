//! `kubectl trace-svc` on the real cluster: each diagnosis built in its own namespace and checked
//! in the JSON output, plus the demo apps and the request bound.

use std::time::Duration;

use kubectl_kit_tests::{Cluster, Counts, converge_ok, require_cluster, stderr};
use serde_json::Value;

fn trace(c: &Cluster, ns: &str, args: &[&str]) -> (i32, Value, String) {
    let cache = tempfile::tempdir().expect("tempdir");
    let out = c.plugin("trace_svc", cache.path()).args(["-n", ns, "-o", "json"]).args(args).output().expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v, stderr(&out))
}

fn hop<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["hops"].as_array().and_then(|h| h.iter().find(|h| h["hop"] == name)).unwrap_or(&Value::Null)
}

fn details(h: &Value) -> String {
    h["details"]
        .as_array()
        .map(|d| d.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}

/// Waits until the Deployment `deploy` has `replicas` replicas, all Ready, and each of
/// `services` lists them all as ready endpoints (and nothing else: no pod of an older
/// replica count still terminating).
fn ready(c: &Cluster, ns: &str, deploy: &str, replicas: usize, services: &[&str]) {
    c.wait_replicas(ns, &format!("deployment/{deploy}"), replicas as i64);
    for s in services {
        c.wait_endpoints(ns, s, Counts::listing(replicas, replicas));
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn demo_apps_trace_correctly() {
    let c = require_cluster!("trace-svc demo apps");
    let ns = c.namespace("trace-demo");
    for app in ["numbers-api", "numbers-web", "external-api", "legacy-db", "client-node-port"] {
        c.apply_fixture(&ns.name, app);
    }
    ready(&c, &ns.name, "numbers-api", 2, &["numbers-api"]);
    // Traffic reaches them, so each trace exits 0.
    ready(&c, &ns.name, "numbers-web", 1, &["numbers-web"]);
    ready(&c, &ns.name, "client-deployment", 1, &["client-node-port"]);

    let (code, v, err) = trace(&c, &ns.name, &["numbers-api"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["status"], "ok");
    assert!(
        v["verdict"].as_str().unwrap_or_default().starts_with("traffic to numbers-api:80 would reach 2 of 2 pod(s)"),
        "{v}"
    );
    assert!(details(hop(&v, "ports")).contains("targetPort http → container port 80 on 2 of 2"), "{v}");

    let (code, v, _) = trace(&c, &ns.name, &["numbers-web"]);
    assert_eq!(code, 0, "a pending load balancer is a warning");
    assert_eq!(hop(&v, "service")["status"], "warn");
    assert!(hop(&v, "service")["reason"].as_str().unwrap_or_default().contains("<pending>"));

    let (code, v, _) = trace(&c, &ns.name, &["external-api"]);
    assert_eq!(code, 0);
    assert_eq!(v["type"], "ExternalName");
    assert!(hop(&v, "service")["reason"].as_str().unwrap_or_default().contains("CNAME to raw.githubusercontent.com"));
    assert!(hop(&v, "endpoints").is_null(), "no endpoints hop for ExternalName");

    let (code, v, _) = trace(&c, &ns.name, &["legacy-db"]);
    assert_eq!(code, 0);
    assert!(details(hop(&v, "endpoints")).contains("192.168.123.234:80 ready"), "{v}");
    assert!(details(hop(&v, "service")).contains("no selector"));

    let (code, v, _) = trace(&c, &ns.name, &["client-node-port"]);
    assert_eq!(code, 0);
    assert_eq!(v["type"], "NodePort");
    assert!(details(hop(&v, "service")).contains("node port "), "{v}");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn selector_matching_no_pod_names_the_nearest_and_the_differing_labels() {
    let c = require_cluster!("trace-svc selector");
    let ns = c.namespace("trace-sel");
    c.apply_fixture(&ns.name, "numbers-api");
    c.apply(&ns.name, "apiVersion: v1\nkind: Service\nmetadata: {name: typo}\nspec:\n  selector: {app: numbers, version: v1}\n  ports: [{port: 80, targetPort: http}]\n");
    ready(&c, &ns.name, "numbers-api", 2, &["numbers-api"]);
    let (code, v, _) = trace(&c, &ns.name, &["typo"]);
    assert_eq!(code, 1);
    let sel = hop(&v, "selector");
    assert_eq!(sel["status"], "fail");
    assert!(
        sel["reason"].as_str().unwrap_or_default().contains("matches 1 of 2 labels; app=numbers vs numbers-api"),
        "{sel}"
    );
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn named_target_port_missing_on_a_pod_drops_it() {
    let c = require_cluster!("trace-svc named port");
    let ns = c.namespace("trace-port");
    c.apply_fixture(&ns.name, "numbers-api");
    c.apply(&ns.name, "apiVersion: v1\nkind: Service\nmetadata: {name: wrong-port}\nspec:\n  selector: {app: numbers-api}\n  ports: [{name: web, port: 80, targetPort: web}]\n");
    ready(&c, &ns.name, "numbers-api", 2, &["numbers-api"]);
    // The EndpointSlice controller lists both pods, under no port (`ports: null`): no pod has
    // a port named web.
    c.wait_endpoints(&ns.name, "wrong-port", Counts::listing(2, 2));
    let (code, v, _) = trace(&c, &ns.name, &["wrong-port"]);
    assert_eq!(code, 1);
    let ports = hop(&v, "ports");
    assert_eq!(ports["status"], "fail");
    assert!(details(ports).contains("no container port is named \"web\""), "{ports}");
    assert_eq!(hop(&v, "endpoints")["status"], "fail");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn pods_that_are_not_ready_are_explained() {
    let c = require_cluster!("trace-svc not ready");
    let ns = c.namespace("trace-unready");
    c.apply(&ns.name, "apiVersion: v1\nkind: Pod\nmetadata: {name: stuck, labels: {app: stuck}}\nspec:\n  nodeSelector: {kit.example.com/no-such-node: \"true\"}\n  containers: [{name: c, image: x, ports: [{containerPort: 80}]}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: stuck}\nspec:\n  selector: {app: stuck}\n  ports: [{port: 80}]\n");
    c.wait_event(&ns.name, "Pod/stuck", "FailedScheduling");
    c.wait_pods(&ns.name, "app=stuck", 1, "Unschedulable", |p| p.unmet("Unschedulable"));
    let (code, v, _) = trace(&c, &ns.name, &["stuck"]);
    assert_eq!(code, 1);
    let pods = hop(&v, "pods");
    assert_eq!(pods["status"], "fail");
    assert!(details(pods).starts_with("1 pod: Unschedulable: 0/"), "{pods}");
    let cause = &pods["causes"][0];
    assert_eq!(cause["cause"], "Unschedulable");
    assert_eq!(cause["examplePods"][0], "stuck");
    assert!(
        cause["message"].as_str().unwrap_or_default().contains("didn't match Pod's node affinity/selector"),
        "{cause}"
    );
    assert_eq!(
        cause["evidence"][0],
        "nodeSelector kit.example.com/no-such-node=true: no node has the label kit.example.com/no-such-node"
    );
    assert_eq!(cause["command"], "kubectl get nodes -l kit.example.com/no-such-node=true --show-labels");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn service_kinds_and_ports_are_diagnosed() {
    let c = require_cluster!("trace-svc kinds");
    let ns = c.namespace("trace-kinds");
    c.apply_fixture(&ns.name, "numbers-api");
    c.apply(&ns.name, "apiVersion: v1\nkind: Service\nmetadata: {name: by-ip}\nspec: {type: ExternalName, externalName: 10.1.2.3}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: headless}\nspec:\n  clusterIP: None\n  selector: {app: numbers-api}\n  ports: [{port: 80, targetPort: http}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: local}\nspec:\n  type: NodePort\n  externalTrafficPolicy: Local\n  sessionAffinity: ClientIP\n  selector: {app: numbers-api}\n  ports: [{port: 80, targetPort: http}]\n");
    c.kubectl_ok(&["-n", &ns.name, "scale", "deployment/numbers-api", "--replicas=1"]);
    // The Services traced below select the same pod; `local` must reach it (exit 0).
    ready(&c, &ns.name, "numbers-api", 1, &["numbers-api", "headless", "local"]);

    let (code, v, _) = trace(&c, &ns.name, &["by-ip"]);
    assert_eq!(code, 1, "an IP in externalName is a mistake");
    assert!(hop(&v, "service")["reason"].as_str().unwrap_or_default().contains("is an IP address"));

    let (_, v, _) = trace(&c, &ns.name, &["headless"]);
    assert!(hop(&v, "service")["reason"].as_str().unwrap_or_default().starts_with("headless"), "{v}");
    assert!(hop(&v, "dns")["reason"].as_str().unwrap_or_default().contains("pod IPs"));

    let (code, v, _) = trace(&c, &ns.name, &["local"]);
    assert_eq!(code, 0);
    let tp = hop(&v, "traffic-policy");
    assert_eq!(tp["status"], "warn", "one pod on three nodes: two nodes drop node-port traffic: {v}");
    assert!(details(tp).contains("sessionAffinity ClientIP"), "{tp}");

    let (code, v, _) = trace(&c, &ns.name, &["local", "--port", "9999"]);
    assert_eq!(code, 1);
    assert!(hop(&v, "ports")["reason"].as_str().unwrap_or_default().contains("has no port 9999"));

    // URL and ClusterIP spellings reach the same Service.
    let ip = c.kubectl_ok(&["-n", &ns.name, "get", "svc", "local", "-o", "jsonpath={.spec.clusterIP}"]);
    let (_, v, _) = trace(&c, "default", &[&format!("{ip}:80")]);
    assert_eq!(v["service"], format!("{}/local", ns.name));
    let (_, v, _) = trace(&c, "default", &[&format!("http://local.{}:80/path", ns.name)]);
    assert_eq!(v["service"], format!("{}/local", ns.name));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn network_policies_and_ingresses_are_checked() {
    let c = require_cluster!("trace-svc policies");
    let ns = c.namespace("trace-netpol");
    c.apply_fixture(&ns.name, "numbers-api");
    c.apply(&ns.name, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: only-clients}\nspec:\n  podSelector: {matchLabels: {app: numbers-api}}\n  policyTypes: [Ingress]\n  ingress:\n  - from: [{podSelector: {matchLabels: {role: client}}}]\n    ports: [{port: http}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: good-client, labels: {role: client}}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: bad-client, labels: {role: other}}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec:\n  rules:\n  - http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: numbers-api, port: {number: 8080}}}}\n");
    ready(&c, &ns.name, "numbers-api", 2, &["numbers-api"]);
    c.wait_pods(&ns.name, "role in (client, other)", 2, "Ready", |p| p.ready);
    let (code, v, _) = trace(&c, &ns.name, &["numbers-api", "--from", "pod/good-client"]);
    assert_eq!(hop(&v, "network-policy")["status"], "ok", "{v}");
    let ing = hop(&v, "ingress");
    assert_eq!(ing["status"], "fail", "the Ingress names port 8080, which the Service lacks: {v}");
    assert_eq!(code, 1);
    let (_, v, _) = trace(&c, &ns.name, &["numbers-api", "--from", "pod/bad-client"]);
    let np = hop(&v, "network-policy");
    assert_eq!(np["status"], "fail", "{v}");
    assert!(details(np).contains("not to "), "{np}");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_name_missing_here_lists_the_namespaces_that_have_it() {
    let c = require_cluster!("trace-svc not found");
    let ns = c.namespace("trace-nf");
    c.apply_fixture(&ns.name, "legacy-db");
    let cache = tempfile::tempdir().expect("tempdir");
    let out = c.plugin("trace_svc", cache.path()).args(["-n", "default", "legacy-db-nope"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Error from server (NotFound): services \"legacy-db-nope\" not found"));
    let out = c.plugin("trace_svc", cache.path()).args(["-n", "kube-public", "legacy-db"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&ns.name), "{}", stderr(&out));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn requests_do_not_grow_with_pods() {
    let c = require_cluster!("trace-svc request bound");
    let ns = c.namespace("trace-1000");
    c.apply_fixture(&ns.name, "numbers-api");
    c.kubectl_ok(&["-n", &ns.name, "scale", "deployment/numbers-api", "--replicas=1000"]);
    converge_ok(
        "deployment/numbers-api with 1000 ready replicas",
        Duration::from_secs(400),
        || c.replicas(&ns.name, "deployment/numbers-api"),
        |r| r.settled_at(1000),
    );
    let cache = tempfile::tempdir().expect("tempdir");
    let out = c
        .plugin("trace_svc", cache.path())
        .args(["-n", &ns.name, "numbers-api", "-v=6", "-o", "json"])
        .output()
        .expect("runs");
    let requests = stderr(&out).lines().filter(|l| l.contains("\"Response\" verb=")).count();
    // The Service; together: slices, Warning events, NetworkPolicies, nodes, webhook
    // configurations (2), APIServices; the pods; together: ReplicaSets, Deployments, Ingresses,
    // CoreDNS.
    assert!(requests <= 13, "{requests} requests for 1000 pods:\n{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(hop(&v, "pods")["reason"].as_str().unwrap_or_default().ends_with("of 1000 pod(s) Ready"), "{v}");
}

/// Starts `trace-svc -w -v=6` and waits until it has printed its first trace and opened the
/// watch of the pods `selector` selects (its request line, as kubectl's -v=6 prints it):
/// changes made after that are seen. Returns the child and its stdout lines.
fn watching(
    c: &Cluster,
    cache: &std::path::Path,
    ns: &str,
    svc: &str,
    selector: &str,
) -> (std::process::Child, std::sync::mpsc::Receiver<String>, String) {
    use std::process::Stdio;
    let mut child = c
        .plugin("trace_svc", cache)
        .args(["-n", ns, svc, "-w", "-v=6"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = kubectl_kit_tests::stdout_lines(&mut child);
    let err = kubectl_kit_tests::lines(child.stderr.take().expect("stderr"));
    let first = out.recv_timeout(Duration::from_secs(20)).expect("a first trace");
    watch_opened(&err, selector);
    // The stderr reader keeps draining in the background so that the child never blocks.
    std::thread::spawn(move || while err.recv().is_ok() {});
    (child, out, first)
}

/// Waits for the -v=6 line of the watch request on the pods of `selector`.
fn watch_opened(err: &std::sync::mpsc::Receiver<String>, selector: &str) {
    let want = format!("pods?labelSelector={}", selector.replace('=', "%3D"));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = err.recv_timeout(left).unwrap_or_else(|_| panic!("no watch request on {want} within 30s"));
        if line.contains(&want) && line.contains("watch=1") && line.contains("\"Response\"") {
            return;
        }
    }
}

/// Reads traces until one contains `want` (or 60 s pass).
fn saw(rx: &std::sync::mpsc::Receiver<String>, want: &str) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(500))
            && l.contains(want)
        {
            return true;
        }
    }
    false
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn watch_traces_again_when_the_pods_change() {
    let c = require_cluster!("trace-svc watch");
    let ns = c.namespace("trace-watch");
    c.apply_fixture(&ns.name, "numbers-api");
    ready(&c, &ns.name, "numbers-api", 2, &["numbers-api"]);
    let cache = tempfile::tempdir().expect("tempdir");
    let (mut child, rx, first) = watching(&c, cache.path(), &ns.name, "numbers-api", "app=numbers-api");
    assert!(first.contains("would reach 2 of 2 pod(s)"), "{first}");
    c.kubectl_ok(&["-n", &ns.name, "scale", "deployment/numbers-api", "--replicas=3"]);
    let saw_three = saw(&rx, "of 3 pod(s)");
    let _ = child.kill();
    let _ = child.wait();
    assert!(saw_three, "a new trace after scaling to 3");
}

/// A watch started at an Ingress traces the whole way again when the Ingress changes, and then
/// follows the Service its rule leads to now.
#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn watch_from_an_ingress_follows_the_service_its_rule_leads_to() {
    let c = require_cluster!("trace-svc watch ingress");
    let ns = c.namespace("trace-watch-ing");
    let n = &ns.name;
    c.apply_fixture(n, "numbers-api");
    c.apply(
        n,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: other}}\n  template:\n    metadata: {labels: {app: other}}\n    spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 80}]}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: other}\nspec:\n  selector: {app: other}\n  ports: [{port: 80, targetPort: http}]\n",
    );
    let ingress = |backend: &str| {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: web}}\nspec:\n  rules:\n  - host: web.{n}.example.com\n    http:\n      paths:\n      - {{path: /, pathType: Prefix, backend: {{service: {{name: {backend}, port: {{number: 80}}}}}}}}\n"
        )
    };
    c.apply(n, &ingress("numbers-api"));
    ready(&c, n, "numbers-api", 2, &["numbers-api"]);
    c.wait_replicas(n, "deployment/other", 1);
    let cache = tempfile::tempdir().expect("tempdir");
    let mut child = c
        .plugin("trace_svc", cache.path())
        .args(["-n", n, "ingress/web", "-w", "-v=6"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let rx = kubectl_kit_tests::stdout_lines(&mut child);
    let err = kubectl_kit_tests::lines(child.stderr.take().expect("stderr"));
    let first = rx.recv_timeout(Duration::from_secs(20)).expect("a first trace");
    assert!(first.contains(&format!("Ingress {n}/web → numbers-api:80 would reach 2 of 2 pod(s)")), "{first}");
    watch_opened(&err, "app=numbers-api");
    c.apply(n, &ingress("other"));
    let rerouted = saw(&rx, &format!("Ingress {n}/web → other:80 would reach 1 of 1 pod(s)"));
    // The watches are opened again, on the pods of the Service the rule leads to now.
    watch_opened(&err, "app=other");
    std::thread::spawn(move || while err.recv().is_ok() {});
    c.kubectl_ok(&["-n", n, "scale", "deployment/other", "--replicas=2"]);
    let followed = saw(&rx, "other:80 would reach 2 of 2 pod(s)");
    let _ = child.kill();
    let _ = child.wait();
    assert!(rerouted, "a trace of the way in after the Ingress changed its backend");
    assert!(followed, "a trace after the new backend's deployment scaled");
}

/// Regression (issue 18): the watch kept the Service it started with, so after its selector
/// changed it still watched the old selector's pods and missed the new ones' changes.
#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn watch_follows_a_services_new_selector() {
    let c = require_cluster!("trace-svc watch selector");
    let ns = c.namespace("trace-watch-sel");
    let n = &ns.name;
    c.apply_fixture(n, "numbers-api");
    c.apply(
        n,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: other}}\n  template:\n    metadata: {labels: {app: other}}\n    spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 80}]}]}\n",
    );
    ready(&c, n, "numbers-api", 2, &["numbers-api"]);
    c.wait_replicas(n, "deployment/other", 1);
    let cache = tempfile::tempdir().expect("tempdir");
    let mut child = c
        .plugin("trace_svc", cache.path())
        .args(["-n", n, "numbers-api", "-w", "-v=6"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = kubectl_kit_tests::stdout_lines(&mut child);
    let err = kubectl_kit_tests::lines(child.stderr.take().expect("stderr"));
    let first = out.recv_timeout(Duration::from_secs(20)).expect("a first trace");
    assert!(first.contains("would reach 2 of 2 pod(s)"), "{first}");
    watch_opened(&err, "app=numbers-api");
    c.kubectl_ok(&["-n", n, "patch", "service", "numbers-api", "-p", r#"{"spec":{"selector":{"app":"other"}}}"#]);
    let retraced = saw(&out, "would reach 1 of 1 pod(s)");
    // The watch is opened again, on the pods the Service selects now.
    watch_opened(&err, "app=other");
    std::thread::spawn(move || while err.recv().is_ok() {});
    c.kubectl_ok(&["-n", n, "scale", "deployment/other", "--replicas=2"]);
    let followed = saw(&out, "of 2 pod(s)");
    let _ = child.kill();
    let _ = child.wait();
    assert!(retraced, "a trace after the selector changed");
    assert!(followed, "a trace after the new selector's deployment scaled");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn protocols_undeclared_ports_and_policies_are_reported() {
    let c = require_cluster!("trace-svc details");
    let ns = c.namespace("trace-details");
    c.apply_fixture(&ns.name, "numbers-api");
    c.apply(
        &ns.name,
        "apiVersion: v1\nkind: Service\nmetadata: {name: udp}\nspec:\n  selector: {app: numbers-api}\n  ports: [{name: dns, port: 53, protocol: UDP, targetPort: http}]\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: undeclared}\nspec:\n  selector: {app: numbers-api}\n  publishNotReadyAddresses: true\n  internalTrafficPolicy: Local\n  ports: [{port: 81, targetPort: 8081}]\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: ranges}\nspec:\n  type: LoadBalancer\n  loadBalancerSourceRanges: [192.0.2.0/24]\n  selector: {app: numbers-api}\n  ports: [{port: 80, targetPort: http}]\n",
    );
    ready(&c, &ns.name, "numbers-api", 2, &["numbers-api"]);

    let (code, v, _) = trace(&c, &ns.name, &["udp"]);
    assert_eq!(code, 1, "the named port is TCP on the pods: {v}");
    assert!(details(hop(&v, "ports")).contains("port http is TCP on the container but UDP on the Service"), "{v}");

    let (_, v, _) = trace(&c, &ns.name, &["undeclared"]);
    let ports = details(hop(&v, "ports"));
    // One line, not "on 2 of 2 pod(s)" followed by "2 pod(s) do not declare" it.
    assert!(
        ports.contains(
            "81/TCP → targetPort 8081: no container declares port 8081 on any of the 2 pod(s) (informational: undeclared ports still receive traffic)"
        ),
        "{ports}"
    );
    assert_eq!(ports.lines().count(), 1, "{ports}");
    assert!(details(hop(&v, "pods")).contains("publishNotReadyAddresses"), "{v}");
    assert!(
        hop(&v, "traffic-policy")["reason"].as_str().unwrap_or_default().starts_with("internalTrafficPolicy Local"),
        "{v}"
    );

    let (_, v, _) = trace(&c, &ns.name, &["ranges"]);
    let tp = hop(&v, "traffic-policy");
    assert!(tp["reason"].as_str().unwrap_or_default().contains("loadBalancerSourceRanges: only 192.0.2.0/24"), "{v}");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_user_who_may_not_list_services_or_slices_gets_a_partial_trace() {
    let c = require_cluster!("trace-svc rbac");
    let ns = c.namespace("trace-rbac");
    let n = &ns.name;
    c.apply_fixture(n, "numbers-api");
    ready(&c, n, "numbers-api", 2, &["numbers-api"]);
    // kit-user may get Services by name and read pods, nothing else: no list of Services, no
    // EndpointSlices, nothing cluster-wide.
    c.grant_kit_user(
        n,
        "partial",
        "- {apiGroups: [''], resources: [services], verbs: [get]}
- {apiGroups: [''], resources: [pods], verbs: [get, list]}",
    );
    c.wait_kubectl_ok(
        "kit-user's Role in force",
        &["--context", "kubectl-kit-user", "-n", n, "get", "service", "numbers-api"],
    );
    let (code, v, err) = trace(&c, n, &["--context", "kubectl-kit-user", "numbers-api"]);
    assert!(!err.contains("panicked"), "{err}");
    assert!(v.is_object(), "no JSON trace (exit {code}): {err}");
    let endpoints = hop(&v, "endpoints");
    assert_eq!(endpoints["status"], "warn", "{v}");
    assert!(endpoints["reason"].as_str().unwrap_or_default().contains("not visible"), "{v}");
    assert!(endpoints["reason"].as_str().unwrap_or_default().contains("forbidden"), "{v}");
    // The hops it may see are still traced.
    assert_eq!(hop(&v, "service")["status"], "ok", "{v}");
    assert!(hop(&v, "pods")["reason"].as_str().unwrap_or_default().contains("Ready"), "{v}");
    // A name that is not here: the server's NotFound, and the cluster-wide search it may not do
    // is said to be hidden rather than failing.
    let cache = tempfile::tempdir().expect("tempdir");
    let out = c
        .plugin("trace_svc", cache.path())
        .args(["--context", "kubectl-kit-user", "-n", n, "numbers-api-nope"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Error from server (NotFound): services \"numbers-api-nope\" not found"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}
