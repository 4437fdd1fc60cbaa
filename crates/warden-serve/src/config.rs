//! The server's configuration: one TOML file, every key also a flag and a `WARDEN_`
//! environment variable. The key table below is the single source of all three, so a
//! key can never exist in one form and not the others. Every problem is collected and
//! reported at once, and unknown keys are errors: a typo must never weaken a setting.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use warden_guard::limits::{LimitPolicy, Rate};

/// One configuration key. Its flag is `--` + the key with `.` and `_` turned into `-`;
/// its environment variable is `WARDEN_` + the key upper-cased with `.` turned into `_`.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    pub key: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Addr,
    OptionalAddr,
    Path,
    Bool,
    Size,
    Duration,
    Count,
    LogLevel,
    ClientAuth,
    Text,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// Named regexes: a TOML table, or `NAME=REGEX` lines from a flag.
    Patterns,
    /// A list of paths: a TOML array, or a comma-separated list from a flag.
    Paths,
    /// A list of address blocks (`10.0.0.0/8`, `192.0.2.7`), as for `Paths`.
    Networks,
    /// A rate such as `100/s` or `6000/min`.
    Rate,
    /// Per-identity `[limits]` overrides: TOML tables only.
    IdentityLimits,
}

impl Setting {
    pub fn flag(&self) -> String {
        self.key.replace(['.', '_'], "-")
    }

    pub fn env(&self) -> String {
        format!("WARDEN_{}", self.key.replace('.', "_").to_uppercase())
    }
}

