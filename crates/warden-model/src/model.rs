//! One loaded ONNX model: its signature, taken from the model itself, and the
//! backend that runs it, built once and shared by every request.

use sha2::{Digest, Sha256};
use std::collections::HashMap;

use tract_onnx::prelude::Framework;

use crate::backend::{Backend, Failure};

use crate::DataType;
use crate::config::ModelConfig;
use crate::error::{InputError, ModelError};
use crate::guards::Guards;
use crate::tensor::{NamedTensor, TensorData};

/// One dimension of a model's input or output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dim {
    Fixed(usize),
    /// A dimension the caller chooses; inputs that share a symbol must agree on it.
    Var(String),
}

impl Dim {
    /// The protocol's spelling: `-1` for a variable dimension.
    pub fn as_i64(&self) -> i64 {
        match self {
            Dim::Fixed(n) => *n as i64,
            Dim::Var(_) => -1,
        }
    }
}

/// The name, datatype and shape of one model input or output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorSpec {
    pub name: String,
    pub datatype: DataType,
    pub shape: Vec<Dim>,
}

impl TensorSpec {
    pub fn shape_i64(&self) -> Vec<i64> {
        self.shape.iter().map(Dim::as_i64).collect()
    }

    fn describe_shape(&self) -> String {
        let dims: Vec<String> = self.shape_i64().iter().map(i64::to_string).collect();
        format!("[{}]", dims.join(", "))
    }
}

/// A model ready to serve.
pub struct Model {
    pub name: String,
    pub version: String,
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
    pub config: ModelConfig,
    /// SHA-256 of the ONNX file as loaded, hex: what the audit log records, so a
    /// swapped model file shows in it.
    pub digest: String,
    /// `[extraction] reference`, read beside the model's config: real inputs the
    /// off-manifold detector compares queries with.
    pub reference: Option<std::sync::Arc<crate::reference::ReferenceSample>>,
    backend: Backend,
    guards: Guards,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Loads an ONNX model from bytes. Nothing is read from disk, so external data
    /// references cannot reach outside the model directory.
    pub fn load(name: &str, version: &str, bytes: &[u8], config: ModelConfig) -> Result<Model, ModelError> {
        let label = format!("{name}/{version}");
        let err = |message: String| ModelError::Load { model: label.clone(), message };
        let proto = tract_onnx::onnx().proto_model_for_read(&mut &bytes[..]).map_err(|e| err(format!("{e:#}")))?;
        let guards = proto.graph.as_ref().map(Guards::from_graph).unwrap_or_default();
        let (backend, inputs, outputs) = Backend::load(&proto, bytes, &config).map_err(err)?;
        let digest = hex::encode(Sha256::digest(bytes));
        Ok(Model {
            name: name.to_string(),
            version: version.to_string(),
            inputs,
            outputs,
            config,
            digest,
            reference: None,
            backend,
            guards,
        })
    }

    /// Which backend runs this model: "tract" or "onnxruntime".
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    pub fn output(&self, name: &str) -> Option<&TensorSpec> {
        self.outputs.iter().find(|o| o.name == name)
    }

    /// Checks request tensors against the signature and returns them in the
    /// model's input order. Every way a client can get this wrong is an `InputError`,
    /// so nothing malformed reaches tract.
    pub fn check_inputs(&self, given: Vec<NamedTensor>, max_elements: usize) -> Result<Vec<NamedTensor>, InputError> {
        let mut by_name: HashMap<String, NamedTensor> = HashMap::with_capacity(given.len());
        for t in given {
            if self.inputs.iter().all(|s| s.name != t.name) {
                return Err(InputError::Unknown(t.name));
            }
            if by_name.contains_key(&t.name) {
                return Err(InputError::Duplicate(t.name));
            }
            by_name.insert(t.name.clone(), t);
        }
        let mut symbols: HashMap<&str, usize> = HashMap::new();
        let mut ordered = Vec::with_capacity(self.inputs.len());
        for spec in &self.inputs {
            let t = by_name.remove(&spec.name).ok_or_else(|| InputError::Missing(spec.name.clone()))?;
            self.check_one(spec, &t, max_elements)?;
            for (dim, &n) in spec.shape.iter().zip(&t.shape) {
                if let Dim::Var(sym) = dim {
                    match symbols.insert(sym, n) {
                        Some(prev) if prev != n => {
                            return Err(InputError::Batch(format!(
                                "dimension '{sym}' is {prev} in one input and {n} in '{}'",
                                spec.name
                            )));
                        }
                        _ => {}
                    }
                }
            }
            ordered.push(t);
        }
        self.guards.check(&ordered)?;
        Ok(ordered)
    }

