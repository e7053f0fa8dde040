//! The reads before the Service, in a fixed number of requests, and the same world from a
//! recorded state ([`recorded`], the snapshot tests' fixtures).
//!
//! First what the trace starts at: `ingress/NAME` or `httproute/NAME` (one get), or for a URL
//! the Ingresses, HTTPRoutes and Gateways of every namespace (three lists, each retried in the
//! current namespace when RBAC forbids the cluster-wide one). Then, in at most three rounds of
//! concurrent requests, what the choice of route needs ([`super::wants`]): the IngressClasses
//! or GatewayClasses (one list), the route's parent Gateways (at most 4 gets), the Services of
//! the backends' namespaces (at most 3 lists), ReferenceGrants of other namespaces (at most 2
//! lists), the route's Namespace when a listener selects namespaces by label (one get), and the
//! TLS Secret of the host (one get). What RBAC forbids is reported as not visible.

use futures::future::join_all;
use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kubectl_kit_core::error::visible;
use kubectl_kit_core::list::{get_streamed, list_streamed, percent_path, query_pair};
use kubectl_kit_core::{Error, Kube, Result};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::objects::{Gateway, GatewayClass, HttpRoute, Pool, ReferenceGrant, TlsSecret};
use super::{EntryWorld, Origin, wants};
use crate::target::EntryKind;

const NETWORKING: &str = "/apis/networking.k8s.io/v1";
const GATEWAY: &str = "/apis/gateway.networking.k8s.io/v1";
/// ReferenceGrant's version every Gateway API release since v0.6 serves (v1 only since v1.5).
const GRANTS: &str = "/apis/gateway.networking.k8s.io/v1beta1";

/// Rounds of reads after the first: the choice may change once the namespaces' labels are
/// known, and the listener's Secret is known only once its Gateway is read.
const ROUNDS: usize = 3;

/// What one read found: the objects (none when the object or the resource does not exist), or
/// the server's message when RBAC forbids it.
type Read<T> = std::result::Result<Vec<T>, String>;

/// A read's outcome, with 404 as nothing: `Err` only for failures that are not RBAC's.
fn read<T>(r: kube::Result<Vec<T>>) -> Result<Read<T>> {
    let r = r.map_err(Error::from);
    if let Err(e) = &r
        && e.api_code() == Some(404)
    {
        return Ok(Ok(vec![]));
    }
    Ok(visible(r)?.map_err(|hidden| format!("forbidden ({})", hidden.message)))
}

async fn list<T: DeserializeOwned + Send + 'static>(kube: &Kube, path: String) -> Result<Read<T>> {
    read(list_streamed::<T>(&kube.client, &path).await)
}

async fn get<T: DeserializeOwned + Send + 'static>(kube: &Kube, path: String) -> Result<Read<T>> {
    read(get_streamed::<T>(&kube.client, &path).await.map(|t| vec![t]))
}

fn ns_path(api: &str, ns: &str, resource: &str) -> String {
    format!("{api}/namespaces/{}/{resource}", percent_path(ns))
}

/// The object the trace starts at, or the error a missing one is (with the namespaces where
/// one of that name exists).
async fn start<T: DeserializeOwned + Send + 'static>(
    kube: &Kube,
    api: &str,
    resource: &str,
    group: &str,
    ns: &str,
    name: &str,
) -> Result<T> {
    let path = format!("{}/{}", ns_path(api, ns, resource), percent_path(name));
    match get_streamed::<T>(&kube.client, &path).await.map_err(Error::from) {
        Ok(t) => Ok(t),
        Err(e) if e.api_code() == Some(404) && e.message.contains("could not find the requested resource") => {
            Err(Error::runtime(format!("the server has no {resource}.{group}: the Gateway API is not installed")).hint(
                "install the Gateway API's CRDs (https://gateway-api.sigs.k8s.io/guides/#installing-gateway-api)",
            ))
        }
        Err(e) if e.api_code() == Some(404) => {
            let mut err = Error::api("NotFound", 404, format!("{resource}.{group} \"{name}\" not found"));
            let mut all = format!("{api}/{resource}");
            query_pair(&mut all, "fieldSelector", &format!("metadata.name={name}"));
            if let Ok(found) = list_streamed::<super::objects::Named>(&kube.client, &all).await {
                let nss: Vec<String> = found.into_iter().map(|n| n.metadata.namespace.unwrap_or_default()).collect();
                if !nss.is_empty() {
                    err = err.hint(format!("one named {name} exists in: {} (use -n)", nss.join(", ")));
                }
            }
            Err(err.hint(format!("looked in namespace {ns}")))
        }
        Err(e) => Err(e),
    }
}

/// A list across namespaces, or in the current namespace when RBAC forbids that (both said in
/// the pool); `false` when the server has no such resource.
async fn list_everywhere<T: DeserializeOwned + Send + 'static + super::objects::Meta>(
    kube: &Kube,
    api: &str,
    resource: &str,
) -> Result<(Pool<T>, bool)> {
    let mut pool = Pool::default();
    let all = list_streamed::<T>(&kube.client, &format!("{api}/{resource}")).await;
    if matches!(&all, Err(kube::Error::Api(s)) if s.code == 404) {
        return Ok((pool, false));
    }
    let all = read(all)?;
    let forbidden = all.is_err();
    pool.add("", all);
    if forbidden {
        pool.add(&kube.namespace, list(kube, ns_path(api, &kube.namespace, resource)).await?);
    }
    Ok((pool, true))
}

