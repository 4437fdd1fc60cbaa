//! Open Inference Protocol v2 (KServe v2, Triton) REST bodies, with the binary
//! tensor extension: a JSON header of `Inference-Header-Content-Length` bytes,
//! followed by raw little-endian tensor bytes in input order.

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use warden_model::{DataType, Model, NamedTensor, TensorData, TensorSpec};

use super::data::{JsonData, from_json};
use crate::output::OutputPolicy;
use crate::reply::{ApiError, Reply, bytes_reply, json, json_capped, too_large_answer};

pub const HEADER_LENGTH: &str = "inference-header-content-length";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    #[serde(default)]
    id: Option<String>,
    /// Not in the protocol's request schema, but the KServe SDK sends it.
    #[serde(default)]
    model_name: Option<String>,
    #[serde(default)]
    model_version: Option<String>,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
    inputs: Vec<RequestInput>,
    #[serde(default)]
    outputs: Option<Vec<RequestOutput>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestInput {
    name: String,
    shape: Vec<u64>,
    datatype: String,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
    #[serde(default)]
    data: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestOutput {
    name: String,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
}

/// A decoded inference request: tensors, plus how the client wants the answer.
#[derive(Debug)]
pub struct InferRequest {
    pub id: Option<String>,
    /// The model the body names, when it names one; it must agree with the path.
    pub model_name: Option<String>,
    pub model_version: Option<String>,
    pub inputs: Vec<NamedTensor>,
    /// Requested outputs and whether each goes back as binary; `None` = all outputs.
    pub outputs: Option<Vec<(String, bool)>>,
    /// Binary answers for outputs that do not say (`binary_data_output`).
    pub binary_default: bool,
}

/// Splits and decodes a body. `header_length` is the binary extension's header,
/// when the client sent one.
pub fn decode(body: &Bytes, header_length: Option<&HeaderValue>) -> Result<InferRequest, ApiError> {
    let (head, mut binary) = match header_length {
        None => (&body[..], &[][..]),
        Some(v) => {
            let n: usize = v
                .to_str()
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| ApiError::bad_request("Inference-Header-Content-Length is not a number"))?;
            if n > body.len() {
                return Err(ApiError::bad_request(format!(
                    "Inference-Header-Content-Length is {n} but the body has only {} bytes",
                    body.len()
                )));
            }
            body.split_at(n)
        }
    };
    let parsed: RequestBody =
        serde_json::from_slice(head).map_err(|e| ApiError::bad_request(format!("invalid inference request: {e}")))?;
    // A repeated input is refused by `Model::check_inputs`, for every protocol.
    if let Some(outputs) = &parsed.outputs {
        unique_outputs(outputs)?;
    }
    let mut inputs = Vec::with_capacity(parsed.inputs.len());
    for input in parsed.inputs {
        inputs.push(decode_input(input, &mut binary)?);
    }
    if !binary.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{} bytes of binary data follow the header but no input claims them",
            binary.len()
        )));
    }
    let binary_default = flag(parsed.parameters.as_ref(), "binary_data_output")?;
    let outputs = match parsed.outputs {
        None => None,
        Some(list) => Some(
            list.into_iter()
                .map(|o| {
                    if o.parameters.as_ref().is_some_and(|p| p.contains_key("classification")) {
                        return Err(ApiError::bad_request("the classification extension is not supported"));
                    }
                    let binary = match o.parameters.as_ref().and_then(|p| p.get("binary_data")) {
                        None => binary_default,
                        Some(_) => flag(o.parameters.as_ref(), "binary_data")?,
                    };
                    Ok((o.name, binary))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    Ok(InferRequest {
        id: parsed.id,
        model_name: parsed.model_name,
        model_version: parsed.model_version,
        inputs,
        outputs,
        binary_default,
    })
}

/// Refuses an output asked for twice: a repeated output would repeat its tensor in
/// the answer, so a small request could ask for an answer thousands of times larger.
fn unique_outputs(outputs: &[RequestOutput]) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    for o in outputs {
        if !seen.insert(o.name.as_str()) {
            return Err(ApiError::bad_request(format!("output '{}' is named more than once", o.name)));
        }
    }
    Ok(())
}

fn flag(params: Option<&Map<String, Value>>, name: &str) -> Result<bool, ApiError> {
    match params.and_then(|p| p.get(name)) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::bad_request(format!("parameter '{name}' must be true or false"))),
    }
}

