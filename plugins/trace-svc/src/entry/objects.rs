//! The objects read before the Service that k8s-openapi has no type for: the Gateway API's
//! (`gateway.networking.k8s.io/v1` GatewayClass, Gateway, HTTPRoute; ReferenceGrant at
//! `v1beta1`, which every release since v0.6 serves) with only the fields a trace reads, a TLS
//! Secret read for its certificate alone, and the lookups every hop uses ([`Pool`]).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::Deserialize;

/// An object's metadata, whatever its type.
pub trait Meta {
    fn meta(&self) -> &ObjectMeta;

    /// Its name.
    fn name(&self) -> &str {
        self.meta().name.as_deref().unwrap_or_default()
    }

    /// Its namespace (empty for cluster-scoped objects).
    fn namespace(&self) -> &str {
        self.meta().namespace.as_deref().unwrap_or_default()
    }

    /// `namespace/name`.
    fn key(&self) -> String {
        format!("{}/{}", self.namespace(), self.name())
    }
}

macro_rules! meta {
    ($($t:ty),*) => {$(
        impl Meta for $t {
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
        }
    )*};
}

meta!(Ingress, IngressClass, Service, Namespace, GatewayClass, Gateway, HttpRoute, ReferenceGrant, TlsSecret, Named);

/// Any object, read for its name and namespace alone.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Named {
    pub metadata: ObjectMeta,
}

/// What a lookup found.
#[derive(Debug)]
pub enum Lookup<'a, T> {
    Found(&'a T),
    /// Read, and not there.
    Missing,
    /// RBAC forbade the read: the server's message.
    Hidden(&'a str),
    /// Not read: past the fixed number of reads a trace makes.
    Unread,
}

/// Objects of one kind as read for one trace: what lists and gets returned, which reads were
/// made (by namespace for a list, `namespace/name` for a get, `""` for a cluster-wide or
/// cluster-scoped list) and which RBAC forbade. An object absent from a read is missing from
/// the cluster; one outside every read was not looked at. A recorded pool is `complete`: its
/// objects are all there are.
#[derive(Debug, Clone)]
pub struct Pool<T> {
    pub items: Vec<T>,
    pub hidden: BTreeMap<String, String>,
    pub read: BTreeSet<String>,
    pub complete: bool,
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool { items: vec![], hidden: BTreeMap::new(), read: BTreeSet::new(), complete: false }
    }
}

impl<T: Meta> Pool<T> {
    /// The pool of every such object (recorded), nothing hidden.
    pub fn of(items: Vec<T>) -> Self {
        Pool { items, hidden: BTreeMap::new(), read: BTreeSet::new(), complete: true }
    }

    /// The object `namespace/name` (`namespace` empty for cluster-scoped kinds).
    pub fn find(&self, namespace: &str, name: &str) -> Lookup<'_, T> {
        if let Some(t) = self.items.iter().find(|t| t.namespace() == namespace && t.name() == name) {
            return Lookup::Found(t);
        }
        let keys = [format!("{namespace}/{name}"), namespace.to_string(), String::new()];
        if let Some(m) = keys.iter().find_map(|k| self.hidden.get(k)) {
            return Lookup::Hidden(m);
        }
        if self.complete || keys.iter().any(|k| self.read.contains(k)) { Lookup::Missing } else { Lookup::Unread }
    }

    /// Whether the read `key` (as in [`Pool`]) was made, or is covered by one.
    pub fn has_read(&self, key: &str) -> bool {
        self.complete
            || self.read.contains(key)
            || self.read.contains("")
            || key.split_once('/').is_some_and(|(ns, _)| self.read.contains(ns))
    }

    /// Adds what one read returned, or that it was forbidden.
    pub fn add(&mut self, key: &str, read: Result<Vec<T>, String>) {
        self.read.insert(key.to_string());
        match read {
            Ok(mut items) => {
                items.retain(|t| !self.items.iter().any(|o| o.key() == t.key()));
                self.items.append(&mut items)
            }
            Err(message) => {
                self.hidden.insert(key.to_string(), message);
            }
        }
    }

    /// The objects in `namespace`.
    pub fn in_namespace<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a T> + 'a {
        self.items.iter().filter(move |t| t.namespace() == namespace)
    }
}

/// A status condition, as Gateway API objects carry them.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub observed_generation: Option<i64>,
    pub last_transition_time: Option<String>,
}

impl Condition {
    /// True when no controller has written it: the CRD's default (`Unknown`, `Pending`,
    /// "Waiting for controller").
    pub fn unwritten(&self) -> bool {
        self.status == "Unknown" && self.reason == "Pending"
    }

    /// `Accepted False (NotAllowedByListeners: …)`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.type_, self.status);
        match (self.reason.is_empty(), self.message.is_empty()) {
            (false, false) => s.push_str(&format!(" ({}: {})", self.reason, self.message)),
            (false, true) => s.push_str(&format!(" ({})", self.reason)),
            (true, false) => s.push_str(&format!(" ({})", self.message)),
            (true, true) => {}
        }
        s
    }
}

