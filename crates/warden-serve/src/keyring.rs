//! The live set of API keys. The key file is re-read when it changes, so
//! `warden keys create` and `warden keys revoke` take effect without a restart; a
//! file that no longer parses is refused with a log line and the old keys stay.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use warden_guard::{KeyIndex, KeyStore};

use crate::filestamp::{Stamp, stamp};

pub struct KeyRing {
    path: PathBuf,
    current: RwLock<Arc<KeyIndex>>,
    stamp: RwLock<Option<Stamp>>,
}

impl KeyRing {
    pub fn new(store: &KeyStore) -> KeyRing {
        KeyRing {
            path: store.path().to_path_buf(),
            current: RwLock::new(Arc::new(store.index())),
            stamp: RwLock::new(stamp(store.path())),
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

    /// Polls the key file until the task is dropped.
    pub async fn watch(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let ring = self.clone();
            let _ = tokio::task::spawn_blocking(move || ring.reload_if_changed()).await;
        }
    }
}
