//! `kubectl trace-svc` started where users start, on the real cluster: `ingress/NAME`, a URL
//! matched against the cluster's Ingresses and HTTPRoutes, and `httproute/NAME`. The objects are
//! real (IngressClass, Ingress, TLS Secrets, the Gateway API's standard CRDs that `cargo xtask
//! cluster up` installs); no Ingress or Gateway controller runs here, so every status is the API
//! server's own and the trace must say that no controller has answered.

use std::path::Path;

use kubectl_kit_tests::{Cluster, Counts, WAIT, converge, require_cluster, stderr, stdout};
use serde_json::Value;

fn trace(c: &Cluster, ns: &str, args: &[&str]) -> (i32, Value, String) {
    let cache = tempfile::tempdir().expect("tempdir");
    let out = c.plugin("trace_svc", cache.path()).args(["-n", ns, "-o", "json"]).args(args).output().expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v, stderr(&out))
}

fn trace_text(c: &Cluster, ns: &str, args: &[&str]) -> (i32, String) {
    let cache = tempfile::tempdir().expect("tempdir");
    let out = c.plugin("trace_svc", cache.path()).args(["-n", ns]).args(args).output().expect("runs");
    (out.status.code().unwrap_or(-1), stdout(&out))
}

/// The way in of a trace from an entry point (the verdict and the hops up to the Service's own,
/// which the failure tests snapshot), as [`kubectl_kit_tests::snapshot::trace`] filters it. The
/// Service's hops would also show where the scheduler placed its pods.
/// Other namespaces of the test (a backend's) are `[other]`; the classes listed as what exists
/// are the cluster's, which other tests running at the same time make and delete.
fn snapshot(name: &str, ns: &str, others: &[&str], out: &str) {
    let way_in: Vec<&str> = out.lines().take_while(|l| l.split_whitespace().nth(2) != Some("dns")).collect();
    let rest = if way_in.len() < out.lines().count() { "\n(the Service's trace follows)" } else { "" };
    kubectl_kit_tests::snapshot::trace(name, ns, &format!("{}{rest}", way_in.join("\n")), |s| {
        for o in others {
            s.add_filter(&kubectl_kit_tests::snapshot::regex_escape(o), "[other]");
        }
        s.add_filter(r"(IngressClasses|GatewayClasses): [^\n]*", "$1: [the cluster's]");
    });
}

fn hop<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["hops"].as_array().and_then(|h| h.iter().find(|h| h["hop"] == name)).unwrap_or(&Value::Null)
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn lines(v: &Value) -> String {
    v.as_array().map(|d| d.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("\n")).unwrap_or_default()
}

/// A cluster-scoped object a test made (an IngressClass, a GatewayClass): deleted on drop, as
/// the test's namespace is.
struct ClusterScoped {
    cluster: Cluster,
    what: String,
}

impl Drop for ClusterScoped {
    fn drop(&mut self) {
        let _ = self.cluster.kubectl(&["delete", &self.what, "--wait=false", "--ignore-not-found"]);
    }
}

fn cluster_scoped(c: &Cluster, manifest: &str, what: String) -> ClusterScoped {
    c.apply("default", manifest);
    ClusterScoped { cluster: c.clone(), what }
}

/// numbers-api's two pods behind its Service (port 80, named http), and two more Services on the
/// same pods: `fallback` (port 8080) for a defaultBackend, `spare` (port 80) for a route that
/// names a port it does not have.
fn backends(c: &Cluster, ns: &str) {
    c.apply_fixture(ns, "numbers-api");
    c.apply(
        ns,
        "apiVersion: v1\nkind: Service\nmetadata: {name: fallback}\nspec:\n  selector: {app: numbers-api}\n  ports: [{name: alt, port: 8080, targetPort: http}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: spare}\nspec:\n  selector: {app: numbers-api}\n  ports: [{name: web, port: 80, targetPort: http}]\n",
    );
    c.wait_replicas(ns, "deployment/numbers-api", 2);
    c.wait_endpoints(ns, "numbers-api", Counts::listing(2, 2));
    c.wait_endpoints(ns, "fallback", Counts::listing(2, 2));
    c.wait_endpoints(ns, "spare", Counts::listing(2, 2));
}

