//! Certificate chain validation for certificate-mode signatures, as model-signing 1.x's
//! certificate verifier does it (OpenSSL `X509StoreContext`, no purpose set):
//!
//! - the leaf and the bundle's other certificates (as untrusted intermediates) must chain
//!   to one of the trusted roots, checked *at the leaf's notBefore time*: the earliest time
//!   the signature can have been made, so a leaf that has since expired still verifies;
//! - every certificate on the path, the root included, must be valid at that time, every
//!   issuer a CA (basicConstraints) whose KeyUsage, if present, has keyCertSign;
//! - ExtendedKeyUsage does not restrict the chain; the leaf itself must have KeyUsage
//!   digitalSignature or ExtendedKeyUsage codeSigning.
//!
//! Path building and the certificate signatures are `rustls-webpki`'s (ring, plus P-521
//! issuers via `webpki_p521`); this file adds the checks webpki leaves out and turns its
//! errors into sentences that say which certificate is wrong and why.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter, VerifiedPath};

use super::certificate::{CertInfo, CertificateRoot};
use super::{VerifyError, VerifyingKey, webpki_p521};

/// A leaf certificate whose chain validated: the key to check the envelope with.
#[derive(Debug)]
pub(crate) struct ValidatedChain {
    pub key: VerifyingKey,
    pub leaf: CertInfo,
    /// Index into the trusted roots of the root the chain ends at.
    pub root_index: usize,
}

/// Validates `chain` (DER, leaf first, as the bundle carries it) against `roots`.
pub(crate) fn validate(chain: &[Vec<u8>], roots: &[CertificateRoot]) -> Result<ValidatedChain, VerifyError> {
    let infos = parse_all(chain)?;
    let leaf = &infos[0];
    let untrusted = |reason: String| VerifyError::UntrustedCertificate { subject: leaf.subject.clone(), reason };
    if roots.is_empty() {
        return Err(untrusted("no trusted root certificates were given".into()));
    }
    let time = leaf.not_before;
    let root_index = build_path(chain, roots, time).map_err(|e| untrusted(explain(&e, &infos, roots, time)))?;
    if !leaf.may_sign() {
        return Err(VerifyError::CertificateNotForSigning {
            subject: leaf.subject.clone(),
            reason: leaf.signing_usage_problem(),
        });
    }
    let key = VerifyingKey::from_spki_der(&leaf.spki).ok_or_else(|| {
        VerifyError::Unsupported(format!(
            "the signing certificate {} holds no ECDSA P-256, P-384 or P-521 public key",
            leaf.subject
        ))
    })?;
    Ok(ValidatedChain { key, leaf: leaf.clone(), root_index })
}

/// Every certificate of the bundle, parsed; a malformed one makes the bundle malformed.
fn parse_all(chain: &[Vec<u8>]) -> Result<Vec<CertInfo>, VerifyError> {
    if chain.is_empty() {
        return Err(VerifyError::Malformed("the certificate chain is empty".into()));
    }
    chain
        .iter()
        .enumerate()
        .map(|(i, der)| {
            let what = if i == 0 { "the signing certificate".to_string() } else { format!("chain certificate {i}") };
            CertInfo::parse(der, &what).map_err(VerifyError::Malformed)
        })
        .collect()
}

/// Why a chain failed: webpki's error, or a check of ours on an otherwise good path.
#[derive(Debug)]
enum ChainError {
    Webpki(webpki::Error),
    Ours(String),
}

/// The certificate signature algorithms accepted on the chain.
fn algorithms() -> Vec<&'static dyn SignatureVerificationAlgorithm> {
    let mut algs = webpki::ALL_VERIFICATION_ALGS.to_vec();
    algs.extend([webpki_p521::ECDSA_P521_SHA256, webpki_p521::ECDSA_P521_SHA384, webpki_p521::ECDSA_P521_SHA512]);
    algs
}

