//! The live set of API keys. The key file is re-read when it changes, so
//! `warden keys create` and `warden keys revoke` take effect without a restart; a
//! file that no longer parses is refused with a log line and the old keys stay.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use warden_guard::{KeyIndex, KeyStore, read_usage, usage_path, write_usage};

use crate::filestamp::{Stamp, stamp};

pub struct KeyRing {
    path: PathBuf,
    current: RwLock<Arc<KeyIndex>>,
    stamp: RwLock<Option<Stamp>>,
    /// Key id to the unix second of its last use, written out every few seconds.
    used: Mutex<HashMap<String, u64>>,
    dirty: AtomicBool,
}

/// How many polls pass between two writes of the last-used file.
const FLUSH_EVERY: u32 = 10;

impl KeyRing {
    pub fn new(store: &KeyStore) -> KeyRing {
        KeyRing {
            path: store.path().to_path_buf(),
            current: RwLock::new(Arc::new(store.index())),
            stamp: RwLock::new(stamp(store.path())),
            used: Mutex::new(read_usage(&usage_path(store.path()))),
            dirty: AtomicBool::new(false),
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
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(index);
            }
            Err(e) => tracing::error!(error = %e, "key file changed but cannot be loaded; keeping the previous keys"),
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
