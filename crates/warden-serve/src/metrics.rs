//! The server's metrics (prometheus-client, OpenMetrics text), served on their own
//! listener (loopback by default) so they never share a port with the inference
//! API. Label values are chosen by the server, never by a client: a model label
//! is set only for a model that exists, so a client cannot grow the series.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use warden_observe::audit::Stats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    model: String,
    version: String,
    code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    reason: &'static str,
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectLabels {
    model: String,
    step: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// Why a request did not authenticate.
#[derive(Clone, Copy, Debug)]
pub enum AuthFailure {
    Missing,
    Invalid,
    Throttled,
}

impl AuthFailure {
    fn label(self) -> &'static str {
        match self {
            AuthFailure::Missing => "missing",
            AuthFailure::Invalid => "invalid",
            AuthFailure::Throttled => "throttled",
        }
    }
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<EndpointLabels, Histogram>,
    model_seconds: Family<ModelLabels, Histogram>,
    in_flight: Gauge,
    auth_failures: Family<ReasonLabels, Counter>,
    access_denied: Family<ReasonLabels, Counter>,
    audit_refused: Counter,
    models_loaded: Family<ModelLabels, Gauge>,
    models_rejected: Family<RejectLabels, Counter>,
    limit_refusals: Family<LimitLabels, Counter>,
    extraction_alerts: Family<ActionLabels, Counter>,
    connections_open: Gauge,
    connections_closed: Family<ReasonLabels, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    model: String,
    action: &'static str,
    /// The signal that flagged: prada, sweep, out_of_range, volume, off_manifold.
    signal: &'static str,
}

/// 0.5 ms to about 8 s, doubling: inference on small models sits at the low end,
/// deadline hits at the high end.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Metrics {
    /// `audit` is the audit writer's own counters, exposed as they are.
    pub fn new(audit: &Stats) -> Metrics {
        let mut registry = Registry::with_prefix("warden");
        let build = Family::<BuildLabels, Gauge>::default();
        build.get_or_create(&BuildLabels { version: env!("CARGO_PKG_VERSION") }).set(1);
        registry.register("build_info", "Warden version", build);
        let requests = Family::default();
        registry.register(
            "http_requests",
            "API requests answered, by endpoint, model, version and status code",
            requests.clone(),
        );
        let request_seconds = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from routing to the answer, audit write included",
            Unit::Seconds,
            request_seconds.clone(),
        );
        let model_seconds = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register_with_unit(
            "model_inference_duration",
            "Time a model took to run, queueing for a worker included",
            Unit::Seconds,
            model_seconds.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("http_requests_in_flight", "Requests being handled now", in_flight.clone());
        let auth_failures = Family::default();
        registry.register("auth_failures", "Requests refused authentication, by reason", auth_failures.clone());
        let access_denied = Family::default();
        registry.register(
            "access_denied",
            "Authenticated requests refused a model, by reason (hidden, forbidden, require_both)",
            access_denied.clone(),
        );
        let audit_refused = Counter::default();
        registry.register(
            "audit_refused_requests",
            "Requests answered 503 because their audit record could not be written",
            audit_refused.clone(),
        );
        registry.register("audit_records", "Records written to the audit log", audit.records.clone());
        registry.register("audit_write_errors", "Audit records that could not be written", audit.write_errors.clone());
        let models_loaded = Family::default();
        registry.register("model_loaded", "1 for each model version loaded and served", models_loaded.clone());
        let models_rejected = Family::default();
        registry.register(
            "model_rejected",
            "Model versions kept out, by model and failed step (config, signature, scan, load, warm_up)",
            models_rejected.clone(),
        );
        let limit_refusals = Family::default();
        registry.register(
            "limit_refusals",
            "Requests answered 429 by a limit, by reason (identity_rate, address_rate, concurrency, daily_budget, monthly_budget) and model",
            limit_refusals.clone(),
        );
        let extraction_alerts = Family::default();
        registry.register(
            "extraction_alerts",
            "Clients flagged by the extraction detector, by model, the action taken (alert, degrade, throttle, block) and the signal that flagged",
            extraction_alerts.clone(),
        );
        let connections_open = Gauge::default();
        registry.register("connections_open", "API connections open now", connections_open.clone());
        let connections_closed = Family::default();
        registry.register(
            "connections_closed",
            "API connections the server closed on its own, by reason (idle, handshake_timeout, evicted: closed to make room at http.max_connections, refused: a new one turned away at the cap)",
            connections_closed.clone(),
        );
        Metrics {
            connections_open,
            connections_closed,
            extraction_alerts,
            limit_refusals,
            registry,
            requests,
            request_seconds,
            model_seconds,
            in_flight,
            auth_failures,
            access_denied,
            audit_refused,
            models_loaded,
            models_rejected,
        }
    }

    pub fn model_loaded(&self, model: &str, version: &str) {
        self.models_loaded.get_or_create(&ModelLabels { model: model.into(), version: version.into() }).set(1);
    }

    pub fn model_unloaded(&self, model: &str, version: &str) {
        self.models_loaded.remove(&ModelLabels { model: model.into(), version: version.into() });
    }

    pub fn model_rejected(&self, model: &str, step: &'static str) {
        self.models_rejected.get_or_create(&RejectLabels { model: model.into(), step }).inc();
    }

    /// One answered request. `model` is empty unless the request named a model
    /// that exists.
    pub fn record(&self, endpoint: &'static str, (model, version): (String, String), code: u16, seconds: f64) {
        let labels = RequestLabels { endpoint, model, version, code };
        self.requests.get_or_create(&labels).inc();
        self.request_seconds.get_or_create(&EndpointLabels { endpoint }).observe(seconds);
    }

    pub fn model_run(&self, model: &str, version: &str, seconds: f64) {
        self.model_seconds
            .get_or_create(&ModelLabels { model: model.into(), version: version.into() })
            .observe(seconds);
    }

    pub fn auth_failure(&self, reason: AuthFailure) {
        self.auth_failures.get_or_create(&ReasonLabels { reason: reason.label() }).inc();
    }

    pub fn access_denied(&self, reason: &'static str) {
        self.access_denied.get_or_create(&ReasonLabels { reason }).inc();
    }

    pub fn extraction_alert(&self, model: &str, action: &'static str, signal: &'static str) {
        self.extraction_alerts.get_or_create(&ActionLabels { model: model.into(), action, signal }).inc();
    }

    pub fn limit_refused(&self, reason: &'static str, model: &str) {
        self.limit_refusals.get_or_create(&LimitLabels { reason, model: model.into() }).inc();
    }

    /// A request refused because its audit record could not be written.
    pub fn audit_failure(&self) {
        self.audit_refused.inc();
    }

    pub fn connection_closed(&self, reason: &'static str) {
        self.connections_closed.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// Counts a connection as open until the guard drops.
    pub fn connection_opened(&self) -> OpenConnection {
        self.connections_open.inc();
        OpenConnection(self.connections_open.clone())
    }

    pub fn enter(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(self)
    }

    /// The OpenMetrics text of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

pub struct InFlight<'a>(&'a Metrics);

