//! The failures between a Service and its pods that are not the pods' own, on the real cluster:
//! a controller the API server refuses (a real ResourceQuota, LimitRange, Pod Security labels
//! on the namespace, an admission webhook served by this crate, one whose Service has no
//! endpoints), rollouts, scale to zero, pods stuck before their containers run, liveness kills,
//! node pressure and cordons, a load balancer the cloud cannot provision, what depends on the
//! Service, StatefulSets and their governing Service, every container of a pod, and the
//! warnings that predict an outage. Each state is made by ordinary manifests, by the kwok
//! stages of `tests/fixtures/cluster/stages` or by the real controllers, never by patching
//! status from a test. For each, `kubectl trace-svc` exits as it should and names the cause,
//! the evidence and the next command, in text and in `-o json`; the text is a snapshot
//! (`tests/tests/snapshots/`, names, addresses and times filtered).

use std::sync::RwLock;

use kubectl_kit_tests::webhook::Webhook;
use kubectl_kit_tests::{Cluster, WAIT, converge, require_cluster, stderr, stdout};
use serde_json::Value;

/// Tests that add or change nodes take this for writing; the others that depend on the
/// scheduler's view of the nodes, for reading.
static NODES: RwLock<()> = RwLock::new(());

/// A Deployment (and its Service, port 80 → the container port named http), as YAML.
struct App<'a> {
    name: &'a str,
    replicas: u32,
    annotations: &'a [(&'a str, &'a str)],
    /// More of the container (indented as its fields).
    container: &'a str,
    /// More of the pod spec (indented as its fields).
    pod: &'a str,
    /// More of the Deployment spec (indented as its fields).
    spec: &'a str,
    node: Option<&'a str>,
    image: &'a str,
}

impl Default for App<'_> {
    fn default() -> Self {
        App {
            name: "api",
            replicas: 1,
            annotations: &[],
            container: "",
            pod: "",
            spec: "",
            node: Some("kit-node-a"),
            image: "numbers-api:v1",
        }
    }
}

fn manifest(app: &App) -> String {
    let annotations: String =
        app.annotations.iter().map(|(k, v)| format!("        {k}: {}\n", Value::from(*v))).collect();
    let annotations = if annotations.is_empty() { "        {}\n".to_string() } else { annotations };
    let node = app.node.map(|n| format!("      nodeSelector: {{kubernetes.io/hostname: {n}}}\n")).unwrap_or_default();
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
{spec}  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata:
      labels: {{app: {name}}}
      annotations:
{annotations}    spec:
{node}{pod}      containers:
      - name: app
        image: {image:?}
        ports: [{{name: http, containerPort: 80}}]
{container}---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  selector: {{app: {name}}}
  ports: [{{name: http, port: 80, targetPort: http}}]
",
        name = app.name,
        replicas = app.replicas,
        spec = app.spec,
        image = app.image,
        pod = app.pod,
        container = app.container,
    )
}

fn deploy(c: &Cluster, ns: &str, app: &App) {
    c.apply(ns, &manifest(app));
}

/// The objects of a kind, as `kubectl get -o json` lists them.
fn items(c: &Cluster, ns: &str, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["-n", ns, "get"];
    all.extend(args);
    all.extend(["-o", "json"]);
    let out = c.kubectl_ok(&all);
    serde_json::from_str::<Value>(&out).expect("a list")["items"].as_array().cloned().unwrap_or_default()
}

/// Waits until `check` holds for the objects `args` lists; the failure names `what` and shows
/// the objects as they last were.
fn wait_items(c: &Cluster, ns: &str, args: &[&str], what: &str, check: impl Fn(&[Value]) -> bool) {
    converge(&format!("{what} ({})", args.join(" ")), WAIT, || items(c, ns, args), |now| check(now));
}

/// Waits until a ReplicaSet of the app reports the API server's refusal.
fn wait_refused(c: &Cluster, ns: &str, app: &str, needle: &str) {
    wait_items(
        c,
        ns,
        &["replicasets", "-l", &format!("app={app}")],
        &format!("a ReplicaSet refused: {needle}"),
        |rs| {
            rs.iter().any(|r| {
                r["status"]["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "ReplicaFailure" && c["message"].as_str().is_some_and(|m| m.contains(needle)))
            })
        },
    );
}

fn waiting(pod: &Value, i: usize) -> &str {
    pod["status"]["containerStatuses"][i]["state"]["waiting"]["reason"].as_str().unwrap_or_default()
}

/// `trace-svc -n NS SVC [ARGS]`: exit code, stdout, stderr.
fn trace(c: &Cluster, ns: &str, svc: &str, args: &[&str]) -> (i32, String, String) {
    let cache = tempfile::tempdir().expect("tempdir");
    let out = c
        .plugin("trace_svc", cache.path())
        .env("DOCKER_CONFIG", cache.path())
        .args(["-n", ns, svc])
        .args(args)
        .output()
        .expect("runs");
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

fn trace_json(c: &Cluster, ns: &str, svc: &str) -> (i32, Value) {
    let (code, out, err) = trace(c, ns, svc, &["-o", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (code, v)
}

/// Traces (`-o json`, then the text) until the JSON satisfies `when` and the text holds
/// `needle`, with the same exit status, as a user who runs it again would. For states the
/// controllers reach one after another (a refusal recorded, then the owner's counts) or that
/// cycle (a controller's retries).
fn trace_until(c: &Cluster, ns: &str, svc: &str, needle: &str, when: impl Fn(&Value) -> bool) -> (i32, Value, String) {
    trace_until_with(c, ns, svc, &[], needle, when)
}

/// [`trace_until`] with more arguments.
fn trace_until_with(
    c: &Cluster,
    ns: &str,
    svc: &str,
    args: &[&str],
    needle: &str,
    when: impl Fn(&Value) -> bool,
) -> (i32, Value, String) {
    // Built (if need be) before the state is waited for.
    kubectl_kit_tests::plugin_path("trace_svc");
    let json: Vec<&str> = args.iter().copied().chain(["-o", "json"]).collect();
    let (code, v, _, out, _) = converge(
        &format!("a trace of {ns}/{svc} showing {needle:?}"),
        WAIT,
        || {
            // The EndpointSlices agree with the pods before and after both traces: the
            // snapshot shows what the controllers settled on, not a write still to come.
            let before = caught_up(c, ns, svc);
            let (code, out, err) = trace(c, ns, svc, &json);
            let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
            let (text_code, out, _) = trace(c, ns, svc, args);
            let settled = before && caught_up(c, ns, svc);
            (code, v, text_code, out, settled)
        },
        |(code, v, text_code, out, settled)| *settled && when(v) && out.contains(needle) && code == text_code,
    );
    (code, v, out)
}

/// The Service's EndpointSlices list its Ready pods (see `Cluster::endpoints_caught_up`); a
/// read that fails counts as not yet.
fn caught_up(c: &Cluster, ns: &str, svc: &str) -> bool {
    c.endpoints_caught_up(ns, svc).unwrap_or(false)
}

fn hop<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["hops"].as_array().and_then(|h| h.iter().find(|h| h["hop"] == name)).unwrap_or(&Value::Null)
}

/// The first cause of a hop.
fn cause<'a>(v: &'a Value, name: &str) -> &'a Value {
    &hop(v, name)["causes"][0]
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn evidence(c: &Value) -> String {
    c["evidence"].as_array().map(|e| e.iter().map(text).collect::<Vec<_>>().join("\n")).unwrap_or_default()
}

fn details(h: &Value) -> String {
    h["details"].as_array().map(|e| e.iter().map(text).collect::<Vec<_>>().join("\n")).unwrap_or_default()
}

/// The text of the trace, for a snapshot: names, addresses, ids, times and counts that change
/// from run to run filtered out.
fn snapshot(name: &str, ns: &str, text: &str) {
    snapshot_with(name, ns, text, |_| {});
}

/// [`snapshot`] with more filters.
fn snapshot_with(name: &str, ns: &str, text: &str, more: impl FnOnce(&mut insta::Settings)) {
    kubectl_kit_tests::snapshot::trace(name, ns, text, more);
}

/// The owner's status counts `n` pods (the ReplicaSet controller counts a pod a moment after
/// it is made): what a snapshot of the owners hop needs to hold still.
fn counted(v: &Value, n: i64) -> bool {
    hop(v, "owners")["owners"][0]["current"] == n
}

/// A cluster-scoped object of the test's own, deleted on drop.
struct Owned<'a> {
    c: &'a Cluster,
    kind: &'static str,
    name: String,
}

impl Drop for Owned<'_> {
    fn drop(&mut self) {
        let _ = self.c.kubectl(&["delete", self.kind, &self.name, "--ignore-not-found", "--wait=false"]);
    }
}

