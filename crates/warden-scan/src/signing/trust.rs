//! What a verifier trusts, and who a verified signature turned out to be from.

use std::fmt;

use super::{CertificateRoot, VerifyingKey};

/// The keys and root certificates a verifier trusts. A key-mode signature verifies when
/// one of `keys` checks it; a certificate-mode signature when its chain validates to one of
/// `roots` (and the leaf's key checks it). Either list may be empty.
#[derive(Clone, Debug, Default)]
pub struct TrustPolicy {
    pub keys: Vec<VerifyingKey>,
    pub roots: Vec<CertificateRoot>,
}

impl TrustPolicy {
    /// Nothing trusted: every signature fails.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.roots.is_empty()
    }
}

/// Who made a signature that verified, for logs and for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerIdentity {
    /// Key mode: the trusted key that verified, by its model-signing hint (hex SHA-256 of
    /// its SPKI PEM).
    Key { hint: String },
    /// Certificate mode: the signing certificate and the trusted root its chain ends at
    /// (distinguished names as the certificates list them, e.g. `O=Team, CN=alice`).
    Certificate { subject: String, issuer: String, serial: String, root: String },
}

impl fmt::Display for SignerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignerIdentity::Key { hint } => write!(f, "key {hint}"),
            SignerIdentity::Certificate { subject, issuer, serial, root } => {
                write!(f, "certificate {subject} (serial {serial}, issued by {issuer}, trusted root {root})")
            }
        }
    }
}
