//! Normalizer: each row of a rank-1 or rank-2 input divided by its MAX, L1 or L2
//! norm, output float (`norm` defaults to the schema's MAX). onnxruntime's quirks,
//! reproduced: MAX divides by the largest value, not the largest magnitude (a row of
//! negatives changes sign); a row whose norm is zero is copied unchanged; L2 squares
//! in the input's own type before converting to float.

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::attrs::Attrs;
use super::kernel::{Kernel, inferred, rows_cols};
use super::tensors::{NUMBERS, expect_type, int64s, output, slice};

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("Normalizer", build);
}

fn build(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let attrs = Attrs::new(node);
    let norm = match attrs.string("norm")?.as_deref().unwrap_or("MAX") {
        "MAX" => Norm::Max,
        "L1" => Norm::L1,
        "L2" => Norm::L2,
        other => return Err(attrs.error(format!("unknown norm '{other}' (expected MAX, L1 or L2)"))),
    };
    Ok((inferred(Normalizer { norm }), vec![]))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Norm {
    Max,
    L1,
    L2,
}

#[derive(Debug, Clone, PartialEq)]
struct Normalizer {
    norm: Norm,
}

/// An input element, with the operations onnxruntime performs in the input's type.
trait Element: Copy {
    fn to_f32(self) -> f32;
    /// `static_cast<float>(std::abs(x))`.
    fn abs_f32(self) -> f32;
    /// `static_cast<float>(x * x)`, the product in the input's type.
    fn square_f32(self) -> f32;
    fn is_negative(self) -> bool;
}

macro_rules! element_float {
    ($t:ty) => {
        impl Element for $t {
            fn to_f32(self) -> f32 {
                self as f32
            }
            fn abs_f32(self) -> f32 {
                self.abs() as f32
            }
            fn square_f32(self) -> f32 {
                (self * self) as f32
            }
            fn is_negative(self) -> bool {
                self < 0.0
            }
        }
    };
}

macro_rules! element_int {
    ($t:ty) => {
        impl Element for $t {
            fn to_f32(self) -> f32 {
                self as f32
            }
            fn abs_f32(self) -> f32 {
                self.wrapping_abs() as f32
            }
            fn square_f32(self) -> f32 {
                self.wrapping_mul(self) as f32
            }
            fn is_negative(self) -> bool {
                self < 0
            }
        }
    };
}

element_float!(f32);
element_float!(f64);
element_int!(i64);
element_int!(i32);

impl Normalizer {
    fn row<T: Element>(&self, x: &[T], y: &mut [f32]) {
        match self.norm {
            Norm::Max => {
                let max = x.iter().map(|v| v.to_f32()).fold(f32::MIN, |m, v| if m < v { v } else { m });
                for (out, v) in y.iter_mut().zip(x) {
                    *out = if max != 0.0 { v.to_f32() / max } else { v.to_f32() };
                }
            }
            Norm::L1 => {
                let sum = x.iter().map(|v| v.abs_f32()).fold(0.0f32, |s, v| s + v);
                for (out, v) in y.iter_mut().zip(x) {
                    *out = if sum != 0.0 { v.to_f32() / sum } else { v.to_f32() };
                }
            }
            Norm::L2 => {
                let sum = x.iter().map(|v| v.square_f32()).fold(0.0f32, |s, v| s + v);
                for (out, v) in y.iter_mut().zip(x) {
                    *out = if sum == 0.0 {
                        v.to_f32()
                    } else if v.is_negative() {
                        -(v.square_f32() / sum).sqrt()
                    } else {
                        (v.square_f32() / sum).sqrt()
                    };
                }
            }
        }
    }

    fn normalize<T: Element>(&self, x: &[T], shape: &[usize]) -> TractResult<Vec<f32>> {
        let (_, cols) = rows_cols(shape)?;
        let mut y = vec![0.0f32; x.len()];
        if cols > 0 {
            for (out, row) in y.chunks_exact_mut(cols).zip(x.chunks_exact(cols)) {
                self.row(row, out);
            }
        }
        Ok(y)
    }
}

impl Kernel for Normalizer {
    fn name(&self) -> &'static str {
        "Normalizer"
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
        ensure!(matches!(inputs[0].rank(), 1 | 2), "input must have rank 1 or 2, got {}", inputs[0].rank());
        Ok(tvec!(f32::fact(inputs[0].shape.clone())))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        let x = &inputs[0];
        let shape = x.shape();
        let y = match x.datum_type() {
            DatumType::F32 => self.normalize(slice::<f32>(x)?, shape)?,
            DatumType::F64 => self.normalize(slice::<f64>(x)?, shape)?,
            DatumType::I64 => self.normalize(slice::<i64>(x)?, shape)?,
            DatumType::I32 => self.normalize(slice::<i32>(x)?, shape)?,
            dt => bail!("unsupported input type {dt:?}"),
        };
        Ok(tvec!(output(shape, y)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(norm: Norm, x: Tensor) -> Vec<f32> {
        let out = Normalizer { norm }.eval(tvec!(x.into_tvalue())).unwrap();
        slice::<f32>(&out[0]).unwrap().to_vec()
    }

    #[test]
    fn max_divides_by_the_largest_value_and_keeps_zero_rows() {
        let x = tensor2(&[[0f32, 0.0, 0.0], [-1.0, -2.0, 0.0], [-2.0, 1.0, 4.0]]);
        assert_eq!(run(Norm::Max, x), [0.0, 0.0, 0.0, -1.0, -2.0, 0.0, -0.5, 0.25, 1.0]);
    }

    #[test]
    fn l1_and_l2() {
        assert_eq!(run(Norm::L1, tensor2(&[[1i64, -3]])), [0.25, -0.75]);
        let y = run(Norm::L2, tensor2(&[[3f64, -4.0], [0.0, 0.0]]));
        assert_eq!(y, [0.6, -0.8, 0.0, 0.0]);
    }

    #[test]
    fn rank_three_is_an_error() {
        let x = Tensor::from_shape(&[1, 2, 2], &[1f32, 2.0, 3.0, 6.0]).unwrap();
        assert!(Normalizer { norm: Norm::L1 }.eval(tvec!(x.into_tvalue())).is_err());
    }
}
