//! X.509 certificates for certificate-mode signing: reading PEM files, the trusted roots a
//! verifier configures, and the key + certificate chain a signer uses.
//!
//! model-signing's certificate mode (`model_signing sign certificate`) puts the signing
//! (leaf) certificate and the chain the signer passed, DER, leaf first, in the bundle's
//! `verificationMaterial.x509CertificateChain`; [`CertificateSigner`] builds exactly that.
//! Chain validation is in `chain.rs`.

use std::fmt;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, TrustAnchor};
use x509_parser::prelude::{FromDer as _, X509Certificate};

use super::{SigningError, SigningKey, VerifyingKey};

/// The parts of a certificate Warden reports and checks, read once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CertInfo {
    /// Distinguished name in the order the certificate lists it, e.g. `O=Team, CN=signer@example.com`.
    pub subject: String,
    pub issuer: String,
    /// Hex serial number, `:`-separated.
    pub serial: String,
    /// Validity, seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// Validity as the certificate states it (for messages).
    pub not_before_text: String,
    pub not_after_text: String,
    /// DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
    /// KeyUsage: `None` without the extension, else whether it has digitalSignature.
    pub digital_signature: Option<bool>,
    /// KeyUsage: `None` without the extension, else whether it has keyCertSign.
    pub key_cert_sign: Option<bool>,
    /// ExtendedKeyUsage: `None` without the extension, else whether it has codeSigning.
    pub code_signing: Option<bool>,
}

impl CertInfo {
    /// Parses a DER certificate; `what` names it in errors ("certificate 2 in the bundle").
    pub(crate) fn parse(der: &[u8], what: &str) -> Result<Self, String> {
        let (rest, cert) =
            X509Certificate::from_der(der).map_err(|e| format!("{what} is not an X.509 certificate: {e}"))?;
        if !rest.is_empty() {
            return Err(format!("{what} has trailing data after the certificate"));
        }
        let ku = cert.key_usage().map_err(|e| format!("{what}: bad KeyUsage extension: {e}"))?;
        let eku = cert.extended_key_usage().map_err(|e| format!("{what}: bad ExtendedKeyUsage extension: {e}"))?;
        let validity = cert.validity();
        Ok(CertInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial: cert.raw_serial_as_string(),
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            not_before_text: validity.not_before.to_string(),
            not_after_text: validity.not_after.to_string(),
            spki: cert.public_key().raw.to_vec(),
            digital_signature: ku.as_ref().map(|k| k.value.digital_signature()),
            key_cert_sign: ku.as_ref().map(|k| k.value.key_cert_sign()),
            code_signing: eku.as_ref().map(|e| e.value.code_signing),
        })
    }

    /// Whether model-signing lets this certificate sign: KeyUsage digitalSignature, or else
    /// ExtendedKeyUsage codeSigning (its `_verify_certificates`).
    pub(crate) fn may_sign(&self) -> bool {
        self.digital_signature == Some(true) || self.code_signing == Some(true)
    }

    /// Why [`CertInfo::may_sign`] is false, in words.
    pub(crate) fn signing_usage_problem(&self) -> String {
        let ku = match self.digital_signature {
            None => "no KeyUsage extension",
            Some(_) => "KeyUsage without digitalSignature",
        };
        let eku = match self.code_signing {
            None => "no ExtendedKeyUsage extension",
            Some(_) => "ExtendedKeyUsage without codeSigning",
        };
        format!("{ku} and {eku}")
    }

    /// Whether the certificate was valid at `time` (seconds since the epoch).
    pub(crate) fn valid_at(&self, time: i64) -> bool {
        self.not_before <= time && time <= self.not_after
    }
}

/// Every `CERTIFICATE` block in `pem`, in order; `what` names the input in errors. Other
/// PEM blocks (keys) are skipped; no certificate at all is an error.
pub(crate) fn certificates_from_pem(pem: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, SigningError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SigningError::Certificate(format!("{what}: bad PEM: {e}")))?;
    if certs.is_empty() {
        return Err(SigningError::Certificate(format!("{what}: no PEM CERTIFICATE block")));
    }
    Ok(certs)
}

