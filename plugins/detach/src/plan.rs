//! What to change on a pod, decided without the network: which selectors it leaves (`--from`),
//! which labels to remove so that those stop matching while the selectors to keep still match,
//! and which labels reattach restores. The labels and annotations that record a detach are
//! named here; the JSON Patches that write them are in [`crate::patch`].

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubectl_kit_core::selector::{self, Labels};
use kubectl_kit_core::{Error, Result};
use serde::Serialize;

use crate::gather::{Neighbourhood, Owner};

/// The label that marks a detached pod.
pub const MARKER: &str = "kubectl-kit/detached";
/// The pod's labels before detaching, as a JSON object.
pub const ORIGINAL_LABELS: &str = "kubectl-kit/original-labels";
/// When the pod was detached (RFC 3339, UTC).
pub const DETACHED_AT: &str = "kubectl-kit/detached-at";
/// Who detached it (the user the API server saw).
pub const DETACHED_BY: &str = "kubectl-kit/detached-by";
/// What it was detached from: `Kind/name` of the owner (`-` for none) and the Services.
pub const DETACHED_FROM: &str = "kubectl-kit/detached-from";
/// The owner's uid, so that reattach can tell whether it is still the same object.
pub const OWNER_UID: &str = "kubectl-kit/owner-uid";
/// The ReplicaSet controller removes the pod with the lowest cost first when it has too many.
pub const DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
/// The cost a reattached pod gets, so that its owner scales a replacement away instead of it.
pub const REATTACH_COST: &str = "1000";

/// A selector as its owner states it.
#[derive(Debug, Clone)]
pub enum Sel {
    /// Services and ReplicationControllers: `key: value` pairs.
    Map(Labels),
    /// Everything else: `metav1.LabelSelector`.
    Label(LabelSelector),
}

impl Sel {
    /// True when the selector selects these labels.
    pub fn matches(&self, labels: &Labels) -> bool {
        match self {
            Sel::Map(m) => !m.is_empty() && selector::map_matches(m, labels),
            Sel::Label(s) => selector::matches(s, labels),
        }
    }

    /// The label keys the selector looks at.
    pub fn keys(&self) -> Vec<String> {
        match self {
            Sel::Map(m) => m.keys().cloned().collect(),
            Sel::Label(s) => {
                let mut k: Vec<String> = s.match_labels.iter().flatten().map(|(k, _)| k.clone()).collect();
                k.extend(s.match_expressions.iter().flatten().map(|e| e.key.clone()));
                k.sort();
                k.dedup();
                k
            }
        }
    }

    /// kubectl's text form (`app=web,tier in (a,b)`).
    pub fn text(&self) -> String {
        match self {
            Sel::Map(m) => selector::map_to_string(m),
            Sel::Label(s) => selector::to_string(s),
        }
    }
}

/// Something that selects the pod by its labels, named for messages: `Service/numbers-api`.
#[derive(Debug, Clone)]
pub struct Selecting {
    /// `Kind/name`.
    pub what: String,
    /// How it selects.
    pub sel: Sel,
}

/// Which selectors the pod leaves (`--from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum From {
    /// The owner and every Service.
    All,
    /// Only the owner: the pod keeps serving.
    Owner,
    /// Only the Services: the owner keeps the pod.
    Services,
}

