//! OneHotEncoder: each element becomes a float vector with a 1 at its category's
//! position; the output shape is the input's plus a last dimension of the category
//! count. As onnxruntime: float and double inputs are truncated to int64 as x86 does
//! (so NaN matches no category), a category listed twice is at its last position, an
//! int32 input is refused, and an unknown category is all zeros when `zeros` is 1 (the
//! default) and an error of the request when it is 0.

use std::collections::HashMap;

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::attrs::Attrs;
use super::kernel::{Kernel, inferred};
use super::tensors::{expect_type, int64s, output, slice, truncate_like_x86, zeroed};

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("OneHotEncoder", build);
}

fn build(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let attrs = Attrs::new(node);
    let ints = attrs.ints("cats_int64s");
    let strings = attrs.strings("cats_strings")?;
    if !ints.is_empty() && !strings.is_empty() {
        return Err(attrs.error("only one of cats_int64s and cats_strings may be set"));
    }
    let count = ints.len().max(strings.len());
    if count == 0 {
        return Err(attrs.error("no categories: cats_int64s or cats_strings must be set"));
    }
    // Later positions overwrite earlier ones, as onnxruntime's map assignment does.
    let encoder = OneHotEncoder {
        ints: ints.iter().enumerate().map(|(i, &c)| (c, i)).collect(),
        strings: strings.into_iter().enumerate().map(|(i, c)| (c, i)).collect(),
        count,
        zeros: attrs.int("zeros")?.unwrap_or(1) != 0,
    };
    Ok((inferred(encoder), vec![]))
}

#[derive(Debug, Clone, PartialEq)]
struct OneHotEncoder {
    ints: HashMap<i64, usize>,
    strings: HashMap<String, usize>,
    count: usize,
    zeros: bool,
}

impl OneHotEncoder {
    /// One-hot rows for elements whose position is `find(element)`.
    fn encode<T: Datum>(&self, x: &Tensor, find: impl Fn(&T) -> Option<usize>) -> TractResult<TValue> {
        let values = slice::<T>(x)?;
        let mut y = zeroed::<f32>(values.len(), self.count)?;
        for (row, v) in y.chunks_exact_mut(self.count).zip(values) {
            match find(v) {
                Some(k) => row[k] = 1.0,
                None if self.zeros => {}
                None => bail!("unknown category {v:?} (the model sets zeros=0)"),
            }
        }
        let mut shape = x.shape().to_vec();
        shape.push(self.count);
        output(&shape, y)
    }
}

impl Kernel for OneHotEncoder {
    fn name(&self) -> &'static str {
        "OneHotEncoder"
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        s.equals(&outputs[0].datum_type, DatumType::F32)?;
        s.equals(&outputs[0].rank, inputs[0].rank.bex() + 1)?;
        s.given(&inputs[0].rank, move |s, rank| {
            for axis in 0..rank as usize {
                s.equals(&outputs[0].shape[axis], &inputs[0].shape[axis])?;
            }
            s.equals(&outputs[0].shape[rank as usize], self.count.to_dim())
        })
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let allowed = [DatumType::I64, DatumType::F32, DatumType::F64, DatumType::String];
        expect_type(inputs[0], &allowed, "input")?;
        let mut shape = inputs[0].shape.to_tvec();
        shape.push(self.count.to_dim());
        Ok(tvec!(f32::fact(shape)))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        let x = &inputs[0];
        let y = match x.datum_type() {
            DatumType::I64 => self.encode(x, |v: &i64| self.ints.get(v).copied())?,
            DatumType::F32 => self.encode(x, |v: &f32| self.ints.get(&truncate_like_x86(*v as f64)).copied())?,
            DatumType::F64 => self.encode(x, |v: &f64| self.ints.get(&truncate_like_x86(*v)).copied())?,
            DatumType::String => self.encode(x, |v: &String| self.strings.get(v).copied())?,
            dt => bail!("unsupported input type {dt:?}"),
        };
        Ok(tvec!(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoder(ints: &[i64], strings: &[&str], zeros: bool) -> OneHotEncoder {
        OneHotEncoder {
            ints: ints.iter().enumerate().map(|(i, &c)| (c, i)).collect(),
            strings: strings.iter().enumerate().map(|(i, c)| (c.to_string(), i)).collect(),
            count: ints.len().max(strings.len()),
            zeros,
        }
    }

    #[test]
    fn floats_truncate_and_nan_matches_nothing() {
        // Categories [1, 2, 0, 1]: 1 is at its last position, 3.
        let e = encoder(&[1, 2, 0, 1], &[], true);
        let y = e.eval(tvec!(tensor2(&[[1.7f32, -0.5, f32::NAN]]).into_tvalue())).unwrap();
        assert_eq!(y[0].shape(), [1, 3, 4]);
        let want = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(slice::<f32>(&y[0]).unwrap(), want);
    }

    #[test]
    fn unknown_strings_are_zeros_or_an_error() {
        let x = || tvec!(tensor1(&["b".to_string(), "z".to_string()]).into_tvalue());
        let y = encoder(&[], &["a", "b"], true).eval(x()).unwrap();
        assert_eq!(slice::<f32>(&y[0]).unwrap(), [0.0, 1.0, 0.0, 0.0]);
        let err = encoder(&[], &["a", "b"], false).eval(x()).unwrap_err();
        assert!(err.to_string().contains("unknown category \"z\""), "{err}");
    }
}
