//! The set of models a server offers: the embedded default, or a Triton-style
//! directory `DIR/<name>/<version>/model.onnx` with an optional `DIR/<name>/config.toml`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::config::ModelConfig;
use crate::error::ModelError;
use crate::loader::{LoadPolicy, Rejection};
use crate::model::Model;
use crate::sync::{Accept, RepositorySync, Scope};

/// The model the binary carries: a 64-64-10 MLP trained on scikit-learn's digits
/// data by `scripts/make_fixtures.py`.
pub const DEFAULT_MODEL_ONNX: &[u8] = include_bytes!("../models/default.onnx");
pub const DEFAULT_MODEL_NAME: &str = "default";

/// All versions of one model; the highest version answers when none is named.
#[derive(Clone, Debug)]
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

    /// Loads every model under `dir` with the default checks.
    pub fn load_dir(dir: &Path) -> Result<Repository, ModelError> {
        Repository::load_dir_with(dir, &LoadPolicy::default()).map(|(repo, _)| repo)
    }

    /// Loads every model under `dir`, each version checked by `policy` (signature,
    /// scan, parse, warm-up) and by `accept`. Every problem found is reported
    /// together, and any problem fails the load: a server that silently drops a
    /// model at start is worse than one that refuses to start. The returned sync
    /// state is where later reloads start from.
    pub fn load_dir_checked(
        dir: &Path,
        policy: &LoadPolicy,
        accept: Accept<'_>,
    ) -> Result<(Repository, RepositorySync, Vec<Rejection>), ModelError> {
        let mut sync = RepositorySync::new(dir);
        let outcome = sync.run(&Repository::default(), policy, Scope::All, accept)?;
        let repo_err = |message: String| ModelError::Repository { path: dir.to_path_buf(), message };
        if !outcome.rejected.is_empty() {
            let problems: Vec<String> = outcome.rejected.iter().map(ToString::to_string).collect();
            return Err(repo_err(problems.join("; ")));
        }
        if outcome.repo.models.is_empty() {
            return Err(repo_err("holds no model (expected <name>/<version>/model.onnx)".into()));
        }
        Ok((outcome.repo, sync, outcome.rejected))
    }

    /// `load_dir_checked` with no checks of the server's own.
    pub fn load_dir_with(dir: &Path, policy: &LoadPolicy) -> Result<(Repository, RepositorySync), ModelError> {
        Repository::load_dir_checked(dir, policy, &|_| Ok(())).map(|(repo, sync, _)| (repo, sync))
    }

    pub(crate) fn from_entries(models: BTreeMap<String, ModelEntry>) -> Repository {
        Repository { models }
    }

    fn insert(&mut self, name: &str, version: u64, model: Model) {
        self.models
            .entry(name.to_string())
            .or_insert_with(|| ModelEntry { name: name.to_string(), versions: BTreeMap::new() })
            .versions
            .insert(version, Arc::new(model));
    }

    /// This set less the model `name`.
    pub fn without(&self, name: &str) -> Repository {
        let mut models = self.models.clone();
        models.remove(name);
        Repository { models }
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

/// Letters, digits, `_`, `-` and `.`, at most 128: names that need no escaping in a
/// path, a URL or a metric label.
pub fn valid_model_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
