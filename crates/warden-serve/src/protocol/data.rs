//! Tensor data in JSON: flat or nested arrays in, flat arrays out.

use half::f16;
use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde_json::Value;
use warden_model::{DataType, TensorData};

/// Flattens `value` (a number, or arrays of them nested to any depth serde_json
/// accepted) into elements of `dt`. Every element is range-checked: a number that
/// does not fit the datatype is an error, never a silent wrap.
pub fn from_json(dt: DataType, value: &Value) -> Result<TensorData, String> {
    let mut leaves = Vec::new();
    collect_leaves(value, &mut leaves);
    macro_rules! ints {
        ($variant:ident, $ty:ty) => {
            TensorData::$variant(leaves.iter().map(|v| int::<$ty>(v, dt)).collect::<Result<Vec<_>, _>>()?)
        };
    }
    Ok(match dt {
        DataType::Bool => TensorData::Bool(
            leaves.iter().map(|v| v.as_bool().ok_or_else(|| mismatch(v, dt))).collect::<Result<_, _>>()?,
        ),
        DataType::U8 => ints!(U8, u8),
        DataType::U16 => ints!(U16, u16),
        DataType::U32 => ints!(U32, u32),
        DataType::U64 => ints!(U64, u64),
        DataType::I8 => ints!(I8, i8),
        DataType::I16 => ints!(I16, i16),
        DataType::I32 => ints!(I32, i32),
        DataType::I64 => ints!(I64, i64),
        DataType::F16 => {
            TensorData::F16(leaves.iter().map(|v| float(v, dt, 65504.0).map(f16::from_f64)).collect::<Result<_, _>>()?)
        }
        DataType::F32 => TensorData::F32(
            leaves.iter().map(|v| float(v, dt, f32::MAX as f64).map(|x| x as f32)).collect::<Result<_, _>>()?,
        ),
        DataType::F64 => TensorData::F64(leaves.iter().map(|v| float(v, dt, f64::MAX)).collect::<Result<_, _>>()?),
        DataType::Bytes => TensorData::Bytes(
            leaves
                .iter()
                .map(|v| v.as_str().map(|s| s.as_bytes().to_vec()).ok_or_else(|| mismatch(v, dt)))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The shape of a rectangular nested array (none for a single value; an empty
/// array is a zero dimension); a ragged array is an error.
pub fn nested_shape(v: &Value) -> Result<Vec<usize>, String> {
    let Value::Array(items) = v else { return Ok(vec![]) };
    let Some(first) = items.first() else { return Ok(vec![0]) };
    let inner = nested_shape(first)?;
    for item in &items[1..] {
        if nested_shape(item)? != inner {
            return Err("'data' is a ragged array: its rows differ in length".into());
        }
    }
    let mut shape = vec![items.len()];
    shape.extend(inner);
    Ok(shape)
}

/// Nested data must nest as the declared shape does: flat, or rectangular with its
/// outer lengths equal to the shape's and its innermost level holding the rest.
/// Ragged rows that happen to add up to the right count are refused.
pub fn check_nesting(value: &Value, shape: &[usize]) -> Result<(), String> {
    let nested = nested_shape(value)?;
    let k = nested.len();
    if k <= 1 {
        return Ok(());
    }
    let fits = k <= shape.len()
        && nested[..k - 1] == shape[..k - 1]
        && shape[k - 1..].iter().try_fold(1usize, |a, &d| a.checked_mul(d)) == Some(nested[k - 1]);
    if fits { Ok(()) } else { Err(format!("'data' is nested as {nested:?}, which does not match its shape {shape:?}")) }
}

fn collect_leaves<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_leaves(v, out)),
        leaf => out.push(leaf),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn mismatch(v: &Value, dt: DataType) -> String {
    format!("{dt} data holds {}", kind(v))
}

fn int<T: TryFrom<i64> + TryFrom<u64>>(v: &Value, dt: DataType) -> Result<T, String> {
    let Value::Number(n) = v else { return Err(mismatch(v, dt)) };
    let out_of_range = || format!("{n} is not a valid {dt} value");
    if let Some(i) = n.as_i64() {
        T::try_from(i).map_err(|_| out_of_range())
    } else if let Some(u) = n.as_u64() {
        T::try_from(u).map_err(|_| out_of_range())
    } else {
        Err(out_of_range())
    }
}

fn float(v: &Value, dt: DataType, max: f64) -> Result<f64, String> {
    let x = v.as_f64().ok_or_else(|| mismatch(v, dt))?;
    if x.abs() > max {
        return Err(format!("{x} is out of range for {dt}"));
    }
    Ok(x)
}

/// Serializes tensor elements as one flat JSON array.
pub struct JsonData<'a>(pub &'a TensorData);

impl Serialize for JsonData<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            TensorData::Bool(v) => v.serialize(s),
            TensorData::U8(v) => v.serialize(s),
            TensorData::U16(v) => v.serialize(s),
            TensorData::U32(v) => v.serialize(s),
            TensorData::U64(v) => v.serialize(s),
            TensorData::I8(v) => v.serialize(s),
            TensorData::I16(v) => v.serialize(s),
            TensorData::I32(v) => v.serialize(s),
            TensorData::I64(v) => v.serialize(s),
            TensorData::F16(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for x in v {
                    seq.serialize_element(&x.to_f32())?;
                }
                seq.end()
            }
            TensorData::F32(v) => v.serialize(s),
            TensorData::F64(v) => v.serialize(s),
            TensorData::Bytes(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for x in v {
                    seq.serialize_element(&String::from_utf8_lossy(x))?;
                }
                seq.end()
            }
        }
    }
}