pub const SETTINGS: &[Setting] = &[
    Setting { key: "listen", kind: Kind::Addr, help: "address for the inference API [default: 127.0.0.1:8443]" },
    Setting {
        key: "metrics_listen",
        kind: Kind::OptionalAddr,
        help: "address for the metrics listener, or \"off\" [default: 127.0.0.1:9464]",
    },
    Setting {
        key: "metrics_token_file",
        kind: Kind::Path,
        help: "file holding a token that /metrics requires as 'Authorization: Bearer' [default: none]",
    },
    Setting { key: "state_dir", kind: Kind::Path, help: "directory for keys and certificates [default: ./.warden]" },
    Setting {
        key: "model_repository",
        kind: Kind::Path,
        help: "serve DIR/<name>/<version>/model.onnx instead of the embedded default model",
    },
    Setting {
        key: "models.scan_fail_on",
        kind: Kind::Choice(&["low", "medium", "high", "critical"]),
        help: "a model file with a scanner finding this severe or worse is not served (warden scan) [default: high]",
    },
    Setting {
        key: "models.require_signature",
        kind: Kind::Bool,
        help: "serve only model versions whose model.sig verifies with a trusted key (turn on in production) [default: false]",
    },
    Setting {
        key: "models.trusted_keys",
        kind: Kind::Paths,
        help: "public keys (PEM) trusted to sign models; a flag or variable takes a comma-separated list [default: none]",
    },
    Setting {
        key: "models.trusted_roots",
        kind: Kind::Paths,
        help: "root CA certificates (PEM) whose signing certificates may sign models (certificate mode) [default: none]",
    },
    Setting {
        key: "models.watch",
        kind: Kind::Bool,
        help: "reload models when the repository changes on disk (also on SIGHUP and the repository API) [default: true]",
    },
    Setting {
        key: "models.reload_delay",
        kind: Kind::Duration,
        help: "quiet time after the last change in the repository before a reload, so copies finish [default: 2s]",
    },
    Setting { key: "insecure_http", kind: Kind::Bool, help: "serve plain HTTP without TLS (logs a warning)" },
    Setting { key: "log_level", kind: Kind::LogLevel, help: "error, warn, info, debug or trace [default: info]" },
    Setting {
        key: "log_payloads",
        kind: Kind::Bool,
        help: "DEBUGGING ONLY: log request bodies at debug level, redacted [default: false]",
    },
    Setting { key: "tls.cert", kind: Kind::Path, help: "PEM certificate chain (default: generated, self-signed)" },
    Setting { key: "tls.key", kind: Kind::Path, help: "PEM private key for --tls-cert" },
    Setting { key: "tls.client_ca", kind: Kind::Path, help: "PEM CA bundle: verify client certificates (mTLS)" },
    Setting {
        key: "tls.client_auth",
        kind: Kind::ClientAuth,
        help: "with --tls-client-ca: \"required\" or \"optional\" client certificates [default: required]",
    },
    Setting { key: "tls.crl", kind: Kind::Path, help: "PEM certificate revocation lists for client certificates" },
    Setting {
        key: "tls.identities",
        kind: Kind::Path,
        help: "TOML file mapping client-certificate identities to scopes",
    },
    Setting { key: "http.max_body_size", kind: Kind::Size, help: "largest request body [default: 4MiB]" },
    Setting { key: "http.max_header_size", kind: Kind::Size, help: "largest request head [default: 16KiB]" },
    Setting { key: "http.max_headers", kind: Kind::Count, help: "most header fields in a request [default: 100]" },
    Setting {
        key: "http.max_response_size",
        kind: Kind::Size,
        help: "largest answer; a bigger one is refused with 400 [default: 4 x http.max_body_size]",
    },
    Setting {
        key: "http.max_elements",
        kind: Kind::Count,
        help: "most elements in one input tensor [default: 1048576]",
    },
    Setting { key: "http.read_timeout", kind: Kind::Duration, help: "time to receive a request [default: 10s]" },
    Setting { key: "http.request_timeout", kind: Kind::Duration, help: "deadline for a whole request [default: 30s]" },
    Setting {
        key: "http.max_in_flight",
        kind: Kind::Count,
        help: "requests handled at once; more get 503 [default: 512]",
    },
    Setting { key: "http.max_connections", kind: Kind::Count, help: "open connections at once [default: 4096]" },
    Setting { key: "http.shutdown_timeout", kind: Kind::Duration, help: "time to drain on SIGTERM [default: 30s]" },
    Setting {
        key: "http.trusted_proxies",
        kind: Kind::Networks,
        help: "reverse proxies (address blocks) whose forwarding header names the client, for limits, logs and audit [default: none: the TCP peer is the client]",
    },
    Setting {
        key: "http.proxy_header",
        kind: Kind::Choice(&["x-forwarded-for", "forwarded"]),
        help: "the one header the trusted proxies set: x-forwarded-for or forwarded (RFC 7239) [default: x-forwarded-for]",
    },
    Setting {
        key: "auth.jwt.jwks",
        kind: Kind::Text,
        help: "the identity provider's signing keys: a JWKS file, or an https:// JWKS URL",
    },
    Setting {
        key: "auth.jwt.discovery",
        kind: Kind::Bool,
        help: "find the JWKS URL by OIDC discovery at <issuer>/.well-known/openid-configuration",
    },
    Setting {
        key: "auth.jwt.refresh",
        kind: Kind::Duration,
        help: "how often a JWKS URL is fetched again [default: 10m]",
    },
    Setting { key: "auth.jwt.ca_file", kind: Kind::Path, help: "extra PEM CA to trust for the JWKS URL" },
    Setting {
        key: "auth.jwt.hmac_secret_file",
        kind: Kind::Path,
        help: "file holding a shared HMAC secret (32+ bytes) for HS256/384/512 tokens",
    },
    Setting { key: "auth.jwt.issuer", kind: Kind::Text, help: "required 'iss' of JWTs (required with JWTs)" },
    Setting { key: "auth.jwt.audience", kind: Kind::Text, help: "required 'aud' of JWTs (required with JWTs)" },
    Setting { key: "auth.jwt.leeway", kind: Kind::Duration, help: "clock skew allowed for exp/nbf/iat [default: 60s]" },
    Setting {
        key: "auth.jwt.scope_claim",
        kind: Kind::Text,
        help: "claim holding Warden scopes [default: scope, then scp]",
    },
    Setting {
        key: "auth.max_failures",
        kind: Kind::Count,
        help: "wrong credentials from one address before it gets 429 [default: 20]",
    },
    Setting {
        key: "auth.failure_window",
        kind: Kind::Duration,
        help: "window for auth.max_failures, and how long a throttled address waits [default: 60s]",
    },
    Setting {
        key: "log.format",
        kind: Kind::Choice(&["auto", "json", "text"]),
        help: "log lines as JSON or text; auto is JSON unless stderr is a terminal [default: auto]",
    },
    Setting {
        key: "log.pseudonymise",
        kind: Kind::Bool,
        help: "replace personal data in logs by keyed pseudonyms ([EMAIL:1a2b3c4d]) instead of [EMAIL] [default: false]",
    },
    Setting {
        key: "log.addresses",
        kind: Kind::Choice(&["pseudonymise", "mask", "keep"]),
        help: "IP addresses in logs [default: pseudonymise]",
    },
    Setting {
        key: "log.identities",
        kind: Kind::Choice(&["pseudonymise", "keep"]),
        help: "caller identities in logs [default: pseudonymise]",
    },
    Setting {
        key: "log.patterns",
        kind: Kind::Patterns,
        help: "extra redaction patterns: NAME=REGEX per line (in a file: a [log.patterns] table)",
    },
    Setting {
        key: "limits.rate",
        kind: Kind::Rate,
        help: "requests per identity and model, e.g. 100/s or 6000/min, or off; over it: 429 [default: 100/s]",
    },
    Setting {
        key: "limits.burst",
        kind: Kind::Count,
        help: "requests an identity may send a model at once [default: one second's worth of limits.rate]",
    },
    Setting {
        key: "limits.per_address_rate",
        kind: Kind::Rate,
        help: "requests per source address and model, whatever the identity [default: no limit]",
    },
    Setting {
        key: "limits.per_address_burst",
        kind: Kind::Count,
        help: "requests one address may send a model at once [default: one second's worth]",
    },
    Setting {
        key: "limits.daily_rows",
        kind: Kind::Count,
        help: "rows (not requests) an identity may send a model per UTC day, or off [default: 1000000]",
    },
    Setting {
        key: "limits.monthly_rows",
        kind: Kind::Count,
        help: "rows an identity may send a model per UTC month [default: no limit]",
    },
    Setting {
        key: "limits.concurrency",
        kind: Kind::Count,
        help: "requests one identity may have in flight at once [default: no limit]",
    },
    Setting {
        key: "limits.identity",
        kind: Kind::IdentityLimits,
        help: "per-identity overrides, in the config file only: [limits.identity.\"key:ID\"] rate = ...",
    },
    Setting {
        key: "otlp.endpoint",
        kind: Kind::Text,
        help: "export request traces to this OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (needs the otlp build feature)",
    },
    Setting { key: "audit.dir", kind: Kind::Path, help: "directory of the audit log [default: <state_dir>/audit]" },
    Setting {
        key: "audit.advisories",
        kind: Kind::Paths,
        help: "OSV advisory data (directories of OSV JSON or OSV dump zips) that `warden audit --config` judges dependencies against [default: what `warden advisories update` keeps in <state_dir>/advisories]",
    },
    Setting {
        key: "audit.max_file_size",
        kind: Kind::Size,
        help: "the audit file is rotated past this size; the chain runs on [default: 64MiB]",
    },
    Setting {
        key: "audit.checkpoint_every",
        kind: Kind::Count,
        help: "records between signed checkpoints [default: 1000]",
    },
    Setting {
        key: "audit.checkpoint_interval",
        kind: Kind::Duration,
        help: "longest time a record stays unsigned [default: 60s]",
    },
    Setting {
        key: "audit.fsync",
        kind: Kind::Bool,
        help: "sync each batch of audit records to disk before answering [default: true]",
    },
    Setting {
        key: "audit.fail_closed",
        kind: Kind::Bool,
        help: "refuse requests with 503 while the audit log cannot be written [default: true]",
    },
    Setting { key: "audit.stdout", kind: Kind::Bool, help: "also print audit records to stdout [default: false]" },
    Setting {
        key: "audit.syslog",
        kind: Kind::Path,
        help: "also send audit records to this syslog socket, e.g. /dev/log (RFC 5424) [default: none]",
    },
];

/// How models are trusted and reloaded (`[models]`).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSettings {
    pub require_signature: bool,
    pub trusted_keys: Vec<PathBuf>,
    pub trusted_roots: Vec<PathBuf>,
    pub watch: bool,
    pub reload_delay: Duration,
}

