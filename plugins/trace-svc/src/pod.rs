//! The parts of a Pod the trace reads, with the field names and shapes of the API's Pod so that
//! the trace reads them the same way.
//!
//! A pod list is decoded straight into these while it streams in, one pod at a time, and each
//! pod is judged and dropped (see [`crate::backends`]): what is read is what the diagnosis needs
//! (ports, container states, probes, resources, scheduling constraints); every other field
//! (env, annotations, managed fields, most volumes) is skipped by the decoder and never built.
//! The API's own `Pod` type holds every field inline (a few kilobytes per pod before any of its
//! strings), which is why it is not used here.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ContainerPort, Probe, ResourceRequirements, Toleration};
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

/// `metadata`: identity, labels, owner and deletion.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub uid: Option<String>,
    pub labels: Option<PodLabels>,
    /// Set once the pod is being deleted: when its grace period ends.
    pub deletion_timestamp: Option<String>,
    #[serde(default, deserialize_with = "shrunk")]
    pub finalizers: Option<Vec<String>>,
    #[serde(default, deserialize_with = "shrunk")]
    pub owner_references: Option<Vec<OwnerRef>>,
}

/// An owner: its kind and name, and whether it is the controller.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct OwnerRef {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    pub controller: Option<bool>,
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
    /// The pod's name.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// The pod's labels (none when it has none).
    pub fn labels(&self) -> Labels {
        self.metadata.labels.as_ref().map(PodLabels::to_map).unwrap_or_default()
    }

    /// The ports its containers declare, container by container.
    pub fn container_ports(&self) -> impl Iterator<Item = &ContainerPort> {
        self.spec.iter().flat_map(|s| s.containers.iter()).flat_map(|c| c.ports.iter().flatten())
    }

    /// A pod condition by type (only Ready, PodScheduled and Initialized are kept).
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == type_)
    }

    /// The pod's controller (`ReplicaSet/api-7d9f`), when it has one.
    pub fn owner(&self) -> Option<String> {
        let o = self.metadata.owner_references.iter().flatten().find(|o| o.controller.unwrap_or(true))?;
        Some(format!("{}/{}", o.kind, o.name))
    }

    /// Whether any of its containers has a readiness probe.
    pub fn has_readiness_probe(&self) -> bool {
        self.spec.iter().flat_map(|s| s.containers.iter()).any(|c| c.readiness_probe.is_some())
    }

    /// The pod's Deployment, when a Deployment's ReplicaSet owns it: the ReplicaSet's name
    /// without the `-HASH` its Deployment gave it (the `pod-template-hash` label).
    pub fn deployment(&self) -> Option<String> {
        let hash = self.metadata.labels.as_ref()?.get("pod-template-hash")?;
        let rs = self.metadata.owner_references.iter().flatten().find(|o| o.kind == "ReplicaSet")?;
        rs.name.strip_suffix(hash)?.strip_suffix('-').map(str::to_string)
    }
}

/// `spec`: where the pod runs, its containers and what the scheduler and kubelet check.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    #[serde(default, deserialize_with = "all_shrunk")]
    pub containers: Vec<Container>,
    #[serde(default, deserialize_with = "all_shrunk")]
    pub init_containers: Vec<Container>,
    pub node_name: Option<String>,
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "shrunk")]
    pub tolerations: Option<Vec<Toleration>>,
    #[serde(default, deserialize_with = "shrunk")]
    pub readiness_gates: Option<Vec<ReadinessGate>>,
    #[serde(default, deserialize_with = "claims")]
    pub volumes: Option<Vec<Volume>>,
    pub termination_grace_period_seconds: Option<i64>,
    /// `Always`, `OnFailure` or `Never`.
    pub restart_policy: Option<String>,
    /// What holds the pod back from the scheduler until removed.
    #[serde(default, deserialize_with = "shrunk")]
    pub scheduling_gates: Option<Vec<SchedulingGate>>,
}

/// `schedulingGates[]`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SchedulingGate {
    #[serde(default)]
    pub name: String,
}

