//! Slows down credential guessing: a source that presents `threshold` wrong
//! credentials within `window` is turned away (429) until the window ends, before
//! its credentials are even checked. IPv6 sources count per /64, the block a single
//! host usually holds, so rotating addresses inside it does not reset the count.
//! Memory is bounded: past `max_sources` the entry whose window started first goes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Throttled { retry_after: Duration },
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    window_start: Instant,
    failures: u32,
}

pub struct FailureTracker {
    threshold: u32,
    window: Duration,
    max_sources: usize,
    sources: Mutex<HashMap<IpAddr, Entry>>,
}

/// The key a source is counted under: the address, or its /64 for IPv6.
pub fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

impl FailureTracker {
    pub fn new(threshold: u32, window: Duration, max_sources: usize) -> FailureTracker {
        FailureTracker { threshold, window, max_sources: max_sources.max(1), sources: Mutex::new(HashMap::new()) }
    }

    /// Whether `ip` may try to authenticate now.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Verdict {
        let sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        match sources.get(&source_key(ip)) {
            Some(e) if e.failures >= self.threshold && now < e.window_start + self.window => {
                Verdict::Throttled { retry_after: e.window_start + self.window - now }
            }
            _ => Verdict::Allow,
        }
    }

    /// Counts one failed attempt from `ip`.
    pub fn record_failure(&self, ip: IpAddr, now: Instant) {
        let mut sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        let key = source_key(ip);
        if !sources.contains_key(&key) && sources.len() >= self.max_sources {
            let window = self.window;
            sources.retain(|_, e| now < e.window_start + window);
            if sources.len() >= self.max_sources
                && let Some(oldest) = sources.iter().min_by_key(|(_, e)| e.window_start).map(|(k, _)| *k)
            {
                sources.remove(&oldest);
            }
        }
        let entry = sources.entry(key).or_insert(Entry { window_start: now, failures: 0 });
        if now >= entry.window_start + self.window {
            *entry = Entry { window_start: now, failures: 0 };
        }
        entry.failures = entry.failures.saturating_add(1);
    }

    pub fn tracked_sources(&self) -> usize {
        self.sources.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn throttles_after_threshold_until_the_window_ends() {
        let t = FailureTracker::new(3, MINUTE, 100);
        let start = Instant::now();
        for i in 0..3 {
            assert_eq!(t.check(ip("10.0.0.1"), start), Verdict::Allow, "attempt {i}");
            t.record_failure(ip("10.0.0.1"), start + Duration::from_secs(i));
        }
        let later = start + Duration::from_secs(20);
        assert_eq!(t.check(ip("10.0.0.1"), later), Verdict::Throttled { retry_after: Duration::from_secs(40) });
        assert_eq!(t.check(ip("10.0.0.2"), later), Verdict::Allow);
        assert_eq!(t.check(ip("10.0.0.1"), start + MINUTE), Verdict::Allow);
        // A failure after the window starts a new count.
        t.record_failure(ip("10.0.0.1"), start + MINUTE);
        assert_eq!(t.check(ip("10.0.0.1"), start + MINUTE), Verdict::Allow);
    }

    #[test]
    fn ipv6_counts_per_64() {
        let t = FailureTracker::new(2, MINUTE, 100);
        let now = Instant::now();
        t.record_failure(ip("2001:db8:1:2::1"), now);
        t.record_failure(ip("2001:db8:1:2:ffff::9"), now);
        assert!(matches!(t.check(ip("2001:db8:1:2::77"), now), Verdict::Throttled { .. }));
        assert_eq!(t.check(ip("2001:db8:1:3::1"), now), Verdict::Allow);
        // IPv4-mapped addresses count as their IPv4 address.
        t.record_failure(ip("::ffff:192.0.2.1"), now);
        t.record_failure(ip("192.0.2.1"), now);
        assert!(matches!(t.check(ip("192.0.2.1"), now), Verdict::Throttled { .. }));
    }

    #[test]
    fn memory_is_bounded() {
        let t = FailureTracker::new(5, MINUTE, 10);
        let now = Instant::now();
        for i in 0..1000u32 {
            t.record_failure(IpAddr::V4(i.into()), now + Duration::from_millis(i as u64));
        }
        assert!(t.tracked_sources() <= 10);
    }
}
