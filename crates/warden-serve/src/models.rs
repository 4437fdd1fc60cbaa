//! Safe hot reload of models. A pass (on a change in the repository, SIGHUP, or a
//! repository API call) checks each new or changed version (signature, scan,
//! parse, warm-up, the model's own settings) before anything is swapped; then the
//! whole catalog is replaced at once. Requests in flight hold the catalog they
//! started with and finish on the old version. A version that fails leaves what
//! was served in place, and the reason goes to the log, the audit log
//! (`model_rejected`), the metrics, and the repository index admins read.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;
use warden_model::{LoadPolicy, Rejection, Repository, RepositorySync, Scope};
use warden_observe::audit::{AuditLog, Event};

use crate::app::App;
use crate::catalog::{self, Catalog, Current};
use crate::error::SetupError;
use crate::metrics::Metrics;

/// The served models and what is needed to reload them.
pub struct ModelStore {
    pub current: Current,
    /// `None` for the embedded default model, which never reloads. The lock also
    /// keeps two reloads from running at once.
    sync: Mutex<Option<RepositorySync>>,
    policy: LoadPolicy,
    /// The last rejection of each (model, version); `None` = the model as a whole.
    rejected: Mutex<BTreeMap<(String, Option<u64>), Rejection>>,
}

/// What a reload did, for the API answer.
#[derive(Debug, Default)]
pub struct Reloaded {
    pub loaded: Vec<(String, String)>,
    pub dropped: Vec<(String, String)>,
    pub rejected: Vec<Rejection>,
}

/// One line of the repository index (Triton's repository extension).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct IndexEntry {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    pub state: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl ModelStore {
    pub fn new(catalog: Catalog, sync: Option<RepositorySync>, policy: LoadPolicy) -> ModelStore {
        ModelStore {
            current: Current::new(catalog),
            sync: Mutex::new(sync),
            policy,
            rejected: Mutex::new(BTreeMap::new()),
        }
    }

    /// Every served version, every version or model kept out and why, and every
    /// model an administrator unloaded.
    pub fn index(&self) -> Vec<IndexEntry> {
        let catalog = self.current.get();
        let rejected = self.rejected.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for entry in catalog.repo.entries() {
            for v in entry.versions.keys() {
                let reason = rejected
                    .get(&(entry.name.clone(), Some(*v)))
                    .map(|r| format!("serving the files loaded before; the new ones were rejected: {}", r.message))
                    .unwrap_or_default();
                out.push(IndexEntry { name: entry.name.clone(), version: v.to_string(), state: "READY", reason });
            }
        }
        for ((name, version), r) in rejected.iter() {
            let served = catalog.repo.get(name, version.map(|v| v.to_string()).as_deref()).is_some();
            if !served {
                out.push(IndexEntry {
                    name: name.clone(),
                    version: version.map(|v| v.to_string()).unwrap_or_default(),
                    state: "UNAVAILABLE",
                    reason: format!("{} ({}): {}", r.step.label(), r.rule, r.message),
                });
            }
        }
        out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        out
    }

    /// Keeps the rejections current: a version that loaded has none, and a model
    /// whose directory is gone from the repository has nothing left to report.
    fn note(&self, reloaded: &Reloaded, repository: &Path) {
        let mut rejected = self.rejected.lock().unwrap_or_else(|e| e.into_inner());
        rejected.retain(|(name, _), _| repository.join(name).is_dir());
        for (name, version) in &reloaded.loaded {
            rejected.remove(&(name.clone(), version.parse().ok()));
            rejected.remove(&(name.clone(), None));
        }
        for r in &reloaded.rejected {
            rejected.insert((r.model.clone(), r.version), r.clone());
        }
    }
}

