//! The bundle's `verificationMaterial`: what a signer writes there, and how a verifier
//! decides from it which key checks the envelope.
//!
//! - key mode: `{"publicKey": {"hint": hex SHA-256 of the SPKI PEM}, "tlogEntries": []}`;
//! - certificate mode: `{"x509CertificateChain": {"certificates": [{"rawBytes": base64 DER},
//!   ...]}, "tlogEntries": []}`, leaf first (what `model_signing sign certificate` writes).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::{CertificateSigner, SignerIdentity, SigningKey, TrustPolicy, VerifyError, chain};

/// What signs a model: a bare key (key mode) or a key with its certificate chain
/// (certificate mode).
#[derive(Clone)]
pub enum Signer {
    Key(SigningKey),
    Certificate(CertificateSigner),
}

impl Signer {
    /// The private key the envelope is signed with.
    pub fn key(&self) -> &SigningKey {
        match self {
            Signer::Key(k) => k,
            Signer::Certificate(c) => c.key(),
        }
    }

    /// The `verificationMaterial` object for the bundle.
    pub fn verification_material(&self) -> Value {
        match self {
            Signer::Key(k) => json!({"publicKey": {"hint": k.verifying_key().hint()}, "tlogEntries": []}),
            Signer::Certificate(c) => {
                let certs: Vec<Value> = c.chain_der().map(|der| json!({"rawBytes": B64.encode(der)})).collect();
                json!({"x509CertificateChain": {"certificates": certs}, "tlogEntries": []})
            }
        }
    }
}

/// The envelope signature checked against the trust policy: which trusted key or root it
/// verified with (an index into `trust.keys` or `trust.roots`) and who signed.
#[derive(Debug)]
pub(crate) struct Authenticated {
    pub index: usize,
    pub identity: SignerIdentity,
}

/// Checks the DER signature `sig` over `message` (the DSSE PAE) with the key the
/// verification material designates, if it is trusted.
pub(crate) fn authenticate(
    material: Option<&Value>,
    trust: &TrustPolicy,
    message: &[u8],
    sig: &[u8],
) -> Result<Authenticated, VerifyError> {
    let material = material.unwrap_or(&Value::Null);
    let chain = material.get("x509CertificateChain");
    let public_key = material.get("publicKey");
    if material.get("certificate").is_some() {
        return Err(VerifyError::Unsupported(
            "Sigstore keyless signatures (a Fulcio certificate and transparency log entries) are not \
             supported; verify them with `model_signing verify sigstore`"
                .into(),
        ));
    }
    match (chain, public_key) {
        (Some(_), Some(_)) => {
            Err(VerifyError::Malformed("verificationMaterial has both publicKey and x509CertificateChain".into()))
        }
        (Some(chain), None) => by_certificate(chain, trust, message, sig),
        (None, _) => by_key(public_key, trust, message, sig),
    }
}

/// Key mode: the hint, when present, picks the trusted key; without one (bundles of
/// model-signing before 1.0) every trusted key is tried.
fn by_key(
    public_key: Option<&Value>,
    trust: &TrustPolicy,
    message: &[u8],
    sig: &[u8],
) -> Result<Authenticated, VerifyError> {
    let keys = &trust.keys;
    let hint = public_key.and_then(|k| k.get("hint")).and_then(Value::as_str).filter(|h| !h.is_empty());
    let candidates: Vec<usize> = match hint {
        Some(h) => (0..keys.len()).filter(|&i| keys[i].hint().eq_ignore_ascii_case(h)).collect(),
        None => (0..keys.len()).collect(),
    };
    if let (true, Some(h)) = (candidates.is_empty(), hint) {
        return Err(VerifyError::UntrustedKey { hint: h.to_string() });
    }
    let index = candidates.into_iter().find(|&i| keys[i].verify_der(message, sig)).ok_or(VerifyError::BadSignature)?;
    Ok(Authenticated { index, identity: SignerIdentity::Key { hint: keys[index].hint() } })
}

/// Certificate mode: the chain must validate to a trusted root, then the leaf's key must
/// check the signature.
fn by_certificate(
    chain: &Value,
    trust: &TrustPolicy,
    message: &[u8],
    sig: &[u8],
) -> Result<Authenticated, VerifyError> {
    let ders = chain_der(chain)?;
    let valid = chain::validate(&ders, &trust.roots)?;
    if !valid.key.verify_der(message, sig) {
        return Err(VerifyError::BadCertificateSignature { subject: valid.leaf.subject });
    }
    let root = trust.roots[valid.root_index].subject().to_string();
    Ok(Authenticated {
        index: valid.root_index,
        identity: SignerIdentity::Certificate {
            subject: valid.leaf.subject,
            issuer: valid.leaf.issuer,
            serial: valid.leaf.serial,
            root,
        },
    })
}

/// The DER certificates of `x509CertificateChain`, leaf first.
fn chain_der(chain: &Value) -> Result<Vec<Vec<u8>>, VerifyError> {
    let certs = chain
        .get("certificates")
        .and_then(Value::as_array)
        .ok_or_else(|| VerifyError::Malformed("`x509CertificateChain.certificates` is not a list".into()))?;
    certs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let raw = c
                .get("rawBytes")
                .and_then(Value::as_str)
                .ok_or_else(|| VerifyError::Malformed(format!("certificate {i} of the chain has no `rawBytes`")))?;
            B64.decode(raw)
                .map_err(|e| VerifyError::Malformed(format!("certificate {i} of the chain is not base64: {e}")))
        })
        .collect()
}
