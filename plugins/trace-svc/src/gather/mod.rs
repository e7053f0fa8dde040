//! Fetching what a trace needs, in a fixed number of requests whatever the number of pods.
//!
//! 1. Together: the Service's EndpointSlices (by label), the namespace's Warning events and
//!    NetworkPolicies, the nodes, the admission webhook configurations and APIServices (what
//!    depends on the Service), and the client pod for `--from`.
//! 2. The selected pods: one unpaged list by selector, judged as they stream in.
//! 3. Together: the workload lists the pods need (ReplicaSets and Deployments, StatefulSets,
//!    DaemonSets, Jobs: only the kinds that own a selected pod, all of them when none is
//!    selected), Ingresses, CoreDNS's configuration, and the namespaces when a NetworkPolicy
//!    of the pods names peers by namespace labels.
//! 4. Only when something reported needs it: ResourceQuotas, LimitRanges or the namespace for
//!    a controller the API server refuses; a refusing webhook's Service and its slices;
//!    HorizontalPodAutoscalers for a workload scaled to zero; a StatefulSet's governing
//!    Service; and per group of failing pods the cluster registry for an image, the
//!    PersistentVolumeClaims and StorageClass it waits for, the kubelet's Killing events, and
//!    with `--logs` one previous container log.
//!
//! What RBAC hides is reported as not visible rather than failing the trace. [`recorded`] makes
//! the same [`World`] from objects recorded earlier, with no cluster (the snapshot tests'
//! fixtures).

mod follow_up;
mod recorded;

use std::net::IpAddr;

use std::collections::BTreeMap;

use k8s_openapi::api::admissionregistration::v1::{MutatingWebhookConfiguration, ValidatingWebhookConfiguration};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{
    ConfigMap, Event, LimitRange, Namespace, Node, PersistentVolumeClaim, ResourceQuota, Service,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use kube::api::{Api, ListParams};
use kubectl_kit_core::error::visible;
use kubectl_kit_core::list::{fold_streamed, get_streamed, list_streamed, percent_path, query_pair};
use kubectl_kit_core::selector::{self, Labels};
use kubectl_kit_core::{Error, Kube, Result};
use serde::Deserialize;

use crate::backends::{Nearest, PodFacts, PodFold};
use crate::cause::owners::{self, Backend, FollowUps, Lists, Needs, WorkloadView};
use crate::cause::{Context, Dependents, Followup, NodeFact};
use crate::model::Seen;
use crate::pod::PodView;
use crate::ports::chosen_ports;
use crate::slice::SliceView;
use crate::target::Target;
use crate::trace::World;

use follow_up::follow_up;
pub use recorded::{Recorded, recorded};

/// A read, or why it is not visible when RBAC forbids it (the shared rule,
/// [`kubectl_kit_core::error::visible`]); anything else is an error. The hop's own sentence
/// says "not visible" (`pods are not visible: forbidden (MESSAGE)`).
fn seen<T>(r: std::result::Result<T, kube::Error>) -> Result<Seen<T>> {
    Ok(visible(r)?.map_err(|hidden| format!("forbidden ({})", hidden.message)))
}

/// Finds the Service: by name in the namespace (listing where else it exists when missing), or
/// by ClusterIP across namespaces.
pub async fn find_service(kube: &Kube, t: &Target, default_ns: &str) -> Result<Service> {
    let client = kube.client.clone();
    if let Some(ip) = t.ip {
        let all: Api<Service> = Api::all(client);
        let list = all.list(&ListParams::default()).await?;
        let hit = list.items.into_iter().find(|s| {
            let spec = s.spec.clone().unwrap_or_default();
            spec.cluster_ip.as_deref().and_then(|c| c.parse::<IpAddr>().ok()) == Some(ip)
                || spec.cluster_ips.iter().flatten().any(|c| c.parse::<IpAddr>().ok() == Some(ip))
        });
        return hit.ok_or_else(|| {
            Error::runtime(format!("no Service has the ClusterIP {ip}"))
                .hint("ClusterIPs come from kubectl get services -A -o wide; pod IPs are not Service addresses")
        });
    }
    let name = t.name.clone().unwrap_or_default();
    let ns = t.namespace.clone().unwrap_or_else(|| default_ns.to_string());
    let api: Api<Service> = Api::namespaced(client.clone(), &ns);
    if let Some(s) = api.get_opt(&name).await? {
        return Ok(s);
    }
    let mut err = Error::api("NotFound", 404, format!("services \"{name}\" not found"));
    let all: Api<Service> = Api::all(client);
    if let Ok(list) = all.list(&ListParams::default().fields(&format!("metadata.name={name}"))).await {
        let nss: Vec<String> = list.items.iter().filter_map(|s| s.metadata.namespace.clone()).collect();
        if !nss.is_empty() {
            err =
                err.hint(format!("a Service named {name} exists in: {} (use {name}.NAMESPACE or -n)", nss.join(", ")));
        }
    }
    Err(err.hint(format!("looked in namespace {ns}")))
}

/// The path of the namespace's pods (those of `selector`, if given), read in one request and
/// folded in as they stream past: a pod list is never held, whole or decoded.
fn pods_path(ns: &str, selector: Option<&str>) -> String {
    let mut path = format!("/api/v1/namespaces/{}/pods", percent_path(ns));
    if let Some(s) = selector {
        query_pair(&mut path, "labelSelector", s);
    }
    path
}

/// Reads the cluster domain from CoreDNS's Corefile (`kubernetes DOMAIN …`).
pub fn corefile_domain(corefile: &str) -> Option<String> {
    corefile.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        (words.next() == Some("kubernetes")).then(|| words.next().map(str::to_string)).flatten()
    })
}

