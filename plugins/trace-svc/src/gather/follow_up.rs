//! What the groups' causes need asked after the pods, once per group: the cluster's registry,
//! claims and their StorageClass, the kubelet's Killing events, and with `--logs` a previous
//! container log.

use super::*;

/// What the groups' causes need asked, once per group: the cluster's registry about an image
/// (for the first few images), the PersistentVolumeClaims a pod waits for, the kubelet's
/// Killing events (one list for every group that needs them), and with `--logs` the previous
/// log of one crashed container. What cannot be asked is said in the evidence rather than
/// failing the trace.
pub(super) async fn follow_up(kube: &Kube, ns: &str, facts: &mut PodFacts, opts: FollowUpOptions) {
    let mut images = 0;
    let ctx = std::mem::take(&mut facts.ctx);
    let killing = if facts.groups.iter().any(|g| g.cause.followup == Followup::Killing) {
        let api: Api<Event> = Api::namespaced(kube.client.clone(), ns);
        Some(api.list(&ListParams::default().fields("reason=Killing")).await.map(|l| l.items))
    } else {
        None
    };
    for g in &mut facts.groups {
        match g.cause.followup.clone() {
            Followup::Image { image, .. } if images < CHECKED_IMAGES => {
                images += 1;
                match kubectl_kit_registry::probe::probe(kube, &image, opts.verbosity, opts.timeout).await {
                    Ok(Some(p)) => g.cause.add_registry(p, ns),
                    Ok(None) => {}
                    Err(e) => {
                        g.cause.evidence.push(format!("the cluster's registry could not be checked: {}", e.message))
                    }
                }
            }
            Followup::Claims(claims) => {
                let api: Api<PersistentVolumeClaim> = Api::namespaced(kube.client.clone(), ns);
                let mut found = vec![];
                for claim in claims.into_iter().take(CHECKED_IMAGES) {
                    let state = match api.get_opt(&claim).await {
                        Ok(Some(pvc)) => Some(claim_state(kube, &pvc).await),
                        Ok(None) => None,
                        Err(e) => Some(format!("not readable ({e})")),
                    };
                    let event = ctx
                        .object_event("PersistentVolumeClaim", &claim, &["ProvisioningFailed", "FailedBinding"])
                        .map(|e| e.line());
                    found.push((claim, state, event));
                }
                g.cause.add_claims(found);
            }
            Followup::Killing => {
                let pod = g.cause.example_pods.first().cloned().unwrap_or_default();
                let container = g.cause.container.clone().unwrap_or_default();
                let line = match &killing {
                    Some(Ok(events)) => killing_line(events, &pod, &container),
                    Some(Err(e)) => Some(format!("the kubelet's Killing events could not be read: {e}")),
                    None => None,
                };
                g.cause.add_killing(line);
            }
            _ => {}
        }
        if opts.logs
            && let (Some(container), Some(pod)) = (g.cause.crashed_container(), g.cause.example_pods.first())
        {
            let log = previous_log(kube, ns, pod, container).await;
            let pod = pod.clone();
            g.cause.add_logs(&pod, log);
        }
    }
    facts.ctx = ctx;
}

/// The kubelet's latest Killing event for a container of a pod: `event Killing ×N: Container
/// app failed liveness probe, will be restarted`.
fn killing_line(events: &[Event], pod: &str, container: &str) -> Option<String> {
    let own = format!("Container {container} ");
    events
        .iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(pod))
        .filter(|e| e.message.as_deref().is_some_and(|m| m.starts_with(&own)))
        .max_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0.as_second()).unwrap_or(0))
        .map(|e| {
            let count = e.count.or_else(|| e.series.as_ref().and_then(|s| s.count)).unwrap_or(1);
            format!("event Killing ×{count}: {}", e.message.clone().unwrap_or_default().trim())
        })
}

/// The tail of a container's previous log (`kubectl logs --previous`), or why it could not be
/// read.
async fn previous_log(kube: &Kube, ns: &str, pod: &str, container: &str) -> std::result::Result<String, String> {
    let mut path = format!("/api/v1/namespaces/{}/pods/{}/log", percent_path(ns), percent_path(pod));
    query_pair(&mut path, "container", container);
    query_pair(&mut path, "previous", "true");
    query_pair(&mut path, "tailLines", &LOG_TAIL.to_string());
    query_pair(&mut path, "limitBytes", &LOG_BYTES.to_string());
    // The log is text; an error (no previous container, no log) is a Status, which the API
    // server can only send in a type the request accepts: with text/plain alone it answers
    // that it accepts only JSON, YAML or protobuf instead of why there is no log.
    match visible(kube.get_raw(&path, "text/plain, application/json").await) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(hidden)) => Err(format!("not visible: forbidden ({})", hidden.message)),
        Err(e) => Err(e.one_line()),
    }
}

/// The claim's phase and StorageClass (`Pending, storageClassName fast, which does not exist`).
async fn claim_state(kube: &Kube, pvc: &PersistentVolumeClaim) -> String {
    let phase = pvc.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".into());
    match pvc.spec.as_ref().and_then(|s| s.storage_class_name.clone()).filter(|c| !c.is_empty()) {
        Some(class) => {
            let classes: Api<StorageClass> = Api::all(kube.client.clone());
            let exists = match classes.get_opt(&class).await {
                Ok(Some(_)) => "",
                Ok(None) => ", which does not exist",
                Err(_) => "",
            };
            format!("{phase}, storageClassName {class}{exists}")
        }
        None => format!("{phase}, no storageClassName (the default StorageClass, if any)"),
    }
}
