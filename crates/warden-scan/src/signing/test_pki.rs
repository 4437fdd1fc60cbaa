//! Test certificate authorities (rcgen), shared by the signing unit tests.

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};

use super::{CertificateRoot, SigningKey};

/// Parameters of a certificate named `CN=cn`; a CA has basicConstraints CA:TRUE and
/// KeyUsage keyCertSign + cRLSign.
pub(crate) fn params(cn: &str, ca: bool) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, cn);
    if ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    }
    p
}

/// A model-signing leaf: KeyUsage digitalSignature, ExtendedKeyUsage codeSigning.
pub(crate) fn leaf_params(cn: &str) -> CertificateParams {
    let mut p = params(cn, false);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    p
}

/// PEM text of a DER certificate.
pub(crate) fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))
}

/// A certificate authority: its parameters, key and certificate.
pub(crate) struct Ca {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub der: Vec<u8>,
}

impl Ca {
    /// A self-signed root CA (P-256).
    pub(crate) fn root(cn: &str) -> Ca {
        Self::root_with(params(cn, true))
    }

    pub(crate) fn root_with(params: CertificateParams) -> Ca {
        let key = KeyPair::generate().unwrap();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        Ca { params, key, der }
    }

    /// A certificate for `key` issued by this CA, DER.
    pub(crate) fn issue(&self, params: &CertificateParams, key: &KeyPair) -> Vec<u8> {
        params.signed_by(key, &Issuer::from_params(&self.params, &self.key)).unwrap().der().to_vec()
    }

    /// A sub-CA issued by this CA.
    pub(crate) fn intermediate(&self, params: CertificateParams) -> Ca {
        let key = KeyPair::generate().unwrap();
        let der = self.issue(&params, &key);
        Ca { params, key, der }
    }

    /// A fresh signing key and its certificate (PEM) issued by this CA.
    pub(crate) fn signer(&self, params: &CertificateParams) -> (SigningKey, String) {
        let key = KeyPair::generate().unwrap();
        let der = self.issue(params, &key);
        (SigningKey::from_pem(&key.serialize_pem()).unwrap(), pem(&der))
    }

    /// This CA as the only trusted root.
    pub(crate) fn trusted(&self) -> Vec<CertificateRoot> {
        vec![CertificateRoot::from_der(&self.der).unwrap()]
    }
}
