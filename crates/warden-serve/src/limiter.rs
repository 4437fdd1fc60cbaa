//! Rate limits, concurrency caps and row budgets on the request path. The
//! decisions are warden-guard's; this module picks the policy that applies (the
//! server's, the model's, the identity's), turns refusals into 429 answers with
//! `Retry-After` and the IETF `RateLimit-Policy` / `RateLimit` headers, and keeps
//! the budget file up to date.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderName, HeaderValue, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use warden_guard::limits::{BudgetDecision, Limit, LimitPolicy, LimitState, Limits, MemoryState, Period, RateDecision};
use warden_guard::source_key;

use crate::reply::ApiError;

pub struct Limiter {
    /// No level sets any limit: decided at start and again when models reload.
    off: AtomicBool,
    /// The decisions go through the trait; the in-memory store also saves budgets.
    state: Arc<dyn LimitState>,
    memory: Arc<MemoryState>,
    server: LimitPolicy,
    identities: BTreeMap<String, LimitPolicy>,
    /// Each model's own `[limits]`, replaced whole when models reload.
    models: RwLock<HashMap<String, LimitPolicy>>,
    started: Instant,
    in_flight: Mutex<HashMap<String, Arc<Semaphore>>>,
    budgets_path: PathBuf,
}

/// A request let through: the limits it is held to, the headers that tell the
/// client where it stands, and its place in the identity's concurrency cap.
pub struct Admitted {
    pub limits: Limits,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    _permit: Option<OwnedSemaphorePermit>,
}

/// A refusal: why (for the audit record and metrics) and the answer.
pub struct Refusal {
    pub reason: &'static str,
    pub error: ApiError,
}

const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

fn limits_nothing(
    server: &LimitPolicy,
    identities: &BTreeMap<String, LimitPolicy>,
    models: &HashMap<String, LimitPolicy>,
) -> bool {
    server.limits_nothing()
        && identities.values().all(|p| server.with(p).limits_nothing())
        && models.values().all(|p| server.with(p).limits_nothing())
}

impl Limiter {
    pub fn new(
        state: MemoryState,
        budgets_path: PathBuf,
        server: LimitPolicy,
        identities: BTreeMap<String, LimitPolicy>,
        models: HashMap<String, LimitPolicy>,
    ) -> Limiter {
        let memory = Arc::new(state);
        let off = AtomicBool::new(limits_nothing(&server, &identities, &models));
        Limiter {
            off,
            state: memory.clone(),
            memory,
            server,
            identities,
            models: RwLock::new(models),
            started: Instant::now(),
            in_flight: Mutex::new(HashMap::new()),
            budgets_path,
        }
    }

    /// The server's limits in one line, for the start banner: what holds every
    /// identity on every model unless a model or identity sets its own.
    pub fn describe(&self) -> String {
        let l = self.server.resolve();
        let rate = |limit: Option<Limit>| match limit {
            Some(l) => format!("{} (burst {})", l.rate, l.burst),
            None => "off".into(),
        };
        let count = |n: Option<u64>| n.map_or("off".to_string(), |n| n.to_string());
        let mut line = format!(
            "per identity and model {}, {} rows/day, {} rows/month, concurrency {}; per address {}",
            rate(l.identity),
            count(l.budget.daily_rows),
            count(l.budget.monthly_rows),
            count(l.concurrency.map(u64::from)),
            rate(l.address),
        );
        let models = self.models.read().unwrap_or_else(|e| e.into_inner());
        let mut own: Vec<&str> = models.keys().map(String::as_str).collect();
        own.sort_unstable();
        if !own.is_empty() {
            line.push_str(&format!("; models with their own [limits]: {}", own.join(", ")));
        }
        if !self.identities.is_empty() {
            line.push_str(&format!("; {} identities with their own", self.identities.len()));
        }
        line
    }

    /// True when no level sets any limit: the checks are skipped entirely.
    pub fn is_off(&self) -> bool {
        self.off.load(Ordering::Relaxed)
    }

    /// Takes the `[limits]` of a reloaded set of models.
    pub fn set_models(&self, models: HashMap<String, LimitPolicy>) {
        let off = limits_nothing(&self.server, &self.identities, &models);
        *self.models.write().unwrap_or_else(|e| e.into_inner()) = models;
        self.off.store(off, Ordering::Relaxed);
    }

