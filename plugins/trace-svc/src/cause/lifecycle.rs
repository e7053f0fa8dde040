//! A pod's life around its containers: deletion (Terminating), eviction (with the node's
//! pressure), a pod that has ended (which containers exited with which codes), init containers
//! that fail or never finish, and the node under it that stopped being Ready.

use super::{Cause, Judge, NodeFact, first_lines, quoted_first_line};

impl Judge<'_> {
    pub(super) fn terminating(&self, at: &str) -> Cause {
        let grace = self.pod.spec.as_ref().and_then(|s| s.termination_grace_period_seconds);
        let summary = match grace {
            Some(g) => format!("being deleted; its containers get up to {g}s to exit"),
            None => "being deleted".into(),
        };
        let mut c = self.cause("Terminating", summary, self.describe_pod());
        c.evidence.push(format!("the kubelet kills what still runs at {at}; until then its endpoint is terminating"));
        if let Some(f) = self.pod.metadata.finalizers.as_ref().filter(|f| !f.is_empty()) {
            c.evidence
                .push(format!("finalizers {} keep the pod object until their controllers remove them", f.join(", ")));
        }
        c.node = self.node().map(str::to_string);
        c
    }

    pub(super) fn evicted(&self) -> Cause {
        let status = self.pod.status.clone().unwrap_or_default();
        let msg = status.message.clone().unwrap_or_default();
        let node = self.node().map(str::to_string);
        let command = match &node {
            Some(n) => format!("kubectl describe node {n}"),
            None => self.describe_pod(),
        };
        let mut c = self.cause("Evicted", first_lines(&msg, 1), command);
        c.message = Some(msg).filter(|m| !m.is_empty());
        if let Some(n) = &node {
            // The pressure that made the kubelet evict, when the node still reports it.
            if let Some(f) = self.ctx.nodes.get(n) {
                c.evidence.extend(f.trouble_lines(n));
            }
            c.object = Some(format!("Node/{n}"));
        }
        c.node = node;
        c.evidence.push(format!(
            "evicted pods stay until deleted: kubectl delete pods -n {} --field-selector=status.phase=Failed",
            self.ns
        ));
        c.evidence.extend(self.not_replaced());
        c
    }

    /// What a pod that no controller owns means once it is lost: nothing makes another. An
    /// owned pod's controller makes its replacement, and that pod is judged on its own.
    fn not_replaced(&self) -> Option<String> {
        self.pod.owner().is_none().then(|| {
            "no controller owns the pod: nothing replaces it (run it from a Deployment, StatefulSet or DaemonSet)"
                .to_string()
        })
    }

    /// A pod that has ended (phase Failed or Succeeded): why, and which containers exited with
    /// which codes.
    pub(super) fn ended(&self, phase: &str) -> Cause {
        let status = self.pod.status.clone().unwrap_or_default();
        let why = [status.reason.clone(), status.message.clone()].into_iter().flatten().collect::<Vec<_>>().join(": ");
        let mut exits = vec![];
        let mut first_failed = None;
        let inits = status.init_container_statuses.iter().flatten().map(|s| (s, true));
        for (cs, init) in inits.chain(status.container_statuses.iter().flatten().map(|s| (s, false))) {
            let Some(t) = cs.state.as_ref().and_then(|s| s.terminated.as_ref()) else { continue };
            let reason =
                t.reason.clone().unwrap_or_else(|| if t.exit_code == 0 { "Completed" } else { "Error" }.into());
            let what = if init { "init container" } else { "container" };
            let mut line = format!("{what} {} exited with {} ({reason})", cs.name, t.exit_code);
            if let Some(m) = t.message.as_deref().filter(|m| !m.trim().is_empty()) {
                line.push_str(&format!(": {}", quoted_first_line(m)));
            }
            exits.push(line);
            if t.exit_code != 0 && first_failed.is_none() {
                first_failed = Some((cs.name.clone(), t.exit_code, reason, t.message.clone()));
            }
        }
        let mut summary =
            if why.is_empty() { "the pod has ended".to_string() } else { format!("the pod has ended: {why}") };
        if !exits.is_empty() {
            summary.push_str(&format!("; {}", exits.join(", ")));
        }
        let command = match &first_failed {
            Some((name, ..)) => format!("kubectl logs {} -c {name} -n {}", self.name, self.ns),
            None => self.describe_pod(),
        };
        let mut c = self.cause(phase, summary, command);
        if let Some((name, code, reason, message)) = first_failed {
            c.container = Some(name);
            c.exit_code = Some(code);
            c.reason = Some(reason);
            c.message = message.map(|m| first_lines(&m, 5)).filter(|m| !m.is_empty());
        }
        if phase == "Failed" || phase == "Succeeded" {
            c.evidence.push(format!(
                "a pod that has ended is never restarted (restartPolicy {}): its controller must replace it",
                self.pod.spec.as_ref().and_then(|s| s.restart_policy.clone()).unwrap_or_else(|| "Always".into())
            ));
        }
        c
    }

    pub(super) fn init_cause(&self) -> Option<Cause> {
        let spec = self.pod.spec.as_ref()?;
        let statuses = self.pod.status.as_ref()?.init_container_statuses.as_ref()?;
        for ic in &spec.init_containers {
            let Some(cs) = statuses.iter().find(|s| s.name == ic.name) else { continue };
            let running = cs.state.as_ref().and_then(|s| s.running.as_ref());
            if ic.restart_policy.as_deref() == Some("Always") && running.is_some() && cs.started != Some(false) {
                continue; // a sidecar: it runs beside the containers
            }
            if let Some(c) = self.container_cause(cs, Some(ic), true) {
                return Some(c);
            }
            if let Some(r) = running {
                let since = r.started_at.as_deref().map(|t| format!(" since {t}")).unwrap_or_default();
                // The start time goes to the evidence: the summary groups pods started at other times.
                let mut c = self.cause(
                    "Init:Running",
                    format!(", init container {} has not finished: the containers wait for it", ic.name),
                    format!("kubectl logs {} -c {} -n {}", self.name, ic.name, self.ns),
                );
                c.container = Some(ic.name.clone());
                c.evidence.push(format!("running{since}"));
                return Some(c);
            }
        }
        None
    }

    pub(super) fn node_not_ready(&self, node: &str, n: &NodeFact) -> Cause {
        let mut c = self.cause(
            "NodeNotReady",
            format!(
                "node {node} is {}{}",
                n.state(),
                if n.why.is_empty() { String::new() } else { format!(" ({})", first_lines(&n.why, 1)) }
            ),
            format!("kubectl describe node {node}"),
        );
        c.node = Some(node.to_string());
        c.message = Some(n.why.clone()).filter(|m| !m.is_empty());
        c.evidence.push("the node lifecycle controller marked the pod not Ready, so the endpoint controller stopped sending it traffic".into());
        if let Some(e) = self.event_line(&["NodeNotReady"]) {
            c.evidence.push(e);
        }
        c.evidence.extend(self.not_replaced());
        c
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::Node;
    use serde_json::json;

    use crate::cause::testing::{ctx, pod};
    use crate::cause::{Context, NodeFact, classify};

    #[test]
    fn terminations_and_lost_nodes() {
        let gone = pod(
            json!({"metadata": {"name": "p", "deletionTimestamp": "2026-01-01T00:00:30Z", "finalizers": ["example.com/drain"]},
            "spec": {"terminationGracePeriodSeconds": 30}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
        );
        let c = classify(&gone, &ctx()).expect("a cause");
        assert_eq!(c.cause, "Terminating");
        assert!(c.evidence[1].contains("example.com/drain"), "{:?}", c.evidence);

        let n: Node = serde_json::from_value(json!({"metadata": {"name": "n1"}, "status": {"conditions": [
            {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node status."}]}}))
        .expect("node");
        let ctx = Context::new("ns", vec![], [("n1".to_string(), NodeFact::from_node(&n))].into());
        let on_lost_node = pod(json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1"},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}}));
        let c = classify(&on_lost_node, &ctx).expect("a cause");
        assert_eq!(
            c.summary,
            "NodeNotReady: node n1 is Unknown (NodeStatusUnknown: Kubelet stopped posting node status.)"
        );
        assert_eq!(c.command, "kubectl describe node n1");
        assert!(
            c.evidence.last().is_some_and(|e| e.starts_with("no controller owns the pod: nothing replaces it")),
            "{:?}",
            c.evidence
        );
        // A ReplicaSet's pod is replaced by its controller: nothing to add.
        let owned = pod(
            json!({"metadata": {"name": "p", "ownerReferences": [{"kind": "ReplicaSet", "name": "api-1", "controller": true}]},
            "spec": {"nodeName": "n1"}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}}),
        );
        let c = classify(&owned, &ctx).expect("a cause");
        assert!(!c.evidence.iter().any(|e| e.contains("nothing replaces it")), "{:?}", c.evidence);
        let evicted = pod(json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1"},
            "status": {"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."}}));
        let c = classify(&evicted, &ctx).expect("a cause");
        assert_eq!(c.cause, "Evicted");
        assert!(c.evidence.iter().any(|e| e.starts_with("no controller owns the pod")), "{:?}", c.evidence);
        let ready = pod(
            json!({"metadata": {"name": "p"}, "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}),
        );
        assert!(classify(&ready, &ctx).is_none());
    }
}
