//! `--port-forward`: push to an in-cluster registry through the API server, for clusters whose
//! registry has no address reachable from here (a remote dev cluster, minikube's registry addon).
//!
//! A listener on 127.0.0.1 takes the registry client's connections; each one opens its own
//! port-forward stream (pods/portforward) to a ready pod behind the registry Service. The
//! registry client then speaks plain HTTP to a loopback address, as to any local registry.

use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Api;
use kube::api::ListParams;

use kubectl_kit_core::{Error, Kube, Result, output};

use kubectl_kit_registry::discover::Hosting;

/// A running forward.
pub struct Forward {
    /// `127.0.0.1:PORT`, to push to.
    pub local: String,
    /// The host for image fields: the ConfigMap's, else the Service's ClusterIP:port.
    pub pull_host: String,
    /// `namespace/pod:port`, for messages.
    pub target: String,
}

/// Which Service: `NAMESPACE/NAME` or `NAME` (in the current namespace) as given; else the
/// ConfigMap's `hostFromClusterNetwork` (`NAME.NAMESPACE.svc…:PORT`); else minikube's
/// `kube-system/registry`. Returns (namespace, name, port if known).
pub fn service_of(
    spec: Option<&str>,
    namespace: &str,
    hosting: Option<&Hosting>,
) -> Result<(String, String, Option<u16>)> {
    if let Some(spec) = spec.filter(|s| !s.is_empty()) {
        let (ns, name) = match spec.split_once('/') {
            Some((ns, name)) => (ns.to_string(), name.to_string()),
            None => (namespace.to_string(), spec.to_string()),
        };
        let dns =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !dns(&ns) || !dns(&name) {
            return Err(Error::usage(format!("--port-forward {spec:?}: expected [NAMESPACE/]SERVICE")));
        }
        return Ok((ns, name, None));
    }
    if let Some(h) = hosting.and_then(|h| h.host_from_cluster_network.as_deref()) {
        let (host, port) = kubectl_kit_registry::reference::split_host(h);
        let mut labels = host.split('.');
        if let (Some(name), Some(ns)) = (labels.next(), labels.next())
            && labels.next() == Some("svc")
        {
            return Ok((ns.to_string(), name.to_string(), port.and_then(|p| p.parse().ok())));
        }
    }
    Ok(("kube-system".into(), "registry".into(), None))
}

/// Starts forwarding to the Service's registry and returns where to push.
pub async fn start(kube: &Kube, spec: Option<&str>, hosting: Option<&Hosting>) -> Result<Forward> {
    let (ns, name, want_port) = service_of(spec, &kube.namespace, hosting)?;
    let services: Api<Service> = Api::namespaced(kube.client.clone(), &ns);
    let svc = services.get_opt(&name).await?.ok_or_else(|| {
        Error::runtime(format!("--port-forward: no registry Service {ns}/{name}"))
            .hint("name it with --port-forward=NAMESPACE/SERVICE")
    })?;
    let spec_ports = svc.spec.as_ref().and_then(|s| s.ports.clone()).unwrap_or_default();
    let port = match want_port {
        Some(p) => spec_ports.iter().find(|sp| sp.port == i32::from(p)),
        None if spec_ports.len() == 1 => spec_ports.first(),
        None => spec_ports.iter().find(|sp| matches!(sp.name.as_deref(), Some("registry" | "http" | "docker"))),
    }
    .ok_or_else(|| {
        Error::runtime(format!("--port-forward: cannot tell which port of Service {ns}/{name} is the registry"))
    })?;
    let cluster_ip = svc.spec.as_ref().and_then(|s| s.cluster_ip.clone()).unwrap_or_default();
    // The ready pod and the port number it serves on, as the EndpointSlices say.
    let slices: Api<EndpointSlice> = Api::namespaced(kube.client.clone(), &ns);
    let list = slices.list(&ListParams::default().labels(&format!("kubernetes.io/service-name={name}"))).await?;
    let mut found = None;
    'slices: for slice in &list.items {
        let Some(sp) = slice.ports.as_ref().and_then(|ps| ps.iter().find(|p| p.name == port.name || (ps.len() == 1)))
        else {
            continue;
        };
        let Some(target_port) = sp.port.and_then(|p| u16::try_from(p).ok()) else { continue };
        for e in &slice.endpoints {
            let ready = e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true);
            if let (true, Some(r)) = (ready, &e.target_ref)
                && r.kind.as_deref() == Some("Pod")
                && let Some(pod) = &r.name
            {
                found = Some((pod.clone(), target_port));
                break 'slices;
            }
        }
    }
    let (pod, target_port) = found.ok_or_else(|| {
        Error::runtime(format!("--port-forward: Service {ns}/{name} has no ready pod"))
            .hint(format!("kubectl trace-svc {name} -n {ns} says why"))
    })?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Error::runtime("--port-forward: cannot listen on 127.0.0.1").caused_by(e))?;
    let local = listener.local_addr().map_err(|e| Error::runtime("--port-forward: no local address").caused_by(e))?;
    let pods: Api<Pod> = Api::namespaced(kube.client.clone(), &ns);
    let target = format!("{ns}/{pod}:{target_port}");
    let shown = target.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let pods = pods.clone();
            let pod = pod.clone();
            let shown = shown.clone();
            tokio::spawn(async move {
                let forwarded = async {
                    let mut pf = pods.portforward(&pod, &[target_port]).await.map_err(|e| Error::from(e).message)?;
                    let mut upstream =
                        pf.take_stream(target_port).ok_or_else(|| format!("no stream for port {target_port}"))?;
                    let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
                    drop(upstream);
                    pf.join().await.map_err(|e| e.to_string())
                };
                if let Err(e) = forwarded.await {
                    output::warn(&format!("port-forward to {shown}: {e}"));
                }
            });
        }
    });
    let pull_host = match hosting.and_then(Hosting::pull_host) {
        Some(h) => h.to_string(),
        None if !cluster_ip.is_empty() && cluster_ip != "None" => format!("{cluster_ip}:{}", port.port),
        None => format!("{name}.{ns}.svc:{}", port.port),
    };
    Ok(Forward { local: local.to_string(), pull_host, target })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_service() {
        assert_eq!(
            service_of(Some("reg/registry"), "default", None).expect("ok"),
            ("reg".into(), "registry".into(), None)
        );
        assert_eq!(service_of(Some("registry"), "team", None).expect("ok").0, "team");
        let h = Hosting {
            host_from_cluster_network: Some("kind-registry.infra.svc.cluster.local:5000".into()),
            ..Hosting::default()
        };
        assert_eq!(
            service_of(None, "default", Some(&h)).expect("ok"),
            ("infra".into(), "kind-registry".into(), Some(5000))
        );
        assert_eq!(service_of(None, "default", None).expect("ok"), ("kube-system".into(), "registry".into(), None));
        assert!(service_of(Some("a/b/c"), "default", None).is_err());
    }
}
