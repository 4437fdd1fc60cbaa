//! The request path. A handler reads as the list in DESIGN.md: limits,
//! authenticate, authorize, decode and check, run, answer.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use rustls_pki_types::CertificateDer;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::Instrument;
use warden_guard::extraction::Response;
use warden_guard::{Action, Decision, FailureTracker, Identity, JwtRejection, Scope, Verdict, authorize};
use warden_model::{Model, Repository};
use warden_observe::audit::{AuditLog, Event};

use crate::catalog::Catalog;
use crate::config::{HttpLimits, ServeConfig};
use crate::detect::{Detection, Raised, Standing};
use crate::keyring::KeyRing;
use crate::limiter::{Admitted, Limiter, Refusal};
use crate::metrics::{AuthFailure, Metrics};
use crate::models::ModelStore;
use crate::output::{self, OutputPolicy};
use crate::pool::InferencePool;
use crate::protocol::{v1, v2};
use crate::reload::Live;
use crate::reply::{ApiError, Reply, add_security_headers, json};
use crate::routes::{Route, route};
use crate::trail::{Denial, Trail};

pub struct App {
    /// The models served now, and how to reload them.
    pub models: ModelStore,
    pub keys: Arc<KeyRing>,
    pub limits: HttpLimits,
    pub metrics: Metrics,
    pub tls: bool,
    in_flight: Semaphore,
    pool: InferencePool,
    failures: FailureTracker,
    /// Certificates, identities and JWT keys, swapped whole on reload.
    pub live: Live,
    /// Woken when a token names an unknown `kid`: the reloader may fetch keys again.
    pub jwks_stale: tokio::sync::Notify,
    pub audit: Arc<AuditLog>,
    /// Refuse requests whose audit record cannot be written (the default).
    audit_fail_closed: bool,
    /// Caller identities in log lines as they are (else pseudonymised).
    log_identities: bool,
    /// Debugging only: request bodies at debug level, redacted.
    log_payloads: bool,
    pub limiter: Limiter,
    pub detection: Arc<Detection>,
    /// Whose forwarding header names the client (`[http] trusted_proxies`).
    proxies: crate::proxy::TrustedProxies,
}

/// Who a request proved to be: by API key, by client certificate, or both.
pub struct Caller {
    /// The key's identity when one was sent, else the certificate's.
    primary: Arc<Identity>,
    key: Option<Arc<Identity>>,
    cert: Option<Arc<Identity>>,
}

/// Requests with at most this many rows are fed to the extraction detector inline.
const INLINE_ROWS: usize = 8;

/// Addresses whose failed attempts are remembered at once; past that the oldest go.
const MAX_TRACKED_SOURCES: usize = 100_000;

/// What a server is built from, each part loaded and checked by `prepare`.
pub struct Parts {
    pub models: ModelStore,
    pub keys: Arc<KeyRing>,
    pub live: Live,
    pub audit: Arc<AuditLog>,
    pub limiter: Limiter,
    pub detection: Arc<Detection>,
}

impl App {
    pub fn new(parts: Parts, config: &ServeConfig, threads: usize) -> App {
        let Parts { models, keys, live, audit, limiter, detection } = parts;
        let tls = !config.insecure_http;
        let limits = config.http.clone();
        let max_failures = u32::try_from(config.auth.max_failures).unwrap_or(u32::MAX);
        App {
            in_flight: Semaphore::new(limits.max_in_flight),
            pool: InferencePool::new(threads),
            metrics: metrics(&models.current.get().repo, &audit),
            failures: FailureTracker::new(max_failures, config.auth.failure_window, MAX_TRACKED_SOURCES),
            live,
            jwks_stale: tokio::sync::Notify::new(),
            audit,
            audit_fail_closed: config.audit.fail_closed,
            log_identities: config.log.identities == "keep",
            log_payloads: config.log.payloads,
            limiter,
            detection,
            models,
            keys,
            limits,
            tls,
            proxies: config.proxies.clone(),
        }
    }

    /// The name a verified client certificate speaks for; `None` for a certificate
    /// that names nothing usable. Scopes are looked up per request, so a reloaded
    /// identities file applies to connections already open.
    pub fn cert_name(&self, cert: &CertificateDer<'_>) -> Option<Arc<str>> {
        crate::client_cert::identity_name(cert).map(Arc::from)
    }

