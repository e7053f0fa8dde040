//! The workloads behind a Service, up to the controller: which Deployment (through which
//! ReplicaSets), StatefulSet, DaemonSet or Job makes the selected pods, what it wants and has,
//! and why it does not have them: a controller the API server refuses (read by
//! [`super::admission`] and explained with the ResourceQuota, LimitRange, namespace or
//! webhook at fault), a rollout stuck or in progress (which versions serve, how many each), a
//! scale to zero (by whom, and the HorizontalPodAutoscaler that targets it), a StatefulSet's
//! governing Service.
//!
//! A workload is behind the Service when it owns a selected pod, or when its pod template
//! carries the Service's selector (so that a workload with no pod at all is found). Its lists
//! are read once per trace; what a refusal needs (quotas, limit ranges, the namespace, the
//! webhook's Service) only when one is reported.

mod refusals;
mod rollouts;
#[cfg(test)]
mod tests;
mod view;

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{LimitRange, ResourceQuota};
use kubectl_kit_core::selector::Labels;
use serde::Serialize;

use super::admission::{self, Refusal};
use super::{Cause, Context, Dependents, first_lines, one_line};
use crate::model::{Seen, Status};

use refusals::*;
use rollouts::*;
pub use view::*;

/// The workload lists of the Service's namespace, as read (`None`: not read, because no
/// selected pod needed it).
#[derive(Debug, Default, Clone)]
pub struct Lists {
    pub replica_sets: Option<Seen<Vec<WorkloadView>>>,
    pub deployments: Option<Seen<Vec<WorkloadView>>>,
    pub stateful_sets: Option<Seen<Vec<WorkloadView>>>,
    pub daemon_sets: Option<Seen<Vec<WorkloadView>>>,
    pub jobs: Option<Seen<Vec<WorkloadView>>>,
}

/// Which workload lists to read (`replicasets`, `deployments`, `statefulsets`, `daemonsets`,
/// `jobs`): the kinds that own selected pods (a ReplicaSet's Deployment through its pods'
/// `pod-template-hash`), or every kind when the selector selects no pod (the workload may have
/// none), and StatefulSets for a headless Service (the one it governs).
pub fn kinds_to_read(owners: &BTreeMap<String, Count>, total_pods: usize, headless: bool) -> Vec<&'static str> {
    let has = |kind: &str| owners.keys().any(|k| k.starts_with(&format!("{kind}/")));
    let mut kinds = vec![];
    if total_pods == 0 || has("ReplicaSet") {
        kinds.extend(["replicasets", "deployments"]);
    }
    if total_pods == 0 || has("StatefulSet") || headless {
        kinds.push("statefulsets");
    }
    if total_pods == 0 || has("DaemonSet") {
        kinds.push("daemonsets");
    }
    if total_pods == 0 || has("Job") {
        kinds.push("jobs");
    }
    kinds
}

/// Selected pods of one owner: how many, how many Ready.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub pods: usize,
    pub ready: usize,
}

/// One workload behind the Service, as `-o json` carries it.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    pub kind: String,
    pub name: String,
    /// The replicas it wants (for a DaemonSet, the nodes it should run on; for a Job, its
    /// parallelism).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<i32>,
    /// The pods it has, as its controller counts them.
    pub current: i32,
    /// Of those, Ready.
    pub ready: i32,
    /// Its selected pods (those behind this Service), and how many are Ready.
    pub selected: usize,
    pub selected_ready: usize,
    pub status: Status,
    /// A Deployment's ReplicaSets with pods (or its newest), newest first; a StatefulSet's
    /// revisions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<Version>,
    /// A StatefulSet's governing Service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
}

/// One version of a workload: a Deployment's ReplicaSet.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub replica_set: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    pub images: Vec<String>,
    /// Its pods as the ReplicaSet counts them.
    pub current: i32,
    /// Its selected pods, and how many are Ready (serve).
    pub selected: usize,
    pub ready: usize,
}

/// What the refusals and scales need asked after the lists.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    pub quotas: bool,
    pub limit_ranges: bool,
    pub namespace: bool,
    pub autoscalers: bool,
    /// Webhook names a controller could not call.
    pub webhooks: Vec<String>,
    /// Governing Services named by a StatefulSet behind the Service (other than it).
    pub services: Vec<String>,
}

