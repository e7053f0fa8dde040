//! The write side: the JSON Patches that detach and reattach a pod, each guarded by `test`
//! operations so that a concurrent change makes it fail instead of being overwritten; sending
//! them with our field manager; telling a lost race from a refusal; detaching one pod again when
//! it changed under us; and putting back the pods of a command that failed half-way.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kubectl_kit_core::flags::DryRun;
use kubectl_kit_core::selector::Labels;
use kubectl_kit_core::{Error, Result, output, time};
use serde_json::{Value, json};

use crate::gather::Neighbourhood;
use crate::plan::{
    self, DELETION_COST, DETACHED_AT, DETACHED_BY, DETACHED_FROM, From, MARKER, ORIGINAL_LABELS, OWNER_UID, Planned,
    REATTACH_COST, labels_of, name_of, plan_pod,
};

/// Attempts per pod when the pod changes under us (409 Conflict or a failed `test`: 422).
pub const ATTEMPTS: usize = 5;
/// The field manager the API server records for our writes.
pub const FIELD_MANAGER: &str = "kubectl-detach";

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

/// Sends a JSON Patch to a pod (`application/json-patch+json`) with our field manager,
/// persisting nothing when `dry` is `DryRun::Server`.
pub async fn patch_pod(
    api: &Api<Pod>,
    ns: &str,
    name: &str,
    ops: &serde_json::Value,
    dry: DryRun,
) -> kube::Result<Pod> {
    let mut path = format!("/api/v1/namespaces/{ns}/pods/{name}");
    kubectl_kit_core::list::query_pair(&mut path, "fieldManager", FIELD_MANAGER);
    if dry == DryRun::Server {
        kubectl_kit_core::list::query_pair(&mut path, "dryRun", "All");
    }
    let body = serde_json::to_vec(ops).map_err(kube::Error::SerdeError)?;
    let req = http::Request::patch(path)
        .header(http::header::CONTENT_TYPE, "application/json-patch+json")
        .header(http::header::ACCEPT, "application/json")
        .body(body)
        .map_err(kube::Error::HttpError)?;
    api.clone().into_client().request::<Pod>(req).await
}

/// A write lost to a concurrent one: 409 Conflict, or the API server's answer to a JSON Patch
/// that no longer applies (a failed `test` operation, a label already gone): 422 `Invalid` with
/// no causes at all, as apiserver's `handlers/patch.go` builds it (`NewGenericServerResponse`
/// without a server message). A 422 for a value the server refuses (`NewInvalid`) names the
/// object and the fields at fault, and is not a race.
pub fn is_conflict(e: &kube::Error) -> bool {
    let kube::Error::Api(s) = e else { return false };
    let names_nothing = s.details.as_ref().is_none_or(|d| d.causes.is_empty() && d.name.is_empty());
    s.code == 409 || (s.code == 422 && s.reason == "Invalid" && names_nothing)
}

/// What every write of one command shares.
pub struct Writer<'a> {
    /// The namespace's pods.
    pub api: &'a Api<Pod>,
    /// The namespace.
    pub ns: &'a str,
    /// What selects pods there, to plan a pod again when it changed.
    pub n: &'a Neighbourhood,
    /// What the pods leave.
    pub from: From,
    /// Who detaches them, for the record.
    pub by: &'a str,
}

