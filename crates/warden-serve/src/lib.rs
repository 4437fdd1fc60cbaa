//! `warden serve`: an HTTPS server for ONNX models on the Open Inference Protocol,
//! with authentication on and every limit set by default.
#![forbid(unsafe_code)]

mod app;
mod catalog;
mod client_cert;
mod coding;
mod config;
mod confine;
mod connections;
mod detect;
mod error;
mod filestamp;
mod head;
mod jwks;
mod keyring;
mod limiter;
mod linger;
mod metrics;
mod models;
mod models_watch;
mod observe;
mod output;
mod pool;
mod protocol;
mod proxy;
mod reload;
mod reply;
mod repository_api;
mod routes;
mod server;
mod state;
mod tls;
mod trail;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use sha2::Digest;
use tokio::net::TcpListener;
use warden_guard::KeyStore;
use warden_guard::limits::MemoryState;
use warden_model::Repository;
use warden_observe::audit::{AuditLog, Event};

pub use config::{AuthLimits, ClientAuth, ConfigError, HttpLimits, Kind, SETTINGS, ServeConfig, Setting};
pub use confine::policy as sandbox_policy;
pub use error::SetupError;
pub use observe::init_logging;
pub use state::keys_path;
pub use tls::TlsMaterial;

use crate::app::App;
use crate::keyring::KeyRing;
use crate::limiter::Limiter;

/// Everything checked and loaded before a socket is opened, so a broken setup
/// fails at once with a clear message.
pub struct Prepared {
    pub config: ServeConfig,
    /// The first admin key, when this start created it: print it once.
    pub admin_key: Option<String>,
    pub tls: Option<TlsMaterial>,
    pub models: Vec<String>,
    /// The limits in force, in one line.
    pub limits: String,
    metrics_token: Option<Arc<[u8]>>,
    app: Arc<App>,
}

/// Creates the state dir, the first admin key and the certificate when missing,
/// loads the models, and checks that secret files are private.
pub fn prepare(config: ServeConfig) -> Result<Prepared, SetupError> {
    state::create_private_dir(&config.state_dir)?;
    let keys_file = keys_path(&config.state_dir);
    state::check_private(&keys_file)?;
    let (loaded, tls) = reload::load(&config)?;
    let metrics_token = match &config.metrics_token_file {
        Some(path) => Some(read_token(path)?),
        None => None,
    };
    let policy = models::load_policy(&config)?;
    let audit = Arc::new(AuditLog::open(trail::settings(&config))?);
    let (repo, sync) = match &config.model_repository {
        Some(dir) => match load_repository(dir, &policy, &audit) {
            Ok((repo, sync)) => (repo, Some(sync)),
            Err(e) => {
                audit.close();
                return Err(e);
            }
        },
        None => (Repository::embedded_default()?, None),
    };
    let limiter = limiter(&config, &repo)?;
    let limits = limiter.describe();
    let flags = warden_guard::extraction::flags_path(&config.state_dir);
    state::check_private(&flags)?;
    let detection = Arc::new(detect::Detection::new(&repo, flags).map_err(SetupError::Unsafe)?);
    // The first admin key is made last: a start that fails after making it would
    // store a key nobody ever saw, and the next start would not print a new one.
    let mut store = KeyStore::open_for_update(&keys_file)?;
    let admin_key =
        if store.has_active_key() { None } else { Some(store.create("admin", &["admin".to_string()], None)?.1) };
    let models = repo.entries().map(|e| e.name.clone()).collect();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    audit.record_detached(start_event(&repo, &config, admin_key.is_some()));
    let keys = Arc::new(KeyRing::new(&store, audit.clone()));
    let live = reload::Live::new(loaded);
    let catalog = catalog::Catalog::build(repo).map_err(SetupError::Unsafe)?;
    let store = models::ModelStore::new(catalog, sync, policy);
    let parts = app::Parts { models: store, keys, live, audit, limiter, detection };
    let app = Arc::new(App::new(parts, &config, threads));
    Ok(Prepared { config, admin_key, tls, models, limits, metrics_token, app })
}