/// Finds a path from the leaf to a trusted root that passes webpki's checks and ours at
/// `time`; returns the root's index.
fn build_path(chain: &[Vec<u8>], roots: &[CertificateRoot], time: i64) -> Result<usize, ChainError> {
    let ders: Vec<CertificateDer<'_>> = chain.iter().map(|d| CertificateDer::from(d.as_slice())).collect();
    let leaf = EndEntityCert::try_from(&ders[0]).map_err(ChainError::Webpki)?;
    let anchors: Vec<TrustAnchor<'_>> = roots.iter().map(|r| r.anchor().clone()).collect();
    let at = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(time).unwrap_or(0)));
    // webpki calls this for each candidate path; a rejection makes it try the next one.
    let problem = RefCell::new(None);
    let chosen = Cell::new(None);
    let check = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
        match check_path(path, roots, time) {
            Ok(i) => {
                chosen.set(Some(i));
                Ok(())
            }
            Err(msg) => {
                *problem.borrow_mut() = Some(msg);
                Err(webpki::Error::UnknownIssuer)
            }
        }
    };
    let result = leaf.verify_for_usage(&algorithms(), &anchors, &ders[1..], at, AnyPurpose, None, Some(&check));
    match (result, chosen.get(), problem.into_inner()) {
        (Ok(_), Some(i), _) => Ok(i),
        (Err(webpki::Error::UnknownIssuer), _, Some(msg)) => Err(ChainError::Ours(msg)),
        (Err(e), _, _) => Err(ChainError::Webpki(e)),
        (Ok(_), None, _) => Err(ChainError::Ours("no trusted root matched the verified path".into())),
    }
}

/// The checks webpki leaves out of a path it accepted: the root's own validity at `time`
/// and keyCertSign on the issuers. Returns the index of the root, or what is wrong.
fn check_path(path: &VerifiedPath<'_>, roots: &[CertificateRoot], time: i64) -> Result<usize, String> {
    let anchor = path.anchor();
    let index = roots
        .iter()
        .position(|r| {
            r.anchor().subject == anchor.subject && r.anchor().subject_public_key_info == anchor.subject_public_key_info
        })
        .ok_or("the path ended at an unknown trust anchor")?;
    let root = roots[index].info();
    if !root.valid_at(time) {
        return Err(format!(
            "the trusted root {} was not valid at the signing time {} (it is valid from {} to {})",
            root.subject,
            seconds_text(time),
            root.not_before_text,
            root.not_after_text
        ));
    }
    if root.key_cert_sign == Some(false) {
        return Err(format!("the trusted root {} has KeyUsage without keyCertSign", root.subject));
    }
    for cert in path.intermediate_certificates() {
        let info = CertInfo::parse(cert.der().as_ref(), "an intermediate certificate")?;
        if info.key_cert_sign == Some(false) {
            return Err(format!(
                "the intermediate {} may not issue certificates: KeyUsage without keyCertSign",
                info.subject
            ));
        }
    }
    Ok(index)
}

/// Accepts any ExtendedKeyUsage on the chain (only its syntax is checked): model-signing
/// sets no purpose on its OpenSSL store and checks the leaf's usage itself.
struct AnyPurpose;

impl ExtendedKeyUsageValidator for AnyPurpose {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for purpose in iter {
            purpose?;
        }
        Ok(())
    }
}

/// A Unix time as a UTC date for messages.
fn seconds_text(time: i64) -> String {
    x509_parser::time::ASN1Time::from_timestamp(time).map(|t| t.to_string()).unwrap_or_else(|_| format!("{time}s"))
}

/// What went wrong, naming the certificate where that can be known.
fn explain(err: &ChainError, infos: &[CertInfo], roots: &[CertificateRoot], time: i64) -> String {
    let e = match err {
        ChainError::Ours(msg) => return msg.clone(),
        ChainError::Webpki(e) => e,
    };
    let at = format!("the signing time {} (the signing certificate's notBefore)", seconds_text(time));
    let all = || infos.iter().chain(roots.iter().map(|r| r.info()));
    match e {
        webpki::Error::CertExpired { not_after, .. } => {
            let who = all().find(|c| c.not_after == not_after.as_secs() as i64).map(|c| c.subject.as_str());
            format!("certificate {} had expired before {at}", who.unwrap_or("in the chain"))
        }
        webpki::Error::CertNotValidYet { not_before, .. } => {
            let who = all().find(|c| c.not_before == not_before.as_secs() as i64).map(|c| c.subject.as_str());
            format!("certificate {} was not yet valid at {at}", who.unwrap_or("in the chain"))
        }
        webpki::Error::InvalidCertValidity => "a certificate's notAfter is before its notBefore".into(),
        webpki::Error::UnknownIssuer => unknown_issuer(infos, roots),
        webpki::Error::InvalidSignatureForPublicKey => {
            "a certificate's signature does not verify with its issuer's key (a different CA with \
             the same name, or an altered certificate)"
                .into()
        }
        webpki::Error::UnsupportedSignatureAlgorithmContext(_)
        | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "a certificate is signed with an unsupported algorithm (supported: ECDSA P-256/P-384/P-521, \
             RSA 2048-8192, Ed25519)"
                .into()
        }
        webpki::Error::CaUsedAsEndEntity => {
            "the signing certificate is a CA certificate (basicConstraints CA:TRUE)".into()
        }
        webpki::Error::EndEntityUsedAsCa => {
            "a certificate that is not a CA (no basicConstraints CA:TRUE) issued another one in the chain".into()
        }
        webpki::Error::PathLenConstraintViolated => "the chain is longer than a CA's pathLenConstraint allows".into(),
        webpki::Error::UnsupportedCriticalExtension => "a certificate has an unsupported critical extension".into(),
        webpki::Error::UnsupportedCertVersion => "a certificate is not X.509 version 3".into(),
        other => format!("chain validation failed: {other}"),
    }
}