/// A self-signed certificate for `hosts` and its key, written as PEM files in `dir`.
fn certificate(dir: &Path, stem: &str, hosts: &[&str]) -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a P-256 key");
    let params =
        rcgen::CertificateParams::new(hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>()).expect("parameters");
    let cert = params.self_signed(&key).expect("self-signed certificate");
    let crt = dir.join(format!("{stem}.crt"));
    let pem = dir.join(format!("{stem}.key"));
    std::fs::write(&crt, cert.pem()).expect("write certificate");
    std::fs::write(&pem, key.serialize_pem()).expect("write key");
    (crt.display().to_string(), pem.display().to_string())
}

fn replace_secret(c: &Cluster, ns: &str, args: &[&str]) {
    let _ = c.kubectl(&["delete", "secret", "shop-tls", "-n", ns, "--ignore-not-found"]);
    let mut all = vec!["create", "secret"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-n", ns]);
    c.kubectl_ok(&all);
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn ingress_rules_paths_backends_and_class() {
    let c = require_cluster!("trace-svc ingress");
    let ns = c.namespace("entry-ing");
    let n = &ns.name;
    let class = format!("kit-{n}");
    let _class = cluster_scoped(
        &c,
        &format!(
            "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {{name: {class}}}\nspec: {{controller: example.com/kit-ingress}}\n"
        ),
        format!("ingressclass/{class}"),
    );
    backends(&c, n);
    let host = format!("shop.{n}.example.com");
    // Before the Ingress (whose defaultBackend will serve every host): nothing serves the URL.
    // No other test makes an Ingress with a defaultBackend.
    // (An Ingress of an earlier test with a rule for every host may still be going away.)
    let (code, v, _) = converge(
        "no Ingress or HTTPRoute serving the URL",
        WAIT,
        || trace(&c, n, &[&format!("https://{host}/x")]),
        |(_, v, _)| !hop(v, "url").is_null(),
    );
    assert_eq!(code, 1, "{v}");
    let h = hop(&v, "url");
    assert_eq!(h["cause"], "NoRouteForURL", "{v}");
    assert!(text(&h["reason"]).contains(&format!("host {host} path /x")), "{h}");
    assert_eq!(h["command"], "kubectl get ingress,httproute -A");
    c.apply(
        n,
        &format!(
            "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: shop}}
spec:
  ingressClassName: {class}
  defaultBackend: {{service: {{name: fallback, port: {{number: 8080}}}}}}
  rules:
  - host: {host}
    http:
      paths:
      - {{path: /api, pathType: Prefix, backend: {{service: {{name: numbers-api, port: {{name: http}}}}}}}}
      - {{path: /exact, pathType: Exact, backend: {{service: {{name: numbers-api, port: {{number: 80}}}}}}}}
      - {{path: /impl, pathType: ImplementationSpecific, backend: {{service: {{name: numbers-api, port: {{number: 80}}}}}}}}
      - {{path: /broken, pathType: Prefix, backend: {{service: {{name: spare, port: {{number: 9999}}}}}}}}
"
        ),
    );

    // ingress/NAME: the class and its controller; no controller runs, so no address (a warning);
    // every route's backend is checked, and the one that names a port the Service lacks fails.
    let (code, v, err) = trace(&c, n, &["ingress/shop"]);
    assert_eq!(code, 1, "a route leads nowhere: {err}\n{v}");
    let class_hop = hop(&v, "ingress-class");
    assert_eq!(class_hop["status"], "warn", "{class_hop}");
    assert!(text(&class_hop["reason"]).contains(&format!("IngressClass {class} → controller example.com/kit-ingress")));
    assert_eq!(class_hop["cause"], "NoAddress", "{class_hop}");
    let backend = hop(&v, "backend");
    assert_eq!(backend["status"], "fail", "{backend}");
    assert_eq!(backend["cause"], "BackendPortNotFound");
    assert!(text(&backend["reason"]).contains("1 of 5 route(s) lead nowhere"), "{backend}");
    assert!(lines(&backend["details"]).contains("has no port numbered 9999"), "{backend}");
    assert!(lines(&backend["evidence"]).contains(&format!("Service {n}/spare ports: 80 (web)")), "{backend}");
    assert_eq!(v["entry"]["kind"], "Ingress");
    assert_eq!(v["entry"]["name"], format!("{n}/shop"));
    let (code, out) = trace_text(&c, n, &["ingress/shop"]);
    assert_eq!(code, 1, "{out}");
    snapshot("entry_ingress_routes", n, &[], &out);

    // A URL: Prefix matches element by element, and the rule's port by name is the Service's.
    let (code, v, err) = trace(&c, n, &[&format!("http://{host}/api/v1?x=1")]);
    assert_eq!(code, 0, "{err}\n{v}");
    assert_eq!(v["entry"]["rule"], format!("{host} /api (Prefix)"), "{v}");
    assert_eq!(v["entry"]["backend"], format!("{n}/numbers-api:http"));
    assert_eq!(v["service"], format!("{n}/numbers-api"));
    assert_eq!(hop(&v, "backend")["reason"], format!("Service {n}/numbers-api port http"));
    assert!(hop(&v, "tls").is_null(), "plain http reads no TLS Secret: {v}");
    // The Service's own trace follows the way in.
    assert_eq!(hop(&v, "endpoints")["status"], "ok", "{v}");
    assert!(text(&v["verdict"]).contains("would reach 2 of 2 pod(s)"), "{v}");
    // The pictures draw the way in above the Service: client → Ingress → rule → Service.
    let (code, dot) = trace_text(&c, n, &[&format!("http://{host}/api/v1"), "-o", "dot"]);
    assert_eq!(code, 0, "{dot}");
    assert!(dot.contains("subgraph cluster_entry"), "{dot}");
    assert!(dot.contains(&format!("Ingress {n}/shop")), "{dot}");
    for edge in ["client -> entry0", "entry0 -> entry1", "entry1 -> service"] {
        assert!(dot.contains(edge), "{edge}: {dot}");
    }
    let (_, mermaid) = trace_text(&c, n, &[&format!("http://{host}/api/v1"), "-o", "mermaid"]);
    assert!(mermaid.contains("subgraph entry [\"way in\"]"), "{mermaid}");
    assert!(mermaid.contains(&format!("{host} /api (Prefix)")), "{mermaid}");

    // `/apix` is not under `/api`: no rule matches, and the defaultBackend serves it.
    let (code, v, _) = trace(&c, n, &[&format!("http://{host}/apix")]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entry"]["rule"], "defaultBackend");
    assert_eq!(v["entry"]["backend"], format!("{n}/fallback:8080"));
    assert!(text(&hop(&v, "ingress-rule")["reason"]).starts_with("no rule matches"), "{v}");

    // Exact: `/exact` matches, `/exact/` does not.
    let (_, v, _) = trace(&c, n, &[&format!("http://{host}/exact")]);
    assert_eq!(v["entry"]["rule"], format!("{host} /exact (Exact)"), "{v}");
    assert_eq!(v["entry"]["backend"], format!("{n}/numbers-api:80"));
    let (_, v, _) = trace(&c, n, &[&format!("http://{host}/exact/")]);
    assert_eq!(v["entry"]["rule"], "defaultBackend", "{v}");

    // ImplementationSpecific: matched as Prefix, and said so.
    let (_, v, _) = trace(&c, n, &[&format!("http://{host}/impl/deeper")]);
    assert_eq!(v["entry"]["rule"], format!("{host} /impl (ImplementationSpecific)"), "{v}");
    assert!(lines(&hop(&v, "ingress-rule")["details"]).contains("matched here as Prefix"), "{v}");

    // The broken route, reached by URL: the Service's trace is not reached.
    let (code, v, _) = trace(&c, n, &[&format!("http://{host}/broken")]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["status"], "fail");
    assert!(text(&v["verdict"]).contains("reaches no Service"), "{v}");
    assert!(hop(&v, "endpoints").is_null(), "{v}");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn ingress_tls_secret_missing_wrong_type_or_not_covering_the_host() {
    let c = require_cluster!("trace-svc ingress tls");
    let ns = c.namespace("entry-tls");
    let n = &ns.name;
    let class = format!("kit-{n}");
    let _class = cluster_scoped(
        &c,
        &format!(
            "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {{name: {class}}}\nspec: {{controller: example.com/kit-ingress}}\n"
        ),
        format!("ingressclass/{class}"),
    );
    backends(&c, n);
    let host = format!("secure.{n}.example.com");
    c.apply(
        n,
        &format!(
            "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: shop}}
spec:
  ingressClassName: {class}
  tls: [{{hosts: [{host}], secretName: shop-tls}}]
  rules:
  - host: {host}
    http:
      paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: numbers-api, port: {{number: 80}}}}}}}}]
