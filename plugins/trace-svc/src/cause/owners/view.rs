//! A workload as the trace reads it: the few fields of a Deployment, ReplicaSet, StatefulSet,
//! DaemonSet or Job it needs, decoded from the lists (and recorded fixtures) as they are.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubectl_kit_core::selector::Labels;
use serde::Deserialize;

use crate::pod::OwnerRef;

/// A workload as the trace reads it: the fields of a Deployment, ReplicaSet, StatefulSet,
/// DaemonSet or Job that say what it wants, has and reports. The pod template is read for its
/// labels and images only.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WorkloadView {
    #[serde(default)]
    pub metadata: WorkloadMeta,
    #[serde(default)]
    pub spec: WorkloadSpec,
    #[serde(default)]
    pub status: WorkloadStatus,
}

/// `metadata`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "crate::pod::shrunk")]
    pub owner_references: Option<Vec<OwnerRef>>,
    /// Only the Deployment controller's: `deployment.kubernetes.io/revision`.
    #[serde(default, deserialize_with = "revision_annotations")]
    pub annotations: BTreeMap<String, String>,
    /// Who last set `spec.replicas`, from the managed fields.
    #[serde(default, rename = "managedFields", deserialize_with = "replicas_manager")]
    pub replicas_set_by: Option<Manager>,
}

/// A field manager of `spec.replicas`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manager {
    pub manager: String,
    pub operation: String,
    pub subresource: String,
    pub time: String,
}

/// `spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSpec {
    pub replicas: Option<i32>,
    pub selector: Option<LabelSelector>,
    /// A StatefulSet's governing Service.
    pub service_name: Option<String>,
    #[serde(default)]
    pub template: Template,
    pub paused: Option<bool>,
    pub parallelism: Option<i32>,
    pub suspend: Option<bool>,
}

/// `spec.template`: labels and images.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Template {
    #[serde(default)]
    pub metadata: TemplateMeta,
    #[serde(default)]
    pub spec: TemplateSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateMeta {
    pub labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateSpec {
    #[serde(default, deserialize_with = "crate::pod::all_shrunk")]
    pub containers: Vec<TemplateContainer>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateContainer {
    #[serde(default)]
    pub name: String,
    pub image: Option<String>,
}

/// `status`: the union of the five kinds' counts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadStatus {
    pub replicas: Option<i32>,
    pub ready_replicas: Option<i32>,
    pub available_replicas: Option<i32>,
    pub updated_replicas: Option<i32>,
    pub current_revision: Option<String>,
    pub update_revision: Option<String>,
    pub desired_number_scheduled: Option<i32>,
    pub current_number_scheduled: Option<i32>,
    pub number_ready: Option<i32>,
    pub number_misscheduled: Option<i32>,
    pub active: Option<i32>,
    pub ready: Option<i32>,
    pub failed: Option<i32>,
    #[serde(default, deserialize_with = "crate::pod::all_shrunk")]
    pub conditions: Vec<WorkloadCondition>,
}

/// A workload condition.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WorkloadCondition {
    #[serde(rename = "type", default)]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

fn revision_annotations<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let mut all = Option::<BTreeMap<String, String>>::deserialize(d)?.unwrap_or_default();
    all.retain(|k, _| k == REVISION);
    Ok(all)
}

fn replicas_manager<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Manager>, D::Error> {
    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        manager: String,
        #[serde(default)]
        operation: String,
        #[serde(default)]
        subresource: String,
        #[serde(default)]
        time: String,
        #[serde(rename = "fieldsV1")]
        fields: Option<Fields>,
    }
    #[derive(Deserialize)]
    struct Fields {
        #[serde(rename = "f:spec")]
        spec: Option<SpecFields>,
    }
    #[derive(Deserialize)]
    struct SpecFields {
        #[serde(rename = "f:replicas")]
        replicas: Option<serde::de::IgnoredAny>,
    }
    let entries = Option::<Vec<Entry>>::deserialize(d)?.unwrap_or_default();
    Ok(entries
        .into_iter()
        .filter(|e| e.fields.as_ref().and_then(|f| f.spec.as_ref()).is_some_and(|s| s.replicas.is_some()))
        .max_by(|a, b| a.time.cmp(&b.time))
        .map(|e| Manager { manager: e.manager, operation: e.operation, subresource: e.subresource, time: e.time }))
}

/// The Deployment controller's revision annotation on its ReplicaSets.
pub(super) const REVISION: &str = "deployment.kubernetes.io/revision";

impl WorkloadView {
    pub(super) fn controller(&self, kind: &str) -> Option<&str> {
        self.metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.kind == kind && o.controller.unwrap_or(true))
            .map(|o| o.name.as_str())
    }

    pub(super) fn template_labels(&self) -> Labels {
        self.spec.template.metadata.labels.clone().unwrap_or_default()
    }

    pub(super) fn images(&self) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        for i in self.spec.template.spec.containers.iter().filter_map(|c| c.image.clone()) {
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out
    }

    pub(super) fn revision(&self) -> Option<String> {
        self.metadata.annotations.get(REVISION).cloned()
    }

    pub(super) fn condition(&self, type_: &str) -> Option<&WorkloadCondition> {
        self.status.conditions.iter().find(|c| c.type_ == type_)
    }
}