/// Loads the model repository at start, every version through every check. Any
/// rejection stops the start (and is audited): a server that silently drops a
/// model it was given is worse than one that refuses to start.
fn load_repository(
    dir: &std::path::Path,
    policy: &warden_model::LoadPolicy,
    audit: &AuditLog,
) -> Result<(Repository, warden_model::RepositorySync), SetupError> {
    let mut sync = warden_model::RepositorySync::new(dir);
    let outcome = sync.run(&Repository::default(), policy, warden_model::Scope::All, &catalog::check_entry)?;
    for r in &outcome.rejected {
        models::record_rejection(audit, None, r, "start");
    }
    let problem =
        |message: String| SetupError::Model(warden_model::ModelError::Repository { path: dir.to_path_buf(), message });
    if !outcome.rejected.is_empty() {
        // Each rejection was logged and audited above; the error names the first few.
        const SHOWN: usize = 5;
        let mut reasons: Vec<String> = outcome.rejected.iter().take(SHOWN).map(ToString::to_string).collect();
        if outcome.rejected.len() > SHOWN {
            reasons.push(format!("and {} more (each in the log and the audit log)", outcome.rejected.len() - SHOWN));
        }
        return Err(problem(reasons.join("; ")));
    }
    if outcome.repo.entries().next().is_none() {
        return Err(problem("holds no model (expected <name>/<version>/model.onnx)".into()));
    }
    Ok((outcome.repo, sync))
}

/// Writes changed query budgets every second, so a crash loses at most a second
/// of spending.
async fn save_budgets(app: Arc<App>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        let app = app.clone();
        let _ = tokio::task::spawn_blocking(move || app.limiter.save()).await;
    }
}

/// Picks up `warden clients clear` (flags.json) every second, and every five
/// writes what the detectors know to clients.json for `warden clients list`.
async fn watch_clients(app: Arc<App>, snapshot: std::path::PathBuf) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    for round in 0u64.. {
        tick.tick().await;
        let (app, snapshot) = (app.clone(), snapshot.clone());
        let _ = tokio::task::spawn_blocking(move || {
            for (identity, model) in app.detection.reload_if_changed() {
                app.audit
                    .record_detached(Event::new("extraction_cleared").with("identity", identity).with("model", model));
            }
            if round % 5 == 0 {
                let states = app.detection.snapshot();
                if let Ok(json) = serde_json::to_vec_pretty(&states)
                    && let Err(e) = warden_guard::write_private(&snapshot, &json)
                {
                    tracing::warn!(path = %snapshot.display(), error = %e, "cannot write the client snapshot");
                }
            }
        })
        .await;
    }
}

/// The limits: the server's, each model's `[limits]` (from its newest version's
/// config), each identity's, and the budgets saved by the last run.
fn limiter(config: &ServeConfig, repo: &Repository) -> Result<Limiter, SetupError> {
    let models = catalog::limit_policies(repo).map_err(SetupError::Unsafe)?;
    let path = config.state_dir.join("budgets.json");
    state::check_private(&path)?;
    let memory = MemoryState::load(&path)?;
    Ok(Limiter::new(memory, path, config.limits, config.identity_limits.clone(), models))
}

/// The first record of a run: what is served (each model's file digest and the
/// backend that parses and runs it) and how.
fn start_event(repo: &Repository, config: &ServeConfig, created_admin_key: bool) -> Event {
    let models: Vec<serde_json::Value> = repo
        .entries()
        .flat_map(|e| e.versions.values())
        .map(|m| serde_json::json!({"name": m.name, "version": m.version, "sha256": m.digest, "backend": m.backend_name()}))
        .collect();
    // A digest of the effective settings: a changed configuration between two
    // starts shows in the log without the log holding the configuration.
    let settings = format!("{config:?}");
    Event::new("server_start")
        .with("version", env!("CARGO_PKG_VERSION"))
        .with("config_sha256", hex::encode(sha2::Sha256::digest(settings.as_bytes())))
        .with("listen", config.listen.to_string())
        .with("tls", !config.insecure_http)
        .with("mtls", config.tls_client_ca.is_some())
        .with("jwt", config.jwt.enabled())
        .with("models", models)
        .with("created_admin_key", created_admin_key)
}

