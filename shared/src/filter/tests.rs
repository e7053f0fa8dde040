//! Expressions over realistic objects, with the objects each one keeps; errors with their
//! positions.

use serde_json::{Value, json};

use super::Filter;

fn pod(name: &str, phase: &str, image: &str, restarts: i64, memory: &str, created: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "creationTimestamp": created,
            "labels": {"app": name.split('-').next().unwrap_or(name), "tier": "web"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{name}-rs"), "controller": true}]
        },
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {"name": "app", "image": image, "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                 "resources": {"requests": {"cpu": "100m", "memory": memory}, "limits": {"memory": "1Gi"}}},
                {"name": "sidecar", "image": "envoyproxy/envoy:v1.30.1"}
            ],
            "priority": 0,
            "enableServiceLinks": true
        },
        "status": {
            "phase": phase,
            "podIP": "10.0.0.7",
            "conditions": [{"type": "Ready", "status": if phase == "Running" { "True" } else { "False" }}],
            "containerStatuses": [
                {"name": "app", "ready": phase == "Running", "restartCount": restarts},
                {"name": "sidecar", "ready": true, "restartCount": 0}
            ]
        }
    })
}

fn objects() -> Vec<Value> {
    vec![
        pod("web-1", "Running", "shop/web:1.4.2", 0, "256Mi", "2026-01-01T10:00:00Z"),
        pod("web-2", "Pending", "shop/web:latest", 3, "2Gi", "2026-01-01T12:00:00Z"),
        pod("api-1", "Running", "shop/api:latest", 12, "512Mi", "2020-06-01T00:00:00Z"),
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}, "generation": 4,
                         "annotations": {"deployment.kubernetes.io/revision": "3"}},
            "spec": {"replicas": 3, "paused": false, "selector": {"matchLabels": {"app": "web"}},
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}},
            "status": {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "observedGeneration": 4,
                       "conditions": [{"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True"}]}
        }),
        json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "node-1", "labels": {"kubernetes.io/os": "linux", "node-role.kubernetes.io/control-plane": ""}},
            "spec": {"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}], "unschedulable": true},
            "status": {"capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                       "allocatable": {"cpu": "3800m", "memory": "15Gi"},
                       "conditions": [{"type": "Ready", "status": "True"}, {"type": "MemoryPressure", "status": "False"}],
                       "nodeInfo": {"kubeletVersion": "v1.35.4"}}
        }),
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.10", "selector": {"app": "web"},
                     "ports": [{"name": "http", "port": 80, "targetPort": 8080}, {"name": "https", "port": 443, "targetPort": "https"}],
                     "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}}},
            "status": {"loadBalancer": {}}
        }),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ratio", "namespace": "shop"},
               "data": {"ratio": "0.5"}, "weight": 2.5, "big": 12345678901234567890u64}),
    ]
}

fn names_matching(expr: &str) -> (Vec<String>, Filter) {
    let mut f = Filter::compile(expr).unwrap_or_else(|e| panic!("{expr}: {}", e.render()));
    let mut names = vec![];
    for o in objects() {
        if f.matches(&o).unwrap_or_else(|e| panic!("{expr}: {}", e.render())) {
            let kind = o["kind"].as_str().unwrap_or("").to_lowercase();
            names.push(format!("{kind}/{}", o["metadata"]["name"].as_str().unwrap_or("")));
        }
    }
    (names, f)
}

