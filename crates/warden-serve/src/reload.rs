//! Everything the server reads from files named in its configuration, other than
//! models and API keys: the TLS certificate and key, client CAs and CRLs, the
//! identities file, the JWKS and the HMAC secret. They are loaded together into one
//! `Loaded` and swapped at once on SIGHUP or when any of the files changes. A broken
//! new file is refused with a log line and the previous set stays; connections
//! already open keep the TLS session they have, new ones get the new certificate.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use warden_observe::audit::Event;

use rustls::ServerConfig;
use warden_guard::{IdentityScopes, JwkSet, JwtPolicy, JwtVerifier};

use crate::app::App;
use crate::config::{ClientAuth, JwksSource, ServeConfig};
use crate::error::SetupError;
use crate::filestamp::{Stamp, stamp};
use crate::jwks;
use crate::state;
use crate::tls::{self, ClientCertPolicy, TlsMaterial};

/// The shortest wait between two fetches caused by unknown `kid`s.
pub const MIN_KID_REFRESH: Duration = Duration::from_secs(30);

pub struct Loaded {
    pub tls: Option<Arc<ServerConfig>>,
    pub jwt: Option<JwtVerifier>,
    pub identities: IdentityScopes,
}

/// Builds everything from the files, checking each as at start.
pub fn load(config: &ServeConfig) -> Result<(Loaded, Option<TlsMaterial>), SetupError> {
    let (tls, material) = if config.insecure_http {
        (None, None)
    } else {
        let material = tls::material(&config.state_dir, config.tls_cert.as_deref(), config.tls_key.as_deref())?;
        state::check_private(&material.key)?;
        let clients = config.tls_client_ca.as_deref().map(|ca| ClientCertPolicy {
            ca,
            required: config.tls_client_auth != Some(ClientAuth::Optional),
            crl: config.tls_crl.as_deref(),
        });
        (Some(tls::server_config(&material, clients.as_ref())?), Some(material))
    };
    let identities = match &config.tls_identities {
        Some(path) => IdentityScopes::load(path)?,
        None => IdentityScopes::default(),
    };
    Ok((Loaded { tls, jwt: jwt_verifier(config)?, identities }, material))
}

fn jwt_verifier(config: &ServeConfig) -> Result<Option<JwtVerifier>, SetupError> {
    let j = &config.jwt;
    let (Some(issuer), Some(audience)) = (&j.issuer, &j.audience) else { return Ok(None) };
    if !j.enabled() {
        return Ok(None);
    }
    let policy = JwtPolicy {
        issuer: issuer.clone(),
        audience: audience.clone(),
        leeway_secs: j.leeway.as_secs(),
        scope_claim: j.scope_claim.clone(),
    };
    let read = |path: &Path| std::fs::read(path).map_err(|source| SetupError::Io { path: path.to_path_buf(), source });
    let jwks = match &j.jwks {
        Some(JwksSource::File(path)) => Some(
            serde_json::from_slice::<JwkSet>(&read(path)?)
                .map_err(|e| SetupError::Jwt(format!("{}: not a JWKS: {e}", path.display())))?,
        ),
        _ if j.remote() => Some(jwks::fetch(j)?),
        _ => None,
    };
    let secret = match &j.hmac_secret_file {
        Some(path) => {
            state::check_private(path)?;
            Some(read(path)?.trim_ascii().to_vec())
        }
        None => None,
    };
    JwtVerifier::new(policy, jwks.as_ref(), secret.as_deref()).map(Some).map_err(SetupError::Jwt)
}

/// The current set, shared by the accept loop and the request path.
pub struct Live(RwLock<Arc<Loaded>>);

impl Live {
    pub fn new(loaded: Loaded) -> Live {
        Live(RwLock::new(Arc::new(loaded)))
    }

    pub fn get(&self) -> Arc<Loaded> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, loaded: Loaded) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
    }
}