/// Names the first certificate whose issuer is neither in the bundle nor a trusted root.
fn unknown_issuer(infos: &[CertInfo], roots: &[CertificateRoot]) -> String {
    let known = |name: &str| infos.iter().chain(roots.iter().map(|r| r.info())).any(|c| c.subject == name);
    let trusted: Vec<&str> = roots.iter().map(|r| r.subject()).collect();
    match infos.iter().find(|c| !known(&c.issuer)) {
        Some(c) => format!(
            "unknown issuer: {} was issued by {}, which is neither a trusted root nor in the signature's \
             chain (trusted roots: {})",
            c.subject,
            c.issuer,
            trusted.join("; ")
        ),
        None => format!("no valid path to a trusted root (trusted roots: {})", trusted.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::test_pki::{Ca, leaf_params, params};
    use rcgen::{ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};

    fn reason(err: VerifyError) -> String {
        match err {
            VerifyError::UntrustedCertificate { reason, .. } => reason,
            other => panic!("expected an untrusted chain, got {other:?}"),
        }
    }

    #[test]
    fn a_leaf_through_an_intermediate_validates_to_its_root() {
        let root = Ca::root("Team Root");
        let int = root.intermediate(params("Team Intermediate", true));
        let key = KeyPair::generate().unwrap();
        let leaf = int.issue(&leaf_params("signer"), &key);
        let ok = validate(&[leaf.clone(), int.der.clone()], &root.trusted()).unwrap();
        assert_eq!(ok.root_index, 0);
        assert_eq!(ok.leaf.subject, "CN=signer");
        assert_eq!(ok.key, VerifyingKey::from_pem(&key.public_key_pem()).unwrap());
        // The intermediate may be trusted directly too, and the root may travel in the bundle.
        let mut roots = Ca::root("Unrelated").trusted();
        roots.extend(int.trusted());
        assert_eq!(validate(std::slice::from_ref(&leaf), &roots).unwrap().root_index, 1);
        validate(&[leaf.clone(), int.der.clone(), root.der.clone()], &root.trusted()).unwrap();
        // Without the intermediate there is no path.
        assert!(reason(validate(&[leaf], &root.trusted()).unwrap_err()).contains("unknown issuer"));
    }

    #[test]
    fn a_leaf_from_another_ca_names_its_issuer() {
        let ours = Ca::root("Our Root");
        let theirs = Ca::root("Their Root");
        let leaf = theirs.issue(&leaf_params("mallory"), &KeyPair::generate().unwrap());
        let r = reason(validate(&[leaf], &ours.trusted()).unwrap_err());
        assert!(r.contains("unknown issuer") && r.contains("CN=Their Root") && r.contains("CN=Our Root"), "{r}");

        // Another CA under the same name: the issuer is found but its signature fails.
        let impostor = Ca::root("Our Root");
        let leaf = impostor.issue(&leaf_params("mallory"), &KeyPair::generate().unwrap());
        let r = reason(validate(&[leaf], &ours.trusted()).unwrap_err());
        assert!(r.contains("signature does not verify"), "{r}");
    }

    #[test]
    fn the_chain_is_checked_at_the_leafs_not_before() {
        let root = Ca::root("Root");
        let mut int_params = params("Int", true);
        int_params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        int_params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let int = root.intermediate(int_params);
        // Signed while the intermediate was valid: still verifies years later.
        let mut lp = leaf_params("old signer");
        lp.not_before = rcgen::date_time_ymd(2020, 6, 1);
        lp.not_after = rcgen::date_time_ymd(2020, 7, 1);
        let leaf = int.issue(&lp, &KeyPair::generate().unwrap());
        validate(&[leaf, int.der.clone()], &root.trusted()).unwrap();
        // A leaf whose validity starts after the intermediate expired does not.
        let mut lp = leaf_params("late signer");
        lp.not_before = rcgen::date_time_ymd(2022, 1, 1);
        let leaf = int.issue(&lp, &KeyPair::generate().unwrap());
        let r = reason(validate(&[leaf, int.der.clone()], &root.trusted()).unwrap_err());
        assert!(r.contains("CN=Int had expired before the signing time"), "{r}");
        // Nor one that predates the intermediate.
        let mut lp = leaf_params("early signer");
        lp.not_before = rcgen::date_time_ymd(2019, 1, 1);
        let leaf = int.issue(&lp, &KeyPair::generate().unwrap());
        let r = reason(validate(&[leaf, int.der.clone()], &root.trusted()).unwrap_err());
        assert!(r.contains("CN=Int was not yet valid"), "{r}");
    }

    #[test]
    fn an_expired_root_is_refused() {
        let mut rp = params("Old Root", true);
        rp.not_before = rcgen::date_time_ymd(2000, 1, 1);
        rp.not_after = rcgen::date_time_ymd(2001, 1, 1);
        let root = Ca::root_with(rp);
        let leaf = root.issue(&leaf_params("signer"), &KeyPair::generate().unwrap());
        let r = reason(validate(&[leaf], &root.trusted()).unwrap_err());
        assert!(r.contains("trusted root CN=Old Root was not valid"), "{r}");
    }

    #[test]
    fn signing_usage_is_digital_signature_or_code_signing() {
        let root = Ca::root("Root");
        let key = KeyPair::generate().unwrap();
        let mut only_ku = params("ku", false);
        only_ku.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        only_ku.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        validate(&[root.issue(&only_ku, &key)], &root.trusted()).unwrap();
        let mut only_eku = params("eku", false);
        only_eku.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        validate(&[root.issue(&only_eku, &key)], &root.trusted()).unwrap();

        let mut neither = params("tls", false);
        neither.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
        neither.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        match validate(&[root.issue(&neither, &key)], &root.trusted()) {
            Err(VerifyError::CertificateNotForSigning { subject, reason }) => {
                assert_eq!(subject, "CN=tls");
                assert_eq!(reason, "KeyUsage without digitalSignature and ExtendedKeyUsage without codeSigning");
            }
            other => panic!("{other:?}"),
        }
        match validate(&[root.issue(&params("bare", false), &key)], &root.trusted()) {
            Err(e @ VerifyError::CertificateNotForSigning { .. }) => {
                assert!(e.to_string().contains("no KeyUsage extension and no ExtendedKeyUsage extension"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn issuers_must_be_cas_allowed_to_sign_certificates() {
        let root = Ca::root("Root");
        // Not a CA at all.
        let not_ca = root.intermediate(leaf_params("not a ca"));
        let leaf = not_ca.issue(&leaf_params("signer"), &KeyPair::generate().unwrap());
        let r = reason(validate(&[leaf, not_ca.der.clone()], &root.trusted()).unwrap_err());
        assert!(r.contains("not a CA"), "{r}");
        // A CA whose KeyUsage lacks keyCertSign.
        let mut p = params("no keyCertSign", true);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let int = root.intermediate(p);
        let leaf = int.issue(&leaf_params("signer"), &KeyPair::generate().unwrap());
        let r = reason(validate(&[leaf, int.der.clone()], &root.trusted()).unwrap_err());
        assert!(r.contains("CN=no keyCertSign may not issue certificates"), "{r}");
    }

    #[test]
    fn malformed_and_empty_inputs_are_errors_not_panics() {
        let root = Ca::root("Root");
        assert!(matches!(validate(&[], &root.trusted()), Err(VerifyError::Malformed(_))));
        assert!(matches!(validate(&[b"junk".to_vec()], &root.trusted()), Err(VerifyError::Malformed(_))));
        let leaf = root.issue(&leaf_params("signer"), &KeyPair::generate().unwrap());
        assert!(matches!(
            validate(&[leaf.clone(), b"junk".to_vec()], &root.trusted()),
            Err(VerifyError::Malformed(m)) if m.contains("chain certificate 1")
        ));
        let r = reason(validate(&[leaf], &[]).unwrap_err());
        assert_eq!(r, "no trusted root certificates were given");
        assert!(CertificateRoot::from_pem("no pem here").is_err());
        assert!(CertificateRoot::from_der(b"junk").is_err());
    }
}