impl Default for ModelSettings {
    fn default() -> Self {
        ModelSettings {
            require_signature: false,
            trusted_keys: Vec::new(),
            trusted_roots: Vec::new(),
            watch: true,
            reload_delay: Duration::from_secs(2),
        }
    }
}

/// What log lines may hold.
#[derive(Clone, Debug, PartialEq)]
pub struct LogConfig {
    pub format: String,
    pub payloads: bool,
    pub pseudonymise: bool,
    pub addresses: String,
    pub identities: String,
    pub patterns: Vec<(String, String)>,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "auto".into(),
            payloads: false,
            pseudonymise: false,
            addresses: "pseudonymise".into(),
            identities: "pseudonymise".into(),
            patterns: Vec::new(),
        }
    }
}

/// The audit log: where, how often signed, and what happens when it cannot be written.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditConfig {
    pub dir: Option<PathBuf>,
    /// For `warden audit` (the posture audit), not the audit log: OSV data.
    pub advisories: Vec<PathBuf>,
    pub max_file_size: usize,
    pub checkpoint_every: usize,
    pub checkpoint_interval: Duration,
    pub fsync: bool,
    pub fail_closed: bool,
    pub stdout: bool,
    pub syslog: Option<PathBuf>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            dir: None,
            advisories: Vec::new(),
            max_file_size: 64 << 20,
            checkpoint_every: 1000,
            checkpoint_interval: Duration::from_secs(60),
            fsync: true,
            fail_closed: true,
            stdout: false,
            syslog: None,
        }
    }
}

/// Where the identity provider's keys come from.
#[derive(Clone, Debug, PartialEq)]
pub enum JwksSource {
    File(PathBuf),
    Url(String),
}

/// Bearer JWTs from an identity provider; on when a key source is given.
#[derive(Clone, Debug, PartialEq)]
pub struct JwtSettings {
    pub jwks: Option<JwksSource>,
    pub discovery: bool,
    pub refresh: Duration,
    pub ca_file: Option<PathBuf>,
    pub hmac_secret_file: Option<PathBuf>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub leeway: Duration,
    pub scope_claim: Option<String>,
}

impl Default for JwtSettings {
    fn default() -> Self {
        JwtSettings {
            jwks: None,
            discovery: false,
            refresh: Duration::from_secs(600),
            ca_file: None,
            hmac_secret_file: None,
            issuer: None,
            audience: None,
            leeway: Duration::from_secs(60),
            scope_claim: None,
        }
    }
}

impl JwtSettings {
    pub fn enabled(&self) -> bool {
        self.jwks.is_some() || self.discovery || self.hmac_secret_file.is_some()
    }

    /// True when keys are fetched over the network (and so refreshed).
    pub fn remote(&self) -> bool {
        self.discovery || matches!(self.jwks, Some(JwksSource::Url(_)))
    }
}

/// Brute-force protection for credentials.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthLimits {
    pub max_failures: usize,
    pub failure_window: Duration,
}

impl Default for AuthLimits {
    fn default() -> Self {
        AuthLimits { max_failures: 20, failure_window: Duration::from_secs(60) }
    }
}

/// Limits on what one client can make the server hold or wait for.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpLimits {
    pub max_body_size: usize,
    pub max_header_size: usize,
    pub max_headers: usize,
    /// `None`: four times the body limit (see `response_limit`).
    pub max_response_size: Option<usize>,
    pub max_elements: usize,
    pub read_timeout: Duration,
    pub request_timeout: Duration,
    pub max_in_flight: usize,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
}

impl HttpLimits {
    /// The largest answer: set, or four times the body limit, since an answer a
    /// few times its request is normal (probabilities for every class) and one
    /// thousands of times larger is an amplification.
    pub fn response_limit(&self) -> usize {
        self.max_response_size.unwrap_or(self.max_body_size.saturating_mul(4))
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_body_size: 4 << 20,
            max_header_size: 16 << 10,
            max_headers: 100,
            max_response_size: None,
            max_elements: 1 << 20,
            read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_in_flight: 512,
            max_connections: 4096,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// Whether a client must present a certificate when a client CA is configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    Required,
    Optional,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub metrics_listen: Option<SocketAddr>,
    pub metrics_token_file: Option<PathBuf>,
    pub state_dir: PathBuf,
    pub model_repository: Option<PathBuf>,
    /// Scanner findings at or above this keep a model out: low, medium, high or critical.
    pub scan_fail_on: String,
    pub models: ModelSettings,
    pub insecure_http: bool,
    pub log_level: String,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_client_ca: Option<PathBuf>,
    pub tls_client_auth: Option<ClientAuth>,
    pub tls_crl: Option<PathBuf>,
    pub tls_identities: Option<PathBuf>,
    pub http: HttpLimits,
    pub auth: AuthLimits,
    pub jwt: JwtSettings,
    pub audit: AuditConfig,
    pub log: LogConfig,
    pub otlp_endpoint: Option<String>,
    /// The server-wide `[limits]`; models and identities override key by key.
    pub limits: LimitPolicy,
    pub identity_limits: BTreeMap<String, LimitPolicy>,
    /// `[http] trusted_proxies` and `proxy_header`.
    pub proxies: crate::proxy::TrustedProxies,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: ([127, 0, 0, 1], 8443).into(),
            metrics_listen: Some(([127, 0, 0, 1], 9464).into()),
            metrics_token_file: None,
            state_dir: PathBuf::from(".warden"),
            model_repository: None,
            scan_fail_on: "high".into(),
            models: ModelSettings::default(),
            insecure_http: false,
            log_level: "info".into(),
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            tls_client_auth: None,
            tls_crl: None,
            tls_identities: None,
            http: HttpLimits::default(),
            auth: AuthLimits::default(),
            jwt: JwtSettings::default(),
            audit: AuditConfig::default(),
            log: LogConfig::default(),
            otlp_endpoint: None,
            limits: LimitPolicy::server_default(),
            identity_limits: BTreeMap::new(),
            proxies: crate::proxy::TrustedProxies::default(),
        }
    }
}

