//! Fetching what a detach decision needs, a fixed number of requests per namespace: the
//! Services, their EndpointSlices, PodDisruptionBudgets, NetworkPolicies and
//! HorizontalPodAutoscalers (one list each), and per owner the owner itself and its pods.
//! A list RBAC hides is reported as not visible, not as a failure: the patch itself is what
//! needs permission, and the server says so verbatim.

use k8s_openapi::api::apps::v1::{DaemonSet, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, ReplicationController, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, ListParams};
use kubectl_kit_core::error::visible;
use kubectl_kit_core::{Error, Kube, Result};

use crate::plan::{Sel, Selecting};

/// A list, or why it could not be read.
pub type Seen<T> = std::result::Result<Vec<T>, String>;

/// A list, or "not visible: MESSAGE" when RBAC forbids it (the shared rule,
/// [`kubectl_kit_core::error::visible`]); anything else is an error.
fn seen<T: Clone>(r: std::result::Result<kube::core::ObjectList<T>, kube::Error>) -> Result<Seen<T>> {
    Ok(visible(r.map(|list| list.items))?.map_err(|hidden| hidden.to_string()))
}

/// Everything in one namespace that can select a pod.
#[derive(Debug, Clone)]
pub struct Neighbourhood {
    /// Services.
    pub services: Seen<Service>,
    /// EndpointSlices.
    pub slices: Seen<EndpointSlice>,
    /// PodDisruptionBudgets.
    pub pdbs: Seen<PodDisruptionBudget>,
    /// NetworkPolicies.
    pub policies: Seen<NetworkPolicy>,
    /// HorizontalPodAutoscalers.
    pub hpas: Seen<HorizontalPodAutoscaler>,
}

/// Lists the namespace's Services, EndpointSlices, PDBs, NetworkPolicies and HPAs, concurrently.
pub async fn neighbourhood(kube: &Kube, ns: &str) -> Result<Neighbourhood> {
    let c = kube.client.clone();
    let lp = ListParams::default();
    let (svc, sl, pdb, np, hpa) = (
        Api::<Service>::namespaced(c.clone(), ns),
        Api::<EndpointSlice>::namespaced(c.clone(), ns),
        Api::<PodDisruptionBudget>::namespaced(c.clone(), ns),
        Api::<NetworkPolicy>::namespaced(c.clone(), ns),
        Api::<HorizontalPodAutoscaler>::namespaced(c, ns),
    );
    let (services, slices, pdbs, policies, hpas) =
        tokio::join!(svc.list(&lp), sl.list(&lp), pdb.list(&lp), np.list(&lp), hpa.list(&lp));
    Ok(Neighbourhood {
        services: seen(services)?,
        slices: seen(slices)?,
        pdbs: seen(pdbs)?,
        policies: seen(policies)?,
        hpas: seen(hpas)?,
    })
}

/// Kinds of controller and what detaching from them means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerKind {
    /// Replaced by a new pod; the usual case (Deployments own ReplicaSets).
    ReplicaSet,
    /// Replaced by a new pod.
    ReplicationController,
    /// Refused without `--force`: the replacement needs the detached pod's name.
    StatefulSet,
    /// Refused without `--force`: the replacement lands on the same node.
    DaemonSet,
    /// Refused without `--force`: the Job's completion counts change.
    Job,
    /// A controller this plugin does not know how it selects pods.
    Other(String),
}

impl OwnerKind {
    fn of(kind: &str) -> Self {
        match kind {
            "ReplicaSet" => Self::ReplicaSet,
            "ReplicationController" => Self::ReplicationController,
            "StatefulSet" => Self::StatefulSet,
            "DaemonSet" => Self::DaemonSet,
            "Job" => Self::Job,
            other => Self::Other(other.to_string()),
        }
    }

    /// Why detaching from this kind of owner is refused without `--force`, if it is.
    pub fn refusal(&self) -> Option<&'static str> {
        match self {
            Self::StatefulSet => Some(
                "the StatefulSet can only replace it with a pod of the same name, which cannot exist while the detached pod lives",
            ),
            Self::DaemonSet => Some("the DaemonSet would start a second pod on the same node beside the detached one"),
            Self::Job => Some("the Job would count the detached pod out and start another, changing its completions"),
            Self::Other(_) => {
                Some("this controller's selector is unknown, so the plugin cannot tell what releases the pod")
            }
            _ => None,
        }
    }
}

/// The pod's controller as read from the server.
#[derive(Debug, Clone)]
pub struct Owner {
    /// The kind.
    pub kind: OwnerKind,
    /// `Kind/name`.
    pub what: String,
    /// The owner's name.
    pub name: String,
    /// Its uid.
    pub uid: String,
    /// Its selector (None for unknown kinds).
    pub sel: Option<Sel>,
    /// Replicas it wants, when it has such a number.
    pub replicas: Option<i32>,
    /// Its own controller (`Deployment/web` for a Deployment's ReplicaSet).
    pub parent: Option<(String, String)>,
    /// The images of its pod template, by container (init containers too): what a
    /// replacement runs.
    pub template_images: Vec<(String, String)>,
}

