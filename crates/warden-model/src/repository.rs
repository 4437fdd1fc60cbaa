//! The set of models a server offers: the embedded default, or a Triton-style
//! directory `DIR/<name>/<version>/model.onnx` with an optional `DIR/<name>/config.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use warden_scan::Severity;

use crate::config::ModelConfig;
use crate::error::ModelError;
use crate::model::Model;

/// The model the binary carries: a 64-64-10 MLP trained on scikit-learn's digits
/// data by `scripts/make_fixtures.py`.
pub const DEFAULT_MODEL_ONNX: &[u8] = include_bytes!("../models/default.onnx");
pub const DEFAULT_MODEL_NAME: &str = "default";

/// All versions of one model; the highest version answers when none is named.
#[derive(Debug)]
pub struct ModelEntry {
    pub name: String,
    pub versions: BTreeMap<u64, Arc<Model>>,
}

impl ModelEntry {
    pub fn latest(&self) -> Option<&Arc<Model>> {
        self.versions.values().next_back()
    }
}

#[derive(Debug, Default)]
pub struct Repository {
    models: BTreeMap<String, ModelEntry>,
}

impl Repository {
    /// A repository holding only the embedded default model, version 1.
    pub fn embedded_default() -> Result<Repository, ModelError> {
        let model = Model::load(DEFAULT_MODEL_NAME, "1", DEFAULT_MODEL_ONNX, ModelConfig::default())?;
        let mut repo = Repository::default();
        repo.insert(DEFAULT_MODEL_NAME, 1, model);
        Ok(repo)
    }

    /// Loads every model under `dir`. Every problem found is reported together, and
    /// any problem fails the load: a server that silently drops a model is worse than
    /// one that refuses to start.
    pub fn load_dir(dir: &Path) -> Result<Repository, ModelError> {
        Repository::load_dir_with(dir, Severity::High)
    }

    /// `load_dir`, keeping out every model file the scanner finds a problem in at or
    /// above `scan_fail_on` (warden-scan: external data escaping the directory,
    /// absurd tensor sizes, and whatever else a model file can hide).
    pub fn load_dir_with(dir: &Path, scan_fail_on: Severity) -> Result<Repository, ModelError> {
        let repo_err = |message: String| ModelError::Repository { path: dir.to_path_buf(), message };
        let mut repo = Repository::default();
        let mut problems = Vec::new();
        for model_dir in sorted_dirs(dir).map_err(|e| repo_err(e.to_string()))? {
            let name = file_name(&model_dir);
            if name.starts_with('.') {
                continue;
            }
            if !valid_model_name(&name) {
                problems.push(format!("'{name}' is not a valid model name (letters, digits, '_', '-', '.')"));
                continue;
            }
            if let Err(e) = repo.load_model(&name, &model_dir, scan_fail_on) {
                problems.push(e.to_string());
            }
        }
        if repo.models.is_empty() && problems.is_empty() {
            problems.push("holds no model (expected <name>/<version>/model.onnx)".to_string());
        }
        if problems.is_empty() { Ok(repo) } else { Err(repo_err(problems.join("; "))) }
    }

    fn load_model(&mut self, name: &str, model_dir: &Path, scan_fail_on: Severity) -> Result<(), ModelError> {
        let config = ModelConfig::load(&model_dir.join("config.toml"))?;
        let io = |path: &Path, source| ModelError::Io { path: path.to_path_buf(), source };
        let mut found = false;
        for version_dir in sorted_dirs(model_dir).map_err(|e| io(model_dir, e))? {
            let version_name = file_name(&version_dir);
            if version_name.starts_with('.') {
                continue;
            }
            let version = version_name.parse::<u64>().ok().filter(|v| *v > 0).ok_or_else(|| ModelError::Load {
                model: name.to_string(),
                message: format!("version directory '{version_name}' is not a positive integer"),
            })?;
            let path = version_dir.join("model.onnx");
            scan(name, &path, scan_fail_on)?;
            let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
            let model = Model::load(name, &version.to_string(), &bytes, config.clone())?;
            self.insert(name, version, model);
            found = true;
        }
        if !found {
            return Err(ModelError::Load { model: name.to_string(), message: "has no version directory".into() });
        }
        Ok(())
    }

    fn insert(&mut self, name: &str, version: u64, model: Model) {
        self.models
            .entry(name.to_string())
            .or_insert_with(|| ModelEntry { name: name.to_string(), versions: BTreeMap::new() })
            .versions
            .insert(version, Arc::new(model));
    }

    pub fn entry(&self, name: &str) -> Option<&ModelEntry> {
        self.models.get(name)
    }

    pub fn entries(&self) -> impl Iterator<Item = &ModelEntry> {
        self.models.values()
    }

    /// The named version, or the latest when `version` is `None`. A version that is
    /// not a number simply does not exist.
    pub fn get(&self, name: &str, version: Option<&str>) -> Option<&Arc<Model>> {
        let entry = self.models.get(name)?;
        match version {
            None => entry.latest(),
            Some(v) => entry.versions.get(&v.parse::<u64>().ok()?),
        }
    }
}

/// Scans a model file before it is read: a finding at or above `fail_on`, or a file
/// the scanner cannot read, keeps the model out, with the rule and the reason.
fn scan(name: &str, path: &Path, fail_on: Severity) -> Result<(), ModelError> {
    let report = warden_scan::scan_file(path, &warden_scan::Options::default());
    let refuse = |message: String| ModelError::Load { model: name.to_string(), message };
    if let Some(error) = report.error {
        return Err(refuse(format!("{}: the scanner could not read it: {error}", path.display())));
    }
    let blocking: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.rule.severity >= fail_on)
        .map(|f| format!("{} {} ({}): {}", f.rule.id, f.rule.title, f.rule.severity.as_str(), f.message))
        .collect();
    if blocking.is_empty() {
        Ok(())
    } else {
        Err(refuse(format!("{}: refused by the scan: {}", path.display(), blocking.join("; "))))
    }
}

fn valid_model_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn sorted_dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}