/// Every problem found in a configuration, in the order found.
#[derive(Debug, PartialEq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "invalid configuration ({n} problem{}):", if n == 1 { "" } else { "s" })?;
        for p in &self.0 {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// A value as it arrived: typed from TOML, or text from a flag or the environment.
enum Raw<'a> {
    Toml(&'a toml::Value),
    Text(&'a str),
}

impl ServeConfig {
    /// Builds the configuration: defaults, then the file (if any), then `overrides`
    /// (key and text, from flags and the environment; later entries win).
    pub fn load(file: Option<&Path>, overrides: &[(String, String)]) -> Result<ServeConfig, ConfigError> {
        let mut config = ServeConfig::default();
        let mut errors = Vec::new();
        if let Some(path) = file {
            match std::fs::read_to_string(path) {
                Ok(text) => config.apply_toml(&text, &path.display().to_string(), &mut errors),
                Err(e) => errors.push(format!("cannot read {}: {e}", path.display())),
            }
        }
        for (key, value) in overrides {
            let source = SETTINGS.iter().find(|s| s.key == key).map(|s| s.flag()).unwrap_or_else(|| key.clone());
            if let Err(e) = config.set(key, Raw::Text(value)) {
                errors.push(format!("--{source}: {e}"));
            }
        }
        config.validate(&mut errors);
        if errors.is_empty() { Ok(config) } else { Err(ConfigError(errors)) }
    }

    fn apply_toml(&mut self, text: &str, origin: &str, errors: &mut Vec<String>) {
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!("{origin}: {}", e.to_string().trim_end()));
                return;
            }
        };
        self.apply_table(&table, "", origin, errors);
    }

    fn apply_table(&mut self, table: &toml::Table, prefix: &str, origin: &str, errors: &mut Vec<String>) {
        for (name, value) in table {
            let key = format!("{prefix}{name}");
            let is_section = SETTINGS.iter().any(|s| s.key.starts_with(&format!("{key}.")));
            match value {
                toml::Value::Table(inner) if is_section => self.apply_table(inner, &format!("{key}."), origin, errors),
                _ if is_section => errors.push(format!("{origin}: '{key}' must be a table ([{key}])")),
                _ if SETTINGS.iter().any(|s| s.key == key) => {
                    if let Err(e) = self.set(&key, Raw::Toml(value)) {
                        errors.push(format!("{origin}: {key}: {e}"));
                    }
                }
                _ => errors.push(format!("{origin}: unknown key '{key}'")),
            }
        }
    }

    fn set(&mut self, key: &str, raw: Raw<'_>) -> Result<(), String> {
        let h = &mut self.http;
        match key {
            "listen" => self.listen = parse_addr(&raw)?,
            "metrics_listen" => self.metrics_listen = parse_optional_addr(&raw)?,
            "metrics_token_file" => self.metrics_token_file = Some(parse_path(&raw)?),
            "state_dir" => self.state_dir = parse_path(&raw)?,
            "model_repository" => self.model_repository = Some(parse_path(&raw)?),
            "insecure_http" => self.insecure_http = parse_bool(&raw)?,
            "log_level" => self.log_level = parse_log_level(&raw)?,
            "tls.cert" => self.tls_cert = Some(parse_path(&raw)?),
            "tls.key" => self.tls_key = Some(parse_path(&raw)?),
            "tls.client_ca" => self.tls_client_ca = Some(parse_path(&raw)?),
            "tls.client_auth" => self.tls_client_auth = Some(parse_client_auth(&raw)?),
            "tls.crl" => self.tls_crl = Some(parse_path(&raw)?),
            "tls.identities" => self.tls_identities = Some(parse_path(&raw)?),
            "http.max_body_size" => h.max_body_size = parse_size(&raw)?,
            "http.max_header_size" => h.max_header_size = parse_size(&raw)?,
            "http.max_headers" => h.max_headers = parse_count(&raw)?,
            "http.max_response_size" => h.max_response_size = Some(parse_size(&raw)?),
            "http.max_elements" => h.max_elements = parse_count(&raw)?,
            "http.read_timeout" => h.read_timeout = parse_duration(&raw)?,
            "http.request_timeout" => h.request_timeout = parse_duration(&raw)?,
            "http.max_in_flight" => h.max_in_flight = parse_count(&raw)?,
            "http.max_connections" => h.max_connections = parse_count(&raw)?,
            "http.shutdown_timeout" => h.shutdown_timeout = parse_duration(&raw)?,
            "http.trusted_proxies" => self.proxies.networks = parse_networks(&raw)?,
            "http.proxy_header" => {
                self.proxies.header = match parse_choice(&raw, key)?.as_str() {
                    "forwarded" => crate::proxy::ProxyHeader::Forwarded,
                    _ => crate::proxy::ProxyHeader::XForwardedFor,
                }
            }
            "auth.jwt.jwks" => self.jwt.jwks = Some(parse_jwks(&raw)?),
            "auth.jwt.discovery" => self.jwt.discovery = parse_bool(&raw)?,
            "auth.jwt.refresh" => self.jwt.refresh = parse_duration(&raw)?,
            "auth.jwt.ca_file" => self.jwt.ca_file = Some(parse_path(&raw)?),
            "auth.jwt.hmac_secret_file" => self.jwt.hmac_secret_file = Some(parse_path(&raw)?),
            "auth.jwt.issuer" => self.jwt.issuer = Some(parse_text(&raw)?),
            "auth.jwt.audience" => self.jwt.audience = Some(parse_text(&raw)?),
            "auth.jwt.leeway" => self.jwt.leeway = parse_duration(&raw)?,
            "auth.jwt.scope_claim" => self.jwt.scope_claim = Some(parse_text(&raw)?),
            "auth.max_failures" => self.auth.max_failures = parse_count(&raw)?,
            "auth.failure_window" => self.auth.failure_window = parse_duration(&raw)?,
            "log.format" => self.log.format = parse_choice(&raw, key)?,
            "models.scan_fail_on" => self.scan_fail_on = parse_choice(&raw, key)?,
            "models.require_signature" => self.models.require_signature = parse_bool(&raw)?,
            "models.trusted_keys" => self.models.trusted_keys = parse_paths(&raw)?,
            "models.trusted_roots" => self.models.trusted_roots = parse_paths(&raw)?,
            "models.watch" => self.models.watch = parse_bool(&raw)?,
            "models.reload_delay" => self.models.reload_delay = parse_duration(&raw)?,
            "log_payloads" => self.log.payloads = parse_bool(&raw)?,
            "log.pseudonymise" => self.log.pseudonymise = parse_bool(&raw)?,
            "log.addresses" => self.log.addresses = parse_choice(&raw, key)?,
            "log.identities" => self.log.identities = parse_choice(&raw, key)?,
            "log.patterns" => self.log.patterns.extend(parse_patterns(&raw)?),
            "otlp.endpoint" => self.otlp_endpoint = Some(parse_text(&raw)?),
            "limits.rate"
            | "limits.burst"
            | "limits.per_address_rate"
            | "limits.per_address_burst"
            | "limits.daily_rows"
            | "limits.monthly_rows"
            | "limits.concurrency" => {
                set_limit(&mut self.limits, &key["limits.".len()..], &raw)?;
            }
            "limits.identity" => self.identity_limits.extend(parse_identity_limits(&raw)?),
            "audit.dir" => self.audit.dir = Some(parse_path(&raw)?),
            "audit.advisories" => self.audit.advisories = parse_paths(&raw)?,
            "audit.max_file_size" => self.audit.max_file_size = parse_size(&raw)?,
            "audit.checkpoint_every" => self.audit.checkpoint_every = parse_count(&raw)?,
            "audit.checkpoint_interval" => self.audit.checkpoint_interval = parse_duration(&raw)?,
            "audit.fsync" => self.audit.fsync = parse_bool(&raw)?,
            "audit.fail_closed" => self.audit.fail_closed = parse_bool(&raw)?,
            "audit.stdout" => self.audit.stdout = parse_bool(&raw)?,
            "audit.syslog" => self.audit.syslog = Some(parse_path(&raw)?),
            _ => return Err("unknown key".into()),
        }
        Ok(())
    }

    fn validate(&self, errors: &mut Vec<String>) {
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => errors.push("tls.cert is set without tls.key".into()),
            (None, Some(_)) => errors.push("tls.key is set without tls.cert".into()),
            _ => {}
        }
        if self.insecure_http && self.tls_cert.is_some() {
            errors.push("insecure_http and tls.cert contradict each other: choose one".into());
        }
        if self.insecure_http && self.tls_client_ca.is_some() {
            errors.push("insecure_http and tls.client_ca contradict each other: mTLS needs TLS".into());
        }
        if self.jwt.enabled() {
            for (key, missing) in
                [("auth.jwt.issuer", self.jwt.issuer.is_none()), ("auth.jwt.audience", self.jwt.audience.is_none())]
            {
                if missing {
                    errors.push(format!(
                        "{key} is required when JWTs are on: tokens for other issuers or apps must not pass"
                    ));
                }
            }
        } else if self.jwt.issuer.is_some() || self.jwt.audience.is_some() || self.jwt.scope_claim.is_some() {
            errors.push("auth.jwt settings need auth.jwt.jwks, auth.jwt.discovery or auth.jwt.hmac_secret_file".into());
        }
        if self.jwt.discovery && self.jwt.jwks.is_some() {
            errors.push("auth.jwt.discovery and auth.jwt.jwks contradict each other: choose one".into());
        }
        if self.jwt.discovery && !self.jwt.issuer.as_deref().is_some_and(|i| i.starts_with("https://")) {
            errors.push("auth.jwt.discovery needs an https:// auth.jwt.issuer".into());
        }
        if self.jwt.refresh < Duration::from_secs(30) {
            errors.push("auth.jwt.refresh must be at least 30s".into());
        }
        if self.tls_client_ca.is_none() {
            for (key, set) in [
                ("tls.client_auth", self.tls_client_auth.is_some()),
                ("tls.crl", self.tls_crl.is_some()),
                ("tls.identities", self.tls_identities.is_some()),
            ] {
                if set {
                    errors.push(format!("{key} needs tls.client_ca"));
                }
            }
        }
        let h = &self.http;
        if h.max_header_size < 1024 {
            errors.push("http.max_header_size must be at least 1KiB".into());
        }
        if h.max_body_size < 1024 {
            errors.push("http.max_body_size must be at least 1KiB".into());
        }
        if h.max_response_size.is_some_and(|n| n < 1024) {
            errors.push("http.max_response_size must be at least 1KiB".into());
        }
        if h.max_headers < 8 {
            errors.push("http.max_headers must be at least 8".into());
        }
        for (name, d) in [
            ("auth.failure_window", self.auth.failure_window),
            ("http.read_timeout", h.read_timeout),
            ("http.request_timeout", h.request_timeout),
            ("http.shutdown_timeout", h.shutdown_timeout),
            ("audit.checkpoint_interval", self.audit.checkpoint_interval),
        ] {
            if d.is_zero() {
                errors.push(format!("{name} must be longer than zero"));
            }
        }
        if let Some(endpoint) = &self.otlp_endpoint {
            if !warden_observe::logging::OTLP_BUILT_IN {
                errors.push("otlp.endpoint: this build has no trace export; build with --features otlp".into());
            } else if !endpoint.starts_with("http://") {
                errors.push(format!(
                    "otlp.endpoint: '{endpoint}' must be an http:// URL of a local collector or agent (it forwards with TLS)"
                ));
            }
        }
        if self.audit.max_file_size < 4096 {
            errors.push("audit.max_file_size must be at least 4KiB".into());
        }
        if self.models.require_signature && self.models.trusted_keys.is_empty() && self.models.trusted_roots.is_empty()
        {
            errors.push(
                "models.require_signature needs models.trusted_keys or models.trusted_roots: who may sign models"
                    .into(),
            );
        }
        if self.models.reload_delay > Duration::from_secs(600) {
            errors.push("models.reload_delay must be at most 10m".into());
        }
        if self.metrics_listen == Some(self.listen) && self.listen.port() != 0 {
            errors.push("metrics_listen must differ from listen".into());
        }
    }
}

