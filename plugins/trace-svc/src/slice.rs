//! The parts of an EndpointSlice the trace reads, with the API's field names and shapes.
//!
//! A Service's slices hold one entry per endpoint; the API's own type keeps every field of each
//! (hints, zone, hostname, and a full object reference of seven strings), a few hundred bytes
//! per endpoint before its strings. These keep the address, readiness, pod name and node.

use std::collections::BTreeMap;

use k8s_openapi::api::discovery::v1::EndpointPort;
use serde::Deserialize;

use crate::pod::{all_shrunk, shrunk};

/// An EndpointSlice as the trace sees it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SliceView {
    #[serde(default)]
    pub metadata: SliceMeta,
    #[serde(default, deserialize_with = "shrunk")]
    pub ports: Option<Vec<EndpointPort>>,
    #[serde(default, deserialize_with = "all_shrunk")]
    pub endpoints: Vec<Endpoint>,
}

/// `metadata`: its name, and the labels that say who manages the slice.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SliceMeta {
    pub name: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
}

/// One endpoint: its addresses, readiness, the pod behind it and its node.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    #[serde(default, deserialize_with = "all_shrunk")]
    pub addresses: Vec<String>,
    pub conditions: Option<Conditions>,
    pub target_ref: Option<TargetRef>,
    pub node_name: Option<String>,
}

/// `conditions`: unset means ready (and serving when ready), as the API defines.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct Conditions {
    pub ready: Option<bool>,
    pub serving: Option<bool>,
    pub terminating: Option<bool>,
}

/// `targetRef`: the object behind the endpoint.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TargetRef {
    pub kind: Option<String>,
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_trace_needs_and_skips_the_rest() {
        let s: SliceView = serde_json::from_str(
            r#"{"kind":"EndpointSlice","addressType":"IPv4",
                "metadata":{"name":"s","labels":{"endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io"},"managedFields":[{}]},
                "ports":[{"name":"http","port":8080,"protocol":"TCP"}],
                "endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":false,"serving":true,"terminating":true},
                              "hostname":"h","zone":"z","hints":{"forZones":[{"name":"z"}]},
                              "targetRef":{"kind":"Pod","name":"api-1","namespace":"ns","uid":"u","resourceVersion":"9"},"nodeName":"n1"},
                             {"addresses":["10.0.0.2"]}]}"#,
        )
        .expect("decode");
        let labels = s.metadata.labels.as_ref().expect("labels");
        assert!(labels["endpointslice.kubernetes.io/managed-by"].starts_with("endpointslice-controller"));
        assert_eq!(s.ports.as_ref().map(|p| (p[0].name.as_deref(), p[0].port)), Some((Some("http"), Some(8080))));
        let e = &s.endpoints[0];
        assert_eq!(e.addresses, ["10.0.0.1"]);
        let c = e.conditions.expect("conditions");
        assert_eq!((c.ready, c.serving, c.terminating), (Some(false), Some(true), Some(true)));
        let r = e.target_ref.as_ref().expect("targetRef");
        assert_eq!(
            (r.kind.as_deref(), r.name.as_deref(), e.node_name.as_deref()),
            (Some("Pod"), Some("api-1"), Some("n1"))
        );
        assert!(s.endpoints[1].conditions.is_none() && s.endpoints[1].target_ref.is_none());
    }
}
