//! API keys: `wdn_<id>_<secret>`. The id finds the record; only the SHA-256 of the
//! whole key is stored, and it is compared in constant time. Keys are 256-bit random,
//! so a fast hash is enough: there is nothing to brute-force that a slow hash would protect.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::GuardError;
use crate::identity::Identity;
use crate::scope::Scope;

const PREFIX: &str = "wdn_";
const ID_BYTES: usize = 6;
const SECRET_BYTES: usize = 32;

/// One stored key. Never holds the key itself.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyRecord {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// Hex SHA-256 of the whole key string.
    pub sha256: String,
    /// Unix seconds.
    pub created: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<u64>,
    /// Unix seconds after which the key no longer works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
}

impl KeyRecord {
    /// `active`, `expired` or `revoked`, as of `now` (unix seconds).
    pub fn status(&self, now: u64) -> &'static str {
        if self.revoked.is_some() {
            "revoked"
        } else if self.expires.is_some_and(|t| t <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    keys: Vec<KeyRecord>,
}

/// The key file in the state dir, read and written whole. Writes go to a temporary
/// file that is renamed over the old one, so a crash never leaves half a file.
#[derive(Debug)]
pub struct KeyStore {
    path: PathBuf,
    file: KeyFile,
    /// Held while a writer reads, changes and saves, so two `warden keys` commands
    /// at once cannot lose each other's change.
    _lock: Option<std::fs::File>,
}

impl KeyStore {
    /// Opens the store at `path`; a missing file is an empty store.
    pub fn open(path: &Path) -> Result<KeyStore, GuardError> {
        let io = |source| GuardError::Io { path: path.to_path_buf(), source };
        let file = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| GuardError::KeyFile { path: path.to_path_buf(), message: e.to_string() })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => KeyFile::default(),
            Err(e) => return Err(io(e)),
        };
        let store = KeyStore { path: path.to_path_buf(), file, _lock: None };
        for record in &store.file.keys {
            parse_scopes(&record.scopes)
                .map_err(|message| GuardError::KeyFile { path: path.to_path_buf(), message })?;
        }
        Ok(store)
    }

    /// Opens the store for changes, holding an exclusive lock on `<path>.lock`
    /// until the store is dropped.
    pub fn open_for_update(path: &Path) -> Result<KeyStore, GuardError> {
        let lock = lock_beside(path)?;
        let mut store = KeyStore::open(path)?;
        store._lock = Some(lock);
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn records(&self) -> &[KeyRecord] {
        &self.file.keys
    }

    pub fn has_active_key(&self) -> bool {
        let now = now();
        self.file.keys.iter().any(|k| k.status(now) == "active")
    }

    /// Creates a key, saves the store, and returns the key: the only time it exists
    /// outside the caller's hands.
    /// Creates a key valid until `expires` (unix seconds; `None` = until revoked).
    pub fn create(
        &mut self,
        name: &str,
        scopes: &[String],
        expires: Option<u64>,
    ) -> Result<(KeyRecord, String), GuardError> {
        if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
            return Err(GuardError::InvalidName);
        }
        parse_scopes(scopes).map_err(GuardError::InvalidScope)?;
        if scopes.is_empty() {
            return Err(GuardError::InvalidScope("a key needs at least one scope".into()));
        }
        let (id, key) = loop {
            let (id, key) = generate()?;
            if self.file.keys.iter().all(|k| k.id != id) {
                break (id, key);
            }
        };
        let record = KeyRecord {
            id,
            name: name.to_string(),
            scopes: scopes.to_vec(),
            sha256: hex::encode(Sha256::digest(key.as_bytes())),
            created: now(),
            revoked: None,
            expires,
        };
        self.file.keys.push(record.clone());
        self.save()?;
        Ok((record, key))
    }

    /// Replaces a key with a new one of the same name and scopes; the old key keeps
    /// working for `grace_secs` (or until its own expiry, if sooner) so clients can
    /// switch without an outage. Returns the new record and key.
    pub fn rotate(&mut self, id: &str, grace_secs: u64) -> Result<(KeyRecord, String), GuardError> {
        let now = now();
        let old = self.file.keys.iter().find(|k| k.id == id).ok_or_else(|| GuardError::UnknownKey(id.to_string()))?;
        if old.status(now) != "active" {
            return Err(GuardError::NotActive(id.to_string()));
        }
        let (name, scopes, old_expiry) = (old.name.clone(), old.scopes.clone(), old.expires);
        let grace_end = now.saturating_add(grace_secs);
        if let Some(old) = self.file.keys.iter_mut().find(|k| k.id == id) {
            old.expires = Some(old_expiry.map_or(grace_end, |t| t.min(grace_end)));
        }
        // The new key lives as long as the old one was meant to.
        self.create(&name, &scopes, old_expiry)
    }

    /// Marks a key revoked (the record stays, for the audit trail).
    pub fn revoke(&mut self, id: &str) -> Result<(), GuardError> {
        let record =
            self.file.keys.iter_mut().find(|k| k.id == id).ok_or_else(|| GuardError::UnknownKey(id.to_string()))?;
        if record.revoked.is_some() {
            return Err(GuardError::AlreadyRevoked(id.to_string()));
        }
        record.revoked = Some(now());
        self.save()
    }

    fn save(&self) -> Result<(), GuardError> {
        let json = serde_json::to_vec_pretty(&self.file).expect("key file serializes");
        write_private(&self.path, &json).map_err(|source| GuardError::Io { path: self.path.clone(), source })
    }

    /// An index for checking presented keys, built from the active records.
    pub fn index(&self) -> KeyIndex {
        let mut keys = HashMap::new();
        for r in self.file.keys.iter().filter(|r| r.revoked.is_none()) {
            let Ok(hash) = hex::decode(&r.sha256) else { continue };
            let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) else { continue };
            let scopes = parse_scopes(&r.scopes).unwrap_or_default();
            let identity = Arc::new(Identity { id: format!("key:{}", r.id), name: r.name.clone(), scopes });
            keys.insert(r.id.clone(), ActiveKey { sha256: hash, expires: r.expires, identity });
        }
        KeyIndex { keys }
    }
}