/// A container: its name, image, ports, resources and the probes that decide readiness.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    #[serde(default)]
    pub name: String,
    pub image: Option<String>,
    #[serde(default, deserialize_with = "shrunk")]
    pub ports: Option<Vec<ContainerPort>>,
    pub resources: Option<ResourceRequirements>,
    pub readiness_probe: Option<Probe>,
    pub startup_probe: Option<Probe>,
    pub liveness_probe: Option<Probe>,
    /// `Always` on an init container makes it a sidecar: it keeps running.
    pub restart_policy: Option<String>,
}

/// `readinessGates[]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessGate {
    #[serde(default)]
    pub condition_type: String,
}

/// A volume, kept only when it is a PersistentVolumeClaim.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub persistent_volume_claim: Option<ClaimRef>,
}

/// `persistentVolumeClaim`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimRef {
    #[serde(default)]
    pub claim_name: String,
}

/// `status`: phase, address, the conditions that say why a pod is not serving (Ready,
/// PodScheduled, Initialized) and the containers that are not ready (the rest say nothing
/// about why traffic would not arrive, and a pod keeps four or more conditions).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    pub phase: Option<String>,
    /// Why the pod failed as a whole (`Evicted`).
    pub reason: Option<String>,
    pub message: Option<String>,
    #[serde(rename = "podIP")]
    pub pod_ip: Option<String>,
    /// When the kubelet accepted the pod.
    pub start_time: Option<String>,
    #[serde(default, deserialize_with = "telling_conditions")]
    pub conditions: Option<Vec<Condition>>,
    #[serde(default, deserialize_with = "not_ready_containers")]
    pub container_statuses: Option<Vec<ContainerStatus>>,
    #[serde(default, deserialize_with = "unfinished_init_containers")]
    pub init_container_statuses: Option<Vec<ContainerStatus>>,
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

/// A container's readiness, restarts and states.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ready: bool,
    pub started: Option<bool>,
    #[serde(default)]
    pub restart_count: i32,
    pub state: Option<ContainerState>,
    pub last_state: Option<ContainerState>,
}

/// `state` and `lastState`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ContainerState {
    pub waiting: Option<Waiting>,
    pub running: Option<Running>,
    pub terminated: Option<Terminated>,
}

/// `state.waiting`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Waiting {
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// `state.running`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Running {
    pub started_at: Option<String>,
}

/// `state.terminated`: how the container ended.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Terminated {
    #[serde(default)]
    pub exit_code: i32,
    pub signal: Option<i32>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub finished_at: Option<String>,
}

/// A list kept at its length: a decoded list grows by doubling, and thousands of pods with a
/// port or two each would otherwise hold room for four.
pub(crate) fn shrunk<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Vec<T>>, D::Error> {
    kept(d, |_: &T| true)
}

pub(crate) fn all_shrunk<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(shrunk(d)?.unwrap_or_default())
}

fn telling_conditions<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<Condition>>, D::Error> {
    kept(d, |c: &Condition| matches!(c.type_.as_str(), "Ready" | "PodScheduled" | "Initialized"))
}

fn unfinished_init_containers<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<ContainerStatus>>, D::Error> {
    kept(d, |c: &ContainerStatus| c.state.as_ref().and_then(|s| s.terminated.as_ref()).is_none_or(|t| t.exit_code != 0))
}

fn claims<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<Volume>>, D::Error> {
    kept(d, |v: &Volume| v.persistent_volume_claim.is_some())
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
        assert_eq!(p.condition("Ready").and_then(|c| c.reason.clone()).as_deref(), Some("ContainersNotReady"));
        let waiting = status.container_statuses.as_ref().and_then(|c| c[0].state.clone()).and_then(|s| s.waiting);
        assert_eq!(waiting.and_then(|w| w.reason).as_deref(), Some("CrashLoopBackOff"));
        assert_eq!(status.conditions.as_ref().map(Vec::len), Some(2), "only PodScheduled and Ready are kept");
        assert!(decode(r#"{"items":null}"#).is_empty());
    }
}
