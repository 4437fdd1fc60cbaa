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
    /// Rate limits and budgets for this model, over the server's `[limits]`;
    /// the server parses and checks them at start.
    pub limits: Option<LimitsConfig>,
    /// How much of the model's answer leaves the server.
    pub output: Option<OutputConfig>,
    /// Extraction detection for this model.
    pub extraction: Option<ExtractionConfig>,
    /// What runs the model: "tract" (default, pure Rust) or "onnxruntime" (needs
    /// the `onnxruntime` build feature; C++ parses the model file).
    pub backend: Option<String>,
    /// Settings for the onnxruntime backend.
    pub onnxruntime: Option<OnnxruntimeConfig>,
    /// Which version directories are served [default: "latest"].
    pub versions: Option<VersionPolicy>,
    /// `[signature]`: stricter signature rules for this model than the server's.
    pub signature: Option<SignatureConfig>,
}

/// `versions = "latest" | "all" | { latest = N } | [1, 3]`: Triton's version policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionPolicy {
    /// The N highest versions that load.
    Latest(usize),
    All,
    Specific(Vec<u64>),
}

impl Default for VersionPolicy {
    fn default() -> Self {
        VersionPolicy::Latest(1)
    }
}

impl<'de> Deserialize<'de> for VersionPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct LatestTable {
            latest: usize,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            Latest(LatestTable),
            List(Vec<u64>),
        }
        let bad = |what: String| {
            serde::de::Error::custom(format!(
                "versions = {what}: expected \"latest\", \"all\", {{ latest = N }} with N >= 1, or a list of versions like [1, 3]"
            ))
        };
        match Raw::deserialize(d).map_err(|_| bad("a value of another shape".into()))? {
            Raw::Word(w) if w == "latest" => Ok(VersionPolicy::Latest(1)),
            Raw::Word(w) if w == "all" => Ok(VersionPolicy::All),
            Raw::Word(w) => Err(bad(format!("\"{w}\""))),
            Raw::Latest(LatestTable { latest: 0 }) => Err(bad("{ latest = 0 }".into())),
            Raw::Latest(LatestTable { latest }) => Ok(VersionPolicy::Latest(latest)),
            Raw::List(v) if v.is_empty() || v.contains(&0) => Err(bad(format!("{v:?}"))),
            Raw::List(v) => Ok(VersionPolicy::Specific(v)),
        }
    }
}

/// `[signature]` as written. A model may ask for more than the server does, never less.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SignatureConfig {
    /// Require a signature for this model even when the server does not; `false`
    /// while the server requires signatures is refused.
    pub required: Option<bool>,
    /// Public keys (SPKI PEM files; relative paths from this `config.toml`'s
    /// directory) allowed to sign this model. Each must also be one of the
    /// server's trusted keys when the server has any.
    pub trusted_keys: Option<Vec<std::path::PathBuf>>,
    /// Root certificates (PEM) whose signing certificates may sign this model;
    /// each must be one of the server's `trusted_roots`. Naming keys or roots here
    /// narrows the model to exactly what is named.
    pub trusted_roots: Option<Vec<std::path::PathBuf>>,
}

/// `[onnxruntime]`: how onnxruntime runs this model.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OnnxruntimeConfig {
    /// Threads one inference may use [default: 1: requests already run in parallel].
    pub intra_op_threads: Option<usize>,
    /// Execution providers in order of preference: "cpu", "cuda" [default: ["cpu"]].
    /// A provider that is not present falls back to the next, and "cpu" always works.
    pub execution_providers: Option<Vec<String>>,
}

