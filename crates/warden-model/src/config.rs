//! Per-model policy from `DIR/<name>/config.toml`. Later features add sections here;
//! unknown keys are rejected so a typo never silently weakens a policy.

use std::path::Path;

use serde::Deserialize;

use crate::error::ModelError;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Accept NaN and infinities in float inputs. Off by default: most models
    /// answer garbage for them, and they are a cheap probe of a model's internals.
    #[serde(default)]
    pub allow_non_finite: bool,
    /// Largest batch (first dimension, when variable) one request may send.
    pub max_batch_size: Option<usize>,
    /// Element limit per input tensor; the server-wide limit applies when unset.
    pub max_elements: Option<usize>,
    /// Callers need both a verified client certificate and an API key, each with a
    /// scope for this model (defence in depth for the most sensitive models).
    #[serde(default)]
    pub require_both: bool,
    /// Which scopes may run, describe or see this model; absent = `infer:<model>`
    /// and `infer:*` may do everything.
    pub access: Option<AccessLists>,
}

/// Scope lists of `[access]`, as written; the server parses and checks them at start.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessLists {
    pub infer: Option<Vec<String>>,
    pub metadata: Option<Vec<String>>,
    pub visible: Option<Vec<String>>,
}

impl ModelConfig {
    pub fn parse(text: &str, path: &Path) -> Result<ModelConfig, ModelError> {
        toml::from_str(text).map_err(|e| ModelError::Config { path: path.to_path_buf(), message: e.to_string() })
    }

    /// Reads `path`, or the defaults when the file does not exist.
    pub fn load(path: &Path) -> Result<ModelConfig, ModelError> {
        match std::fs::read_to_string(path) {
            Ok(text) => ModelConfig::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ModelConfig::default()),
            Err(source) => Err(ModelError::Io { path: path.to_path_buf(), source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_keys() {
        let err = ModelConfig::parse("allow_nan = true", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn parses_known_keys() {
        let c = ModelConfig::parse("allow_non_finite = true\nmax_batch_size = 8", Path::new("c.toml")).unwrap();
        assert!(c.allow_non_finite);
        assert_eq!(c.max_batch_size, Some(8));
        assert_eq!(c.max_elements, None);
    }
}
