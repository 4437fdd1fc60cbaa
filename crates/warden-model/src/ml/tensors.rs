//! Inputs and outputs of the ai.onnx.ml kernels as plain slices and vectors, with the
//! conversions onnxruntime applies: numbers cast one by one to f32 (`static_cast<float>`),
//! floats truncated to int64 the way x86 does it, and class labels picked by index.

use std::borrow::Cow;

use tract_onnx::tract_hir::internal::*;

use super::attrs::Attrs;

/// The elements of a tensor as a slice of `T`.
pub fn slice<T: Datum>(t: &Tensor) -> TractResult<&[T]> {
    t.try_as_plain_ram()?.as_slice::<T>()
}

/// Numbers as f32, cast element by element as onnxruntime casts an input it computes
/// in float (double rounds to nearest, integers to the nearest float).
pub fn floats(t: &Tensor) -> TractResult<Cow<'_, [f32]>> {
    Ok(match t.datum_type() {
        DatumType::F32 => Cow::Borrowed(slice::<f32>(t)?),
        DatumType::F64 => Cow::Owned(slice::<f64>(t)?.iter().map(|&x| x as f32).collect()),
        DatumType::I64 => Cow::Owned(slice::<i64>(t)?.iter().map(|&x| x as f32).collect()),
        DatumType::I32 => Cow::Owned(slice::<i32>(t)?.iter().map(|&x| x as f32).collect()),
        dt => bail!("expects a float, double, int64 or int32 input, got {dt:?}"),
    })
}

/// The numeric types onnxruntime accepts where an operator computes in float.
pub const NUMBERS: [DatumType; 4] = [DatumType::F32, DatumType::F64, DatumType::I64, DatumType::I32];

/// Checks an input's datatype at load, so a wrong one fails the load rather than every
/// request. tract may compute a graph's int64 values as TDim: they count as int64 (see
/// [`int64s`]).
pub fn expect_type(fact: &TypedFact, allowed: &[DatumType], what: &str) -> TractResult<DatumType> {
    let dt = if fact.datum_type == DatumType::TDim { DatumType::I64 } else { fact.datum_type };
    ensure!(allowed.contains(&dt), "{what} must be one of {allowed:?}, got {dt:?}");
    Ok(dt)
}

/// The inputs with TDim values (tract's form of some int64 values) as int64 tensors.
pub fn int64s(inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
    inputs
        .into_iter()
        .map(
            |v| {
                if v.datum_type() == DatumType::TDim {
                    Ok(v.cast_to::<i64>()?.into_owned().into_tvalue())
                } else {
                    Ok(v)
                }
            },
        )
        .collect()
}

/// A zeroed output buffer of `rows x columns` values. Sizes come from the model and
/// the request: one too large for memory is an error of the request, not an abort.
pub fn zeroed<T: Clone + Default>(rows: usize, columns: usize) -> TractResult<Vec<T>> {
    let too_large = || format_err!("an output of {rows} x {columns} values is too large");
    let len = rows.checked_mul(columns).ok_or_else(too_large)?;
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| too_large())?;
    v.resize(len, T::default());
    Ok(v)
}

/// A tensor of `shape` from its elements in row-major order.
pub fn output<T: Datum>(shape: &[usize], data: Vec<T>) -> TractResult<TValue> {
    Ok(tract_ndarray::ArrayD::from_shape_vec(shape, data)?.into_tensor().into_tvalue())
}

/// `static_cast<int64_t>` of a float on x86: truncation toward zero, and the
/// "integer indefinite" value i64::MIN for NaN and out-of-range values (Rust's `as`
/// would give 0 for NaN, which could match a real category).
pub fn truncate_like_x86(x: f64) -> i64 {
    // 2^63 is exactly representable; anything at or beyond it (or NaN) is out of range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if x.is_nan() || !(-LIMIT..LIMIT).contains(&x) { i64::MIN } else { x as i64 }
}

/// Dot product accumulated left to right with fused multiply-adds, as MLAS's SGEMM
/// kernels accumulate one output: the fusion matters where terms cancel (SVMs,
/// one-class scores). `fma` computes it in f64, which holds a product of two f32
/// exactly: far faster than `f32::mul_add`, a software routine when the build
/// target lacks FMA.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).fold(0.0f32, |acc, (&x, &y)| fma(x, y, acc))
}

