//! What depends on this Service: the admission webhooks and APIServices it serves, and what
//! the API server fails while the Service has no ready endpoint.

use k8s_openapi::api::core::v1::ServicePort;

use super::{Svc, World};
use crate::cause::dependents;
use crate::model::{Hop, Status, hop};

/// Reported when the Service serves some, or when they cannot be read.
pub(super) fn dependents_hop(s: &Svc, w: &World, ports: &[ServicePort]) -> Option<Hop> {
    let ready = w.slices.as_ref().map(|sl| crate::gather::count_endpoints(sl).ready).unwrap_or(0);
    let all_ports = s.spec.ports.clone().unwrap_or_default();
    let found = dependents(&w.dependents, &s.ns, &s.name, if all_ports.is_empty() { ports } else { &all_ports }, ready);
    let hidden = w.dependents.hidden();
    if found.is_empty() && hidden.is_empty() {
        return None;
    }
    let status = found.iter().map(|(d, _)| d.status).max().unwrap_or(Status::Ok);
    let webhooks = found.iter().filter(|(d, _)| d.kind != "APIService").count();
    let apis = found.len() - webhooks;
    let reason = match found.iter().find(|(d, _)| d.status != Status::Ok) {
        Some((d, _)) => format!(
            "{} {}{}: while this Service has no ready endpoint, {}",
            d.kind,
            d.name,
            d.webhook.as_ref().map(|w| format!(" (webhook {w})")).unwrap_or_default(),
            d.when_down
        ),
        None if found.is_empty() => hidden.join("; "),
        None => format!("this Service serves {webhooks} admission webhook(s) and {apis} APIService(s)"),
    };
    let mut details: Vec<String> = found.iter().map(|(_, l)| l.clone()).collect();
    if !found.is_empty() {
        details.extend(hidden);
    }
    let mut h = hop("dependents", status, reason).details(details);
    h.dependents = found.into_iter().map(|(d, _)| d).collect();
    if status != Status::Ok {
        h = h.fix("bring this Service's endpoints back (the hops above say why it has none); until then the API server fails what these webhooks and APIServices serve");
    }
    Some(h)
}
