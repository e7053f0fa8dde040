//! What depends on the Service: the admission webhooks (Validating and Mutating webhook
//! configurations) and the APIServices whose `service` it is, and what breaks while it has no
//! ready endpoint. A webhook with `failurePolicy: Fail` (the default) that the API server cannot
//! call refuses every request it covers; with `Ignore` those requests pass unchecked, each after
//! waiting up to its `timeoutSeconds`. An APIService without endpoints makes its API group
//! unavailable, to kubectl, controllers and discovery alike.
//!
//! The same configurations say, for a controller's refusal that names a webhook, which
//! configuration it is and which Service serves it (see [`super::owners`]).

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, RuleWithOperations, ServiceReference, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::core::v1::ServicePort;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use kubectl_kit_core::selector;
use serde::Serialize;

use crate::model::{Seen, Status};

/// The cluster's webhook configurations and APIServices, as read (`None`: not read).
#[derive(Debug, Default, Clone)]
pub struct Dependents {
    pub validating: Option<Seen<Vec<ValidatingWebhookConfiguration>>>,
    pub mutating: Option<Seen<Vec<MutatingWebhookConfiguration>>>,
    pub api_services: Option<Seen<Vec<APIService>>>,
}

/// One admission webhook, of either kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hook {
    /// `ValidatingWebhookConfiguration` or `MutatingWebhookConfiguration`.
    pub kind: &'static str,
    pub configuration: String,
    pub name: String,
    pub failure_policy: String,
    /// `(namespace, name)` of its Service, or its URL.
    pub service: Option<(String, String)>,
    pub port: i32,
    pub url: Option<String>,
    /// `CREATE, UPDATE pods, deployments`.
    pub covers: String,
    /// `in every namespace`, `in namespaces matching a=b`.
    pub scope: String,
    pub timeout: i32,
}

