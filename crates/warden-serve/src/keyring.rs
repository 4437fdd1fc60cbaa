//! The live set of API keys. The key file is re-read when it changes, so
//! `warden keys create` and `warden keys revoke` take effect without a restart; a
//! file that no longer parses is refused with a log line and the old keys stay.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use warden_guard::{KeyIndex, KeyStore, read_usage, usage_path, write_usage};
use warden_observe::audit::{AuditLog, Event};

use crate::filestamp::{Stamp, stamp};

pub struct KeyRing {
    path: PathBuf,
    current: RwLock<Arc<KeyIndex>>,
    stamp: RwLock<Option<Stamp>>,
    /// Key id to the unix second of its last use, written out every few seconds.
    used: Mutex<HashMap<String, u64>>,
    dirty: AtomicBool,
    audit: Arc<AuditLog>,
}

/// How many polls pass between two writes of the last-used file.
const FLUSH_EVERY: u32 = 10;

impl KeyRing {
    pub fn new(store: &KeyStore, audit: Arc<AuditLog>) -> KeyRing {
        KeyRing {
            path: store.path().to_path_buf(),
            current: RwLock::new(Arc::new(store.index())),
            stamp: RwLock::new(stamp(store.path())),
            used: Mutex::new(read_usage(&usage_path(store.path()))),
            dirty: AtomicBool::new(false),
            audit,
        }
    }

    /// Notes that key `id` was just used.
    pub fn touch(&self, id: &str) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if used.get(id) != Some(&now) {
            used.insert(id.to_string(), now);
            self.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// Writes the last-used times when they changed; a failed write is logged and
    /// retried at the next flush.
    pub fn flush(&self) {
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return;
        }
        let snapshot = self.used.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let path = usage_path(&self.path);
        if let Err(e) = write_usage(&path, &snapshot) {
            self.dirty.store(true, Ordering::Relaxed);
            tracing::warn!(path = %path.display(), error = %e, "cannot record when keys were last used");
        }
    }

    pub fn current(&self) -> Arc<KeyIndex> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reloads when the file's modification time, size or inode changed.
    pub fn reload_if_changed(&self) {
        let now = stamp(&self.path);
        if now == *self.stamp.read().unwrap_or_else(|e| e.into_inner()) {
            return;
        }
        *self.stamp.write().unwrap_or_else(|e| e.into_inner()) = now;
        self.reload();
    }

    /// Re-reads the key file now (SIGHUP); a broken file leaves the old keys in place.
    pub fn reload(&self) {
        match KeyStore::open(&self.path) {
            Ok(store) => {
                let index = store.index();
                tracing::info!(active_keys = index.len(), "reloaded API keys");
                let old =
                    std::mem::replace(&mut *self.current.write().unwrap_or_else(|e| e.into_inner()), Arc::new(index));
                self.audit.record_detached(key_changes(&old, &self.current()));
            }
            Err(e) => {
                tracing::error!(error = %e, "key file changed but cannot be loaded; keeping the previous keys");
                self.audit.record_detached(Event::new("keys_reload_refused").with("error", e.to_string()));
            }
        }
    }

    /// Polls the key file, and writes last-used times, until the task is dropped.
    pub async fn watch(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        for round in 1u32.. {
            tick.tick().await;
            let ring = self.clone();
            let _ = tokio::task::spawn_blocking(move || {
                ring.reload_if_changed();
                if round % FLUSH_EVERY == 0 {
                    ring.flush();
                }
            })
            .await;
        }
    }
}

/// The audit record of a key file change: which key ids came and went.
fn key_changes(old: &KeyIndex, new: &KeyIndex) -> Event {
    let before: BTreeSet<&str> = old.ids().collect();
    let after: BTreeSet<&str> = new.ids().collect();
    let added: Vec<&str> = after.difference(&before).copied().collect();
    let removed: Vec<&str> = before.difference(&after).copied().collect();
    Event::new("keys_reloaded").with("active", after.len()).with("added", added).with("removed", removed)
}