/// A delay before the first write, so that tests can change a pod between our read and our
/// write and check that the change is not lost. Never set in normal use.
pub fn test_pause() -> Duration {
    std::env::var("KUBECTL_DETACH_TEST_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::ZERO, Duration::from_millis)
}

/// Patches one pod, re-reading and re-planning it when it changed under us.
pub async fn write(w: &Writer<'_>, p: &Planned, dry: DryRun, pause: Duration) -> Result<Pod> {
    let mut pod = p.pod.clone();
    let mut removed = p.removed.clone();
    let owner_for_plan = p.owner.as_ref().filter(|o| o.sel.is_some());
    if !pause.is_zero() {
        tokio::time::sleep(pause).await;
    }
    for attempt in 1..=ATTEMPTS {
        let labels = labels_of(&pod);
        let left_owner = owner_for_plan
            .filter(|o| o.sel.as_ref().is_some_and(|s| !s.matches(&plan::labels_after(&labels, &removed))));
        let mut from_text = vec![left_owner.map_or("-".to_string(), |o| o.what.clone())];
        from_text.extend(p.left.iter().filter(|w| w.starts_with("Service/")).cloned());
        let record = Record {
            at: time::format_rfc3339(time::now()),
            by: w.by.to_string(),
            from: from_text.join(" "),
            owner_uid: left_owner.map(|o| o.uid.clone()),
        };
        let rv = pod.metadata.resource_version.clone().unwrap_or_default();
        let patch = detach_patch(&rv, &labels, pod.metadata.annotations.as_ref(), &removed, &record);
        match patch_pod(w.api, w.ns, &name_of(&pod), &patch, dry).await {
            Ok(done) => return Ok(done),
            Err(e) if is_conflict(&e) && attempt < ATTEMPTS => {
                output::warn(&format!(
                    "pod {} changed while being detached; reading it again (attempt {} of {ATTEMPTS})",
                    name_of(&pod),
                    attempt + 1
                ));
                pod = w.api.get(&name_of(&pod)).await?;
                if labels_of(&pod).contains_key(plan::MARKER) {
                    return Err(Error::runtime(format!(
                        "pod {} was detached by someone else meanwhile",
                        name_of(&pod)
                    )));
                }
                removed = plan_pod(&pod, owner_for_plan, w.n, w.from)?.0;
            }
            Err(e) if is_conflict(&e) => {
                return Err(Error::runtime(format!(
                    "pod {} kept changing while being detached; gave up after {ATTEMPTS} attempts, nothing was changed",
                    name_of(&pod)
                ))
                .caused_by(e));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::runtime("unreachable: attempts exhausted"))
}

/// Puts back pods detached earlier in a command that then failed. Returns how many were restored.
pub async fn rollback(api: &Api<Pod>, ns: &str, planned: &[Planned], done: &[usize]) -> usize {
    let mut restored = 0;
    for &i in done {
        let name = name_of(&planned[i].pod);
        let Ok(now) = api.get(&name).await else { continue };
        let original = labels_of(&planned[i].pod);
        let restore = plan::labels_to_restore(&original, &labels_of(&now));
        let rv = now.metadata.resource_version.clone().unwrap_or_default();
        let patch = reattach_patch(&rv, &restore, &now.metadata.annotations.clone().unwrap_or_default(), false);
        if patch_pod(api, ns, &name, &patch, DryRun::None).await.is_ok() {
            restored += 1;
        } else {
            output::warn(&format!("pod {name} could not be put back; kubectl detach reattach pod {name} restores it"));
        }
    }
    restored
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::labels_to_restore;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn status(json: &str) -> kube::Error {
        kube::Error::Api(Box::new(serde_json::from_str(json).expect("a Status")))
    }

    #[test]
    fn conflicts_are_told_by_status_not_by_message() {
        // apiserver's answer to a JSON Patch whose `test` failed (handlers/patch.go), as
        // v1.35 sends it.
        let test_failed = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
            "message":"the server rejected our request due to an error in our request","reason":"Invalid",
            "details":{},"code":422}"#;
        assert!(is_conflict(&status(test_failed)));
        // A value the server refuses: it names the object and the field.
        let invalid = r#"{"kind":"Status","apiVersion":"v1","status":"Failure",
            "message":"Pod \"x\" is invalid: metadata.labels: Invalid value","reason":"Invalid",
            "details":{"name":"x","kind":"Pod","causes":[{"reason":"FieldValueInvalid","message":"Invalid value","field":"metadata.labels"}]},
            "code":422}"#;
        assert!(!is_conflict(&status(invalid)));
        let unprocessable = r#"{"status":"Failure","message":"x","reason":"Invalid","details":{"causes":[{"reason":"FieldValueRequired","field":"spec"}]},"code":422}"#;
        assert!(!is_conflict(&status(unprocessable)));
        assert!(is_conflict(&status(r#"{"status":"Failure","message":"changed","reason":"Conflict","code":409}"#)));
        assert!(!is_conflict(&status(r#"{"status":"Failure","message":"no","reason":"Forbidden","code":403}"#)));
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
