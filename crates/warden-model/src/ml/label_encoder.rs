//! LabelEncoder: maps each element through a list of keys to the value at the same
//! position, or to a default. The ai.onnx.ml opset decides the form, as in
//! onnxruntime:
//! - opset 1: `classes_strings`, string to index and index to string, which is
//!   CategoryMapper with the ints 0, 1, 2... (a class listed twice keeps its last index);
//! - opsets 2 and 3: `keys_*` / `values_*` lists of strings, int64s or floats; a key
//!   listed twice keeps its first value, -0.0 matches 0.0, and NaN matches nothing;
//! - opset 4: the same, or `keys_tensor` / `values_tensor` / `default_tensor` (which
//!   add double keys and values, and int16 values); NaN then matches a NaN key.
//!
//! Defaults are the schema's (-1, -0.0, "_Unused"); double values ignore
//! `default_float` and int16 values have -1, as in onnxruntime.

use std::collections::HashMap;

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::{AttributeProto, NodeProto, TensorProto, tensor_proto::DataType as PbType};
use tract_onnx::tract_hir::internal::*;

use super::attrs::Attrs;
use super::category_mapper::CategoryMapper;
use super::kernel::{Kernel, inferred};
use super::tensors::{expect_type, int64s, output, slice};

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("LabelEncoder", build);
}

fn build(ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let attrs = Attrs::new(node);
    let opset = ctx
        .model
        .opset_import
        .iter()
        .find(|o| o.domain == "ai.onnx.ml")
        .map(|o| o.version)
        .ok_or_else(|| attrs.error("the model does not import the ai.onnx.ml opset"))?;
    if opset < 2 {
        if !attrs.has("classes_strings") {
            return Err(attrs.error("attribute classes_strings is missing"));
        }
        let classes = attrs.strings("classes_strings")?;
        let indices = (0..classes.len() as i64).collect();
        return Ok((inferred(CategoryMapper::new("LabelEncoder", &attrs, classes, indices)?), vec![]));
    }
    let tensors = opset >= 4;
    let keys = column(node, &attrs, "keys", tensors)?;
    let values = column(node, &attrs, "values", tensors)?;
    if keys.len() != values.len() {
        return Err(attrs.error(format!("{} keys but {} values", keys.len(), values.len())));
    }
    let default = default_value(node, &attrs, &values, tensors)?;
    let lookup = Lookup::new(&keys, tensors).map_err(|e| attrs.error(e))?;
    Ok((inferred(LabelEncoder { key_type: keys.datum_type(), lookup, values, default }), vec![]))
}

/// A list of keys or values, or a default (a list of one).
#[derive(Debug, Clone, PartialEq)]
enum Column {
    Ints(Vec<i64>),
    Floats(Vec<f32>),
    Doubles(Vec<f64>),
    Strings(Vec<String>),
    Shorts(Vec<i16>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::Ints(v) => v.len(),
            Column::Floats(v) => v.len(),
            Column::Doubles(v) => v.len(),
            Column::Strings(v) => v.len(),
            Column::Shorts(v) => v.len(),
        }
    }

    fn datum_type(&self) -> DatumType {
        match self {
            Column::Ints(_) => DatumType::I64,
            Column::Floats(_) => DatumType::F32,
            Column::Doubles(_) => DatumType::F64,
            Column::Strings(_) => DatumType::String,
            Column::Shorts(_) => DatumType::I16,
        }
    }

    /// The values at `hits`, `default` (a column of one, of the same type) for misses.
    fn gather(&self, default: &Column, hits: &[Option<usize>], shape: &[usize]) -> TractResult<TValue> {
        fn pick<T: Datum>(values: &[T], default: &[T], hits: &[Option<usize>], shape: &[usize]) -> TractResult<TValue> {
            let default = default.first().ok_or_else(|| format_err!("no default value"))?;
            let out = hits.iter().map(|h| h.and_then(|i| values.get(i)).unwrap_or(default).clone()).collect();
            output(shape, out)
        }
        match (self, default) {
            (Column::Ints(v), Column::Ints(d)) => pick(v, d, hits, shape),
            (Column::Floats(v), Column::Floats(d)) => pick(v, d, hits, shape),
            (Column::Doubles(v), Column::Doubles(d)) => pick(v, d, hits, shape),
            (Column::Strings(v), Column::Strings(d)) => pick(v, d, hits, shape),
            (Column::Shorts(v), Column::Shorts(d)) => pick(v, d, hits, shape),
            _ => bail!("the default's type differs from the values'"),
        }
    }
}