/// `[extraction]` as written; the server checks it at start.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExtractionConfig {
    /// "prada" or "off" [default: prada for classifiers].
    pub detector: Option<String>,
    /// Shapiro–Wilk W below this flags a client [default: 0.9].
    pub delta: Option<f64>,
    /// Queries before the first test [default: 100].
    pub min_queries: Option<usize>,
    /// log, alert, degrade, throttle or block [default: alert].
    pub action: Option<String>,
    /// The rate a throttled client is held to [default: "1/s"].
    pub throttle_rate: Option<String>,
    /// The training data's bounds: one number for every feature, or one per feature.
    pub input_min: Option<Bounds>,
    pub input_max: Option<Bounds>,
    /// Share of recent queries outside the bounds above which a client is flagged
    /// [default: 0.2; 1.0 turns the check off].
    pub out_of_range_share: Option<f64>,
    /// Share of recent queries that are near-duplicates of a recent one (one or
    /// two features changed) above which a client is flagged [default: 0.5; 1.0 turns it off].
    pub sweep_share: Option<f64>,
    /// A minute this many times the client's own baseline flags [default: 10]...
    pub volume_factor: Option<f64>,
    /// ...when it holds at least this many queries [default: 600].
    pub volume_floor: Option<u64>,
    /// A sample of real inputs (`.npy` float matrix `[rows, features]`, or an
    /// `.npz` of one), relative to the model's directory: turns on the
    /// off-manifold signal.
    pub reference: Option<String>,
    /// A query row is far above this quantile of the reference's
    /// leave-one-out nearest-neighbour distances [default: 0.99].
    pub reference_quantile: Option<f64>,
    /// Rows looked back on by the signals [default: 100].
    pub window: Option<usize>,
    /// Rows an honest client may send a day, for the off-manifold flagging bound
    /// [default: 100000].
    pub reference_rows_per_day: Option<u64>,
}

/// Bounds for every feature at once, or per feature.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Bounds {
    All(f32),
    Each(Vec<f32>),
}

impl Bounds {
    pub fn to_vec(&self) -> Vec<f32> {
        match self {
            Bounds::All(v) => vec![*v],
            Bounds::Each(v) => v.clone(),
        }
    }
}

/// `[limits]` as written: the server parses it with the same rules as its own
/// `[limits]` (rates like `"100/s"`, counts, `"off"`), so the two never drift apart.
pub type LimitsConfig = toml::Table;

/// `[output]`: answer hardening against extraction. Probabilities help an
/// attacker most (one equation per query for a linear model); these cut them
/// down or out.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Keep only the N highest probabilities of each row; the rest become 0.
    pub top_k: Option<usize>,
    /// Round probabilities to this many decimals.
    pub round_probabilities: Option<u32>,
    /// Answer the label alone; probability outputs are never sent.
    #[serde(default)]
    pub label_only: bool,
    /// The output holding probabilities [default: the one float output of rank 2].
    pub probabilities: Option<String>,
    /// The output holding the label [default: the one non-float output].
    pub label: Option<String>,
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
    fn parses_limits_and_output() {
        let text = "[limits]\nrate = \"10/s\"\ndaily_rows = 500\n[output]\ntop_k = 3\nlabel_only = true\n";
        let c = ModelConfig::parse(text, Path::new("c.toml")).unwrap();
        assert_eq!(c.limits.unwrap()["rate"].as_str(), Some("10/s"));
        let output = c.output.unwrap();
        assert_eq!((output.top_k, output.label_only), (Some(3), true));
        assert!(ModelConfig::parse("[output]\ntopk = 3", Path::new("c.toml")).is_err());
    }

    #[test]
    fn version_policies() {
        let policy = |text: &str| ModelConfig::parse(text, Path::new("c.toml")).map(|c| c.versions);
        assert_eq!(policy("").unwrap(), None);
        assert_eq!(policy("versions = \"latest\"").unwrap(), Some(VersionPolicy::Latest(1)));
        assert_eq!(policy("versions = \"all\"").unwrap(), Some(VersionPolicy::All));
        assert_eq!(policy("versions = { latest = 2 }").unwrap(), Some(VersionPolicy::Latest(2)));
        assert_eq!(policy("versions = [1, 3]").unwrap(), Some(VersionPolicy::Specific(vec![1, 3])));
        for bad in ["versions = \"newest\"", "versions = { latest = 0 }", "versions = []", "versions = 3"] {
            let err = policy(bad).unwrap_err().to_string();
            assert!(err.contains("expected \"latest\""), "{bad}: {err}");
        }
    }

    #[test]
    fn parses_known_keys() {
        let c = ModelConfig::parse("allow_non_finite = true\nmax_batch_size = 8", Path::new("c.toml")).unwrap();
        assert!(c.allow_non_finite);
        assert_eq!(c.max_batch_size, Some(8));
        assert_eq!(c.max_elements, None);
    }
}