/// `x * y + acc` with one rounding (to f64, then f32: the two roundings differ
/// from a true fused multiply-add only on exact ties, about once in 2^29).
pub fn fma(x: f32, y: f32, acc: f32) -> f32 {
    (x as f64 * y as f64 + acc as f64) as f32
}

/// Class labels of a classifier: `classlabels_ints` or `classlabels_strings`.
#[derive(Debug, Clone, PartialEq)]
pub enum Labels {
    Ints(Vec<i64>),
    Strings(Vec<String>),
}

impl Labels {
    /// Reads the labels from `classlabels_strings` or `ints` (`classlabels_ints`, or
    /// `classlabels_int64s` for trees); setting both lists is an error, setting none
    /// gives no ints.
    pub fn parse(attrs: &Attrs, ints: &str) -> TractResult<Labels> {
        let strings = attrs.strings("classlabels_strings")?;
        let name = ints;
        let ints = attrs.ints(name);
        match (strings.is_empty(), ints.is_empty()) {
            (false, false) => Err(attrs.error(format!("only one of classlabels_strings and {name} may be set"))),
            (false, true) => Ok(Labels::Strings(strings)),
            _ => Ok(Labels::Ints(ints)),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Labels::Ints(v) => v.len(),
            Labels::Strings(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn datum_type(&self) -> DatumType {
        match self {
            Labels::Ints(_) => DatumType::I64,
            Labels::Strings(_) => DatumType::String,
        }
    }

    /// The labels at `picks`, as a rank-1 tensor.
    pub fn pick(&self, picks: &[usize]) -> TractResult<TValue> {
        fn gather<T: Datum>(labels: &[T], picks: &[usize]) -> TractResult<TValue> {
            let out = picks
                .iter()
                .map(|&i| labels.get(i).cloned().ok_or_else(|| format_err!("class index {i} has no label")))
                .collect::<TractResult<Vec<T>>>()?;
            output(&[picks.len()], out)
        }
        match self {
            Labels::Ints(v) => gather(v, picks),
            Labels::Strings(v) => gather(v, picks),
        }
    }
}

/// The index of the first largest value (a NaN never wins), as `std::max_element`
/// and onnxruntime's strict `>` scans pick it.
pub fn argmax<T: PartialOrd + Copy>(values: &[T]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate().skip(1) {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tdim_inputs_become_int64() {
        let dims = tensor1(&[TDim::from(3), TDim::from(-1)]).into_tvalue();
        let v = int64s(tvec!(dims)).unwrap();
        assert_eq!(slice::<i64>(&v[0]).unwrap(), [3, -1]);
    }

    #[test]
    fn truncation_matches_x86() {
        assert_eq!(truncate_like_x86(1.9), 1);
        assert_eq!(truncate_like_x86(-1.9), -1);
        assert_eq!(truncate_like_x86(f64::NAN), i64::MIN);
        assert_eq!(truncate_like_x86(1e19), i64::MIN);
        assert_eq!(truncate_like_x86(-9_223_372_036_854_775_808.0), i64::MIN);
    }

    #[test]
    fn absurd_output_sizes_are_errors() {
        assert!(zeroed::<f32>(usize::MAX / 2, 3).is_err());
        assert!(zeroed::<f32>(1 << 40, 1 << 20).is_err());
        assert_eq!(zeroed::<f32>(2, 3).unwrap(), [0.0; 6]);
    }

    #[test]
    fn argmax_keeps_the_first_maximum() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
        assert_eq!(argmax(&[f32::NAN, 1.0]), 0);
        assert_eq!(argmax(&[0i64, 2, 1]), 1);
    }

    #[test]
    fn labels_pick_and_refuse_unknown_indices() {
        let labels = Labels::Strings(vec!["a".into(), "b".into()]);
        let t = labels.pick(&[1, 0]).unwrap();
        assert_eq!(slice::<String>(&t).unwrap(), ["b", "a"]);
        assert!(labels.pick(&[2]).is_err());
    }
}