impl Owner {
    /// The owner as a selector the pod leaves or keeps.
    pub fn selecting(&self) -> Option<Selecting> {
        self.sel.clone().map(|sel| Selecting { what: self.what.clone(), sel })
    }
}

/// The controller reference of a pod, if any.
pub fn controller_ref(pod: &Pod) -> Option<&OwnerReference> {
    pod.metadata.owner_references.iter().flatten().find(|o| o.controller == Some(true))
}

/// Reads the pod's controller.
pub async fn owner(kube: &Kube, ns: &str, r: &OwnerReference) -> Result<Owner> {
    let c = kube.client.clone();
    let kind = OwnerKind::of(&r.kind);
    let name = r.name.clone();
    let parent_of = |refs: &Option<Vec<OwnerReference>>| {
        refs.iter().flatten().find(|o| o.controller == Some(true)).map(|o| (o.kind.clone(), o.name.clone()))
    };
    let images = |t: Option<&k8s_openapi::api::core::v1::PodTemplateSpec>| -> Vec<(String, String)> {
        let Some(spec) = t.and_then(|t| t.spec.as_ref()) else { return vec![] };
        spec.init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
            .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
            .collect()
    };
    let (sel, replicas, parent, template_images) = match kind {
        OwnerKind::ReplicaSet => {
            let o = Api::<ReplicaSet>::namespaced(c, ns).get(&name).await?;
            let spec = o.spec.unwrap_or_default();
            let t = images(spec.template.as_ref());
            (
                Some(Sel::Label(spec.selector)),
                Some(spec.replicas.unwrap_or(1)),
                parent_of(&o.metadata.owner_references),
                t,
            )
        }
        OwnerKind::ReplicationController => {
            let o = Api::<ReplicationController>::namespaced(c, ns).get(&name).await?;
            let spec = o.spec.unwrap_or_default();
            let t = images(spec.template.as_ref());
            (spec.selector.map(Sel::Map), Some(spec.replicas.unwrap_or(1)), None, t)
        }
        OwnerKind::StatefulSet => {
            let o = Api::<StatefulSet>::namespaced(c, ns).get(&name).await?;
            let spec = o.spec.unwrap_or_default();
            let t = images(Some(&spec.template));
            (Some(Sel::Label(spec.selector)), Some(spec.replicas.unwrap_or(1)), None, t)
        }
        OwnerKind::DaemonSet => {
            let o = Api::<DaemonSet>::namespaced(c, ns).get(&name).await?;
            let spec = o.spec.unwrap_or_default();
            let t = images(Some(&spec.template));
            (Some(Sel::Label(spec.selector)), None, None, t)
        }
        OwnerKind::Job => {
            let o = Api::<Job>::namespaced(c, ns).get(&name).await?;
            let spec = o.spec.unwrap_or_default();
            let t = images(Some(&spec.template));
            (spec.selector.map(Sel::Label), None, None, t)
        }
        OwnerKind::Other(_) => (None, None, None, vec![]),
    };
    Ok(Owner {
        what: format!("{}/{}", r.kind, name),
        name,
        uid: r.uid.clone(),
        kind,
        sel,
        replicas,
        parent,
        template_images,
    })
}

/// The pods an owner selects in the namespace (one list by its selector).
pub async fn owned_pods(kube: &Kube, ns: &str, owner: &Owner) -> Result<Vec<Pod>> {
    let Some(sel) = &owner.sel else { return Ok(vec![]) };
    let pods = Api::<Pod>::namespaced(kube.client.clone(), ns).list(&ListParams::default().labels(&sel.text())).await?;
    Ok(pods
        .items
        .into_iter()
        .filter(|p| controller_ref(p).is_some_and(|r| r.uid == owner.uid) && p.metadata.deletion_timestamp.is_none())
        .collect())
}

/// True when the pod's Ready condition is True.
pub fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The user the API server sees for these credentials (a SelfSubjectReview), for the record of
/// who detached a pod. Credentials that may not ask are recorded as `unknown`.
pub async fn whoami(kube: &Kube) -> String {
    use k8s_openapi::api::authentication::v1::SelfSubjectReview;
    let api: Api<SelfSubjectReview> = Api::all(kube.client.clone());
    match api.create(&Default::default(), &SelfSubjectReview::default()).await {
        Ok(r) => r.status.and_then(|s| s.user_info).and_then(|u| u.username).unwrap_or_else(|| "unknown".into()),
        Err(_) => "unknown".into(),
    }
}

/// Gets a pod, with kubectl's NotFound wording.
pub async fn pod(kube: &Kube, ns: &str, name: &str) -> Result<Pod> {
    match Api::<Pod>::namespaced(kube.client.clone(), ns).get_opt(name).await? {
        Some(p) => Ok(p),
        None => Err(Error::api("NotFound", 404, format!("pods \"{name}\" not found"))),
    }
}

/// Gets pods by name, concurrently; the first missing one is the error.
pub async fn pods_named(kube: &Kube, ns: &str, names: &[String]) -> Result<Vec<Pod>> {
    futures::future::try_join_all(names.iter().map(|name| pod(kube, ns, name))).await
}
