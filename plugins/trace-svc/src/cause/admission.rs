//! Why the API server refused a controller's pod, read from the message the controller reports
//! (the ReplicaSet's `ReplicaFailure` condition, a `FailedCreate` event): the API server's own
//! words from its admission plugins (apiserver's resourcequota controller, the LimitRanger,
//! Pod Security admission, the webhook dispatchers).
//!
//! The messages, as the controllers wrap them:
//! - ReplicaSet condition: `pods "api-7d9f-x" is forbidden: …`;
//! - ReplicaSet, DaemonSet, Job events: `Error creating: …` (controller_utils.go);
//! - StatefulSet events: `create Pod web-0 in StatefulSet web failed error: …`.

use serde::Serialize;

/// What refused the pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "camelCase")]
pub enum Refusal {
    /// `exceeded quota: NAME, requested: R, used: U, limited: L`.
    Quota { quota: String, requested: String, used: String, limited: String },
    /// `failed quota: NAME: must specify limits.cpu for: app; …`: the quota counts a resource
    /// the pod does not declare.
    QuotaUnspecified { quota: String, detail: String },
    /// The LimitRanger: `maximum memory usage per Container is 256Mi, but limit is 1Gi`, …
    LimitRange { violations: Vec<String> },
    /// `violates PodSecurity "restricted:latest": …`.
    PodSecurity { policy: String, violations: Vec<String> },
    /// `admission webhook "NAME" denied the request: MESSAGE`.
    WebhookDenied { webhook: String, message: String },
    /// `failed calling webhook "NAME": ERROR`: the API server could not ask it (with
    /// failurePolicy Fail, that refuses the request).
    WebhookUnreachable { webhook: String, error: String },
    /// Anything else, as said.
    Other { message: String },
}

impl Refusal {
    /// The kind of object at fault, for `reason`: `ResourceQuota`, `LimitRange`,
    /// `PodSecurity`, `AdmissionWebhook`, or `Forbidden`.
    pub fn by(&self) -> &'static str {
        match self {
            Refusal::Quota { .. } | Refusal::QuotaUnspecified { .. } => "ResourceQuota",
            Refusal::LimitRange { .. } => "LimitRange",
            Refusal::PodSecurity { .. } => "PodSecurity",
            Refusal::WebhookDenied { .. } | Refusal::WebhookUnreachable { .. } => "AdmissionWebhook",
            Refusal::Other { .. } => "Forbidden",
        }
    }
}

/// The API server's error in a controller's message, without the controller's wrapping.
pub fn unwrap_controller(message: &str) -> &str {
    let m = message.trim();
    if let Some(rest) = m.strip_prefix("Error creating: ") {
        return rest;
    }
    // StatefulSet: `create Pod web-0 in StatefulSet web failed error: ERROR`.
    if m.starts_with("create Pod ")
        && let Some((_, rest)) = m.split_once(" failed error: ")
    {
        return rest;
    }
    m
}

/// Reads a controller's message (see the module's list of shapes).
pub fn read(message: &str) -> Refusal {
    let m = unwrap_controller(message);
    // `pods "NAME" is forbidden: REST` (admission.NewForbidden).
    let body = m.split_once(" is forbidden: ").map(|(_, r)| r).unwrap_or(m);
    let body = body.strip_prefix("Internal error occurred: ").unwrap_or(body);
    if let Some(rest) = body.strip_prefix("exceeded quota: ") {
        let (quota, rest) = rest.split_once(", requested: ").unwrap_or((rest, ""));
        let (requested, rest) = rest.split_once(", used: ").unwrap_or((rest, ""));
        let (used, limited) = rest.split_once(", limited: ").unwrap_or((rest, ""));
        return Refusal::Quota {
            quota: quota.to_string(),
            requested: requested.to_string(),
            used: used.to_string(),
            limited: limited.to_string(),
        };
    }
    if let Some(rest) = body.strip_prefix("failed quota: ") {
        let (quota, detail) = rest.split_once(": ").unwrap_or((rest, ""));
        return Refusal::QuotaUnspecified { quota: quota.to_string(), detail: detail.to_string() };
    }
    if let Some(rest) = body.strip_prefix("violates PodSecurity ") {
        let (policy, violations) = match rest.strip_prefix('"').and_then(|r| r.split_once('"')) {
            Some((p, v)) => (p.to_string(), v.trim_start_matches(':').trim()),
            None => (String::new(), rest),
        };
        return Refusal::PodSecurity { policy, violations: top_level_list(violations) };
    }
    for prefix in ["admission webhook \"", "failed calling webhook \""] {
        if let Some((_, rest)) = body.split_once(prefix) {
            let Some((webhook, tail)) = rest.split_once('"') else { continue };
            let webhook = webhook.to_string();
            return if prefix.starts_with("admission") {
                let message = tail.trim_start().strip_prefix("denied the request").unwrap_or(tail);
                Refusal::WebhookDenied { webhook, message: message.trim_start_matches(':').trim().to_string() }
            } else {
                Refusal::WebhookUnreachable { webhook, error: tail.trim_start_matches(':').trim().to_string() }
            };
        }
    }
    let violations = limit_range_violations(body);
    if !violations.is_empty() {
        return Refusal::LimitRange { violations };
    }
    Refusal::Other { message: m.to_string() }
}

