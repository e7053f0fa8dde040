//! The same [`World`] as [`super::world`] makes, from objects recorded earlier instead of
//! requests (the snapshot tests' fixtures, made by `tests/fixtures/record.sh`).

use super::*;

/// What [`world`]'s requests return, recorded: each list as its items, read with the same
/// selectors (`kubectl get … -o json`). `namespacePods` is read only when the selector selects
/// no pod; the workload lists, webhook configurations and the follow-ups of refusals when the
/// trace reads them. The pods' follow-ups (the cluster's registry, claims, Killing events,
/// logs) are not part of it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recorded {
    /// The Service.
    pub service: Service,
    /// Its EndpointSlices (`-l kubernetes.io/service-name=NAME`).
    #[serde(default)]
    pub endpoint_slices: Vec<SliceView>,
    /// The namespace's Warning events (`--field-selector type=Warning`).
    #[serde(default)]
    pub events: Vec<Event>,
    /// The namespace's NetworkPolicies.
    #[serde(default)]
    pub network_policies: Vec<NetworkPolicy>,
    /// The nodes.
    #[serde(default)]
    pub nodes: Vec<Node>,
    /// The pods the Service's selector selects (`-l SELECTOR`).
    #[serde(default)]
    pub pods: Vec<PodView>,
    /// The namespace's pods, when the selector selects none.
    #[serde(default)]
    pub namespace_pods: Vec<PodView>,
    /// The namespace's Ingresses.
    #[serde(default)]
    pub ingresses: Vec<Ingress>,
    /// `kube-system/coredns`, when the cluster has it.
    #[serde(default)]
    pub coredns: Option<ConfigMap>,
    /// The namespace's workloads (absent: not recorded, as in recordings made before the trace
    /// read them).
    #[serde(default)]
    pub replica_sets: Option<Vec<WorkloadView>>,
    #[serde(default)]
    pub deployments: Option<Vec<WorkloadView>>,
    #[serde(default)]
    pub stateful_sets: Option<Vec<WorkloadView>>,
    #[serde(default)]
    pub daemon_sets: Option<Vec<WorkloadView>>,
    #[serde(default)]
    pub jobs: Option<Vec<WorkloadView>>,
    /// The cluster's admission webhook configurations and APIServices.
    #[serde(default)]
    pub validating_webhook_configurations: Option<Vec<ValidatingWebhookConfiguration>>,
    #[serde(default)]
    pub mutating_webhook_configurations: Option<Vec<MutatingWebhookConfiguration>>,
    #[serde(default)]
    pub api_services: Option<Vec<APIService>>,
    /// The namespace's ResourceQuotas, LimitRanges and HorizontalPodAutoscalers.
    #[serde(default)]
    pub resource_quotas: Vec<ResourceQuota>,
    #[serde(default)]
    pub limit_ranges: Vec<LimitRange>,
    #[serde(default)]
    pub horizontal_pod_autoscalers: Vec<HorizontalPodAutoscaler>,
    /// The namespaces (for Pod Security labels and NetworkPolicy namespace selectors).
    #[serde(default)]
    pub namespaces: Vec<Namespace>,
    /// Other Services the trace asks about (a webhook's, a governing one), and their slices.
    #[serde(default)]
    pub other_services: Vec<Service>,
    #[serde(default)]
    pub other_endpoint_slices: Vec<SliceView>,
}

