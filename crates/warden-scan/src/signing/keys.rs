//! ECDSA keys in the PEM formats model-signing reads and writes: private keys as PKCS#8
//! (`PRIVATE KEY`, what we write) or SEC1 (`EC PRIVATE KEY`, read too), public keys as
//! SubjectPublicKeyInfo (`PUBLIC KEY`). Curves P-256 (SHA-256), P-384 (SHA-384) and
//! P-521 (SHA-512): the curves and hashes model-signing's `get_ec_key_hash` accepts.
//! All cryptography is RustCrypto's `p256` / `p384` / `p521`.

use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};

use super::SigningError;

/// An elliptic curve accepted for signing keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }
}

/// A private signing key.
#[derive(Clone)]
pub enum SigningKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

/// A public key that verifies signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyingKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    /// The plain public key: `p521::ecdsa::VerifyingKey` is neither `Debug` nor `Eq`, so
    /// the ECDSA verifier is built from it when a signature is checked.
    P521(p521::PublicKey),
}

impl SigningKey {
    /// A fresh key from the operating system's random source.
    pub fn generate(curve: Curve) -> Self {
        let mut rng = rand_core::OsRng;
        match curve {
            Curve::P256 => SigningKey::P256(p256::ecdsa::SigningKey::random(&mut rng)),
            Curve::P384 => SigningKey::P384(p384::ecdsa::SigningKey::random(&mut rng)),
            Curve::P521 => SigningKey::P521(p521::ecdsa::SigningKey::random(&mut rng)),
        }
    }

    /// Reads an unencrypted PEM private key: PKCS#8 or SEC1, P-256, P-384 or P-521.
    pub fn from_pem(pem: &str) -> Result<Self, SigningError> {
        if let Ok(k) = p256::SecretKey::from_pkcs8_pem(pem) {
            return Ok(SigningKey::P256((&k).into()));
        }
        if let Ok(k) = p384::SecretKey::from_pkcs8_pem(pem) {
            return Ok(SigningKey::P384((&k).into()));
        }
        if let Ok(k) = p521::SecretKey::from_pkcs8_pem(pem) {
            return Self::p521(&k);
        }
        if let Ok(k) = p256::SecretKey::from_sec1_pem(pem) {
            return Ok(SigningKey::P256((&k).into()));
        }
        if let Ok(k) = p384::SecretKey::from_sec1_pem(pem) {
            return Ok(SigningKey::P384((&k).into()));
        }
        if let Ok(k) = p521::SecretKey::from_sec1_pem(pem) {
            return Self::p521(&k);
        }
        if pem.contains("ENCRYPTED PRIVATE KEY") {
            return Err(SigningError::Key("encrypted private keys are not supported".into()));
        }
        Err(SigningError::Key("not an unencrypted PEM EC private key (PKCS#8 or SEC1) on P-256, P-384 or P-521".into()))
    }

    /// `p521` has no `From<&SecretKey>` for its ECDSA key; go through the scalar bytes.
    fn p521(secret: &p521::SecretKey) -> Result<Self, SigningError> {
        p521::ecdsa::SigningKey::from_bytes(&secret.to_bytes())
            .map(SigningKey::P521)
            .map_err(|_| SigningError::Key("invalid P-521 private key".into()))
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), LF line endings.
    pub fn to_pkcs8_pem(&self) -> String {
        let pem = match self {
            SigningKey::P256(k) => p256::SecretKey::from(k).to_pkcs8_pem(LineEnding::LF),
            SigningKey::P384(k) => p384::SecretKey::from(k).to_pkcs8_pem(LineEnding::LF),
            SigningKey::P521(k) => p521::SecretKey::from_bytes(&k.to_bytes())
                .expect("a signing key's scalar is a valid secret key")
                .to_pkcs8_pem(LineEnding::LF),
        };
        pem.expect("a valid secret key encodes").to_string()
    }

    pub fn curve(&self) -> Curve {
        match self {
            SigningKey::P256(_) => Curve::P256,
            SigningKey::P384(_) => Curve::P384,
            SigningKey::P521(_) => Curve::P521,
        }
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            SigningKey::P256(k) => VerifyingKey::P256(*k.verifying_key()),
            SigningKey::P384(k) => VerifyingKey::P384(*k.verifying_key()),
            SigningKey::P521(k) => {
                let public = p521::ecdsa::VerifyingKey::from(k);
                VerifyingKey::P521(
                    p521::PublicKey::from_affine(*public.as_affine()).expect("a signing key's public point is valid"),
                )
            }
        }
    }

    /// ECDSA over `message` with the curve's hash (SHA-256 for P-256, SHA-384 for P-384,
    /// SHA-512 for P-521), DER-encoded as model-signing (Python `cryptography`) writes it.
    pub fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer;
        match self {
            SigningKey::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            SigningKey::P384(k) => {
                let sig: p384::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            SigningKey::P521(k) => {
                let sig: p521::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
        }
    }
}

