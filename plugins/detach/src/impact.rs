//! The impact table: everything that selects the pod now, whether it will after the relabel, and
//! what that means (a replacement, an endpoint gone, a budget or autoscaler that stops counting
//! the pod, a NetworkPolicy that stops or starts applying to it).

use k8s_openapi::api::core::v1::Pod;
use kubectl_kit_core::selector::Labels;
use serde::Serialize;

use crate::gather::{Neighbourhood, Owner};
use crate::plan::Sel;

/// One line of the impact table.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    /// `ReplicaSet`, `Service`, `EndpointSlice`, `PodDisruptionBudget`, …
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// Selects (or lists) the pod now.
    pub now: bool,
    /// Will after the relabel.
    pub after: bool,
    /// What the change means.
    pub note: String,
}

fn row(kind: &str, name: &str, now: bool, after: bool, note: impl Into<String>) -> Row {
    Row { kind: kind.into(), name: name.into(), now, after, note: note.into() }
}

/// Everything the relabel changes for one pod. `leaving` holds the names of the other pods
/// detached in the same command, so that remaining endpoint counts are right.
pub fn rows(
    pod: &Pod,
    before: &Labels,
    after: &Labels,
    owner: Option<&Owner>,
    ready_siblings: Option<(usize, usize)>,
    n: &Neighbourhood,
    leaving_ips: &[String],
) -> Vec<Row> {
    let mut out = vec![];
    let ip = pod.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default();
    if let Some(o) = owner {
        let after_sel = o.sel.as_ref().is_some_and(|s| s.matches(after));
        let name = match &o.parent {
            Some((k, p)) => format!("{} (of {k}/{p})", o.name),
            None => o.name.clone(),
        };
        let note = if after_sel {
            "keeps the pod".to_string()
        } else {
            let remain = ready_siblings.map(|(ready, _)| format!(" ({ready} ready replicas remain meanwhile)"));
            let mut note = format!("releases the pod and creates a replacement{}", remain.unwrap_or_default());
            if let Some(failure) = replacement_outlook(pod, o) {
                note.push_str("; ");
                note.push_str(&failure);
            }
            note
        };
        out.push(row(kind_of(&o.what), &name, true, after_sel, note));
    }
    match &n.services {
        Ok(services) => {
            for s in services {
                let Some(m) = s.spec.as_ref().and_then(|s| s.selector.clone()).filter(|m| !m.is_empty()) else {
                    continue;
                };
                let sel = Sel::Map(m);
                if !sel.matches(before) {
                    continue;
                }
                let name = s.metadata.name.clone().unwrap_or_default();
                let keeps = sel.matches(after);
                out.push(row(
                    "Service",
                    &name,
                    true,
                    keeps,
                    if keeps { "keeps sending it traffic" } else { "stops sending it traffic" },
                ));
                if keeps {
                    continue;
                }
                for slice in n.slices.as_ref().map(|v| v.as_slice()).unwrap_or_default() {
                    let labels = slice.metadata.labels.clone().unwrap_or_default();
                    if labels.get("kubernetes.io/service-name") != Some(&name) {
                        continue;
                    }
                    let has =
                        |e: &k8s_openapi::api::discovery::v1::Endpoint, a: &str| e.addresses.iter().any(|x| x == a);
                    if ip.is_empty() || !slice.endpoints.iter().any(|e| has(e, &ip)) {
                        continue;
                    }
                    let ready_left = slice
                        .endpoints
                        .iter()
                        .filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true))
                        .filter(|e| !e.addresses.iter().any(|a| a == &ip || leaving_ips.contains(a)))
                        .count();
                    let note = if ready_left == 0 {
                        format!("drops {ip}; no ready endpoint remains in this slice")
                    } else {
                        format!("drops {ip} ({ready_left} ready endpoints remain)")
                    };
                    out.push(row("EndpointSlice", &slice.metadata.name.clone().unwrap_or_default(), true, false, note));
                }
            }
        }
        Err(why) => out.push(row("Service", "*", false, false, why.clone())),
    }
    match &n.pdbs {
        Ok(pdbs) => {
            for p in pdbs {
                let Some(sel) = p.spec.as_ref().and_then(|s| s.selector.clone()) else { continue };
                let sel = Sel::Label(sel);
                if !sel.matches(before) {
                    continue;
                }
                let keeps = sel.matches(after);
                let note = if keeps {
                    "still counts the pod"
                } else {
                    "stops counting the pod: evictions of it are no longer limited"
                };
                out.push(row("PodDisruptionBudget", &p.metadata.name.clone().unwrap_or_default(), true, keeps, note));
            }
        }
        Err(why) => out.push(row("PodDisruptionBudget", "*", false, false, why.clone())),
    }
    if let (Some(o), Ok(hpas)) = (owner, &n.hpas) {
        for h in hpas {
            let Some(t) = h.spec.as_ref().map(|s| &s.scale_target_ref) else { continue };
            let targets_owner = (t.kind == kind_of(&o.what) && t.name == o.name)
                || o.parent.as_ref().is_some_and(|(k, p)| &t.kind == k && &t.name == p);
            if !targets_owner {
                continue;
            }
            let keeps = o.sel.as_ref().is_some_and(|s| s.matches(after));
            let note = if keeps {
                "still counts the pod".to_string()
            } else {
                format!("{}/{}'s metrics stop including the pod", t.kind, t.name)
            };
            out.push(row("HorizontalPodAutoscaler", &h.metadata.name.clone().unwrap_or_default(), true, keeps, note));
        }
    }
    match &n.policies {
        Ok(policies) => {
            for p in policies {
                let name = p.metadata.name.clone().unwrap_or_default();
                let Some(spec) = &p.spec else { continue };
                let sel = Sel::Label(spec.pod_selector.clone().unwrap_or_default());
                let (was, will) = (sel.matches(before), sel.matches(after));
                if was || will {
                    let note = match (was, will) {
                        (true, true) => "still applies to the pod",
                        (true, false) => "stops applying: its rules no longer restrict the pod",
                        _ => "starts applying to the pod",
                    };
                    out.push(row("NetworkPolicy", &name, was, will, note));
                }
                // Rules naming the pod as a peer (same namespace: podSelector without namespaceSelector).
                let peers = spec
                    .ingress
                    .iter()
                    .flatten()
                    .flat_map(|r| r.from.iter().flatten().map(|p| ("ingress from", p)))
                    .chain(spec.egress.iter().flatten().flat_map(|r| r.to.iter().flatten().map(|p| ("egress to", p))));
                for (dir, peer) in peers {
                    if peer.namespace_selector.is_some() {
                        continue;
                    }
                    let Some(ps) = &peer.pod_selector else { continue };
                    let ps = Sel::Label(ps.clone());
                    let (was, will) = (ps.matches(before), ps.matches(after));
                    if was != will {
                        let note = format!(
                            "{dir} the pod {} by a rule of this policy",
                            if was { "is no longer allowed" } else { "becomes allowed" }
                        );
                        out.push(row("NetworkPolicy", &name, was, will, note));
                    }
                }
            }
        }
        Err(why) => out.push(row("NetworkPolicy", "*", false, false, why.clone())),
    }
    out
}