/// What those follow-ups found.
#[derive(Debug, Default, Clone)]
pub struct FollowUps {
    pub autoscalers: Option<Seen<Vec<HorizontalPodAutoscaler>>>,
    pub quotas: Option<Seen<Vec<ResourceQuota>>>,
    pub limit_ranges: Option<Seen<Vec<LimitRange>>>,
    /// The namespace's labels.
    pub namespace_labels: Option<Seen<BTreeMap<String, String>>>,
    /// Services by `NAMESPACE/NAME` (webhook backends, governing Services): `None` when it
    /// does not exist, else its ready and total endpoint addresses.
    pub services: BTreeMap<String, Seen<Option<Backend>>>,
}

/// A Service one hop away (a webhook's): its ready endpoint addresses, of how many.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Backend {
    pub ready: usize,
    pub addresses: usize,
}

/// A workload behind the Service, with its ReplicaSets (for a Deployment) and its refusal.
#[derive(Debug, Clone)]
struct Behind {
    kind: &'static str,
    view: WorkloadView,
    /// A Deployment's ReplicaSets.
    sets: Vec<WorkloadView>,
    /// The object that reported a refusal, its message and what it says.
    refusal: Option<(String, String, Refusal)>,
}

/// The workloads and their verdicts: what the owners hop reports.
#[derive(Debug, Default, Clone)]
pub struct OwnerFacts {
    pub owners: Vec<Owner>,
    pub causes: Vec<Cause>,
    /// Lists that could not be read, with why.
    pub hidden: Vec<String>,
    /// Per owner (in `owners`' order), the pod owners (`ReplicaSet/x`) that are its.
    pub members: Vec<Vec<String>>,
    /// Per owner, what stops it (a quota, a webhook…), for the pictures.
    pub blockers: Vec<Vec<(String, Status)>>,
    needs: Needs,
    behind: Vec<Behind>,
}

/// At most this many workloads are reported (a selector that matches many is said so).
const MAX_OWNERS: usize = 6;

/// The workloads behind the Service: those that own a selected pod, and those whose template
/// carries the selector. Then what their refusals and scales need asked.
pub fn behind(lists: &Lists, counts: &BTreeMap<String, Count>, selector: Option<&Labels>, ctx: &Context) -> OwnerFacts {
    let mut facts = OwnerFacts::default();
    let mut seen = |name: &str, l: &Option<Seen<Vec<WorkloadView>>>| -> Vec<WorkloadView> {
        match l {
            Some(Ok(v)) => v.clone(),
            Some(Err(e)) => {
                facts.hidden.push(format!("{name} are not visible: {e}"));
                vec![]
            }
            None => vec![],
        }
    };
    let rs = seen("ReplicaSets", &lists.replica_sets);
    let deploys = seen("Deployments", &lists.deployments);
    let sts = seen("StatefulSets", &lists.stateful_sets);
    let ds = seen("DaemonSets", &lists.daemon_sets);
    let jobs = seen("Jobs", &lists.jobs);
    let owns = |kind: &str, name: &str| counts.contains_key(&format!("{kind}/{name}"));
    let carries = |w: &WorkloadView| {
        selector.is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| w.template_labels().get(k) == Some(v)))
    };
    let mut out: Vec<Behind> = vec![];
    for d in &deploys {
        let sets: Vec<WorkloadView> =
            rs.iter().filter(|r| r.controller("Deployment") == Some(&d.metadata.name)).cloned().collect();
        if carries(d) || sets.iter().any(|r| owns("ReplicaSet", &r.metadata.name)) {
            out.push(Behind { kind: "Deployment", view: d.clone(), sets, refusal: None });
        }
    }
    for r in rs.iter().filter(|r| r.controller("Deployment").is_none()) {
        if owns("ReplicaSet", &r.metadata.name) || carries(r) {
            out.push(Behind { kind: "ReplicaSet", view: r.clone(), sets: vec![], refusal: None });
        }
    }
    // A ReplicaSet a selected pod names whose Deployment was not read (or not visible).
    for key in counts.keys().filter_map(|k| k.strip_prefix("ReplicaSet/")) {
        if !rs.iter().any(|r| r.metadata.name == key) && lists.replica_sets.as_ref().is_some_and(|l| l.is_ok()) {
            facts.hidden.push(format!("ReplicaSet {key} of the selected pods no longer exists"));
        }
    }
    for (kind, list) in [("StatefulSet", &sts), ("DaemonSet", &ds), ("Job", &jobs)] {
        for w in list {
            if owns(kind, &w.metadata.name) || carries(w) {
                out.push(Behind { kind, view: w.clone(), sets: vec![], refusal: None });
            }
        }
    }
    out.truncate(MAX_OWNERS);
    for b in &mut out {
        b.refusal = refusal(b, ctx);
    }
    facts.needs = needs(&out);
    facts.behind = out;
    facts
}

