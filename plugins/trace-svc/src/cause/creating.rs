//! Containers that are still being created, and what holds them there: a volume the kubelet
//! cannot mount (a missing ConfigMap, Secret or claim), a volume the attach/detach controller
//! cannot attach, or a pod sandbox the network plugin cannot set up. These are said by Warning
//! events on the pod (the kubelet's `FailedMount` and `FailedCreatePodSandBox`, the controller
//! manager's `FailedAttachVolume`), never by the container's status, which only says
//! `ContainerCreating` (or `PodInitializing`) however long it lasts.

use super::{Cause, Judge, first_lines};
use crate::pod::ContainerStatus;

/// The events that keep a pod's containers from being created, most telling first.
const BLOCKING: &[&str] = &["FailedCreatePodSandBox", "FailedAttachVolume", "FailedMount"];

impl Judge<'_> {
    /// A container waiting in `reason` (`ContainerCreating`, `PodInitializing`): what blocks
    /// the pod, from its events, or that it is being created.
    pub(super) fn creating(&self, cs: &ContainerStatus, reason: &str, init: bool) -> Cause {
        let what = if init { "init container" } else { "container" };
        // A mount error says which volume and why; the kubelet's later timeout only lists the
        // volumes, so the former is preferred.
        let mount = self
            .ctx
            .event_where(self.pod, |e| e.reason == "FailedMount" && e.message.starts_with("MountVolume."))
            .or_else(|| self.ctx.event(self.pod, &["FailedMount"]));
        let blocking = self.ctx.event(self.pod, &BLOCKING[..2]).or(mount);
        let Some(e) = blocking else {
            let mut c = self.cause(reason, format!(", {what} {} is being created", cs.name), self.describe_pod());
            c.container = Some(cs.name.clone());
            c.reason = Some(reason.to_string());
            let since = self.pod.status.as_ref().and_then(|s| s.start_time.as_deref());
            c.evidence.push(format!(
                "waiting{}; no Warning event about the pod says why yet (volumes, the sandbox and the image are set up first)",
                since.map(|t| format!(" since {t}")).unwrap_or_default()
            ));
            return c;
        };
        let before = if init { format!(" before init container {} can start", cs.name) } else { String::new() };
        let node = self.node().map(str::to_string);
        let mut c = match e.reason.as_str() {
            "FailedCreatePodSandBox" => {
                // The message names the sandbox's id: it stays in the evidence, not the summary.
                let mut c = self.cause(
                    "FailedCreatePodSandBox",
                    format!(", the pod's sandbox cannot be created{before}: the network plugin failed"),
                    match &node {
                        Some(n) => {
                            format!("kubectl get pods -n kube-system -o wide --field-selector spec.nodeName={n}")
                        }
                        None => self.describe_pod(),
                    },
                );
                c.evidence.push(
                    "the kubelet has the network plugin (CNI) set up the pod's network before any container starts"
                        .into(),
                );
                c.object = node.as_ref().map(|n| format!("Node/{n}"));
                c
            }
            "FailedAttachVolume" => {
                let mut c = self.cause(
                    "FailedAttachVolume",
                    format!(", a volume cannot be attached to the node{before}"),
                    self.describe_pod(),
                );
                c.object = node.as_ref().map(|n| format!("Node/{n}"));
                c
            }
            _ => self.mount_failure(&e.message, &before),
        };
        c.reason = Some(e.reason.clone());
        c.message = Some(first_lines(&e.message, 5));
        c.node = node;
        c.evidence.insert(0, e.line());
        c
    }

    /// A volume the kubelet cannot mount: which one, and the object it needs.
    fn mount_failure(&self, message: &str, before: &str) -> Cause {
        let m = read_mount_error(message);
        let volume = m.volume.as_deref().map(|v| format!("volume {v}")).unwrap_or_else(|| "a volume".into());
        let (summary, command, object) = match (&m.missing, m.volume.as_deref()) {
            (Some((kind, name)), _) => (
                format!(", {volume} cannot be mounted{before}: {kind} {name} does not exist"),
                match kind.as_str() {
                    "ConfigMap" => format!("kubectl create configmap {name} -n {} --from-file=PATH", self.ns),
                    "Secret" => format!("kubectl create secret generic {name} -n {} --from-file=PATH", self.ns),
                    _ => format!("kubectl describe {} {name} -n {}", kind.to_ascii_lowercase(), self.ns),
                },
                Some(format!("{kind}/{name}")),
            ),
            (None, Some(_)) => (format!(", {volume} cannot be mounted{before}"), self.describe_pod(), None),
            (None, None) => {
                let listed = m.unmounted.map(|v| format!(" ({v})")).unwrap_or_default();
                (format!(", volumes{listed} are not mounted{before}"), self.describe_pod(), None)
            }
        };
        let mut c = self.cause("FailedMount", summary, command);
        c.object = object;
        c
    }
}

/// What the kubelet's mount errors say (operation_executor's `MountVolume.SetUp failed for
/// volume "V" : ERROR`, volume_manager's `Unable to attach or mount volumes: unmounted
/// volumes=[a b], …`).
#[derive(Debug, Default, PartialEq, Eq)]
struct MountError {
    volume: Option<String>,
    /// The kind and name of a ConfigMap, Secret or claim that does not exist.
    missing: Option<(String, String)>,
    /// The volumes the kubelet gave up waiting for.
    unmounted: Option<String>,
}

