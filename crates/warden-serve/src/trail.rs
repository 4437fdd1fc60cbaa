//! What one request leaves in the audit log. The request path fills a [`Trail`] as
//! it goes (who, which model, what was decided, how many rows, a digest of the
//! input); the handler turns it into one record when the answer is ready and waits
//! for the record to be on disk before the answer leaves. Never the payload itself.

use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use sha2::{Digest, Sha256};
use warden_observe::audit::{AuditSettings, Event};

use crate::config::ServeConfig;

pub struct Trail {
    pub id: String,
    peer: IpAddr,
    /// The trusted proxy the request came through, when the client is not the peer.
    via: Option<IpAddr>,
    started: Instant,
    route: &'static str,
    /// The caller's identity and how it was proven (`key`, `jwt`, `cert`, `key+cert`).
    caller: Option<(String, &'static str)>,
    model: Option<(String, Option<String>)>,
    /// Why the request was refused before it reached a model.
    denial: Option<Denial>,
    rows: Option<usize>,
    input_digest: Option<String>,
    /// Output hardening applied to the answer.
    output_policy: Option<String>,
}

/// A refusal worth its own kind of record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    /// No credential, a wrong one, or an address throttled for too many wrong ones.
    Auth(&'static str),
    /// An authenticated caller without the scope for this model.
    Access(&'static str),
    /// A rate limit, concurrency cap or row budget.
    Limit(&'static str),
    /// A client the extraction detector blocked.
    Extraction(&'static str),
}

impl Trail {
    pub fn new(peer: IpAddr, route: &'static str) -> Trail {
        Trail {
            id: request_id(),
            peer,
            via: None,
            started: Instant::now(),
            route,
            caller: None,
            model: None,
            denial: None,
            rows: None,
            input_digest: None,
            output_policy: None,
        }
    }

    /// The request reached the server through this trusted proxy (`peer` is the
    /// client its header named).
    pub fn via(&mut self, proxy: IpAddr) {
        if proxy != self.peer {
            self.via = Some(proxy);
        }
    }

    pub fn caller(&mut self, id: &str, method: &'static str) {
        self.caller = Some((id.to_string(), method));
    }

    pub fn model(&mut self, name: &str, version: Option<&str>) {
        self.model = Some((name.to_string(), version.map(String::from)));
    }

    pub fn deny(&mut self, denial: Denial) {
        self.denial = Some(denial);
    }

    pub fn input(&mut self, body: &[u8]) {
        self.input_digest = Some(hex::encode(Sha256::digest(body)));
    }

    pub fn output_policy(&mut self, described: String) {
        self.output_policy = Some(described);
    }

    pub fn rows(&mut self, rows: usize) {
        self.rows = Some(rows);
    }

    /// (model, version) for metrics: empty unless the model exists.
    pub fn into_model_labels(self) -> (String, String) {
        match self.model {
            Some((name, version)) => (name, version.unwrap_or_default()),
            None => (String::new(), String::new()),
        }
    }

    /// The record for this request, answered with `status`.
    pub fn event(&self, status: u16) -> Event {
        let kind = match self.denial {
            Some(Denial::Auth(_)) => "auth_failure",
            Some(Denial::Access(_)) => "access_denied",
            Some(Denial::Limit(_)) => "limit_exceeded",
            Some(Denial::Extraction(_)) => "extraction_denied",
            None if matches!(self.route, "infer" | "predict") => "inference",
            None => "request",
        };
        let reason = self.denial.map(|d| match d {
            Denial::Auth(r) | Denial::Access(r) | Denial::Limit(r) | Denial::Extraction(r) => r,
        });
        let (identity, method) = self.caller.clone().unzip();
        let (model, version) = self.model.clone().unzip();
        let decision = if (200..300).contains(&status) { "allow" } else { "deny" };
        Event::new(kind)
            .with("request_id", self.id.as_str())
            .with("source", self.peer.to_string())
            .with("via", self.via.map(|v| v.to_string()))
            .with("endpoint", self.route)
            .with("identity", identity)
            .with("auth", method)
            .with("model", model)
            .with("version", version.flatten())
            .with("reason", reason)
            .with("decision", decision)
            .with("status", status)
            .with("rows", self.rows)
            .with("input_sha256", self.input_digest.clone())
            .with("output_policy", self.output_policy.clone())
            .with("latency_us", u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX))
    }
}

impl Trail {
    /// The request's log line: 5xx at warn, 4xx at info, the rest at debug (a
    /// busy server answers thousands a second). The caller is pseudonymised
    /// unless `keep_identity`; nothing here is client input but the source
    /// address, which the redactor treats as configured.
    pub fn log(&self, status: u16, keep_identity: bool) {
        // Successes log at debug, off on a busy server: skip the pseudonym's HMAC then.
        if status < 400 && !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
        let caller = self.caller.as_ref().map(|(id, _)| {
            if keep_identity { id.clone() } else { format!("[ID:{}]", warden_observe::redact::global().pseudonym(id)) }
        });
        let model = self.model.as_ref().map(|(name, _)| name.as_str());
        let latency_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        macro_rules! line {
            ($level:expr) => {
                tracing::event!(
                    $level,
                    endpoint = self.route,
                    status,
                    latency_ms,
                    source = %self.peer,
                    caller = caller.as_deref(),
                    model,
                    rows = self.rows,
                    "request"
                )
            };
        }
        match status {
            500.. => line!(tracing::Level::WARN),
            400..=499 => line!(tracing::Level::INFO),
            _ => line!(tracing::Level::DEBUG),
        }
    }
}

/// A request id: unique within a run and not guessable from the previous one's
/// neighbours across runs (a random start), short enough for every log line.
fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        let mut b = [0; 8];
        let _ = getrandom::fill(&mut b);
        u64::from_le_bytes(b)
    });
    format!("{:016x}", start.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)))
}