/// What is asked after the pods: `-v` and `--request-timeout` for the cluster's registry (as
/// for the API server), and whether to read crashed containers' previous logs (`--logs`).
#[derive(Debug, Clone, Copy, Default)]
pub struct FollowUpOptions {
    pub verbosity: u8,
    pub timeout: Option<std::time::Duration>,
    pub logs: bool,
}

/// Groups whose images are checked against the cluster's registry, at most.
const CHECKED_IMAGES: usize = 3;

/// Lines of a previous container log read for `--logs` (its tail), and bytes at most.
const LOG_TAIL: usize = 200;
const LOG_BYTES: usize = 64 * 1024;

/// A namespaced list read with a type that decodes only what the trace reads.
async fn list<T>(client: &kube::Client, path: String) -> Result<Seen<Vec<T>>>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    seen(list_streamed::<T>(client, &path).await)
}

/// Everything about the Service. What the pods are judged against (events, nodes, policies,
/// the `--from` client, the slices) is read first, together, so that the pods can be judged as
/// they arrive; then what the pods' owners and the rest of the trace need, together; then,
/// once per group of pods with the same cause or per refusal, what that cause needs asked.
pub async fn world(kube: &Kube, svc: Service, t: &Target, from: Option<&str>, opts: FollowUpOptions) -> Result<World> {
    let client = kube.client.clone();
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    let sel = svc.spec.as_ref().and_then(|s| s.selector.clone()).filter(|s| !s.is_empty());
    let nsp = percent_path(&ns);

    // Streamed like the pods: a Service's slices hold one entry per endpoint.
    let mut slices_path = format!("/apis/discovery.k8s.io/v1/namespaces/{nsp}/endpointslices");
    query_pair(&mut slices_path, "labelSelector", &format!("kubernetes.io/service-name={name}"));
    let events: Api<Event> = Api::namespaced(client.clone(), &ns);
    let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), &ns);
    let nodes: Api<Node> = Api::all(client.clone());
    let validating: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
    let mutating: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
    let api_services: Api<APIService> = Api::all(client.clone());
    let all = ListParams::default();
    // One list of the namespace's Warning events, whatever the number of pods.
    let warnings = ListParams::default().fields("type=Warning");
    let (slices, events, policies, nodes, validating, mutating, api_services) = tokio::join!(
        list_streamed::<SliceView>(&client, &slices_path),
        events.list(&warnings),
        policies.list(&all),
        nodes.list(&all),
        validating.list(&all),
        mutating.list(&all),
        api_services.list(&all),
    );
    let slices = seen(slices)?;
    let events = seen(events.map(|l| l.items))?;
    let service_events = own_events(events.as_deref().unwrap_or_default(), &name);
    let policies = seen(policies.map(|l| l.items))?;
    let nodes = seen(nodes.map(|l| l.items))?;
    let dependents = Dependents {
        validating: Some(seen(validating.map(|l| l.items))?),
        mutating: Some(seen(mutating.map(|l| l.items))?),
        api_services: Some(seen(api_services.map(|l| l.items))?),
    };
    let from = match from {
        Some(f) => Some(client_pod(&client, f, &ns).await?),
        None => None,
    };
    let policy_list = policies.clone().unwrap_or_default();
    let (pods, nearest) = match &sel {
        Some(s) => {
            // One unpaged list by selector: the request count does not grow with the pods.
            let fold = pod_fold(&svc, t, events.unwrap_or_default(), &nodes, policy_list.clone(), from, &slices);
            let path = pods_path(&ns, Some(&selector::map_to_string(s)));
            let pods = seen(fold_streamed(&client, &path, fold, PodFold::add).await.map(PodFold::finish))?;
            let nearest = match &pods {
                Ok(p) if p.total == 0 => {
                    let all = pods_path(&ns, None);
                    let near = fold_streamed(&client, &all, Nearest::new(s.clone()), Nearest::add).await;
                    near.map(Nearest::finish).unwrap_or_default()
                }
                _ => vec![],
            };
            (pods, nearest)
        }
        None => (Ok(Default::default()), vec![]),
    };

    let facts = pods.as_ref().ok();
    let kinds = match (&sel, facts) {
        (Some(_), Some(f)) => owners::kinds_to_read(&f.owners, f.total, headless(&svc)),
        _ => vec![],
    };
    let want_namespaces = facts.is_some_and(|f| needs_namespaces(&policy_list, f));
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), &ns);
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");
    let workload = |kind: &'static str| {
        let group = if kind == "jobs" { "batch" } else { "apps" };
        let path = format!("/apis/{group}/v1/namespaces/{nsp}/{kind}");
        let client = client.clone();
        let wanted = kinds.contains(&kind);
        async move { if wanted { Some(list::<WorkloadView>(&client, path).await) } else { None } }
    };
    let namespaces = async {
        if !want_namespaces {
            return None;
        }
        let api: Api<Namespace> = Api::all(client.clone());
        Some(api.list_metadata(&ListParams::default()).await.map(|l| {
            l.items
                .into_iter()
                .map(|n| (n.metadata.name.unwrap_or_default(), n.metadata.labels.unwrap_or_default()))
                .collect::<Vec<_>>()
        }))
    };
    let (rs, deploys, sts, ds, jobs, ingresses, coredns, namespaces) = tokio::join!(
        workload("replicasets"),
        workload("deployments"),
        workload("statefulsets"),
        workload("daemonsets"),
        workload("jobs"),
        ingresses.list(&all),
        cms.get_opt("coredns"),
        namespaces,
    );
    let lists = Lists {
        replica_sets: rs.transpose()?,
        deployments: deploys.transpose()?,
        stateful_sets: sts.transpose()?,
        daemon_sets: ds.transpose()?,
        jobs: jobs.transpose()?,
    };
    let ingresses = seen(ingresses.map(|l| l.items))?;
    let cluster_domain = match coredns {
        Ok(Some(cm)) => coredns_domain(cm),
        _ => None,
    };
    let namespaces = namespaces.map(seen).transpose()?;

    let mut pods = pods;
    let mut follow = FollowUps::default();
    if let (Some(s), Ok(facts)) = (&sel, &mut pods) {
        let needs = owners::behind(&lists, &facts.owners, Some(s), &facts.ctx).needs().clone();
        follow = owner_follow_ups(kube, &ns, &name, &needs, &dependents).await?;
        follow_up(kube, &ns, facts, opts).await;
    }
    Ok(World {
        service: svc,
        slices,
        pods,
        nearest,
        nodes,
        ingresses,
        cluster_domain,
        typed_domain: t.domain.clone(),
        lists,
        follow,
        dependents,
        policies: policy_list,
        namespaces,
        service_events,
    })
}

