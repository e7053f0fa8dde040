//! Pods the scheduler has not placed: its message, and which of the pod's constraints no node
//! meets (a nodeSelector label, a taint not tolerated and the node condition or cordon behind
//! it, requests larger than any node, a PersistentVolumeClaim to wait for); and pods it may not
//! place yet (scheduling gates).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Taint;
use kubectl_kit_core::quantity;

use super::{Cause, Followup, Judge, NodeFact, first_lines};
use crate::pod::Container;

impl Judge<'_> {
    pub(super) fn unschedulable(&self, reason: Option<&str>, message: Option<&str>) -> Cause {
        if reason == Some("SchedulingGated") {
            return self.gated(message);
        }
        let msg = message
            .map(str::to_string)
            .or_else(|| self.ctx.event(self.pod, &["FailedScheduling"]).map(|e| e.message.clone()));
        let cause = match reason {
            Some("Unschedulable") | None => "Unschedulable",
            Some(r) => r,
        };
        let summary = msg.as_deref().map(|m| first_lines(m, 1)).unwrap_or_else(|| "not scheduled yet".into());
        let mut c = self.cause(cause, summary, self.describe_pod());
        c.message = msg;
        self.scheduling_evidence(&mut c);
        c
    }

    /// A pod the scheduler leaves alone until its scheduling gates are removed.
    fn gated(&self, message: Option<&str>) -> Cause {
        let gates: Vec<String> =
            self.pod.spec.iter().flat_map(|s| s.scheduling_gates.iter().flatten()).map(|g| g.name.clone()).collect();
        let mut c = self.cause(
            "SchedulingGated",
            format!(
                "scheduling is held back by gate(s) {}",
                if gates.is_empty() { "(none listed)".into() } else { gates.join(", ") }
            ),
            format!("kubectl get pod {} -n {} -o jsonpath={{.spec.schedulingGates}}", self.name, self.ns),
        );
        c.message = message.map(str::to_string);
        c.evidence.push("the scheduler does not consider a pod until its spec.schedulingGates is empty; each gate is removed by the controller that added it (a queue, quota or provisioning controller)".into());
        c
    }

    /// Which nodes and labels the scheduler's refusal is about, from the pod's constraints and
    /// the nodes themselves.
    fn scheduling_evidence(&self, c: &mut Cause) {
        let Some(spec) = self.pod.spec.as_ref() else { return };
        let all = &self.ctx.nodes;
        // The nodes the pod's nodeSelector allows; taints and sizes only matter on those.
        let sel = spec.node_selector.clone().unwrap_or_default();
        let nodes: BTreeMap<&String, &NodeFact> =
            all.iter().filter(|(_, n)| sel.iter().all(|(k, v)| n.labels.get(k) == Some(v))).collect();
        if !sel.is_empty() {
            let wanted = sel.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
            if nodes.is_empty() {
                for (k, v) in &sel {
                    let have: std::collections::BTreeSet<&str> =
                        all.values().filter_map(|n| n.labels.get(k).map(String::as_str)).collect();
                    if !have.contains(v.as_str()) {
                        c.evidence.push(if have.is_empty() {
                            format!("nodeSelector {k}={v}: no node has the label {k}")
                        } else {
                            format!(
                                "nodeSelector {k}={v}: nodes have {k}={}",
                                have.into_iter().collect::<Vec<_>>().join(", ")
                            )
                        });
                    }
                }
                c.command = format!("kubectl get nodes -l {wanted} --show-labels");
                return;
            }
            c.evidence.push(format!("nodeSelector {wanted}: {} of {} node(s) match", nodes.len(), all.len()));
        }
        let tolerations = spec.tolerations.clone().unwrap_or_default();
        let mut untolerated: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut blocked = 0;
        for (name, n) in &nodes {
            let mut any = false;
            for t in n.taints.iter().filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute") {
                if !tolerations.iter().any(|tol| tolerates(tol, t)) {
                    let text = match &t.value {
                        Some(v) if !v.is_empty() => format!("{}={v}:{}", t.key, t.effect),
                        _ => format!("{}:{}", t.key, t.effect),
                    };
                    untolerated.entry(text).or_default().push(name.as_str());
                    any = true;
                }
            }
            if any {
                blocked += 1;
            }
        }
        if !nodes.is_empty() && blocked == nodes.len() {
            for (taint, on) in &untolerated {
                c.evidence.push(format!("taint {taint} (not tolerated) on {}", on.join(", ")));
            }
            c.command = "kubectl get nodes -o custom-columns=NAME:.metadata.name,TAINTS:.spec.taints".into();
            // The taints the node lifecycle controller adds for a condition or a cordon: say
            // the condition, which is what to fix.
            let troubled: Vec<(&String, &NodeFact)> =
                nodes.iter().filter(|(_, n)| !n.troubles.is_empty() || n.cordoned).map(|(k, v)| (*k, *v)).collect();
            for (name, n) in &troubled {
                c.evidence.extend(n.trouble_lines(name));
            }
            if let Some((name, _)) = troubled.first() {
                c.command = format!("kubectl describe node {name}");
                c.object = Some(format!("Node/{name}"));
            }
            return;
        }
        let (cpu, memory) = requests(spec);
        let max_cpu =
            nodes.values().filter_map(|n| n.cpu).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        let max_mem =
            nodes.values().filter_map(|n| n.memory).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        let mut too_big = vec![];
        if let (Some((req, text)), Some(max)) = (&cpu, max_cpu)
            && *req > max
        {
            too_big.push(format!("requests cpu {text}, more than any node can allocate"));
        }
        if let (Some((req, text)), Some(max)) = (&memory, max_mem)
            && *req > max
        {
            too_big.push(format!("requests memory {text}, more than any node can allocate"));
        }
        if !too_big.is_empty() {
            c.evidence.extend(too_big);
            c.command = "kubectl get nodes -o custom-columns=NAME:.metadata.name,CPU:.status.allocatable.cpu,MEMORY:.status.allocatable.memory".into();
            return;
        }
        let claims: Vec<String> = spec
            .volumes
            .iter()
            .flatten()
            .filter_map(|v| v.persistent_volume_claim.as_ref().map(|c| c.claim_name.clone()))
            .collect();
        if !claims.is_empty() {
            c.command = format!("kubectl describe pvc {} -n {}", claims[0], self.ns);
            c.followup = Followup::Claims(claims);
            return;
        }
        if let Some((_, text)) = cpu {
            c.evidence.push(format!(
                "requests cpu {text}{}",
                memory.map(|(_, m)| format!(", memory {m}")).unwrap_or_default()
            ));
        }
    }
}