fn owned<'a>(c: &'a Cluster, kind: &'static str, name: &str, manifest: &str) -> Owned<'a> {
    c.apply("default", manifest);
    Owned { c, kind, name: name.to_string() }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_resource_quota_that_refuses_the_pods_is_named_with_its_use() {
    let c = require_cluster!("owners quota");
    let ns = c.namespace("own-quota");
    let n = &ns.name;
    c.apply(n, "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute}\nspec:\n  hard: {pods: \"0\"}\n");
    deploy(&c, n, &App { replicas: 2, ..Default::default() });
    wait_refused(&c, n, "api", "exceeded quota: compute");
    let (code, v, out) = trace_until(&c, n, "api", "ResourceQuota compute", |v| !cause(v, "owners").is_null());
    assert_eq!(code, 1, "{v}");
    let k = cause(&v, "owners");
    assert_eq!(
        (text(&k["cause"]), text(&k["reason"]), text(&k["object"])),
        ("FailedCreate", "ResourceQuota", "ResourceQuota/compute"),
        "{k}"
    );
    assert_eq!(k["pods"], 2, "{k}");
    assert!(
        text(&k["message"]).contains("exceeded quota: compute, requested: pods=1, used: pods=0, limited: pods=0"),
        "{k}"
    );
    assert!(evidence(k).contains("ResourceQuota compute (used/hard): pods 0/0"), "{k}");
    assert_eq!(k["command"], format!("kubectl describe resourcequota compute -n {n}"));
    let owner = &hop(&v, "owners")["owners"][0];
    assert_eq!(
        (text(&owner["kind"]), owner["desired"].as_i64(), owner["current"].as_i64()),
        ("Deployment", Some(2), Some(0))
    );
    // The verdict is the owner's refusal, not the selector's.
    assert!(
        text(&v["verdict"])
            .contains("; owners: Deployment api: 2 desired, 0 current, 0 ready; FailedCreate: ReplicaSet api-"),
        "{v}"
    );
    assert!(text(&hop(&v, "selector")["reason"]).contains("Deployment api has none"), "{v}");
    snapshot("owners_quota", n, &out);

    // A StatefulSet has no ReplicaFailure condition: its controller's FailedCreate event says it.
    c.apply(
        n,
        "apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      nodeSelector: {kubernetes.io/hostname: kit-node-a}
      containers: [{name: app, image: numbers-api:v1, ports: [{name: http, containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: http, port: 80, targetPort: http}]
",
    );
    let (code, v, _) =
        trace_until(&c, n, "db", "ResourceQuota compute", |v| text(&cause(v, "owners")["reason"]) == "ResourceQuota");
    assert_eq!(code, 1, "{v}");
    let k = cause(&v, "owners");
    assert_eq!((text(&k["cause"]), text(&k["object"])), ("FailedCreate", "ResourceQuota/compute"), "{k}");
    assert!(text(&k["message"]).contains("exceeded quota: compute"), "{k}");
    assert!(text(&k["summary"]).is_empty(), "{k}");
    assert!(
        text(&v["verdict"]).contains(
            "owners: StatefulSet db: 1 desired, 0 current, 0 ready; FailedCreate: StatefulSet db cannot create pods"
        ),
        "{v}"
    );

    // Nor have a DaemonSet and a Job: each says it in a FailedCreate event of its own.
    let pod = "    metadata: {labels: {app: APP}}
    spec:
      nodeSelector: {kubernetes.io/hostname: kit-node-a}
      restartPolicy: RESTART
      containers: [{name: app, image: numbers-api:v1, ports: [{name: http, containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: APP}
spec:
  selector: {app: APP}
  ports: [{name: http, port: 80, targetPort: http}]
";
    c.apply(
        n,
        &format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: agent}}\nspec:\n  selector: {{matchLabels: {{app: agent}}}}\n  template:\n{}",
            pod.replace("APP", "agent").replace("RESTART", "Always")
        ),
    );
    c.apply(
        n,
        &format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: batch}}\nspec:\n  backoffLimit: 0\n  template:\n{}",
            pod.replace("APP", "batch").replace("RESTART", "Never")
        ),
    );
    for (svc, kind, wants) in [("agent", "DaemonSet", "1 node(s) to run on"), ("batch", "Job", "parallelism 1")] {
        let (code, v, out) = trace_until(&c, n, svc, "ResourceQuota compute", |v| {
            text(&cause(v, "owners")["reason"]) == "ResourceQuota" && hop(v, "owners")["owners"][0]["desired"] == 1
        });
        assert_eq!(code, 1, "{v}");
        let k = cause(&v, "owners");
        assert_eq!((text(&k["cause"]), text(&k["object"])), ("FailedCreate", "ResourceQuota/compute"), "{k}");
        assert!(text(&k["message"]).contains("exceeded quota: compute"), "{k}");
        assert_eq!(k["command"], format!("kubectl describe resourcequota compute -n {n}"));
        assert!(
            text(&v["verdict"]).contains(&format!(
                "owners: {kind} {svc}: {wants}, 0 current, 0 ready; FailedCreate: {kind} {svc} cannot create pods"
            )),
            "{v}"
        );
        snapshot(&format!("owners_quota_{}", kind.to_lowercase()), n, &out);
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_limit_range_and_pod_security_refuse_the_pods() {
    let c = require_cluster!("owners limits");
    let ns = c.namespace("own-limits");
    let n = &ns.name;
    c.apply(
        n,
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: small}\nspec:\n  limits:\n  - type: Container\n    max: {memory: 256Mi}\n",
    );
    deploy(
        &c,
        n,
        &App { name: "big", container: "        resources: {limits: {memory: 1Gi}}\n", ..Default::default() },
    );
    wait_refused(&c, n, "big", "maximum memory usage per Container is 256Mi");
    let (code, v) = trace_json(&c, n, "big");
    assert_eq!(code, 1, "{v}");
    let k = cause(&v, "owners");
    assert_eq!((text(&k["reason"]), text(&k["object"])), ("LimitRange", "LimitRange/small"), "{k}");
    assert!(evidence(k).contains("maximum memory usage per Container is 256Mi, but limit is 1Gi"), "{k}");
    assert_eq!(k["command"], format!("kubectl describe limitrange small -n {n}"));
    let (_, out, _) = trace(&c, n, "big", &[]);
    snapshot("owners_limit_range", n, &out);

    c.kubectl_ok(&["label", "namespace", n, "pod-security.kubernetes.io/enforce=restricted"]);
    deploy(&c, n, &App { name: "root", ..Default::default() });
    wait_refused(&c, n, "root", "violates PodSecurity");
    let (code, v) = trace_json(&c, n, "root");
    assert_eq!(code, 1, "{v}");
    let k = cause(&v, "owners");
    assert_eq!((text(&k["reason"]), text(&k["object"])), ("PodSecurity", format!("Namespace/{n}").as_str()), "{k}");
    assert!(text(&k["summary"]).is_empty(), "the summary is the text's, not a JSON field: {k}");
    let ev = evidence(k);
    assert!(ev.contains("allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false)"), "{k}");
    assert!(ev.contains(&format!("namespace {n}: pod-security.kubernetes.io/enforce=restricted")), "{k}");
    assert_eq!(k["command"], format!("kubectl edit deployment/root -n {n}"));
    let (_, out, _) = trace(&c, n, "root", &[]);
    assert!(out.contains("they violate Pod Security \"restricted:latest\""), "{out}");
    snapshot("owners_pod_security", n, &out);
}

/// A ValidatingWebhookConfiguration of the test's own, for its namespace only.
fn webhook_config<'a>(c: &'a Cluster, ns: &str, name: &str, client: &str, policy: &str) -> Owned<'a> {
    owned(
        c,
        "validatingwebhookconfiguration",
        name,
        &format!(
            "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {{name: {name}}}
webhooks:
- name: pods.kit.example.com
  clientConfig: {client}
  rules: [{{operations: [CREATE], apiGroups: [''], apiVersions: [v1], resources: [pods]}}]
  namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {ns}}}}}
  objectSelector: {{matchLabels: {{kit.example.com/guarded: 'yes'}}}}
  failurePolicy: {policy}
  timeoutSeconds: 2
  sideEffects: None
  admissionReviewVersions: [v1]