impl OwnerFacts {
    /// What to ask after the lists.
    pub fn needs(&self) -> &Needs {
        &self.needs
    }

    /// Whether a workload is behind the Service.
    pub fn is_empty(&self) -> bool {
        self.behind.is_empty()
    }
}

/// The latest refusal a workload's controller reported, while it misses pods: a ReplicaSet's
/// `ReplicaFailure` condition, or a `FailedCreate` Warning event on the workload (on a
/// Deployment's ReplicaSets, newest first).
fn refusal(b: &Behind, ctx: &Context) -> Option<(String, String, Refusal)> {
    let mut candidates: Vec<(&str, &WorkloadView)> = vec![];
    let mut sets: Vec<&WorkloadView> = b.sets.iter().collect();
    sets.sort_by_key(|s| std::cmp::Reverse(revision_number(s)));
    candidates.extend(sets.into_iter().map(|s| ("ReplicaSet", s)));
    candidates.push((b.kind, &b.view));
    for (kind, w) in candidates {
        let desired = desired_of(kind, w);
        let current = current_of(kind, w);
        if desired.is_some_and(|d| current >= d) && kind != "Deployment" {
            continue;
        }
        let from_condition = w
            .condition("ReplicaFailure")
            .filter(|c| c.status == "True" && c.reason.as_deref() == Some("FailedCreate"))
            .and_then(|c| c.message.clone());
        let from_event = || ctx.object_event(kind, &w.metadata.name, &["FailedCreate"]).map(|e| e.message.clone());
        if let Some(m) = from_condition.or_else(from_event) {
            let object = format!("{kind}/{}", w.metadata.name);
            let r = admission::read(&m);
            return Some((object, m, r));
        }
    }
    None
}

fn revision_number(w: &WorkloadView) -> i64 {
    w.revision().and_then(|r| r.parse().ok()).unwrap_or(0)
}

fn desired_of(kind: &str, w: &WorkloadView) -> Option<i32> {
    match kind {
        "DaemonSet" => w.status.desired_number_scheduled,
        "Job" => Some(w.spec.parallelism.unwrap_or(1)),
        _ => Some(w.spec.replicas.unwrap_or(1)),
    }
}

fn current_of(kind: &str, w: &WorkloadView) -> i32 {
    match kind {
        "DaemonSet" => w.status.current_number_scheduled.unwrap_or(0),
        "Job" => w.status.active.unwrap_or(0),
        _ => w.status.replicas.unwrap_or(0),
    }
}

fn ready_of(kind: &str, w: &WorkloadView) -> i32 {
    match kind {
        "DaemonSet" => w.status.number_ready.unwrap_or(0),
        "Job" => w.status.ready.unwrap_or(0),
        _ => w.status.ready_replicas.unwrap_or(0),
    }
}

/// Webhook Services and governing Services asked about, at most, each.
const MAX_OTHER_SERVICES: usize = 2;

fn needs(behind: &[Behind]) -> Needs {
    let mut n = Needs::default();
    for b in behind {
        match b.refusal.as_ref().map(|r| &r.2) {
            Some(Refusal::Quota { .. } | Refusal::QuotaUnspecified { .. }) => n.quotas = true,
            Some(Refusal::LimitRange { .. }) => n.limit_ranges = true,
            Some(Refusal::PodSecurity { .. }) => n.namespace = true,
            Some(Refusal::WebhookUnreachable { webhook, .. })
                if !n.webhooks.contains(webhook) && n.webhooks.len() < MAX_OTHER_SERVICES =>
            {
                n.webhooks.push(webhook.clone())
            }
            _ => {}
        }
        if b.kind == "Deployment" && b.view.spec.replicas == Some(0) {
            n.autoscalers = true;
        }
        if b.kind == "StatefulSet"
            && let Some(s) = b.view.spec.service_name.clone().filter(|s| !s.is_empty())
            && !n.services.contains(&s)
            && n.services.len() < MAX_OTHER_SERVICES
        {
            n.services.push(s);
        }
    }
    n
}