"
        ),
    );
    let url = format!("https://{host}/");

    // Missing.
    let (code, v, _) = trace(&c, n, &[&url]);
    assert_eq!(code, 1, "{v}");
    let tls = hop(&v, "tls");
    assert_eq!((&tls["status"], &tls["cause"]), (&"fail".into(), &"TLSSecretNotFound".into()), "{tls}");
    let (code, out) = trace_text(&c, n, &[&url]);
    assert_eq!(code, 1);
    assert!(out.contains("cause: TLSSecretNotFound"), "{out}");
    assert!(out.contains("next: "), "{out}");

    // Of the wrong type: an Opaque Secret holding the same keys.
    let dir = tempfile::tempdir().expect("tempdir");
    let (crt, key) = certificate(dir.path(), "right", &[&host]);
    replace_secret(
        &c,
        n,
        &["generic", "shop-tls", &format!("--from-file=tls.crt={crt}"), &format!("--from-file=tls.key={key}")],
    );
    let (code, v, _) = trace(&c, n, &[&url]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(hop(&v, "tls")["cause"], "TLSSecretWrongType", "{v}");

    // A TLS Secret whose certificate is for another host.
    let (other_crt, other_key) = certificate(dir.path(), "other", &["elsewhere.example.com"]);
    replace_secret(&c, n, &["tls", "shop-tls", &format!("--cert={other_crt}"), &format!("--key={other_key}")]);
    let (code, v, _) = trace(&c, n, &[&url]);
    assert_eq!(code, 1, "{v}");
    let tls = hop(&v, "tls");
    assert_eq!(tls["cause"], "CertificateNameMismatch", "{tls}");
    assert!(lines(&tls["evidence"]).contains("elsewhere.example.com"), "{tls}");
    // Nothing of the key is printed.
    let (_, out) = trace_text(&c, n, &[&url]);
    let key_text = std::fs::read_to_string(&other_key).expect("key");
    let key_body = key_text.lines().nth(1).unwrap_or("none");
    assert!(!out.contains(key_body), "{out}");

    // The right one: the way in is whole, and the Service's trace follows.
    replace_secret(&c, n, &["tls", "shop-tls", &format!("--cert={crt}"), &format!("--key={key}")]);
    let (code, v, err) = trace(&c, n, &[&url]);
    assert_eq!(code, 0, "{err}\n{v}");
    assert_eq!(hop(&v, "tls")["status"], "ok", "{v}");
    assert_eq!(v["entry"]["url"], url);
    assert_eq!(v["service"], format!("{n}/numbers-api"));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn ingress_whose_class_does_not_exist_and_names_that_are_not_routes() {
    let c = require_cluster!("trace-svc ingress class");
    let ns = c.namespace("entry-cls");
    let n = &ns.name;
    backends(&c, n);
    c.apply(
        n,
        &"apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: orphan}
spec:
  ingressClassName: no-such-class
  rules:
  - host: orphan.{n}.example.com
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: numbers-api, port: {number: 80}}}}]
"
        .replace("{n}", n),
    );
    let (code, v, _) = trace(&c, n, &["ingress/orphan"]);
    assert_eq!(code, 1, "{v}");
    let h = hop(&v, "ingress-class");
    assert_eq!((&h["status"], &h["cause"]), (&"fail".into(), &"IngressClassNotFound".into()), "{h}");
    assert!(lines(&h["evidence"]).contains("spec.ingressClassName no-such-class"), "{h}");
    assert_eq!(h["command"], "kubectl get ingressclass");
    assert_eq!(v["entry"]["rule"], format!("orphan.{n}.example.com / (Prefix)"));
    let (code, out) = trace_text(&c, n, &["ingress/orphan"]);
    assert_eq!(code, 1);
    assert!(out.contains("IngressClass no-such-class does not exist"), "{out}");
    assert!(out.contains("cause: IngressClassNotFound"), "{out}");
    assert!(out.contains("next: kubectl get ingressclass"), "{out}");
    snapshot("entry_ingress_class_missing", n, &[], &out);

    // An Ingress that does not exist.
    let (code, v, err) = trace(&c, n, &["ingress/absent"]);
    assert_eq!((code, &v), (1, &Value::Null), "{err}");
    assert!(err.contains("ingresses.networking.k8s.io \"absent\" not found"), "{err}");
    assert!(err.contains(&format!("looked in namespace {n}")), "{err}");

    // A URL whose host is a Service's name is still that Service.
    let (code, v, _) = trace(&c, n, &[&format!("http://numbers-api.{n}/api")]);
    assert_eq!(code, 0, "{v}");
    assert!(v["entry"].is_null(), "{v}");
    assert_eq!(v["service"], format!("{n}/numbers-api"));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn httproute_parents_weights_and_cross_namespace_grants() {
    let c = require_cluster!("trace-svc httproute");
    let ns = c.namespace("entry-gw");
    let other = c.namespace("entry-gw-be");
    let n = &ns.name;
    let o = &other.name;
    let gc = format!("kit-{n}");
    let _gc = cluster_scoped(
        &c,
        &format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {{name: {gc}}}\nspec: {{controllerName: example.com/kit-gateway}}\n"
        ),
        format!("gatewayclass/{gc}"),
    );
    backends(&c, n);
    backends(&c, o);
    let host = format!("web.{n}.example.com");
    c.apply(
        n,
        &format!(
            "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gw}}
spec:
  gatewayClassName: {gc}
  listeners:
  - {{name: http, protocol: HTTP, port: 80, allowedRoutes: {{namespaces: {{from: Same}}}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: web}}
spec:
  parentRefs: [{{name: gw}}]
  hostnames: [{host}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: /}}}}]
    backendRefs:
    - {{name: numbers-api, port: 80, weight: 90}}
    - {{name: numbers-api, namespace: {o}, port: 80, weight: 10}}
