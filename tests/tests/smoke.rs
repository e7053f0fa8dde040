//! The test cluster itself: a Deployment becomes Available on kwok nodes, its Service gets ready
//! endpoints, and the server is Kubernetes v1.35.

use kubectl_kit_tests::{Counts, require_cluster};

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn deployment_becomes_available_with_ready_endpoints_on_kwok_nodes() {
    let c = require_cluster!("smoke");
    let ns = c.namespace("smoke");
    c.apply_fixture(&ns.name, "numbers-api");
    c.wait_replicas(&ns.name, "deployment/numbers-api", 2);
    let slices = c.wait_endpoints(&ns.name, "numbers-api", Counts::listing(2, 2));
    let addresses = slices.addresses();

    // Both pods run on kwok nodes, with the IPs the slice lists.
    let pods: serde_json::Value =
        serde_json::from_str(&c.kubectl_ok(&["-n", &ns.name, "get", "pods", "-l", "app=numbers-api", "-o", "json"]))
            .expect("json");
    let items = pods["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    for pod in items {
        let node = pod["spec"]["nodeName"].as_str().expect("scheduled");
        let labels =
            c.kubectl_ok(&["get", "node", node, "-o", "jsonpath={.metadata.annotations.kwok\\.x-k8s\\.io/node}"]);
        assert_eq!(labels, "fake", "node {node} is a kwok node");
        let ip = pod["status"]["podIP"].as_str().expect("pod IP");
        assert!(addresses.contains(&ip), "{ip} not in {addresses:?}");
    }

    let version: serde_json::Value = serde_json::from_str(&c.kubectl_ok(&["get", "--raw", "/version"])).expect("json");
    assert_eq!(version["major"], "1");
    assert_eq!(version["minor"], "35");
}

#[test]
#[ignore = "needs the test cluster (cargo xtask test runs it)"]
fn nodes_are_labelled_with_zones_and_registry_is_advertised() {
    let c = require_cluster!("smoke-nodes");
    let zones =
        c.kubectl_ok(&["get", "nodes", "-o", "jsonpath={.items[*].metadata.labels.topology\\.kubernetes\\.io/zone}"]);
    let mut zones: Vec<&str> = zones.split_whitespace().collect();
    zones.sort_unstable();
    zones.dedup();
    assert!(zones.len() >= 3, "three zones, got {zones:?}");

    let (host, _) = c.registry_hosts();
    // The registry answers the OCI distribution API's base endpoint.
    let mut stream = std::net::TcpStream::connect(&host).expect("registry reachable");
    use std::io::{Read, Write};
    write!(stream, "GET /v2/ HTTP/1.0\r\nHost: {host}\r\n\r\n").expect("write");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    assert!(reply.starts_with("HTTP/1.1 200") || reply.starts_with("HTTP/1.0 200"), "{reply}");
    assert!(reply.to_lowercase().contains("docker-distribution-api-version: registry/2.0"), "{reply}");
}
