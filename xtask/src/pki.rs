//! Certificates for the local cluster: a CA, the API server's serving certificate, client
//! certificates for the admin (system:masters) and for a plain user, and the service-account
//! signing key. ECDSA P-256 throughout; generated fresh on every `cluster up`.

use std::path::Path;

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};

/// A certificate and its key, PEM-encoded.
pub struct Pair {
    pub cert: String,
    pub key: String,
}

/// Everything the cluster needs.
pub struct Pki {
    pub ca: Pair,
    pub apiserver: Pair,
    pub admin: Pair,
    /// An authenticated user with no permissions until a test grants some (RBAC tests).
    pub user: Pair,
    pub sa_key: String,
    pub sa_pub: String,
}

/// The plain user's name (CN); it belongs to no group beyond `system:authenticated`.
pub const PLAIN_USER: &str = "kit-user";
/// The admin's name; member of `system:masters`.
pub const ADMIN_USER: &str = "kit-admin";

impl Pki {
    /// Generates a new CA and the certificates signed by it.
    pub fn generate(advertise: &str) -> Result<Self> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.distinguished_name.push(DnType::CommonName, "kubectl-kit local CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let ca = Pair { cert: ca_cert.pem(), key: ca_key.serialize_pem() };
        let issuer = Issuer::new(ca_params, ca_key);

        let leaf = |cn: &str, org: Option<&str>, sans: Vec<String>, server: bool| -> Result<Pair> {
            let key = KeyPair::generate()?;
            let mut p = CertificateParams::new(sans)?;
            p.distinguished_name.push(DnType::CommonName, cn);
            if let Some(o) = org {
                p.distinguished_name.push(DnType::OrganizationName, o);
            }
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
            p.extended_key_usages = if server {
                vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth]
            } else {
                vec![ExtendedKeyUsagePurpose::ClientAuth]
            };
            let cert = p.signed_by(&key, &issuer)?;
            Ok(Pair { cert: cert.pem(), key: key.serialize_pem() })
        };
        let sans = [
            "127.0.0.1",
            "localhost",
            advertise,
            "10.96.0.1",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let apiserver = leaf("kube-apiserver", None, sans, true)?;
        let admin = leaf(ADMIN_USER, Some("system:masters"), vec![], false)?;
        let user = leaf(PLAIN_USER, None, vec![], false)?;
        let sa = KeyPair::generate()?;
        Ok(Pki { ca, apiserver, admin, user, sa_key: sa.serialize_pem(), sa_pub: sa.public_key_pem() })
    }

    /// Writes the files (keys 0600) into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)?;
        let files = [
            ("ca.crt", &self.ca.cert),
            ("ca.key", &self.ca.key),
            ("apiserver.crt", &self.apiserver.cert),
            ("apiserver.key", &self.apiserver.key),
            ("admin.crt", &self.admin.cert),
            ("admin.key", &self.admin.key),
            ("user.crt", &self.user.cert),
            ("user.key", &self.user.key),
            ("sa.key", &self.sa_key),
            ("sa.pub", &self.sa_pub),
        ];
        for (name, content) in files {
            write_private(&dir.join(name), content)?;
        }
        Ok(())
    }
}

/// Writes a file readable only by its owner.
pub fn write_private(path: &Path, content: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("could not write {}", path.display()))?;
    f.write_all(content.as_bytes())?;
    Ok(())
}

/// A kubeconfig with two contexts: `kubectl-kit` (admin, current) and `kubectl-kit-user`.
pub fn kubeconfig(server: &str, pki: &Pki) -> String {
    let b64 = |s: &str| base64(s.as_bytes());
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kubectl-kit
  cluster:
    server: {server}
    certificate-authority-data: {ca}
users:
- name: {ADMIN_USER}
  user:
    client-certificate-data: {ac}
    client-key-data: {ak}
- name: {PLAIN_USER}
  user:
    client-certificate-data: {uc}
    client-key-data: {uk}
contexts:
- name: kubectl-kit
  context:
    cluster: kubectl-kit
    user: {ADMIN_USER}
- name: kubectl-kit-user
  context:
    cluster: kubectl-kit
    user: {PLAIN_USER}
current-context: kubectl-kit
",
        ca = b64(&pki.ca.cert),
        ac = b64(&pki.admin.cert),
        ak = b64(&pki.admin.key),
        uc = b64(&pki.user.cert),
        uk = b64(&pki.user.key),
    )
}

/// Standard base64 (no dependency for one small use).
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { T[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { T[n as usize & 63] as char } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