/// Everything the owners hop needs besides the lists.
pub struct Judging<'a> {
    pub ns: &'a str,
    /// The traced Service's name, and whether it is headless.
    pub service: &'a str,
    pub headless: bool,
    pub counts: &'a BTreeMap<String, Count>,
    /// Selected pods Ready, in all.
    pub ready_total: usize,
    pub dependents: &'a Dependents,
    pub follow: &'a FollowUps,
}

impl OwnerFacts {
    /// Judges each workload: its owner entry, its causes, what blocks it.
    pub fn judge(mut self, j: &Judging<'_>) -> OwnerFacts {
        let behind = std::mem::take(&mut self.behind);
        for b in &behind {
            let (owner, causes, members, blockers) = judge_one(b, j);
            self.owners.push(owner);
            self.causes.extend(causes);
            self.members.push(members);
            self.blockers.push(blockers);
        }
        self.behind = behind;
        self
    }
}

fn count(counts: &BTreeMap<String, Count>, key: &str) -> Count {
    counts.get(key).copied().unwrap_or_default()
}

type Judged = (Owner, Vec<Cause>, Vec<String>, Vec<(String, Status)>);

fn judge_one(b: &Behind, j: &Judging<'_>) -> Judged {
    let w = &b.view;
    let name = w.metadata.name.clone();
    let kind = b.kind;
    let desired = desired_of(kind, w);
    let current = current_of(kind, w);
    let ready = ready_of(kind, w);
    let mut members = vec![];
    let mut selected = Count::default();
    let mut versions = vec![];
    if kind == "Deployment" {
        let mut sets: Vec<&WorkloadView> = b.sets.iter().collect();
        sets.sort_by_key(|s| std::cmp::Reverse(revision_number(s)));
        for (i, s) in sets.iter().enumerate() {
            let key = format!("ReplicaSet/{}", s.metadata.name);
            let c = count(j.counts, &key);
            selected.pods += c.pods;
            selected.ready += c.ready;
            members.push(key);
            // The newest, and every older one that still has pods.
            if i == 0 || c.pods > 0 || s.status.replicas.unwrap_or(0) > 0 {
                versions.push(Version {
                    replica_set: s.metadata.name.clone(),
                    revision: s.revision(),
                    images: s.images(),
                    current: s.status.replicas.unwrap_or(0),
                    selected: c.pods,
                    ready: c.ready,
                });
            }
        }
    } else {
        let key = format!("{kind}/{name}");
        selected = count(j.counts, &key);
        members.push(key);
    }
    let mut owner = Owner {
        kind: kind.into(),
        name: name.clone(),
        desired,
        current,
        ready,
        selected: selected.pods,
        selected_ready: selected.ready,
        status: Status::Ok,
        versions,
        service_name: w.spec.service_name.clone().filter(|s| !s.is_empty()),
    };
    let mut causes = vec![];
    let mut blockers = vec![];
    let none_ready = j.ready_total == 0;
    let severity = |bad: bool| if bad { Status::Fail } else { Status::Warn };
    if desired == Some(0) && kind != "DaemonSet" {
        let mut c = scaled_to_zero(kind, w, j);
        c.command = format!(
            "kubectl scale {}/{name} --replicas={} -n {}",
            kind.to_ascii_lowercase(),
            autoscaler_min(&name, kind, j).unwrap_or(1),
            j.ns
        );
        owner.status = owner.status.max(severity(none_ready));
        blockers.push(("scaled to 0".to_string(), severity(none_ready)));
        causes.push(c);
    }
    if let Some((object, message, r)) = &b.refusal {
        let missing = desired.map(|d| (d - current).max(0)).unwrap_or(0);
        let workload = format!("{}/{name}", kind.to_ascii_lowercase());
        let c = failed_create(object, message, r, missing, &workload, j);
        let s = severity(ready == 0);
        owner.status = owner.status.max(s);
        blockers.push((c.object.clone().unwrap_or_else(|| object.clone()), s));
        causes.push(c);
    }
    if kind == "Deployment" {
        for s in deployment_rollout(b, &owner, j, &mut causes) {
            owner.status = owner.status.max(s);
        }
    }
    if kind == "StatefulSet" {
        if let Some(c) = governing(w, j) {
            owner.status = owner.status.max(Status::Warn);
            causes.push(c);
        }
        if let (Some(cur), Some(upd)) = (&w.status.current_revision, &w.status.update_revision)
            && cur != upd
        {
            owner.status = owner.status.max(Status::Warn);
            let mut c = cause(
                "RolloutInProgress",
                format!(
                    "StatefulSet {name} is rolling out revision {upd} ({} of {} updated); pods of revision {cur} still serve",
                    w.status.updated_replicas.unwrap_or(0),
                    desired.unwrap_or(0)
                ),
                format!("kubectl rollout status statefulset/{name} -n {}", j.ns),
            );
            c.object = Some(format!("StatefulSet/{name}"));
            causes.push(c);
        }
    }
    if kind == "Job" {
        if let Some(f) = w.condition("Failed").filter(|c| c.status == "True") {
            owner.status = owner.status.max(severity(selected.ready == 0));
            let mut c = cause(
                "JobFailed",
                format!("Job {name} has failed: {}", f.reason.clone().unwrap_or_default()),
                format!("kubectl describe job {name} -n {}", j.ns),
            );
            c.reason = f.reason.clone();
            c.message = f.message.clone();
            c.object = Some(format!("Job/{name}"));
            causes.push(c);
        }
        if w.spec.suspend == Some(true) {
            owner.status = owner.status.max(Status::Warn);
            let mut c = cause(
                "Suspended",
                format!("Job {name} is suspended: it starts no pod"),
                format!("kubectl describe job {name} -n {}", j.ns),
            );
            c.object = Some(format!("Job/{name}"));
            causes.push(c);
        }
    }
    if causes.is_empty() && desired.is_some_and(|d| ready < d) {
        // The pods hop says why each pod does not serve.
        owner.status = owner.status.max(Status::Warn);
    }
    (owner, causes, members, blockers)
}

