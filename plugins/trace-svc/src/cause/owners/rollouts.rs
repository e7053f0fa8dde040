//! Why a workload does not have its pods without any refusal: scaled to zero (by whom, and
//! the HorizontalPodAutoscaler that targets it), a Deployment's rollout stuck or in progress,
//! a StatefulSet whose governing Service is missing.

use super::*;

/// The HPA's minReplicas for the workload, when one targets it.
pub(super) fn autoscaler_min(name: &str, kind: &str, j: &Judging<'_>) -> Option<i32> {
    let hpas = j.follow.autoscalers.as_ref()?.as_ref().ok()?;
    hpas.iter()
        .find(|h| h.spec.as_ref().is_some_and(|s| s.scale_target_ref.kind == kind && s.scale_target_ref.name == name))
        .and_then(|h| h.spec.as_ref()?.min_replicas)
}

pub(super) fn scaled_to_zero(kind: &str, w: &WorkloadView, j: &Judging<'_>) -> Cause {
    let name = &w.metadata.name;
    let mut c = cause("ScaledToZero", format!("{kind} {name} is scaled to 0 replicas: it keeps no pod"), String::new());
    c.object = Some(format!("{kind}/{name}"));
    match &w.metadata.replicas_set_by {
        Some(m) => {
            let via = if m.subresource.is_empty() { String::new() } else { format!(" through /{}", m.subresource) };
            c.evidence.push(format!(
                "spec.replicas was last set by {} ({}{via}){}",
                m.manager,
                m.operation,
                if m.time.is_empty() { String::new() } else { format!(" at {}", m.time) }
            ));
        }
        // The API server records no manager for a write through /scale (kubectl scale, an
        // autoscaler, a GitOps tool's scale): it only takes the field from its previous owner.
        None => c.evidence.push(
            "no field manager owns spec.replicas: it was last set through the /scale subresource (kubectl scale, an autoscaler), which records none"
                .into(),
        ),
    }
    match &j.follow.autoscalers {
        Some(Ok(hpas)) => {
            let mine = hpas.iter().find(|h| {
                h.spec.as_ref().is_some_and(|s| s.scale_target_ref.kind == kind && &s.scale_target_ref.name == name)
            });
            match mine {
                Some(h) => {
                    let hname = h.metadata.name.clone().unwrap_or_default();
                    let spec = h.spec.clone().unwrap_or_default();
                    c.evidence.push(format!(
                        "HorizontalPodAutoscaler {hname} targets it (min {}, max {})",
                        spec.min_replicas.unwrap_or(1),
                        spec.max_replicas
                    ));
                    for cond in h.status.iter().flat_map(|s| s.conditions.iter().flatten()) {
                        if cond.status != "True" {
                            c.evidence.push(format!(
                                "  {} {}: {}",
                                cond.type_,
                                cond.reason.clone().unwrap_or_default(),
                                cond.message.clone().unwrap_or_default()
                            ));
                        }
                    }
                }
                None => c.evidence.push("no HorizontalPodAutoscaler targets it".into()),
            }
        }
        Some(Err(e)) => c.evidence.push(format!("HorizontalPodAutoscalers are not visible: {e}")),
        None => {}
    }
    c
}

/// A Deployment's rollout: stuck past its deadline, or in progress with several versions
/// serving. Returns the statuses it sets.
pub(super) fn deployment_rollout(b: &Behind, owner: &Owner, j: &Judging<'_>, causes: &mut Vec<Cause>) -> Vec<Status> {
    let w = &b.view;
    let name = &w.metadata.name;
    let mut statuses = vec![];
    let serving: Vec<&Version> = owner.versions.iter().filter(|v| v.selected > 0).collect();
    let describe = |v: &Version| {
        format!(
            "revision {} ({}): {} of {} ready",
            v.revision.clone().unwrap_or_else(|| "?".into()),
            if v.images.is_empty() { v.replica_set.clone() } else { v.images.join(", ") },
            v.ready,
            v.selected
        )
    };
    if let Some(p) = w.condition("Progressing").filter(|c| c.status == "False") {
        let stuck = p.reason.as_deref() == Some("ProgressDeadlineExceeded");
        let name_c = if stuck { "ProgressDeadlineExceeded" } else { p.reason.as_deref().unwrap_or("NotProgressing") };
        let mut c = cause(
            name_c,
            format!(
                "{name_c}: Deployment {name}'s rollout has stopped: {}",
                one_line(p.message.as_deref().unwrap_or_default(), 1)
            ),
            format!("kubectl rollout undo deployment/{name} -n {}", j.ns),
        );
        c.reason = p.reason.clone();
        c.message = p.message.clone();
        c.object = Some(format!("Deployment/{name}"));
        for v in &serving {
            c.evidence.push(format!("serving: {}", describe(v)));
        }
        if let Some(old) = owner.versions.iter().skip(1).find(|v| v.current > 0 || v.selected > 0) {
            c.evidence.push(format!(
                "`rollout undo` returns to the previous revision {} ({})",
                old.revision.clone().unwrap_or_default(),
                old.images.join(", ")
            ));
        }
        statuses.push(if owner.selected_ready == 0 { Status::Fail } else { Status::Warn });
        causes.push(c);
    } else if serving.len() > 1 {
        let mut c = cause(
            "RolloutInProgress",
            format!("RolloutInProgress: {} versions of Deployment {name} serve", serving.len()),
            format!("kubectl rollout status deployment/{name} -n {}", j.ns),
        );
        c.object = Some(format!("Deployment/{name}"));
        for v in &serving {
            c.evidence.push(format!("serving: {}", describe(v)));
        }
        statuses.push(Status::Warn);
        causes.push(c);
    }
    if w.spec.paused == Some(true) {
        let mut c = cause(
            "Paused",
            format!("Deployment {name} is paused: template changes do not roll out"),
            format!("kubectl rollout resume deployment/{name} -n {}", j.ns),
        );
        c.object = Some(format!("Deployment/{name}"));
        statuses.push(Status::Warn);
        causes.push(c);
    }
    statuses
}

/// A StatefulSet's governing Service: this one (said), or one that does not exist.
pub(super) fn governing(w: &WorkloadView, j: &Judging<'_>) -> Option<Cause> {
    let name = &w.metadata.name;
    let svc = w.spec.service_name.clone().filter(|s| !s.is_empty())?;
    if svc == j.service {
        if j.headless {
            return None;
        }
        let mut c = cause(
            "GoverningServiceNotHeadless",
            format!(
                "StatefulSet {name} names this Service as its governing Service, but it is not headless: its pods get no DNS names ({name}-0.{svc}.{}.svc)",
                j.ns
            ),
            format!("kubectl create service clusterip {svc}-headless --clusterip=None -n {}", j.ns),
        );
        c.object = Some(format!("Service/{svc}"));
        return Some(c);
    }
    match j.follow.services.get(&format!("{}/{svc}", j.ns)) {
        Some(Ok(None)) => {
            let mut c = cause(
                "GoverningServiceMissing",
                format!(
                    "StatefulSet {name}'s governing Service {svc} does not exist: its pods have no DNS names ({name}-0.{svc}.{}.svc), which peers use to find each other",
                    j.ns
                ),
                format!("kubectl create service clusterip {svc} --clusterip=None -n {}", j.ns),
            );
            c.object = Some(format!("Service/{svc}"));
            Some(c)
        }
        _ => None,
    }
}