#[test]
fn expressions_keep_the_objects_they_are_true_for() {
    let cases: &[(&str, &[&str])] = &[
        // strings
        (r#"self.kind == "Pod" && self.status.phase != "Running""#, &["pod/web-2"]),
        (r#"self.metadata.name.startsWith("web")"#, &["pod/web-1", "pod/web-2", "deployment/web", "service/web"]),
        (r#"self.metadata.name.matches("^web-[0-9]+$")"#, &["pod/web-1", "pod/web-2"]),
        (r#"self.metadata.name.endsWith("-1") && self.kind != "Node""#, &["pod/web-1", "pod/api-1"]),
        (r#"self.kind.lowerAscii() == "configmap""#, &["configmap/ratio"]),
        (r#"self.metadata.name.contains("pi")"#, &["pod/api-1"]),
        // ints, doubles, uint-sized numbers
        (r#"self.kind == "Deployment" && self.status.readyReplicas < self.spec.replicas"#, &["deployment/web"]),
        (r#"self.kind == "Pod" && self.status.containerStatuses[0].restartCount > 2"#, &["pod/web-2", "pod/api-1"]),
        ("self.kind == 'ConfigMap' && self.weight > 2.0 && self.weight < 3", &["configmap/ratio"]),
        ("self.kind == 'ConfigMap' && self.big > 1e19", &["configmap/ratio"]),
        ("self.kind == 'Service' && self.spec.ports.exists(p, p.port % 2 == 1)", &["service/web"]),
        ("self.kind == 'Deployment' && self.status.readyReplicas * 100 / self.spec.replicas < 70", &["deployment/web"]),
        // bools
        ("self.kind == 'Node' && self.spec.unschedulable", &["node/node-1"]),
        ("self.kind == 'Deployment' && !self.spec.paused", &["deployment/web"]),
        // lists and macros
        (
            r#"self.kind == "Pod" && self.spec.containers.exists(c, c.image.endsWith(":latest"))"#,
            &["pod/web-2", "pod/api-1"],
        ),
        (r#"self.kind == "Pod" && self.status.containerStatuses.all(s, s.ready)"#, &["pod/web-1", "pod/api-1"]),
        (
            "self.kind == 'Pod' && self.spec.containers.map(c, c.name) == ['app', 'sidecar']",
            &["pod/web-1", "pod/web-2", "pod/api-1"],
        ),
        ("self.kind == 'Service' && self.spec.ports.filter(p, p.port > 100).size() == 1", &["service/web"]),
        (
            "self.kind == 'Pod' && self.spec.containers.exists_one(c, c.name == 'app')",
            &["pod/web-1", "pod/web-2", "pod/api-1"],
        ),
        (
            "self.kind == 'Node' && self.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
            &["node/node-1"],
        ),
        ("self.kind == 'Service' && 'https' in self.spec.ports.map(p, p.name)", &["service/web"]),
        ("self.kind == 'Pod' && size(self.spec.containers) == 2", &["pod/web-1", "pod/web-2", "pod/api-1"]),
        (
            "self.kind == 'Pod' && self.spec.containers.map(c, c.name).join(',') == 'app,sidecar'",
            &["pod/web-1", "pod/web-2", "pod/api-1"],
        ),
        // maps, has(), in
        (
            r#"has(self.metadata.labels) && self.metadata.labels.app == "web""#,
            &["pod/web-1", "pod/web-2", "deployment/web"],
        ),
        (r#"'node-role.kubernetes.io/control-plane' in self.metadata.labels"#, &["node/node-1"]),
        (r#"has(self.spec.taints)"#, &["node/node-1"]),
        (
            r#"has(self.metadata.annotations) && self.metadata.annotations['deployment.kubernetes.io/revision'] == '3'"#,
            &["deployment/web"],
        ),
        (r#"self.kind == 'Node' && self.status.capacity.size() == 3"#, &["node/node-1"]),
        (
            r#"has(self.metadata.ownerReferences) && self.metadata.ownerReferences.exists(o, o.kind == 'ReplicaSet' && o.controller)"#,
            &["pod/web-1", "pod/web-2", "pod/api-1"],
        ),
        (r#"self.metadata.?labels.?tier.orValue('none') == 'web'"#, &["pod/web-1", "pod/web-2", "pod/api-1"]),
        // timestamps and durations
        (
            r#"has(self.metadata.creationTimestamp) && timestamp(self.metadata.creationTimestamp) < timestamp("2026-01-01T11:00:00Z")"#,
            &["pod/web-1", "pod/api-1"],
        ),
        (
            r#"has(self.metadata.creationTimestamp) && now - timestamp(self.metadata.creationTimestamp) > duration("8760h")"#,
            &["pod/api-1"],
        ),
        (
            r#"has(self.metadata.creationTimestamp) && timestamp(self.metadata.creationTimestamp).getFullYear() == 2026"#,
            &["pod/web-1", "pod/web-2"],
        ),
        // quantities
        (
            r#"self.kind == 'Pod' && quantity(self.spec.containers[0].resources.requests.memory).isGreaterThan(quantity("1Gi"))"#,
            &["pod/web-2"],
        ),
        (r#"self.kind == 'Node' && quantity(self.status.allocatable.cpu) < quantity("4")"#, &["node/node-1"]),
        (
            r#"self.kind == 'Pod' && quantity(self.spec.containers[0].resources.requests.memory).compareTo(quantity("512Mi")) == 0"#,
            &["pod/api-1"],
        ),
        (r#"self.kind == 'ConfigMap' && isQuantity(self.data.ratio)"#, &["configmap/ratio"]),
        // conditionals, conversions, type()
        (r#"(self.kind == 'Service' ? self.spec.type : 'none') == 'LoadBalancer'"#, &["service/web"]),
        (r#"self.kind == 'Service' && self.spec.ports.exists(p, type(p.targetPort) == string)"#, &["service/web"]),
        (r#"self.kind == 'ConfigMap' && double(self.data.ratio) == 0.5"#, &["configmap/ratio"]),
        (
            r#"self.kind == 'Deployment' && int(self.metadata.annotations['deployment.kubernetes.io/revision']) == 3"#,
            &["deployment/web"],
        ),
    ];
    for (expr, want) in cases {
        let (got, _) = names_matching(expr);
        assert_eq!(got, *want, "{expr}");
    }
}

#[test]
fn objects_the_expression_fails_on_are_left_out_and_counted() {
    let (got, f) = names_matching(r#"self.status.phase == "Running""#);
    assert_eq!(got, ["pod/web-1", "pod/api-1"]);
    // The configmap has no status; the others have one without a phase.
    assert_eq!(f.skipped().get("no such key: status"), Some(&1));
    assert_eq!(f.skipped().get("no such key: phase"), Some(&3));
    let summary = f.summary().expect("a summary");
    assert!(summary.starts_with("--where left out 4 objects"), "{summary}");

    let (got, f) = names_matching("self.spec.replicas > 'x'");
    assert!(got.is_empty());
    assert_eq!(f.skipped().values().sum::<u64>(), objects().len() as u64, "{:?}", f.skipped());
}

#[test]
fn a_result_that_is_not_a_bool_stops_the_listing() {
    let mut f = Filter::compile("self.metadata.name").expect("compiles: the type depends on the object");
    let e = f.matches(&objects()[0]).expect_err("a string is no answer");
    assert!(e.is_usage());
    assert!(e.render().contains("gave string on pod shop/web-1"), "{}", e.render());
}

fn usage_error(expr: &str) -> String {
    let e = Filter::compile(expr).expect_err(expr);
    assert!(e.is_usage(), "{expr}: {}", e.render());
    e.render()
}

#[test]
fn syntax_errors_point_into_the_expression() {
    let text = usage_error("self.status.phase ==");
    assert!(text.contains("<input>:1:21:"), "{text}");
    assert!(text.contains(" | self.status.phase ==\n | ....................^"), "{text}");
    let text = usage_error("self.a &&\n  self.b )");
    assert!(text.contains("<input>:2:10:"), "{text}");
}

#[test]
fn mistakes_found_without_an_object_are_usage_errors() {
    let cases = [
        ("self.metadata.name == nme", "<input>:1:23: undeclared reference to 'nme'", 22),
        ("1 + 'a' == 2", "<input>:1:3: found no matching overload for '_+_' applied to '(int, string)'", 2),
        ("self.x && 'yes'", "found no matching overload for '_&&_' applied to '(dyn, string)'", 7),
        ("size(self.spec.containers)", "<input>:1:5: the expression gives int, not bool", 4),
        ("self.metadata.name + 'x'", "gives string, not bool", 19),
        ("self.spec.containers.map(c, c.name)", "gives list, not bool", 24),
        ("self.spec.replicas.startsWith('x') || 1.startsWith('a')", "'startsWith' applied to 'int.(string)'", 50),
        ("'a' < 1", "found no matching overload for '_<_' applied to '(string, int)'", 4),
        ("now < 3", "applied to '(google.protobuf.Timestamp, int)'", 4),
        ("self.metadata.name.matches('(')", "invalid regular expression \"(\"", 27),
    ];
    for (expr, want, caret) in cases {
        let text = usage_error(expr);
        assert!(text.contains(want), "{expr}: {text}");
        assert!(text.contains(&format!("\n | {}^", ".".repeat(caret))), "{expr}: caret at {caret}: {text}");
    }
}

#[test]
fn unknown_functions_stop_at_the_first_object() {
    let mut f = Filter::compile("self.metadata.name.frobnicate()").expect("names of functions are resolved late");
    let e = f.matches(&objects()[0]).expect_err("no such function");
    assert!(e.is_usage() && e.render().contains("frobnicate"), "{}", e.render());
}

#[test]
fn fields_are_the_paths_the_expression_reads() {
    let f = Filter::compile("self.status.phase != 'Running' && self.spec.containers.exists(c, c.image == 'x')")
        .expect("compiles");
    let paths: Vec<String> = f.fields().iter().map(|p| p.join(".")).collect();
    assert_eq!(paths, ["spec.containers", "status.phase"]);
}

#[test]
fn a_field_only_tested_for_presence_is_decoded_as_present_only() {
    let mut f = Filter::compile("has(self.spec.containers) && self.metadata.name.startsWith('web')").expect("compiles");
    let pod = r#"{"metadata":{"name":"web-1","uid":"u"},"spec":{"containers":[{"name":"c","image":"i"}]}}"#;
    let decoded = crate::projection::decode(pod, &f.projection()).expect("decodes");
    assert_eq!(decoded, serde_json::json!({"metadata":{"name":"web-1"},"spec":{"containers":null}}));
    assert!(f.matches(&decoded).expect("evaluates"));
    let without = crate::projection::decode(r#"{"metadata":{"name":"web-1"},"spec":{}}"#, &f.projection());
    assert!(!f.matches(&without.expect("decodes")).expect("evaluates"));
    // Read as well as tested: decoded whole.
    let g = Filter::compile("has(self.spec.containers) && size(self.spec.containers) == 1").expect("compiles");
    assert_eq!(
        crate::projection::decode(pod, &g.projection()).expect("decodes")["spec"]["containers"][0]["image"],
        "i"
    );
}

/// `--where` on 10 000 realistic pods keeps some and leaves out others (its cost is measured by
/// `cargo xtask bench cols`, not here).
#[test]
fn expressions_on_10_000_pods_keep_some() {
    let pods: Vec<Value> = (0..10_000)
        .map(|i| {
            let phase = if i % 7 == 0 { "Pending" } else { "Running" };
            let image = if i % 5 == 0 { "shop/web:latest" } else { "shop/web:1.4.2" };
            let created = if i % 3 == 0 { "2099-01-01T00:00:00Z" } else { "2026-01-01T10:00:00Z" };
            pod(&format!("web-{i}"), phase, image, i % 4, "256Mi", created)
        })
        .collect();
    for (expr, want) in [
        (r#"self.status.phase != "Running""#, 1429),
        (r#"self.spec.containers.exists(c, c.image.endsWith(":latest"))"#, 2000),
        (r#"self.metadata.name.matches("^web-1")"#, 1111),
        (r#"timestamp(self.metadata.creationTimestamp) < now - duration("1h")"#, 6666),
        ("self == self", 10_000),
    ] {
        let mut f = Filter::compile(expr).expect("compiles");
        let kept = pods.iter().filter(|p| f.matches(p).unwrap_or(false)).count();
        assert_eq!(kept, want, "{expr}");
    }
}