/// A secret token from a private file, trimmed of the newline editors add.
fn read_token(path: &std::path::Path) -> Result<Arc<[u8]>, SetupError> {
    state::check_private(path)?;
    let bytes = std::fs::read(path).map_err(|source| SetupError::Io { path: path.to_path_buf(), source })?;
    let token = bytes.trim_ascii();
    if token.len() < 16 {
        return Err(SetupError::Unsafe(format!("{}: a token must be at least 16 bytes", path.display())));
    }
    Ok(token.into())
}

/// Bound sockets, so callers can print the real addresses (port 0 picks one).
pub struct Bound {
    pub api: SocketAddr,
    pub metrics: Option<SocketAddr>,
    api_listener: TcpListener,
    metrics_listener: Option<TcpListener>,
}

/// The listening sockets, bound before the server confines itself: the seccomp
/// filter has no `bind` or `listen`, so no later bug can open another port.
pub struct Listeners {
    api: std::net::TcpListener,
    metrics: Option<std::net::TcpListener>,
}

/// Binds the API and metrics addresses. A throwaway current-thread runtime binds
/// them (tokio's options, a 1024 backlog) without starting any thread: threads
/// made before the sandbox would escape Landlock, which holds per thread.
pub fn listen(config: &ServeConfig) -> Result<Listeners, SetupError> {
    let io = |source: std::io::Error| SetupError::Bind { addr: config.listen, source };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().map_err(io)?;
    runtime.block_on(async {
        let bind = |addr: SocketAddr| async move {
            let listener = TcpListener::bind(addr).await.map_err(|source| SetupError::Bind { addr, source })?;
            listener.into_std().map_err(|source| SetupError::Bind { addr, source })
        };
        let api = bind(config.listen).await?;
        let metrics = match config.metrics_listen {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        Ok(Listeners { api, metrics })
    })
}

/// Creates the state and audit directories (private), so the sandbox can grant
/// them before anything is written there.
pub fn create_dirs(config: &ServeConfig) -> Result<(), SetupError> {
    state::create_private_dir(&config.state_dir)?;
    state::create_private_dir(&trail::settings(config).dir)
}

/// Hands the bound sockets to the serving runtime.
pub fn bind(listeners: Listeners) -> Result<Bound, SetupError> {
    let adopt = |l: std::net::TcpListener| {
        let addr = l.local_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        TcpListener::from_std(l).map_err(|source| SetupError::Bind { addr, source })
    };
    let api_listener = adopt(listeners.api)?;
    let metrics_listener = listeners.metrics.map(adopt).transpose()?;
    let local = |l: &TcpListener| l.local_addr().ok();
    Ok(Bound {
        api: local(&api_listener).unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
        metrics: metrics_listener.as_ref().and_then(local),
        api_listener,
        metrics_listener,
    })
}

/// Serves until `shutdown` completes, then drains and returns.
pub async fn run(prepared: Prepared, bound: Bound, shutdown: impl Future<Output = ()>) {
    let app = prepared.app;
    let watcher = tokio::spawn(app.keys.clone().watch(app::KEY_POLL));
    let reloader = Arc::new(reload::Reloader::new(prepared.config.clone()));
    let reloads = tokio::spawn(reloader.watch(app.clone(), app::KEY_POLL));
    let model_watch = match (&prepared.config.model_repository, prepared.config.models.watch) {
        (Some(dir), true) => Some(models_watch::spawn(app.clone(), dir.clone(), prepared.config.models.reload_delay)),
        _ => None,
    };
    let budgets = tokio::spawn(save_budgets(app.clone()));
    let clients = tokio::spawn(watch_clients(app.clone(), prepared.config.state_dir.join("clients.json")));
    let token = prepared.metrics_token;
    let metrics = bound.metrics_listener.map(|l| tokio::spawn(server::serve_metrics(app.clone(), l, token)));
    server::serve_api(app.clone(), bound.api_listener, shutdown).await;
    let keys = app.keys.clone();
    let _ = tokio::task::spawn_blocking(move || keys.flush()).await;
    watcher.abort();
    reloads.abort();
    drop(model_watch);
    budgets.abort();
    clients.abort();
    let saved = app.clone();
    let _ = tokio::task::spawn_blocking(move || saved.limiter.save()).await;
    if let Some(m) = metrics {
        m.abort();
    }
    app.audit.record_detached(Event::new("server_stop"));
    let audit = app.audit.clone();
    let _ = tokio::task::spawn_blocking(move || audit.close()).await;
}
