//! Imputer: replaces every element equal to the replaced value by the imputed value of
//! its column (or the single imputed value). As onnxruntime: float inputs use the
//! float attributes and int64 inputs the int64 ones (other types are refused); the
//! replaced values default to the schema's 0; a NaN replaced value matches NaN inputs; the column of element `i` is `i % dims[1]` over
//! the flat tensor; and a list of imputed values that is neither one per column nor a
//! single value is used through its first value only.

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::attrs::Attrs;
use super::kernel::{Kernel, inferred};
use super::tensors::{expect_type, int64s, output, slice};

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("Imputer", build);
}

fn build(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let attrs = Attrs::new(node);
    let floats = attrs.floats("imputed_value_floats");
    let ints = attrs.ints("imputed_value_int64s");
    if floats.is_empty() == ints.is_empty() {
        return Err(attrs.error("exactly one of imputed_value_floats and imputed_value_int64s must be set"));
    }
    let imputer = Imputer {
        floats,
        ints,
        // The schema's defaults, which onnxruntime fills in.
        replaced_float: attrs.float("replaced_value_float")?.unwrap_or(0.0),
        replaced_int: attrs.int("replaced_value_int64")?.unwrap_or(0),
    };
    Ok((inferred(imputer), vec![]))
}

#[derive(Debug, Clone, PartialEq)]
struct Imputer {
    floats: Vec<f32>,
    ints: Vec<i64>,
    replaced_float: f32,
    replaced_int: i64,
}

/// Replaces in `x` every element `matches` accepts by its column's value in `values`.
fn impute<T: Datum + Copy>(x: &Tensor, values: &[T], matches: impl Fn(T) -> bool) -> TractResult<TValue> {
    let stride = match x.shape() {
        [] => bail!("input has no dimensions"),
        [c] | [_, c, ..] => *c,
    };
    let per_column = values.len() == stride;
    let y = slice::<T>(x)?
        .iter()
        .enumerate()
        .map(|(i, &v)| if matches(v) { values[if per_column { i % stride } else { 0 }] } else { v })
        .collect();
    output(x.shape(), y)
}

impl Kernel for Imputer {
    fn name(&self) -> &'static str {
        "Imputer"
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let dt = expect_type(inputs[0], &[DatumType::F32, DatumType::I64], "input")?;
        ensure!(inputs[0].rank() > 0, "input has no dimensions");
        if dt == DatumType::F32 {
            ensure!(!self.floats.is_empty(), "a float input needs imputed_value_floats");
        } else {
            ensure!(!self.ints.is_empty(), "an int64 input needs imputed_value_int64s");
        }
        Ok(tvec!(dt.fact(inputs[0].shape.clone())))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        let x = &inputs[0];
        let y = match x.datum_type() {
            DatumType::F32 => {
                ensure!(!self.floats.is_empty(), "a float input needs imputed_value_floats");
                let r = self.replaced_float;
                impute(x, &self.floats, |v: f32| (v.is_nan() && r.is_nan()) || v == r)?
            }
            DatumType::I64 => {
                ensure!(!self.ints.is_empty(), "an int64 input needs imputed_value_int64s");
                impute(x, &self.ints, |v: i64| v == self.replaced_int)?
            }
            dt => bail!("unsupported input type {dt:?}"),
        };
        Ok(tvec!(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(imputer: &Imputer, x: Tensor) -> Vec<f32> {
        let y = imputer.eval(tvec!(x.into_tvalue())).unwrap();
        slice::<f32>(&y[0]).unwrap().to_vec()
    }

    #[test]
    fn nan_replaced_by_one_value() {
        let imp = Imputer { floats: vec![42.0], ints: vec![], replaced_float: f32::NAN, replaced_int: 0 };
        assert_eq!(floats(&imp, tensor2(&[[1f32, f32::NAN], [f32::NAN, 0.0]])), [1.0, 42.0, 42.0, 0.0]);
    }

    #[test]
    fn per_column_ints_and_first_value_fallback() {
        let imp = Imputer { floats: vec![], ints: vec![100, 200, 300], replaced_float: 0.0, replaced_int: -1 };
        let y = imp.eval(tvec!(tensor2(&[[-1i64, 5, -1]]).into_tvalue())).unwrap();
        assert_eq!(slice::<i64>(&y[0]).unwrap(), [100, 5, 300]);
        // Two values for five columns: onnxruntime uses the first one everywhere.
        let imp = Imputer { floats: vec![9.0, 8.0], ints: vec![], replaced_float: 1.0, replaced_int: 0 };
        assert_eq!(floats(&imp, tensor2(&[[0f32, 1.0, 2.0, 1.0, 3.0]])), [0.0, 9.0, 2.0, 9.0, 3.0]);
    }
}