fn find<'a>(node: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

/// The keys or values (`prefix` "keys" or "values"), from the one attribute that holds
/// them: `*_strings`, `*_int64s`, `*_floats`, or (opset 4) `*_tensor`.
fn column(node: &NodeProto, attrs: &Attrs, prefix: &str, tensors: bool) -> TractResult<Column> {
    let mut names = vec![format!("{prefix}_strings"), format!("{prefix}_int64s"), format!("{prefix}_floats")];
    if tensors {
        names.push(format!("{prefix}_tensor"));
    }
    let present: Vec<&String> = names.iter().filter(|n| attrs.has(n)).collect();
    let name = match present.as_slice() {
        [one] => one.as_str(),
        [] => return Err(attrs.error(format!("none of {} is set", names.join(", ")))),
        _ => return Err(attrs.error(format!("only one of {} may be set", names.join(", ")))),
    };
    Ok(match name.rsplit('_').next() {
        Some("strings") => Column::Strings(attrs.strings(name)?),
        Some("int64s") => Column::Ints(attrs.ints(name)),
        Some("floats") => Column::Floats(attrs.floats(name)),
        _ => {
            let t = find(node, name)
                .and_then(|a| a.t.as_ref())
                .ok_or_else(|| attrs.error(format!("{name} holds no tensor")))?;
            if t.dims.len() != 1 {
                return Err(attrs.error(format!("{name} must be a 1-D tensor, got dims {:?}", t.dims)));
            }
            tensor_column(t).map_err(|e| attrs.error(format!("{name}: {e}")))?
        }
    })
}

/// The default for misses: `default_tensor` (opset 4), else the `default_*`
/// attribute of the values' type, else the schema's default.
fn default_value(node: &NodeProto, attrs: &Attrs, values: &Column, tensors: bool) -> TractResult<Column> {
    let tensor = if tensors { find(node, "default_tensor").and_then(|a| a.t.as_ref()) } else { None };
    if let Some(t) = tensor.filter(|t| t.data_type != PbType::Undefined as i32) {
        let default = tensor_column(t).map_err(|e| attrs.error(format!("default_tensor: {e}")))?;
        if t.dims != [1] || default.datum_type() != values.datum_type() {
            return Err(attrs.error(format!(
                "default_tensor must be a 1-D tensor of one {:?} value, got dims {:?} of {:?}",
                values.datum_type(),
                t.dims,
                default.datum_type()
            )));
        }
        return Ok(default);
    }
    Ok(match values {
        Column::Ints(_) => Column::Ints(vec![attrs.int("default_int64")?.unwrap_or(-1)]),
        Column::Floats(_) => Column::Floats(vec![attrs.float("default_float")?.unwrap_or(-0.0)]),
        Column::Strings(_) => {
            Column::Strings(vec![attrs.string("default_string")?.unwrap_or_else(|| "_Unused".into())])
        }
        Column::Doubles(_) => Column::Doubles(vec![-0.0]),
        Column::Shorts(_) => Column::Shorts(vec![-1]),
    })
}