/// Why the pod fails, when the cause comes with its spec (a container that crashes, an image
/// that cannot be pulled, a missing ConfigMap key): whether a replacement from the owner's
/// template will meet it too. A pod failing for its node (evicted, a node that went away) has
/// nothing to say here.
fn replacement_outlook(pod: &Pod, owner: &Owner) -> Option<String> {
    let status = pod.status.as_ref()?;
    let statuses = status.init_container_statuses.iter().flatten().chain(status.container_statuses.iter().flatten());
    let (container, why) = statuses.filter(|c| !c.ready).find_map(|c| {
        let waiting = c.state.as_ref().and_then(|s| s.waiting.as_ref()).and_then(|w| w.reason.clone());
        let last = c.last_state.as_ref().and_then(|s| s.terminated.as_ref());
        let why = match waiting.as_deref() {
            Some("CrashLoopBackOff") => match last {
                Some(t) => format!(
                    "is in CrashLoopBackOff (last exit {}, {})",
                    t.exit_code,
                    t.reason.as_deref().unwrap_or("Error")
                ),
                None => "is in CrashLoopBackOff".into(),
            },
            Some(r @ ("ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" | "CreateContainerConfigError")) => {
                format!("is in {r}")
            }
            _ => return None,
        };
        Some((c.name.clone(), why))
    })?;
    let running = pod
        .spec
        .as_ref()?
        .init_containers
        .iter()
        .flatten()
        .chain(&pod.spec.as_ref()?.containers)
        .find(|c| c.name == container)
        .and_then(|c| c.image.clone());
    let template = owner.template_images.iter().find(|(n, _)| *n == container).map(|(_, i)| i);
    Some(match (running, template) {
        (Some(now), Some(t)) if &now != t => {
            format!("container {container} {why}; the replacement runs the template's image {t} instead of {now}")
        }
        _ => format!(
            "container {container} {why} and the replacement has the same template: it will likely fail the same way"
        ),
    })
}

