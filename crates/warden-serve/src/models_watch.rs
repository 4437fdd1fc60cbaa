//! Watching the model repository: changes on disk (inotify through `notify`)
//! start a reload once the repository has been quiet for `models.reload_delay`,
//! so a copy in progress is not read half-written. What a reload loads still has
//! to verify (signature, scan, parse, warm-up): the delay saves work, the checks
//! keep half-written files out. Where the kernel cannot watch (no inotify
//! instances left, some network file systems), the repository is polled instead.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use warden_model::Scope;

use crate::app::App;

/// How often the watching thread checks whether the server is stopping.
const TICK: Duration = Duration::from_millis(250);
/// How often a repository that cannot be watched is polled.
const POLL: Duration = Duration::from_secs(5);

/// Stops the watching thread when dropped.
pub struct WatchGuard {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts watching `dir`; reloads run on the watching thread, one at a time.
pub fn spawn(app: Arc<App>, dir: PathBuf, delay: Duration) -> WatchGuard {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("warden-models-watch".into())
        .spawn(move || watch(&app, &dir, delay, &flag))
        .map_err(|e| tracing::error!(error = %e, "cannot start the model repository watcher"))
        .ok();
    WatchGuard { stop, thread }
}

fn watch(app: &App, dir: &std::path::Path, delay: Duration, stop: &AtomicBool) {
    let (tx, rx) = channel();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = tx.send(());
        }
    })
    .and_then(|mut w| w.watch(dir, RecursiveMode::Recursive).map(|()| w));
    let _watcher = match watcher {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch the model repository; polling it every 5s instead");
            return poll(app, stop);
        }
    };
    while !stop.load(Ordering::Relaxed) {
        match rx.recv_timeout(TICK) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // Debounce: wait until nothing has changed for `delay`.
        loop {
            match rx.recv_timeout(delay) {
                Ok(()) => continue,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let _ = app.reload_models("file change", Scope::All);
    }
}

fn poll(app: &App, stop: &AtomicBool) {
    let mut waited = Duration::ZERO;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        waited += TICK;
        if waited >= POLL {
            waited = Duration::ZERO;
            let _ = app.reload_models("poll", Scope::All);
        }
    }
}