/// The labels to remove, chosen so that each selector in `leave` stops matching and each in
/// `keep` still matches once the marker label is added.
///
/// Greedy: remove the label that un-selects the most remaining selectors (ties: the key that
/// sorts first), never one a kept selector looks at. Errors name the selector that cannot be
/// left, and why.
pub fn labels_to_remove(
    labels: &Labels,
    leave: &[Selecting],
    keep: &[Selecting],
) -> std::result::Result<Vec<String>, String> {
    let kept_keys: Vec<String> = keep.iter().flat_map(|k| k.sel.keys()).collect();
    let mut now = labels.clone();
    now.insert(MARKER.to_string(), "true".to_string());
    let mut removed: Vec<String> = vec![];
    loop {
        let still: Vec<&Selecting> = leave.iter().filter(|s| s.sel.matches(&now)).collect();
        if still.is_empty() {
            break;
        }
        let mut best: Option<(usize, String)> = None;
        let mut candidates: Vec<String> = still.iter().flat_map(|s| s.sel.keys()).collect();
        candidates.sort();
        candidates.dedup();
        for key in candidates.iter().filter(|k| now.contains_key(*k) && k.as_str() != MARKER) {
            if kept_keys.contains(key) {
                continue;
            }
            let mut after = now.clone();
            after.remove(key);
            let gone = still.iter().filter(|s| !s.sel.matches(&after)).count();
            if gone > 0 && best.as_ref().is_none_or(|(n, _)| gone > *n) {
                best = Some((gone, key.clone()));
            }
        }
        match best {
            Some((_, key)) => {
                now.remove(&key);
                removed.push(key);
            }
            None => {
                let s = still[0];
                let shared: Vec<String> =
                    s.sel.keys().into_iter().filter(|k| kept_keys.contains(k) && now.contains_key(k)).collect();
                return Err(if shared.is_empty() {
                    format!("{} selects the pod with \"{}\", which removing labels cannot undo", s.what, s.sel.text())
                } else {
                    let keepers: Vec<&str> = keep
                        .iter()
                        .filter(|k| k.sel.keys().iter().any(|key| shared.contains(key)))
                        .map(|k| k.what.as_str())
                        .collect();
                    format!(
                        "{} selects the pod only through {} ({}), which {} also select{}",
                        s.what,
                        if shared.len() == 1 { "the label" } else { "the labels" },
                        shared.join(", "),
                        keepers.join(" and "),
                        if keepers.len() == 1 { "s" } else { "" }
                    )
                });
            }
        }
    }
    for k in keep {
        if !k.sel.matches(&now) {
            return Err(format!("{} would stop selecting the pod", k.what));
        }
    }
    Ok(removed)
}

/// The labels after removing `removed` and adding the marker.
pub fn labels_after(labels: &Labels, removed: &[String]) -> Labels {
    let mut after = labels.clone();
    for k in removed {
        after.remove(k);
    }
    after.insert(MARKER.to_string(), "true".to_string());
    after
}

/// A pod with the owner and selectors that decide its relabel.
pub struct Planned {
    /// The pod as read.
    pub pod: Pod,
    /// Its controller, if any.
    pub owner: Option<Owner>,
    /// The label keys to remove.
    pub removed: Vec<String>,
    /// What it leaves: `Kind/name` of the owner and the Services.
    pub left: Vec<String>,
}

/// The pod's labels.
pub fn labels_of(pod: &Pod) -> Labels {
    pod.metadata.labels.clone().unwrap_or_default()
}

/// The pod's name.
pub fn name_of(pod: &Pod) -> String {
    pod.metadata.name.clone().unwrap_or_default()
}

/// The pod's IP, if it has one.
pub fn ip_of(pod: &Pod) -> Option<String> {
    pod.status.as_ref().and_then(|s| s.pod_ip.clone())
}

/// The Services whose selector selects these labels.
fn services_selecting(n: &Neighbourhood, labels: &Labels) -> Vec<Selecting> {
    n.services
        .as_ref()
        .map(|v| v.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|s| {
            let m = s.spec.as_ref().and_then(|s| s.selector.clone()).filter(|m| !m.is_empty())?;
            let sel = Sel::Map(m);
            sel.matches(labels)
                .then(|| Selecting { what: format!("Service/{}", s.metadata.name.clone().unwrap_or_default()), sel })
        })
        .collect()
}