/// The writer's settings from the server's configuration.
pub fn settings(config: &ServeConfig) -> AuditSettings {
    let a = &config.audit;
    AuditSettings {
        dir: a.dir.clone().unwrap_or_else(|| default_dir(&config.state_dir)),
        max_file_size: a.max_file_size as u64,
        checkpoint_every: a.checkpoint_every as u64,
        checkpoint_interval: a.checkpoint_interval,
        fsync: a.fsync,
        stdout: a.stdout,
        syslog: a.syslog.clone(),
    }
}

pub fn default_dir(state_dir: &Path) -> std::path::PathBuf {
    state_dir.join("audit")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_key_makes_an_auth_failure_record_without_the_key() {
        let mut trail = Trail::new("10.1.2.3".parse().unwrap(), "infer");
        trail.deny(Denial::Auth("invalid"));
        let event = trail.event(401);
        assert_eq!(event.kind(), "auth_failure");
        assert_eq!(event.field("reason").unwrap(), "invalid");
        assert_eq!(event.field("decision").unwrap(), "deny");
        assert!(event.field("identity").is_none());
    }

    #[test]
    fn an_inference_record_holds_a_digest_not_the_input() {
        let mut trail = Trail::new("::1".parse().unwrap(), "infer");
        trail.caller("key:abc", "key");
        trail.model("digits", Some("2"));
        trail.input(b"{\"secret\": 1}");
        trail.rows(4);
        let event = trail.event(200);
        assert_eq!(event.kind(), "inference");
        assert_eq!(event.field("rows").unwrap(), 4);
        let digest = event.field("input_sha256").unwrap().as_str().unwrap();
        assert_eq!(digest.len(), 64);
        assert!(!serde_json::to_string(&event.field("input_sha256")).unwrap().contains("secret"));
    }

    #[test]
    fn request_ids_differ() {
        assert_ne!(request_id(), request_id());
    }
}
