//! What the server offers at one moment: the models with each one's access lists
//! and output policies, built and checked together and swapped whole when models
//! reload. A request takes the catalog once and finishes on it, so a reload never
//! changes a model under a request in flight.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use warden_guard::ModelAccess;
use warden_guard::limits::LimitPolicy;
use warden_model::{Model, ModelEntry, Repository};

use crate::config;
use crate::detect;
use crate::output::{OutputPolicies, OutputPolicy};

pub struct Catalog {
    pub repo: Repository,
    access: HashMap<String, ModelAccess>,
    outputs: OutputPolicies,
}

impl Catalog {
    /// Checks every model's settings; the error names the model and the section.
    pub fn build(repo: Repository) -> Result<Catalog, String> {
        let mut access = HashMap::new();
        let mut outputs = OutputPolicies::new();
        for entry in repo.entries() {
            access.insert(entry.name.clone(), model_access(entry)?);
            let policies = output_policies(entry)?;
            if !policies.is_empty() {
                outputs.insert(entry.name.clone(), policies);
            }
        }
        Ok(Catalog { repo, access, outputs })
    }

    pub fn access(&self, model: &str) -> Option<&ModelAccess> {
        self.access.get(model)
    }

    pub fn output_policy(&self, model: &Model) -> Option<&OutputPolicy> {
        self.outputs.get(&model.name)?.get(&model.version)
    }
}

/// Every check the server makes of a model's own settings before serving it:
/// access lists, output hardening, limits and extraction detection. A typo must
/// not open or close a model by accident, at start or on reload.
pub fn check_entry(entry: &ModelEntry) -> Result<(), String> {
    model_access(entry)?;
    output_policies(entry)?;
    model_limits(entry)?;
    if let Some(model) = entry.latest() {
        detect::setting_for(model)?;
    }
    Ok(())
}

/// A model's access lists, from its newest version's config.
fn model_access(entry: &ModelEntry) -> Result<ModelAccess, String> {
    let lists = entry.latest().and_then(|m| m.config.access.clone());
    match lists {
        None => Ok(ModelAccess::default_for(&entry.name)),
        Some(l) => {
            ModelAccess::from_lists(&entry.name, l.infer.as_deref(), l.metadata.as_deref(), l.visible.as_deref())
                .map_err(|e| format!("model {}: [access]: {e}", entry.name))
        }
    }
}

/// Each version's output hardening, by version.
fn output_policies(entry: &ModelEntry) -> Result<HashMap<String, OutputPolicy>, String> {
    let mut policies = HashMap::new();
    for model in entry.versions.values() {
        let policy = OutputPolicy::for_model(model)
            .map_err(|e| format!("model {} version {}: {e}", model.name, model.version))?;
        if let Some(p) = policy {
            policies.insert(model.version.clone(), p);
        }
    }
    Ok(policies)
}

/// A model's own `[limits]`, from its newest version's config.
fn model_limits(entry: &ModelEntry) -> Result<Option<LimitPolicy>, String> {
    let Some(raw) = entry.latest().and_then(|m| m.config.limits.clone()) else { return Ok(None) };
    config::parse_limit_table(&raw).map(Some).map_err(|e| format!("model {}: [limits]: {e}", entry.name))
}

/// Every model's own `[limits]`.
pub fn limit_policies(repo: &Repository) -> Result<HashMap<String, LimitPolicy>, String> {
    let mut models = HashMap::new();
    for entry in repo.entries() {
        if let Some(policy) = model_limits(entry)? {
            models.insert(entry.name.clone(), policy);
        }
    }
    Ok(models)
}

/// The catalog in force, shared by the request path and the reloader.
pub struct Current(RwLock<Arc<Catalog>>);

impl Current {
    pub fn new(catalog: Catalog) -> Current {
        Current(RwLock::new(Arc::new(catalog)))
    }

    pub fn get(&self) -> Arc<Catalog> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set(&self, catalog: Catalog) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(catalog);
    }
}
