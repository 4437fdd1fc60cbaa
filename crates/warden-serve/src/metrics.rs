//! Request counters in the Prometheus text format, served on their own listener
//! (loopback by default) so they never share a port with the inference API.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    in_flight: AtomicI64,
    auth_missing: AtomicU64,
    auth_invalid: AtomicU64,
    auth_throttled: AtomicU64,
    audit_refused: AtomicU64,
}

/// Why a request did not authenticate.
#[derive(Clone, Copy, Debug)]
pub enum AuthFailure {
    Missing,
    Invalid,
    Throttled,
}

impl Metrics {
    pub fn record(&self, endpoint: &'static str, status: u16) {
        let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry((endpoint, status)).or_default() += 1;
    }

    pub fn auth_failure(&self, reason: AuthFailure) {
        let counter = match reason {
            AuthFailure::Missing => &self.auth_missing,
            AuthFailure::Invalid => &self.auth_invalid,
            AuthFailure::Throttled => &self.auth_throttled,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A request refused because its audit record could not be written.
    pub fn audit_failure(&self) {
        self.audit_refused.fetch_add(1, Ordering::Relaxed);
    }

    pub fn enter(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP warden_build_info Warden version.\n# TYPE warden_build_info gauge\n");
        let _ = writeln!(out, "warden_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        out.push_str("# HELP warden_http_requests_total HTTP requests answered, by endpoint and status code.\n");
        out.push_str("# TYPE warden_http_requests_total counter\n");
        for ((endpoint, code), n) in self.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "warden_http_requests_total{{endpoint=\"{endpoint}\",code=\"{code}\"}} {n}");
        }
        out.push_str("# HELP warden_auth_failures_total Requests refused authentication, by reason.\n");
        out.push_str("# TYPE warden_auth_failures_total counter\n");
        for (reason, n) in
            [("missing", &self.auth_missing), ("invalid", &self.auth_invalid), ("throttled", &self.auth_throttled)]
        {
            let _ = writeln!(out, "warden_auth_failures_total{{reason=\"{reason}\"}} {}", n.load(Ordering::Relaxed));
        }
        out.push_str("# HELP warden_audit_write_failures_total Requests whose audit record could not be written.\n");
        out.push_str("# TYPE warden_audit_write_failures_total counter\n");
        let _ = writeln!(out, "warden_audit_write_failures_total {}", self.audit_refused.load(Ordering::Relaxed));
        out.push_str("# HELP warden_http_requests_in_flight Requests being handled now.\n");
        out.push_str("# TYPE warden_http_requests_in_flight gauge\n");
        let _ = writeln!(out, "warden_http_requests_in_flight {}", self.in_flight.load(Ordering::Relaxed));
        out
    }
}

pub struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}