/// The Service's own events among the namespace's.
fn own_events(events: &[Event], name: &str) -> Vec<Event> {
    events
        .iter()
        .filter(|e| {
            e.involved_object.kind.as_deref() == Some("Service") && e.involved_object.name.as_deref() == Some(name)
        })
        .cloned()
        .collect()
}

fn headless(svc: &Service) -> bool {
    svc.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None")
}

/// Whether a NetworkPolicy that selects the pods names peers by namespace labels (then the
/// namespaces are read, to say which selectors match none).
fn needs_namespaces(policies: &[NetworkPolicy], facts: &PodFacts) -> bool {
    policies.iter().filter(|p| facts.selecting_policies.contains(p.metadata.name.as_deref().unwrap_or_default())).any(
        |p| {
            p.spec
                .iter()
                .flat_map(|s| s.ingress.iter().flatten())
                .flat_map(|r| r.from.iter().flatten())
                .any(|peer| peer.namespace_selector.as_ref().is_some_and(|s| selector::to_string(s) != "<all>"))
        },
    )
}

/// What the owners' refusals and scales need (see [`owners::Needs`]), read together.
async fn owner_follow_ups(kube: &Kube, ns: &str, traced: &str, needs: &Needs, deps: &Dependents) -> Result<FollowUps> {
    let client = kube.client.clone();
    let quotas = async {
        if !needs.quotas {
            return None;
        }
        Some(Api::<ResourceQuota>::namespaced(client.clone(), ns).list(&ListParams::default()).await.map(|l| l.items))
    };
    let ranges = async {
        if !needs.limit_ranges {
            return None;
        }
        Some(Api::<LimitRange>::namespaced(client.clone(), ns).list(&ListParams::default()).await.map(|l| l.items))
    };
    let namespace = async {
        if !needs.namespace {
            return None;
        }
        Some(Api::<Namespace>::all(client.clone()).get(ns).await.map(|n| n.metadata.labels.unwrap_or_default()))
    };
    let hpas = async {
        if !needs.autoscalers {
            return None;
        }
        let api: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), ns);
        Some(api.list(&ListParams::default()).await.map(|l| l.items))
    };
    let (quotas, ranges, namespace, hpas) = tokio::join!(quotas, ranges, namespace, hpas);
    let mut f = FollowUps {
        quotas: quotas.map(seen).transpose()?,
        limit_ranges: ranges.map(seen).transpose()?,
        namespace_labels: namespace.map(seen).transpose()?,
        autoscalers: hpas.map(seen).transpose()?,
        services: BTreeMap::new(),
    };
    // A refusing webhook's Service, one hop away: whether it exists and its ready endpoints.
    for w in &needs.webhooks {
        if let Some((sns, sname)) = deps.webhook(w).and_then(|h| h.service) {
            let key = format!("{sns}/{sname}");
            if let std::collections::btree_map::Entry::Vacant(e) = f.services.entry(key) {
                e.insert(backend(&client, &sns, &sname, true).await?);
            }
        }
    }
    // A StatefulSet's governing Service, when it is not the traced one: whether it exists.
    for s in needs.services.iter().filter(|s| s.as_str() != traced) {
        f.services.insert(format!("{ns}/{s}"), backend(&client, ns, s, false).await?);
    }
    Ok(f)
}

