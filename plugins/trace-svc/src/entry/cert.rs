//! What a TLS Secret's certificate says about a host: the names it is valid for (its
//! subjectAltName DNS names, matched as TLS clients match them, wildcards included) and its
//! validity period. Only `tls.crt` is read; `tls.key` is never decoded (see
//! [`super::TlsSecret`]).

use jiff::Timestamp;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, DnsName, ServerName};

/// The first certificate of a PEM bundle (the server's own; the rest are its chain).
#[derive(Debug, Clone)]
pub struct Leaf {
    der: CertificateDer<'static>,
    /// Its subjectAltName DNS names.
    pub names: Vec<String>,
    /// notBefore and notAfter, when they could be read.
    pub valid: Option<(Timestamp, Timestamp)>,
}

/// Reads the first certificate of `pem`, or says why it cannot.
pub fn leaf(pem: &[u8]) -> Result<Leaf, String> {
    let der = CertificateDer::pem_slice_iter(pem)
        .next()
        .ok_or_else(|| "tls.crt holds no PEM certificate".to_string())?
        .map_err(|e| format!("tls.crt is not a readable PEM certificate ({e:?})"))?;
    let names = {
        let cert = webpki::EndEntityCert::try_from(&der)
            .map_err(|e| format!("tls.crt is not a readable X.509 certificate ({e})"))?;
        cert.valid_dns_names().map(str::to_string).collect()
    };
    let valid = validity(der.as_ref());
    Ok(Leaf { der, names, valid })
}

impl Leaf {
    /// Whether a TLS client would accept the certificate for `host` (its names only; the chain
    /// and the clock are checked elsewhere).
    pub fn covers(&self, host: &str) -> bool {
        let Ok(name) = DnsName::try_from(host.to_string()) else {
            return false;
        };
        let Ok(cert) = webpki::EndEntityCert::try_from(&self.der) else {
            return false;
        };
        cert.verify_is_valid_for_subject_name(&ServerName::DnsName(name)).is_ok()
    }
}

/// One DER element: its tag, its content, and what follows it.
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
        let (bytes, rest) = rest.split_at(n);
        (bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), rest)
    };
    if rest.len() < len {
        return None;
    }
    let (content, after) = rest.split_at(len);
    Some((tag, content, after))
}

/// notBefore and notAfter of a DER certificate (RFC 5280 §4.1: Certificate → TBSCertificate →
/// [0] version, serialNumber, signature, issuer, validity).
fn validity(der: &[u8]) -> Option<(Timestamp, Timestamp)> {
    const SEQUENCE: u8 = 0x30;
    let (tag, cert, _) = element(der)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, tbs, _) = element(cert)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut rest = tbs;
    // The optional explicit [0] version.
    if let Some((0xa0, _, after)) = element(rest) {
        rest = after;
    }
    for _ in 0..3 {
        // serialNumber, signature, issuer
        rest = element(rest)?.2;
    }
    let (tag, validity, _) = element(rest)?;
    if tag != SEQUENCE {
        return None;
    }
    let (t1, not_before, rest) = element(validity)?;
    let (t2, not_after, _) = element(rest)?;
    Some((time(t1, not_before)?, time(t2, not_after)?))
}

/// UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn time(tag: u8, text: &[u8]) -> Option<Timestamp> {
    let text = std::str::from_utf8(text).ok()?;
    let digits = text.strip_suffix('Z')?;
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let full = match (tag, digits.len()) {
        (0x17, 12) => {
            let yy: u32 = digits.get(..2)?.parse().ok()?;
            format!("{}{digits}", if yy >= 50 { "19" } else { "20" })
        }
        (0x18, 14) => digits.to_string(),
        _ => return None,
    };
    let field = |a: usize, b: usize| full.get(a..b).and_then(|s| s.parse::<i16>().ok());
    let dt = jiff::civil::DateTime::new(
        field(0, 4)?,
        i8::try_from(field(4, 6)?).ok()?,
        i8::try_from(field(6, 8)?).ok()?,
        i8::try_from(field(8, 10)?).ok()?,
        i8::try_from(field(10, 12)?).ok()?,
        i8::try_from(field(12, 14)?).ok()?,
        0,
    )
    .ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(names: &[&str], not_after: (i32, u8, u8)) -> Vec<u8> {
        let mut p =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("params");
        p.not_before = rcgen::date_time_ymd(2024, 1, 1);
        p.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        let key = rcgen::KeyPair::generate().expect("key");
        p.self_signed(&key).expect("cert").pem().into_bytes()
    }

    #[test]
    fn names_and_wildcards_are_matched_as_tls_clients_match_them() {
        let leaf = leaf(&pem(&["shop.example.com", "*.api.example.com"], (2030, 6, 1))).expect("leaf");
        assert_eq!(leaf.names, ["shop.example.com", "*.api.example.com"]);
        assert!(leaf.covers("shop.example.com"));
        assert!(leaf.covers("v1.api.example.com"));
        assert!(!leaf.covers("a.v1.api.example.com"), "a wildcard covers one label");
        assert!(!leaf.covers("api.example.com"));
        assert!(!leaf.covers("other.example.com"));
    }

    #[test]
    fn the_validity_period_is_read() {
        let leaf = leaf(&pem(&["a.example.com"], (2051, 3, 4))).expect("leaf");
        let (from, to) = leaf.valid.expect("validity");
        assert_eq!(from.to_string(), "2024-01-01T00:00:00Z");
        // After 2049: a GeneralizedTime.
        assert_eq!(to.to_string(), "2051-03-04T00:00:00Z");
    }

    #[test]
    fn what_is_not_a_certificate_says_so() {
        assert!(leaf(b"").unwrap_err().contains("no PEM certificate"));
        let junk = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(leaf(junk).unwrap_err().contains("not a readable"));
        assert_eq!(validity(&[0x30, 0x05, 0x30]), None, "a length past the end");
        assert_eq!(validity(&[]), None);
    }
}
