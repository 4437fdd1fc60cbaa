//! The ml fixtures (scripts/make_ml_fixtures.py) as the tests read them: each model's
//! held-back rows and onnxruntime's answers, and the comparison every backend must
//! pass: labels and integers equal, floats within 1e-5 relative (1e-6 absolute near
//! zero, where a relative bound means nothing).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use warden_model::{DataType, Model, ModelConfig, NamedTensor, TensorData};

pub const RELATIVE: f64 = 1e-5;
pub const ABSOLUTE: f64 = 1e-6;

pub fn ml_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../warden/tests/fixtures/ml_models")
}

/// Every fixture folder, sorted.
pub fn fixture_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(ml_fixtures())
        .expect("ml_models fixtures exist")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("cases.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn name_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().to_string()
}

/// Loads a fixture with its own config.toml, changed by `adjust` (e.g. the backend).
pub fn load(dir: &Path, adjust: impl Fn(ModelConfig) -> ModelConfig) -> Result<Model, String> {
    let config = ModelConfig::load(&dir.join("config.toml")).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(dir.join("1/model.onnx")).map_err(|e| e.to_string())?;
    Model::load(&name_of(dir), "1", &bytes, adjust(config)).map_err(|e| e.to_string())
}

/// The fixture's inputs and onnxruntime's outputs.
pub fn case(dir: &Path) -> (Vec<NamedTensor>, Vec<NamedTensor>) {
    // JSON cannot spell NaN: the fixtures write null, read back as NaN.
    let case: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let read = |key: &str| case[key].as_array().unwrap().iter().map(tensor).collect();
    (read("inputs"), read("outputs"))
}

pub fn tensor(v: &Value) -> NamedTensor {
    let name = v["name"].as_str().unwrap().to_string();
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let dt = DataType::parse(v["datatype"].as_str().unwrap()).unwrap();
    let data = v["data"].as_array().unwrap();
    let floats = || data.iter().map(|x| x.as_f64().unwrap_or(f64::NAN));
    let ints = || data.iter().map(|x| x.as_i64().unwrap());
    let data = match dt {
        DataType::F32 => TensorData::F32(floats().map(|f| f as f32).collect()),
        DataType::F64 => TensorData::F64(floats().collect()),
        DataType::I64 => TensorData::I64(ints().collect()),
        DataType::I32 => TensorData::I32(ints().map(|i| i as i32).collect()),
        DataType::Bool => TensorData::Bool(data.iter().map(|x| x.as_bool().unwrap()).collect()),
        DataType::Bytes => TensorData::Bytes(data.iter().map(|x| x.as_str().unwrap().as_bytes().to_vec()).collect()),
        other => panic!("fixture datatype {other:?} not handled by this test"),
    };
    NamedTensor { name, shape, data }
}

fn as_f64(data: &TensorData) -> Option<Vec<f64>> {
    match data {
        TensorData::F32(v) => Some(v.iter().map(|&x| x as f64).collect()),
        TensorData::F64(v) => Some(v.clone()),
        _ => None,
    }
}

/// Describes every difference between an output and onnxruntime's (at most five).
pub fn compare(model: &str, got: &NamedTensor, want: &NamedTensor) -> Vec<String> {
    let at = format!("{model}: output {}", want.name);
    if got.name != want.name || got.shape != want.shape {
        return vec![format!("{at}: {} {:?}, onnxruntime {} {:?}", got.name, got.shape, want.name, want.shape)];
    }
    match (as_f64(&got.data), as_f64(&want.data)) {
        (Some(g), Some(w)) => g
            .iter()
            .zip(&w)
            .enumerate()
            .filter(|(_, (a, b))| !((*a - *b).abs() <= ABSOLUTE.max(RELATIVE * b.abs()) || (a.is_nan() && b.is_nan())))
            .take(5)
            .map(|(i, (a, b))| format!("{at}[{i}]: {a}, onnxruntime {b}"))
            .collect(),
        _ if got.data != want.data => vec![format!("{at}: {:?}, onnxruntime {:?}", got.data, want.data)],
        _ => vec![],
    }
}

/// Runs one fixture's held-back rows, whole and one row alone (batch 1 takes other
/// code paths), and lists every difference from onnxruntime.
pub fn check(dir: &Path, adjust: impl Fn(ModelConfig) -> ModelConfig) -> Vec<String> {
    let name = name_of(dir);
    let model = match load(dir, adjust) {
        Ok(m) => m,
        Err(e) => return vec![format!("{name}: does not load: {e}")],
    };
    let (inputs, wanted) = case(dir);
    let first_row: Vec<NamedTensor> = inputs.iter().map(first_row_of).collect();
    let first_wanted: Vec<NamedTensor> = wanted.iter().map(first_row_of).collect();
    let mut errors = Vec::new();
    for (label, inputs, wanted) in
        [(name.clone(), &inputs, &wanted), (format!("{name} (row 0 alone)"), &first_row, &first_wanted)]
    {
        match model.run(inputs) {
            Ok(outputs) if outputs.len() == wanted.len() => {
                for (got, want) in outputs.iter().zip(wanted) {
                    errors.extend(compare(&label, got, want));
                }
            }
            Ok(outputs) => errors.push(format!("{label}: {} outputs, onnxruntime {}", outputs.len(), wanted.len())),
            Err(e) => errors.push(format!("{label}: run failed: {e}")),
        }
    }
    errors
}

/// The first row of a tensor whose first dimension is the batch.
pub fn first_row_of(t: &NamedTensor) -> NamedTensor {
    let rows = t.shape.first().copied().unwrap_or(1).max(1);
    let per_row = t.data.len() / rows;
    let mut shape = t.shape.clone();
    if let Some(first) = shape.first_mut() {
        *first = 1;
    }
    let data = match &t.data {
        TensorData::F32(v) => TensorData::F32(v[..per_row].to_vec()),
        TensorData::F64(v) => TensorData::F64(v[..per_row].to_vec()),
        TensorData::I64(v) => TensorData::I64(v[..per_row].to_vec()),
        TensorData::I32(v) => TensorData::I32(v[..per_row].to_vec()),
        TensorData::Bool(v) => TensorData::Bool(v[..per_row].to_vec()),
        TensorData::Bytes(v) => TensorData::Bytes(v[..per_row].to_vec()),
        other => other.clone(),
    };
    NamedTensor { name: t.name.clone(), shape, data }
}
