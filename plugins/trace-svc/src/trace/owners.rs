//! The workloads behind the Service's pods: what each wants and has, and why it does not have
//! its pods (a refusal at admission, a rollout, a scale to zero).

use kubectl_kit_core::selector;

use super::{Svc, World};
use crate::backends::PodFacts;
use crate::cause::owners::{self, Judging, OwnerFacts};
use crate::model::{Hop, Status, hop};

/// The workloads behind the selected pods, judged (`None` without a selector).
pub(super) fn owners_facts(s: &Svc, w: &World, pods: &PodFacts) -> Option<OwnerFacts> {
    let sel = s.selector.as_ref()?;
    let f = owners::behind(&w.lists, &pods.owners, Some(sel), &pods.ctx);
    let j = Judging {
        ns: &s.ns,
        service: &s.name,
        headless: s.headless,
        counts: &pods.owners,
        ready_total: pods.ready,
        dependents: &w.dependents,
        follow: &w.follow,
    };
    Some(f.judge(&j))
}

/// The workloads behind the Service: what each wants and has, its versions, and why it does
/// not have its pods. Beside the path: what cannot be read is said, not failed.
pub(super) fn owners_hop(f: &OwnerFacts) -> Option<Hop> {
    if f.owners.is_empty() && f.hidden.is_empty() {
        return None;
    }
    let status = f.owners.iter().map(|o| o.status).max().unwrap_or(Status::Ok);
    let reason = match (f.owners.as_slice(), f.causes.first()) {
        ([], _) => f.hidden.first().cloned().unwrap_or_default(),
        ([one], Some(c)) => format!("{}; {}", owners::headline(one), c.summary),
        ([one], None) => owners::headline(one),
        (many, Some(c)) => format!("{} workloads; {}", many.len(), c.summary),
        (many, None) => {
            format!("{} workloads: {}", many.len(), many.iter().map(owners::headline).collect::<Vec<_>>().join("; "))
        }
    };
    let mut h = hop("owners", status, reason).details(owners::lines(f));
    h.owners = f.owners.clone();
    h.causes = f.causes.clone();
    if let Some(c) = f.causes.first() {
        h = h.fix(c.command.clone());
    }
    Some(h)
}

/// When the selector matches no pod but a workload carries it, the selector is right: the
/// workload has no pod. The selector hop says so rather than suggest changing labels.
pub(super) fn owners_selector(s: &Svc, o: &OwnerFacts, pods: &PodFacts, hops: &mut [Hop]) {
    if o.owners.is_empty() || pods.total != 0 {
        return;
    }
    let Some(h) = hops.iter_mut().find(|h| h.hop == "selector" && h.status == Status::Fail) else { return };
    let names: Vec<String> = o.owners.iter().map(|w| format!("{} {}", w.kind, w.name)).collect();
    h.reason = format!(
        "selector {} matches no pod in {}: {} {} none (owners below)",
        s.selector.as_ref().map(selector::map_to_string).unwrap_or_default(),
        s.ns,
        names.join(", "),
        if names.len() == 1 { "has" } else { "have" }
    );
    h.details.clear();
    h.fix = o.causes.first().map(|c| c.command.clone());
}
