//! A container that runs but is not ready: the readiness or startup probe that fails (its
//! target, period and threshold, the kubelet's latest Unhealthy event), or a readiness gate
//! whose condition nobody sets.

use k8s_openapi::api::core::v1::Probe;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Cause, Judge};
use crate::pod::{Container, ContainerStatus};

impl Judge<'_> {
    pub(super) fn probe_failure(&self, cs: &ContainerStatus, spec: Option<&Container>) -> Option<Cause> {
        let startup = cs.started == Some(false) && spec.is_some_and(|c| c.startup_probe.is_some());
        let (cause, kind, probe) = if startup {
            ("StartupProbeFailed", "startup", spec.and_then(|c| c.startup_probe.as_ref()))
        } else {
            ("ReadinessProbeFailed", "readiness", spec.and_then(|c| c.readiness_probe.as_ref()))
        };
        // The kubelet's Unhealthy events say which probe (`Readiness probe failed: …`): a
        // liveness probe's are not this one's.
        let prefix = if startup { "Startup probe" } else { "Readiness probe" };
        let event = self.ctx.event_where(self.pod, |e| {
            e.reason == "Unhealthy" && (e.message.starts_with(prefix) || !e.message.contains(" probe failed"))
        });
        let Some(probe) = probe else {
            // Running, not ready, no probe to blame: say what the kubelet says.
            let mut c = self.cause(
                "ContainersNotReady",
                format!(", container {} is running but not ready", cs.name),
                self.describe_pod(),
            );
            c.container = Some(cs.name.clone());
            return Some(c);
        };
        let target = probe_target(probe);
        let mut c = Cause {
            cause: cause.into(),
            summary: format!("{cause}, container {}: {kind} probe {target} fails", cs.name),
            command: format!("kubectl logs {} -c {} -n {}", self.name, cs.name, self.ns),
            container: Some(cs.name.clone()),
            message: event.map(|e| e.message.clone()),
            ..Default::default()
        };
        let period = probe.period_seconds.unwrap_or(10);
        let threshold = probe.failure_threshold.unwrap_or(3);
        c.evidence.push(format!(
            "probed every {period}s; {threshold} failures in a row mark it {}",
            if startup { "failed (and restart the container)" } else { "not ready" }
        ));
        if let Some(e) = event {
            c.evidence.push(e.line());
        } else {
            c.evidence.push("no Unhealthy event yet".into());
        }
        Some(c)
    }

    pub(super) fn readiness_gates(&self, message: Option<String>) -> Cause {
        let gates: Vec<String> = self
            .pod
            .spec
            .iter()
            .flat_map(|s| s.readiness_gates.iter().flatten())
            .map(|g| g.condition_type.clone())
            .collect();
        let mut c = self.cause(
            "ReadinessGatesNotReady",
            format!("the containers are ready but readiness gate {} is not True", gates.join(", ")),
            self.describe_pod(),
        );
        c.message = message.clone();
        if let Some(m) = message {
            c.evidence.push(format!("kubelet: {m}"));
        }
        c.evidence.push("a readiness gate's condition is set by the controller that owns it (a load balancer or mesh controller), not by the kubelet".into());
        c
    }
}

/// `httpGet http://:8080/healthz`, `tcpSocket :5432`, `exec [cat /tmp/ready]`, `grpc :9090`.
pub fn probe_target(p: &Probe) -> String {
    let port = |p: &IntOrString| match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    if let Some(h) = &p.http_get {
        let scheme = h.scheme.as_deref().unwrap_or("HTTP").to_ascii_lowercase();
        return format!("httpGet {scheme}://:{}{}", port(&h.port), h.path.as_deref().unwrap_or("/"));
    }
    if let Some(t) = &p.tcp_socket {
        return format!("tcpSocket :{}", port(&t.port));
    }
    if let Some(e) = &p.exec {
        return format!("exec [{}]", e.command.clone().unwrap_or_default().join(" "));
    }
    if let Some(g) = &p.grpc {
        return format!("grpc :{}", g.port);
    }
    "(no handler)".into()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::Event;
    use serde_json::json;

    use crate::cause::testing::pod;
    use crate::cause::{Context, classify};

    #[test]
    fn a_failing_readiness_probe_names_its_target_and_the_kubelets_event() {
        let p = pod(json!({"metadata": {"name": "p", "uid": "u"},
            "spec": {"containers": [{"name": "app", "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}}]},
            "status": {"containerStatuses": [{"name": "app", "ready": false, "started": true, "state": {"running": {}}}],
                       "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}]}}));
        let e: Event = serde_json::from_value(json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"},
            "reason": "Unhealthy", "message": "Readiness probe failed: HTTP probe failed with statuscode: 503", "count": 7})).expect("event");
        let c = classify(&p, &Context::new("ns", vec![e], BTreeMap::new())).expect("a cause");
        assert_eq!(
            c.summary,
            "ReadinessProbeFailed, container app: readiness probe httpGet http://:http/healthz fails"
        );
        assert_eq!(c.message.as_deref(), Some("Readiness probe failed: HTTP probe failed with statuscode: 503"));
        assert!(c.evidence.contains(
            &"event Unhealthy ×7: Readiness probe failed: HTTP probe failed with statuscode: 503".to_string()
        ));
    }
}
