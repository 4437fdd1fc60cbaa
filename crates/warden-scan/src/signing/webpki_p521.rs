//! ECDSA P-521 certificate signatures for `rustls-webpki`.
//!
//! webpki's `ring` backend verifies P-256 and P-384 but not P-521 (ring has no P-521), and
//! a team CA made with `openssl ecparam -name secp521r1` signs its certificates with a P-521
//! key, by default with SHA-256. These adapters let webpki check such chains with
//! RustCrypto's `p521` (no C, no aws-lc). They only map webpki's trait onto `p521`'s
//! verifier; no arithmetic is done here.

use p521::ecdsa::signature::hazmat::PrehashVerifier as _;
use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id};
use sha2::Digest as _;

/// The hash a certificate signature algorithm names (`ecdsa-with-SHA256/384/512`).
#[derive(Clone, Copy, Debug)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

/// One `ecdsa-with-SHA*` algorithm over a P-521 issuer key.
#[derive(Debug)]
struct EcdsaP521(Hash);

pub(crate) static ECDSA_P521_SHA256: &dyn SignatureVerificationAlgorithm = &EcdsaP521(Hash::Sha256);
pub(crate) static ECDSA_P521_SHA384: &dyn SignatureVerificationAlgorithm = &EcdsaP521(Hash::Sha384);
pub(crate) static ECDSA_P521_SHA512: &dyn SignatureVerificationAlgorithm = &EcdsaP521(Hash::Sha512);

impl EcdsaP521 {
    /// The message digest, left-padded with zero bytes to at least 33 bytes. ECDSA takes the
    /// digest as an integer; `ecdsa`'s `bits2field` refuses digests shorter than half the
    /// field (33 bytes for P-521), and leading zeros do not change the integer, so a SHA-256
    /// digest padded this way is what X9.62 signs.
    fn prehash(&self, message: &[u8]) -> Vec<u8> {
        let digest = match self.0 {
            Hash::Sha256 => sha2::Sha256::digest(message).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(message).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(message).to_vec(),
        };
        let mut out = vec![0u8; 33usize.saturating_sub(digest.len())];
        out.extend_from_slice(&digest);
        out
    }
}

impl SignatureVerificationAlgorithm for EcdsaP521 {
    fn verify_signature(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), InvalidSignature> {
        let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
        let sig = p521::ecdsa::Signature::from_der(signature).map_err(|_| InvalidSignature)?;
        key.verify_prehash(&self.prehash(message), &sig).map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P521
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        match self.0 {
            Hash::Sha256 => alg_id::ECDSA_SHA256,
            Hash::Sha384 => alg_id::ECDSA_SHA384,
            Hash::Sha512 => alg_id::ECDSA_SHA512,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p521::ecdsa::signature::hazmat::PrehashSigner as _;

    #[test]
    fn verifies_p521_signatures_with_every_hash() {
        let key = p521::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let public = p521::ecdsa::VerifyingKey::from(&key).to_encoded_point(false);
        for (alg, hash) in
            [(ECDSA_P521_SHA256, Hash::Sha256), (ECDSA_P521_SHA384, Hash::Sha384), (ECDSA_P521_SHA512, Hash::Sha512)]
        {
            let sig: p521::ecdsa::Signature = key.sign_prehash(&EcdsaP521(hash).prehash(b"tbs")).unwrap();
            let der = sig.to_der();
            assert!(alg.verify_signature(public.as_bytes(), b"tbs", der.as_bytes()).is_ok());
            assert!(alg.verify_signature(public.as_bytes(), b"tbt", der.as_bytes()).is_err());
            assert!(alg.verify_signature(b"junk", b"tbs", der.as_bytes()).is_err());
            assert!(alg.verify_signature(public.as_bytes(), b"tbs", b"junk").is_err());
        }
    }

    #[test]
    fn sha512_matches_the_crate_verifier() {
        use p521::ecdsa::signature::{Signer as _, Verifier as _};
        let key = p521::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let sig: p521::ecdsa::Signature = key.sign(b"tbs");
        p521::ecdsa::VerifyingKey::from(&key).verify(b"tbs", &sig).unwrap();
        let public = p521::ecdsa::VerifyingKey::from(&key).to_encoded_point(false);
        assert!(ECDSA_P521_SHA512.verify_signature(public.as_bytes(), b"tbs", sig.to_der().as_bytes()).is_ok());
    }
}