    /// Answers one request. Never fails: every error is already an HTTP answer.
    pub async fn handle(&self, req: Request<Incoming>, peer: IpAddr, cert: Option<Arc<str>>) -> Reply {
        let _in_flight = self.metrics.enter();
        let started = std::time::Instant::now();
        let (head, body) = req.into_parts();
        let proxy = peer;
        // The client behind a trusted proxy; anyone else's forwarding headers are ignored.
        let peer = self.proxies.client(peer, &head.headers);
        let mut body = Some(body);
        let mut model_labels = (String::new(), String::new());
        let routed = crate::head::check_parts(&head, &self.limits).and_then(|()| route(&head.method, head.uri.path()));
        let (label, mut reply) = match routed {
            Ok(r @ (Route::Live | Route::Ready)) => (r.label(), health(r.label())),
            Ok(r) => {
                let mut trail = Trail::new(peer, r.label());
                trail.via(proxy);
                let label = r.label();
                // Every line logged while handling the request carries its id.
                let span = tracing::info_span!("request", id = %trail.id);
                let mut reply = async {
                    let reply = self
                        .dispatch(r, &head, &mut body, peer, cert, &mut trail)
                        .await
                        .unwrap_or_else(ApiError::into_reply);
                    let reply = self.audited(&trail, reply).await;
                    trail.log(reply.status().as_u16(), self.log_identities);
                    reply
                }
                .instrument(span)
                .await;
                if let Ok(id) = http::HeaderValue::from_str(&trail.id) {
                    reply.headers_mut().insert("x-request-id", id);
                }
                model_labels = trail.into_model_labels();
                (label, reply)
            }
            Err(e) => ("unknown", e.into_reply()),
        };
        if let Some(unread) = body {
            crate::linger::discard(unread, &head, &self.limits).await;
        }
        add_security_headers(&mut reply, self.tls);
        self.metrics.record(label, model_labels, reply.status().as_u16(), started.elapsed().as_secs_f64());
        if head.method == http::Method::HEAD {
            crate::reply::strip_body(&mut reply);
        }
        reply
    }

    /// Writes the request's audit record, and answers only once it is on disk. When
    /// it cannot be written the answer becomes a 503 (fail closed, the default), so
    /// no inference answer ever leaves without its record.
    async fn audited(&self, trail: &Trail, reply: Reply) -> Reply {
        let record = self.audit.record(trail.event(reply.status().as_u16()));
        let Err(e) = record.instrument(tracing::info_span!("audit_write")).await else {
            return reply;
        };
        if !self.audit_fail_closed {
            tracing::warn!(request_id = %trail.id, error = %e, "answering without an audit record (audit.fail_closed = false)");
            return reply;
        }
        self.metrics.audit_failure();
        ApiError::unavailable("the audit log cannot be written; the request was refused", 5).into_reply()
    }