"
        ),
    );

    // No controller runs: the class's status is the API server's default, and the trace says
    // so; the route has no status from any controller either.
    let (code, v, err) = trace(&c, n, &["httproute/web"]);
    assert_eq!(code, 1, "{err}\n{v}");
    let gw = hop(&v, "gateway");
    assert_eq!((&gw["status"], &gw["cause"]), (&"fail".into(), &"GatewayClassNotAccepted".into()), "{gw}");
    assert!(text(&gw["reason"]).contains(&format!("no controller has accepted GatewayClass {gc}")), "{gw}");
    assert!(lines(&gw["details"]).contains("listener http"), "{gw}");
    let route = hop(&v, "httproute");
    assert_eq!((&route["status"], &route["cause"]), (&"fail".into(), &"RouteNotAccepted".into()), "{route}");
    assert!(text(&route["reason"]).contains(&format!("no controller has accepted HTTPRoute {n}/web")), "{route}");

    // The backends with their weights; the one in another namespace has no ReferenceGrant.
    let backend = hop(&v, "backend");
    assert_eq!(backend["status"], "warn", "10% of requests get 500: {backend}");
    assert!(text(&backend["reason"]).contains("10% of requests go to backends that do not resolve"), "{backend}");
    let d = lines(&backend["details"]);
    assert!(d.contains("numbers-api:80 (weight 90, 90%): Service"), "{d}");
    assert!(
        d.contains(&format!("{o}/numbers-api:80 (weight 10, 10%): in another namespace, and no ReferenceGrant")),
        "{d}"
    );
    assert_eq!(backend["cause"], "RefNotPermitted");
    let listed = v["entry"]["backends"].as_array().cloned().unwrap_or_default();
    assert_eq!(listed.len(), 2, "{v}");
    assert_eq!((&listed[0]["weight"], &listed[0]["traced"]), (&90.into(), &true.into()), "{v}");
    assert_eq!((&listed[1]["weight"], &listed[1]["status"]), (&10.into(), &"fail".into()), "{v}");
    // The Service behind the heaviest backend is traced.
    assert_eq!(v["service"], format!("{n}/numbers-api"));
    assert!(!hop(&v, "endpoints").is_null(), "{v}");

    let (code, out) = trace_text(&c, n, &["httproute/web"]);
    assert_eq!(code, 1);
    assert!(out.contains("cause: GatewayClassNotAccepted"), "{out}");
    assert!(out.contains("no controller has accepted"), "{out}");
    snapshot("entry_httproute_weights", n, &[o], &out);

    // A ReferenceGrant in the backend's namespace lets the route use it.
    c.apply(
        o,
        &format!(
            "apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {{name: from-web}}
spec:
  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: {n}}}]
  to: [{{group: \"\", kind: Service}}]
"
        ),
    );
    let (_, v, _) = trace(&c, n, &["httproute/web"]);
    let backend = hop(&v, "backend");
    assert_eq!(backend["status"], "ok", "{backend}");
    assert!(
        lines(&backend["details"])
            .contains(&format!("{o}/numbers-api:80 (weight 10, 10%): Service {o}/numbers-api port 80")),
        "{backend}"
    );

    // The URL form reaches the same route (once no Ingress of an earlier test with a rule for
    // every host is left: an Ingress rule is preferred when neither way in has an address).
    let (_, v, _) = converge(
        "the URL to reach an HTTPRoute",
        WAIT,
        || trace(&c, n, &[&format!("http://{host}/anything")]),
        |(_, v, _)| v["entry"]["kind"] == "HTTPRoute",
    );
    assert_eq!(v["entry"]["name"], format!("{n}/web"));
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn httproute_whose_gateway_class_is_missing_and_backend_port_is_wrong() {
    let c = require_cluster!("trace-svc httproute class");
    let ns = c.namespace("entry-gwc");
    let n = &ns.name;
    let host = format!("web.{n}.example.com");
    c.apply(
        n,
        &format!(
            "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gw}}
spec:
  gatewayClassName: no-such-class-{n}
  listeners:
  - {{name: http, protocol: HTTP, port: 80}}
  - {{name: https, protocol: HTTPS, port: 443, hostname: \"*.{n}.example.com\", tls: {{certificateRefs: [{{name: gw-tls}}]}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: api}}
spec:
  selector: {{app: api}}
  ports: [{{port: 80}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: web}}
spec:
  parentRefs: [{{name: gw}}]
  hostnames: [{host}]
  rules:
  - matches: [{{path: {{type: Exact, value: /x}}}}]
    backendRefs: [{{name: api, port: 8080}}]
"
        ),
    );
    let (code, v, err) = trace(&c, n, &["httproute/web"]);
    assert_eq!(code, 1, "{err}\n{v}");
    assert!(text(&v["verdict"]).contains("reaches no Service"), "{v}");
    let gw = hop(&v, "gateway");
    assert_eq!(gw["cause"], "GatewayClassNotFound", "{gw}");
    let d = lines(&gw["details"]);
    // The Gateway's conditions as the API server defaulted them, and its listeners.
    assert!(d.contains(&format!("Gateway {n}/gw: Accepted Unknown (Pending: Waiting for controller)")), "{d}");
    assert!(d.contains("listener http: HTTP :80"), "{d}");
    assert!(d.contains(&format!("listener https: HTTPS :443 *.{n}.example.com")), "{d}");
    let route = hop(&v, "httproute");
    assert_eq!(route["cause"], "RouteNotAccepted", "{route}");
    assert!(lines(&route["details"]).contains("rule 1: Exact /x → api:8080 (weight 1) (traced)"), "{route}");
    let backend = hop(&v, "backend");
    assert_eq!(backend["cause"], "BackendPortNotFound", "{backend}");
    assert!(text(&backend["reason"]).contains("every request gets 500"), "{backend}");
    assert_eq!(lines(&backend["evidence"]), format!("Service {n}/api ports: 80"));

    // Over https the listener's certificate is read: its Secret does not exist.
    let (code, v, _) = converge(
        "the URL to reach an HTTPRoute",
        WAIT,
        || trace(&c, n, &[&format!("https://{host}/x")]),
        |(_, v, _)| v["entry"]["kind"] == "HTTPRoute",
    );
    assert_eq!(code, 1, "{v}");
    let tls = hop(&v, "tls");
    assert_eq!(tls["cause"], "TLSSecretNotFound", "{tls}");
    assert!(text(&tls["reason"]).starts_with("listener https: "), "{tls}");
    let (code, out) = trace_text(&c, n, &["httproute/web"]);
    assert_eq!(code, 1);
    assert!(out.contains("cause: GatewayClassNotFound"), "{out}");
    assert!(out.contains("next: kubectl get gatewayclasses"), "{out}");
    snapshot("entry_httproute_class_missing", n, &[], &out);
}
