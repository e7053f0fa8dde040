//! Each component's command line, started in order and waited for: etcd, kube-apiserver, then
//! kube-controller-manager, kube-scheduler, kwok and the registry, then the cluster's objects
//! (with the Gateway API's standard-channel CRDs; no Gateway controller runs).

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use super::process::{spawn, wait_ready};
use super::stages::{apply, nodes_manifest, registry_configmap, stage_configs};
use super::{State, kubectl};
use crate::{paths, util};

fn s(v: impl Into<String>) -> String {
    v.into()
}

/// Where the inputs of `start_all` are.
pub(super) struct Dirs<'a> {
    /// The generated certificates.
    pub pki: &'a Path,
    /// kwok's module (its stages and CRDs).
    pub kwok: &'a Path,
    /// The Gateway API's standard-channel CRDs.
    pub gateway_crds: &'a Path,
}

pub(super) fn start_all(
    state: &mut State,
    children: &mut Vec<(String, Child)>,
    dirs: &Dirs,
    advertise: &str,
    registry_bin: &Path,
) -> Result<()> {
    let (pki, kwok_dir) = (dirs.pki, dirs.kwok);
    let dir = paths::cluster();
    let p = |n: &str| pki.join(n).display().to_string();
    let kubeconfig = paths::kubeconfig().display().to_string();
    let bin = paths::bin();
    let etcd_port = state.port("etcd");
    let api_port = state.port("kube-apiserver");

    util::step("starting etcd");
    spawn(
        "etcd",
        &bin.join("etcd"),
        &[
            format!("--data-dir={}", dir.join("etcd").display()),
            s("--name=kubectl-kit"),
            format!("--listen-client-urls=http://127.0.0.1:{etcd_port}"),
            format!("--advertise-client-urls=http://127.0.0.1:{etcd_port}"),
            format!("--listen-peer-urls=http://127.0.0.1:{}", state.port("etcd-peer")),
            format!("--initial-advertise-peer-urls=http://127.0.0.1:{}", state.port("etcd-peer")),
            format!("--initial-cluster=kubectl-kit=http://127.0.0.1:{}", state.port("etcd-peer")),
            s("--listen-metrics-urls="),
            // A throwaway test cluster: durability is not worth the fsync latency.
            s("--unsafe-no-fsync"),
            s("--quota-backend-bytes=8589934592"),
        ],
        children,
        state,
    )?;
    wait_ready("etcd", children, Duration::from_secs(30), || {
        util::http_get(etcd_port, "/health").is_ok_and(|(code, body)| code == 200 && body.contains("true"))
    })?;

    util::step("starting kube-apiserver");
    spawn(
        "kube-apiserver",
        &bin.join("kube-apiserver"),
        &[
            format!("--etcd-servers=http://127.0.0.1:{etcd_port}"),
            s("--bind-address=127.0.0.1"),
            format!("--secure-port={api_port}"),
            format!("--advertise-address={advertise}"),
            format!("--tls-cert-file={}", p("apiserver.crt")),
            format!("--tls-private-key-file={}", p("apiserver.key")),
            format!("--client-ca-file={}", p("ca.crt")),
            s("--authorization-mode=Node,RBAC"),
            s("--enable-admission-plugins=NodeRestriction"),
            // port-forward (and logs, exec) reach kwok's kubelet endpoint through the nodes'
            // InternalDNS address `localhost`; the TEST-NET-3 InternalIPs are never dialled.
            s("--kubelet-preferred-address-types=InternalDNS,InternalIP,Hostname,ExternalDNS,ExternalIP"),
            s("--allow-privileged=true"),
            s("--service-account-issuer=https://kubernetes.default.svc.cluster.local"),
            format!("--service-account-key-file={}", p("sa.pub")),
            format!("--service-account-signing-key-file={}", p("sa.key")),
            s("--service-cluster-ip-range=10.96.0.0/16"),
            s("--profiling=false"),
            s("--event-ttl=1h"),
        ],
        children,
        state,
    )?;
    wait_ready("kube-apiserver", children, Duration::from_secs(60), || {
        kubectl()
            .args(["get", "--raw", "/readyz"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })?;

    util::step("starting kube-controller-manager, kube-scheduler, kwok and the registry");
    spawn(
        "kube-controller-manager",
        &bin.join("kube-controller-manager"),
        &[
            format!("--kubeconfig={kubeconfig}"),
            format!("--authentication-kubeconfig={kubeconfig}"),
            format!("--authorization-kubeconfig={kubeconfig}"),
            s("--bind-address=127.0.0.1"),
            format!("--secure-port={}", state.port("kube-controller-manager")),
            format!("--service-account-private-key-file={}", p("sa.key")),
            format!("--root-ca-file={}", p("ca.crt")),
            format!("--cluster-signing-cert-file={}", p("ca.crt")),
            format!("--cluster-signing-key-file={}", p("ca.key")),
            s("--service-cluster-ip-range=10.96.0.0/16"),
            s("--allocate-node-cidrs=true"),
            s("--cluster-cidr=10.244.0.0/16"),
            s("--node-cidr-mask-size=24"),
            s("--leader-elect=false"),
            s("--controllers=*"),
            s("--profiling=false"),
        ],
        children,
        state,
    )?;
    spawn(
        "kube-scheduler",
        &bin.join("kube-scheduler"),
        &[
            format!("--kubeconfig={kubeconfig}"),
            format!("--authentication-kubeconfig={kubeconfig}"),
            format!("--authorization-kubeconfig={kubeconfig}"),
            s("--bind-address=127.0.0.1"),
            format!("--secure-port={}", state.port("kube-scheduler")),
            s("--leader-elect=false"),
            s("--profiling=false"),
        ],
        children,
        state,
    )?;
    let stages = stage_configs(kwok_dir)?;
    let kwok_port = state.port("kwok");
    // kwok's PortForward rules (pod port → a local address) and Logs rules (a pod's container
    // → the files its logs and previous logs are read from) are objects it watches: their CRDs
    // must exist before kwok starts.
    for name in ["portforwards", "logs"] {
        let crd = kwok_dir.join(format!("kustomize/crd/bases/kwok.x-k8s.io_{name}.yaml"));
        apply(&std::fs::read_to_string(&crd).with_context(|| format!("reading {}", crd.display()))?)?;
    }
    spawn(
        "kwok",
        &bin.join("kwok"),
        &[
            format!("--kubeconfig={kubeconfig}"),
            s("--manage-all-nodes=true"),
            format!("--server-address=127.0.0.1:{kwok_port}"),
            format!("--node-port={kwok_port}"),
            s("--node-lease-duration-seconds=40"),
            s("--enable-crds=PortForward,Logs"),
            format!("--tls-cert-file={}", p("apiserver.crt")),
            format!("--tls-private-key-file={}", p("apiserver.key")),
        ]
        .into_iter()
        .chain(stages.iter().map(|f| format!("--config={}", f.display())))
        .collect::<Vec<_>>(),
        children,
        state,
    )?;
    let reg_port = state.port("registry");
    let reg_config = dir.join("registry.yml");
    std::fs::write(
        &reg_config,
        format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{reg_port}\n  headers:\n    X-Content-Type-Options: [nosniff]\n",
            dir.join("registry").display()
        ),
    )?;
    spawn("registry", registry_bin, &[s("serve"), reg_config.display().to_string()], children, state)?;
    wait_ready("registry", children, Duration::from_secs(30), || {
        util::http_get(reg_port, "/v2/").is_ok_and(|(code, _)| code == 200)
    })?;

    util::step("creating 3 kwok nodes, the local-registry-hosting ConfigMap and the demo CRD");
    apply(&nodes_manifest())?;
    apply(&registry_configmap(reg_port))?;
    util::run(kubectl().arg("apply").arg("-f").arg(paths::fixtures().join("cluster")))?;
    // Server-side: the HTTPRoute CRD is larger than the annotation client-side apply keeps.
    util::step("installing the Gateway API's standard-channel CRDs");
    util::run(kubectl().args(["apply", "--server-side", "--force-conflicts", "-f"]).arg(dirs.gateway_crds))?;
    for name in ["kube-controller-manager", "kube-scheduler", "kwok"] {
        wait_ready(name, children, Duration::from_millis(1), || true)?;
    }
    wait_ready("kwok", children, Duration::from_secs(60), || {
        kubectl()
            .args(["wait", "--for=condition=Ready", "node", "--all", "--timeout=1s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })?;
    wait_ready("kube-controller-manager", children, Duration::from_secs(60), || {
        kubectl()
            .args(["-n", "default", "get", "serviceaccount", "default"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })?;
    wait_ready("kube-apiserver", children, Duration::from_secs(30), || {
        kubectl()
            // Checked once per poll: a timeout is shared by every CRD, and on a loaded machine
            // a second is not enough to read the Gateway API's dozen.
            .args(["wait", "--for=condition=Established", "crd", "--all", "--timeout=0s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })?;
    Ok(())
}
