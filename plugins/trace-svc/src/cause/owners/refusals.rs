//! A controller the API server refuses: the ResourceQuota, LimitRange, namespace or admission
//! webhook at fault, and (one level deep) the webhook's own Service when it is down.

use super::*;

/// A controller's refusal, explained with the object at fault.
pub(super) fn failed_create(
    object: &str,
    message: &str,
    r: &Refusal,
    missing: i32,
    workload: &str,
    j: &Judging<'_>,
) -> Cause {
    let who = object.replace('/', " ");
    let ns = j.ns;
    let mut c = Cause {
        cause: "FailedCreate".into(),
        pods: missing.max(0) as usize,
        reason: Some(r.by().into()),
        message: Some(first_lines(message, 5)),
        command: format!("kubectl describe {} -n {ns}", object.to_ascii_lowercase()),
        ..Default::default()
    };
    let (summary, object_at_fault) = match r {
        Refusal::Quota { quota, requested, used, limited } => {
            c.command = format!("kubectl describe resourcequota {quota} -n {ns}");
            c.evidence.push(format!("requested {requested}, used {used}, limited to {limited}"));
            c.evidence.extend(quota_lines(quota, j));
            (
                format!("{who} cannot create pods: ResourceQuota {quota} is exhausted ({limited})"),
                format!("ResourceQuota/{quota}"),
            )
        }
        Refusal::QuotaUnspecified { quota, detail } => {
            c.command = format!("kubectl describe resourcequota {quota} -n {ns}");
            c.evidence
                .push(format!("ResourceQuota {quota}: {detail}: a quota on a resource needs every pod to declare it"));
            c.evidence.extend(quota_lines(quota, j));
            (
                format!(
                    "{who} cannot create pods: ResourceQuota {quota} needs requests or limits the template does not set"
                ),
                format!("ResourceQuota/{quota}"),
            )
        }
        Refusal::LimitRange { violations } => {
            let name = limit_range_name(violations, j);
            c.command = match &name {
                Some(n) => format!("kubectl describe limitrange {n} -n {ns}"),
                None => format!("kubectl describe limitrange -n {ns}"),
            };
            c.evidence.extend(violations.iter().cloned());
            let lr = name.clone().map(|n| format!("LimitRange {n}")).unwrap_or_else(|| "a LimitRange".into());
            (
                format!("{who} cannot create pods: {lr} refuses their resources"),
                format!("LimitRange/{}", name.unwrap_or_default()),
            )
        }
        Refusal::PodSecurity { policy, violations } => {
            c.evidence.extend(violations.iter().cloned());
            match &j.follow.namespace_labels {
                Some(Ok(labels)) => {
                    let psa: Vec<String> = labels
                        .iter()
                        .filter(|(k, _)| k.starts_with("pod-security.kubernetes.io/"))
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    if !psa.is_empty() {
                        c.evidence.push(format!("namespace {ns}: {}", psa.join(", ")));
                    }
                }
                Some(Err(e)) => c.evidence.push(format!("the namespace is not visible: {e}")),
                None => {}
            }
            // The template is what to change: each violation names the field to set.
            c.command = format!("kubectl edit {workload} -n {ns}");
            (
                format!("{who} cannot create pods: they violate Pod Security \"{policy}\" enforced on namespace {ns}"),
                format!("Namespace/{ns}"),
            )
        }
        Refusal::WebhookDenied { webhook, message } => {
            let at = j.dependents.configuration_of(webhook);
            if let Some((kind, cfg)) = &at {
                c.command = format!("kubectl get {} {cfg} -o yaml", kind.to_ascii_lowercase());
            }
            (
                format!("{who} cannot create pods: admission webhook {webhook} denies them: {}", one_line(message, 1)),
                at.map(|(k, n)| format!("{k}/{n}")).unwrap_or_else(|| format!("webhook/{webhook}")),
            )
        }
        Refusal::WebhookUnreachable { webhook, error } => webhook_down(&mut c, &who, webhook, error, j),
        Refusal::Other { message } => {
            (format!("{who} cannot create pods: {}", one_line(message, 1)), object.to_string())
        }
    };
    c.summary = format!("FailedCreate: {summary}");
    c.object = Some(object_at_fault);
    c
}