    async fn dispatch(
        &self,
        r: Route,
        head: &http::request::Parts,
        body: &mut Option<Incoming>,
        peer: IpAddr,
        cert: Option<Arc<str>>,
        trail: &mut Trail,
    ) -> Result<Reply, ApiError> {
        let _permit = self
            .in_flight
            .try_acquire()
            .map_err(|_| ApiError::unavailable("server is at its limit of requests in flight; retry shortly", 1))?;
        let deadline = Instant::now() + self.limits.request_timeout;
        match tokio::time::timeout_at(deadline, self.authorized(r, head, body, peer, cert, deadline, trail)).await {
            Ok(result) => result,
            Err(_) => Err(ApiError::unavailable("request deadline exceeded", 1)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn authorized(
        &self,
        r: Route,
        head: &http::request::Parts,
        body: &mut Option<Incoming>,
        peer: IpAddr,
        cert: Option<Arc<str>>,
        deadline: Instant,
        trail: &mut Trail,
    ) -> Result<Reply, ApiError> {
        let caller = self.authenticate(&head.headers, peer, cert, trail)?;
        // The catalog of this request: a reload meanwhile does not change it.
        let catalog = self.models.current.get();
        match r {
            Route::Live => Ok(health("live")),
            Route::Ready => Ok(health("ready")),
            Route::ServerMetadata => Ok(server_metadata()),
            Route::RepositoryIndex => {
                self.require_admin(&caller, trail)?;
                let body = self.read_body(head, body, deadline).await?;
                crate::repository_api::index(self, &body).await
            }
            Route::RepositoryLoad { model } => {
                self.require_admin(&caller, trail)?;
                let body = self.read_body(head, body, deadline).await?;
                crate::repository_api::load(self, &model, &body).await
            }
            Route::RepositoryUnload { model } => {
                self.require_admin(&caller, trail)?;
                let body = self.read_body(head, body, deadline).await?;
                crate::repository_api::unload(self, &model, &body).await
            }
            Route::ModelMetadata { model, version } => {
                let found = self.model(&catalog, &caller, &model, version.as_deref(), Action::ReadMetadata, trail)?;
                let versions = catalog
                    .repo
                    .entry(&found.name)
                    .map(|e| e.versions.keys().map(u64::to_string).collect())
                    .unwrap_or_default();
                Ok(v2::model_metadata(&found, versions, catalog.output_policy(&found)))
            }
            Route::ModelReady { model, version } => {
                let found = self.model(&catalog, &caller, &model, version.as_deref(), Action::ReadMetadata, trail)?;
                Ok(json(StatusCode::OK, &serde_json::json!({"name": found.name, "ready": true})))
            }
            Route::Infer { model, version } => {
                let model = self.model(&catalog, &caller, &model, version.as_deref(), Action::Infer, trail)?;
                let gate = self.gate(&caller, peer, &model, trail)?;
                let header_length = head.headers.get(v2::HEADER_LENGTH);
                let body = self.read_body(head, body, deadline).await?;
                trail.input(&body);
                let policy = gate.degrade.as_ref().or(catalog.output_policy(&model));
                let mut reply = self.infer(model, policy, &body, header_length, &caller, &gate, trail).await?;
                add_headers(&mut reply, &gate.limits);
                Ok(reply)
            }
            Route::Predict { model } => {
                let model = self.model(&catalog, &caller, &model, None, Action::Infer, trail)?;
                let gate = self.gate(&caller, peer, &model, trail)?;
                let body = self.read_body(head, body, deadline).await?;
                trail.input(&body);
                let inputs = model.check_inputs(v1::decode(&body, &model)?, self.max_elements(&model))?;
                let rows = rows(&inputs);
                trail.rows(rows);
                self.spend(&caller, &model, rows, &gate.limits, trail)?;
                let mut outputs = self.run_watched(&caller, &model, inputs, trail).await?;
                if let Some(policy) = gate.degrade.as_ref().or(catalog.output_policy(&model)) {
                    policy.apply(&mut outputs);
                    policy.withhold(&mut outputs);
                    trail.output_policy(policy.describe());
                }
                let mut reply = v1::encode(rows, &outputs, self.limits.response_limit())?;
                add_headers(&mut reply, &gate.limits);
                Ok(reply)
            }
        }
    }

    /// The repository API changes what everyone is served: administrators only.
    fn require_admin(&self, caller: &Caller, trail: &mut Trail) -> Result<(), ApiError> {
        if caller.primary.scopes.contains(&Scope::Admin) {
            return Ok(());
        }
        trail.deny(Denial::Access("forbidden"));
        self.metrics.access_denied("forbidden");
        Err(ApiError::new(StatusCode::FORBIDDEN, "the model repository API needs the admin scope"))
    }

    #[allow(clippy::too_many_arguments)]
    async fn infer(
        &self,
        model: Arc<Model>,
        policy: Option<&OutputPolicy>,
        body: &Bytes,
        header_length: Option<&http::HeaderValue>,
        caller: &Caller,
        gate: &Gate,
        trail: &mut Trail,
    ) -> Result<Reply, ApiError> {
        let request = v2::decode(body, header_length)?;
        v2::check_target(&model, &request)?;
        let selected = v2::select_outputs(&model, &request)?;
        let selected = match policy {
            Some(p) => output::allowed_outputs(&model, p, selected, request.outputs.is_some())?,
            None => selected,
        };
        let inputs = model.check_inputs(request.inputs, self.max_elements(&model))?;
        let rows = rows(&inputs);
        trail.rows(rows);
        self.spend(caller, &model, rows, &gate.limits, trail)?;
        let mut outputs = self.run_watched(caller, &model, inputs, trail).await?;
        if let Some(p) = policy {
            p.apply(&mut outputs);
            trail.output_policy(p.describe());
        }
        v2::encode(&model, request.id.as_deref(), &outputs, &selected, self.limits.response_limit())
    }

    /// What stands between a caller and a model before its body is read: an
    /// extraction block or throttle, then the rate and concurrency limits.
    fn gate(&self, caller: &Caller, peer: IpAddr, model: &Model, trail: &mut Trail) -> Result<Gate, ApiError> {
        let mut degrade = None;
        match self.detection.standing(&caller.primary.id, &model.name) {
            Standing::Clear => {}
            Standing::Blocked => {
                trail.deny(Denial::Extraction("blocked"));
                self.metrics.limit_refused("extraction_block", &model.name);
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!(
                        "this identity is blocked from model '{}' after suspected model extraction; an administrator can lift it with 'warden clients clear'",
                        model.name
                    ),
                ));
            }
            Standing::Throttled(limit) => {
                self.limiter
                    .throttle(&caller.primary.id, &model.name, limit)
                    .map_err(|r| self.refused(r, model, trail))?;
            }
            Standing::Degraded => degrade = OutputPolicy::degraded(model),
        }
        Ok(Gate { limits: self.admit(caller, peer, model, trail)?, degrade })
    }

    /// Runs the model, then feeds the request to the extraction detector when the
    /// model has one, and acts on what it raises.
    async fn run_watched(
        &self,
        caller: &Caller,
        model: &Arc<Model>,
        inputs: Vec<warden_model::NamedTensor>,
        trail: &mut Trail,
    ) -> Result<Vec<warden_model::NamedTensor>, ApiError> {
        if !self.detection.watches(&model.name) {
            return self.run(model, inputs).await;
        }
        let kept = inputs.clone();
        let outputs = self.run(model, inputs).await?;
        // A few rows cost tens of microseconds: cheaper on this thread than a hand-off
        // to the blocking pool. Large batches go to the pool.
        let raised = if rows(&kept) <= INLINE_ROWS {
            self.detection.observe(&caller.primary.id, model, &kept, &outputs)
        } else {
            let (detection, identity, m) = (self.detection.clone(), caller.primary.id.clone(), model.clone());
            let observed = outputs.clone();
            tokio::task::spawn_blocking(move || detection.observe(&identity, &m, &kept, &observed)).await.ok().flatten()
        };
        if let Some(raised) = raised {
            self.raise(&caller.primary.id, model, &raised, trail);
        }
        Ok(outputs)
    }

    fn raise(&self, identity: &str, model: &Model, raised: &Raised, trail: &Trail) {
        let action = raised.response.name();
        let caller = warden_observe::redact::global().pseudonym(identity);
        tracing::warn!(
            model = %model.name,
            caller = %format!("[ID:{caller}]"),
            signal = raised.signal,
            score = raised.w,
            queries = raised.queries,
            action,
            "suspected model extraction"
        );
        if raised.response == Response::Log {
            return;
        }
        self.metrics.extraction_alert(&model.name, action, raised.signal);
        self.audit.record_detached(
            Event::new("extraction_alert")
                .with("request_id", trail.id.as_str())
                .with("identity", identity)
                .with("model", model.name.as_str())
                .with("version", model.version.as_str())
                .with("signal", raised.signal)
                .with("detector", raised.signal)
                .with("w", raised.w)
                .with("queries", raised.queries)
                .with("action", action),
        );
    }

    /// Rate and concurrency limits for (caller, model), before the body is read.
    fn admit(
        &self,
        caller: &Caller,
        peer: IpAddr,
        model: &Model,
        trail: &mut Trail,
    ) -> Result<Option<Admitted>, ApiError> {
        if self.limiter.is_off() {
            return Ok(None);
        }
        self.limiter.admit(&caller.primary.id, peer, &model.name).map(Some).map_err(|r| self.refused(r, model, trail))
    }

    /// Spends the request's rows from its budgets, once they are known.
    fn spend(
        &self,
        caller: &Caller,
        model: &Model,
        rows: usize,
        gate: &Option<Admitted>,
        trail: &mut Trail,
    ) -> Result<(), ApiError> {
        let Some(gate) = gate else { return Ok(()) };
        self.limiter.spend(&caller.primary.id, &model.name, rows, gate).map_err(|r| self.refused(r, model, trail))
    }

    fn refused(&self, refusal: Refusal, model: &Model, trail: &mut Trail) -> ApiError {
        trail.deny(Denial::Limit(refusal.reason));
        self.metrics.limit_refused(refusal.reason, &model.name);
        refusal.error
    }

    /// Runs the model on the pool and times it.
    async fn run(
        &self,
        model: &Arc<Model>,
        inputs: Vec<warden_model::NamedTensor>,
    ) -> Result<Vec<warden_model::NamedTensor>, ApiError> {
        let started = std::time::Instant::now();
        let span = tracing::info_span!("model_run", model = %model.name, version = %model.version);
        let outputs = self.pool.run(model.clone(), inputs).instrument(span).await;
        self.metrics.model_run(&model.name, &model.version, started.elapsed().as_secs_f64());
        outputs
    }

    fn max_elements(&self, model: &Model) -> usize {
        model.config.max_elements.unwrap_or(self.limits.max_elements)
    }

    /// Checks the bearer key and takes the client certificate's identity, if any.
    /// An address that keeps presenting wrong keys is turned away before its key is
    /// even looked at; a missing key is not counted as a guess (health probes and
    /// misconfigured clients send none).
    fn authenticate(
        &self,
        headers: &HeaderMap,
        peer: IpAddr,
        cert: Option<Arc<str>>,
        trail: &mut Trail,
    ) -> Result<Caller, ApiError> {
        let cert = cert.map(|name| Arc::new(self.live.get().identities.identity(&name)));
        let now = std::time::Instant::now();
        if let Verdict::Throttled { retry_after } = self.failures.check(peer, now) {
            self.metrics.auth_failure(AuthFailure::Throttled);
            trail.deny(Denial::Auth("throttled"));
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many failed authentication attempts from this address; retry later",
            )
            .with_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs.max(1))));
        }
        let Some(value) = headers.get(AUTHORIZATION) else {
            if let Some(identity) = cert {
                trail.caller(&identity.id, "cert");
                return Ok(Caller { primary: identity.clone(), key: None, cert: Some(identity) });
            }
            self.metrics.auth_failure(AuthFailure::Missing);
            trail.deny(Denial::Auth("missing"));
            return Err(ApiError::unauthorized(false));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.get(..7).filter(|scheme| scheme.eq_ignore_ascii_case("bearer ")).map(|_| v[7..].trim()));
        match token.map(|t| self.verify_bearer(t)) {
            Some(Some((identity, method))) => {
                let method =
                    if cert.is_some() { if method == "key" { "key+cert" } else { "jwt+cert" } } else { method };
                trail.caller(&identity.id, method);
                Ok(Caller { primary: identity.clone(), key: Some(identity), cert })
            }
            _ => {
                self.metrics.auth_failure(AuthFailure::Invalid);
                trail.deny(Denial::Auth("invalid"));
                self.failures.record_failure(peer, now);
                Err(ApiError::unauthorized(true))
            }
        }
    }

    /// A bearer credential: a Warden API key (`wdn_...`), else a JWT when JWTs are on.
    fn verify_bearer(&self, token: &str) -> Option<(Arc<Identity>, &'static str)> {
        if token.starts_with("wdn_") {
            let identity = self.keys.current().verify(token).ok()?;
            if let Some(id) = identity.id.strip_prefix("key:") {
                self.keys.touch(id);
            }
            return Some((identity, "key"));
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        match self.live.get().jwt.as_ref()?.verify(token, now) {
            Ok(identity) => Some((Arc::new(identity), "jwt")),
            Err(reason) => {
                tracing::debug!(?reason, "jwt refused");
                if reason == JwtRejection::UnknownKid {
                    self.jwks_stale.notify_one();
                }
                None
            }
        }
    }

    /// The model a caller asked for. A model the caller may not use answers exactly
    /// like a model that does not exist, so its name does not leak. A model whose
    /// config says `require_both` needs a client certificate and an API key, each
    /// allowed to use it.
    fn model(
        &self,
        catalog: &Catalog,
        who: &Caller,
        name: &str,
        version: Option<&str>,
        action: Action,
        trail: &mut Trail,
    ) -> Result<Arc<Model>, ApiError> {
        let hidden = || ApiError::not_found(format!("model '{name}' not found"));
        let access = catalog.access(name).ok_or_else(hidden)?;
        // The name is recorded only now that it is known to be a model's, never as
        // the client spelled a missing one.
        trail.model(name, version.filter(|v| catalog.repo.get(name, Some(v)).is_some()));
        let decide = |id: &Identity| authorize(&id.scopes, access, action);
        match decide(&who.primary) {
            Decision::Allow => {}
            Decision::DenyHidden => {
                trail.deny(Denial::Access("hidden"));
                self.metrics.access_denied("hidden");
                return Err(hidden());
            }
            Decision::DenyForbidden => {
                trail.deny(Denial::Access("forbidden"));
                self.metrics.access_denied("forbidden");
                let verb = if action == Action::Infer { "run" } else { "read the metadata of" };
                return Err(ApiError::new(StatusCode::FORBIDDEN, format!("not allowed to {verb} model '{name}'")));
            }
        }
        let entry = catalog.repo.entry(name).ok_or_else(hidden)?;
        let latest = entry.latest().ok_or_else(hidden)?;
        if latest.config.require_both {
            match (&who.key, &who.cert) {
                (Some(key), Some(cert)) if decide(key) == Decision::Allow && decide(cert) == Decision::Allow => {}
                _ => {
                    trail.deny(Denial::Access("require_both"));
                    self.metrics.access_denied("require_both");
                    return Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        format!("model '{name}' needs both a client certificate and an API key that may use it"),
                    ));
                }
            }
        }
        match version {
            None => {
                trail.model(name, Some(&latest.version));
                Ok(latest.clone())
            }
            Some(v) => catalog
                .repo
                .get(name, Some(v))
                .cloned()
                .ok_or_else(|| ApiError::not_found(format!("model '{name}' has no version '{v}'"))),
        }
    }

    /// Reads the whole body under the size limit and the read timeout (or the
    /// request deadline, when that comes first), and decodes its content coding.
    async fn read_body(
        &self,
        head: &http::request::Parts,
        body: &mut Option<Incoming>,
        deadline: Instant,
    ) -> Result<Bytes, ApiError> {
        let limit = self.limits.max_body_size;
        let coding = crate::coding::ContentCoding::of(&head.headers)?;
        let declared = crate::linger::declared_length(&head.headers);
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(crate::coding::too_large(limit));
        }
        let Some(mut incoming) = body.take() else {
            return Err(ApiError::bad_request("the request body could not be read"));
        };
        let until = deadline.min(Instant::now() + self.limits.read_timeout);
        // The declared length is at most the limit here: reserve it once.
        let mut buf = bytes::BytesMut::with_capacity(declared.map_or(0, |n| n as usize));
        let read = async {
            while let Some(frame) = incoming.frame().await {
                let Ok(frame) = frame else { return Err(ApiError::bad_request("the request body could not be read")) };
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > limit {
                        return Err(crate::coding::too_large(limit));
                    }
                    buf.extend_from_slice(&data);
                }
            }
            Ok(())
        };
        match tokio::time::timeout_at(until, read).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                // Over the limit without a declared length: the rest is drained
                // (within bounds) after the answer is made, so the client reads it.
                *body = Some(incoming);
                return Err(e);
            }
            Err(_) => return Err(ApiError::new(StatusCode::REQUEST_TIMEOUT, "request body not received in time")),
        }
        let bytes = buf.freeze();
        let bytes = coding.decode(bytes, limit)?;
        if self.log_payloads {
            let shown = &bytes[..bytes.len().min(4096)];
            tracing::debug!(bytes = bytes.len(), body = %String::from_utf8_lossy(shown), "request body");
        }
        Ok(bytes)
    }
}

