//! Keeping the served set in step with the repository directory. Each pass reads
//! the directory, fingerprints every version directory (names, sizes, times and
//! inodes of its files), and loads only what changed. A new or changed version
//! takes traffic only once it passed every check (`loader`); one that fails leaves
//! what was served before in place, and is not tried again until its files change,
//! so one broken upload is one rejection, not one per pass.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::config::{ModelConfig, VersionPolicy};
use crate::error::ModelError;
use crate::loader::{LoadPolicy, Rejection, Step, load_version, signature_trust};
use crate::model::Model;
use crate::repository::{ModelEntry, Repository, valid_model_name};

type Fingerprint = [u8; 32];

/// Which models a pass looks at.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    All,
    /// One model, checked again from scratch even if nothing changed (an explicit
    /// load request), and brought back if an administrator had unloaded it.
    Only(&'a str),
}

/// What one pass did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The set to serve from now on.
    pub repo: Repository,
    /// Versions loaded in this pass.
    pub loaded: Vec<Arc<Model>>,
    /// (model, version) no longer served.
    pub dropped: Vec<(String, String)>,
    /// New rejections (each reported once per content).
    pub rejected: Vec<Rejection>,
}

/// A model's own checks beyond loading (access lists, limits, output policy),
/// made by the server on the whole entry before it is served.
pub type Accept<'a> = &'a dyn Fn(&ModelEntry) -> Result<(), String>;

#[derive(Default)]
struct VersionTrack {
    fingerprint: Fingerprint,
    loaded: bool,
}

#[derive(Default)]
struct ModelTrack {
    /// The config file's fingerprint the versions below were checked under.
    config: Option<Fingerprint>,
    /// The config as read, or why it could not be (reported once per content).
    config_error: Option<String>,
    versions: BTreeMap<u64, VersionTrack>,
    /// Directory names that are not versions, already reported.
    strays: HashSet<String>,
}

/// The repository directory and what the last passes found in it.
pub struct RepositorySync {
    dir: PathBuf,
    models: HashMap<String, ModelTrack>,
    /// Models an administrator unloaded: kept out until loaded again by name.
    unloaded: HashSet<String>,
    /// Directory names that are not model names, already reported.
    strays: HashSet<String>,
}