/// A webhook the API server could not call: which configuration, its Service one hop away.
pub(super) fn webhook_down(c: &mut Cause, who: &str, webhook: &str, error: &str, j: &Judging<'_>) -> (String, String) {
    c.evidence.push(format!("the API server: {}", one_line(error, 1)));
    let Some(hook) = j.dependents.webhook(webhook) else {
        return (
            format!("{who} cannot create pods: admission webhook {webhook} cannot be called"),
            format!("webhook/{webhook}"),
        );
    };
    c.evidence.push(format!(
        "{} {} calls it with failurePolicy {}: a request it cannot ask about is refused",
        hook.kind, hook.configuration, hook.failure_policy
    ));
    c.command = format!("kubectl get {} {} -o yaml", hook.kind.to_ascii_lowercase(), hook.configuration);
    let Some((sns, sname)) = &hook.service else {
        return (
            format!(
                "{who} cannot create pods: admission webhook {webhook} ({}) does not answer",
                hook.url.clone().unwrap_or_default()
            ),
            format!("{}/{}", hook.kind, hook.configuration),
        );
    };
    c.command = format!("kubectl trace-svc {sname} -n {sns}");
    let key = format!("{sns}/{sname}");
    let state = match j.follow.services.get(&key) {
        Some(Ok(Some(b))) => {
            c.evidence.push(format!("Service {key}: {} ready of {} endpoint address(es)", b.ready, b.addresses));
            if b.ready == 0 {
                format!("its Service {key} has 0 ready endpoints")
            } else {
                format!("its Service {key} has {} ready endpoint(s) that do not answer", b.ready)
            }
        }
        Some(Ok(None)) => format!("its Service {key} does not exist"),
        Some(Err(e)) => {
            c.evidence.push(format!("Service {key} is not visible: {e}"));
            format!("its Service {key} does not answer")
        }
        None => format!("its Service {key} does not answer"),
    };
    (format!("{who} cannot create pods because webhook {webhook} is down: {state}"), format!("Service/{key}"))
}

/// A quota's hard limits and use, for every resource it counts.
pub(super) fn quota_lines(name: &str, j: &Judging<'_>) -> Vec<String> {
    match &j.follow.quotas {
        Some(Ok(quotas)) => {
            let Some(q) = quotas.iter().find(|q| q.metadata.name.as_deref() == Some(name)) else {
                return vec![format!("ResourceQuota {name} no longer exists")];
            };
            let status = q.status.clone().unwrap_or_default();
            let hard = status.hard.unwrap_or_default();
            let used = status.used.unwrap_or_default();
            let counts: Vec<String> = hard
                .iter()
                .map(|(r, h)| format!("{r} {}/{}", used.get(r).map(|u| u.0.as_str()).unwrap_or("0"), h.0))
                .collect();
            vec![format!("ResourceQuota {name} (used/hard): {}", counts.join(", "))]
        }
        Some(Err(e)) => vec![format!("ResourceQuotas are not visible: {e}")],
        None => vec![],
    }
}

/// The LimitRange whose maximum or minimum a violation quotes.
pub(super) fn limit_range_name(violations: &[String], j: &Judging<'_>) -> Option<String> {
    let Some(Ok(ranges)) = &j.follow.limit_ranges else { return None };
    let quoted = |v: &String| -> Option<(String, String)> {
        // `maximum memory usage per Container is 256Mi, but …`
        let mut words = v.split_whitespace();
        let bound = words.next()?.to_string();
        let resource = words.next()?.to_string();
        let value = v.split_once(" is ")?.1.split([',', '.']).next()?.trim().to_string();
        Some((format!("{bound}:{resource}"), value))
    };
    for v in violations {
        let Some((key, value)) = quoted(v) else { continue };
        let (bound, resource) = key.split_once(':')?;
        for r in ranges {
            let hit = r.spec.iter().flat_map(|s| s.limits.iter()).any(|l| {
                let m = if bound == "maximum" { &l.max } else { &l.min };
                m.as_ref().and_then(|m| m.get(resource)).is_some_and(|q| q.0 == value)
            });
            if hit {
                return r.metadata.name.clone();
            }
        }
    }
    ranges.first().and_then(|r| r.metadata.name.clone()).filter(|_| ranges.len() == 1)
}