/// Everything before the Service for `origin`.
pub async fn world(kube: &Kube, origin: &Origin) -> Result<EntryWorld> {
    let mut w = EntryWorld { now: jiff::Timestamp::now(), gateway_api: true, ..Default::default() };
    match origin {
        Origin::Object { kind: EntryKind::Ingress, namespace, name } => {
            let ing: Ingress = start(kube, NETWORKING, "ingresses", "networking.k8s.io", namespace, name).await?;
            w.ingresses.add(&format!("{namespace}/{name}"), Ok(vec![ing]));
        }
        Origin::Object { kind: EntryKind::HttpRoute, namespace, name } => {
            let route: HttpRoute =
                start(kube, GATEWAY, "httproutes", "gateway.networking.k8s.io", namespace, name).await?;
            w.routes.add(&format!("{namespace}/{name}"), Ok(vec![route]));
        }
        Origin::Url(_) => {
            let (ings, routes, gateways) = tokio::join!(
                list_everywhere::<Ingress>(kube, NETWORKING, "ingresses"),
                list_everywhere::<HttpRoute>(kube, GATEWAY, "httproutes"),
                list_everywhere::<Gateway>(kube, GATEWAY, "gateways"),
            );
            w.ingresses = ings?.0;
            let (routes, installed) = routes?;
            w.routes = routes;
            w.gateway_api = installed;
            w.gateways = gateways?.0;
        }
    }
    for _ in 0..ROUNDS {
        let want = wants(&w, origin);
        if want.is_empty() {
            break;
        }
        let (iclasses, gclasses, gateways, services, grants, namespaces, secrets) = tokio::join!(
            async {
                if want.ingress_classes {
                    Some(list::<IngressClass>(kube, format!("{NETWORKING}/ingressclasses")).await)
                } else {
                    None
                }
            },
            async {
                if want.gateway_classes {
                    Some(list::<GatewayClass>(kube, format!("{GATEWAY}/gatewayclasses")).await)
                } else {
                    None
                }
            },
            join_all(want.gateways.iter().map(|(ns, n)| get::<Gateway>(
                kube,
                format!("{}/{}", ns_path(GATEWAY, ns, "gateways"), percent_path(n))
            ))),
            join_all(want.services.iter().map(|ns| list::<Service>(kube, ns_path("/api/v1", ns, "services")))),
            join_all(want.grants.iter().map(|ns| list::<ReferenceGrant>(kube, ns_path(GRANTS, ns, "referencegrants")))),
            join_all(
                want.namespaces
                    .iter()
                    .map(|n| get::<Namespace>(kube, format!("/api/v1/namespaces/{}", percent_path(n))))
            ),
            join_all(want.secrets.iter().map(|(ns, n)| get::<TlsSecret>(
                kube,
                format!("{}/{}", ns_path("/api/v1", ns, "secrets"), percent_path(n))
            ))),
        );
        if let Some(r) = iclasses {
            w.ingress_classes.add("", r?);
        }
        if let Some(r) = gclasses {
            w.gateway_classes.add("", r?);
        }
        for ((ns, n), r) in want.gateways.iter().zip(gateways) {
            w.gateways.add(&format!("{ns}/{n}"), r?);
        }
        for (ns, r) in want.services.iter().zip(services) {
            w.services.add(ns, r?);
        }
        for (ns, r) in want.grants.iter().zip(grants) {
            w.grants.add(ns, r?);
        }
        for (n, r) in want.namespaces.iter().zip(namespaces) {
            w.namespaces.add(&format!("/{n}"), r?);
        }
        for ((ns, n), r) in want.secrets.iter().zip(secrets) {
            w.secrets.add(&format!("{ns}/{n}"), r?);
        }
    }
    Ok(w)
}

/// What [`world`] reads, recorded (`record-entry.sh`): each list as its items, the
/// Secrets with nothing of `data` but `tls.crt`; and the backend Service's own recorded state
/// (`record.sh`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recorded {
    /// When it was recorded (RFC 3339): the time certificates are judged at.
    pub recorded_at: String,
    /// False when the cluster had no Gateway API.
    #[serde(default = "yes")]
    pub gateway_api: bool,
    #[serde(default)]
    pub ingresses: Vec<Ingress>,
    #[serde(default)]
    pub ingress_classes: Vec<IngressClass>,
    #[serde(default)]
    pub http_routes: Vec<HttpRoute>,
    #[serde(default)]
    pub gateways: Vec<Gateway>,
    #[serde(default)]
    pub gateway_classes: Vec<GatewayClass>,
    #[serde(default)]
    pub reference_grants: Vec<ReferenceGrant>,
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub secrets: Vec<TlsSecret>,
    #[serde(default)]
    pub namespaces: Vec<Namespace>,
    /// The state of the Service the route leads to, as `record.sh` records it.
    #[serde(default)]
    pub backend: Option<crate::gather::Recorded>,
}

fn yes() -> bool {
    true
}

/// The world of a recorded state, and the backend Service's recorded state.
pub fn recorded(r: Recorded) -> std::result::Result<(EntryWorld, Option<crate::gather::Recorded>), String> {
    let now = r.recorded_at.parse().map_err(|e| format!("recordedAt {:?}: {e}", r.recorded_at))?;
    let w = EntryWorld {
        now,
        ingresses: Pool::of(r.ingresses),
        ingress_classes: Pool::of(r.ingress_classes),
        routes: Pool::of(r.http_routes),
        gateway_api: r.gateway_api,
        gateways: Pool::of(r.gateways),
        gateway_classes: Pool::of(r.gateway_classes),
        grants: Pool::of(r.reference_grants),
        services: Pool::of(r.services),
        secrets: Pool::of(r.secrets),
        namespaces: Pool::of(r.namespaces),
    };
    Ok((w, r.backend))
}
