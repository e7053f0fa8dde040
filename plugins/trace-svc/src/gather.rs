//! Fetching what a trace needs, in a fixed number of requests whatever the number of pods:
//! the Service, its EndpointSlices (by label), Warning events, NetworkPolicies, nodes, the
//! client pod for `--from`, the selected pods (one unpaged list by selector, judged as they
//! stream in), Ingresses and CoreDNS's configuration; then at most a few requests per group of
//! failing pods (the cluster registry for an image, a PersistentVolumeClaim). What RBAC hides
//! is reported as not visible rather than failing the trace. [`recorded`] makes the same
//! [`World`] from objects recorded earlier, with no cluster (the snapshot tests' fixtures).

use std::net::IpAddr;

use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Node, PersistentVolumeClaim, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, ListParams};
use kubectl_kit_core::error::visible;
use kubectl_kit_core::list::{fold_streamed, get_streamed, list_streamed, percent_path, query_pair};
use kubectl_kit_core::selector::{self, Labels};
use kubectl_kit_core::{Error, Kube, Result};
use serde::Deserialize;

use crate::backends::{Nearest, PodFacts, PodFold};
use crate::cause::{Context, Followup, NodeFact};
use crate::model::Seen;
use crate::pod::PodView;
use crate::ports::chosen_ports;
use crate::slice::SliceView;
use crate::target::Target;
use crate::trace::World;

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

/// How the cluster's registry is asked about images pods cannot pull: `-v` and
/// `--request-timeout` as for the API server.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegistryOptions {
    pub verbosity: u8,
    pub timeout: Option<std::time::Duration>,
}

/// Groups whose images are checked against the cluster's registry, at most.
const CHECKED_IMAGES: usize = 3;

/// Everything about the Service. What the pods are judged against (events, nodes, policies,
/// the `--from` client, the slices) is read first, so that the pods can be judged as they
/// arrive; then, once per group of pods with the same cause, what that cause needs asked (the
/// cluster registry about an image, the PersistentVolumeClaims a pod waits for).
pub async fn world(
    kube: &Kube,
    svc: Service,
    t: &Target,
    from: Option<&str>,
    registry: RegistryOptions,
) -> Result<World> {
    let client = kube.client.clone();
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    let sel = svc.spec.as_ref().and_then(|s| s.selector.clone()).filter(|s| !s.is_empty());

    // Streamed like the pods: a Service's slices hold one entry per endpoint.
    let mut path = format!("/apis/discovery.k8s.io/v1/namespaces/{}/endpointslices", percent_path(&ns));
    query_pair(&mut path, "labelSelector", &format!("kubernetes.io/service-name={name}"));
    let slices = seen(list_streamed::<SliceView>(&client, &path).await)?;
    // One list of the namespace's Warning events, whatever the number of pods.
    let events: Api<Event> = Api::namespaced(client.clone(), &ns);
    let events = seen(events.list(&ListParams::default().fields("type=Warning")).await.map(|l| l.items))?;
    let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), &ns);
    let policies = seen(policies.list(&ListParams::default()).await.map(|l| l.items))?;
    let nodes: Api<Node> = Api::all(client.clone());
    let nodes = seen(nodes.list(&ListParams::default()).await.map(|l| l.items))?;
    let from = match from {
        Some(f) => Some(client_pod(&client, f, &ns).await?),
        None => None,
    };
    let (pods, nearest) = match &sel {
        Some(s) => {
            // One unpaged list by selector: the request count does not grow with the pods.
            let fold =
                pod_fold(&svc, t, events.unwrap_or_default(), &nodes, policies.unwrap_or_default(), from, &slices);
            let path = pods_path(&ns, Some(&selector::map_to_string(s)));
            let mut pods = seen(fold_streamed(&client, &path, fold, PodFold::add).await.map(PodFold::finish))?;
            if let Ok(facts) = &mut pods {
                follow_up(kube, &ns, facts, registry).await;
            }
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
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), &ns);
    let ingresses = seen(ingresses.list(&ListParams::default()).await.map(|l| l.items))?;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");
    let cluster_domain = match cms.get_opt("coredns").await {
        Ok(Some(cm)) => coredns_domain(cm),
        _ => None,
    };
    Ok(World { service: svc, slices, pods, nearest, nodes, ingresses, cluster_domain, typed_domain: t.domain.clone() })
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

/// What [`world`]'s requests return, recorded: each list as its items, read with the same
/// selectors (`kubectl get … -o json`). `namespacePods` is read only when the selector selects
/// no pod. The follow-ups (the cluster's registry, PersistentVolumeClaims) are not part of it.
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
}

/// Everything about the Service, from a recorded state instead of requests: what [`world`]
/// makes of the same objects, without the follow-ups.
pub fn recorded(r: Recorded, t: &Target) -> World {
    let svc = r.service;
    let slices = Ok(r.endpoint_slices);
    let nodes = Ok(r.nodes);
    let (pods, nearest) = match svc.spec.as_ref().and_then(|s| s.selector.clone()).filter(|s| !s.is_empty()) {
        Some(s) => {
            let mut fold = pod_fold(&svc, t, r.events, &nodes, r.network_policies, None, &slices);
            r.pods.into_iter().for_each(|p| fold.add(p));
            let pods = fold.finish();
            let mut near = Nearest::new(s);
            if pods.total == 0 {
                r.namespace_pods.into_iter().for_each(|p| near.add(p));
            }
            (Ok(pods), near.finish())
        }
        None => (Ok(Default::default()), vec![]),
    };
    World {
        service: svc,
        slices,
        pods,
        nearest,
        nodes,
        ingresses: Ok(r.ingresses),
        cluster_domain: r.coredns.and_then(coredns_domain),
        typed_domain: t.domain.clone(),
    }
}

/// What the groups' causes need asked, once per group: the cluster's registry about an image
/// (for the first few images), the PersistentVolumeClaims a pod waits for. What cannot be
/// asked is said in the evidence rather than failing the trace.
async fn follow_up(kube: &Kube, ns: &str, facts: &mut PodFacts, registry: RegistryOptions) {
    let mut images = 0;
    for g in &mut facts.groups {
        match g.cause.followup.clone() {
            Followup::Image { image, .. } if images < CHECKED_IMAGES => {
                images += 1;
                match kubectl_kit_registry::probe::probe(kube, &image, registry.verbosity, registry.timeout).await {
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
                    found.push((claim, state));
                }
                g.cause.add_claims(found);
            }
            _ => {}
        }
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
