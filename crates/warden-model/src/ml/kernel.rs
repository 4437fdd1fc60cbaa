//! The one shape every ai.onnx.ml operator takes inside tract.
//!
//! An operator is a [`Kernel`]: plain Rust that checks its attributes once at load
//! (in its builder), states its output types and shapes, and computes outputs from
//! inputs. [`Inferred`] carries it through tract's inference stage and [`Typed`]
//! through the optimized plan, so each operator file holds only its own logic.

use std::fmt::Debug;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::*;

/// One ai.onnx.ml operator, with its attributes already parsed and checked.
pub trait Kernel: Debug + Clone + PartialEq + Send + Sync + 'static {
    /// The ONNX operator name, for tract's node listing and error messages.
    fn name(&self) -> &'static str;

    /// How many outputs the node declares.
    fn nb_outputs(&self) -> usize {
        1
    }

    /// Inference rules: what the operator fixes about its outputs before the input
    /// shapes are known (datatypes, ranks, dimensions shared with inputs).
    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult;

    /// Output facts once the input facts are fully known.
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>>;

    /// Computes the outputs. Errors here are the client's (a bad value in a
    /// request), never a panic.
    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>>;
}

/// Boxes a kernel as the inference-stage operator a builder returns.
pub fn inferred<K: Kernel>(kernel: K) -> Box<dyn InferenceOp> {
    expand(Inferred(kernel))
}

/// The inference-stage form: it only states rules, then wires [`Typed`].
#[derive(Debug, Clone, PartialEq)]
pub struct Inferred<K: Kernel>(pub K);

impl<K: Kernel> Expansion for Inferred<K> {
    fn name(&self) -> StaticName {
        self.0.name().into()
    }

    fn nboutputs(&self) -> TractResult<usize> {
        Ok(self.0.nb_outputs())
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_output_arity(outputs, self.0.nb_outputs())?;
        self.0.rules(s, inputs, outputs)
    }

    fn wire(&self, prefix: &str, model: &mut TypedModel, inputs: &[OutletId]) -> TractResult<TVec<OutletId>> {
        model.wire_node(prefix, Typed(self.0.clone()), inputs)
    }
}

/// The optimized-plan form: a stateless operator that runs the kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct Typed<K: Kernel>(pub K);

/// tract compares operators to merge duplicates; attributes with NaN just never merge.
impl<K: Kernel> Eq for Typed<K> {}

impl<K: Kernel> Op for Typed<K> {
    fn name(&self) -> StaticName {
        self.0.name().into()
    }

    op_as_typed_op!();
}

impl<K: Kernel> EvalOp for Typed<K> {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        self.0.eval(inputs)
    }
}

impl<K: Kernel> TypedOp for Typed<K> {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        self.0.output_facts(inputs)
    }

    as_op!();
}

/// The batch dimension of a rank-1 or rank-2 input: `[C]` is one row, `[N, C]` is N.
pub fn batch_dim(fact: &TypedFact) -> TractResult<TDim> {
    match fact.rank() {
        1 => Ok(1.to_dim()),
        2 => Ok(fact.shape[0].clone()),
        r => bail!("expects a rank 1 or 2 input, got rank {r}"),
    }
}

/// Rows and columns of a rank-1 or rank-2 input at run time.
pub fn rows_cols(shape: &[usize]) -> TractResult<(usize, usize)> {
    match shape {
        [c] => Ok((1, *c)),
        [n, c] => Ok((*n, *c)),
        _ => bail!("expects a rank 1 or 2 input, got shape {shape:?}"),
    }
}

/// The elements of a tensor as a slice (any datum type, strings included).
pub fn elements<T: Datum>(t: &Tensor) -> TractResult<&[T]> {
    t.try_as_plain_ram()?.as_slice::<T>()
}

/// A tensor of `shape` owning `data` (any datum type, strings included).
pub fn tensor_of<T: Datum>(shape: &[usize], data: Vec<T>) -> TractResult<Tensor> {
    Ok(tract_onnx::prelude::tract_ndarray::ArrayD::from_shape_vec(shape, data)?.into())
}

/// Inference rule: `output`'s first dimension is the input's rows (a rank-1 input
/// is one row).
pub fn rows_follow_input<'r, 'p: 'r>(
    s: &mut Solver<'r>,
    input: &'p TensorProxy,
    output: &'p TensorProxy,
) -> InferenceResult {
    s.given(&input.rank, move |s, rank| {
        if rank == 1 { s.equals(&output.shape[0], 1.to_dim()) } else { s.equals(&output.shape[0], &input.shape[0]) }
    })
}

/// The outputs every classifier has: labels `[N]` of `label_type` and scores
/// `[N, columns]` in f32, N the input's rows.
pub fn classifier_rules<'r, 'p: 'r>(
    s: &mut Solver<'r>,
    inputs: &'p [TensorProxy],
    outputs: &'p [TensorProxy],
    label_type: DatumType,
    columns: usize,
) -> InferenceResult {
    check_input_arity(inputs, 1)?;
    s.equals(&outputs[0].datum_type, label_type)?;
    s.equals(&outputs[1].datum_type, f32::datum_type())?;
    s.equals(&outputs[0].rank, 1)?;
    s.equals(&outputs[1].rank, 2)?;
    s.equals(&outputs[1].shape[1], columns.to_dim())?;
    s.equals(&outputs[0].shape[0], &outputs[1].shape[0])?;
    rows_follow_input(s, &inputs[0], &outputs[0])
}

/// The typed facts of `classifier_rules`.
pub fn classifier_facts(input: &TypedFact, label_type: DatumType, columns: usize) -> TractResult<TVec<TypedFact>> {
    let n = batch_dim(input)?;
    Ok(tvec!(label_type.fact([n.clone()]), f32::fact([n, columns.to_dim()])))
}

/// The output every regressor has: `[N, targets]` of `dt`, N the input's rows.
pub fn regressor_rules<'r, 'p: 'r>(
    s: &mut Solver<'r>,
    inputs: &'p [TensorProxy],
    outputs: &'p [TensorProxy],
    dt: DatumType,
    targets: usize,
) -> InferenceResult {
    check_input_arity(inputs, 1)?;
    s.equals(&outputs[0].datum_type, dt)?;
    s.equals(&outputs[0].rank, 2)?;
    s.equals(&outputs[0].shape[1], targets.to_dim())?;
    rows_follow_input(s, &inputs[0], &outputs[0])
}
