//! The name a verified client certificate speaks for: its SPIFFE ID (a URI SAN),
//! else another URI SAN, else its first DNS SAN, else its subject common name.
//! The certificate has already been verified by rustls when this runs; parsing it
//! again here only reads names, with webpki for the SANs.

use rustls_pki_types::CertificateDer;

pub fn identity_name(cert: &CertificateDer<'_>) -> Option<String> {
    let parsed = webpki::EndEntityCert::try_from(cert).ok()?;
    let uris: Vec<&str> = parsed.valid_uri_names().collect();
    if let Some(spiffe) = uris.iter().find(|u| u.starts_with("spiffe://")) {
        return Some(spiffe.to_string());
    }
    if let Some(uri) = uris.first() {
        return Some(uri.to_string());
    }
    if let Some(dns) = parsed.valid_dns_names().next() {
        return Some(dns.to_string());
    }
    common_name(parsed.subject())
}

/// One DER element: (tag, contents, the bytes after it).
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];

/// The first common name in a DER subject (the RDN sequence, without its outer tag).
fn common_name(mut subject: &[u8]) -> Option<String> {
    while !subject.is_empty() {
        let (_, mut set, rest) = read_tlv(subject)?;
        subject = rest;
        while !set.is_empty() {
            let (_, attribute, after) = read_tlv(set)?;
            set = after;
            let (oid_tag, oid, value) = read_tlv(attribute)?;
            if oid_tag == 0x06 && oid == OID_COMMON_NAME {
                let (tag, text, _) = read_tlv(value)?;
                // UTF8String, PrintableString, IA5String, T61String.
                if matches!(tag, 0x0c | 0x13 | 0x16 | 0x14) {
                    return std::str::from_utf8(text).ok().map(str::to_string);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(configure: impl FnOnce(&mut rcgen::CertificateParams)) -> CertificateDer<'static> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        configure(&mut params);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().clone()
    }

    #[test]
    fn prefers_spiffe_then_uri_then_dns_then_cn() {
        let spiffe = cert(|p| {
            p.subject_alt_names = vec![
                rcgen::SanType::DnsName("a.example".try_into().unwrap()),
                rcgen::SanType::URI("https://other".try_into().unwrap()),
                rcgen::SanType::URI("spiffe://t/ns/a/sa/b".try_into().unwrap()),
            ]
        });
        assert_eq!(identity_name(&spiffe).as_deref(), Some("spiffe://t/ns/a/sa/b"));
        let dns = cert(|p| p.subject_alt_names = vec![rcgen::SanType::DnsName("a.example".try_into().unwrap())]);
        assert_eq!(identity_name(&dns).as_deref(), Some("a.example"));
        let cn = cert(|p| {
            p.distinguished_name = rcgen::DistinguishedName::new();
            p.distinguished_name.push(rcgen::DnType::OrganizationName, "Org");
            p.distinguished_name.push(rcgen::DnType::CommonName, "batch-job");
        });
        assert_eq!(identity_name(&cn).as_deref(), Some("batch-job"));
        let none = cert(|p| p.distinguished_name = rcgen::DistinguishedName::new());
        assert_eq!(identity_name(&none), None);
    }

    #[test]
    fn der_reader_refuses_truncation() {
        assert_eq!(read_tlv(&[0x30]), None);
        assert_eq!(read_tlv(&[0x30, 0x05, 1, 2]), None);
        assert_eq!(read_tlv(&[0x30, 0x85, 0, 0, 0, 0, 1]), None);
        assert_eq!(common_name(&[0x31, 0x03, 0x30, 0x01]), None);
    }
}