fn read_mount_error(message: &str) -> MountError {
    let mut m = MountError::default();
    if let Some(rest) = message.split_once(" for volume \"").map(|(_, r)| r) {
        m.volume = rest.split_once('"').map(|(v, _)| v.to_string());
    }
    // The kubelet's object managers report `configmap "NAME" not found`, `secret "NAME" not
    // found`; a claim is `persistentvolumeclaim "NAME" not found`.
    for (word, kind) in
        [("configmap", "ConfigMap"), ("secret", "Secret"), ("persistentvolumeclaim", "PersistentVolumeClaim")]
    {
        let needle = format!("{word} \"");
        if let Some(rest) = message.split(&needle).nth(1)
            && let Some((name, tail)) = rest.split_once('"')
            && tail.trim_start().starts_with("not found")
        {
            m.missing = Some((kind.to_string(), name.to_string()));
        }
    }
    if let Some(rest) = message.split_once("unmounted volumes=[").map(|(_, r)| r) {
        m.unmounted = rest.split_once(']').map(|(v, _)| v.replace(' ', ", ")).filter(|v| !v.is_empty());
    }
    m
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::Event;
    use serde_json::json;

    use super::{MountError, read_mount_error};
    use crate::cause::testing::{ctx, pod};
    use crate::cause::{Context, classify};

    fn creating(extra: serde_json::Value) -> crate::pod::PodView {
        let mut v = json!({"metadata": {"name": "p", "uid": "u"},
            "spec": {"nodeName": "n1", "containers": [{"name": "app"}]},
            "status": {"phase": "Pending", "startTime": "2026-01-01T00:00:00Z",
                "containerStatuses": [{"name": "app", "state": {"waiting": {"reason": "ContainerCreating"}}}]}});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            for (k, val) in e {
                o.insert(k.clone(), val.clone());
            }
        }
        pod(v)
    }

    fn event(reason: &str, message: &str, last: &str) -> Event {
        serde_json::from_value(json!({"metadata": {"name": format!("p.{reason}")},
            "involvedObject": {"kind": "Pod", "name": "p", "uid": "u"}, "reason": reason, "message": message,
            "count": 4, "type": "Warning", "lastTimestamp": last}))
        .expect("event")
    }

    #[test]
    fn reads_the_kubelets_mount_errors() {
        assert_eq!(
            read_mount_error("MountVolume.SetUp failed for volume \"config\" : configmap \"app-config\" not found"),
            MountError {
                volume: Some("config".into()),
                missing: Some(("ConfigMap".into(), "app-config".into())),
                unmounted: None
            }
        );
        assert_eq!(
            read_mount_error(
                "Unable to attach or mount volumes: unmounted volumes=[creds data], unattached volumes=[], failed to process volumes=[]: context deadline exceeded"
            )
            .unmounted
            .as_deref(),
            Some("creds, data")
        );
        assert_eq!(read_mount_error("something else"), MountError::default());
    }

    #[test]
    fn a_missing_secret_volume_is_named_and_the_timeout_is_not_preferred() {
        let events = vec![
            event(
                "FailedMount",
                "MountVolume.SetUp failed for volume \"creds\" : secret \"db-creds\" not found",
                "2026-01-01T00:00:10Z",
            ),
            event(
                "FailedMount",
                "Unable to attach or mount volumes: unmounted volumes=[creds], unattached volumes=[], failed to process volumes=[]: context deadline exceeded",
                "2026-01-01T00:02:10Z",
            ),
        ];
        let c = classify(&creating(json!({})), &Context::new("ns", events, BTreeMap::new())).expect("a cause");
        assert_eq!(c.cause, "FailedMount");
        assert_eq!(c.summary, "FailedMount, volume creds cannot be mounted: Secret db-creds does not exist");
        assert_eq!(c.object.as_deref(), Some("Secret/db-creds"));
        assert_eq!(c.command, "kubectl create secret generic db-creds -n ns --from-file=PATH");
        assert!(c.evidence[0].starts_with("event FailedMount ×4: MountVolume.SetUp failed"), "{:?}", c.evidence);
    }

    #[test]
    fn a_sandbox_the_network_plugin_cannot_set_up() {
        let events = vec![event(
            "FailedCreatePodSandBox",
            "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox \"0123abcd\": plugin type=\"calico\" failed (add): stat /var/lib/calico/nodename: no such file or directory",
            "2026-01-01T00:00:10Z",
        )];
        let c = classify(&creating(json!({})), &Context::new("ns", events, BTreeMap::new())).expect("a cause");
        assert_eq!(c.cause, "FailedCreatePodSandBox");
        assert!(!c.summary.contains("0123abcd"), "pods of one group share a summary: {}", c.summary);
        assert!(c.message.as_deref().is_some_and(|m| m.contains("0123abcd")));
        assert_eq!(c.command, "kubectl get pods -n kube-system -o wide --field-selector spec.nodeName=n1");
    }

    #[test]
    fn a_container_being_created_is_said_so_with_its_start() {
        let c = classify(&creating(json!({})), &ctx()).expect("a cause");
        assert_eq!(c.cause, "ContainerCreating");
        assert_eq!(c.summary, "ContainerCreating, container app is being created");
        assert!(c.evidence[0].starts_with("waiting since 2026-01-01T00:00:00Z"), "{:?}", c.evidence);
    }
}