fn decode_input(input: RequestInput, binary: &mut &[u8]) -> Result<NamedTensor, ApiError> {
    let name = input.name;
    let bad = |m: String| ApiError::bad_request(format!("input '{name}': {m}"));
    let dt = DataType::parse(&input.datatype).ok_or_else(|| bad(format!("unknown datatype '{}'", input.datatype)))?;
    let shape = input
        .shape
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| bad(format!("dimension {d} is too large"))))
        .collect::<Result<Vec<_>, _>>()?;
    let binary_size = match input.parameters.as_ref().and_then(|p| p.get("binary_data_size")) {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| bad("binary_data_size must be a non-negative integer".into()))?,
        ),
    };
    let data = match (input.data, binary_size) {
        (Some(_), Some(_)) => return Err(bad("has both 'data' and binary_data_size".into())),
        (None, None) => return Err(bad("has no 'data'".into())),
        (Some(value), None) => {
            super::data::check_nesting(&value, &shape).map_err(bad)?;
            from_json(dt, &value).map_err(bad)?
        }
        (None, Some(size)) => {
            if size > binary.len() {
                return Err(bad(format!("binary_data_size is {size} but only {} bytes remain", binary.len())));
            }
            let (mine, rest) = binary.split_at(size);
            *binary = rest;
            TensorData::from_le_bytes(dt, mine).map_err(|e| bad(e.to_string()))?
        }
    };
    Ok(NamedTensor { name, shape, data })
}

#[derive(Serialize)]
struct ResponseBody<'a> {
    model_name: &'a str,
    model_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    outputs: Vec<ResponseOutput<'a>>,
}

#[derive(Serialize)]
struct ResponseOutput<'a> {
    name: &'a str,
    datatype: &'static str,
    shape: &'a [usize],
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<BinaryParams>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<JsonData<'a>>,
}

#[derive(Serialize)]
struct BinaryParams {
    binary_data_size: usize,
}

/// Refuses a body that names another model or version than the path: a client
/// that thinks it talks to one model must not get another's answer.
pub fn check_target(model: &Model, request: &InferRequest) -> Result<(), ApiError> {
    if let Some(name) = request.model_name.as_deref().filter(|n| *n != model.name) {
        return Err(ApiError::bad_request(format!(
            "the body names model '{name}' but the path names '{}'",
            model.name
        )));
    }
    if let Some(v) = request.model_version.as_deref().filter(|v| !v.is_empty() && *v != model.version) {
        return Err(ApiError::bad_request(format!(
            "the body names version '{v}' but version '{}' was addressed",
            model.version
        )));
    }
    Ok(())
}

/// Which outputs to send and how, checked against the model before it runs so a
/// bad output name costs no inference.
pub fn select_outputs(model: &Model, request: &InferRequest) -> Result<Vec<(usize, bool)>, ApiError> {
    match &request.outputs {
        None => Ok((0..model.outputs.len()).map(|i| (i, request.binary_default)).collect()),
        Some(list) => list
            .iter()
            .map(|(name, binary)| {
                let ix = model
                    .outputs
                    .iter()
                    .position(|o: &TensorSpec| &o.name == name)
                    .ok_or_else(|| ApiError::bad_request(format!("unknown output '{name}'")))?;
                Ok((ix, *binary))
            })
            .collect(),
    }
}

/// Encodes an answer: plain JSON, or JSON header plus binary tensors when any
/// selected output asked for binary.
pub fn encode(
    model: &Model,
    id: Option<&str>,
    results: &[NamedTensor],
    selected: &[(usize, bool)],
    limit: usize,
) -> Result<Reply, ApiError> {
    let binary_size: usize =
        selected.iter().filter(|(_, binary)| *binary).map(|&(ix, _)| results[ix].data.byte_len()).sum();
    if binary_size > limit {
        return Err(too_large_answer(limit));
    }
    let raw: Vec<Option<Vec<u8>>> =
        selected.iter().map(|&(ix, binary)| binary.then(|| results[ix].data.to_le_bytes())).collect();
    let outputs = selected
        .iter()
        .zip(&raw)
        .map(|(&(ix, _), raw)| {
            let t = &results[ix];
            ResponseOutput {
                name: &t.name,
                datatype: t.data.datatype().name(),
                shape: &t.shape,
                parameters: raw.as_ref().map(|r| BinaryParams { binary_data_size: r.len() }),
                data: raw.is_none().then_some(JsonData(&t.data)),
            }
        })
        .collect();
    let body = ResponseBody { model_name: &model.name, model_version: &model.version, id, outputs };
    let head = json_capped(&body, limit - binary_size)?;
    if raw.iter().all(Option::is_none) {
        return Ok(bytes_reply(StatusCode::OK, "application/json", head.into()));
    }
    let mut out = BytesMut::with_capacity(head.len() + raw.iter().flatten().map(Vec::len).sum::<usize>());
    out.put_slice(&head);
    for r in raw.iter().flatten() {
        out.put_slice(r);
    }
    let mut reply = bytes_reply(StatusCode::OK, "application/octet-stream", out.freeze());
    reply.headers_mut().insert(HEADER_LENGTH, HeaderValue::from(head.len()));
    Ok(reply)
}