fn covers(rules: Option<&Vec<RuleWithOperations>>) -> String {
    let rules = rules.map(Vec::as_slice).unwrap_or_default();
    if rules.is_empty() {
        return "no request".into();
    }
    rules
        .iter()
        .map(|r| {
            let ops = r.operations.clone().unwrap_or_default().join(", ");
            let res = r.resources.clone().unwrap_or_default().join(", ");
            format!("{ops} {res}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn scope(ns: Option<&LabelSelector>, obj: Option<&LabelSelector>) -> String {
    // An empty selector (`<all>`) selects everything.
    let text = |s: &LabelSelector| Some(selector::to_string(s)).filter(|t| t != "<all>");
    let mut out = match ns.and_then(text) {
        Some(t) => format!("in namespaces matching {t}"),
        None => "in every namespace".into(),
    };
    if let Some(t) = obj.and_then(text) {
        out.push_str(&format!(", for objects matching {t}"));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn hook(
    kind: &'static str,
    configuration: &str,
    name: &str,
    policy: Option<&String>,
    service: Option<&ServiceReference>,
    url: Option<&String>,
    rules: Option<&Vec<RuleWithOperations>>,
    ns: Option<&LabelSelector>,
    obj: Option<&LabelSelector>,
    timeout: Option<i32>,
) -> Hook {
    Hook {
        kind,
        configuration: configuration.to_string(),
        name: name.to_string(),
        failure_policy: policy.cloned().unwrap_or_else(|| "Fail".into()),
        service: service.map(|s| (s.namespace.clone(), s.name.clone())),
        port: service.and_then(|s| s.port).unwrap_or(443),
        url: url.cloned(),
        covers: covers(rules),
        scope: scope(ns, obj),
        timeout: timeout.unwrap_or(10),
    }
}

impl Dependents {
    /// Every webhook of both kinds.
    pub fn hooks(&self) -> Vec<Hook> {
        let mut out = vec![];
        for c in self.validating.iter().flat_map(|l| l.iter().flatten()) {
            let cfg = c.metadata.name.clone().unwrap_or_default();
            for w in c.webhooks.iter().flatten() {
                out.push(hook(
                    "ValidatingWebhookConfiguration",
                    &cfg,
                    &w.name,
                    w.failure_policy.as_ref(),
                    w.client_config.service.as_ref(),
                    w.client_config.url.as_ref(),
                    w.rules.as_ref(),
                    w.namespace_selector.as_ref(),
                    w.object_selector.as_ref(),
                    w.timeout_seconds,
                ));
            }
        }
        for c in self.mutating.iter().flat_map(|l| l.iter().flatten()) {
            let cfg = c.metadata.name.clone().unwrap_or_default();
            for w in c.webhooks.iter().flatten() {
                out.push(hook(
                    "MutatingWebhookConfiguration",
                    &cfg,
                    &w.name,
                    w.failure_policy.as_ref(),
                    w.client_config.service.as_ref(),
                    w.client_config.url.as_ref(),
                    w.rules.as_ref(),
                    w.namespace_selector.as_ref(),
                    w.object_selector.as_ref(),
                    w.timeout_seconds,
                ));
            }
        }
        out
    }

    /// The webhook of that name.
    pub fn webhook(&self, name: &str) -> Option<Hook> {
        self.hooks().into_iter().find(|h| h.name == name)
    }

    /// The kind and name of the configuration that holds the webhook.
    pub fn configuration_of(&self, name: &str) -> Option<(&'static str, String)> {
        self.webhook(name).map(|h| (h.kind, h.configuration))
    }

    /// What could not be read.
    pub fn hidden(&self) -> Vec<String> {
        let mut out = vec![];
        if let Some(Err(e)) = &self.validating {
            out.push(format!("ValidatingWebhookConfigurations are not visible: {e}"));
        }
        if let Some(Err(e)) = &self.mutating {
            out.push(format!("MutatingWebhookConfigurations are not visible: {e}"));
        }
        if let Some(Err(e)) = &self.api_services {
            out.push(format!("APIServices are not visible: {e}"));
        }
        out
    }
}

/// Something this Service serves, as `-o json` carries it.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependent {
    /// `ValidatingWebhookConfiguration`, `MutatingWebhookConfiguration` or `APIService`.
    pub kind: String,
    pub name: String,
    /// The webhook's name within its configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_policy: Option<String>,
    /// The Service port it calls.
    pub port: i32,
    /// What it is asked about, or serves.
    pub covers: String,
    /// What happens while this Service has no ready endpoint.
    pub when_down: String,
    pub status: Status,
    /// An APIService's Available condition, when not True.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// What this Service (`ns`/`name`, its `ports`, `ready` endpoint addresses) serves, and one
/// line for each.
pub fn dependents(
    d: &Dependents,
    ns: &str,
    name: &str,
    ports: &[ServicePort],
    ready: usize,
) -> Vec<(Dependent, String)> {
    let mut out = vec![];
    let has_port = |p: i32| ports.iter().any(|sp| sp.port == p);
    for h in d.hooks().into_iter().filter(|h| h.service.as_ref().is_some_and(|(n, s)| n == ns && s == name)) {
        let fail = h.failure_policy != "Ignore";
        let when_down = if fail {
            format!("the API server refuses {} {}", h.covers, h.scope)
        } else {
            format!("{} {} pass unchecked, each after waiting up to {}s", h.covers, h.scope, h.timeout)
        };
        let (status, line) = if !has_port(h.port) {
            (
                Status::Fail,
                format!(
                    "{} {}, webhook {}: calls port {}, which this Service does not have: {when_down}",
                    h.kind, h.configuration, h.name, h.port
                ),
            )
        } else if ready == 0 {
            (
                if fail { Status::Fail } else { Status::Warn },
                format!(
                    "{} {}, webhook {} (failurePolicy {}): with no ready endpoint here, {when_down}",
                    h.kind, h.configuration, h.name, h.failure_policy
                ),
            )
        } else {
            (
                Status::Ok,
                format!(
                    "{} {}, webhook {} (failurePolicy {}, port {}): without ready endpoints, {when_down}",
                    h.kind, h.configuration, h.name, h.failure_policy, h.port
                ),
            )
        };
        out.push((
            Dependent {
                kind: h.kind.into(),
                name: h.configuration.clone(),
                webhook: Some(h.name.clone()),
                failure_policy: Some(h.failure_policy.clone()),
                port: h.port,
                covers: format!("{} {}", h.covers, h.scope),
                when_down,
                status,
                condition: None,
            },
            line,
        ));
    }
    for a in d.api_services.iter().flat_map(|l| l.iter().flatten()) {
        let spec = a.spec.clone().unwrap_or_default();
        let Some(s) =
            spec.service.as_ref().filter(|s| s.namespace.as_deref() == Some(ns) && s.name.as_deref() == Some(name))
        else {
            continue;
        };
        let aname = a.metadata.name.clone().unwrap_or_default();
        let group = format!("{}/{}", spec.group.clone().unwrap_or_default(), spec.version.clone().unwrap_or_default());
        let port = s.port.unwrap_or(443);
        let when_down = format!(
            "the API group {group} is unavailable: requests for it fail, and so does discovery for every client"
        );
        let condition = a
            .status
            .iter()
            .flat_map(|st| st.conditions.iter().flatten())
            .find(|c| c.type_ == "Available" && c.status != "True")
            .map(|c| {
                format!(
                    "Available {}: {}: {}",
                    c.status,
                    c.reason.clone().unwrap_or_default(),
                    c.message.clone().unwrap_or_default()
                )
            });
        let status = if ready == 0 || !has_port(port) || condition.is_some() { Status::Fail } else { Status::Ok };
        let mut line = if status == Status::Ok {
            format!("APIService {aname} serves {group} through port {port}: without ready endpoints, {when_down}")
        } else if !has_port(port) {
            format!("APIService {aname} calls port {port}, which this Service does not have: {when_down}")
        } else {
            format!("APIService {aname} ({group}): {when_down}")
        };
        if let Some(c) = &condition {
            line.push_str(&format!(" ({c})"));
        }
        out.push((
            Dependent {
                kind: "APIService".into(),
                name: aname,
                webhook: None,
                failure_policy: None,
                port,
                covers: group,
                when_down,
                status,
                condition,
            },
            line,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ports(p: i32) -> Vec<ServicePort> {
        vec![ServicePort { port: p, ..Default::default() }]
    }

    #[test]
    fn a_webhook_and_an_apiservice_this_service_serves() {
        let cfg: ValidatingWebhookConfiguration = serde_json::from_value(json!({"metadata": {"name": "policy"},
            "webhooks": [{"name": "pods.policy.example.com", "clientConfig": {"service": {"namespace": "ns", "name": "guard"}},
                "rules": [{"operations": ["CREATE", "UPDATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
                "namespaceSelector": {"matchLabels": {"team": "a"}}, "sideEffects": "None", "admissionReviewVersions": ["v1"]},
                {"name": "other", "clientConfig": {"service": {"namespace": "ns", "name": "else"}}, "sideEffects": "None", "admissionReviewVersions": ["v1"]}]}))
        .expect("config");
        let api: APIService = serde_json::from_value(json!({"metadata": {"name": "v1beta1.metrics.k8s.io"},
            "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "service": {"namespace": "ns", "name": "guard", "port": 443},
                "groupPriorityMinimum": 100, "versionPriority": 100},
            "status": {"conditions": [{"type": "Available", "status": "False", "reason": "MissingEndpoints",
                "message": "endpoints for service/guard in \"ns\" have no addresses with port name \"https\""}]}}))
        .expect("apiservice");
        let d = Dependents {
            validating: Some(Ok(vec![cfg])),
            mutating: Some(Err("forbidden".into())),
            api_services: Some(Ok(vec![api])),
        };
        let got = dependents(&d, "ns", "guard", &ports(443), 0);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0.status, Status::Fail);
        assert_eq!(
            got[0].1,
            "ValidatingWebhookConfiguration policy, webhook pods.policy.example.com (failurePolicy Fail): with no ready endpoint here, the API server refuses CREATE, UPDATE pods in namespaces matching team=a"
        );
        assert!(
            got[1].1.starts_with("APIService v1beta1.metrics.k8s.io (metrics.k8s.io/v1beta1): the API group"),
            "{}",
            got[1].1
        );
        assert!(got[1].0.condition.as_deref().is_some_and(|c| c.starts_with("Available False: MissingEndpoints")));
        assert_eq!(d.hidden(), ["MutatingWebhookConfigurations are not visible: forbidden"]);
        let got = dependents(&d, "ns", "guard", &ports(8443), 2);
        assert!(got[0].1.contains("calls port 443, which this Service does not have"), "{}", got[0].1);
        assert_eq!(d.configuration_of("other"), Some(("ValidatingWebhookConfiguration", "policy".into())));
    }
}