pub struct OpenConnection(Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

/// The scrape answer: OpenMetrics for a scraper that asks for it (Prometheus
/// does), else the classic text format (0.0.4) that older tools and
/// `promtool check metrics` read.
pub fn exposition(metrics: &Metrics, headers: &http::HeaderMap) -> (&'static str, String) {
    let text = metrics.render();
    let wants_openmetrics = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/openmetrics-text"));
    if wants_openmetrics {
        ("application/openmetrics-text; version=1.0.0; charset=utf-8", text)
    } else {
        ("text/plain; version=0.0.4; charset=utf-8", classic(&text))
    }
}

/// OpenMetrics text to the classic format: counters are named with their
/// `_total` in HELP and TYPE, and the `# UNIT` and `# EOF` lines go.
fn classic(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> =
        openmetrics.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "].into_iter().find(|p| line.starts_with(p));
        match meta {
            Some(prefix) => {
                let rest = &line[prefix.len()..];
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                let suffix = if counters.contains(name) { "_total" } else { "" };
                out.push_str(&format!("{prefix}{name}{suffix} {tail}"));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_text_names_counters_with_total_and_drops_openmetrics_lines() {
        let om = "# HELP warden_x Things.\n# TYPE warden_x counter\nwarden_x_total 3\n# HELP warden_d D.\n# TYPE warden_d histogram\n# UNIT warden_d seconds\nwarden_d_count 1\n# EOF\n";
        let text = classic(om);
        assert_eq!(
            text,
            "# HELP warden_x_total Things.\n# TYPE warden_x_total counter\nwarden_x_total 3\n# HELP warden_d D.\n# TYPE warden_d histogram\nwarden_d_count 1\n"
        );
    }
}
