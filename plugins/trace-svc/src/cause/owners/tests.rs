//! The owners' rules on workloads, refusals and follow-ups built from JSON.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Event;
use serde_json::json;

use super::*;
use crate::model::Status;

fn view(v: serde_json::Value) -> WorkloadView {
    serde_json::from_value(v).expect("workload")
}

fn deployment(replicas: i32, status: serde_json::Value) -> WorkloadView {
    view(json!({"metadata": {"name": "api", "managedFields": [
            {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status", "time": "2026-01-01T00:00:00Z", "fieldsV1": {"f:status": {"f:replicas": {}}}},
            {"manager": "kubectl-scale", "operation": "Update", "subresource": "scale", "time": "2026-01-02T00:00:00Z", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]},
        "spec": {"replicas": replicas, "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "app", "image": "api:v2"}]}}},
        "status": status}))
}

fn replica_set(name: &str, revision: &str, image: &str, replicas: i32, conditions: serde_json::Value) -> WorkloadView {
    view(
        json!({"metadata": {"name": name, "annotations": {"deployment.kubernetes.io/revision": revision, "other": "x"},
            "ownerReferences": [{"kind": "Deployment", "name": "api", "controller": true}]},
        "spec": {"replicas": replicas, "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "app", "image": image}]}}},
        "status": {"replicas": replicas, "conditions": conditions}}),
    )
}

fn judging<'a>(
    counts: &'a BTreeMap<String, Count>,
    deps: &'a Dependents,
    follow: &'a FollowUps,
    ready: usize,
) -> Judging<'a> {
    Judging { ns: "ns", service: "api", headless: false, counts, ready_total: ready, dependents: deps, follow }
}

#[test]
fn reads_only_what_it_needs_of_a_workload() {
    let d = deployment(0, json!({}));
    assert_eq!(d.metadata.replicas_set_by.as_ref().map(|m| m.manager.as_str()), Some("kubectl-scale"));
    let rs = replica_set("api-1", "3", "api:v2", 1, json!([]));
    assert_eq!(rs.metadata.annotations.len(), 1, "only the revision is kept");
    assert_eq!(rs.controller("Deployment"), Some("api"));
}

#[test]
fn a_quota_that_refuses_the_pods_is_named_with_its_use() {
    let mut rs = replica_set(
        "api-7d9f",
        "1",
        "api:v1",
        0,
        json!([{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
            "message": "pods \"api-7d9f-x\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2"}]),
    );
    // The Deployment wants 3; the quota let none be created.
    rs.spec.replicas = Some(3);
    let lists = Lists {
        replica_sets: Some(Ok(vec![rs])),
        deployments: Some(Ok(vec![deployment(3, json!({"replicas": 0}))])),
        ..Default::default()
    };
    let sel = Labels::from([("app".to_string(), "api".to_string())]);
    let counts = BTreeMap::new();
    let f = behind(&lists, &counts, Some(&sel), &Context::default());
    assert!(f.needs().quotas && !f.needs().limit_ranges);
    let quota: ResourceQuota = serde_json::from_value(json!({"metadata": {"name": "compute"},
        "status": {"hard": {"pods": "2"}, "used": {"pods": "2"}}}))
    .expect("quota");
    let follow = FollowUps { quotas: Some(Ok(vec![quota])), ..Default::default() };
    let deps = Dependents::default();
    let f = f.judge(&judging(&counts, &deps, &follow, 0));
    assert_eq!(f.owners[0].status, Status::Fail);
    let c = &f.causes[0];
    assert_eq!(
        (c.cause.as_str(), c.reason.as_deref(), c.object.as_deref()),
        ("FailedCreate", Some("ResourceQuota"), Some("ResourceQuota/compute"))
    );
    assert_eq!(c.pods, 3);
    assert_eq!(
        c.summary,
        "FailedCreate: ReplicaSet api-7d9f cannot create pods: ResourceQuota compute is exhausted (pods=2)"
    );
    assert_eq!(
        c.evidence,
        ["requested pods=1, used pods=2, limited to pods=2", "ResourceQuota compute (used/hard): pods 2/2"]
    );
    assert_eq!(c.command, "kubectl describe resourcequota compute -n ns");
}

#[test]
fn a_webhook_that_is_down_is_traced_one_level() {
    let ds =
        view(json!({"metadata": {"name": "agent"}, "spec": {"template": {"metadata": {"labels": {"app": "api"}}}},
        "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 0}}));
    let e: Event = serde_json::from_value(json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "DaemonSet", "name": "agent"},
        "reason": "FailedCreate", "type": "Warning",
        "message": "Error creating: Internal error occurred: failed calling webhook \"check.kit.example.com\": failed to call webhook: Post \"https://guard.sec.svc:443/check?timeout=2s\": context deadline exceeded"}))
    .expect("event");
    let ctx = Context::new("ns", vec![e], BTreeMap::new());
    let lists = Lists { daemon_sets: Some(Ok(vec![ds])), ..Default::default() };
    let sel = Labels::from([("app".to_string(), "api".to_string())]);
    let counts = BTreeMap::new();
    let f = behind(&lists, &counts, Some(&sel), &ctx);
    assert_eq!(f.needs().webhooks, ["check.kit.example.com"]);
    let cfg = json!({"metadata": {"name": "guard"}, "webhooks": [{"name": "check.kit.example.com", "failurePolicy": "Fail",
        "clientConfig": {"service": {"namespace": "sec", "name": "guard", "path": "/check"}}, "sideEffects": "None", "admissionReviewVersions": ["v1"],
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]}]});
    let deps =
        Dependents { validating: Some(Ok(vec![serde_json::from_value(cfg).expect("config")])), ..Default::default() };
    let follow = FollowUps {
        services: [("sec/guard".to_string(), Ok(Some(Backend { ready: 0, addresses: 0 })))].into(),
        ..Default::default()
    };
    let f = f.judge(&judging(&counts, &deps, &follow, 0));
    let c = &f.causes[0];
    assert_eq!(
        c.summary,
        "FailedCreate: DaemonSet agent cannot create pods because webhook check.kit.example.com is down: its Service sec/guard has 0 ready endpoints"
    );
    assert_eq!(c.command, "kubectl trace-svc guard -n sec");
    assert_eq!(c.object.as_deref(), Some("Service/sec/guard"));
}

#[test]
fn rollouts_scale_to_zero_and_governing_services() {
    let counts: BTreeMap<String, Count> = [
        ("ReplicaSet/api-new".to_string(), Count { pods: 2, ready: 0 }),
        ("ReplicaSet/api-old".to_string(), Count { pods: 3, ready: 3 }),
    ]
    .into();
    let progressing = json!({"replicas": 5, "readyReplicas": 3, "conditions": [{"type": "Progressing", "status": "False",
        "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"api-new\" has timed out progressing."}]});
    let lists = Lists {
        replica_sets: Some(Ok(vec![
            replica_set("api-old", "1", "api:v1", 3, json!([])),
            replica_set("api-new", "2", "api:v2", 2, json!([])),
        ])),
        deployments: Some(Ok(vec![deployment(3, progressing)])),
        ..Default::default()
    };
    let f = behind(&lists, &counts, None, &Context::default());
    let deps = Dependents::default();
    let follow = FollowUps::default();
    let f = f.judge(&judging(&counts, &deps, &follow, 3));
    let o = &f.owners[0];
    assert_eq!((o.selected, o.selected_ready, o.status), (5, 3, Status::Warn));
    assert_eq!(o.versions.iter().map(|v| v.replica_set.as_str()).collect::<Vec<_>>(), ["api-new", "api-old"]);
    let c = &f.causes[0];
    assert_eq!(c.cause, "ProgressDeadlineExceeded");
    assert_eq!(
        c.evidence[..2],
        ["serving: revision 2 (api:v2): 0 of 2 ready", "serving: revision 1 (api:v1): 3 of 3 ready"]
    );
    assert_eq!(c.command, "kubectl rollout undo deployment/api -n ns");

    let zero = Lists { deployments: Some(Ok(vec![deployment(0, json!({}))])), ..Default::default() };
    let sel = Labels::from([("app".to_string(), "api".to_string())]);
    let none = BTreeMap::new();
    let f = behind(&zero, &none, Some(&sel), &Context::default());
    assert!(f.needs().autoscalers);
    let hpa: HorizontalPodAutoscaler = serde_json::from_value(json!({"metadata": {"name": "api"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}, "minReplicas": 2, "maxReplicas": 5},
        "status": {"desiredReplicas": 0, "conditions": [{"type": "ScalingActive", "status": "False", "reason": "ScalingDisabled",
            "message": "scaling is disabled since the replica count of the target is zero"}]}})).expect("hpa");
    let follow = FollowUps { autoscalers: Some(Ok(vec![hpa])), ..Default::default() };
    let f = f.judge(&judging(&none, &deps, &follow, 0));
    let c = &f.causes[0];
    assert_eq!(c.cause, "ScaledToZero");
    assert_eq!(c.command, "kubectl scale deployment/api --replicas=2 -n ns");
    assert_eq!(
        c.evidence,
        [
            "spec.replicas was last set by kubectl-scale (Update through /scale) at 2026-01-02T00:00:00Z",
            "HorizontalPodAutoscaler api targets it (min 2, max 5)",
            "  ScalingActive ScalingDisabled: scaling is disabled since the replica count of the target is zero"
        ]
    );
    assert_eq!(f.owners[0].status, Status::Fail);

    let sts = view(json!({"metadata": {"name": "db"}, "spec": {"replicas": 1, "serviceName": "db-hl",
        "template": {"metadata": {"labels": {"app": "db"}}}}, "status": {"replicas": 1, "readyReplicas": 1}}));
    let lists = Lists { stateful_sets: Some(Ok(vec![sts])), ..Default::default() };
    let counts: BTreeMap<String, Count> = [("StatefulSet/db".to_string(), Count { pods: 1, ready: 1 })].into();
    let f = behind(&lists, &counts, None, &Context::default());
    assert_eq!(f.needs().services, ["db-hl"]);
    let follow = FollowUps { services: [("ns/db-hl".to_string(), Ok(None))].into(), ..Default::default() };
    let f = f.judge(&judging(&counts, &deps, &follow, 1));
    assert_eq!(f.causes[0].cause, "GoverningServiceMissing");
    assert_eq!(f.owners[0].status, Status::Warn);
}