fn text<'a>(raw: &'a Raw<'a>) -> Result<&'a str, String> {
    match raw {
        Raw::Text(s) => Ok(s),
        Raw::Toml(toml::Value::String(s)) => Ok(s),
        Raw::Toml(v) => Err(format!("expected a string, found {}", v.type_str())),
    }
}

fn parse_addr(raw: &Raw<'_>) -> Result<SocketAddr, String> {
    let s = text(raw)?;
    s.parse().map_err(|_| format!("'{s}' is not an address like 127.0.0.1:8443 or [::1]:8443"))
}

fn parse_optional_addr(raw: &Raw<'_>) -> Result<Option<SocketAddr>, String> {
    match text(raw)? {
        "off" | "" => Ok(None),
        _ => parse_addr(raw).map(Some),
    }
}

fn parse_path(raw: &Raw<'_>) -> Result<PathBuf, String> {
    let s = text(raw)?;
    if s.is_empty() {
        return Err("expected a path, found an empty string".into());
    }
    Ok(PathBuf::from(s))
}

fn parse_paths(raw: &Raw<'_>) -> Result<Vec<PathBuf>, String> {
    let words = list_words(raw, "paths")?;
    if words.iter().any(|w| w.is_empty()) {
        return Err("expected a path, found an empty string".into());
    }
    Ok(words.into_iter().map(PathBuf::from).collect())
}

