//! ArrayFeatureExtractor: picks the elements at indices `Y` (int64, any shape, read
//! flat) along the last axis of `X`. As onnxruntime: a rank-1 `X` gives shape
//! `[1, len(Y)]` (its backward-compatible special case), otherwise `X`'s shape with
//! the last dimension `len(Y)`; an empty `Y` and an index outside the last dimension
//! (negative ones included) are errors of the request.

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::kernel::{Kernel, inferred};
use super::tensors::{expect_type, int64s, output, slice, zeroed};

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("ArrayFeatureExtractor", build);
}

fn build(_ctx: &ParsingContext, _node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    Ok((inferred(ArrayFeatureExtractor), vec![]))
}

#[derive(Debug, Clone, PartialEq)]
struct ArrayFeatureExtractor;

/// The output shape for `x_shape` and `count` indices.
fn output_shape<D: Clone>(x_shape: &[D], count: D, one: D) -> TVec<D> {
    match x_shape {
        [_] => tvec!(one, count),
        _ => {
            let mut shape: TVec<D> = x_shape.into();
            if let Some(last) = shape.last_mut() {
                *last = count;
            }
            shape
        }
    }
}

fn extract<T: Datum + Default>(x: &Tensor, indices: &[usize]) -> TractResult<TValue> {
    let values = slice::<T>(x)?;
    // The caller checked every index against the last dimension: it is not zero.
    let stride = x.shape().last().copied().unwrap_or(1).max(1);
    let mut out = zeroed::<T>(values.len() / stride, indices.len())?;
    for (row, picked) in values.chunks_exact(stride).zip(out.chunks_exact_mut(indices.len())) {
        for (o, &i) in picked.iter_mut().zip(indices) {
            *o = row[i].clone();
        }
    }
    output(&output_shape(x.shape(), indices.len(), 1), out)
}

impl Kernel for ArrayFeatureExtractor {
    fn name(&self) -> &'static str {
        "ArrayFeatureExtractor"
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[1].datum_type, DatumType::I64)?;
        s.given_2(&inputs[0].shape, &inputs[1].shape, move |s, x, y| {
            let count: TDim = y.iter().product();
            let shape = output_shape(&x, count, 1.to_dim());
            s.equals(&outputs[0].shape, ShapeFactoid::from(shape))
        })
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let allowed = [DatumType::F32, DatumType::F64, DatumType::I64, DatumType::I32, DatumType::String];
        let dt = expect_type(inputs[0], &allowed, "input X")?;
        expect_type(inputs[1], &[DatumType::I64], "input Y")?;
        ensure!(inputs[0].rank() > 0, "X has no dimensions");
        let count: TDim = inputs[1].shape.iter().product();
        Ok(tvec!(dt.fact(output_shape(&inputs[0].shape.to_tvec(), count, 1.to_dim()))))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        let (x, y) = (&inputs[0], &inputs[1]);
        let Some(&stride) = x.shape().last() else { bail!("X has no dimensions") };
        let indices = slice::<i64>(y)?
            .iter()
            .enumerate()
            .map(|(k, &i)| match usize::try_from(i) {
                Ok(i) if i < stride => Ok(i),
                _ => bail!("index Y[{k}] = {i} is out of range for a last dimension of {stride}"),
            })
            .collect::<TractResult<Vec<usize>>>()?;
        ensure!(!indices.is_empty(), "no index given (Y is empty)");
        let z = match x.datum_type() {
            DatumType::F32 => extract::<f32>(x, &indices)?,
            DatumType::F64 => extract::<f64>(x, &indices)?,
            DatumType::I64 => extract::<i64>(x, &indices)?,
            DatumType::I32 => extract::<i32>(x, &indices)?,
            DatumType::String => extract::<String>(x, &indices)?,
            dt => bail!("unsupported input type {dt:?}"),
        };
        Ok(tvec!(z))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: Tensor, y: Tensor) -> TractResult<TVec<TValue>> {
        ArrayFeatureExtractor.eval(tvec!(x.into_tvalue(), y.into_tvalue()))
    }

    #[test]
    fn picks_along_the_last_axis() {
        let x = Tensor::from_shape(&[2, 2, 3], &(0..12).map(|i| i as f32).collect::<Vec<_>>()).unwrap();
        let z = run(x, tensor1(&[2i64, 0])).unwrap();
        assert_eq!(z[0].shape(), [2, 2, 2]);
        assert_eq!(slice::<f32>(&z[0]).unwrap(), [2.0, 0.0, 5.0, 3.0, 8.0, 6.0, 11.0, 9.0]);
    }

    #[test]
    fn rank_one_gives_one_row() {
        let z = run(tensor1(&[10i64, 20, 30]), tensor2(&[[2i64, 0], [1, 1]])).unwrap();
        assert_eq!(z[0].shape(), [1, 4]);
        assert_eq!(slice::<i64>(&z[0]).unwrap(), [30, 10, 20, 20]);
    }

    #[test]
    fn bad_indices_are_errors() {
        let x = || tensor2(&[[1f32, 2.0]]);
        assert!(run(x(), tensor1(&[2i64])).unwrap_err().to_string().contains("out of range"));
        assert!(run(x(), tensor1(&[-1i64])).unwrap_err().to_string().contains("out of range"));
        assert!(run(x(), tensor1::<i64>(&[])).unwrap_err().to_string().contains("no index"));
    }
}