/// The condition of this type, if any.
pub fn condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GatewayClass {
    pub metadata: ObjectMeta,
    pub spec: GatewayClassSpec,
    pub status: ConditionsStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GatewayClassSpec {
    pub controller_name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConditionsStatus {
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Gateway {
    pub metadata: ObjectMeta,
    pub spec: GatewaySpec,
    pub status: GatewayStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GatewaySpec {
    pub gateway_class_name: String,
    pub listeners: Vec<Listener>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Listener {
    pub name: String,
    pub hostname: Option<String>,
    pub port: i32,
    pub protocol: String,
    pub tls: Option<ListenerTls>,
    pub allowed_routes: Option<AllowedRoutes>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListenerTls {
    /// `Terminate` (the default) or `Passthrough`.
    pub mode: Option<String>,
    pub certificate_refs: Vec<ObjectRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AllowedRoutes {
    pub namespaces: Option<RouteNamespaces>,
    pub kinds: Vec<RouteGroupKind>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteNamespaces {
    /// `Same` (the default), `All` or `Selector`.
    pub from: Option<String>,
    pub selector: Option<LabelSelector>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteGroupKind {
    pub group: Option<String>,
    pub kind: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GatewayStatus {
    pub addresses: Vec<GatewayAddress>,
    pub conditions: Vec<Condition>,
    pub listeners: Vec<ListenerStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GatewayAddress {
    pub value: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListenerStatus {
    pub name: String,
    pub attached_routes: i32,
    pub conditions: Vec<Condition>,
}

/// A reference to an object by group, kind, namespace and name (parentRefs, backendRefs,
/// certificateRefs), with the port and weight the route kinds add.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectRef {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: String,
    pub section_name: Option<String>,
    pub port: Option<i32>,
    pub weight: Option<i32>,
}

impl ObjectRef {
    /// The referent's group, `""` for the core group.
    pub fn group_or(&self, default: &str) -> String {
        self.group.clone().unwrap_or_else(|| default.to_string())
    }

    /// The referent's kind.
    pub fn kind_or(&self, default: &str) -> String {
        self.kind.clone().unwrap_or_else(|| default.to_string())
    }

    /// The referent's namespace, the referrer's when not given.
    pub fn namespace_or<'a>(&'a self, own: &'a str) -> &'a str {
        self.namespace.as_deref().unwrap_or(own)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HttpRoute {
    pub metadata: ObjectMeta,
    pub spec: HttpRouteSpec,
    pub status: RouteStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HttpRouteSpec {
    pub parent_refs: Vec<ObjectRef>,
    pub hostnames: Vec<String>,
    pub rules: Vec<RouteRule>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteRule {
    pub name: Option<String>,
    pub matches: Vec<RouteMatch>,
    pub filters: Vec<RouteFilter>,
    pub backend_refs: Vec<ObjectRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteMatch {
    pub path: Option<PathMatch>,
    pub headers: Vec<ValueMatch>,
    pub query_params: Vec<ValueMatch>,
    pub method: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PathMatch {
    /// `Exact`, `PathPrefix` (the default) or `RegularExpression`.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ValueMatch {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteFilter {
    #[serde(rename = "type")]
    pub type_: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteStatus {
    pub parents: Vec<RouteParentStatus>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteParentStatus {
    pub parent_ref: ObjectRef,
    pub controller_name: String,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReferenceGrant {
    pub metadata: ObjectMeta,
    pub spec: ReferenceGrantSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReferenceGrantSpec {
    pub from: Vec<GrantFrom>,
    pub to: Vec<GrantTo>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GrantFrom {
    pub group: String,
    pub kind: String,
    pub namespace: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GrantTo {
    pub group: String,
    pub kind: String,
    pub name: Option<String>,
}

/// A Secret read for its certificate: the type and `tls.crt`. Nothing else of `data` is
/// decoded (the private key is skipped by the decoder, never built).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TlsSecret {
    pub metadata: ObjectMeta,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub data: TlsData,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TlsData {
    #[serde(rename = "tls.crt")]
    pub crt: Option<k8s_openapi::ByteString>,
}

/// The creation time, for "the oldest wins" rules (RFC 3339 text orders as time does).
pub fn created(m: &impl Meta) -> String {
    m.meta().creation_timestamp.as_ref().map(|t| t.0.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_read_without_its_key() {
        let s: TlsSecret = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "tls", "namespace": "shop"},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "Y2VydA==", "tls.key": "c2VjcmV0"}
        }))
        .expect("secret");
        // "secret" in bytes: the key's value, which must not have been kept anywhere.
        assert!(!format!("{s:?}").contains("115, 101, 99, 114, 101, 116"), "{s:?}");
        assert_eq!(s.data.crt.map(|b| b.0), Some(b"cert".to_vec()));
    }

    #[test]
    fn lookups_say_found_missing_or_hidden() {
        let mut pool = Pool::<TlsSecret>::default();
        pool.add(
            "a",
            Ok(vec![
                serde_json::from_value(serde_json::json!({"metadata": {"name": "x", "namespace": "a"}})).expect("s"),
            ]),
        );
        pool.add("b/y", Err("forbidden".into()));
        assert!(matches!(pool.find("a", "x"), Lookup::Found(_)));
        assert!(matches!(pool.find("a", "z"), Lookup::Missing));
        assert!(matches!(pool.find("b", "y"), Lookup::Hidden("forbidden")));
        assert!(matches!(pool.find("c", "y"), Lookup::Unread));
        assert!(pool.has_read("a/anything") && !pool.has_read("c/y"));
    }

    #[test]
    fn the_crd_default_condition_is_unwritten() {
        let c = Condition {
            type_: "Accepted".into(),
            status: "Unknown".into(),
            reason: "Pending".into(),
            message: "Waiting for controller".into(),
            ..Default::default()
        };
        assert!(c.unwritten());
        assert_eq!(c.describe(), "Accepted Unknown (Pending: Waiting for controller)");
    }
}