/// A list setting's words: a TOML array of strings, or a comma-separated flag or
/// variable (empty words dropped).
fn list_words<'a>(raw: &'a Raw<'_>, what: &str) -> Result<Vec<&'a str>, String> {
    Ok(match raw {
        Raw::Text(s) => s.split(',').map(str::trim).filter(|w| !w.is_empty()).collect(),
        Raw::Toml(toml::Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().ok_or_else(|| format!("expected a list of {what}, found a {}", v.type_str())))
            .collect::<Result<_, _>>()?,
        Raw::Toml(v) => return Err(format!("expected a list of {what}, found {}", v.type_str())),
    })
}

fn parse_networks(raw: &Raw<'_>) -> Result<Vec<crate::proxy::Network>, String> {
    list_words(raw, "address blocks")?.into_iter().map(crate::proxy::Network::parse).collect()
}

fn parse_bool(raw: &Raw<'_>) -> Result<bool, String> {
    match raw {
        Raw::Toml(toml::Value::Boolean(b)) => Ok(*b),
        Raw::Text(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(format!("'{s}' is not true or false")),
        },
        Raw::Toml(v) => Err(format!("expected true or false, found {}", v.type_str())),
    }
}

fn parse_log_level(raw: &Raw<'_>) -> Result<String, String> {
    let s = text(raw)?.to_ascii_lowercase();
    match s.as_str() {
        "error" | "warn" | "info" | "debug" | "trace" => Ok(s),
        _ => Err(format!("'{s}' is not one of error, warn, info, debug, trace")),
    }
}

fn parse_rate(raw: &Raw<'_>) -> Result<Rate, String> {
    Rate::parse(text(raw)?)
}

fn parse_u32(raw: &Raw<'_>) -> Result<u32, String> {
    u32::try_from(parse_count(raw)?).map_err(|_| "too large".to_string())
}

/// `[limits.identity."key:0123abcd"]` tables: the same keys as `[limits]`.
fn parse_identity_limits(raw: &Raw<'_>) -> Result<Vec<(String, LimitPolicy)>, String> {
    let Raw::Toml(toml::Value::Table(table)) = raw else {
        return Err("set per-identity limits in the config file: [limits.identity.\"key:ID\"]".into());
    };
    table
        .iter()
        .map(|(identity, value)| {
            let toml::Value::Table(keys) = value else {
                return Err(format!("'{identity}' must be a table of limits"));
            };
            let policy = parse_limit_table(keys).map_err(|e| format!("{identity}: {e}"))?;
            Ok((identity.clone(), policy))
        })
        .collect()
}

/// A `[limits]` table of one level (a model's, an identity's).
pub fn parse_limit_table(keys: &toml::Table) -> Result<LimitPolicy, String> {
    let mut policy = LimitPolicy::default();
    for (key, v) in keys {
        if !set_limit(&mut policy, key, &Raw::Toml(v)).map_err(|e| format!("{key}: {e}"))? {
            return Err(format!("{key}: unknown key"));
        }
    }
    Ok(policy)
}

/// Sets one limit key (without its `limits.` prefix); false for an unknown key.
/// Every key takes `"off"`: no limit at this level, whatever the levels below set.
fn set_limit(policy: &mut LimitPolicy, key: &str, raw: &Raw<'_>) -> Result<bool, String> {
    fn value<T>(raw: &Raw<'_>, parse: impl Fn(&Raw<'_>) -> Result<T, String>) -> Result<Option<Option<T>>, String> {
        let off = match raw {
            Raw::Text(s) => s.trim().eq_ignore_ascii_case("off"),
            Raw::Toml(toml::Value::String(s)) => s.trim().eq_ignore_ascii_case("off"),
            Raw::Toml(_) => false,
        };
        if off { Ok(Some(None)) } else { parse(raw).map(|v| Some(Some(v))) }
    }
    let rows = |raw: &Raw<'_>| parse_count(raw).map(|n| n as u64);
    match key {
        "rate" => policy.rate = value(raw, parse_rate)?,
        "burst" => policy.burst = value(raw, parse_u32)?,
        "per_address_rate" => policy.per_address_rate = value(raw, parse_rate)?,
        "per_address_burst" => policy.per_address_burst = value(raw, parse_u32)?,
        "daily_rows" => policy.daily_rows = value(raw, rows)?,
        "monthly_rows" => policy.monthly_rows = value(raw, rows)?,
        "concurrency" => policy.concurrency = value(raw, parse_u32)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// A word from the setting's own list.
fn parse_choice(raw: &Raw<'_>, key: &str) -> Result<String, String> {
    let s = text(raw)?.trim().to_ascii_lowercase();
    let words = match SETTINGS.iter().find(|k| k.key == key).map(|k| k.kind) {
        Some(Kind::Choice(words)) => words,
        _ => return Err("not a choice".into()),
    };
    if words.contains(&s.as_str()) { Ok(s) } else { Err(format!("'{s}' is not one of {}", words.join(", "))) }
}

/// Named patterns, checked to compile so a typo is found at start.
fn parse_patterns(raw: &Raw<'_>) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<(String, String)> = match raw {
        Raw::Toml(toml::Value::Table(t)) => t
            .iter()
            .map(|(k, v)| v.as_str().map(|p| (k.clone(), p.to_string())).ok_or(format!("{k}: expected a string")))
            .collect::<Result<_, _>>()?,
        Raw::Text(s) => s
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.split_once('=')
                    .map(|(n, p)| (n.trim().to_string(), p.to_string()))
                    .ok_or(format!("'{l}' is not NAME=REGEX"))
            })
            .collect::<Result<_, _>>()?,
        Raw::Toml(v) => return Err(format!("expected a table of NAME = \"REGEX\", found {}", v.type_str())),
    };
    for (name, _) in &pairs {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("pattern name '{name}' must be letters, digits and _"));
        }
    }
    let settings = warden_observe::redact::Settings { custom: pairs.clone(), ..Default::default() };
    warden_observe::redact::Redactor::new(settings).map_err(|e| e.to_string())?;
    Ok(pairs)
}