/// The LimitRanger's errors (limitranger/admission.go: `minimum|maximum R usage per T is …`,
/// `R max limit to request ratio per T is …`), one or several (an aggregate, `[a, b]`).
fn limit_range_violations(body: &str) -> Vec<String> {
    let inner = body.strip_prefix('[').and_then(|b| b.strip_suffix(']')).unwrap_or(body);
    let is_one = |s: &str| {
        (s.starts_with("minimum ") || s.starts_with("maximum ")) && s.contains(" usage per ")
            || s.contains(" max limit to request ratio per ")
    };
    // The items themselves contain ", but limit is": split only before the start of another.
    let mut out: Vec<String> = vec![];
    let mut current = String::new();
    for part in inner.split(", ") {
        if !current.is_empty() && is_one(part) {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push_str(", ");
        }
        current.push_str(part);
    }
    if !current.is_empty() {
        out.push(current);
    }
    if out.iter().all(|v| is_one(v)) { out } else { vec![] }
}

/// A comma-separated list whose items may hold commas inside parentheses or quotes (Pod
/// Security's violations: `allowPrivilegeEscalation != false (container "app" must set …)`).
fn top_level_list(text: &str) -> Vec<String> {
    let mut out = vec![];
    let mut depth = 0i32;
    let mut quoted = false;
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '(' | '[' | '{' if !quoted => depth += 1,
            ')' | ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth <= 0 && chars.peek() == Some(&' ') => {
                out.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_refusals_name_the_quota_and_its_numbers() {
        let r = read(
            "Error creating: pods \"api-7d9f-x2kq\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2",
        );
        assert_eq!(
            r,
            Refusal::Quota {
                quota: "compute".into(),
                requested: "pods=1".into(),
                used: "pods=2".into(),
                limited: "pods=2".into()
            }
        );
        let r = read(
            "pods \"x\" is forbidden: failed quota: compute: must specify limits.cpu for: app; requests.cpu for: app",
        );
        assert_eq!(
            r,
            Refusal::QuotaUnspecified {
                quota: "compute".into(),
                detail: "must specify limits.cpu for: app; requests.cpu for: app".into()
            }
        );
    }

    #[test]
    fn limit_ranges_pod_security_and_webhooks() {
        let r = read(
            "Error creating: pods \"x\" is forbidden: [maximum cpu usage per Container is 500m, but limit is 1, maximum memory usage per Container is 256Mi, but limit is 1Gi]",
        );
        assert_eq!(
            r,
            Refusal::LimitRange {
                violations: vec![
                    "maximum cpu usage per Container is 500m, but limit is 1".into(),
                    "maximum memory usage per Container is 256Mi, but limit is 1Gi".into()
                ]
            }
        );
        let r = read(
            "create Pod web-0 in StatefulSet web failed error: pods \"web-0\" is forbidden: violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"app\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true)",
        );
        let Refusal::PodSecurity { policy, violations } = r else { panic!("{r:?}") };
        assert_eq!(policy, "restricted:latest");
        assert_eq!(violations.len(), 3, "{violations:?}");
        assert!(violations[1].starts_with("unrestricted capabilities (container \"app\""), "{violations:?}");
        assert_eq!(
            read(
                "Error creating: admission webhook \"deny.kit.example.com\" denied the request: pods need an owner label"
            ),
            Refusal::WebhookDenied {
                webhook: "deny.kit.example.com".into(),
                message: "pods need an owner label".into()
            }
        );
        assert_eq!(
            read(
                "Error creating: Internal error occurred: failed calling webhook \"check.kit.example.com\": failed to call webhook: Post \"https://down.ns.svc:443/?timeout=2s\": context deadline exceeded"
            ),
            Refusal::WebhookUnreachable {
                webhook: "check.kit.example.com".into(),
                error:
                    "failed to call webhook: Post \"https://down.ns.svc:443/?timeout=2s\": context deadline exceeded"
                        .into()
            }
        );
        assert_eq!(
            read("Error creating: pods \"x\" is forbidden: error looking up service account ns/sa: serviceaccount \"sa\" not found").by(),
            "Forbidden"
        );
    }
}