/// One element as a JSON value, for answers that nest rows (the v1 predict API).
pub fn element(data: &TensorData, i: usize) -> Value {
    match data {
        TensorData::Bool(v) => Value::from(v[i]),
        TensorData::U8(v) => Value::from(v[i]),
        TensorData::U16(v) => Value::from(v[i]),
        TensorData::U32(v) => Value::from(v[i]),
        TensorData::U64(v) => Value::from(v[i]),
        TensorData::I8(v) => Value::from(v[i]),
        TensorData::I16(v) => Value::from(v[i]),
        TensorData::I32(v) => Value::from(v[i]),
        TensorData::I64(v) => Value::from(v[i]),
        TensorData::F16(v) => short_f32(v[i].to_f32()),
        TensorData::F32(v) => short_f32(v[i]),
        TensorData::F64(v) => Value::from(v[i]),
        TensorData::Bytes(v) => Value::from(String::from_utf8_lossy(&v[i]).into_owned()),
    }
}

/// An f32 as the JSON number with the fewest digits that reads back as the same
/// f32 (`0.99999547`, not the f64 widening `0.9999954700469971`).
fn short_f32(x: f32) -> Value {
    x.to_string().parse::<f64>().map(Value::from).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flat_and_nested_agree() {
        let flat = from_json(DataType::F32, &json!([1, 2.5, 3, 4])).unwrap();
        let nested = from_json(DataType::F32, &json!([[1, 2.5], [3, 4]])).unwrap();
        assert_eq!(flat, nested);
        assert_eq!(flat, TensorData::F32(vec![1.0, 2.5, 3.0, 4.0]));
    }

    #[test]
    fn nesting_must_follow_the_shape() {
        assert!(check_nesting(&json!([1, 2, 3, 4]), &[2, 2]).is_ok());
        assert!(check_nesting(&json!([[1, 2], [3, 4]]), &[2, 2]).is_ok());
        assert!(check_nesting(&json!([[1, 2, 3, 4], [5, 6, 7, 8]]), &[2, 2, 2]).is_ok());
        assert!(check_nesting(&json!([[1, 2, 3], [4]]), &[2, 2]).is_err());
        assert!(check_nesting(&json!([[1], [2, 3, 4]]), &[2, 2]).is_err());
        assert!(check_nesting(&json!([[1, 2, 3, 4]]), &[2, 2]).is_err());
        assert!(check_nesting(&json!([[[1, 2]], [[3, 4]]]), &[2, 2]).is_err());
    }

    #[test]
    fn ranges_are_checked() {
        assert!(from_json(DataType::U8, &json!([256])).is_err());
        assert!(from_json(DataType::U8, &json!([-1])).is_err());
        assert!(from_json(DataType::I8, &json!([1.5])).is_err());
        assert!(from_json(DataType::I64, &json!([u64::MAX])).is_err());
        assert_eq!(from_json(DataType::U64, &json!([u64::MAX])).unwrap(), TensorData::U64(vec![u64::MAX]));
        assert!(from_json(DataType::F32, &json!([1e39])).is_err());
        assert!(from_json(DataType::F16, &json!([70000.0])).is_err());
        assert!(from_json(DataType::Bool, &json!([1])).is_err());
        assert!(from_json(DataType::F32, &json!(["1"])).is_err());
        assert!(from_json(DataType::F32, &json!([null])).is_err());
        assert!(from_json(DataType::F32, &json!([{"a": 1}])).is_err());
        assert!(from_json(DataType::Bytes, &json!([1])).is_err());
    }

    #[test]
    fn elements_keep_f32_precision_short() {
        assert_eq!(element(&TensorData::F32(vec![0.99999547]), 0).to_string(), "0.99999547");
        assert_eq!(element(&TensorData::F32(vec![f32::NAN]), 0), Value::Null);
    }

    #[test]
    fn serializes_flat() {
        let data = TensorData::F16(vec![f16::from_f32(0.5)]);
        assert_eq!(serde_json::to_string(&JsonData(&data)).unwrap(), "[0.5]");
        let data = TensorData::Bytes(vec![b"hi".to_vec()]);
        assert_eq!(serde_json::to_string(&JsonData(&data)).unwrap(), "[\"hi\"]");
    }
}
