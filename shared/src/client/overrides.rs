//! The global flags that pick kubeconfig entries (`--context`, `--cluster`, `--user`) and
//! override their fields (`--server`, `--token`, `--certificate-authority`,
//! `--client-certificate`, `--client-key`, `--tls-server-name`, `--as`, `--as-group`), as
//! client-go's `ClientConfigOverrides` does.

use std::path::PathBuf;

use kube::config::{AuthInfo, Kubeconfig};

use super::kubeconfig::Source;
use crate::error::{Error, Result};
use crate::flags::GlobalFlags;

/// Applies the override flags to the entries the invocation will use, as kubectl's
/// `ClientConfigOverrides` does.
pub(crate) fn apply_overrides(kc: &mut Kubeconfig, flags: &GlobalFlags, files: &[PathBuf]) -> Result<()> {
    let where_ = Source::Files(files.to_vec()).describe();
    let ctx_name = flags.context.clone().or_else(|| kc.current_context.clone()).filter(|c| !c.is_empty());
    let ctx = match &ctx_name {
        Some(name) => {
            let found = kc.contexts.iter().find(|c| &c.name == name).and_then(|c| c.context.clone());
            match found {
                Some(c) => Some(c),
                None => {
                    return Err(Error::runtime(format!("context \"{name}\" does not exist"))
                        .hint(format!("contexts are read from {where_}; list them with kubectl config get-contexts")));
                }
            }
        }
        None if flags.cluster.is_none() && flags.server.is_none() => {
            return Err(Error::runtime("current-context is not set")
                .hint(format!("pass --context NAME or run kubectl config use-context NAME (kubeconfig: {where_})")));
        }
        None => None,
    };
    let cluster_name = flags.cluster.clone().or_else(|| ctx.as_ref().map(|c| c.cluster.clone()));
    let user_name = flags.user.clone().or_else(|| ctx.as_ref().and_then(|c| c.user.clone()));
    if let Some(name) = &cluster_name
        && !kc.clusters.iter().any(|c| &c.name == name)
    {
        if flags.server.is_none() {
            return Err(Error::runtime(format!("cluster \"{name}\" does not exist"))
                .hint(format!("clusters are read from {where_}")));
        }
        kc.clusters.push(kube::config::NamedCluster {
            name: name.clone(),
            cluster: Some(Default::default()),
            other: Default::default(),
        });
    }
    if let Some(name) = &user_name
        && !kc.auth_infos.iter().any(|u| &u.name == name)
    {
        if flags.user.is_some() {
            return Err(
                Error::runtime(format!("user \"{name}\" does not exist")).hint(format!("users are read from {where_}"))
            );
        }
        kc.auth_infos.push(kube::config::NamedAuthInfo {
            name: name.clone(),
            auth_info: Some(AuthInfo::default()),
            other: Default::default(),
        });
    }
    if let Some(cluster) =
        cluster_name.as_ref().and_then(|n| kc.clusters.iter_mut().find(|c| &c.name == n)).and_then(|c| {
            if c.cluster.is_none() {
                c.cluster = Some(Default::default());
            }
            c.cluster.as_mut()
        })
    {
        if let Some(s) = &flags.server {
            cluster.server = Some(s.clone());
        }
        if let Some(ca) = &flags.certificate_authority {
            cluster.certificate_authority = Some(ca.display().to_string());
            cluster.certificate_authority_data = None;
        }
        if let Some(name) = &flags.tls_server_name {
            cluster.tls_server_name = Some(name.clone());
        }
    }
    if let Some(user) = user_name.as_ref().and_then(|n| kc.auth_infos.iter_mut().find(|u| &u.name == n)).and_then(|u| {
        if u.auth_info.is_none() {
            u.auth_info = Some(AuthInfo::default());
        }
        u.auth_info.as_mut()
    }) {
        if let Some(token) = &flags.token {
            // SecretString is only reachable through deserialization without another dependency.
            let parsed: AuthInfo = serde_json::from_value(serde_json::json!({ "token": token }))
                .map_err(|e| Error::usage("invalid --token").caused_by(e))?;
            user.token = parsed.token;
            user.token_file = None;
        }
        if let Some(cert) = &flags.client_certificate {
            user.client_certificate = Some(cert.display().to_string());
            user.client_certificate_data = None;
        }
        if let Some(key) = &flags.client_key {
            user.client_key = Some(key.display().to_string());
            user.client_key_data = None;
        }
        if let Some(who) = &flags.as_user {
            user.impersonate = Some(who.clone());
        }
        if !flags.as_group.is_empty() {
            user.impersonate_groups = Some(flags.as_group.clone());
        }
    }
    if let Some(name) = ctx_name {
        kc.current_context = Some(name);
    }
    super::tls::check_tls_material(kc, cluster_name.as_deref(), user_name.as_deref(), &where_)
}