impl RepositorySync {
    pub fn new(dir: &Path) -> RepositorySync {
        RepositorySync {
            dir: dir.to_path_buf(),
            models: HashMap::new(),
            unloaded: HashSet::new(),
            strays: HashSet::new(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps `name` out of the served set until `run(Scope::Only(name))`.
    pub fn unload(&mut self, name: &str) {
        self.unloaded.insert(name.to_string());
        self.models.remove(name);
    }

    pub fn is_unloaded(&self, name: &str) -> bool {
        self.unloaded.contains(name)
    }

    /// One pass over the directory against `current`, the set served now.
    pub fn run(
        &mut self,
        current: &Repository,
        policy: &LoadPolicy,
        scope: Scope<'_>,
        accept: Accept<'_>,
    ) -> Result<Outcome, ModelError> {
        let mut out = Outcome::default();
        let on_disk = model_dirs(&self.dir)
            .map_err(|e| ModelError::Repository { path: self.dir.clone(), message: e.to_string() })?;
        if let Scope::Only(name) = scope {
            self.unloaded.remove(name);
            self.models.remove(name);
        }
        let mut next = BTreeMap::new();
        for (name, model_dir) in &on_disk {
            let in_scope = match scope {
                Scope::All => true,
                Scope::Only(only) => only == name,
            };
            if self.unloaded.contains(name) {
                continue;
            }
            if !valid_model_name(name) {
                if self.strays.insert(name.clone()) {
                    out.rejected.push(Rejection::new(
                        name,
                        None,
                        Step::Config,
                        format!("'{name}' is not a valid model name (letters, digits, '_', '-', '.')"),
                    ));
                }
                continue;
            }
            let previous = current.entry(name);
            let entry = if in_scope {
                self.sync_model(name, model_dir, previous, policy, accept, &mut out)
            } else {
                previous.cloned()
            };
            if let Some(entry) = entry {
                next.insert(name.clone(), entry);
            }
        }
        self.models.retain(|name, _| on_disk.iter().any(|(n, _)| n == name));
        for entry in current.entries() {
            for v in entry.versions.keys() {
                if !next.get(&entry.name).is_some_and(|e: &ModelEntry| e.versions.contains_key(v)) {
                    out.dropped.push((entry.name.clone(), v.to_string()));
                }
            }
        }
        out.repo = Repository::from_entries(next);
        Ok(out)
    }

    fn sync_model(
        &mut self,
        name: &str,
        model_dir: &Path,
        previous: Option<&ModelEntry>,
        policy: &LoadPolicy,
        accept: Accept<'_>,
        out: &mut Outcome,
    ) -> Option<ModelEntry> {
        let track = self.models.entry(name.to_string()).or_default();
        let config_path = model_dir.join("config.toml");
        let config_print = fingerprint_file(&config_path);
        if track.config != Some(config_print) {
            *track = ModelTrack { config: Some(config_print), ..ModelTrack::default() };
        }
        let checked = ModelConfig::load(&config_path)
            .map_err(|e| Rejection::new(name, None, Step::Config, e.to_string()).with_file(&config_path))
            .and_then(|config| signature_trust(name, model_dir, &config, policy).map(|trust| (config, trust)));
        let (config, trust) = match checked {
            Ok(ok) => ok,
            Err(rejection) => {
                if track.config_error.as_deref() != Some(rejection.message.as_str()) {
                    track.config_error = Some(rejection.message.clone());
                    out.rejected.push(rejection);
                }
                return previous.cloned();
            }
        };
        let (versions, strays) = match version_dirs(model_dir) {
            Ok(found) => found,
            Err(e) => {
                out.rejected.push(Rejection::new(name, None, Step::Config, format!("{}: {e}", model_dir.display())));
                return previous.cloned();
            }
        };
        for stray in strays {
            if track.strays.insert(stray.clone()) {
                out.rejected.push(Rejection::new(
                    name,
                    None,
                    Step::Config,
                    format!("version directory '{stray}' is not a positive integer"),
                ));
            }
        }
        let policy_versions = config.versions.clone().unwrap_or_default();
        let (candidates, wanted) = match &policy_versions {
            VersionPolicy::Latest(n) => (versions.keys().rev().copied().collect::<Vec<_>>(), *n),
            VersionPolicy::All => (versions.keys().rev().copied().collect(), usize::MAX),
            VersionPolicy::Specific(list) => {
                (list.iter().copied().filter(|v| versions.contains_key(v)).collect(), usize::MAX)
            }
        };
        let old = |v: u64| previous.and_then(|p| p.versions.get(&v)).cloned();
        let mut served = BTreeMap::new();
        let mut fresh = Vec::new();
        for v in candidates {
            if served.len() >= wanted {
                break;
            }
            let dir = &versions[&v];
            let print = fingerprint_dir(dir);
            match track.versions.get(&v) {
                Some(t) if t.fingerprint == print && t.loaded => {
                    if let Some(m) = old(v) {
                        served.insert(v, m);
                        continue;
                    }
                }
                Some(t) if t.fingerprint == print => {
                    // Known bad: what was served before for this number stays.
                    if let Some(m) = old(v) {
                        served.insert(v, m);
                    }
                    continue;
                }
                _ => {}
            }
            match load_version(name, v, dir, &config, trust.as_ref(), policy) {
                Ok(model) => {
                    track.versions.insert(v, VersionTrack { fingerprint: print, loaded: true });
                    let model = Arc::new(model);
                    fresh.push(model.clone());
                    served.insert(v, model);
                }
                Err(rejection) => {
                    track.versions.insert(v, VersionTrack { fingerprint: print, loaded: false });
                    out.rejected.push(rejection);
                    if let Some(m) = old(v) {
                        served.insert(v, m);
                    }
                }
            }
        }
        if served.is_empty() {
            if versions.is_empty() && previous.is_none() {
                out.rejected.push(Rejection::new(
                    name,
                    None,
                    Step::Config,
                    "has no version directory (expected <name>/<version>/model.onnx)",
                ));
            }
            // Nothing on disk is servable: a model whose versions were all removed
            // goes; one whose new files all failed keeps what it had.
            return if versions.is_empty() { None } else { previous.cloned() };
        }
        let entry = ModelEntry { name: name.to_string(), versions: served };
        if fresh.is_empty() && previous.is_some_and(|p| same_models(p, &entry)) {
            return Some(entry);
        }
        if let Err(message) = accept(&entry) {
            for model in &fresh {
                if let Some(t) = model.version.parse().ok().and_then(|v: u64| track.versions.get_mut(&v)) {
                    t.loaded = false;
                }
            }
            out.rejected.push(Rejection::new(name, None, Step::Config, message));
            return previous.cloned();
        }
        out.loaded.extend(fresh);
        Some(entry)
    }
}

fn same_models(a: &ModelEntry, b: &ModelEntry) -> bool {
    a.versions.len() == b.versions.len()
        && a.versions.iter().zip(&b.versions).all(|((va, ma), (vb, mb))| va == vb && Arc::ptr_eq(ma, mb))
}

/// Model directories by name, hidden ones left out.
fn model_dirs(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && entry.file_type()?.is_dir() {
            found.push((name, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Version directories by number, and the names of directories that are not versions.
fn version_dirs(dir: &Path) -> std::io::Result<(BTreeMap<u64, PathBuf>, Vec<String>)> {
    let mut versions = BTreeMap::new();
    let mut strays = Vec::new();
    for (name, path) in model_dirs(dir)? {
        match name.parse::<u64>().ok().filter(|v| *v > 0 && v.to_string() == name) {
            Some(v) => {
                versions.insert(v, path);
            }
            None => strays.push(name),
        }
    }
    Ok((versions, strays))
}

/// Files deeper than this in a version directory are not fingerprinted.
const MAX_DEPTH: usize = 8;

/// A digest of every entry under `dir`: name, kind, size, modification time and
/// inode. A file rewritten in place or replaced by a rename changes it; reading
/// file contents is left to the signature check.
fn fingerprint_dir(dir: &Path) -> Fingerprint {
    let mut h = Sha256::new();
    walk(dir, Path::new(""), 0, &mut h);
    h.finalize().into()
}

fn walk(dir: &Path, rel: &Path, depth: usize, h: &mut Sha256) {
    let Ok(read) = std::fs::read_dir(dir) else {
        h.update(b"unreadable");
        return;
    };
    let mut entries: Vec<_> = read.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = rel.join(entry.file_name());
        let Ok(meta) = entry.path().symlink_metadata() else { continue };
        h.update(name.as_os_str().as_encoded_bytes());
        stamp_into(&meta, h);
        if meta.is_dir() && depth < MAX_DEPTH {
            walk(&entry.path(), &name, depth + 1, h);
        }
    }
}

fn fingerprint_file(path: &Path) -> Fingerprint {
    let mut h = Sha256::new();
    match path.symlink_metadata() {
        Ok(meta) => stamp_into(&meta, &mut h),
        Err(_) => h.update(b"absent"),
    }
    h.finalize().into()
}

fn stamp_into(meta: &std::fs::Metadata, h: &mut Sha256) {
    for n in [meta.mode() as i64, meta.len() as i64, meta.mtime(), meta.mtime_nsec(), meta.ino() as i64, meta.ctime()] {
        h.update(n.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repository::DEFAULT_MODEL_ONNX;

    fn put(repo: &Path, model: &str, version: u64, bytes: &[u8]) {
        let dir = repo.join(model).join(version.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("model.onnx"), bytes).unwrap();
    }

    fn pass(sync: &mut RepositorySync, current: &Repository) -> Outcome {
        sync.run(current, &LoadPolicy::default(), Scope::All, &|_| Ok(())).unwrap()
    }

    fn versions(repo: &Repository, model: &str) -> Vec<u64> {
        repo.entry(model).map(|e| e.versions.keys().copied().collect()).unwrap_or_default()
    }

    #[test]
    fn a_broken_new_version_leaves_the_old_one_and_is_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "m", 1, DEFAULT_MODEL_ONNX);
        let mut sync = RepositorySync::new(dir.path());
        let first = pass(&mut sync, &Repository::default());
        assert_eq!((versions(&first.repo, "m"), first.loaded.len()), (vec![1], 1));

        put(dir.path(), "m", 2, b"not a model");
        let second = pass(&mut sync, &first.repo);
        assert_eq!(versions(&second.repo, "m"), vec![1]);
        assert_eq!(second.rejected.len(), 1);
        assert_eq!((second.rejected[0].version, second.rejected[0].step), (Some(2), Step::Load));
        assert!(Arc::ptr_eq(second.repo.get("m", None).unwrap(), first.repo.get("m", None).unwrap()));

        // Unchanged files: nothing new is tried or reported.
        let third = pass(&mut sync, &second.repo);
        assert!(third.rejected.is_empty() && third.loaded.is_empty() && third.dropped.is_empty());

        // A good version 2 replaces version 1 (policy "latest").
        std::fs::remove_file(dir.path().join("m/2/model.onnx")).unwrap();
        put(dir.path(), "m", 2, DEFAULT_MODEL_ONNX);
        let fourth = pass(&mut sync, &third.repo);
        assert_eq!(versions(&fourth.repo, "m"), vec![2]);
        assert_eq!(fourth.dropped, vec![("m".to_string(), "1".to_string())]);

        // Version 2 removed: version 1 comes back; the model directory removed: it goes.
        std::fs::remove_dir_all(dir.path().join("m/2")).unwrap();
        let fifth = pass(&mut sync, &fourth.repo);
        assert_eq!(versions(&fifth.repo, "m"), vec![1]);
        std::fs::remove_dir_all(dir.path().join("m")).unwrap();
        assert!(pass(&mut sync, &fifth.repo).repo.entry("m").is_none());
    }

    #[test]
    fn a_changed_file_in_a_served_version_is_reloaded_and_a_broken_change_keeps_the_old() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "m", 1, DEFAULT_MODEL_ONNX);
        let mut sync = RepositorySync::new(dir.path());
        let first = pass(&mut sync, &Repository::default());
        let tmp = dir.path().join("m/1/model.onnx.tmp");
        std::fs::write(&tmp, b"garbage").unwrap();
        std::fs::rename(&tmp, dir.path().join("m/1/model.onnx")).unwrap();
        let second = pass(&mut sync, &first.repo);
        assert_eq!(second.rejected.len(), 1);
        assert!(Arc::ptr_eq(second.repo.get("m", None).unwrap(), first.repo.get("m", None).unwrap()));
    }

    #[test]
    fn unloaded_models_stay_out_until_loaded_by_name() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "m", 1, DEFAULT_MODEL_ONNX);
        let mut sync = RepositorySync::new(dir.path());
        let first = pass(&mut sync, &Repository::default());
        sync.unload("m");
        let without = first.repo.without("m");
        assert!(pass(&mut sync, &without).repo.entry("m").is_none());
        let back = sync.run(&without, &LoadPolicy::default(), Scope::Only("m"), &|_| Ok(())).unwrap();
        assert_eq!(versions(&back.repo, "m"), vec![1]);
    }

    #[test]
    fn the_servers_own_checks_keep_a_model_out() {
        let dir = tempfile::tempdir().unwrap();
        put(dir.path(), "m", 1, DEFAULT_MODEL_ONNX);
        let mut sync = RepositorySync::new(dir.path());
        let out = sync.run(&Repository::default(), &LoadPolicy::default(), Scope::All, &|_| Err("no".into())).unwrap();
        assert!(out.repo.entry("m").is_none());
        assert_eq!(out.rejected[0].step, Step::Config);
    }
}