"
        ),
    )
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn an_admission_webhook_that_denies_the_pods() {
    let c = require_cluster!("owners webhook denies");
    let ns = c.namespace("own-deny");
    let n = &ns.name;
    let hook = Webhook::deny("pods here need an owner label (kit.example.com/owner)");
    let name = format!("kit-deny-{n}");
    let client = format!("{{url: {:?}, caBundle: {}}}", hook.url, hook.ca_bundle);
    let _cfg = webhook_config(&c, n, &name, &client, "Fail");
    deploy(&c, n, &App { ..Default::default() });
    c.kubectl_ok(&[
        "-n",
        n,
        "patch",
        "deployment",
        "api",
        "-p",
        r#"{"spec":{"template":{"metadata":{"labels":{"kit.example.com/guarded":"yes"}}}}}"#,
    ]);
    wait_refused(&c, n, "api", "denied the request");
    assert!(hook.asked() > 0, "the API server asked the webhook");
    let (code, v, out) =
        trace_until(&c, n, "api", "denies them", |v| text(&cause(v, "owners")["reason"]) == "AdmissionWebhook");
    // The first ReplicaSet's pod serves until the new one replaces it: it never does.
    let k = cause(&v, "owners");
    assert_eq!(text(&k["object"]), format!("ValidatingWebhookConfiguration/{name}"), "{k}");
    assert!(
        text(&k["message"])
            .contains("admission webhook \"pods.kit.example.com\" denied the request: pods here need an owner label"),
        "{k}"
    );
    assert_eq!(k["command"], format!("kubectl get validatingwebhookconfiguration {name} -o yaml"));
    assert_eq!(code, if v["status"] == "fail" { 1 } else { 0 }, "{v}");
    snapshot("owners_webhook_denies", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_webhook_whose_service_has_no_endpoints_is_traced_one_level_and_from_its_side() {
    let c = require_cluster!("owners webhook down");
    let ns = c.namespace("own-down");
    let n = &ns.name;
    // The webhook's Service selects no pod.
    c.apply(
        n,
        "apiVersion: v1\nkind: Service\nmetadata: {name: guard}\nspec:\n  selector: {app: guard}\n  ports: [{name: https, port: 443, targetPort: 8443}]\n",
    );
    let name = format!("kit-down-{n}");
    let _cfg = webhook_config(&c, n, &name, &format!("{{service: {{namespace: {n}, name: guard}}}}"), "Fail");
    let api_name = format!("v1alpha1.{n}.kit.example.com");
    let _api = owned(
        &c,
        "apiservice",
        &api_name,
        &format!(
            "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {{name: {api_name}}}\nspec:\n  group: {n}.kit.example.com\n  version: v1alpha1\n  service: {{namespace: {n}, name: guard, port: 443}}\n  insecureSkipTLSVerify: true\n  groupPriorityMinimum: 10\n  versionPriority: 10\n"
        ),
    );
    deploy(&c, n, &App { ..Default::default() });
    c.kubectl_ok(&[
        "-n",
        n,
        "patch",
        "deployment",
        "api",
        "-p",
        r#"{"spec":{"template":{"metadata":{"labels":{"kit.example.com/guarded":"yes"}}}}}"#,
    ]);
    wait_refused(&c, n, "api", "failed calling webhook");
    let (_, v, out) = trace_until(&c, n, "api", "is down", |v| {
        // The pod made before the webhook went down serves, once its EndpointSlice says so.
        text(&cause(v, "owners")["reason"]) == "AdmissionWebhook" && hop(v, "endpoints")["status"] != "fail"
    });
    let k = cause(&v, "owners");
    assert!(
        text(&k["summary"]).is_empty() && out.contains(&format!("cannot create pods because webhook pods.kit.example.com is down: its Service {n}/guard has 0 ready endpoints")),
        "{out}"
    );
    assert_eq!(text(&k["object"]), format!("Service/{n}/guard"), "{k}");
    assert_eq!(k["command"], format!("kubectl trace-svc guard -n {n}"));
    assert!(evidence(k).contains("calls it with failurePolicy Fail"), "{k}");
    snapshot("owners_webhook_down", n, &out);

    // From the webhook's side: what breaks while its Service has no endpoint.
    let (code, v, out) = trace_until(&c, n, "guard", "APIService", |v| {
        hop(v, "dependents")["dependents"].as_array().is_some_and(|d| d.len() == 2 && d[1]["condition"].is_string())
    });
    assert_eq!(code, 1, "{v}");
    let d = hop(&v, "dependents");
    assert_eq!(d["status"], "fail");
    let hooks = d["dependents"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        (text(&hooks[0]["kind"]), text(&hooks[0]["name"]), text(&hooks[0]["failurePolicy"])),
        ("ValidatingWebhookConfiguration", name.as_str(), "Fail")
    );
    assert_eq!(
        text(&hooks[0]["whenDown"]),
        format!(
            "the API server refuses CREATE pods in namespaces matching kubernetes.io/metadata.name={n}, for objects matching kit.example.com/guarded=yes"
        )
    );
    assert_eq!((text(&hooks[1]["kind"]), text(&hooks[1]["name"])), ("APIService", api_name.as_str()));
    assert!(text(&hooks[1]["condition"]).starts_with("Available False"), "{d}");
    snapshot("dependents_webhook_and_apiservice", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_rollout_stuck_past_its_deadline_with_both_versions_serving() {
    let c = require_cluster!("owners rollout");
    let ns = c.namespace("own-rollout");
    let n = &ns.name;
    let spec = "  progressDeadlineSeconds: 5\n  strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}\n";
    deploy(&c, n, &App { replicas: 2, spec, ..Default::default() });
    c.kubectl_ok(&["-n", n, "rollout", "status", "deployment/api", "--timeout=60s"]);
    // Version 2 cannot be pulled: its first pod never becomes available (so the rollout makes
    // no progress), the old ones keep serving.
    let ann = [("kit.example.com/fail", "image-pull")];
    deploy(&c, n, &App { replicas: 2, spec, image: "numbers-api:v2", annotations: &ann, ..Default::default() });
    wait_items(&c, n, &["deployments"], "ProgressDeadlineExceeded", |d| {
        d.iter().any(|d| {
            d["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["reason"] == "ProgressDeadlineExceeded")
        })
    });
    let (code, v, out) = trace_until(&c, n, "api", "ProgressDeadlineExceeded", |v| {
        text(&cause(v, "owners")["cause"]) == "ProgressDeadlineExceeded"
            && hop(v, "pods")["causes"][0]["cause"] == "ImagePullBackOff"
    });
    assert_eq!(code, 0, "the old version still serves: {v}");
    let k = cause(&v, "owners");
    let ev = evidence(k);
    assert!(ev.contains("serving: revision 2 (numbers-api:v2): 0 of 1 ready"), "{k}");
    assert!(ev.contains("serving: revision 1 (numbers-api:v1): 2 of 2 ready"), "{k}");
    assert_eq!(k["command"], format!("kubectl rollout undo deployment/api -n {n}"));
    let versions = hop(&v, "owners")["owners"][0]["versions"].as_array().cloned().unwrap_or_default();
    assert_eq!(versions.iter().map(|v| v["revision"].as_str().unwrap_or_default()).collect::<Vec<_>>(), ["2", "1"]);
    snapshot("owners_rollout_stuck", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_workload_scaled_to_zero_says_by_whom_and_its_autoscaler() {
    let c = require_cluster!("owners scaled to zero");
    let ns = c.namespace("own-zero");
    let n = &ns.name;
    deploy(&c, n, &App { replicas: 2, ..Default::default() });
    c.apply(
        n,
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: api}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  minReplicas: 2\n  maxReplicas: 4\n  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]\n",
    );
    c.kubectl_ok(&["-n", n, "scale", "deployment/api", "--replicas=0"]);
    wait_items(&c, n, &["pods", "-l", "app=api"], "no pod left", |p| p.is_empty());
    let (code, v, out) = trace_until(&c, n, "api", "ScalingDisabled", |v| {
        // The autoscaler records its condition a moment after the scale.
        text(&cause(v, "owners")["cause"]) == "ScaledToZero" && evidence(cause(v, "owners")).contains("ScalingDisabled")
    });
    assert_eq!(code, 1, "{v}");
    let k = cause(&v, "owners");
    let ev = evidence(k);
    // The API server records no manager for a write through /scale.
    assert!(
        ev.starts_with("no field manager owns spec.replicas: it was last set through the /scale subresource"),
        "{k}"
    );
    assert!(ev.contains("HorizontalPodAutoscaler api targets it (min 2, max 4)"), "{k}");
    assert!(
        ev.contains("ScalingActive ScalingDisabled: scaling is disabled since the replica count of the target is zero"),
        "{k}"
    );
    assert_eq!(k["command"], format!("kubectl scale deployment/api --replicas=2 -n {n}"));
    snapshot("owners_scaled_to_zero", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn pods_stuck_before_their_containers_run() {
    let c = require_cluster!("creating");
    let ns = c.namespace("own-creating");
    let n = &ns.name;
    deploy(
        &c,
        n,
        &App {
            name: "mount",
            annotations: &[("kit.example.com/fail", "mount")],
            pod: "      volumes: [{name: config, configMap: {name: app-config}}]\n",
            container: "        volumeMounts: [{name: config, mountPath: /etc/app}]\n",
            ..Default::default()
        },
    );
    deploy(
        &c,
        n,
        &App {
            name: "creds",
            annotations: &[("kit.example.com/fail", "mount")],
            pod: "      volumes: [{name: creds, secret: {secretName: db-creds}}]\n",
            container: "        volumeMounts: [{name: creds, mountPath: /var/run/creds}]\n",
            ..Default::default()
        },
    );
    deploy(
        &c,
        n,
        &App { name: "silent", annotations: &[("kit.example.com/fail", "runtime-down")], ..Default::default() },
    );
    deploy(
        &c,
        n,
        &App {
            name: "sandbox",
            annotations: &[("kit.example.com/fail", "sandbox")],
            pod: "      initContainers: [{name: migrate, image: numbers-api:v1}]\n",
            ..Default::default()
        },
    );
    deploy(
        &c,
        n,
        &App {
            name: "gated",
            node: None,
            pod: "      schedulingGates: [{name: kit.example.com/quota-check}]\n",
            ..Default::default()
        },
    );

    let (code, v, out) =
        trace_until(&c, n, "mount", "FailedMount", |v| cause(v, "pods")["cause"] == "FailedMount" && counted(v, 1));
    assert_eq!(code, 1);
    let k = cause(&v, "pods");
    assert_eq!(k["message"], "MountVolume.SetUp failed for volume \"config\" : configmap \"app-config\" not found");
    assert_eq!(text(&k["object"]), "ConfigMap/app-config");
    assert_eq!(k["command"], format!("kubectl create configmap app-config -n {n} --from-file=PATH"));
    assert!(out.contains("volume config cannot be mounted: ConfigMap app-config does not exist"), "{out}");
    snapshot("creating_mount", n, &out);
    // A missing Secret is named as a missing ConfigMap is, with the command that makes it.
    let (code, v, _) =
        trace_until(&c, n, "creds", "FailedMount", |v| cause(v, "pods")["cause"] == "FailedMount" && counted(v, 1));
    assert_eq!(code, 1);
    let k = cause(&v, "pods");
    assert_eq!(k["message"], "MountVolume.SetUp failed for volume \"creds\" : secret \"db-creds\" not found");
    assert_eq!(text(&k["object"]), "Secret/db-creds");
    assert_eq!(k["command"], format!("kubectl create secret generic db-creds -n {n} --from-file=PATH"));

    // A state no rule names (the kubelet writes no status at all): the pod's latest Warning
    // events are the evidence, not only "describe the pod".
    let (code, v, out) = trace_until(&c, n, "silent", "FailedSync", |v| {
        evidence(cause(v, "pods")).contains("event FailedSync") && counted(v, 1)
    });
    assert_eq!(code, 1, "{v}");
    let k = cause(&v, "pods");
    assert_eq!(text(&k["cause"]), "NotReady", "{k}");
    assert!(
        evidence(k).contains("error determining status: rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: connection refused\""),
        "{k}"
    );
    assert!(text(&k["command"]).starts_with("kubectl describe pod silent-"), "{k}");
    snapshot("creating_runtime_down", n, &out);

    let (code, v, out) = trace_until(&c, n, "sandbox", "sandbox", |v| {
        cause(v, "pods")["cause"] == "FailedCreatePodSandBox" && counted(v, 1)
    });
    assert_eq!(code, 1);
    let k = cause(&v, "pods");
    assert!(text(&k["message"]).starts_with("Failed to create pod sandbox: rpc error"), "{k}");
    assert!(out.contains("the pod's sandbox cannot be created before init container migrate can start"), "{out}");
    assert_eq!(k["command"], "kubectl get pods -n kube-system -o wide --field-selector spec.nodeName=kit-node-a");
    snapshot("creating_sandbox", n, &out);

    let (code, v, out) =
        trace_until(&c, n, "gated", "scheduling is held back by gate(s) kit.example.com/quota-check", |v| {
            cause(v, "pods")["cause"] == "SchedulingGated"
        });
    assert_eq!(code, 1, "{v}");
    let command = text(&cause(&v, "pods")["command"]);
    assert!(
        command.starts_with("kubectl get pod gated-")
            && command.ends_with(&format!(" -n {n} -o jsonpath={{.spec.schedulingGates}}")),
        "{out}"
    );

    // A claim bound to a volume the attach/detach controller cannot attach to the node.
    let pv = format!("kit-attach-{n}");
    let _pv = owned(
        &c,
        "persistentvolume",
        &pv,
        &format!(
            "apiVersion: v1\nkind: PersistentVolume\nmetadata: {{name: {pv}}}\nspec:\n  capacity: {{storage: 1Gi}}\n  accessModes: [ReadWriteOnce]\n  storageClassName: ''\n  claimRef: {{namespace: {n}, name: disk}}\n  hostPath: {{path: /var/lib/kit/{n}}}\n"
        ),
    );
    c.apply(
        n,
        &format!(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: disk}}\nspec:\n  accessModes: [ReadWriteOnce]\n  storageClassName: ''\n  volumeName: {pv}\n  resources: {{requests: {{storage: 1Gi}}}}\n"
        ),
    );
    deploy(
        &c,
        n,
        &App {
            name: "attach",
            annotations: &[("kit.example.com/fail", "attach")],
            pod: "      volumes: [{name: data, persistentVolumeClaim: {claimName: disk}}]\n",
            container: "        volumeMounts: [{name: data, mountPath: /data}]\n",
            ..Default::default()
        },
    );
    let (code, v, out) = trace_until(&c, n, "attach", "FailedAttachVolume", |v| {
        cause(v, "pods")["cause"] == "FailedAttachVolume" && counted(v, 1)
    });
    assert_eq!(code, 1, "{v}");
    let k = cause(&v, "pods");
    assert!(
        text(&k["message"])
            .starts_with("AttachVolume.Attach failed for volume \"pvc-disk\" : rpc error: code = DeadlineExceeded"),
        "{k}"
    );
    assert_eq!(text(&k["object"]), "Node/kit-node-a", "{k}");
    assert!(out.contains("a volume cannot be attached to the node"), "{out}");
    snapshot("creating_attach", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn restarts_by_a_failing_liveness_probe_are_told_apart_from_crashes() {
    let c = require_cluster!("liveness");
    let ns = c.namespace("own-live");
    let n = &ns.name;
    deploy(
        &c,
        n,
        &App {
            replicas: 2,
            annotations: &[("kit.example.com/fail", "liveness")],
            container: "        livenessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1, failureThreshold: 2}\n",
            ..Default::default()
        },
    );
    wait_items(&c, n, &["pods", "-l", "app=api"], "two pods backing off after a liveness kill", |p| {
        p.iter().filter(|p| waiting(p, 0) == "CrashLoopBackOff").count() == 2
    });
    let (code, v, out) = trace_until(&c, n, "api", "liveness probe", |v| {
        let k = cause(v, "pods");
        // The Deployment's counts follow the pods a moment later: both pods counted and none
        // ready, the state a second trace sees too.
        let owner = &hop(v, "owners")["owners"][0];
        k["cause"] == "LivenessProbeFailed"
            && k["pods"] == 2
            && evidence(k).contains("event Killing")
            && owner["current"] == 2
            && owner["ready"] == 0
    });
    assert_eq!(code, 1, "{v}");
    let k = cause(&v, "pods");
    assert_eq!((k["exitCode"].as_i64(), text(&k["reason"])), (Some(137), "Error"), "{k}");
    assert_eq!(k["message"], "Liveness probe failed: HTTP probe failed with statuscode: 500");
    let ev = evidence(k);
    assert!(ev.contains("failed liveness probe, will be restarted"), "{k}");
    assert!(ev.contains("not the kernel's OOM killer"), "{k}");
    assert!(
        out.contains("was killed by its liveness probe httpGet http://:http/healthz and restarted (exit 137)"),
        "{out}"
    );
    snapshot("liveness_kill", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn logs_shows_the_last_error_lines_of_one_crashed_pod_per_group_escaped() {
    let c = require_cluster!("logs");
    let ns = c.namespace("own-logs");
    let n = &ns.name;
    let ann = [("kit.example.com/fail", "crashloop"), ("kit.example.com/exit-code", "3")];
    deploy(&c, n, &App { replicas: 2, annotations: &ann, ..Default::default() });
    let pods = c.wait_pods(n, "app=api", 2, "crashed at least once", |p| {
        !p.last_exit().is_empty() || p.waiting() == "CrashLoopBackOff"
    });
    // kwok (the kubelet here) serves a container's logs from the files a Logs object names; this
    // one's previous run ended with an error, a retry and a FATAL line in terminal colours.
    let file = kubectl_kit_tests::root().join("tests/fixtures/cluster/logs/crash-previous.log");
    let file = Value::from(file.display().to_string());
    for p in &pods {
        c.apply(
            n,
            &format!(
                "apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Logs\nmetadata: {{name: {}}}\nspec:\n  logs:\n  - containers: [app]\n    logsFile: {file}\n    previousLogsFile: {file}\n",
                p.name
            ),
        );
    }
    let (code, v, out) = trace_until_with(&c, n, "api", &["--logs"], "last error lines", |v| {
        cause(v, "pods")["logs"].as_array().is_some_and(|l| !l.is_empty())
    });
    assert_eq!(code, 1, "{v}");
    let k = cause(&v, "pods");
    assert_eq!(k["cause"], "CrashLoopBackOff", "{k}");
    // Only the error lines, the last of them; in JSON as the log has them.
    assert_eq!(
        k["logs"],
        serde_json::json!([
            "ERROR db: dial tcp 10.96.0.10:5432: connect: connection refused",
            "\u{1b}[31mFATAL\u{1b}[0m: DATABASE_URL is not set"
        ]),
        "{k}"
    );
    // In the text, escaped like every other string from the cluster: no escape sequence reaches
    // the terminal.
    assert!(out.contains("| ERROR db: dial tcp 10.96.0.10:5432: connect: connection refused"), "{out}");
    assert!(!out.contains('\u{1b}'), "{out}");
    assert!(out.contains("FATAL") && out.contains(": DATABASE_URL is not set"), "{out}");
    assert!(!out.contains("retrying in 1s"), "{out}");
    // Without --logs no log is read.
    let (_, v) = trace_json(&c, n, "api");
    assert!(cause(&v, "pods")["logs"].is_null(), "{v}");
}

/// A node of the test's own (other tests' pods stay off it by a taint), deleted at the end.
struct TestNode<'a> {
    c: &'a Cluster,
    name: String,
}

impl<'a> TestNode<'a> {
    fn new(c: &'a Cluster, role: &str) -> Self {
        let name = format!("kit-test-{role}-{}", std::process::id());
        c.apply(
            "default",
            &format!(
                "apiVersion: v1
kind: Node
metadata:
  name: {name}
  annotations: {{kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: \"0\"}}
  labels: {{type: kwok, kubernetes.io/hostname: {name}, kubernetes.io/os: linux}}
spec:
  taints: [{{key: kit.example.com/test-node, effect: NoSchedule}}]
status:
  allocatable: {{cpu: \"32\", memory: 256Gi, pods: \"110\"}}
  capacity: {{cpu: \"32\", memory: 256Gi, pods: \"110\"}}
"
            ),
        );
        c.kubectl_ok(&["wait", "--for=condition=Ready", &format!("node/{name}"), "--timeout=60s"]);
        TestNode { c, name }
    }
}

impl Drop for TestNode<'_> {
    fn drop(&mut self) {
        let _ = self.c.kubectl(&["delete", "node", &self.name, "--wait=true", "--timeout=30s"]);
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn node_pressure_and_cordons_are_tied_to_the_pods_they_explain() {
    let c = require_cluster!("node pressure");
    let _nodes = NODES.write().unwrap_or_else(|p| p.into_inner());
    let hot = TestNode::new(&c, "pressure");
    let ns = c.namespace("own-node");
    let n = &ns.name;
    let tolerate = "      tolerations: [{key: kit.example.com/test-node, operator: Exists}]\n";
    deploy(&c, n, &App { name: "running", node: Some(&hot.name), pod: tolerate, ..Default::default() });
    c.kubectl_ok(&["-n", n, "rollout", "status", "deployment/running", "--timeout=60s"]);
    c.kubectl_ok(&["annotate", "node", &hot.name, "kit.example.com/fail=memory-pressure"]);
    // The node lifecycle controller taints the node after kwok sets the condition.
    converge(
        &format!("node {}: the memory-pressure taint", hot.name),
        WAIT,
        || c.kubectl_ok(&["get", "node", &hot.name, "-o", "jsonpath={.spec.taints[*].key}"]),
        |keys| keys.contains("node.kubernetes.io/memory-pressure"),
    );
    // A pod already there keeps running: the node warns.
    let (code, v, out) = trace_until(&c, n, "running", "MemoryPressure", |v| hop(v, "nodes")["status"] == "warn");
    assert_eq!(code, 0, "{v}");
    let nodes = hop(&v, "nodes");
    assert_eq!(nodes["status"], "warn", "{v}");
    assert!(
        details(nodes).contains(&format!(
            "node {} has MemoryPressure (KubeletHasInsufficientMemory: kubelet has insufficient memory available)",
            hot.name
        )),
        "{v}"
    );
    snapshot("node_memory_pressure", n, &out);
    // A new pod for that node is not placed: the taint, and the condition behind it.
    deploy(&c, n, &App { name: "pending", node: Some(&hot.name), pod: tolerate, ..Default::default() });
    let (code, v, _) =
        trace_until(&c, n, "pending", "MemoryPressure", |v| cause(v, "pods")["cause"] == "Unschedulable");
    assert_eq!(code, 1);
    let k = cause(&v, "pods");
    assert!(evidence(k).contains("taint node.kubernetes.io/memory-pressure:NoSchedule (not tolerated)"), "{k}");
    assert!(evidence(k).contains(&format!("node {} has MemoryPressure", hot.name)), "{k}");
    assert_eq!(k["command"], format!("kubectl describe node {}", hot.name));
    // A cordoned node.
    let cold = TestNode::new(&c, "cordoned");
    c.kubectl_ok(&["cordon", &cold.name]);
    deploy(&c, n, &App { name: "cordoned", node: Some(&cold.name), pod: tolerate, ..Default::default() });
    let (code, v, out) = trace_until(&c, n, "cordoned", "cordoned", |v| cause(v, "pods")["cause"] == "Unschedulable");
    assert_eq!(code, 1);
    let k = cause(&v, "pods");
    assert!(evidence(k).contains(&format!("node {} is cordoned (spec.unschedulable)", cold.name)), "{k}");
    snapshot("node_cordoned", n, &out);
    drop(cold);

    // The other conditions the kubelet (or the network plugin) reports, each with its reason
    // and message, on a node whose pod keeps running.
    for (fail, condition, why) in [
        ("disk-pressure", "DiskPressure", "KubeletHasDiskPressure: kubelet has disk pressure"),
        ("pid-pressure", "PIDPressure", "KubeletHasInsufficientPID: kubelet has insufficient PID available"),
        ("network-unavailable", "NetworkUnavailable", "NoRouteCreated: Node created without a route"),
    ] {
        let node = TestNode::new(&c, fail);
        let app = fail.replace("-", "");
        deploy(&c, n, &App { name: &app, node: Some(&node.name), pod: tolerate, ..Default::default() });
        c.kubectl_ok(&["-n", n, "rollout", "status", &format!("deployment/{app}"), "--timeout=60s"]);
        c.kubectl_ok(&["annotate", "node", &node.name, &format!("kit.example.com/fail={fail}")]);
        let line = format!("node {} has {condition} ({why})", node.name);
        // The condition, once the EndpointSlice controller lists the pod as ready (it lags the
        // pod's own Ready on a busy machine; one ready endpoint is a warning, none a failure).
        let (code, v, _) = trace_until(&c, n, &app, &line, |v| {
            hop(v, "nodes")["status"] == "warn" && hop(v, "endpoints")["status"] != "fail"
        });
        assert_eq!(code, 0, "its pod still serves: {v}");
        let nodes = hop(&v, "nodes");
        assert!(details(nodes).contains(&line), "{v}");
        assert_eq!(nodes["fix"], format!("kubectl describe node {}", node.name), "{v}");
    }
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_load_balancer_the_cloud_cannot_provision_says_why() {
    let c = require_cluster!("load balancer");
    let ns = c.namespace("own-lb");
    let n = &ns.name;
    deploy(&c, n, &App { replicas: 2, ..Default::default() });
    c.kubectl_ok(&[
        "-n",
        n,
        "patch",
        "service",
        "api",
        "-p",
        r#"{"metadata":{"annotations":{"kit.example.com/fail":"load-balancer"}},"spec":{"type":"LoadBalancer"}}"#,
    ]);
    let (code, v, out) =
        trace_until(&c, n, "api", "SyncLoadBalancerFailed", |v| hop(v, "service")["events"].is_array());
    assert_eq!(code, 0, "inside the cluster traffic flows: {v}");
    let s = hop(&v, "service");
    assert_eq!(s["status"], "warn");
    assert_eq!(s["events"][0]["reason"], "SyncLoadBalancerFailed");
    assert!(
        text(&s["events"][0]["message"]).starts_with(
            "Error syncing load balancer: failed to ensure load balancer: googleapi: Error 403: QUOTA_EXCEEDED"
        ),
        "{s}"
    );
    assert!(text(&s["fix"]).starts_with("the load-balancer controller cannot provision it"), "{s}");
    snapshot("service_load_balancer_failed", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn statefulsets_and_their_governing_services() {
    let c = require_cluster!("statefulsets");
    let ns = c.namespace("own-sts");
    let n = &ns.name;
    let sts = |name: &str, governing: &str| {
        format!(
            "apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: {name}}}
spec:
  serviceName: {governing}
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      nodeSelector: {{kubernetes.io/hostname: kit-node-a}}
      containers: [{{name: app, image: numbers-api:v1, ports: [{{name: http, containerPort: 80}}]}}]
"
        )
    };
    c.apply(n, &sts("db", "db"));
    c.apply(n, "apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  clusterIP: None\n  selector: {app: db}\n  ports: [{name: http, port: 80, targetPort: http}]\n");
    c.apply(n, &sts("cache", "cache-headless"));
    c.apply(n, "apiVersion: v1\nkind: Service\nmetadata: {name: cache}\nspec:\n  selector: {app: cache}\n  ports: [{name: http, port: 80, targetPort: http}]\n");
    for s in ["db", "cache"] {
        c.kubectl_ok(&["-n", n, "rollout", "status", &format!("statefulset/{s}"), "--timeout=90s"]);
    }
    let (code, v) = trace_json(&c, n, "db");
    assert_eq!(code, 0, "{v}");
    let o = &hop(&v, "owners")["owners"][0];
    assert_eq!((text(&o["kind"]), text(&o["name"]), text(&o["serviceName"])), ("StatefulSet", "db", "db"), "{o}");
    assert!(details(hop(&v, "owners")).contains("governing Service db (DNS names db-N.db)"), "{v}");

    let (code, v) = trace_json(&c, n, "cache");
    assert_eq!(code, 0, "{v}");
    let k = cause(&v, "owners");
    assert_eq!((text(&k["cause"]), text(&k["object"])), ("GoverningServiceMissing", "Service/cache-headless"), "{k}");
    assert_eq!(k["command"], format!("kubectl create service clusterip cache-headless --clusterip=None -n {n}"));
    let (_, _, out) = trace_until(&c, n, "cache", "governing Service cache-headless does not exist", |v| {
        hop(v, "endpoints")["status"] == "ok"
    });
    // The endpoints are listed by address, which the snapshot hides: the two pods' lines are
    // made alike so that their order does not matter.
    snapshot_with("owners_governing_service_missing", n, &out, |s| s.add_filter(r"(ready pod cache)-[01]\b", "$1-[n]"));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn every_container_of_a_pod_and_the_exits_of_an_ended_pod() {
    let c = require_cluster!("every container");
    let ns = c.namespace("own-containers");
    let n = &ns.name;
    let ann = [
        ("kit.example.com/fail", "containers"),
        ("kit.example.com/state.app", "crashloop"),
        ("kit.example.com/exit-code", "3"),
        ("kit.example.com/state.hook", "prestart-hook"),
        ("kit.example.com/state.sidecar", "creating"),
    ];
    let more = "      - {name: hook, image: numbers-api:v1}\n      - {name: sidecar, image: numbers-api:v1}\n";
    deploy(&c, n, &App { name: "mixed", annotations: &ann, container: more, ..Default::default() });
    // Once the EndpointSlice controller lists the pod (not ready), as the snapshot shows it.
    let (code, v, out) = trace_until(&c, n, "mixed", "PreStartHookError", |v| {
        cause(v, "pods")["otherContainers"].as_array().is_some_and(|o| o.len() == 2)
            && hop(v, "endpoints").to_string().contains("0 ready of 1 address(es)")
    });
    assert_eq!(code, 1);
    let k = cause(&v, "pods");
    assert_eq!(
        (text(&k["cause"]), text(&k["container"]), k["exitCode"].as_i64()),
        ("CrashLoopBackOff", "app", Some(3)),
        "{k}"
    );
    let others: Vec<(String, String)> = k["otherContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| (text(&o["container"]).to_string(), text(&o["cause"]).to_string()))
        .collect();
    assert_eq!(
        others,
        [
            ("hook".to_string(), "PreStartHookError".to_string()),
            ("sidecar".to_string(), "ContainerCreating".to_string())
        ]
    );
    assert!(out.contains("(also: hook PreStartHookError, sidecar ContainerCreating)"), "{out}");
    assert!(out.contains("Internal PreStartContainer hook failed: not enough cpus available"), "{out}");
    snapshot("every_container", n, &out);

    // A pod that ran once and ended (restartPolicy Never): which containers exited with what.
    c.apply(
        n,
        "apiVersion: v1
kind: Pod
metadata:
  name: once
  labels: {app: once}
  annotations: {kit.example.com/fail: exit, kit.example.com/exit-code.app: \"3\", kit.example.com/exit-code.side: \"0\"}
spec:
  restartPolicy: Never
  nodeSelector: {kubernetes.io/hostname: kit-node-a}
  containers: [{name: app, image: numbers-api:v1, ports: [{name: http, containerPort: 80}]}, {name: side, image: numbers-api:v1}]
---
apiVersion: v1
kind: Service
metadata: {name: once}
spec:
  selector: {app: once}
  ports: [{name: http, port: 80, targetPort: http}]
",
    );
    let (code, v, out) = trace_until(&c, n, "once", "exited with 3", |v| cause(v, "pods")["cause"] == "Failed");
    assert_eq!(code, 1);
    let k = cause(&v, "pods");
    assert_eq!((text(&k["container"]), k["exitCode"].as_i64()), ("app", Some(3)), "{k}");
    assert!(out.contains("container app exited with 3 (Error), container side exited with 0 (Completed)"), "{out}");
    assert_eq!(k["command"], format!("kubectl logs once -c app -n {n}"));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn a_claim_that_cannot_bind_says_why() {
    let c = require_cluster!("claims");
    let _nodes = NODES.read().unwrap_or_else(|p| p.into_inner());
    let ns = c.namespace("own-claim");
    let n = &ns.name;
    c.apply(
        n,
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  accessModes: [ReadWriteOnce]\n  storageClassName: kit-none\n  resources: {requests: {storage: 1Gi}}\n",
    );
    deploy(
        &c,
        n,
        &App {
            name: "db",
            node: None,
            pod: "      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]\n",
            ..Default::default()
        },
    );
    let (code, v, out) =
        trace_until(&c, n, "db", "ProvisioningFailed", |v| cause(v, "pods")["cause"] == "Unschedulable");
    assert_eq!(code, 1);
    let k = cause(&v, "pods");
    assert!(
        evidence(k).contains("PersistentVolumeClaim data: Pending, storageClassName kit-none, which does not exist"),
        "{k}"
    );
    assert!(evidence(k).contains("event ProvisioningFailed ×"), "{k}");
    assert!(evidence(k).contains("storageclass.storage.k8s.io \"kit-none\" not found"), "{k}");
    assert_eq!(text(&k["object"]), "PersistentVolumeClaim/data");
    snapshot("claim_provisioning_failed", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn warnings_that_predict_an_outage() {
    let c = require_cluster!("warnings");
    let ns = c.namespace("own-warn");
    let n = &ns.name;
    deploy(&c, n, &App { ..Default::default() });
    c.apply(
        n,
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-frontend}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: kit-nobody}}}], ports: [{port: 80}]}]
",
    );
    c.kubectl_ok(&["-n", n, "rollout", "status", "deployment/api", "--timeout=60s"]);
    let (code, v, out) =
        trace_until(&c, n, "api", "single ready endpoint", |v| hop(v, "endpoints")["status"] == "warn");
    assert_eq!(code, 0, "{v}");
    assert!(details(hop(&v, "pods")).contains("without a readiness probe"), "{v}");
    let np = hop(&v, "network-policy");
    assert_eq!(np["status"], "warn", "{v}");
    assert!(details(np).contains("NetworkPolicy from-frontend allows peers in namespaces matching team=kit-nobody, but no namespace has those labels"), "{v}");
    snapshot("warnings", n, &out);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn reads_stay_bounded_and_what_rbac_hides_is_not_visible() {
    let c = require_cluster!("owners budget");
    let ns = c.namespace("own-budget");
    let n = &ns.name;
    c.apply(n, "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute}\nspec:\n  hard: {pods: \"150\"}\n");
    let ann = [("kit.example.com/fail", "crashloop"), ("kit.example.com/exit-code", "3")];
    deploy(&c, n, &App { replicas: 200, annotations: &ann, ..Default::default() });
    wait_refused(&c, n, "api", "exceeded quota: compute");
    wait_items(&c, n, &["pods", "-l", "app=api"], "150 pods that crashed", |p| {
        p.iter()
            .filter(|p| {
                p["status"]["containerStatuses"][0]["lastState"]["terminated"].is_object()
                    || waiting(p, 0) == "CrashLoopBackOff"
            })
            .count()
            >= 150
    });
    let (_, out, err) = trace(&c, n, "api", &["-o", "json", "-v=6", "--logs"]);
    let requests: Vec<&str> = err.lines().filter(|l| l.contains("\"Response\" verb=")).collect();
    // 8 first reads, the pods, 4 more together (ReplicaSets, Deployments, Ingresses, CoreDNS),
    // the quotas; then per group of pods at most a Killing list or a log.
    assert!(requests.len() <= 16, "{} requests for 150 pods:\n{err}", requests.len());
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(text(&cause(&v, "owners")["reason"]), "ResourceQuota", "{v}");
    assert!(requests.iter().any(|l| l.contains("/resourcequotas")), "{err}");

    // A user who may read the namespace's pods and Services only: the rest is not visible.
    c.grant_kit_user(n, "pods-only", "- {apiGroups: [''], resources: [pods, services], verbs: [get, list]}");
    converge(
        "the pods-only role to let the user read Service api",
        WAIT,
        || c.kubectl(&["--context", "kubectl-kit-user", "-n", n, "get", "service", "api"]).status.success(),
        |ok| *ok,
    );
    let (code, out, err) = trace(&c, n, "api", &["--context", "kubectl-kit-user", "-o", "json"]);
    assert!(!err.contains("panicked"), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}, exit {code}): {out}\n{err}"));
    let owners = hop(&v, "owners");
    assert!(text(&owners["reason"]).contains("ReplicaSets are not visible: forbidden"), "{v}");
    let deps = hop(&v, "dependents");
    assert!(text(&deps["reason"]).contains("ValidatingWebhookConfigurations are not visible: forbidden"), "{v}");
    assert_eq!(deps["status"], "ok", "{v}");
}