/// Where the server records when each key was last used: beside the key file, in a
/// file of its own, so the server never writes the key file the CLI owns.
pub fn usage_path(keys: &Path) -> PathBuf {
    keys.with_file_name("keys-used.json")
}

/// Key id to the unix second it was last used; empty when nothing was recorded.
pub fn read_usage(path: &Path) -> HashMap<String, u64> {
    std::fs::read(path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

pub fn write_usage(path: &Path, usage: &HashMap<String, u64>) -> std::io::Result<()> {
    let json = serde_json::to_vec(usage).map_err(std::io::Error::other)?;
    write_private(path, &json)
}

/// Takes the exclusive lock on `<path>.lock` (created 0600), held until the file
/// is dropped: writers of one state file (server and CLI) take turns.
pub(crate) fn lock_beside(path: &Path) -> Result<std::fs::File, GuardError> {
    let lock_path = path.with_extension("lock");
    let io = |source| GuardError::Io { path: lock_path.clone(), source };
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(io)?;
    lock.lock().map_err(io)?;
    Ok(lock)
}

/// Writes `bytes` to `path` with mode 0600 through a temporary file and a rename.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

fn parse_scopes(scopes: &[String]) -> Result<Vec<Scope>, String> {
    scopes.iter().map(|s| s.parse()).collect()
}

fn generate() -> Result<(String, String), GuardError> {
    let mut id = [0u8; ID_BYTES];
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut id).map_err(|e| GuardError::Random(e.to_string()))?;
    getrandom::fill(&mut secret).map_err(|e| GuardError::Random(e.to_string()))?;
    let id = hex::encode(id);
    let key = format!("{PREFIX}{id}_{}", hex::encode(secret));
    Ok((id, key))
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Why a presented key was refused. Callers answer every variant with the same
/// 401 so that a client cannot tell an unknown id from a wrong secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRejection {
    Malformed,
    Invalid,
}

/// Active keys by id, for the request path.
#[derive(Debug, Default)]
pub struct KeyIndex {
    keys: HashMap<String, ActiveKey>,
}

#[derive(Debug)]
struct ActiveKey {
    sha256: [u8; 32],
    expires: Option<u64>,
    identity: Arc<Identity>,
}

impl KeyIndex {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The ids of the active keys (never their secrets).
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    pub fn verify(&self, key: &str) -> Result<Arc<Identity>, KeyRejection> {
        self.verify_at(key, now())
    }

    /// `verify` as of `now` (unix seconds): an expired key is refused like a wrong one.
    pub fn verify_at(&self, key: &str, now: u64) -> Result<Arc<Identity>, KeyRejection> {
        let id = key
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .map(|(id, _)| id)
            .filter(|id| id.len() == ID_BYTES * 2)
            .ok_or(KeyRejection::Malformed)?;
        let presented: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        match self.keys.get(id) {
            Some(k) if bool::from(k.sha256.ct_eq(&presented)) && k.expires.is_none_or(|t| now < t) => {
                Ok(k.identity.clone())
            }
            _ => Err(KeyRejection::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, KeyStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open_for_update(&dir.path().join("keys.json")).unwrap();
        (dir, store)
    }

    #[test]
    fn create_verify_revoke() {
        let (_dir, mut store) = store();
        let (record, key) = store.create("ci", &["infer:*".into()], None).unwrap();
        assert!(key.starts_with("wdn_"));
        assert!(!std::fs::read_to_string(store.path()).unwrap().contains(&key));
        let index = store.index();
        let who = index.verify(&key).unwrap();
        assert_eq!(who.id, format!("key:{}", record.id));
        assert_eq!(who.scopes, vec![Scope::InferAll]);

        let mut tampered = key.clone();
        tampered.pop();
        tampered.push(if key.ends_with('0') { '1' } else { '0' });
        assert_eq!(index.verify(&tampered).unwrap_err(), KeyRejection::Invalid);
        assert_eq!(index.verify("wdn_nope").unwrap_err(), KeyRejection::Malformed);
        assert_eq!(index.verify("").unwrap_err(), KeyRejection::Malformed);
        assert_eq!(index.verify("wdn_000000000000_00").unwrap_err(), KeyRejection::Invalid);

        store.revoke(&record.id).unwrap();
        assert!(matches!(store.revoke(&record.id), Err(GuardError::AlreadyRevoked(_))));
        assert_eq!(store.index().verify(&key).unwrap_err(), KeyRejection::Invalid);
        let reopened = KeyStore::open(store.path()).unwrap();
        assert_eq!(reopened.index().verify(&key).unwrap_err(), KeyRejection::Invalid);
    }

    #[test]
    fn expiry_and_rotation() {
        let (_dir, mut store) = store();
        let (record, key) = store.create("batch", &["infer:m".into()], Some(now() + 100)).unwrap();
        let index = store.index();
        assert!(index.verify(&key).is_ok());
        assert_eq!(index.verify_at(&key, now() + 100).unwrap_err(), KeyRejection::Invalid);
        assert_eq!(record.status(now() + 100), "expired");

        let (new_record, new_key) = store.rotate(&record.id, 10).unwrap();
        assert_eq!(new_record.scopes, record.scopes);
        assert_eq!(new_record.expires, Some(record.expires.unwrap()));
        let index = store.index();
        assert!(index.verify(&key).is_ok(), "the old key works during the grace period");
        assert_eq!(index.verify_at(&key, now() + 11).unwrap_err(), KeyRejection::Invalid);
        assert!(index.verify_at(&new_key, now() + 11).is_ok());
        assert!(matches!(store.rotate("nope", 10), Err(GuardError::UnknownKey(_))));
    }

    #[test]
    fn file_is_private() {
        let (_dir, mut store) = store();
        store.create("a", &["admin".into()], None).unwrap();
        let mode = std::fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn rejects_bad_scopes_and_names() {
        let (_dir, mut store) = store();
        assert!(matches!(store.create("a", &["root".into()], None), Err(GuardError::InvalidScope(_))));
        assert!(matches!(store.create("a", &[], None), Err(GuardError::InvalidScope(_))));
        assert!(matches!(store.create("", &["admin".into()], None), Err(GuardError::InvalidName)));
        assert!(matches!(store.revoke("nope"), Err(GuardError::UnknownKey(_))));
        assert!(store.records().is_empty());
    }

    #[test]
    fn corrupt_file_is_an_error() {
        let (dir, _) = store();
        let path = dir.path().join("keys.json");
        std::fs::write(&path, b"{not json").unwrap();
        assert!(matches!(KeyStore::open(&path), Err(GuardError::KeyFile { .. })));
    }
}
