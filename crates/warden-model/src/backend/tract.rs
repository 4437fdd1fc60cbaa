//! The default backend: tract, pure Rust, with Warden's own ai.onnx.ml operators.
//! No C or C++ ever parses an untrusted model file on this path.

use std::sync::Arc;

use tract_onnx::pb::{GraphProto, ModelProto};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::{DimLike, Factoid, bail, format_err};

use crate::DataType;
use crate::model::{Dim, TensorSpec};
use crate::tensor::{NamedTensor, TensorData};

/// A model optimized once by tract and shared by every request.
pub struct TractPlan {
    plan: Arc<TypedRunnableModel>,
}

/// What loading gives: the plan and the model's signature.
pub struct Loaded {
    pub plan: TractPlan,
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
}

/// Why a model failed to load or run.
pub enum Failure {
    /// The model file itself: a load error.
    Model(String),
    /// The request's values: the kernel refused them (a 400, not a 500).
    Input(String),
}

impl TractPlan {
    pub fn load(proto: &ModelProto) -> Result<Loaded, String> {
        let err = |e: TractError| format!("{e:#}");
        let mut onnx = tract_onnx::onnx();
        crate::ml::register(&mut onnx.op_register);
        if let Some(graph) = &proto.graph {
            check_operators(proto, graph, &onnx)?;
        }
        let mut model = onnx.model_for_proto_model(proto).map_err(err)?;
        let inputs = fix_input_facts(&mut model).map_err(err)?;
        let declared = declared_outputs(&model).map_err(err)?;
        let typed = model.into_optimized().map_err(err)?;
        let outputs = output_specs(&typed, declared).map_err(err)?;
        let plan = typed.into_runnable().map_err(err)?;
        Ok(Loaded { plan: TractPlan { plan }, inputs, outputs })
    }

    pub fn run(&self, inputs: &[NamedTensor], outputs: &[TensorSpec]) -> Result<Vec<NamedTensor>, Failure> {
        let values = inputs
            .iter()
            .map(|t| t.data.to_tract(&t.shape).map(TValue::from))
            .collect::<Result<TVec<_>, _>>()
            .map_err(|e| Failure::Model(e.to_string()))?;
        let results = self.plan.run(values).map_err(|e| Failure::Input(format!("{e:#}")))?;
        if results.len() != outputs.len() {
            return Err(Failure::Model(format!("returned {} outputs, expected {}", results.len(), outputs.len())));
        }
        outputs
            .iter()
            .zip(results)
            .map(|(spec, value)| {
                let data = TensorData::from_tract(&value, spec.datatype).map_err(|e| Failure::Model(e.to_string()))?;
                Ok(NamedTensor { name: spec.name.clone(), shape: value.shape().to_vec(), data })
            })
            .collect()
    }
}

/// Refuses, at load, any node tract would only fail on later: an operator from
/// another domain, or one neither tract nor Warden implements. The error names the
/// operator, its domain and the opset the model imports, so the operator knows
/// what to ask for (or to choose `backend = "onnxruntime"`).
fn check_operators(proto: &ModelProto, graph: &GraphProto, onnx: &tract_onnx::Onnx) -> Result<(), String> {
    for node in &graph.node {
        if node.op_type == "ZipMap" {
            return Err("operator ZipMap (domain ai.onnx.ml) turns probabilities into a list of maps, which \
                 the Open Inference Protocol cannot carry: export the classifier without it (skl2onnx: \
                 options={id(model): {\"zipmap\": False}}, i.e. zipmap=False)"
                .into());
        }
        let domain = if node.domain.is_empty() { "ai.onnx" } else { node.domain.as_str() };
        let known_domain = matches!(domain, "ai.onnx" | "ai.onnx.ml");
        if !known_domain || !onnx.op_register.0.contains_key(&node.op_type) {
            let opset = proto
                .opset_import
                .iter()
                .find(|o| o.domain == node.domain || (o.domain.is_empty() && domain == "ai.onnx"))
                .map(|o| o.version.to_string())
                .unwrap_or_else(|| "unknown".into());
            return Err(format!(
                "operator {} (domain {domain}, opset {opset}) is not supported by the tract backend; \
                 backend = \"onnxruntime\" in the model's config.toml runs it with onnxruntime",
                node.op_type
            ));
        }
        for attr in &node.attribute {
            for sub in attr.g.iter().chain(attr.graphs.iter()) {
                check_operators(proto, sub, onnx)?;
            }
        }
    }
    Ok(())
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