/// The files whose change triggers a reload.
fn watched(config: &ServeConfig) -> Vec<PathBuf> {
    let generated = if !config.insecure_http && config.tls_cert.is_none() {
        vec![config.state_dir.join("tls/cert.pem"), config.state_dir.join("tls/key.pem")]
    } else {
        Vec::new()
    };
    [
        &config.tls_cert,
        &config.tls_key,
        &config.tls_client_ca,
        &config.tls_crl,
        &config.tls_identities,
        &config.jwt.hmac_secret_file,
        &config.jwt.ca_file,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .chain(generated)
    .chain(match &config.jwt.jwks {
        Some(JwksSource::File(path)) => Some(path.clone()),
        _ => None,
    })
    .collect()
}

/// What woke the reloader.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Hangup,
    UnknownKid,
    Refresh,
    Poll,
}

pub struct Reloader {
    config: ServeConfig,
    paths: Vec<PathBuf>,
    stamps: Mutex<Vec<Option<Stamp>>>,
}

impl Reloader {
    pub fn new(config: ServeConfig) -> Reloader {
        let paths = watched(&config);
        let stamps = Mutex::new(paths.iter().map(|p| stamp(p)).collect());
        Reloader { config, paths, stamps }
    }

    /// Rebuilds the set from the files and swaps it in, or keeps the old one.
    pub fn reload(&self, app: &App, why: &str) {
        match load(&self.config) {
            Ok((loaded, _)) => {
                app.live.set(loaded);
                tracing::info!(trigger = why, "reloaded certificates, CRLs, identities and JWT keys");
                app.audit.record_detached(Event::new("reload").with("trigger", why));
            }
            Err(e) => {
                tracing::error!(
                    trigger = why,
                    error = %e,
                    "reload refused: a file is broken; keeping the previous certificates and credentials"
                );
                app.audit
                    .record_detached(Event::new("reload_refused").with("trigger", why).with("error", e.to_string()));
            }
        }
    }

    fn changed(&self) -> bool {
        let now: Vec<Option<Stamp>> = self.paths.iter().map(|p| stamp(p)).collect();
        let mut stamps = self.stamps.lock().unwrap_or_else(|e| e.into_inner());
        if *stamps == now {
            return false;
        }
        *stamps = now;
        true
    }

    /// Reloads on SIGHUP (keys too), when a watched file changes, every
    /// `auth.jwt.refresh` when keys come from a URL, and when a token names a `kid`
    /// nobody knows (the provider may have rotated), at most once per
    /// `MIN_KID_REFRESH` so a flood of random kids cannot hammer the provider.
    pub async fn watch(self: Arc<Self>, app: Arc<App>, every: Duration) {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangup = match signal(SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGHUP; reloading on file changes only");
                None
            }
        };
        let remote = self.config.jwt.remote();
        // The fetch at start counts for the periodic refresh, but the first unknown
        // kid may fetch at once: the provider may have rotated just before.
        let mut last_fetch = Instant::now().checked_sub(MIN_KID_REFRESH).unwrap_or_else(Instant::now);
        let started = Instant::now();
        let mut tick = tokio::time::interval(every);
        loop {
            let hup = async {
                match hangup.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            let trigger = tokio::select! {
                _ = hup => Trigger::Hangup,
                _ = app.jwks_stale.notified(), if remote => {
                    if last_fetch.elapsed() < MIN_KID_REFRESH {
                        continue;
                    }
                    Trigger::UnknownKid
                }
                _ = tick.tick() => {
                    if remote && last_fetch.max(started).elapsed() >= self.config.jwt.refresh {
                        Trigger::Refresh
                    } else {
                        Trigger::Poll
                    }
                }
            };
            let (me, app2) = (self.clone(), app.clone());
            let _ = tokio::task::spawn_blocking(move || match trigger {
                Trigger::Hangup => {
                    app2.keys.reload();
                    me.reload(&app2, "SIGHUP");
                    if me.config.model_repository.is_some() {
                        let _ = app2.reload_models("SIGHUP", warden_model::Scope::All);
                    }
                }
                Trigger::Poll => {
                    if me.changed() {
                        me.reload(&app2, "file change");
                    }
                }
                Trigger::UnknownKid => me.reload(&app2, "unknown kid"),
                Trigger::Refresh => me.reload(&app2, "refresh"),
            })
            .await;
            if trigger != Trigger::Poll {
                last_fetch = Instant::now();
            }
        }
    }
}
