//! Server lists as trace-svc reads them: pods and EndpointSlices decoded item by item while they
//! stream, each pod judged against a Service's ports and a NetworkPolicy, then the whole trace
//! made and rendered. Malformed or hostile objects are a decode error or a verdict, never a
//! panic.
#![no_main]

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kubectl_kit_core::list::fold_items;
use kubectl_trace_svc::backends::{Nearest, PodFold};
use kubectl_trace_svc::cause::Context;
use kubectl_trace_svc::slice::SliceView;
use kubectl_trace_svc::ports::chosen_ports;
use kubectl_trace_svc::trace::{World, diagnose};
use libfuzzer_sys::fuzz_target;

const SERVICE: &str = r#"{"metadata":{"name":"api","namespace":"ns"},"spec":{"type":"NodePort","clusterIP":"10.96.0.5",
  "selector":{"app":"api"},"externalTrafficPolicy":"Local","internalTrafficPolicy":"Local",
  "ports":[{"name":"http","port":80,"targetPort":"http","nodePort":30080},{"name":"raw","port":81,"targetPort":9090,"protocol":"UDP"}]}}"#;

const POLICY: &str = r#"{"metadata":{"name":"fe","namespace":"ns"},"spec":{"podSelector":{"matchExpressions":[{"key":"app","operator":"Exists"}]},
  "ingress":[{"ports":[{"port":"http"},{"port":8000,"endPort":9000}],"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}},{"podSelector":{}}]}]}}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (Ok(service), Ok(policy)) =
        (serde_json::from_str::<Service>(SERVICE), serde_json::from_str::<NetworkPolicy>(POLICY))
    else {
        return;
    };
    let ports = chosen_ports(&service, None).unwrap_or_default();
    let slices = fold_items(&mut serde_json::Deserializer::from_str(text), vec![], |v, s: SliceView| v.push(s));
    let Ok(slices) = slices else { return };
    let ctx = Context::new("ns", vec![], Default::default());
    let fold = PodFold::new(ports, ctx, vec![policy.clone()], None, "ns", &slices);
    let pods = fold_items(&mut serde_json::Deserializer::from_str(text), fold, PodFold::add);
    let near = Nearest::new([("app".to_string(), "api".to_string())].into());
    let nearest = fold_items(&mut serde_json::Deserializer::from_str(text), near, Nearest::add);
    let Ok(pods) = pods else { return };
    let world = World {
        service,
        slices: Ok(slices),
        pods: Ok(pods.finish()),
        nearest: nearest.map(Nearest::finish).unwrap_or_default(),
        nodes: Ok(vec![]),
        ingresses: Ok(vec![]),
        cluster_domain: Some("cluster.local".into()),
        typed_domain: None,
        lists: Default::default(),
        follow: Default::default(),
        dependents: Default::default(),
        policies: vec![policy],
        namespaces: None,
        service_events: vec![],
    };
    let trace = diagnose(&world, None);
    let _ = kubectl_trace_svc::render::tree(&trace);
    let _ = kubectl_trace_svc::render::dot(&trace);
    let _ = kubectl_trace_svc::render::mermaid(&trace);
});
