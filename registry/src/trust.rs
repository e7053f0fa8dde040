//! Which certificates a registry's TLS connection trusts: the system's roots, plus the
//! registry's own certificate authority where the container tools look for it, so that a
//! registry with a self-signed or private CA works as it does with `docker push` and
//! `podman push`:
//!
//! - `--ca-file FILE` (PEM, one or more certificates);
//! - `~/.config/containers/certs.d/HOST[:PORT]/*.crt` (podman, rootless);
//! - `/etc/containers/certs.d/HOST[:PORT]/*.crt` (podman, CRI-O, skopeo, buildah);
//! - `/etc/docker/certs.d/HOST[:PORT]/*.crt` (Docker).
//!
//! HOST[:PORT] is the registry as named on the command line or in the cluster's ConfigMap.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use kubectl_kit_core::{Error, Result};

/// The `certs.d` directories, in the order they are read.
pub fn certs_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![];
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        dirs.push(PathBuf::from(home).join(".config/containers/certs.d"));
    }
    dirs.push(PathBuf::from("/etc/containers/certs.d"));
    dirs.push(PathBuf::from("/etc/docker/certs.d"));
    dirs
}

/// The TLS client configuration for `host`: the roots every connection trusts, and the
/// registry's own authorities ([`registry_authorities`]).
pub fn client_config(host: &str, ca_file: Option<&Path>) -> Result<rustls::ClientConfig> {
    let own = registry_authorities(host, ca_file, &certs_dirs())?;
    let mut roots = system_roots()?;
    for (file, der) in own {
        roots.add(der).map_err(|e| {
            Error::corrupt(format!("{} holds a certificate that cannot be a trust anchor", file.display()))
                .caused_by_error(e)
        })?;
    }
    if roots.is_empty() {
        return Err(Error::runtime("no trusted certificate authorities: the system has none")
            .hint(format!("trust the registry's authority with --ca-file, or /etc/containers/certs.d/{host}/ca.crt")));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::runtime("cannot set up TLS").caused_by_error(e))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The trust anchors every registry connection starts from: Mozilla's roots, bundled
/// (webpki-roots); the system's store where reading it needs no platform framework (every OS
/// but macOS, whose Security.framework cannot be linked by the Linux machine that builds the
/// release; certificates it cannot parse are skipped, as `hyper-rustls` does); and the PEM
/// certificates of the file `SSL_CERT_FILE` names.
fn system_roots() -> Result<RootCertStore> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    #[cfg(not(target_os = "macos"))]
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(&file).and_then(|certs| certs.collect()).map_err(|e| {
                Error::runtime(format!("cannot read SSL_CERT_FILE {}", file.to_string_lossy())).caused_by(e)
            })?;
        roots.add_parsable_certificates(certs);
    }
    Ok(roots)
}

/// The certificates of the registry's own authority: `--ca-file`, then every `*.crt` of
/// `DIR/HOST[:PORT]/` for each of `dirs`. A file that is there but holds no readable
/// certificate is an error naming it.
pub fn registry_authorities(
    host: &str,
    ca_file: Option<&Path>,
    dirs: &[PathBuf],
) -> Result<Vec<(PathBuf, CertificateDer<'static>)>> {
    let mut files: Vec<PathBuf> = ca_file.map(Path::to_path_buf).into_iter().collect();
    // A host with `/` or `..` in it never names a directory (hosts are checked before this,
    // but the rule stays here, where the path is built).
    if !host.is_empty() && !host.contains(['/', '\\']) && host != "." && host != ".." {
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(dir.join(host)) else { continue };
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "crt"))
                .collect();
            found.sort();
            files.extend(found);
        }
    }
    let mut out = vec![];
    for file in files {
        let bytes = std::fs::read(&file).map_err(|e| Error::io("read", &file, e))?;
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(&bytes).filter_map(std::result::Result::ok).collect();
        if certs.is_empty() {
            return Err(Error::corrupt(format!("{} holds no PEM certificate", file.display()))
                .hint("a registry's CA file is a PEM block starting with -----BEGIN CERTIFICATE-----"));
        }
        out.extend(certs.into_iter().map(|c| (file.clone(), c)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem() -> String {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["registry.test".into()]).expect("params");
        params.self_signed(&key).expect("certificate").pem()
    }

    #[test]
    fn authorities_come_from_the_flag_and_each_certs_d() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (containers, docker) = (tmp.path().join("containers"), tmp.path().join("docker"));
        std::fs::create_dir_all(containers.join("reg.test:5000")).expect("dir");
        std::fs::create_dir_all(docker.join("reg.test:5000")).expect("dir");
        std::fs::create_dir_all(docker.join("other:5000")).expect("dir");
        std::fs::write(containers.join("reg.test:5000/ca.crt"), pem()).expect("write");
        std::fs::write(containers.join("reg.test:5000/client.cert"), "not a CA").expect("write");
        std::fs::write(docker.join("reg.test:5000/b.crt"), format!("{}{}", pem(), pem())).expect("write");
        std::fs::write(docker.join("other:5000/ca.crt"), pem()).expect("write");
        let flag = tmp.path().join("flag.pem");
        std::fs::write(&flag, pem()).expect("write");
        let dirs = [containers.clone(), docker.clone()];
        let found = registry_authorities("reg.test:5000", Some(&flag), &dirs).expect("read");
        let files: Vec<PathBuf> = found.iter().map(|(f, _)| f.clone()).collect();
        assert_eq!(
            files,
            [
                flag.clone(),
                containers.join("reg.test:5000/ca.crt"),
                docker.join("reg.test:5000/b.crt"),
                docker.join("reg.test:5000/b.crt")
            ]
        );
        assert!(registry_authorities("nothing:1", None, &dirs).expect("read").is_empty());
        assert!(registry_authorities("..", None, &dirs).expect("read").is_empty());
        assert!(client_config("reg.test:5000", Some(&flag)).is_ok());
    }

    #[test]
    fn a_file_without_certificates_is_named() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let bad = tmp.path().join("ca.pem");
        std::fs::write(&bad, "hello").expect("write");
        let e = registry_authorities("r", Some(&bad), &[]).expect_err("no certificate");
        assert!(e.is_corrupt());
        assert_eq!(e.message, format!("{} holds no PEM certificate", bad.display()));
        let e = registry_authorities("r", Some(&tmp.path().join("missing.pem")), &[]).expect_err("missing");
        assert!(e.is_not_found(), "{e}");
        assert!(e.message.ends_with("missing.pem"), "{e}");
    }
}
