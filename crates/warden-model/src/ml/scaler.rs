//! Scaler: `y = (x - offset) * scale`, per column or with one value for all columns,
//! output float. As onnxruntime: integers are converted to float before the
//! subtraction, doubles are computed in double and rounded at the end, and the
//! "column" of element `i` is `i % dims[1]` over the flat tensor (`dims[0]` for a
//! rank-1 input), whatever the rank.

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::attrs::Attrs;
use super::kernel::{Kernel, inferred};
use super::tensors::{NUMBERS, expect_type, int64s, output, slice};

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("Scaler", build);
}

fn build(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let attrs = Attrs::new(node);
    let scale = attrs.floats("scale");
    let offset = attrs.floats("offset");
    if scale.is_empty() {
        return Err(attrs.error("scale is empty"));
    }
    if scale.len() != offset.len() {
        return Err(attrs.error(format!("scale has {} values but offset {}", scale.len(), offset.len())));
    }
    Ok((inferred(Scaler { scale, offset }), vec![]))
}

#[derive(Debug, Clone, PartialEq)]
struct Scaler {
    scale: Vec<f32>,
    offset: Vec<f32>,
}

impl Scaler {
    /// The column count the attributes are matched against: `dims[1]`, or `dims[0]`
    /// for a rank-1 input.
    fn stride(shape: &[usize]) -> TractResult<usize> {
        match shape {
            [] => bail!("input has no dimensions"),
            [c] | [_, c, ..] => Ok(*c),
        }
    }

    /// Whether the values are per column (else the single value is for all).
    fn per_column(&self, stride: usize) -> TractResult<bool> {
        if self.scale.len() == stride {
            Ok(true)
        } else if self.scale.len() == 1 {
            Ok(false)
        } else {
            bail!("scale and offset have {} values, expected 1 or the {stride} columns", self.scale.len())
        }
    }

    fn scale_all<T: Copy>(&self, x: &[T], stride: usize, f: impl Fn(T, f32, f32) -> f32) -> TractResult<Vec<f32>> {
        let per_column = self.per_column(stride)?;
        Ok(x.iter()
            .enumerate()
            .map(|(i, &v)| {
                let k = if per_column { i % stride } else { 0 };
                f(v, self.offset[k], self.scale[k])
            })
            .collect())
    }
}

impl Kernel for Scaler {
    fn name(&self) -> &'static str {
        "Scaler"
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        s.equals(&outputs[0].datum_type, DatumType::F32)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        expect_type(inputs[0], &NUMBERS, "input")?;
        ensure!(inputs[0].rank() > 0, "input has no dimensions");
        // The column count is usually fixed by the model: check it now rather than per request.
        let stride = if inputs[0].rank() == 1 { &inputs[0].shape[0] } else { &inputs[0].shape[1] };
        if let Ok(stride) = stride.to_usize() {
            self.per_column(stride)?;
        }
        Ok(tvec!(f32::fact(inputs[0].shape.clone())))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        let x = &inputs[0];
        let stride = Self::stride(x.shape())?;
        let y = match x.datum_type() {
            DatumType::F32 => self.scale_all(slice::<f32>(x)?, stride, |v, o, s| (v - o) * s)?,
            DatumType::F64 => self.scale_all(slice::<f64>(x)?, stride, |v, o, s| ((v - o as f64) * s as f64) as f32)?,
            DatumType::I64 => self.scale_all(slice::<i64>(x)?, stride, |v, o, s| (v as f32 - o) * s)?,
            DatumType::I32 => self.scale_all(slice::<i32>(x)?, stride, |v, o, s| (v as f32 - o) * s)?,
            dt => bail!("unsupported input type {dt:?}"),
        };
        Ok(tvec!(output(x.shape(), y)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(scaler: &Scaler, x: Tensor) -> Vec<f32> {
        let out = scaler.eval(tvec!(x.into_tvalue())).unwrap();
        slice::<f32>(&out[0]).unwrap().to_vec()
    }

    #[test]
    fn per_column_and_broadcast() {
        let s = Scaler { offset: vec![1.0, 2.0], scale: vec![2.0, 0.5] };
        assert_eq!(run(&s, tensor2(&[[3f32, 4.0], [1.0, 0.0]])), [4.0, 1.0, 0.0, -1.0]);
        let one = Scaler { offset: vec![2.5], scale: vec![0.125] };
        assert_eq!(run(&one, tensor2(&[[-10i64, 10]])), [-1.5625, 0.9375]);
    }

    #[test]
    fn integers_become_float_before_the_offset() {
        // 16777217 is not a float: onnxruntime rounds it to 16777216 first.
        let s = Scaler { offset: vec![0.5], scale: vec![3.0] };
        assert_eq!(run(&s, tensor1(&[16_777_217i64])), [(16_777_216f32 - 0.5) * 3.0]);
    }

    #[test]
    fn a_wrong_column_count_is_an_error() {
        let s = Scaler { offset: vec![1.0, 2.0, 3.0], scale: vec![1.0, 1.0, 1.0] };
        assert!(s.eval(tvec!(tensor2(&[[1f32, 2.0]]).into_tvalue())).is_err());
    }
}