/// A Service one hop away: `None` when it does not exist, else (with `endpoints`) its ready
/// endpoint addresses from its EndpointSlices.
async fn backend(client: &kube::Client, ns: &str, name: &str, endpoints: bool) -> Result<Seen<Option<Backend>>> {
    let api: Api<Service> = Api::namespaced(client.clone(), ns);
    let found = match seen(api.get_opt(name).await)? {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    if found.is_none() {
        return Ok(Ok(None));
    }
    if !endpoints {
        return Ok(Ok(Some(Backend::default())));
    }
    let mut path = format!("/apis/discovery.k8s.io/v1/namespaces/{}/endpointslices", percent_path(ns));
    query_pair(&mut path, "labelSelector", &format!("kubernetes.io/service-name={name}"));
    Ok(seen(list_streamed::<SliceView>(client, &path).await)?.map(|slices| Some(count_endpoints(&slices))))
}

/// Ready and total endpoint addresses of slices.
pub fn count_endpoints(slices: &[SliceView]) -> Backend {
    let mut b = Backend::default();
    for e in slices.iter().flat_map(|s| s.endpoints.iter()) {
        b.addresses += e.addresses.len();
        if e.conditions.unwrap_or_default().ready.unwrap_or(true) {
            b.ready += e.addresses.len();
        }
    }
    b
}

/// The cluster domain in CoreDNS's ConfigMap.
fn coredns_domain(cm: ConfigMap) -> Option<String> {
    cm.data.and_then(|d| d.get("Corefile").and_then(|c| corefile_domain(c)))
}

/// What the selected pods are judged against, from what was read before them: the Service's
/// ports traced, the namespace's Warning `events`, the `nodes`, the NetworkPolicies, the
/// `--from` client and the Service's EndpointSlices.
fn pod_fold(
    svc: &Service,
    t: &Target,
    events: Vec<Event>,
    nodes: &Seen<Vec<Node>>,
    policies: Vec<NetworkPolicy>,
    from: Option<(PodView, Labels)>,
    slices: &Seen<Vec<SliceView>>,
) -> PodFold {
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let ports = chosen_ports(svc, t.port.as_ref()).unwrap_or_default();
    let node_facts = nodes
        .as_ref()
        .map(|ns| ns.iter().map(|n| (n.metadata.name.clone().unwrap_or_default(), NodeFact::from_node(n))).collect())
        .unwrap_or_default();
    let ctx = Context::new(&ns, events, node_facts);
    let no_slices = vec![];
    let in_slices = slices.as_ref().unwrap_or(&no_slices);
    PodFold::new(ports, ctx, policies, from, &ns, in_slices)
}

/// `--from pod/NAME` (in the Service's namespace `ns`) or `NAMESPACE/pod/NAME`: the client pod
/// and its namespace's labels (for namespaceSelector peers).
async fn client_pod(client: &kube::Client, f: &str, ns: &str) -> Result<(PodView, Labels)> {
    let pod_name = f.strip_prefix("pod/").or_else(|| f.strip_prefix("pods/")).ok_or_else(|| {
        Error::usage(format!("--from {f:?}: expected pod/NAME (in the Service's namespace) or NAMESPACE/pod/NAME"))
    })?;
    let (fns, fname) = match pod_name.split_once("/pod/") {
        Some((n, p)) => (n.to_string(), p.to_string()),
        None => (ns.to_string(), pod_name.to_string()),
    };
    let path = format!("/api/v1/namespaces/{}/pods/{}", percent_path(&fns), percent_path(&fname));
    let pod: PodView = get_streamed(client, &path).await?;
    let nsapi: Api<Namespace> = Api::all(client.clone());
    let labels = nsapi.get(&fns).await.ok().and_then(|n| n.metadata.labels).unwrap_or_default();
    Ok((pod, labels))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_domain_from_a_corefile() {
        let c = ".:53 {\n    errors\n    kubernetes corp.internal in-addr.arpa ip6.arpa {\n       pods insecure\n    }\n}\n";
        assert_eq!(super::corefile_domain(c).as_deref(), Some("corp.internal"));
        assert_eq!(super::corefile_domain("forward . /etc/resolv.conf"), None);
    }
}