/// The elements of a tensor attribute, from its typed field or its raw bytes.
fn tensor_column(t: &TensorProto) -> TractResult<Column> {
    ensure!(t.data_location != Some(1), "tensor data stored outside the model file is not supported here");
    fn raw<const N: usize, T>(raw: &[u8], f: fn([u8; N]) -> T) -> TractResult<Vec<T>> {
        ensure!(raw.len().is_multiple_of(N), "raw data is not a whole number of {N}-byte values");
        Ok(raw.chunks_exact(N).map(|c| f(c.try_into().unwrap_or([0; N]))).collect())
    }
    let has_raw = !t.raw_data.is_empty();
    let column = match PbType::try_from(t.data_type) {
        Ok(PbType::Int64) if has_raw => Column::Ints(raw(&t.raw_data, i64::from_le_bytes)?),
        Ok(PbType::Int64) => Column::Ints(t.int64_data.clone()),
        Ok(PbType::Float) if has_raw => Column::Floats(raw(&t.raw_data, f32::from_le_bytes)?),
        Ok(PbType::Float) => Column::Floats(t.float_data.clone()),
        Ok(PbType::Double) if has_raw => Column::Doubles(raw(&t.raw_data, f64::from_le_bytes)?),
        Ok(PbType::Double) => Column::Doubles(t.double_data.clone()),
        Ok(PbType::Int16) if has_raw => Column::Shorts(raw(&t.raw_data, i16::from_le_bytes)?),
        Ok(PbType::Int16) => Column::Shorts(
            t.int32_data
                .iter()
                .map(|&v| i16::try_from(v).map_err(|_| format_err!("{v} is not an int16")))
                .collect::<TractResult<_>>()?,
        ),
        Ok(PbType::String) => Column::Strings(
            t.string_data
                .iter()
                .map(|s| String::from_utf8(s.clone()).map_err(|_| format_err!("a string is not UTF-8")))
                .collect::<TractResult<_>>()?,
        ),
        _ => bail!("unsupported tensor data type {} (expected int64, float, double, string or int16)", t.data_type),
    };
    let count = t.dims.iter().try_fold(1i64, |n, &d| if d < 0 { None } else { n.checked_mul(d) });
    ensure!(count == Some(column.len() as i64), "dims {:?} do not match its {} values", t.dims, column.len());
    Ok(column)
}

/// Key to position, the first position of a key listed twice (onnxruntime's emplace).
#[derive(Debug, Clone, PartialEq)]
enum Lookup {
    Ints(HashMap<i64, usize>),
    Strings(HashMap<String, usize>),
    /// Float and double keys by the bits of their f64 value, -0.0 as 0.0; NaN keys
    /// only when NaN matches NaN (opset 4).
    Floats {
        map: HashMap<u64, usize>,
        nan_matches: bool,
    },
}

impl Lookup {
    fn new(keys: &Column, nan_matches: bool) -> Result<Lookup, String> {
        fn first<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = Option<K>>) -> HashMap<K, usize> {
            let mut map = HashMap::new();
            for (i, k) in keys.enumerate() {
                if let Some(k) = k {
                    map.entry(k).or_insert(i);
                }
            }
            map
        }
        Ok(match keys {
            Column::Ints(k) => Lookup::Ints(first(k.iter().map(|&k| Some(k)))),
            Column::Strings(k) => Lookup::Strings(first(k.iter().map(|k| Some(k.clone())))),
            Column::Floats(k) => {
                Lookup::Floats { map: first(k.iter().map(|&k| float_key(k as f64, nan_matches))), nan_matches }
            }
            Column::Doubles(k) => {
                Lookup::Floats { map: first(k.iter().map(|&k| float_key(k, nan_matches))), nan_matches }
            }
            Column::Shorts(_) => return Err("int16 keys are not supported".into()),
        })
    }

    fn positions(&self, x: &Tensor) -> TractResult<Vec<Option<usize>>> {
        Ok(match self {
            Lookup::Ints(map) => slice::<i64>(x)?.iter().map(|k| map.get(k).copied()).collect(),
            Lookup::Strings(map) => slice::<String>(x)?.iter().map(|k| map.get(k).copied()).collect(),
            Lookup::Floats { map, nan_matches } => {
                let find = |k: f64| float_key(k, *nan_matches).and_then(|k| map.get(&k).copied());
                match x.datum_type() {
                    DatumType::F32 => slice::<f32>(x)?.iter().map(|&k| find(k as f64)).collect(),
                    _ => slice::<f64>(x)?.iter().map(|&k| find(k)).collect(),
                }
            }
        })
    }
}