#[derive(Serialize)]
struct TensorMetadata<'a> {
    name: &'a str,
    datatype: &'static str,
    shape: Vec<i64>,
}

#[derive(Serialize)]
struct ModelMetadata<'a> {
    name: &'a str,
    versions: Vec<String>,
    platform: &'static str,
    inputs: Vec<TensorMetadata<'a>>,
    outputs: Vec<TensorMetadata<'a>>,
}

fn tensor_metadata(specs: &[TensorSpec]) -> Vec<TensorMetadata<'_>> {
    specs.iter().map(|s| TensorMetadata { name: &s.name, datatype: s.datatype.name(), shape: s.shape_i64() }).collect()
}

/// The model's metadata, listing only the outputs its policy lets a caller see
/// (a label-only model does not advertise the probabilities it withholds).
pub fn model_metadata(model: &Model, versions: Vec<String>, policy: Option<&OutputPolicy>) -> Reply {
    let visible: Vec<TensorSpec> = model
        .outputs
        .iter()
        .enumerate()
        .filter(|(ix, _)| policy.is_none_or(|p| p.allows(*ix)))
        .map(|(_, spec)| spec.clone())
        .collect();
    json(
        StatusCode::OK,
        &ModelMetadata {
            name: &model.name,
            versions,
            platform: "onnx_onnxv1",
            inputs: tensor_metadata(&model.inputs),
            outputs: tensor_metadata(&visible),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_str(s: &str) -> Result<InferRequest, ApiError> {
        decode(&Bytes::copy_from_slice(s.as_bytes()), None)
    }

    #[test]
    fn decodes_json() {
        let r = decode_str(
            r#"{"id":"7","inputs":[{"name":"X","shape":[1,2],"datatype":"INT32","data":[[1,2]]}],"outputs":[{"name":"y"}]}"#,
        )
        .unwrap();
        assert_eq!(r.id.as_deref(), Some("7"));
        assert_eq!(r.inputs[0].data, TensorData::I32(vec![1, 2]));
        assert_eq!(r.outputs, Some(vec![("y".to_string(), false)]));
    }

    #[test]
    fn decodes_binary() {
        let head = br#"{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}},{"name":"b","shape":[1],"datatype":"BOOL","data":[true]}],"parameters":{"binary_data_output":true}}"#;
        let mut body = head.to_vec();
        body.extend_from_slice(&1.5f32.to_le_bytes());
        body.extend_from_slice(&(-2f32).to_le_bytes());
        let r = decode(&Bytes::from(body), Some(&HeaderValue::from(head.len()))).unwrap();
        assert_eq!(r.inputs[0].data, TensorData::F32(vec![1.5, -2.0]));
        assert_eq!(r.inputs[1].data, TensorData::Bool(vec![true]));
        assert!(r.binary_default);
    }

    #[test]
    fn rejects_malformed() {
        let cases = [
            "",
            "[]",
            "{}",
            r#"{"inputs":[{"name":"X","shape":[1],"datatype":"FLOAT","data":[1]}]}"#,
            r#"{"inputs":[{"name":"X","shape":[-1],"datatype":"FP32","data":[1]}]}"#,
            r#"{"inputs":[{"name":"X","shape":[1],"datatype":"FP32"}]}"#,
            r#"{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1],"parameters":{"binary_data_size":4}}]}"#,
            r#"{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}"#,
            r#"{"inputs":[],"extra":1}"#,
            r#"{"inputs":[],"outputs":[{"name":"y","parameters":{"classification":3}}]}"#,
            r#"{"inputs":[],"parameters":{"binary_data_output":"yes"}}"#,
        ];
        for c in cases {
            let e = decode_str(c).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{c}");
        }
        let e = decode(&Bytes::from_static(b"{}"), Some(&HeaderValue::from(10))).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        let trailing = decode(&Bytes::from_static(b"{\"inputs\":[]}xx"), Some(&HeaderValue::from(13))).unwrap_err();
        assert!(trailing.message.contains("no input claims"), "{}", trailing.message);
    }
}
