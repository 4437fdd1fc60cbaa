//! Binarizer: 1 where `x > threshold`, else 0, in the input's type. As onnxruntime: the
//! threshold defaults to the schema's 0.0, a NaN anywhere in the input is an error (not
//! a 0), and integers are compared after conversion to float. onnxruntime implements
//! float only; the other types of the spec (double, int64, int32) follow the same rule.

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::attrs::Attrs;
use super::kernel::{Kernel, inferred};
use super::tensors::{NUMBERS, expect_type, int64s, output, slice};

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("Binarizer", build);
}

fn build(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let threshold = Attrs::new(node).float("threshold")?.unwrap_or(0.0);
    Ok((inferred(Binarizer { threshold }), vec![]))
}

#[derive(Debug, Clone, PartialEq)]
struct Binarizer {
    threshold: f32,
}

impl Binarizer {
    /// `above(x)` is `x > threshold` in the comparison type onnxruntime would use,
    /// `None` for NaN.
    fn apply<T: Datum + Copy>(
        &self,
        x: &Tensor,
        one: T,
        zero: T,
        above: impl Fn(T) -> Option<bool>,
    ) -> TractResult<TValue> {
        let y = slice::<T>(x)?
            .iter()
            .enumerate()
            .map(|(i, &v)| match above(v) {
                Some(true) => Ok(one),
                Some(false) => Ok(zero),
                None => bail!("input value at index {i} is NaN"),
            })
            .collect::<TractResult<Vec<T>>>()?;
        output(x.shape(), y)
    }
}

impl Kernel for Binarizer {
    fn name(&self) -> &'static str {
        "Binarizer"
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
        let dt = expect_type(inputs[0], &NUMBERS, "input")?;
        Ok(tvec!(dt.fact(inputs[0].shape.clone())))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        let x = &inputs[0];
        let t = self.threshold;
        let y = match x.datum_type() {
            DatumType::F32 => self.apply(x, 1f32, 0.0, |v: f32| (!v.is_nan()).then_some(v > t))?,
            DatumType::F64 => self.apply(x, 1f64, 0.0, |v: f64| (!v.is_nan()).then_some(v > t as f64))?,
            DatumType::I64 => self.apply(x, 1i64, 0, |v: i64| Some(v as f32 > t))?,
            DatumType::I32 => self.apply(x, 1i32, 0, |v: i32| Some(v as f32 > t))?,
            dt => bail!("unsupported input type {dt:?}"),
        };
        Ok(tvec!(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_above_the_threshold() {
        let b = Binarizer { threshold: 0.0 };
        let y = b.eval(tvec!(tensor1(&[0f32, 0.5, -1.0]).into_tvalue())).unwrap();
        assert_eq!(slice::<f32>(&y[0]).unwrap(), [0.0, 1.0, 0.0]);
        let y = Binarizer { threshold: 8.0 }.eval(tvec!(tensor1(&[8i64, 9]).into_tvalue())).unwrap();
        assert_eq!(slice::<i64>(&y[0]).unwrap(), [0, 1]);
    }

    #[test]
    fn nan_is_an_error() {
        let b = Binarizer { threshold: 0.0 };
        let err = b.eval(tvec!(tensor1(&[1f32, f32::NAN]).into_tvalue())).unwrap_err();
        assert!(err.to_string().contains("index 1 is NaN"), "{err}");
    }
}
