//! What to change on a pod, decided without the network: which labels to remove so that the
//! selectors to leave stop matching while the selectors to keep still match, the JSON Patch that
//! does it (guarded by `test` operations), and the patch that undoes it.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubectl_kit_core::selector::{self, Labels};
use serde::Serialize;
use serde_json::{Value, json};

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
pub fn labels_to_remove(labels: &Labels, leave: &[Selecting], keep: &[Selecting]) -> Result<Vec<String>, String> {
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

/// A JSON Pointer token: `~` and `/` escaped (RFC 6901).
pub fn pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// What the detach patch records.
#[derive(Debug, Clone)]
pub struct Record {
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub by: String,
    /// `Kind/name` of the owner left, `-` when none; then the Services left.
    pub from: String,
    /// The owner's uid, when the pod left its owner.
    pub owner_uid: Option<String>,
}

/// The JSON Patch that detaches: `test` the resourceVersion and every label it removes (so a
/// concurrent change makes it fail instead of being overwritten), remove the labels, add the
/// marker and the annotations that make it reversible.
pub fn detach_patch(
    resource_version: &str,
    labels: &Labels,
    annotations: Option<&BTreeMap<String, String>>,
    removed: &[String],
    record: &Record,
) -> Value {
    let mut ops = vec![json!({"op": "test", "path": "/metadata/resourceVersion", "value": resource_version})];
    for k in removed {
        let path = format!("/metadata/labels/{}", pointer(k));
        ops.push(json!({"op": "test", "path": path, "value": labels.get(k).cloned().unwrap_or_default()}));
        ops.push(json!({"op": "remove", "path": path}));
    }
    ops.push(json!({"op": "add", "path": format!("/metadata/labels/{}", pointer(MARKER)), "value": "true"}));
    if annotations.is_none() {
        ops.push(json!({"op": "add", "path": "/metadata/annotations", "value": {}}));
    }
    let original = serde_json::to_string(labels).unwrap_or_else(|_| "{}".into());
    let mut notes =
        vec![(ORIGINAL_LABELS, original), (DETACHED_AT, record.at.clone()), (DETACHED_BY, record.by.clone())];
    notes.push((DETACHED_FROM, record.from.clone()));
    if let Some(uid) = &record.owner_uid {
        notes.push((OWNER_UID, uid.clone()));
    }
    for (k, v) in notes {
        ops.push(json!({"op": "add", "path": format!("/metadata/annotations/{}", pointer(k)), "value": v}));
    }
    Value::Array(ops)
}

/// The labels reattach restores: those recorded before detaching that the pod no longer has.
/// Labels someone changed since are left as they are now.
pub fn labels_to_restore(original: &Labels, now: &Labels) -> Labels {
    original.iter().filter(|(k, _)| !now.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The JSON Patch that reattaches: `test` the resourceVersion and the marker, restore the
/// labels, drop the marker and the record, and set the deletion cost so that the owner, now one
/// pod over, removes a replacement rather than this pod.
pub fn reattach_patch(
    resource_version: &str,
    restore: &Labels,
    annotations: &BTreeMap<String, String>,
    set_cost: bool,
) -> Value {
    let mut ops = vec![
        json!({"op": "test", "path": "/metadata/resourceVersion", "value": resource_version}),
        json!({"op": "test", "path": format!("/metadata/labels/{}", pointer(MARKER)), "value": "true"}),
    ];
    for (k, v) in restore {
        ops.push(json!({"op": "add", "path": format!("/metadata/labels/{}", pointer(k)), "value": v}));
    }
    ops.push(json!({"op": "remove", "path": format!("/metadata/labels/{}", pointer(MARKER))}));
    for k in [ORIGINAL_LABELS, DETACHED_AT, DETACHED_BY, DETACHED_FROM, OWNER_UID] {
        if annotations.contains_key(k) {
            ops.push(json!({"op": "remove", "path": format!("/metadata/annotations/{}", pointer(k))}));
        }
    }
    if set_cost {
        ops.push(
            json!({"op": "add", "path": format!("/metadata/annotations/{}", pointer(DELETION_COST)), "value": REATTACH_COST}),
        );
    }
    Value::Array(ops)
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

    #[test]
    fn the_patch_tests_before_it_changes_and_records_the_original_labels() {
        let record = Record {
            at: "2026-01-01T00:00:00Z".into(),
            by: "me".into(),
            from: "ReplicaSet/x".into(),
            owner_uid: Some("u1".into()),
        };
        let l = labels(&[("app", "web"), ("app.kubernetes.io/name", "x")]);
        let p = detach_patch("42", &l, None, &["app.kubernetes.io/name".to_string()], &record);
        let ops = p.as_array().expect("array");
        assert_eq!(ops[0], json!({"op": "test", "path": "/metadata/resourceVersion", "value": "42"}));
        assert_eq!(ops[1], json!({"op": "test", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "x"}));
        assert_eq!(ops[2], json!({"op": "remove", "path": "/metadata/labels/app.kubernetes.io~1name"}));
        assert_eq!(ops[3]["path"], "/metadata/labels/kubectl-kit~1detached");
        assert_eq!(ops[4], json!({"op": "add", "path": "/metadata/annotations", "value": {}}));
        let original =
            ops.iter().find(|o| o["path"] == "/metadata/annotations/kubectl-kit~1original-labels").expect("record");
        let back: Labels = serde_json::from_str(original["value"].as_str().expect("text")).expect("json");
        assert_eq!(back, l);
    }

    #[test]
    fn reattach_restores_only_what_is_missing() {
        let original = labels(&[("app", "web"), ("tier", "front")]);
        let now = labels(&[("tier", "back"), (MARKER, "true")]);
        assert_eq!(labels_to_restore(&original, &now), labels(&[("app", "web")]));
        let ann: BTreeMap<String, String> = [(ORIGINAL_LABELS.to_string(), "{}".to_string())].into();
        let p = reattach_patch("7", &labels(&[("app", "web")]), &ann, true);
        let ops = p.as_array().expect("array");
        assert_eq!(ops[1]["op"], "test");
        assert!(ops.iter().any(|o| o["op"] == "remove" && o["path"] == "/metadata/labels/kubectl-kit~1detached"));
        assert!(ops.iter().any(|o| o["path"] == "/metadata/annotations/controller.kubernetes.io~1pod-deletion-cost"));
        assert!(!ops.iter().any(|o| o["path"] == "/metadata/annotations/kubectl-kit~1detached-at"));
    }
}