/// The client's standing against its rate limit, on every answer it applies to.
/// A request let through to a model: its limits and, for a degraded client,
/// the labels-only policy that replaces the model's own.
struct Gate {
    limits: Option<Admitted>,
    degrade: Option<OutputPolicy>,
}

fn add_headers(reply: &mut Reply, gate: &Option<Admitted>) {
    if let Some(gate) = gate {
        for (name, value) in &gate.headers {
            reply.headers_mut().insert(name.clone(), value.clone());
        }
    }
}

/// The metrics, with every loaded model version marked.
fn metrics(repo: &Repository, audit: &AuditLog) -> Metrics {
    let metrics = Metrics::new(audit.stats());
    for model in repo.entries().flat_map(|e| e.versions.values()) {
        metrics.model_loaded(&model.name, &model.version);
    }
    metrics
}

/// Rows in a request: the first dimension of its first input.
fn rows(inputs: &[warden_model::NamedTensor]) -> usize {
    inputs.first().and_then(|t| t.shape.first().copied()).unwrap_or(0)
}

/// Health answers are open. Triton's clients read only the status; KServe's SDK
/// also reads `{"live": true}` / `{"ready": true}`.
fn health(which: &'static str) -> Reply {
    let mut body = serde_json::Map::new();
    body.insert(which.to_string(), true.into());
    json(StatusCode::OK, &body)
}

fn server_metadata() -> Reply {
    #[derive(Serialize)]
    struct Meta {
        name: &'static str,
        version: &'static str,
        extensions: [&'static str; 2],
    }
    json(
        StatusCode::OK,
        &Meta {
            name: "warden",
            version: env!("CARGO_PKG_VERSION"),
            extensions: ["binary_tensor_data", "model_repository"],
        },
    )
}

/// How often the key file is checked for changes.
pub const KEY_POLL: Duration = Duration::from_secs(1);