fn cause(name: &str, summary: String, command: String) -> Cause {
    Cause { cause: name.into(), summary, command, ..Default::default() }
}

/// The owners hop's lines: per workload its counts, then its causes as the pods hop says them.
pub fn lines(f: &OwnerFacts) -> Vec<String> {
    let mut out = vec![];
    let one = f.owners.len() == 1;
    for o in &f.owners {
        // One workload's headline is the hop's reason already.
        let indent = if one { "" } else { "  " };
        if !one {
            out.push(headline(o));
        }
        for v in &o.versions {
            let behind = if v.selected as i32 == v.current {
                format!("{} Ready", v.ready)
            } else {
                format!("{} behind this Service, {} Ready", v.selected, v.ready)
            };
            out.push(format!(
                "{indent}ReplicaSet {} (revision {}, {}): {} pod(s), {behind}",
                v.replica_set,
                v.revision.clone().unwrap_or_else(|| "?".into()),
                if v.images.is_empty() { "-".to_string() } else { v.images.join(", ") },
                v.current,
            ));
        }
        if let Some(s) = &o.service_name {
            out.push(format!("{indent}governing Service {s} (DNS names {}-N.{s})", o.name));
        }
    }
    for c in &f.causes {
        out.push(c.summary.clone());
        for e in &c.evidence {
            out.push(format!("  {e}"));
        }
        out.push(format!("  next: {}", c.command));
    }
    if !f.owners.is_empty() {
        // Without a workload, the first of these is the hop's reason.
        out.extend(f.hidden.iter().cloned());
    } else {
        out.extend(f.hidden.iter().skip(1).cloned());
    }
    out
}

/// `Deployment api: 3 desired, 2 current, 1 ready`.
pub fn headline(o: &Owner) -> String {
    let desired = match (o.kind.as_str(), o.desired) {
        ("DaemonSet", Some(d)) => format!("{d} node(s) to run on, "),
        ("Job", Some(d)) => format!("parallelism {d}, "),
        (_, Some(d)) => format!("{d} desired, "),
        _ => String::new(),
    };
    format!("{} {}: {desired}{} current, {} ready", o.kind, o.name, o.current, o.ready)
}