/// The hash key of a float: its bits, with -0.0 as 0.0 and every NaN as one NaN (or
/// no key when NaN matches nothing).
fn float_key(x: f64, nan_matches: bool) -> Option<u64> {
    if x.is_nan() {
        nan_matches.then_some(f64::NAN.to_bits())
    } else if x == 0.0 {
        Some(0)
    } else {
        Some(x.to_bits())
    }
}

#[derive(Debug, Clone, PartialEq)]
struct LabelEncoder {
    key_type: DatumType,
    lookup: Lookup,
    values: Column,
    default: Column,
}

impl Kernel for LabelEncoder {
    fn name(&self) -> &'static str {
        "LabelEncoder"
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        s.equals(&outputs[0].datum_type, self.values.datum_type())?;
        s.equals(&inputs[0].shape, &outputs[0].shape)
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        expect_type(inputs[0], &[self.key_type], "input (the keys' type)")?;
        Ok(tvec!(self.values.datum_type().fact(inputs[0].shape.clone())))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        let x = &inputs[0];
        ensure!(x.datum_type() == self.key_type, "input must be {:?}, got {:?}", self.key_type, x.datum_type());
        let hits = self.lookup.positions(x)?;
        Ok(tvec!(self.values.gather(&self.default, &hits, x.shape())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoder(keys: Column, values: Column, default: Column, nan_matches: bool) -> LabelEncoder {
        LabelEncoder { key_type: keys.datum_type(), lookup: Lookup::new(&keys, nan_matches).unwrap(), values, default }
    }

    #[test]
    fn float_keys_first_wins_zero_signs_match_and_nan_by_opset() {
        let keys = Column::Floats(vec![f32::NAN, 0.0, 1.0, 1.0]);
        let values = Column::Ints(vec![7, 8, 9, 10]);
        let x = || tvec!(tensor1(&[f32::NAN, -0.0, 1.0, 2.0]).into_tvalue());
        let v2 = encoder(keys.clone(), values.clone(), Column::Ints(vec![-1]), false);
        assert_eq!(slice::<i64>(&v2.eval(x()).unwrap()[0]).unwrap(), [-1, 8, 9, -1]);
        let v4 = encoder(keys, values, Column::Ints(vec![-1]), true);
        assert_eq!(slice::<i64>(&v4.eval(x()).unwrap()[0]).unwrap(), [7, 8, 9, -1]);
    }

    #[test]
    fn strings_to_strings_keep_the_shape() {
        let e = encoder(
            Column::Strings(vec!["a".into(), "b".into()]),
            Column::Strings(vec!["A".into(), "B".into()]),
            Column::Strings(vec!["?".into()]),
            true,
        );
        let x = Tensor::from(tract_ndarray::arr2(&[["b".to_string(), "z".to_string()]]));
        let y = e.eval(tvec!(x.into_tvalue())).unwrap();
        assert_eq!(y[0].shape(), [1, 2]);
        assert_eq!(slice::<String>(&y[0]).unwrap(), ["B", "?"]);
    }

    #[test]
    fn tensor_attributes_check_their_dims() {
        let t = TensorProto {
            dims: vec![2],
            data_type: PbType::Int64 as i32,
            int64_data: vec![1, 2],
            ..Default::default()
        };
        assert_eq!(tensor_column(&t).unwrap(), Column::Ints(vec![1, 2]));
        let bad = TensorProto { dims: vec![3], ..t };
        assert!(tensor_column(&bad).is_err());
    }
}