fn parse_jwks(raw: &Raw<'_>) -> Result<JwksSource, String> {
    let s = parse_text(raw)?;
    if s.starts_with("https://") {
        Ok(JwksSource::Url(s))
    } else if s.contains("://") {
        Err(format!("'{s}': a JWKS URL must use https://"))
    } else {
        Ok(JwksSource::File(PathBuf::from(s)))
    }
}

fn parse_text(raw: &Raw<'_>) -> Result<String, String> {
    let s = text(raw)?;
    if s.trim().is_empty() { Err("must not be empty".into()) } else { Ok(s.to_string()) }
}

fn parse_client_auth(raw: &Raw<'_>) -> Result<ClientAuth, String> {
    match text(raw)? {
        "required" => Ok(ClientAuth::Required),
        "optional" => Ok(ClientAuth::Optional),
        other => Err(format!("'{other}' is not \"required\" or \"optional\"")),
    }
}

fn parse_count(raw: &Raw<'_>) -> Result<usize, String> {
    let n = match raw {
        Raw::Toml(toml::Value::Integer(i)) => {
            usize::try_from(*i).map_err(|_| format!("{i} is not a positive number"))?
        }
        Raw::Text(s) => s.trim().parse::<usize>().map_err(|_| format!("'{s}' is not a positive number"))?,
        Raw::Toml(v) => return Err(format!("expected a number, found {}", v.type_str())),
    };
    if n == 0 { Err("must be at least 1".into()) } else { Ok(n) }
}

/// Bytes as a number or with a unit: `4MiB`, `16 KiB`, `1MB`, `512`.
fn parse_size(raw: &Raw<'_>) -> Result<usize, String> {
    let s = match raw {
        Raw::Toml(toml::Value::Integer(_)) => return parse_count(raw),
        _ => text(raw)?.trim(),
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: usize = digits.parse().map_err(|_| format!("'{s}' is not a size like 4MiB or 65536"))?;
    let scale: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return Err(format!("'{s}' has an unknown unit (use B, KiB, MiB, GiB, KB, MB, GB)")),
    };
    n.checked_mul(scale).filter(|&n| n > 0).ok_or_else(|| format!("'{s}' is out of range"))
}

