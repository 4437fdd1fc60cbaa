//! One loaded ONNX model: its signature, taken from the model itself, and a plan
//! that tract has optimized once and that every request shares.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::{DimLike, Factoid, bail, format_err};

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
    plan: Arc<TypedRunnableModel>,
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
        let err = |e: TractError| ModelError::Load { model: label.clone(), message: format!("{e:#}") };
        let onnx = tract_onnx::onnx();
        let proto = onnx.proto_model_for_read(&mut &bytes[..]).map_err(err)?;
        let guards = proto.graph.as_ref().map(Guards::from_graph).unwrap_or_default();
        let mut model = onnx.model_for_proto_model(&proto).map_err(err)?;
        let inputs = fix_input_facts(&mut model).map_err(err)?;
        let declared = declared_outputs(&model).map_err(err)?;
        let typed = model.into_optimized().map_err(err)?;
        let outputs = output_specs(&typed, declared).map_err(err)?;
        let plan = typed.into_runnable().map_err(err)?;
        let digest = hex::encode(Sha256::digest(bytes));
        Ok(Model {
            name: name.to_string(),
            version: version.to_string(),
            inputs,
            outputs,
            config,
            digest,
            plan,
            guards,
        })
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
        let err = |message: String| ModelError::Run { model: format!("{}/{}", self.name, self.version), message };
        let values = inputs
            .iter()
            .map(|t| t.data.to_tract(&t.shape).map(TValue::from))
            .collect::<Result<TVec<_>, _>>()
            .map_err(|e| err(e.to_string()))?;
        let results = self.plan.run(values).map_err(|e| ModelError::Rejected {
            model: format!("{}/{}", self.name, self.version),
            message: format!("{e:#}"),
        })?;
        if results.len() != self.outputs.len() {
            return Err(err(format!("returned {} outputs, expected {}", results.len(), self.outputs.len())));
        }
        self.outputs
            .iter()
            .zip(results)
            .map(|(spec, value)| {
                let data = TensorData::from_tract(&value, spec.datatype).map_err(|e| err(e.to_string()))?;
                Ok(NamedTensor { name: spec.name.clone(), shape: value.shape().to_vec(), data })
            })
            .collect()
    }
}

/// Product of the dimensions, or `None` on overflow.
pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Gives every input a concrete datatype and a shape in which unknown dimensions are
/// symbols of the model's own scope (a symbol from another scope fails at run time).
/// The first unknown dimension of every input shares one batch symbol.
fn fix_input_facts(model: &mut InferenceModel) -> TractResult<Vec<TensorSpec>> {
    let batch = model.symbols.new_with_prefix("batch");
    let mut specs = Vec::new();
    for ix in 0..model.inputs.len() {
        let name = model.node(model.inputs[ix].node).name.clone();
        let fact = model.input_fact(ix)?.clone();
        let dt = fact.datum_type.concretize().ok_or_else(|| format_err!("input '{name}' has no declared datatype"))?;
        let datatype = DataType::from_datum(dt)
            .ok_or_else(|| format_err!("input '{name}' has datatype {dt:?}, which the protocol cannot carry"))?;
        if fact.shape.is_open() {
            bail!("input '{name}' has no declared rank");
        }
        let mut dims: TVec<TDim> = tvec!();
        let mut shape = Vec::new();
        for (axis, d) in fact.shape.dims().enumerate() {
            let dim = match d.concretize() {
                Some(d) => d,
                None if axis == 0 => batch.to_dim(),
                None => model.symbols.new_with_prefix(&format!("{name}_{axis}")).to_dim(),
            };
            shape.push(match dim.to_usize() {
                Ok(n) => Dim::Fixed(n),
                Err(_) => Dim::Var(dim.to_string()),
            });
            dims.push(dim);
        }
        model.set_input_fact(ix, InferenceFact::dt_shape(dt, dims))?;
        specs.push(TensorSpec { name, datatype, shape });
    }
    Ok(specs)
}

/// Output names and the datatypes the graph declares, read before optimization,
/// because the optimized graph may compute a declared INT64 as TDim.
fn declared_outputs(model: &InferenceModel) -> TractResult<Vec<(String, Option<DatumType>)>> {
    (0..model.outputs.len())
        .map(|ix| {
            let outlet = model.outputs[ix];
            let name =
                model.outlet_label(outlet).map(str::to_string).unwrap_or_else(|| model.node(outlet.node).name.clone());
            Ok((name, model.output_fact(ix)?.datum_type.concretize()))
        })
        .collect()
}

fn output_specs(typed: &TypedModel, declared: Vec<(String, Option<DatumType>)>) -> TractResult<Vec<TensorSpec>> {
    declared
        .into_iter()
        .enumerate()
        .map(|(ix, (name, dt))| {
            let fact = typed.output_fact(ix)?;
            let dt = dt.unwrap_or(fact.datum_type);
            let datatype = DataType::from_datum(dt)
                .ok_or_else(|| format_err!("output '{name}' has datatype {dt:?}, which the protocol cannot carry"))?;
            let shape = fact
                .shape
                .iter()
                .map(|d| match d.to_usize() {
                    Ok(n) => Dim::Fixed(n),
                    Err(_) => Dim::Var(d.to_string()),
                })
                .collect();
            Ok(TensorSpec { name, datatype, shape })
        })
        .collect()
}