/// A certificate the verifier trusts as the end of a chain: a team's root CA, or any CA
/// certificate the verifier chooses to anchor trust at.
#[derive(Clone)]
pub struct CertificateRoot {
    der: CertificateDer<'static>,
    anchor: TrustAnchor<'static>,
    info: CertInfo,
}

impl fmt::Debug for CertificateRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateRoot").field("subject", &self.info.subject).finish_non_exhaustive()
    }
}

impl CertificateRoot {
    /// Every certificate in a PEM file (one root or a bundle of them).
    pub fn from_pem(pem: &str) -> Result<Vec<CertificateRoot>, SigningError> {
        certificates_from_pem(pem, "trusted root")?.into_iter().map(|der| Self::from_der(der.as_ref())).collect()
    }

    /// One DER certificate.
    pub fn from_der(der: &[u8]) -> Result<CertificateRoot, SigningError> {
        let info = CertInfo::parse(der, "trusted root").map_err(SigningError::Certificate)?;
        let der = CertificateDer::from(der.to_vec());
        let anchor = webpki::anchor_from_trusted_cert(&der)
            .map_err(|e| SigningError::Certificate(format!("trusted root {}: {e}", info.subject)))?
            .to_owned();
        Ok(CertificateRoot { der, anchor, info })
    }

    /// The root's subject, e.g. `O=Team, CN=Team Root CA`.
    pub fn subject(&self) -> &str {
        &self.info.subject
    }

    /// The DER certificate.
    pub fn der(&self) -> &[u8] {
        self.der.as_ref()
    }

    pub(crate) fn anchor(&self) -> &TrustAnchor<'static> {
        &self.anchor
    }

    pub(crate) fn info(&self) -> &CertInfo {
        &self.info
    }
}

/// A private key with its certificate and the chain up to (but usually not including) the
/// root: what `warden sign --certificate` signs with.
#[derive(Clone)]
pub struct CertificateSigner {
    key: SigningKey,
    /// DER, leaf first, in the order the bundle carries them.
    chain: Vec<CertificateDer<'static>>,
    leaf: CertInfo,
}

