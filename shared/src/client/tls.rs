//! The TLS material of the entries the invocation uses, checked before connecting (see
//! [`crate::certs`]): the cluster's certificate authority and the user's client certificate.

use super::overrides::Selected;
use crate::certs::Material;
use crate::error::Result;

/// The chosen cluster's authority and user's client certificate, checked before connecting
/// (see [`crate::certs`]); the authority's certificates (DER), which the client trusts.
/// kubeconfig fields are named by their path; an entry that comes from flags alone by the flag.
pub(crate) fn check_tls_material(sel: &Selected) -> Result<Vec<Vec<u8>>> {
    let where_ = &sel.where_;
    let c = &sel.cluster;
    let authority = Material::pick(
        Some(match &sel.cluster_name {
            Some(name) => format!("clusters[{name}].cluster.certificate-authority"),
            None => "--certificate-authority".into(),
        }),
        c.certificate_authority_data.as_deref(),
        c.certificate_authority.as_deref(),
    );
    let u = &sel.user;
    let client = Material::pick(
        Some(match &sel.user_name {
            Some(name) => format!("users[{name}].user.client-certificate"),
            None => "--client-certificate".into(),
        }),
        u.client_certificate_data.as_deref(),
        u.client_certificate.as_deref(),
    );
    if sel.cluster_name.is_some() {
        crate::error::note_authority(match authority.data.or(authority.file) {
            Some(_) => format!("{} in {where_}", authority.field),
            None => format!("{} in {where_} (not set: the system's roots are used)", authority.field),
        });
    }
    crate::certs::check(&authority, &client, where_, crate::time::now())?;
    authority.certificates(where_)
}