/// A duration as seconds or with units: `30s`, `500ms`, `2m`.
fn parse_duration(raw: &Raw<'_>) -> Result<Duration, String> {
    match raw {
        Raw::Toml(toml::Value::Integer(i)) if *i >= 0 => Ok(Duration::from_secs(*i as u64)),
        _ => {
            let s = text(raw)?.trim();
            if let Ok(secs) = s.parse::<u64>() {
                return Ok(Duration::from_secs(secs));
            }
            humantime::parse_duration(s).map_err(|_| format!("'{s}' is not a duration like 30s or 500ms"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_toml(text: &str) -> Result<ServeConfig, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warden.toml");
        std::fs::write(&path, text).unwrap();
        ServeConfig::load(Some(&path), &[])
    }

    #[test]
    fn defaults_are_secure() {
        let c = ServeConfig::load(None, &[]).unwrap();
        assert!(!c.insecure_http);
        assert!(c.listen.ip().is_loopback());
        assert!(c.metrics_listen.unwrap().ip().is_loopback());
        assert_eq!(c.http.max_body_size, 4 << 20);
        assert_eq!(c.http.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn file_values_and_overrides() {
        let c = load_toml(
            "listen = \"0.0.0.0:9000\"\nmetrics_listen = \"off\"\n[http]\nmax_body_size = \"1MiB\"\nread_timeout = \"1500ms\"\nmax_in_flight = 8\n",
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.metrics_listen, None);
        assert_eq!(c.http.max_body_size, 1 << 20);
        assert_eq!(c.http.read_timeout, Duration::from_millis(1500));
        assert_eq!(c.http.max_in_flight, 8);

        let c = ServeConfig::load(None, &[("http.max_body_size".into(), "64KiB".into())]).unwrap();
        assert_eq!(c.http.max_body_size, 64 << 10);
    }

    #[test]
    fn all_errors_reported_together() {
        let err = load_toml(
            "lisen = \"x\"\nlisten = 5\n[http]\nmax_body_size = \"4 parsecs\"\nbogus = 1\n[tls]\ncert = \"c.pem\"\n",
        )
        .unwrap_err();
        let all = err.0.join("\n");
        assert!(all.contains("unknown key 'lisen'"), "{all}");
        assert!(all.contains("listen: expected a string"), "{all}");
        assert!(all.contains("http.max_body_size"), "{all}");
        assert!(all.contains("unknown key 'http.bogus'"), "{all}");
        assert!(all.contains("tls.cert is set without tls.key"), "{all}");
        assert_eq!(err.0.len(), 5, "{all}");
    }

    #[test]
    fn rejects_bad_values() {
        for (key, value) in [
            ("listen", "localhost"),
            ("http.max_in_flight", "0"),
            ("http.max_in_flight", "-3"),
            ("http.read_timeout", "soon"),
            ("http.max_header_size", "10"),
            ("insecure_http", "maybe"),
            ("log_level", "loud"),
            ("tls.client_auth", "sometimes"),
        ] {
            assert!(ServeConfig::load(None, &[(key.into(), value.into())]).is_err(), "{key}={value}");
        }
        assert!(load_toml("[http]\nmax_body_size = -1").is_err());
        assert!(load_toml("http = 3").is_err());
        assert!(load_toml("not toml at all [").is_err());
    }

    #[test]
    fn jwt_needs_issuer_and_audience() {
        let err = ServeConfig::load(None, &[("auth.jwt.jwks".into(), "j.json".into())]).unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        let err = ServeConfig::load(None, &[("auth.jwt.issuer".into(), "https://i".into())]).unwrap_err();
        assert!(err.0[0].contains("need auth.jwt.jwks"), "{err}");
        let err = ServeConfig::load(None, &[("auth.jwt.jwks".into(), "http://idp/keys".into())]).unwrap_err();
        assert!(err.0[0].contains("must use https"), "{err}");
        let c = ServeConfig::load(
            None,
            &[
                ("auth.jwt.discovery".into(), "true".into()),
                ("auth.jwt.issuer".into(), "https://idp".into()),
                ("auth.jwt.audience".into(), "w".into()),
            ],
        )
        .unwrap();
        assert!(c.jwt.remote());
        let file = "[auth.jwt]\njwks = \"j.json\"\nissuer = \"https://i\"\naudience = \"warden\"\nleeway = \"5s\"\n";
        let c = load_toml(file).unwrap();
        assert_eq!(c.jwt.leeway, Duration::from_secs(5));
        assert_eq!(c.jwt.audience.as_deref(), Some("warden"));
    }

    #[test]
    fn mtls_settings_need_a_client_ca() {
        let err = ServeConfig::load(None, &[("tls.crl".into(), "c.pem".into())]).unwrap_err();
        assert!(err.0[0].contains("tls.crl needs tls.client_ca"), "{err}");
        let c = ServeConfig::load(
            None,
            &[("tls.client_ca".into(), "ca.pem".into()), ("tls.client_auth".into(), "optional".into())],
        )
        .unwrap();
        assert_eq!(c.tls_client_auth, Some(ClientAuth::Optional));
    }

    #[test]
    fn flags_and_env_names() {
        let s = SETTINGS.iter().find(|s| s.key == "http.max_body_size").unwrap();
        assert_eq!(s.flag(), "http-max-body-size");
        assert_eq!(s.env(), "WARDEN_HTTP_MAX_BODY_SIZE");
        let s = SETTINGS.iter().find(|s| s.key == "tls.cert").unwrap();
        assert_eq!(s.flag(), "tls-cert");
    }

    #[test]
    fn redaction_patterns_come_from_a_table_or_lines_and_must_compile() {
        let table = "[log.patterns]\norder = \"ORD-[0-9]{8}\"\n";
        let c = load_toml(table).unwrap();
        assert_eq!(c.log.patterns, [("order".to_string(), "ORD-[0-9]{8}".to_string())]);
        let err = load_toml("[log.patterns]\nbad = \"(\"\n").unwrap_err();
        assert!(err.0[0].contains("'bad'"), "{err}");
        let err = load_toml("[log]\nformat = \"xml\"\n").unwrap_err();
        assert!(err.0[0].contains("not one of auto, json, text"), "{err}");
    }

    #[test]
    fn an_otlp_endpoint_needs_the_feature_and_plain_http() {
        let err = load_toml("[otlp]\nendpoint = \"https://collector:4318\"\n").unwrap_err();
        let expected = if cfg!(feature = "otlp") { "must be an http:// URL" } else { "build with --features otlp" };
        assert!(err.0[0].contains(expected), "{err}");
    }

    #[test]
    fn limits_come_from_the_file_with_identity_overrides() {
        let text = "[limits]\nrate = \"100/s\"\ndaily_rows = 1000\n[limits.identity.\"key:abc\"]\nrate = \"5/s\"\n";
        let c = load_toml(text).unwrap();
        assert_eq!(c.limits.rate, Some(Some(Rate::parse("100/s").unwrap())));
        assert_eq!(c.identity_limits["key:abc"].rate, Some(Some(Rate::parse("5/s").unwrap())));
        let off = ServeConfig::load(None, &[("limits.rate".into(), "off".into())]).unwrap();
        assert_eq!(off.limits.rate, Some(None));
        assert_eq!(off.limits.daily_rows, LimitPolicy::server_default().daily_rows);
        let err = load_toml("[limits]\nrate = \"fast\"\n[limits.identity.x]\nspeed = 1\n").unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        assert!(err.0.iter().any(|e| e.contains("x: speed: unknown key")), "{err}");
        assert!(err.0.iter().any(|e| e.contains("'fast' is not a rate")), "{err}");
    }

    #[test]
    fn model_trust_settings_take_lists_from_the_file_or_a_flag() {
        let text =
            "[models]\nrequire_signature = true\ntrusted_keys = [\"a.pub\", \"b.pub\"]\nreload_delay = \"500ms\"\n";
        let c = load_toml(text).unwrap();
        assert!(c.models.require_signature && c.models.watch);
        assert_eq!(c.models.trusted_keys, [PathBuf::from("a.pub"), PathBuf::from("b.pub")]);
        assert_eq!(c.models.reload_delay, Duration::from_millis(500));
        let flags = ServeConfig::load(None, &[("models.trusted_roots".into(), "ca.pem, other.pem".into())]).unwrap();
        assert_eq!(flags.models.trusted_roots, [PathBuf::from("ca.pem"), PathBuf::from("other.pem")]);
        let err = load_toml("[models]\nrequire_signature = true\ntrusted_keys = [1]\n").unwrap_err();
        assert!(err.0.iter().any(|e| e.contains("expected a list of paths")), "{err}");
        assert!(err.0.iter().any(|e| e.contains("needs models.trusted_keys or models.trusted_roots")), "{err}");
        assert!(load_toml("[models]\ntrusted_keys = \"a.pub\"\n").is_err());
    }

    #[test]
    fn every_setting_is_settable() {
        let mut c = ServeConfig::default();
        for s in SETTINGS {
            let value = match s.kind {
                Kind::Addr | Kind::OptionalAddr => "127.0.0.1:1",
                Kind::Path => "p",
                Kind::Paths => "a.pub,b.pub",
                Kind::Networks => "10.0.0.0/8,192.0.2.7",
                Kind::Bool => "true",
                Kind::Size => "2KiB",
                Kind::Duration => "2s",
                Kind::Count => "2",
                Kind::LogLevel => "debug",
                Kind::ClientAuth => "optional",
                Kind::Text => "text",
                Kind::Choice(words) => words[0],
                Kind::Patterns => "order_id=ORD-[0-9]{8}",
                Kind::Rate => "10/s",
                Kind::IdentityLimits => continue,
            };
            c.set(s.key, Raw::Text(value)).unwrap_or_else(|e| panic!("{}: {e}", s.key));
        }
    }
}