impl App {
    /// One reload pass; CPU and disk work, run it off the reactor. `Err` when the
    /// repository itself cannot be read (nothing changes then either).
    pub fn reload_models(&self, trigger: &str, scope: Scope<'_>) -> Result<Reloaded, String> {
        let store = &self.models;
        let mut guard = store.sync.lock().unwrap_or_else(|e| e.into_inner());
        let Some(sync) = guard.as_mut() else {
            return Err("this server serves its embedded model and has no model repository to reload".into());
        };
        let current = store.current.get();
        let outcome = match sync.run(&current.repo, &store.policy, scope, &catalog::check_entry) {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(trigger, error = %e, "model reload failed: the repository cannot be read; keeping the models served");
                return Err(e.to_string());
            }
        };
        let reloaded = Reloaded {
            loaded: outcome.loaded.iter().map(|m| (m.name.clone(), m.version.clone())).collect(),
            dropped: outcome.dropped,
            rejected: outcome.rejected,
        };
        if (!reloaded.loaded.is_empty() || !reloaded.dropped.is_empty())
            && let Err(e) = self.swap(outcome.repo, &reloaded)
        {
            // check_entry passed for each model, so this is a bug, not bad input.
            tracing::error!(trigger, error = %e, "model reload refused; keeping the models served");
            return Err(e);
        }
        store.note(&reloaded, sync.dir());
        drop(guard);
        self.report(trigger, &reloaded);
        Ok(reloaded)
    }

    /// Stops serving `name` until it is loaded again by name (the watcher leaves
    /// it out meanwhile). Requests in flight finish on it.
    pub fn unload_model(&self, name: &str) -> Result<(), String> {
        let store = &self.models;
        let mut guard = store.sync.lock().unwrap_or_else(|e| e.into_inner());
        let Some(sync) = guard.as_mut() else {
            return Err("this server serves its embedded model and has no model repository to unload from".into());
        };
        let current = store.current.get();
        let Some(entry) = current.repo.entry(name) else {
            return Err(format!("model '{name}' is not loaded"));
        };
        let dropped: Vec<(String, String)> = entry.versions.keys().map(|v| (name.to_string(), v.to_string())).collect();
        let repo = current.repo.without(name);
        sync.unload(name);
        let reloaded = Reloaded { dropped, ..Reloaded::default() };
        self.swap(repo, &reloaded)?;
        drop(guard);
        self.report("api unload", &reloaded);
        Ok(())
    }

    /// Replaces the catalog and everything derived from it.
    fn swap(&self, repo: Repository, reloaded: &Reloaded) -> Result<(), String> {
        let limits = catalog::limit_policies(&repo)?;
        let changed: HashSet<String> =
            reloaded.loaded.iter().chain(&reloaded.dropped).map(|(name, _)| name.clone()).collect();
        self.detection.set_models(&repo, &changed)?;
        let catalog = Catalog::build(repo)?;
        self.limiter.set_models(limits);
        self.models.current.set(catalog);
        Ok(())
    }

    fn report(&self, trigger: &str, reloaded: &Reloaded) {
        let catalog = self.models.current.get();
        for (name, version) in &reloaded.loaded {
            let digest = catalog.repo.get(name, Some(version)).map(|m| m.digest.clone()).unwrap_or_default();
            tracing::info!(model = %name, version = %version, trigger, "model version loaded and serving");
            self.metrics.model_loaded(name, version);
            self.audit.record_detached(
                Event::new("model_loaded")
                    .with("model", name.as_str())
                    .with("version", version.as_str())
                    .with("sha256", digest)
                    .with("trigger", trigger),
            );
        }
        for (name, version) in &reloaded.dropped {
            tracing::info!(model = %name, version = %version, trigger, "model version no longer served");
            self.metrics.model_unloaded(name, version);
            self.audit.record_detached(
                Event::new("model_unloaded")
                    .with("model", name.as_str())
                    .with("version", version.as_str())
                    .with("trigger", trigger),
            );
        }
        for r in &reloaded.rejected {
            record_rejection(&self.audit, Some(&self.metrics), r, trigger);
        }
    }
}

/// Logs, audits and counts one rejection.
pub fn record_rejection(audit: &AuditLog, metrics: Option<&Metrics>, r: &Rejection, trigger: &str) {
    let version = r.version.map(|v| v.to_string()).unwrap_or_default();
    let file = r.file.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default();
    tracing::error!(
        model = %r.model,
        version = %version,
        step = r.step.label(),
        rule = %r.rule,
        file = %file,
        trigger,
        "model rejected: {}",
        r.message
    );
    if let Some(m) = metrics {
        m.model_rejected(&r.model, r.step.label());
    }
    audit.record_detached(
        Event::new("model_rejected")
            .with("model", r.model.as_str())
            .with("version", version)
            .with("step", r.step.label())
            .with("rule", r.rule.as_str())
            .with("file", file)
            .with("error", r.message.as_str())
            .with("trigger", trigger),
    );
}

/// The checks every model version passes, from the server's settings.
pub fn load_policy(config: &crate::config::ServeConfig) -> Result<LoadPolicy, SetupError> {
    let mut trusted_keys = Vec::new();
    for path in &config.models.trusted_keys {
        trusted_keys.push(
            warden_model::TrustedKey::read(path)
                .map_err(|e| SetupError::Unsafe(format!("models.trusted_keys: {e}")))?,
        );
    }
    let mut trusted_roots = Vec::new();
    for path in &config.models.trusted_roots {
        trusted_roots.extend(
            warden_model::read_roots(path).map_err(|e| SetupError::Unsafe(format!("models.trusted_roots: {e}")))?,
        );
    }
    Ok(LoadPolicy {
        scan_fail_on: scan_fail_on(&config.scan_fail_on),
        require_signature: config.models.require_signature,
        trusted_keys,
        trusted_roots,
        // Always: model weights are as private as keys (docs/repository.md).
        private_files: true,
    })
}

/// The severity a checked `models.scan_fail_on` names.
fn scan_fail_on(word: &str) -> warden_model::ScanSeverity {
    use warden_model::ScanSeverity;
    match word {
        "low" => ScanSeverity::Low,
        "medium" => ScanSeverity::Medium,
        "critical" => ScanSeverity::Critical,
        _ => ScanSeverity::High,
    }
}