    /// The rate and concurrency checks, before the body is read.
    pub fn admit(&self, identity: &str, peer: IpAddr, model: &str) -> Result<Admitted, Refusal> {
        let mut policy = self.server;
        if let Some(m) = self.models.read().unwrap_or_else(|e| e.into_inner()).get(model) {
            policy = policy.with(m);
        }
        if let Some(i) = self.identities.get(identity) {
            policy = policy.with(i);
        }
        let limits = policy.resolve();
        let now = self.started.elapsed();
        let mut headers = Vec::new();
        if let Some(limit) = limits.address {
            let key = format!("a:{}/{model}", source_key(peer));
            if let RateDecision::Deny { retry_after } = self.state.take(&key, now, limit) {
                return Err(too_many(
                    "address_rate",
                    "too many requests from this address for this model",
                    retry_after,
                    "address",
                    limit.burst,
                    window(limit),
                ));
            }
        }
        if let Some(limit) = limits.identity {
            let key = format!("i:{identity}/{model}");
            match self.state.take(&key, now, limit) {
                RateDecision::Deny { retry_after } => {
                    return Err(too_many(
                        "identity_rate",
                        "rate limit for this model exceeded",
                        retry_after,
                        "identity",
                        limit.burst,
                        window(limit),
                    ));
                }
                RateDecision::Allow { remaining, reset } => {
                    headers.push((POLICY, policy_value("identity", limit.burst, window(limit))));
                    headers.push((RATELIMIT, status_value("identity", remaining, reset)));
                }
            }
        }
        let permit = match limits.concurrency {
            Some(cap) => Some(self.enter(identity, cap)?),
            None => None,
        };
        Ok(Admitted { limits, headers, _permit: permit })
    }

    /// The tight rate a client flagged for extraction (action "throttle") is held to.
    pub fn throttle(&self, identity: &str, model: &str, limit: Limit) -> Result<(), Refusal> {
        let key = format!("x:{identity}/{model}");
        match self.state.take(&key, self.started.elapsed(), limit) {
            RateDecision::Allow { .. } => Ok(()),
            RateDecision::Deny { retry_after } => Err(too_many(
                "extraction_throttle",
                "this identity is throttled on this model after suspected model extraction",
                retry_after,
                "extraction",
                limit.burst,
                window(limit),
            )),
        }
    }

    /// Spends the request's rows from its budgets, once the rows are known.
    pub fn spend(&self, identity: &str, model: &str, rows: usize, admitted: &Admitted) -> Result<(), Refusal> {
        let budget = admitted.limits.budget;
        if budget.is_unlimited() {
            return Ok(());
        }
        match self.state.spend(identity, model, rows as u64, SystemTime::now(), budget) {
            BudgetDecision::Allow => Ok(()),
            BudgetDecision::Deny { period, limit, resets_at } => {
                let (reason, name) = match period {
                    Period::Day => ("daily_budget", "daily"),
                    Period::Month => ("monthly_budget", "monthly"),
                };
                let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
                let wait = Duration::from_secs(resets_at.saturating_sub(now).max(1) as u64);
                let at = humantime::format_rfc3339_seconds(
                    SystemTime::UNIX_EPOCH + Duration::from_secs(resets_at.max(0) as u64),
                );
                let message = if rows as u64 > limit {
                    format!("this request has {rows} rows, more than the {name} budget of {limit} rows for this model")
                } else {
                    format!("the {name} budget of {limit} rows for this model is spent; it resets at {at}")
                };
                let error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, message)
                    .with_header(http::header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
                Err(Refusal { reason, error })
            }
        }
    }

    fn enter(&self, identity: &str, cap: u32) -> Result<OwnedSemaphorePermit, Refusal> {
        let semaphore = {
            let mut map = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() > 100_000 {
                // Identities with nothing in flight hold no state worth keeping.
                map.retain(|_, s| s.available_permits() < cap as usize || Arc::strong_count(s) > 1);
            }
            map.entry(identity.to_string()).or_insert_with(|| Arc::new(Semaphore::new(cap as usize))).clone()
        };
        semaphore.try_acquire_owned().map_err(|_| Refusal {
            reason: "concurrency",
            error: ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("this identity already has {cap} requests in flight; wait for one to finish"),
            )
            .with_header(http::header::RETRY_AFTER, HeaderValue::from(1u32)),
        })
    }

    /// Writes changed budgets to the state dir; called every second and at shutdown.
    pub fn save(&self) {
        if let Err(e) = self.memory.save(&self.budgets_path) {
            tracing::error!(path = %self.budgets_path.display(), error = %e, "cannot save query budgets; will retry");
        }
    }
}

fn window(limit: Limit) -> Duration {
    limit.rate.interval() * limit.burst
}

fn secs_up(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn policy_value(name: &str, quota: u32, window: Duration) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{name}\";q={quota};w={}", secs_up(window).max(1)))
        .unwrap_or(HeaderValue::from_static(""))
}

fn status_value(name: &str, remaining: u32, reset: Duration) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{name}\";r={remaining};t={}", secs_up(reset)))
        .unwrap_or(HeaderValue::from_static(""))
}

fn too_many(
    reason: &'static str,
    message: &str,
    retry_after: Duration,
    name: &str,
    quota: u32,
    window: Duration,
) -> Refusal {
    let wait = secs_up(retry_after).max(1);
    let error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, format!("{message}; retry in {wait} s"))
        .with_header(http::header::RETRY_AFTER, HeaderValue::from(wait))
        .with_header(POLICY, policy_value(name, quota, window))
        .with_header(RATELIMIT, status_value(name, 0, retry_after));
    Refusal { reason, error }
}