    fn check_one(&self, spec: &TensorSpec, t: &NamedTensor, max_elements: usize) -> Result<(), InputError> {
        let name = || spec.name.clone();
        if t.data.datatype() != spec.datatype {
            return Err(InputError::Datatype { name: name(), got: t.data.datatype(), expected: spec.datatype });
        }
        if t.shape.len() == spec.shape.len() && t.shape.contains(&0) {
            return Err(InputError::Empty { name: name(), shape: t.shape.clone() });
        }
        let shape_fits = t.shape.len() == spec.shape.len()
            && spec.shape.iter().zip(&t.shape).all(|(d, &n)| match d {
                Dim::Fixed(f) => *f == n,
                Dim::Var(_) => n > 0,
            });
        if !shape_fits {
            return Err(InputError::Shape { name: name(), got: t.shape.clone(), expected: spec.describe_shape() });
        }
        let expected = element_count(&t.shape).ok_or_else(|| InputError::TooLarge {
            name: name(),
            got: usize::MAX,
            limit: max_elements,
        })?;
        if expected > max_elements || t.data.len() > max_elements {
            return Err(InputError::TooLarge { name: name(), got: expected.max(t.data.len()), limit: max_elements });
        }
        if expected != t.data.len() {
            return Err(InputError::Count { name: name(), got: t.data.len(), shape: t.shape.clone(), expected });
        }
        if let (Some(max), Some(Dim::Var(_)), Some(&batch)) =
            (self.config.max_batch_size, spec.shape.first(), t.shape.first())
            && batch > max
        {
            return Err(InputError::BatchTooLarge { batch, max });
        }
        if !self.config.allow_non_finite && t.data.has_non_finite() {
            return Err(InputError::NonFinite(name()));
        }
        if let TensorData::Bytes(elements) = &t.data
            && elements.iter().any(|e| std::str::from_utf8(e).is_err())
        {
            return Err(InputError::NotUtf8(name()));
        }
        Ok(())
    }

    /// Runs checked inputs (from `check_inputs`) and returns every output. This is
    /// CPU-bound: call it from a blocking pool, never on the async reactor.
    pub fn run(&self, inputs: &[NamedTensor]) -> Result<Vec<NamedTensor>, ModelError> {
        let model = || format!("{}/{}", self.name, self.version);
        self.backend.run(inputs, &self.outputs).map_err(|f| match f {
            Failure::Model(message) => ModelError::Run { model: model(), message },
            Failure::Input(message) => ModelError::Rejected { model: model(), message },
        })
    }
}

impl Model {
    /// One inference on zeros (variable dimensions set to 1, strings empty), so a
    /// model that parses but cannot run never takes traffic, and the first real
    /// request does not pay for lazy set-up. Zeros go through the same guards as a
    /// request: a model whose guards refuse them (a divisor, an index) is not run
    /// on them, and a kernel that refuses them itself still proves the model runs.
    /// A panic in the backend is a failed warm-up, not a crashed server.
    pub fn warm_up(&self) -> Result<(), ModelError> {
        let mut inputs = Vec::with_capacity(self.inputs.len());
        for spec in &self.inputs {
            let shape: Vec<usize> = spec
                .shape
                .iter()
                .map(|d| match d {
                    Dim::Fixed(n) => *n,
                    Dim::Var(_) => 1,
                })
                .collect();
            let count =
                element_count(&shape).filter(|&n| n <= WARM_UP_MAX_ELEMENTS).ok_or_else(|| ModelError::Load {
                    model: format!("{}/{}", self.name, self.version),
                    message: format!("input '{}' has a fixed shape too large to warm up: {shape:?}", spec.name),
                })?;
            let width = spec.datatype.element_size().unwrap_or(4);
            let data = TensorData::from_le_bytes(spec.datatype, &vec![0u8; count * width]).map_err(|e| {
                ModelError::Load { model: format!("{}/{}", self.name, self.version), message: e.to_string() }
            })?;
            inputs.push(NamedTensor { name: spec.name.clone(), shape, data });
        }
        if self.guards.check(&inputs).is_err() {
            return Ok(());
        }
        let label = || format!("{}/{}", self.name, self.version);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run(&inputs))) {
            Ok(Ok(_) | Err(ModelError::Rejected { .. })) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ModelError::Run { model: label(), message: "the backend panicked".into() }),
        }
    }
}

/// Inputs with more fixed elements than this are not warmed up but refused: no
/// served request could be larger than the server's element limit anyway.
const WARM_UP_MAX_ELEMENTS: usize = 1 << 26;

/// Product of the dimensions, or `None` on overflow.
pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}