fn kind_of(what: &str) -> &str {
    what.split('/').next().unwrap_or(what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodStatus, Service, ServiceSpec};
    use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointSlice};
    use k8s_openapi::api::networking::v1::{
        NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicySpec,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn endpoint(ip: &str) -> Endpoint {
        Endpoint {
            addresses: vec![ip.into()],
            conditions: Some(EndpointConditions { ready: Some(true), ..Default::default() }),
            ..Default::default()
        }
    }

    #[test]
    fn a_service_left_drops_the_ip_from_its_slice_and_counts_what_remains() {
        let pod = Pod {
            status: Some(PodStatus { pod_ip: Some("10.0.0.1".into()), ..Default::default() }),
            ..Default::default()
        };
        let svc = Service {
            metadata: ObjectMeta { name: Some("web".into()), ..Default::default() },
            spec: Some(ServiceSpec { selector: Some(labels(&[("app", "web")])), ..Default::default() }),
            ..Default::default()
        };
        let slice = EndpointSlice {
            metadata: ObjectMeta {
                name: Some("web-abc".into()),
                labels: Some(labels(&[("kubernetes.io/service-name", "web")])),
                ..Default::default()
            },
            endpoints: vec![endpoint("10.0.0.1"), endpoint("10.0.0.2"), endpoint("10.0.0.3")],
            ..Default::default()
        };
        let deny = NetworkPolicy {
            metadata: ObjectMeta { name: Some("db".into()), ..Default::default() },
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(LabelSelector {
                    match_labels: Some(labels(&[("app", "db")])),
                    ..Default::default()
                }),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![NetworkPolicyPeer {
                        pod_selector: Some(LabelSelector {
                            match_labels: Some(labels(&[("app", "web")])),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        };
        let n = Neighbourhood {
            services: Ok(vec![svc]),
            slices: Ok(vec![slice]),
            pdbs: Err("not visible: forbidden".into()),
            policies: Ok(vec![deny]),
            hpas: Ok(vec![]),
        };
        let before = labels(&[("app", "web")]);
        let after = labels(&[("kubectl-kit/detached", "true")]);
        let rows = rows(&pod, &before, &after, None, None, &n, &["10.0.0.2".to_string()]);
        assert_eq!(rows[0], row("Service", "web", true, false, "stops sending it traffic"));
        assert_eq!(rows[1], row("EndpointSlice", "web-abc", true, false, "drops 10.0.0.1 (1 ready endpoints remain)"));
        assert_eq!(rows[2].kind, "PodDisruptionBudget");
        assert!(rows[2].note.contains("not visible"));
        assert_eq!(rows[3].kind, "NetworkPolicy");
        assert!(rows[3].note.contains("ingress from the pod is no longer allowed"), "{:?}", rows[3]);
    }

    #[test]
    fn a_crash_looping_pod_warns_that_its_replacement_will_crash_too() {
        use crate::gather::OwnerKind;
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "api-1"},
            "spec": {"containers": [{"name": "app", "image": "api:1"}]},
            "status": {"podIP": "10.0.0.1", "containerStatuses": [{"name": "app", "ready": false, "restartCount": 3, "image": "api:1", "imageID": "",
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}}}]}
        }))
        .expect("pod");
        let mut owner = Owner {
            kind: OwnerKind::ReplicaSet,
            what: "ReplicaSet/api-7d4".into(),
            name: "api-7d4".into(),
            uid: "u".into(),
            sel: Some(Sel::Map(labels(&[("app", "api")]))),
            replicas: Some(2),
            parent: Some(("Deployment".into(), "api".into())),
            template_images: vec![("app".into(), "api:1".into())],
        };
        let n = Neighbourhood {
            services: Ok(vec![]),
            slices: Ok(vec![]),
            pdbs: Ok(vec![]),
            policies: Ok(vec![]),
            hpas: Ok(vec![]),
        };
        let before = labels(&[("app", "api")]);
        let after = labels(&[]);
        let out = rows(&pod, &before, &after, Some(&owner), Some((1, 2)), &n, &[]);
        assert_eq!(
            out[0].note,
            "releases the pod and creates a replacement (1 ready replicas remain meanwhile); container app is in CrashLoopBackOff (last exit 3, Error) and the replacement has the same template: it will likely fail the same way"
        );
        owner.template_images = vec![("app".into(), "api:2".into())];
        let out = rows(&pod, &before, &after, Some(&owner), None, &n, &[]);
        assert!(
            out[0].note.ends_with("the replacement runs the template's image api:2 instead of api:1"),
            "{}",
            out[0].note
        );
    }
}
