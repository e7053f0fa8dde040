//! The parts of a Pod the trace reads, with the field names and shapes of the API's Pod so that
//! the trace reads them the same way.
//!
//! A pod list is decoded straight into these while it streams in: every other field (env,
//! volumes, probes, image names, annotations, managed fields) is skipped by the decoder and
//! never built, so a Service with thousands of pods costs little more than their names, labels,
//! ports and readiness. The API's own `Pod` type holds every field inline (a few kilobytes per
//! pod before any of its strings), which is why it is not used here.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ContainerPort;
use kubectl_kit_core::selector::Labels;
use serde::Deserialize;

/// A pod as the trace sees it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PodView {
    #[serde(default)]
    pub metadata: Meta,
    pub spec: Option<Spec>,
    pub status: Option<PodStatus>,
}

/// `metadata`: identity and labels.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Meta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub uid: Option<String>,
    pub labels: Option<PodLabels>,
}

/// Labels as a sorted list of pairs: a B-tree node per pod would cost more than the labels.
#[derive(Clone, Debug, Default)]
pub struct PodLabels(Box<[(Box<str>, Box<str>)]>);

impl PodLabels {
    /// The value of one label.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok().map(|i| self.0[i].1.as_ref())
    }

    /// The labels as a map, for selector matching.
    pub fn to_map(&self) -> Labels {
        self.0.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }
}

impl<'de> Deserialize<'de> for PodLabels {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(d)?;
        Ok(PodLabels(map.into_iter().map(|(k, v)| (k.into_boxed_str(), v.into_boxed_str())).collect()))
    }
}

impl PodView {
    /// The pod's labels (none when it has none).
    pub fn labels(&self) -> Labels {
        self.metadata.labels.as_ref().map(PodLabels::to_map).unwrap_or_default()
    }

    /// The ports its containers declare, container by container.
    pub fn container_ports(&self) -> impl Iterator<Item = &ContainerPort> {
        self.spec.iter().flat_map(|s| s.containers.iter()).flat_map(|c| c.ports.iter().flatten())
    }
}

/// `spec`: where the pod runs and the ports its containers declare.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    #[serde(default, deserialize_with = "all_shrunk")]
    pub containers: Vec<Container>,
    pub node_name: Option<String>,
}

/// A container's name and ports.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Container {
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "shrunk")]
    pub ports: Option<Vec<ContainerPort>>,
}

/// `status`: phase, address and readiness: the Ready condition and the containers that are not
/// ready (the rest say nothing about why traffic would not arrive, and a pod keeps four or more
/// conditions).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    pub phase: Option<String>,
    #[serde(rename = "podIP")]
    pub pod_ip: Option<String>,
    #[serde(default, deserialize_with = "ready_condition")]
    pub conditions: Option<Vec<Condition>>,
    #[serde(default, deserialize_with = "not_ready_containers")]
    pub container_statuses: Option<Vec<ContainerStatus>>,
}

/// A pod condition.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Condition {
    #[serde(rename = "type", default)]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// A container's readiness and, when waiting, why.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ContainerStatus {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ready: bool,
    pub state: Option<ContainerState>,
}

/// `state`: only `waiting` says why a container is not ready.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ContainerState {
    pub waiting: Option<Waiting>,
}

/// `state.waiting`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Waiting {
    pub reason: Option<String>,
}

/// A list kept at its length: a decoded list grows by doubling, and thousands of pods with a
/// port or two each would otherwise hold room for four.
pub(crate) fn shrunk<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Vec<T>>, D::Error> {
    kept(d, |_: &T| true)
}

pub(crate) fn all_shrunk<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(shrunk(d)?.unwrap_or_default())
}

fn ready_condition<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<Condition>>, D::Error> {
    kept(d, |c: &Condition| c.type_ == "Ready")
}

fn not_ready_containers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<ContainerStatus>>, D::Error> {
    kept(d, |c: &ContainerStatus| !c.ready || c.state.as_ref().is_some_and(|s| s.waiting.is_some()))
}

/// The entries of a list that `keep` keeps, at their length.
fn kept<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
    keep: impl Fn(&T) -> bool,
) -> Result<Option<Vec<T>>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.map(|mut v| {
        v.retain(keep);
        v.shrink_to_fit();
        v
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubectl_kit_core::list::fold_items;

    fn decode(text: &str) -> Vec<PodView> {
        fold_items(&mut serde_json::Deserializer::from_str(text), vec![], |v, p| v.push(p)).expect("decode")
    }

    #[test]
    fn reads_what_the_trace_needs_and_skips_the_rest() {
        let text = r#"{"kind":"PodList","metadata":{"resourceVersion":"9"},"items":[
            {"metadata":{"name":"a","namespace":"ns","uid":"u","labels":{"app":"api"},"annotations":{"big":"x"},
                         "managedFields":[{"manager":"m"}]},
             "spec":{"nodeName":"n1","volumes":[{"name":"v"}],
                     "containers":[{"name":"c","image":"i","env":[{"name":"E","value":"v"}],
                                    "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}]}]},
             "status":{"phase":"Running","podIP":"10.0.0.1","hostIP":"10.1.0.1",
                       "conditions":[{"type":"PodScheduled","status":"True"},{"type":"Ready","status":"False","reason":"ContainersNotReady","lastTransitionTime":null}],
                       "containerStatuses":[{"name":"ok","ready":true,"state":{"running":{}}},{"name":"c","ready":false,"image":"i","restartCount":0,
                                             "state":{"waiting":{"reason":"CrashLoopBackOff","message":"m"}}}]}}]}"#;
        let items = decode(text);
        let p = &items[0];
        assert_eq!(p.metadata.name.as_deref(), Some("a"));
        assert_eq!(p.metadata.labels.as_ref().and_then(|l| l.get("app")), Some("api"));
        assert_eq!(p.labels(), Labels::from([("app".to_string(), "api".to_string())]));
        let spec = p.spec.as_ref().expect("spec");
        assert_eq!(spec.node_name.as_deref(), Some("n1"));
        assert_eq!(spec.containers[0].ports.as_ref().map(|p| p[0].container_port), Some(8080));
        let status = p.status.as_ref().expect("status");
        assert_eq!(status.pod_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(status.conditions.as_ref().map(|c| c[0].reason.clone()), Some(Some("ContainersNotReady".into())));
        let waiting = status.container_statuses.as_ref().and_then(|c| c[0].state.clone()).and_then(|s| s.waiting);
        assert_eq!(waiting.and_then(|w| w.reason).as_deref(), Some("CrashLoopBackOff"));
        assert_eq!(status.conditions.as_ref().map(Vec::len), Some(1), "only Ready is kept");
        assert!(decode(r#"{"items":null}"#).is_empty());
    }
}
