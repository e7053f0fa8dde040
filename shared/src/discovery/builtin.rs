//! The built-in resources that have short names, for when no cluster is reachable.

use super::{Catalog, Group, Resource};

/// The built-in Kubernetes resources that have short names (v1.35): the table every tutorial's
/// appendix prints, for when no cluster is reachable.
pub fn offline() -> Catalog {
    /// group, version, plural, singular, kind, namespaced, short names
    type Row = (&'static str, &'static str, &'static str, &'static str, &'static str, bool, &'static [&'static str]);
    const ROWS: &[Row] = &[
        ("", "v1", "componentstatuses", "componentstatus", "ComponentStatus", false, &["cs"]),
        ("", "v1", "configmaps", "configmap", "ConfigMap", true, &["cm"]),
        ("", "v1", "endpoints", "endpoints", "Endpoints", true, &["ep"]),
        ("", "v1", "events", "event", "Event", true, &["ev"]),
        ("", "v1", "limitranges", "limitrange", "LimitRange", true, &["limits"]),
        ("", "v1", "namespaces", "namespace", "Namespace", false, &["ns"]),
        ("", "v1", "nodes", "node", "Node", false, &["no"]),
        ("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, &["pvc"]),
        ("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false, &["pv"]),
        ("", "v1", "pods", "pod", "Pod", true, &["po"]),
        ("", "v1", "replicationcontrollers", "replicationcontroller", "ReplicationController", true, &["rc"]),
        ("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", true, &["quota"]),
        ("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, &["sa"]),
        ("", "v1", "services", "service", "Service", true, &["svc"]),
        ("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, &["ds"]),
        ("apps", "v1", "deployments", "deployment", "Deployment", true, &["deploy"]),
        ("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, &["rs"]),
        ("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, &["sts"]),
        ("events.k8s.io", "v1", "events", "event", "Event", true, &["ev"]),
        (
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            "horizontalpodautoscaler",
            "HorizontalPodAutoscaler",
            true,
            &["hpa"],
        ),
        ("batch", "v1", "cronjobs", "cronjob", "CronJob", true, &["cj"]),
        (
            "certificates.k8s.io",
            "v1",
            "certificatesigningrequests",
            "certificatesigningrequest",
            "CertificateSigningRequest",
            false,
            &["csr"],
        ),
        ("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, &["ing"]),
        ("networking.k8s.io", "v1", "ipaddresses", "ipaddress", "IPAddress", false, &["ip"]),
        ("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, &["netpol"]),
        ("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, &["pdb"]),
        ("storage.k8s.io", "v1", "storageclasses", "storageclass", "StorageClass", false, &["sc"]),
        (
            "storage.k8s.io",
            "v1",
            "volumeattributesclasses",
            "volumeattributesclass",
            "VolumeAttributesClass",
            false,
            &["vac"],
        ),
        (
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "customresourcedefinition",
            "CustomResourceDefinition",
            false,
            &["crd", "crds"],
        ),
        ("scheduling.k8s.io", "v1", "priorityclasses", "priorityclass", "PriorityClass", false, &["pc"]),
    ];
    let mut groups: Vec<Group> = Vec::new();
    for (group, version, name, singular, kind, namespaced, shorts) in ROWS {
        let r = Resource {
            name: (*name).into(),
            singular_name: (*singular).into(),
            group: (*group).into(),
            version: (*version).into(),
            kind: (*kind).into(),
            namespaced: *namespaced,
            verbs: vec![],
            short_names: shorts.iter().map(|s| (*s).to_string()).collect(),
            categories: vec![],
        };
        match groups.iter_mut().find(|g| g.name == *group) {
            Some(g) => g.versions[0].1.push(r),
            None => groups.push(Group { name: (*group).into(), versions: vec![((*version).into(), vec![r])] }),
        }
    }
    Catalog { groups, from_cache: false, offline: true }
}
