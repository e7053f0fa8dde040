//! The kubeconfig's TLS material checked before a connection is tried, so that a bad
//! certificate authority or an expired client certificate is reported with the file and the
//! field that hold it (`users[dev].user.client-certificate-data in ~/.kube/config`), not as a
//! handshake failure or a bare 401 from the server.
//!
//! Only what is needed is read: PEM armour (through rustls-pki-types, which the TLS stack
//! uses anyway), and the validity of an X.509 certificate's DER (walked here: no crate in the
//! tree exposes it).

use base64::Engine;

use crate::{Error, Result};

/// A certificate or authority as the kubeconfig gives it: inline base64 (`…-data`) or a file.
pub struct Material<'a> {
    /// `clusters[NAME].cluster.certificate-authority-data` and the like.
    pub field: String,
    /// The base64 text of a `…-data` field.
    pub data: Option<&'a str>,
    /// The path of a file field.
    pub file: Option<&'a str>,
}

impl<'a> Material<'a> {
    /// A kubeconfig pair of fields, `PATH-data` (inline) and `PATH` (a file): the inline one
    /// wins, as in kubectl. `None` for an entry that is not there.
    pub fn pick(path: Option<String>, data: Option<&'a str>, file: Option<&'a str>) -> Self {
        match (path, data) {
            (Some(path), Some(_)) => Material { field: format!("{path}-data"), data, file: None },
            (Some(path), None) => Material { field: path, data: None, file },
            (None, _) => Material { field: String::new(), data: None, file: None },
        }
    }

    /// The PEM (or DER) bytes, or `None` when the field is not set.
    fn bytes(&self, where_: &str) -> Result<Option<Vec<u8>>> {
        if let Some(data) = self.data.filter(|d| !d.trim().is_empty()) {
            let clean: String = data.chars().filter(|c| !c.is_whitespace()).collect();
            return base64::engine::general_purpose::STANDARD
                .decode(clean)
                .map(Some)
                .map_err(|e| Error::corrupt(format!("{} in {where_} is not base64", self.field)).caused_by_error(e));
        }
        if let Some(file) = self.file.filter(|f| !f.is_empty()) {
            return std::fs::read(file).map(Some).map_err(|e| {
                Error::runtime(format!("cannot read {file} ({} in {where_})", self.field)).caused_by_error(e)
            });
        }
        Ok(None)
    }

    /// The certificates it holds; an error naming the field when it holds none.
    pub fn certificates(&self, where_: &str) -> Result<Vec<Vec<u8>>> {
        let Some(bytes) = self.bytes(where_)? else { return Ok(vec![]) };
        let found = pem_certificates(&bytes);
        let ders = if found.is_empty() && bytes.first() == Some(&0x30) { vec![bytes] } else { found };
        if ders.is_empty() || ders.iter().any(|d| validity(d).is_none()) {
            return Err(Error::corrupt(format!("{} in {where_} holds no readable X.509 certificate", self.field))
                .hint("it should be a PEM block starting with -----BEGIN CERTIFICATE-----"));
        }
        Ok(ders)
    }
}

/// Checks an authority (readable certificates) and a client certificate (readable, and valid
/// now), naming the field and `where_` (the kubeconfig files) on failure.
pub fn check(authority: &Material<'_>, client: &Material<'_>, where_: &str, now: i64) -> Result<()> {
    authority.certificates(where_)?;
    if let Some(first) = client.certificates(where_)?.first() {
        // The first certificate is the client's own; the rest are its chain.
        if let Some((not_before, not_after)) = validity(first) {
            if now > not_after {
                return Err(Error::runtime(format!(
                    "the client certificate in {} ({where_}) expired at {}",
                    client.field,
                    crate::time::format_rfc3339(not_after)
                ))
                .hint("get a new certificate from the cluster's administrator or provider"));
            }
            if now < not_before {
                return Err(Error::runtime(format!(
                    "the client certificate in {} ({where_}) is not valid until {}",
                    client.field,
                    crate::time::format_rfc3339(not_before)
                ))
                .hint("check this machine's clock"));
            }
        }
    }
    Ok(())
}

/// The DER bodies of the `CERTIFICATE` blocks of a PEM text (blocks that do not decode are
/// left out, as are other kinds of block).
fn pem_certificates(bytes: &[u8]) -> Vec<Vec<u8>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(bytes).filter_map(Result::ok).map(|der| der.to_vec()).collect()
}

/// One DER element: its tag, its contents and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        (rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b)), &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// `notBefore` and `notAfter` of an X.509 certificate, in seconds since the epoch.
pub fn validity(der: &[u8]) -> Option<(i64, i64)> {
    const SEQUENCE: u8 = 0x30;
    let (SEQUENCE, cert, _) = element(der)? else { return None };
    let (SEQUENCE, tbs, _) = element(cert)? else { return None };
    let mut rest = tbs;
    // [0] version, when present.
    if rest.first() == Some(&0xa0) {
        rest = element(rest)?.2;
    }
    // serialNumber, signature, issuer, then validity.
    for _ in 0..3 {
        rest = element(rest)?.2;
    }
    let (SEQUENCE, validity, _) = element(rest)? else { return None };
    let (t1, before, rest) = element(validity)?;
    let (t2, after, _) = element(rest)?;
    Some((time(t1, before)?, time(t2, after)?))
}

/// UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn time(tag: u8, text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?;
    let full = match (tag, text.len()) {
        (0x17, 13) => {
            let yy: u32 = text.get(..2)?.parse().ok()?;
            format!("{}{text}", if yy < 50 { "20" } else { "19" })
        }
        (0x18, 15) => text.to_string(),
        _ => return None,
    };
    if !full.ends_with('Z') || !full[..14].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| full.get(r)?.parse::<i16>().ok();
    let small = |r: std::ops::Range<usize>| n(r).and_then(|v| i8::try_from(v).ok());
    crate::time::utc_seconds(n(0..4)?, small(4..6)?, small(6..8)?, small(8..10)?, small(10..12)?, small(12..14)?)
}

/// Certificates for tests: a DER skeleton with the validity the walk reads.
#[cfg(test)]
pub(crate) mod fixture {
    /// A DER certificate skeleton with the given validity elements (enough for the walk).
    pub(crate) fn cert(before: &[u8], after: &[u8]) -> Vec<u8> {
        fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
            let mut v = vec![tag];
            if body.len() < 0x80 {
                v.push(body.len() as u8);
            } else {
                v.extend([0x82, (body.len() >> 8) as u8, body.len() as u8]);
            }
            v.extend(body);
            v
        }
        let validity = tlv(0x30, &[before, after].concat());
        let tbs = [
            tlv(0xa0, &tlv(0x02, &[2])),
            tlv(0x02, &[1, 2, 3]),
            tlv(0x30, &[]),
            tlv(0x30, &[0x31; 200]),
            validity,
            tlv(0x30, &[]),
        ]
        .concat();
        tlv(0x30, &[tlv(0x30, &tbs), tlv(0x30, &[]), tlv(0x03, &[0])].concat())
    }

    /// A kubeconfig `…-data` value: base64 of a PEM certificate valid from 2020 to 2099.
    pub(crate) fn pem_data() -> String {
        use base64::Engine;
        let der = cert(b"\x17\x0d200101000000Z", b"\x18\x0f20991231000000Z");
        let b64 = base64::engine::general_purpose::STANDARD;
        let pem = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", b64.encode(&der));
        b64.encode(pem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::fixture::cert;

    #[test]
    fn validity_reads_utc_and_generalized_times() {
        let der = cert(b"\x17\x0d260101000000Z", b"\x18\x0f20270101120000Z");
        assert_eq!(validity(&der), Some((1_767_225_600, 1_798_804_800)));
        let der = cert(b"\x17\x0d990101000000Z", b"\x17\x0d490101000000Z");
        let (before, after) = validity(&der).expect("valid");
        assert_eq!(crate::time::format_rfc3339(before), "1999-01-01T00:00:00Z");
        assert_eq!(crate::time::format_rfc3339(after), "2049-01-01T00:00:00Z");
        assert_eq!(validity(&der[..der.len() / 2]), None, "truncated");
        assert_eq!(validity(b"\x30\x84\xff\xff\xff\xff"), None, "a length past the end");
    }

    #[test]
    fn expired_and_unreadable_material_names_the_field_and_the_file() {
        let der = cert(b"\x17\x0d200101000000Z", b"\x17\x0d210101000000Z");
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
        let data = base64::engine::general_purpose::STANDARD.encode(pem);
        let none = Material { field: "clusters[c].cluster.certificate-authority-data".into(), data: None, file: None };
        let client = Material { field: "users[u].user.client-certificate-data".into(), data: Some(&data), file: None };
        let e = check(&none, &client, "/k/config", 1_700_000_000).expect_err("expired");
        assert_eq!(
            e.message,
            "the client certificate in users[u].user.client-certificate-data (/k/config) expired at 2021-01-01T00:00:00Z"
        );
        assert!(check(&none, &client, "/k/config", 1_600_000_000).is_ok());
        let e = check(&none, &client, "/k/config", 1_500_000_000).expect_err("not yet");
        assert!(e.message.contains("is not valid until 2020-01-01T00:00:00Z"), "{}", e.message);
        let bad = Material {
            field: "clusters[c].cluster.certificate-authority-data".into(),
            data: Some("bm90IGEgY2VydA=="),
            file: None,
        };
        let e = check(&bad, &none, "/k/config", 0).expect_err("not a certificate");
        assert_eq!(
            e.message,
            "clusters[c].cluster.certificate-authority-data in /k/config holds no readable X.509 certificate"
        );
        let pem_text =
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(&data).expect("base64")).expect("text");
        let two = base64::engine::general_purpose::STANDARD
            .encode(format!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n{pem_text}{pem_text}"));
        let chain = Material { field: "f".into(), data: Some(&two), file: None };
        assert_eq!(chain.certificates("/k/config").expect("two certificates").len(), 2, "other blocks are skipped");
        let e = check(&Material { field: "f".into(), data: Some("%%%"), file: None }, &none, "/k/config", 0)
            .expect_err("not base64");
        assert_eq!(e.message, "f in /k/config is not base64");
        let e = check(&Material { field: "f".into(), data: None, file: Some("/nonexistent/ca") }, &none, "/k/c", 0)
            .expect_err("missing file");
        assert_eq!(e.message, "cannot read /nonexistent/ca (f in /k/c)");
    }
}