impl VerifyingKey {
    /// Reads a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), P-256, P-384 or P-521.
    pub fn from_pem(pem: &str) -> Result<Self, SigningError> {
        if let Ok(k) = p256::PublicKey::from_public_key_pem(pem) {
            return Ok(VerifyingKey::P256(k.into()));
        }
        if let Ok(k) = p384::PublicKey::from_public_key_pem(pem) {
            return Ok(VerifyingKey::P384(k.into()));
        }
        if let Ok(k) = p521::PublicKey::from_public_key_pem(pem) {
            return Ok(VerifyingKey::P521(k));
        }
        Err(SigningError::Key("not a PEM SubjectPublicKeyInfo EC public key on P-256, P-384 or P-521".into()))
    }

    /// Reads a DER SubjectPublicKeyInfo, as a certificate carries it. `None` when it is not
    /// an EC key on one of the three curves (e.g. RSA or Ed25519).
    pub fn from_spki_der(der: &[u8]) -> Option<Self> {
        if let Ok(k) = p256::PublicKey::from_public_key_der(der) {
            return Some(VerifyingKey::P256(k.into()));
        }
        if let Ok(k) = p384::PublicKey::from_public_key_der(der) {
            return Some(VerifyingKey::P384(k.into()));
        }
        p521::PublicKey::from_public_key_der(der).ok().map(VerifyingKey::P521)
    }

    /// SubjectPublicKeyInfo PEM with LF line endings, byte for byte what Python
    /// `cryptography` writes (uncompressed point, 64-column base64).
    pub fn to_spki_pem(&self) -> String {
        match self {
            VerifyingKey::P256(k) => p256::PublicKey::from(k).to_public_key_pem(LineEnding::LF),
            VerifyingKey::P384(k) => p384::PublicKey::from(k).to_public_key_pem(LineEnding::LF),
            VerifyingKey::P521(k) => k.to_public_key_pem(LineEnding::LF),
        }
        .expect("a valid public key encodes")
    }

    /// The key hint model-signing records in `verificationMaterial.publicKey.hint`:
    /// lowercase hex SHA-256 of the SPKI PEM text.
    pub fn hint(&self) -> String {
        hex::encode(Sha256::digest(self.to_spki_pem().as_bytes()))
    }

    pub fn curve(&self) -> Curve {
        match self {
            VerifyingKey::P256(_) => Curve::P256,
            VerifyingKey::P384(_) => Curve::P384,
            VerifyingKey::P521(_) => Curve::P521,
        }
    }

    /// Checks a DER ECDSA signature over `message` (hash chosen by the curve).
    pub fn verify_der(&self, message: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier;
        match self {
            VerifyingKey::P256(k) => match p256::ecdsa::Signature::from_der(signature) {
                Ok(sig) => k.verify(message, &sig).is_ok(),
                Err(_) => false,
            },
            VerifyingKey::P384(k) => match p384::ecdsa::Signature::from_der(signature) {
                Ok(sig) => k.verify(message, &sig).is_ok(),
                Err(_) => false,
            },
            VerifyingKey::P521(k) => match (
                p521::ecdsa::Signature::from_der(signature),
                p521::ecdsa::VerifyingKey::from_affine(*k.as_affine()),
            ) {
                (Ok(sig), Ok(vk)) => vk.verify(message, &sig).is_ok(),
                _ => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trips_and_signatures_verify() {
        for curve in [Curve::P256, Curve::P384, Curve::P521] {
            let key = SigningKey::generate(curve);
            let pem = key.to_pkcs8_pem();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
            let again = SigningKey::from_pem(&pem).unwrap();
            assert_eq!(again.curve(), curve);
            let public = VerifyingKey::from_pem(&key.verifying_key().to_spki_pem()).unwrap();
            assert_eq!(public, key.verifying_key());
            let sig = again.sign_der(b"message");
            assert!(public.verify_der(b"message", &sig));
            assert!(!public.verify_der(b"messagf", &sig));
            assert_eq!(public.hint().len(), 64);
        }
    }

    #[test]
    fn reads_sec1_private_keys() {
        use p256::elliptic_curve::sec1::ToEncodedPoint as _;
        let key = p256::SecretKey::random(&mut rand_core::OsRng);
        let pem = key.to_sec1_pem(LineEnding::LF).unwrap();
        assert!(pem.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        let SigningKey::P256(read) = SigningKey::from_pem(&pem).unwrap() else { panic!("curve") };
        assert_eq!(read.verifying_key().to_encoded_point(false), key.public_key().to_encoded_point(false));
    }

    #[test]
    fn p521_reads_sec1_and_spki_der() {
        let secret = p521::SecretKey::random(&mut rand_core::OsRng);
        let pem = secret.to_sec1_pem(LineEnding::LF).unwrap();
        let key = SigningKey::from_pem(&pem).unwrap();
        assert_eq!(key.curve(), Curve::P521);
        assert_eq!(key.verifying_key(), VerifyingKey::P521(secret.public_key()));
        let der = secret.public_key().to_public_key_der().unwrap();
        assert_eq!(VerifyingKey::from_spki_der(der.as_bytes()), Some(key.verifying_key()));
        assert_eq!(VerifyingKey::from_spki_der(b"not a key"), None);
        // A P-521 signature does not pass for another curve's key of the same message.
        let other = SigningKey::generate(Curve::P256);
        assert!(!other.verifying_key().verify_der(b"m", &key.sign_der(b"m")));
    }
}