/// The private key stays out of debug output.
impl fmt::Debug for CertificateSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateSigner")
            .field("subject", &self.leaf.subject)
            .field("curve", &self.key.curve())
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl CertificateSigner {
    /// `certificate_pem` holds the signing certificate (its first block; any further blocks
    /// are taken as chain certificates), `chain_pems` the intermediates, in order. Refuses a
    /// key that is not the certificate's and a certificate that may not sign, since the
    /// signature could never verify.
    pub fn new(key: SigningKey, certificate_pem: &str, chain_pems: &[&str]) -> Result<Self, SigningError> {
        let mut chain = certificates_from_pem(certificate_pem, "signing certificate")?;
        for (i, pem) in chain_pems.iter().enumerate() {
            chain.extend(certificates_from_pem(pem, &format!("certificate chain file {}", i + 1))?);
        }
        let leaf = CertInfo::parse(chain[0].as_ref(), "signing certificate").map_err(SigningError::Certificate)?;
        for (i, der) in chain.iter().enumerate().skip(1) {
            CertInfo::parse(der.as_ref(), &format!("chain certificate {i}")).map_err(SigningError::Certificate)?;
        }
        check_key_matches(&key, &leaf)?;
        if !leaf.may_sign() {
            return Err(SigningError::Certificate(format!(
                "the signing certificate {} may not sign: {} (model-signing needs KeyUsage \
                 digitalSignature or ExtendedKeyUsage codeSigning)",
                leaf.subject,
                leaf.signing_usage_problem()
            )));
        }
        Ok(CertificateSigner { key, chain, leaf })
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The signing certificate's subject, e.g. `O=Team, CN=alice@example.com`.
    pub fn subject(&self) -> &str {
        &self.leaf.subject
    }

    /// The certificates the bundle carries, DER, leaf first.
    pub fn chain_der(&self) -> impl Iterator<Item = &[u8]> {
        self.chain.iter().map(|c| c.as_ref())
    }
}

/// The private key must be the certificate's, as `model_signing sign certificate` requires.
fn check_key_matches(key: &SigningKey, leaf: &CertInfo) -> Result<(), SigningError> {
    match VerifyingKey::from_spki_der(&leaf.spki) {
        Some(k) if k == key.verifying_key() => Ok(()),
        Some(k) => {
            let detail = if k.curve() == key.curve() {
                format!("the certificate holds another {} key", k.curve().name())
            } else {
                format!("the certificate holds a {} key, the private key is {}", k.curve().name(), key.curve().name())
            };
            Err(SigningError::Certificate(format!(
                "the private key does not belong to the signing certificate {} ({detail})",
                leaf.subject
            )))
        }
        None => Err(SigningError::Certificate(format!(
            "the signing certificate {} holds no ECDSA P-256, P-384 or P-521 public key",
            leaf.subject
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::Curve;
    use crate::signing::test_pki::{Ca, leaf_params, params, pem};

    #[test]
    fn roots_read_every_certificate_of_a_pem_file() {
        let (a, b) = (Ca::root("A"), Ca::root("B"));
        let text = format!("{}junk between blocks\n{}", pem(&a.der), pem(&b.der));
        let roots = CertificateRoot::from_pem(&text).unwrap();
        let subjects: Vec<&str> = roots.iter().map(|r| r.subject()).collect();
        assert_eq!(subjects, ["CN=A", "CN=B"]);
        assert_eq!(roots[0].der(), a.der.as_slice());
        assert!(format!("{:?}", roots[0]).contains("CN=A"));
        // A key file is not a root.
        let key = SigningKey::generate(Curve::P256).to_pkcs8_pem();
        let e = CertificateRoot::from_pem(&key).unwrap_err().to_string();
        assert!(e.contains("no PEM CERTIFICATE block"), "{e}");
    }

    #[test]
    fn the_signer_puts_the_leaf_first_then_the_chain() {
        let root = Ca::root("Root");
        let int = root.intermediate(params("Int", true));
        let (key, leaf) = int.signer(&leaf_params("signer"));
        let signer = CertificateSigner::new(key, &leaf, &[&pem(&int.der)]).unwrap();
        assert_eq!(signer.subject(), "CN=signer");
        let chain: Vec<&[u8]> = signer.chain_der().collect();
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[1], int.der.as_slice());
    }

    #[test]
    fn the_signer_refuses_a_key_that_is_not_the_certificates() {
        let root = Ca::root("Root");
        let (_, leaf) = root.signer(&leaf_params("signer"));
        let e = CertificateSigner::new(SigningKey::generate(Curve::P256), &leaf, &[]).unwrap_err().to_string();
        assert!(e.contains("the private key does not belong to the signing certificate CN=signer"), "{e}");
        assert!(e.contains("(the certificate holds another P-256 key)"), "{e}");
        let e = CertificateSigner::new(SigningKey::generate(Curve::P384), &leaf, &[]).unwrap_err().to_string();
        assert!(e.contains("the certificate holds a P-256 key, the private key is P-384"), "{e}");
    }

    #[test]
    fn the_signer_refuses_a_certificate_that_may_not_sign() {
        let root = Ca::root("Root");
        let mut tls = params("tls server", false);
        tls.key_usages = vec![rcgen::KeyUsagePurpose::KeyEncipherment];
        let (key, leaf) = root.signer(&tls);
        let e = CertificateSigner::new(key, &leaf, &[]).unwrap_err().to_string();
        assert!(e.contains("CN=tls server may not sign: KeyUsage without digitalSignature"), "{e}");
    }

    #[test]
    fn bad_pem_inputs_are_errors() {
        let key = SigningKey::generate(Curve::P256);
        assert!(CertificateSigner::new(key.clone(), "", &[]).is_err());
        let root = Ca::root("Root");
        let (key, leaf) = root.signer(&leaf_params("signer"));
        let e = CertificateSigner::new(key, &leaf, &["not pem"]).unwrap_err().to_string();
        assert!(e.contains("certificate chain file 1"), "{e}");
    }
}
