//! The key that signs checkpoints. A hash chain alone shows that records were
//! changed only to someone who cannot recompute the hashes; a signature over the
//! chain's head, by a key the editor does not hold, makes every record before the
//! last checkpoint as strong as the key.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::chain::Hash;
use super::error::AuditError;

pub const SECRET_KEY_FILE: &str = "checkpoint.key";
pub const PUBLIC_KEY_FILE: &str = "checkpoint.pub";

const CONTEXT: &[u8] = b"warden audit checkpoint v1\0";

pub struct CheckpointKey {
    signing: SigningKey,
}

impl CheckpointKey {
    /// The key in `dir`, made (with its public half beside it) when missing.
    pub fn load_or_create(dir: &Path) -> Result<CheckpointKey, AuditError> {
        let path = dir.join(SECRET_KEY_FILE);
        let key_error = |message: String| AuditError::Key { path: path.clone(), message };
        let signing = match fs::read_to_string(&path) {
            Ok(text) => {
                let mut seed = [0; 32];
                hex::decode_to_slice(text.trim(), &mut seed)
                    .map_err(|_| key_error("expected 64 hex digits (an Ed25519 seed)".into()))?;
                SigningKey::from_bytes(&seed)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = [0; 32];
                getrandom::fill(&mut seed).map_err(|e| key_error(format!("no randomness: {e}")))?;
                let signing = SigningKey::from_bytes(&seed);
                write_new(&path, &hex::encode(seed), 0o600)?;
                signing
            }
            Err(e) => return Err(AuditError::io(&path)(e)),
        };
        let public = dir.join(PUBLIC_KEY_FILE);
        let public_hex = hex::encode(signing.verifying_key().as_bytes());
        if fs::read_to_string(&public).map(|t| t.trim() != public_hex).unwrap_or(true) {
            fs::write(&public, format!("{public_hex}\n")).map_err(AuditError::io(&public))?;
        }
        Ok(CheckpointKey { signing })
    }

    pub fn sign(&self, seq: u64, prev: &Hash) -> String {
        hex::encode(self.signing.sign(&message(seq, prev)).to_bytes())
    }

    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }
}

/// A public key as written to `checkpoint.pub`: 64 hex digits.
pub fn load_public_key(path: &Path) -> Result<VerifyingKey, AuditError> {
    let text = fs::read_to_string(path).map_err(AuditError::io(path))?;
    let mut bytes = [0; 32];
    let bad = || AuditError::Key {
        path: path.to_path_buf(),
        message: "expected 64 hex digits (an Ed25519 public key)".into(),
    };
    hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| bad())?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| bad())
}

pub fn check(key: &VerifyingKey, seq: u64, prev: &Hash, signature_hex: &str) -> bool {
    let mut bytes = [0; 64];
    if hex::decode_to_slice(signature_hex, &mut bytes).is_err() {
        return false;
    }
    key.verify(&message(seq, prev), &Signature::from_bytes(&bytes)).is_ok()
}

/// What a checkpoint signs: its own place in the chain and the hash of the record
/// before it, which stands for every record before that.
fn message(seq: u64, prev: &Hash) -> Vec<u8> {
    let mut m = Vec::with_capacity(CONTEXT.len() + 40);
    m.extend_from_slice(CONTEXT);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(prev);
    m
}

fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), AuditError> {
    let mut file =
        fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path).map_err(AuditError::io(path))?;
    file.write_all(format!("{text}\n").as_bytes()).and_then(|_| file.sync_all()).map_err(AuditError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_and_signs_what_it_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let key = CheckpointKey::load_or_create(dir.path()).unwrap();
        let again = CheckpointKey::load_or_create(dir.path()).unwrap();
        assert_eq!(key.public(), again.public());
        let public = load_public_key(&dir.path().join(PUBLIC_KEY_FILE)).unwrap();
        let sig = key.sign(5, &[9; 32]);
        assert!(check(&public, 5, &[9; 32], &sig));
        assert!(!check(&public, 6, &[9; 32], &sig));
        assert!(!check(&public, 5, &[8; 32], &sig));
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join(SECRET_KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
