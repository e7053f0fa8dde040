//! The TLS material of the entries the invocation uses, checked before connecting (see
//! [`crate::certs`]): the cluster's certificate authority and the user's client certificate.

use kube::config::Kubeconfig;

use crate::error::Result;

/// The chosen cluster's authority and user's client certificate, checked before connecting
/// (see [`crate::certs`]). Flags name themselves; kubeconfig fields are named by their path.
pub(crate) fn check_tls_material(
    kc: &Kubeconfig,
    cluster: Option<&str>,
    user: Option<&str>,
    where_: &str,
) -> Result<()> {
    use crate::certs::Material;
    let cluster = cluster
        .and_then(|n| kc.clusters.iter().find(|c| c.name == n))
        .and_then(|c| Some((&c.name, c.cluster.as_ref()?)));
    let authority = Material::pick(
        cluster.map(|(name, _)| format!("clusters[{name}].cluster.certificate-authority")),
        cluster.and_then(|(_, c)| c.certificate_authority_data.as_deref()),
        cluster.and_then(|(_, c)| c.certificate_authority.as_deref()),
    );
    let user = user
        .and_then(|n| kc.auth_infos.iter().find(|u| u.name == n))
        .and_then(|u| Some((&u.name, u.auth_info.as_ref()?)));
    let client = Material::pick(
        user.map(|(name, _)| format!("users[{name}].user.client-certificate")),
        user.and_then(|(_, u)| u.client_certificate_data.as_deref()),
        user.and_then(|(_, u)| u.client_certificate.as_deref()),
    );
    if !authority.field.is_empty() {
        let _ = crate::error::AUTHORITY.set(match authority.data.or(authority.file) {
            Some(_) => format!("{} in {where_}", authority.field),
            None => format!("{} in {where_} (not set: the system's roots are used)", authority.field),
        });
    }
    crate::certs::check(&authority, &client, where_, crate::time::now())
}
