//! The simple predict API (`POST /v1/models/{m}:predict`, the TF-Serving and KServe
//! v1 shape) for callers with curl: `{"instances": [row, ...]}` in,
//! `{"predictions": [answer, ...]}` out, one answer per row.

use bytes::Bytes;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};
use warden_model::{Dim, Model, NamedTensor, TensorData, TensorSpec};

use super::data::{element, from_json};
use crate::reply::{ApiError, Reply, bytes_reply, json_capped};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PredictBody {
    instances: Vec<Value>,
}

/// Turns rows into one batched tensor per input. A single-input model takes each
/// row as that input's value; a model with several inputs takes objects keyed by
/// input name.
pub fn decode(body: &Bytes, model: &Model) -> Result<Vec<NamedTensor>, ApiError> {
    let parsed: PredictBody =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid predict request: {e}")))?;
    if parsed.instances.is_empty() {
        return Err(ApiError::bad_request("'instances' is empty"));
    }
    if model.inputs.iter().any(|s| !matches!(s.shape.first(), Some(Dim::Var(_)))) {
        return Err(ApiError::bad_request("this model has no batch dimension: use the v2 infer API"));
    }
    let single = model.inputs.len() == 1;
    if !single {
        for instance in &parsed.instances {
            if let Value::Object(fields) = instance
                && let Some(extra) = fields.keys().find(|k| model.inputs.iter().all(|s| &s.name != *k))
            {
                return Err(ApiError::bad_request(format!("unexpected input '{extra}'")));
            }
        }
    }
    model
        .inputs
        .iter()
        .map(|spec| {
            let rows = parsed
                .instances
                .iter()
                .map(|instance| row_for(instance, spec, single))
                .collect::<Result<Vec<_>, _>>()?;
            batch(spec, rows)
        })
        .collect()
}

fn row_for<'a>(instance: &'a Value, spec: &TensorSpec, single: bool) -> Result<&'a Value, ApiError> {
    if single {
        return Ok(instance);
    }
    let Value::Object(fields) = instance else {
        return Err(ApiError::bad_request("this model has several inputs: each instance must be an object"));
    };
    fields.get(&spec.name).ok_or_else(|| ApiError::bad_request(format!("an instance lacks input '{}'", spec.name)))
}

fn batch(spec: &TensorSpec, rows: Vec<&Value>) -> Result<NamedTensor, ApiError> {
    let row_shape = nested_shape(rows[0])?;
    for row in &rows[1..] {
        if nested_shape(row)? != row_shape {
            return Err(ApiError::bad_request(format!("instances of input '{}' differ in shape", spec.name)));
        }
    }
    let mut shape = vec![rows.len()];
    shape.extend(&row_shape);
    let all = Value::Array(rows.into_iter().cloned().collect());
    let data =
        from_json(spec.datatype, &all).map_err(|m| ApiError::bad_request(format!("input '{}': {m}", spec.name)))?;
    Ok(NamedTensor { name: spec.name.clone(), shape, data })
}

/// The shape of one instance: rectangular, and with no empty array.
fn nested_shape(v: &Value) -> Result<Vec<usize>, ApiError> {
    let shape = super::data::nested_shape(v).map_err(|_| ApiError::bad_request("an instance is a ragged array"))?;
    if shape.contains(&0) {
        return Err(ApiError::bad_request("an instance holds an empty array"));
    }
    Ok(shape)
}

/// One prediction per row: the single output's row, or an object of all outputs' rows.
/// Every output must be batched like the input; one that is not cannot be split
/// into rows, and the caller is told to use the v2 API.
pub fn encode(rows: usize, results: &[NamedTensor], limit: usize) -> Result<Reply, ApiError> {
    if let Some(t) = results.iter().find(|t| t.shape.first() != Some(&rows)) {
        return Err(ApiError::bad_request(format!(
            "output '{}' is not batched by row, so it cannot be split into predictions: use the v2 infer API",
            t.name
        )));
    }
    let predictions: Vec<Value> = (0..rows)
        .map(|i| {
            if results.len() == 1 {
                row_value(&results[0], i)
            } else {
                Value::Object(results.iter().map(|t| (t.name.clone(), row_value(t, i))).collect::<Map<_, _>>())
            }
        })
        .collect();
    let body = json_capped(&serde_json::json!({ "predictions": predictions }), limit)?;
    Ok(bytes_reply(StatusCode::OK, "application/json", body.into()))
}

fn row_value(t: &NamedTensor, row: usize) -> Value {
    let rest = &t.shape[1.min(t.shape.len())..];
    let per_row: usize = rest.iter().product();
    nest(&t.data, row * per_row, rest)
}

fn nest(data: &TensorData, offset: usize, dims: &[usize]) -> Value {
    match dims.split_first() {
        None => element(data, offset),
        Some((&n, rest)) => {
            let stride: usize = rest.iter().product();
            Value::Array((0..n).map(|i| nest(data, offset + i * stride, rest)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(nested_shape(&serde_json::json!([[1, 2], [3, 4], [5, 6]])).unwrap(), vec![3, 2]);
        assert_eq!(nested_shape(&serde_json::json!(1.5)).unwrap(), Vec::<usize>::new());
        assert!(nested_shape(&serde_json::json!([[1, 2], [3]])).is_err());
        assert!(nested_shape(&serde_json::json!([])).is_err());
    }

    #[test]
    fn encodes_rows() {
        let probs =
            NamedTensor { name: "p".into(), shape: vec![2, 2], data: TensorData::F32(vec![0.25, 0.75, 1.0, 0.0]) };
        let label = NamedTensor { name: "label".into(), shape: vec![2], data: TensorData::I64(vec![1, 0]) };
        let reply = encode(2, &[label.clone(), probs.clone()], 1 << 20).unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
        assert_eq!(encode(3, std::slice::from_ref(&label), 1 << 20).unwrap_err().status, StatusCode::BAD_REQUEST);
        assert_eq!(encode(2, &[label, probs], 16).unwrap_err().status, StatusCode::BAD_REQUEST);
        assert_eq!(
            row_value(&NamedTensor { name: "x".into(), shape: vec![2, 2], data: TensorData::I32(vec![1, 2, 3, 4]) }, 1),
            serde_json::json!([3, 4])
        );
    }
}