/// Everything about the Service, from a recorded state instead of requests: what [`world`]
/// makes of the same objects, without the pods' follow-ups.
pub fn recorded(r: Recorded, t: &Target) -> World {
    let svc = r.service;
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    let slices = Ok(r.endpoint_slices);
    let nodes = Ok(r.nodes);
    let dependents = Dependents {
        validating: r.validating_webhook_configurations.map(Ok),
        mutating: r.mutating_webhook_configurations.map(Ok),
        api_services: r.api_services.map(Ok),
    };
    let policies = r.network_policies;
    let service_events = own_events(&r.events, &name);
    let sel = svc.spec.as_ref().and_then(|s| s.selector.clone()).filter(|s| !s.is_empty());
    let (pods, nearest) = match &sel {
        Some(s) => {
            let mut fold = pod_fold(&svc, t, r.events, &nodes, policies.clone(), None, &slices);
            r.pods.into_iter().for_each(|p| fold.add(p));
            let pods = fold.finish();
            let mut near = Nearest::new(s.clone());
            if pods.total == 0 {
                r.namespace_pods.into_iter().for_each(|p| near.add(p));
            }
            (pods, near.finish())
        }
        None => (Default::default(), vec![]),
    };
    let kinds = if sel.is_some() { owners::kinds_to_read(&pods.owners, pods.total, headless(&svc)) } else { vec![] };
    let pick = |kind: &str, items: Option<Vec<WorkloadView>>| items.filter(|_| kinds.contains(&kind)).map(Ok);
    let lists = Lists {
        replica_sets: pick("replicasets", r.replica_sets),
        deployments: pick("deployments", r.deployments),
        stateful_sets: pick("statefulsets", r.stateful_sets),
        daemon_sets: pick("daemonsets", r.daemon_sets),
        jobs: pick("jobs", r.jobs),
    };
    let labels_of =
        |n: &Namespace| (n.metadata.name.clone().unwrap_or_default(), n.metadata.labels.clone().unwrap_or_default());
    let namespaces = needs_namespaces(&policies, &pods).then(|| Ok(r.namespaces.iter().map(labels_of).collect()));
    let mut follow = FollowUps::default();
    if let Some(s) = &sel {
        let needs = owners::behind(&lists, &pods.owners, Some(s), &pods.ctx).needs().clone();
        follow.quotas = needs.quotas.then_some(Ok(r.resource_quotas));
        follow.limit_ranges = needs.limit_ranges.then_some(Ok(r.limit_ranges));
        follow.autoscalers = needs.autoscalers.then_some(Ok(r.horizontal_pod_autoscalers));
        follow.namespace_labels = needs.namespace.then(|| {
            Ok(r.namespaces
                .iter()
                .find(|n| n.metadata.name.as_deref() == Some(&ns))
                .map(labels_of)
                .map(|l| l.1)
                .unwrap_or_default())
        });
        let other = |sns: &str, sname: &str, endpoints: bool| -> Option<Backend> {
            let found = r
                .other_services
                .iter()
                .any(|o| o.metadata.namespace.as_deref() == Some(sns) && o.metadata.name.as_deref() == Some(sname));
            found.then(|| {
                if !endpoints {
                    return Backend::default();
                }
                let mine: Vec<SliceView> = r
                    .other_endpoint_slices
                    .iter()
                    .filter(|sl| {
                        sl.metadata
                            .labels
                            .as_ref()
                            .and_then(|l| l.get("kubernetes.io/service-name"))
                            .map(String::as_str)
                            == Some(sname)
                    })
                    .cloned()
                    .collect();
                count_endpoints(&mine)
            })
        };
        for w in &needs.webhooks {
            if let Some((sns, sname)) = dependents.webhook(w).and_then(|h| h.service) {
                follow.services.insert(format!("{sns}/{sname}"), Ok(other(&sns, &sname, true)));
            }
        }
        for s in needs.services.iter().filter(|s| s.as_str() != name) {
            follow.services.insert(format!("{ns}/{s}"), Ok(other(&ns, s, false)));
        }
    }
    World {
        service: svc,
        slices,
        pods: Ok(pods),
        nearest,
        nodes,
        ingresses: Ok(r.ingresses),
        cluster_domain: r.coredns.and_then(coredns_domain),
        typed_domain: t.domain.clone(),
        lists,
        follow,
        dependents,
        policies,
        namespaces,
        service_events,
    }
}
