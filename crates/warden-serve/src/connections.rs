//! The open connections: what each is doing, and who goes when the cap is reached.
//!
//! A connection is *idle* while it has no request in flight, from the moment its
//! TCP socket is accepted (before the TLS handshake) or its last answer was sent.
//! An idle connection is closed after `http.read_timeout`, whatever the protocol,
//! so silent sockets (a finished handshake with nothing after it, an HTTP/2
//! connection that only answers pings) cannot pile up. When every slot is taken,
//! a new connection evicts the connection that has been idle longest, the way
//! nginx reuses keep-alive connections when it runs out: a flood of idle sockets
//! then costs the flooder its own sockets, not other clients their service.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// How long a new connection at the cap waits for an evicted one to free its slot.
const EVICTION_WAIT: Duration = Duration::from_millis(200);

pub struct Connections {
    permits: Arc<Semaphore>,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    epoch: Instant,
}

/// One open connection's state, shared between its task and the registry.
pub struct Conn {
    busy: AtomicUsize,
    /// Milliseconds from the registry's epoch to when the connection last became idle.
    idle_since: AtomicU64,
    evict: Notify,
    epoch: Instant,
}

/// A connection's place under the cap; dropping it frees the place.
pub struct Slot {
    id: u64,
    pub conn: Arc<Conn>,
    registry: Arc<Connections>,
    _permit: OwnedSemaphorePermit,
}

/// A new connection's slot and how it got it, or why there was none.
pub enum Admission {
    /// A slot was free.
    Free(Slot),
    /// The idlest connection was closed to make room.
    Evicted(Slot),
    /// Every slot holds a connection with a request in flight.
    Full,
}

impl Connections {
    pub fn new(max: usize) -> Arc<Connections> {
        Arc::new(Connections {
            permits: Arc::new(Semaphore::new(max.max(1))),
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            epoch: Instant::now(),
        })
    }

    /// A slot for a connection just accepted. At the cap the longest-idle connection
    /// is told to close, and this one waits briefly for its slot.
    pub async fn admit(self: &Arc<Self>) -> Admission {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Admission::Free(self.register(permit));
        }
        if !self.evict_idlest() {
            return Admission::Full;
        }
        match tokio::time::timeout(EVICTION_WAIT, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Admission::Evicted(self.register(permit)),
            _ => Admission::Full,
        }
    }

    #[cfg(test)]
    fn open_count(&self) -> usize {
        self.open.lock().map(|m| m.len()).unwrap_or(0)
    }

    fn register(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Slot {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            busy: AtomicUsize::new(0),
            idle_since: AtomicU64::new(millis(self.epoch)),
            evict: Notify::new(),
            epoch: self.epoch,
        });
        if let Ok(mut open) = self.open.lock() {
            open.insert(id, conn.clone());
        }
        Slot { id, conn, registry: self.clone(), _permit: permit }
    }

    /// Tells the connection idle the longest to close; false when none is idle.
    fn evict_idlest(&self) -> bool {
        let Ok(open) = self.open.lock() else { return false };
        let idlest = open
            .values()
            .filter(|c| c.busy.load(Ordering::Acquire) == 0)
            .min_by_key(|c| c.idle_since.load(Ordering::Acquire));
        match idlest {
            Some(conn) => {
                // `notify_one` stores the wake-up if the task is not waiting yet.
                conn.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.registry.open.lock() {
            open.remove(&self.id);
        }
    }
}

fn millis(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl Conn {
    /// Marks a request in flight until the returned guard (and the answer body it
    /// travels with) is dropped.
    pub fn enter(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }

    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Acquire) > 0
    }

    /// How long the connection has had nothing in flight; zero while busy.
    pub fn idle_for(&self) -> Duration {
        if self.is_busy() {
            return Duration::ZERO;
        }
        let since = self.idle_since.load(Ordering::Acquire);
        Duration::from_millis(millis(self.epoch).saturating_sub(since))
    }

    /// Completes when the registry asks this connection to make room.
    pub async fn evicted(&self) {
        self.evict.notified().await
    }
}

/// A request in flight on its connection.
pub struct Busy(Arc<Conn>);

impl Drop for Busy {
    fn drop(&mut self) {
        let conn = &self.0;
        conn.idle_since.store(millis(conn.epoch), Ordering::Release);
        conn.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer body that keeps its request counted as in flight until the last
/// byte is handed to the connection, so a slow reader of a large answer is never
/// taken for an idle connection.
pub struct Tracked<B> {
    inner: B,
    busy: Option<Busy>,
}

impl<B> Tracked<B> {
    pub fn new(inner: B, busy: Busy) -> Tracked<B> {
        Tracked { inner, busy: Some(busy) }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Tracked<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) {
            self.busy = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_registry_evicts_the_longest_idle_connection() {
        let registry = Connections::new(2);
        let Admission::Free(first) = registry.admit().await else { panic!("a slot was free") };
        tokio::time::sleep(Duration::from_millis(5)).await;
        let Admission::Free(second) = registry.admit().await else { panic!("a slot was free") };
        // The first is evicted: it has been idle longer.
        let waiter = tokio::spawn({
            let conn = first.conn.clone();
            async move { conn.evicted().await }
        });
        let third = tokio::spawn({
            let registry = registry.clone();
            async move { registry.admit().await }
        });
        waiter.await.unwrap();
        drop(first);
        let third = third.await.unwrap();
        assert!(matches!(third, Admission::Evicted(_)));
        assert_eq!(registry.open_count(), 2);
        drop(second);
    }

    #[tokio::test]
    async fn busy_connections_are_never_evicted() {
        let registry = Connections::new(1);
        let Admission::Free(only) = registry.admit().await else { panic!("a slot was free") };
        let _busy = only.conn.enter();
        assert_eq!(only.conn.idle_for(), Duration::ZERO);
        assert!(matches!(registry.admit().await, Admission::Full));
    }

    #[tokio::test]
    async fn idleness_restarts_when_the_last_request_ends() {
        let registry = Connections::new(1);
        let Admission::Free(slot) = registry.admit().await else { panic!("a slot was free") };
        let conn = slot.conn.clone();
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(conn.idle_for() >= Duration::from_millis(30));
        drop(conn.enter());
        assert!(conn.idle_for() < Duration::from_millis(30));
    }
}
