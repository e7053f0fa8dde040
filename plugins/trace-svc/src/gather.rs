//! Fetching what a trace needs, in a fixed number of requests whatever the number of pods:
//! the Service, its EndpointSlices (by label), the selected pods (one unpaged list by selector),
//! nodes, NetworkPolicies, Ingresses, Warning events, CoreDNS's configuration, and the client pod
//! for `--from`. What RBAC hides is reported as not visible rather than failing the trace.

use std::net::IpAddr;

use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use kube::api::{Api, ListParams};
use kubectl_kit_core::list::{ListItems, get_streamed, percent_path, query_pair};
use kubectl_kit_core::selector;
use kubectl_kit_core::{Error, Kube, Result};

use crate::pod::PodView;
use crate::target::Target;
use crate::trace::{Seen, World};

/// A forbidden read becomes "not visible"; anything else is an error.
fn seen<T>(r: std::result::Result<T, kube::Error>) -> Result<Seen<T>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(kube::Error::Api(s)) if s.code == 403 => Ok(Err(format!("forbidden ({})", s.message))),
        Err(e) => Err(e.into()),
    }
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

/// The namespace's pods (those of `selector`, if given) in one request, decoded into
/// [`PodView`]s while the response streams in: the list's text is never held whole and the
/// fields the trace does not read are never built, so a Service with thousands of pods costs
/// about what their names, labels, ports and readiness cost.
async fn list_pods(client: &kube::Client, ns: &str, selector: Option<&str>) -> kube::Result<Vec<PodView>> {
    let mut path = format!("/api/v1/namespaces/{ns}/pods");
    if let Some(s) = selector {
        query_pair(&mut path, "labelSelector", s);
    }
    Ok(get_streamed::<ListItems<PodView>>(client, &path).await?.into_vec())
}

/// Reads the cluster domain from CoreDNS's Corefile (`kubernetes DOMAIN …`).
pub fn corefile_domain(corefile: &str) -> Option<String> {
    corefile.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        (words.next() == Some("kubernetes")).then(|| words.next().map(str::to_string)).flatten()
    })
}

/// Everything about the Service.
pub async fn world(kube: &Kube, svc: Service, t: &Target, from: Option<&str>) -> Result<World> {
    let client = kube.client.clone();
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    let sel = svc.spec.as_ref().and_then(|s| s.selector.clone()).filter(|s| !s.is_empty());

    // Streamed like the pods: a Service's slices hold one entry per endpoint.
    let mut path = format!("/apis/discovery.k8s.io/v1/namespaces/{}/endpointslices", percent_path(&ns));
    query_pair(&mut path, "labelSelector", &format!("kubernetes.io/service-name={name}"));
    let slices = seen(get_streamed::<ListItems<EndpointSlice>>(&client, &path).await.map(ListItems::into_vec))?;
    let (pods, namespace_pods) = match &sel {
        Some(s) => {
            // One unpaged list by selector: the request count does not grow with the pods.
            let pods = seen(list_pods(&client, &ns, Some(&selector::map_to_string(s))).await)?;
            let nearest = match &pods {
                Ok(p) if p.is_empty() => list_pods(&client, &ns, None).await.ok(),
                _ => None,
            };
            (pods, nearest)
        }
        None => (Ok(vec![]), None),
    };
    let nodes: Api<Node> = Api::all(client.clone());
    let nodes = seen(nodes.list(&ListParams::default()).await.map(|l| l.items))?;
    let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), &ns);
    let policies = seen(policies.list(&ListParams::default()).await.map(|l| l.items))?;
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), &ns);
    let ingresses = seen(ingresses.list(&ListParams::default()).await.map(|l| l.items))?;
    let events: Api<Event> = Api::namespaced(client.clone(), &ns);
    let events = seen(events.list(&ListParams::default().fields("type=Warning")).await.map(|l| l.items))?;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");
    let cluster_domain = match cms.get_opt("coredns").await {
        Ok(Some(cm)) => cm.data.and_then(|d| d.get("Corefile").and_then(|c| corefile_domain(c))),
        _ => None,
    };
    let from = match from {
        Some(f) => {
            let pod_name = f.strip_prefix("pod/").or_else(|| f.strip_prefix("pods/")).ok_or_else(|| {
                Error::usage(format!(
                    "--from {f:?}: expected pod/NAME (in the Service's namespace) or NAMESPACE/pod/NAME"
                ))
            })?;
            let (fns, fname) = match pod_name.split_once("/pod/") {
                Some((n, p)) => (n.to_string(), p.to_string()),
                None => (ns.clone(), pod_name.to_string()),
            };
            let path = format!("/api/v1/namespaces/{}/pods/{}", percent_path(&fns), percent_path(&fname));
            let pod: PodView = get_streamed(&client, &path).await?;
            let nsapi: Api<Namespace> = Api::all(client.clone());
            let labels = nsapi.get(&fns).await.ok().and_then(|n| n.metadata.labels).unwrap_or_default();
            Some((pod, labels))
        }
        None => None,
    };
    Ok(World {
        service: svc,
        slices,
        pods,
        namespace_pods,
        nodes,
        policies,
        ingresses,
        events,
        cluster_domain,
        typed_domain: t.domain.clone(),
        from,
    })
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
