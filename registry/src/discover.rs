//! Which registry the cluster uses (KEP-1755's `kube-public/local-registry-hosting`
//! ConfigMap) and which platforms its nodes run.

// User and cluster text: walked by `char` or checked ranges, never sliced at a byte offset.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{ConfigMap, Node};
use kube::Api;
use kube::api::ListParams;
use serde_json::Value;

use kubectl_kit_core::{Error, Kube, Result};

use crate::image::Platform;

/// KEP-1755's `LocalRegistryHostingV1`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hosting {
    /// Where tools outside the cluster push (`localhost:5001`).
    pub host: Option<String>,
    /// What container runtimes pull from, for image fields (`kind-registry:5000`).
    pub host_from_container_runtime: Option<String>,
    /// What pods push to.
    pub host_from_cluster_network: Option<String>,
    /// A page explaining the registry.
    pub help: Option<String>,
}

impl Hosting {
    /// The host for image references the nodes pull: `hostFromContainerRuntime`, else `host`.
    pub fn pull_host(&self) -> Option<&str> {
        self.host_from_container_runtime.as_deref().or(self.host.as_deref())
    }
}

/// Reads `localRegistryHosting.v1` from the ConfigMap's data: the YAML document KEP-1755
/// specifies, and also flat `localRegistryHosting.v1.host` keys, which some writers use.
pub fn parse(data: &std::collections::BTreeMap<String, String>) -> std::result::Result<Option<Hosting>, String> {
    if let Some(doc) = data.get("localRegistryHosting.v1") {
        let value: Value = serde_yaml::from_str(doc).map_err(|e| match e.location() {
            Some(l) => {
                format!("localRegistryHosting.v1 is not valid YAML (line {}, column {}): {e}", l.line(), l.column())
            }
            None => format!("localRegistryHosting.v1 is not valid YAML: {e}"),
        })?;
        if value.is_null() {
            return Ok(Some(Hosting::default()));
        }
        if !value.is_object() {
            return Err("localRegistryHosting.v1 is not a mapping".into());
        }
        let field = |k: &str| -> std::result::Result<Option<String>, String> {
            match value.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("localRegistryHosting.v1: {k} is not a string")),
            }
        };
        return Ok(Some(Hosting {
            host: field("host")?,
            host_from_container_runtime: field("hostFromContainerRuntime")?,
            host_from_cluster_network: field("hostFromClusterNetwork")?,
            help: field("help")?,
        }));
    }
    let flat = |k: &str| data.get(&format!("localRegistryHosting.v1.{k}")).filter(|v| !v.is_empty()).cloned();
    let hosting = Hosting {
        host: flat("host"),
        host_from_container_runtime: flat("hostFromContainerRuntime"),
        host_from_cluster_network: flat("hostFromClusterNetwork"),
        help: flat("help"),
    };
    Ok((hosting != Hosting::default()).then_some(hosting))
}

/// Reads the ConfigMap. `None` when it does not exist.
pub async fn hosting(kube: &Kube) -> Result<Option<Hosting>> {
    let api: Api<ConfigMap> = Api::namespaced(kube.client.clone(), "kube-public");
    let Some(cm) = api.get_opt("local-registry-hosting").await? else {
        return Ok(None);
    };
    parse(&cm.data.unwrap_or_default())
        .map_err(|m| Error::runtime(format!("ConfigMap kube-public/local-registry-hosting: {m}")))
}

/// The platforms of the cluster's nodes (`linux/amd64`…). Empty when there are none or they
/// cannot be listed.
pub async fn node_platforms(kube: &Kube) -> Result<BTreeSet<Platform>> {
    let api: Api<Node> = Api::all(kube.client.clone());
    let nodes = api.list_metadata(&ListParams::default()).await;
    // Metadata lists carry labels: kubernetes.io/os and kubernetes.io/arch are set on every node.
    let nodes = match nodes {
        Ok(n) => n,
        Err(kube::Error::Api(s)) if s.code == 403 => return Ok(BTreeSet::new()),
        Err(e) => return Err(e.into()),
    };
    Ok(nodes
        .items
        .iter()
        .filter_map(|n| {
            let labels = n.metadata.labels.as_ref()?;
            Some(Platform {
                os: labels.get("kubernetes.io/os")?.clone(),
                architecture: labels.get("kubernetes.io/arch")?.clone(),
                variant: None,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_the_kep_document_and_flat_keys() {
        let h = parse(&data(&[(
            "localRegistryHosting.v1",
            "host: \"localhost:5001\"\nhostFromContainerRuntime: \"kind-registry:5000\"\nhelp: \"https://kind.sigs.k8s.io/docs/user/local-registry/\"\n",
        )]))
        .expect("parse")
        .expect("some");
        assert_eq!(h.host.as_deref(), Some("localhost:5001"));
        assert_eq!(h.pull_host(), Some("kind-registry:5000"));
        let h = parse(&data(&[("localRegistryHosting.v1.host", "localhost:5000")])).expect("parse").expect("some");
        assert_eq!(h.pull_host(), Some("localhost:5000"));
        assert_eq!(parse(&data(&[("other", "x")])).expect("parse"), None);
    }

    #[test]
    fn malformed_documents_say_where() {
        let e = parse(&data(&[("localRegistryHosting.v1", "host: [\n")])).expect_err("bad yaml");
        assert!(e.contains("line"), "{e}");
        let e = parse(&data(&[("localRegistryHosting.v1", "host: 5\n")])).expect_err("not a string");
        assert!(e.contains("host is not a string"), "{e}");
    }
}