/// Does a toleration tolerate a taint (the scheduler's rule: same key or an empty key with
/// Exists, same effect or none, and Exists or an equal value)?
fn tolerates(tol: &k8s_openapi::api::core::v1::Toleration, t: &Taint) -> bool {
    if tol.effect.as_deref().is_some_and(|e| !e.is_empty() && e != t.effect) {
        return false;
    }
    let op = tol.operator.as_deref().unwrap_or("Equal");
    let key_ok = match tol.key.as_deref() {
        None | Some("") => op == "Exists",
        Some(k) => k == t.key,
    };
    key_ok && (op == "Exists" || tol.value.as_deref().unwrap_or("") == t.value.as_deref().unwrap_or(""))
}

/// A request as a number and as written.
type Request = Option<(f64, String)>;

/// The pod's cpu and memory requests (the larger of the containers' sum and any one init
/// container's), as numbers and as the text written.
fn requests(spec: &crate::pod::Spec) -> (Request, Request) {
    let one = |c: &Container, r: &str| -> Option<f64> {
        c.resources.as_ref()?.requests.as_ref()?.get(r).and_then(|q| quantity::value(&q.0))
    };
    let total = |r: &str| -> Request {
        let sum: f64 = spec.containers.iter().filter_map(|c| one(c, r)).sum();
        let init = spec.init_containers.iter().filter_map(|c| one(c, r)).fold(0.0, f64::max);
        let v = sum.max(init);
        if v == 0.0 {
            return None;
        }
        let text = if spec.containers.len() == 1 && init <= sum {
            spec.containers[0].resources.as_ref()?.requests.as_ref()?.get(r).map(|q| q.0.clone())?
        } else if r == "cpu" {
            format!("{}m", (v * 1000.0).round())
        } else {
            format!("{}Mi", (v / 1024.0 / 1024.0).ceil())
        };
        Some((v, text))
    };
    (total("cpu"), total("memory"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::Node;
    use serde_json::json;

    use crate::cause::testing::pod;
    use crate::cause::{Context, Followup, NodeFact, classify};

    #[test]
    fn scheduling_refusals_name_the_nodes_and_labels() {
        let node = |name: &str, zone: &str, taint: bool| -> (String, NodeFact) {
            let n: Node = serde_json::from_value(json!({"metadata": {"name": name, "labels": {"zone": zone}},
                "spec": {"taints": if taint { json!([{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]) } else { json!([]) }},
                "status": {"allocatable": {"cpu": "1k", "memory": "4Ti"}, "conditions": [{"type": "Ready", "status": "True"}]}}))
            .expect("node");
            (name.to_string(), NodeFact::from_node(&n))
        };
        let nodes: BTreeMap<String, NodeFact> = [node("a", "z1", true), node("b", "z2", true)].into();
        let ctx = Context::new("ns", vec![], nodes);
        let unscheduled = |spec: serde_json::Value| {
            pod(json!({"metadata": {"name": "p"}, "spec": spec,
                "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/2 nodes are available"}]}}))
        };
        let c = classify(&unscheduled(json!({"nodeSelector": {"zone": "z9"}})), &ctx).expect("a cause");
        assert_eq!(c.cause, "Unschedulable");
        assert_eq!(c.message.as_deref(), Some("0/2 nodes are available"));
        assert_eq!(c.evidence, ["nodeSelector zone=z9: nodes have zone=z1, z2"]);
        assert_eq!(c.command, "kubectl get nodes -l zone=z9 --show-labels");
        let c = classify(&unscheduled(json!({})), &ctx).expect("a cause");
        assert_eq!(c.evidence, ["taint dedicated=db:NoSchedule (not tolerated) on a, b"]);
        let tolerant = json!({"tolerations": [{"key": "dedicated", "operator": "Exists"}],
            "containers": [{"name": "c", "resources": {"requests": {"cpu": "2k"}}}]});
        let c = classify(&unscheduled(tolerant), &ctx).expect("a cause");
        assert_eq!(c.evidence, ["requests cpu 2k, more than any node can allocate"]);
        let c = classify(&unscheduled(json!({"tolerations": [{"operator": "Exists"}], "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]})), &ctx)
            .expect("a cause");
        assert_eq!(c.followup, Followup::Claims(vec!["data".into()]));
    }
}