/// Decides which labels to remove from a pod, given what it leaves: the labels, and the
/// `Kind/name` of each selector left.
pub fn plan_pod(pod: &Pod, owner: Option<&Owner>, n: &Neighbourhood, from: From) -> Result<(Vec<String>, Vec<String>)> {
    let labels = labels_of(pod);
    let services = services_selecting(n, &labels);
    let owner_sel = owner.and_then(Owner::selecting);
    let name = name_of(pod);
    let (leave, keep): (Vec<Selecting>, Vec<Selecting>) = match from {
        From::All => (owner_sel.into_iter().chain(services).collect(), vec![]),
        From::Owner => {
            let Some(o) = owner_sel else {
                return Err(Error::runtime(format!("pod {name} has no controller to detach it from"))
                    .hint("--from=services takes it out of its Services only"));
            };
            (vec![o], services)
        }
        From::Services => {
            if services.is_empty() {
                return Err(match &n.services {
                    Err(why) => Error::runtime(format!("cannot tell which Services select pod {name}: {why}")),
                    Ok(_) => Error::runtime(format!("no Service selects pod {name}")),
                });
            }
            (services, owner_sel.into_iter().collect())
        }
    };
    if leave.is_empty() {
        return Err(Error::runtime(format!(
            "nothing selects pod {name}: it has no controller and no Service selects it"
        ))
        .hint("a bare pod outside every Service is already detached"));
    }
    let removed = labels_to_remove(&labels, &leave, &keep).map_err(|e| {
        Error::runtime(format!("cannot detach pod {name}: {e}")).hint(match from {
            From::All => "--from=services or --from=owner leaves only one of them",
            _ => "--from=all takes it out of both",
        })
    })?;
    Ok((removed, leave.into_iter().map(|s| s.what).collect()))
}

/// The labels reattach restores: those recorded before detaching that the pod no longer has.
/// Labels someone changed since are left as they are now.
pub fn labels_to_restore(original: &Labels, now: &Labels) -> Labels {
    original.iter().filter(|(k, _)| !now.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn map(what: &str, pairs: &[(&str, &str)]) -> Selecting {
        Selecting { what: what.into(), sel: Sel::Map(labels(pairs)) }
    }

    fn rs() -> Selecting {
        Selecting {
            what: "ReplicaSet/web-5d8f".into(),
            sel: Sel::Label(LabelSelector {
                match_labels: Some(labels(&[("app", "web"), ("pod-template-hash", "5d8f")])),
                match_expressions: None,
            }),
        }
    }

    fn pod() -> Labels {
        labels(&[("app", "web"), ("pod-template-hash", "5d8f"), ("tier", "front")])
    }

    #[test]
    fn leaving_owner_and_service_removes_the_shared_label_once() {
        let removed = labels_to_remove(&pod(), &[rs(), map("Service/web", &[("app", "web")])], &[]).expect("plan");
        assert_eq!(removed, vec!["app".to_string()]);
    }

    #[test]
    fn leaving_only_the_owner_keeps_every_label_a_service_uses() {
        let removed = labels_to_remove(&pod(), &[rs()], &[map("Service/web", &[("app", "web")])]).expect("plan");
        assert_eq!(removed, vec!["pod-template-hash".to_string()]);
    }

    #[test]
    fn leaving_only_services_keeps_the_owner() {
        let svc = map("Service/web", &[("app", "web"), ("tier", "front")]);
        let removed = labels_to_remove(&pod(), &[svc], &[rs()]).expect("plan");
        assert_eq!(removed, vec!["tier".to_string()]);
    }

    #[test]
    fn two_services_with_overlapping_selectors_both_let_go() {
        let a = map("Service/a", &[("app", "web")]);
        let b = map("Service/b", &[("tier", "front")]);
        let removed = labels_to_remove(&pod(), &[a, b], &[]).expect("plan");
        assert_eq!(removed, vec!["app".to_string(), "tier".to_string()]);
    }

    #[test]
    fn a_service_that_only_shares_the_owners_labels_cannot_be_left_alone() {
        let svc = map("Service/web", &[("app", "web")]);
        let err = labels_to_remove(&pod(), &[svc], &[rs()]).expect_err("impossible");
        assert!(err.contains("Service/web selects the pod only through the label (app)"), "{err}");
        assert!(err.contains("ReplicaSet/web-5d8f also selects"), "{err}");
    }

    #[test]
    fn a_not_in_selector_cannot_be_left_by_removing_labels() {
        let s = Selecting {
            what: "PodDisruptionBudget/x".into(),
            sel: Sel::Label(LabelSelector {
                match_labels: None,
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "NotIn".into(),
                    values: Some(vec!["db".into()]),
                }]),
            }),
        };
        let err = labels_to_remove(&pod(), &[s], &[]).expect_err("impossible");
        assert!(err.contains("removing labels cannot undo"), "{err}");
    }
}
