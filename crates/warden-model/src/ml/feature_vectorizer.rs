//! FeatureVectorizer: concatenates its inputs, row by row, into one float matrix
//! `[N, sum(inputdimensions)]`. As onnxruntime: input `k` fills `inputdimensions[k]`
//! columns, truncated when it has more values per row (the values after its first
//! dimension, flattened) and padded with zeros when it has fewer; a rank-1 input is
//! one row; N is the first input's, and inputs whose row counts differ are a request
//! error. Inputs of different numeric types are accepted (onnxruntime's schema wants
//! one type for all).

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::attrs::Attrs;
use super::kernel::{Kernel, inferred, rows_follow_input};
use super::tensors::{NUMBERS, expect_type, floats, int64s, output, zeroed};

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("FeatureVectorizer", build);
}

fn build(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let attrs = Attrs::new(node);
    let dims = attrs.ints("inputdimensions");
    if dims.is_empty() {
        return Err(attrs.error("inputdimensions is missing or empty"));
    }
    if dims.len() != node.input.len() {
        return Err(attrs.error(format!("{} inputs but {} inputdimensions", node.input.len(), dims.len())));
    }
    let widths = dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| attrs.error(format!("inputdimensions holds {d}"))))
        .collect::<TractResult<Vec<usize>>>()?;
    let total = widths
        .iter()
        .try_fold(0usize, |sum, &w| sum.checked_add(w))
        .ok_or_else(|| attrs.error("inputdimensions add up past the largest size"))?;
    Ok((inferred(FeatureVectorizer { widths, total }), vec![]))
}

#[derive(Debug, Clone, PartialEq)]
struct FeatureVectorizer {
    widths: Vec<usize>,
    /// The output's columns, the sum of `widths`.
    total: usize,
}

/// Rows and values per row of an input: `[C]` is one row, `[N, ...]` N rows.
fn rows_and_width(shape: &[usize]) -> TractResult<(usize, usize)> {
    match shape {
        [] => bail!("an input has no dimensions"),
        [c] => Ok((1, *c)),
        [n, rest @ ..] => Ok((*n, rest.iter().product())),
    }
}

impl Kernel for FeatureVectorizer {
    fn name(&self) -> &'static str {
        "FeatureVectorizer"
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, self.widths.len())?;
        s.equals(&outputs[0].datum_type, DatumType::F32)?;
        s.equals(&outputs[0].rank, 2)?;
        s.equals(&outputs[0].shape[1], self.total.to_dim())?;
        rows_follow_input(s, &inputs[0], &outputs[0])
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        for input in inputs {
            expect_type(input, &NUMBERS, "input")?;
            ensure!(input.rank() > 0, "an input has no dimensions");
        }
        let rows = if inputs[0].rank() == 1 { 1.to_dim() } else { inputs[0].shape[0].clone() };
        Ok(tvec!(f32::fact([rows, self.total.to_dim()])))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        ensure!(inputs.len() == self.widths.len(), "{} inputs, expected {}", inputs.len(), self.widths.len());
        let (rows, _) = rows_and_width(inputs[0].shape())?;
        let total = self.total;
        let mut y = zeroed::<f32>(rows, total)?;
        let mut offset = 0;
        for (k, (input, &width)) in inputs.iter().zip(&self.widths).enumerate() {
            let (n, size) = rows_and_width(input.shape())?;
            ensure!(n == rows, "input {k} has {n} rows, the first input {rows}");
            let values = floats(input)?;
            let copied = size.min(width);
            if copied > 0 {
                for (out, row) in y.chunks_exact_mut(total).zip(values.chunks_exact(size)) {
                    out[offset..offset + copied].copy_from_slice(&row[..copied]);
                }
            }
            offset += width;
        }
        Ok(tvec!(output(&[rows, total], y)?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tensors::slice;
    use super::*;

    #[test]
    fn truncates_pads_and_casts() {
        let fv = FeatureVectorizer { widths: vec![2, 3, 1], total: 6 };
        let a = tensor2(&[[1f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        let b = tensor2(&[[7i64], [8]]);
        let c = tensor2(&[[9f64], [10.0]]);
        let y = fv.eval(tvec!(a.into_tvalue(), b.into_tvalue(), c.into_tvalue())).unwrap();
        assert_eq!(y[0].shape(), [2, 6]);
        assert_eq!(slice::<f32>(&y[0]).unwrap(), [1.0, 2.0, 7.0, 0.0, 0.0, 9.0, 4.0, 5.0, 8.0, 0.0, 0.0, 10.0]);
    }

    #[test]
    fn row_counts_must_agree() {
        let fv = FeatureVectorizer { widths: vec![1, 1], total: 2 };
        let err = fv.eval(tvec!(tensor2(&[[1f32], [2.0]]).into_tvalue(), tensor2(&[[1f32]]).into_tvalue()));
        assert!(err.unwrap_err().to_string().contains("input 1 has 1 rows"));
    }
}
