//! Every scikit-learn / gradient-boosting fixture (made by scripts/make_ml_fixtures.py)
//! loads with the tract backend and answers what onnxruntime answered: labels and
//! integers exactly, floats within 1e-5 relative (1e-6 absolute near zero, where a
//! relative bound means nothing). A silently wrong answer is the worst bug a model
//! server can have, so every output of every fixture is compared.

use std::path::{Path, PathBuf};

use serde_json::Value;
use warden_model::{DataType, Model, ModelConfig, NamedTensor, TensorData};

const RELATIVE: f64 = 1e-5;
const ABSOLUTE: f64 = 1e-6;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../warden/tests/fixtures/ml_models")
}

fn model_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("ml_models fixtures exist")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("cases.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn load(dir: &Path) -> Result<Model, String> {
    let config = ModelConfig::load(&dir.join("config.toml")).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(dir.join("1/model.onnx")).map_err(|e| e.to_string())?;
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    Model::load(&name, "1", &bytes, config).map_err(|e| e.to_string())
}

fn tensor(v: &Value) -> NamedTensor {
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

/// Describes every difference between an output and onnxruntime's.
fn compare(model: &str, got: &NamedTensor, want: &NamedTensor) -> Vec<String> {
    let mut errors = Vec::new();
    let at = format!("{model}: output {}", want.name);
    if got.shape != want.shape {
        errors.push(format!("{at}: shape {:?}, onnxruntime {:?}", got.shape, want.shape));
        return errors;
    }
    match (as_f64(&got.data), as_f64(&want.data)) {
        (Some(g), Some(w)) => {
            for (i, (a, b)) in g.iter().zip(&w).enumerate() {
                let close = (a - b).abs() <= ABSOLUTE.max(RELATIVE * b.abs()) || (a.is_nan() && b.is_nan());
                if !close && errors.len() < 5 {
                    errors.push(format!("{at}[{i}]: {a}, onnxruntime {b}"));
                }
            }
        }
        _ if got.data != want.data => errors.push(format!("{at}: {:?}, onnxruntime {:?}", got.data, want.data)),
        _ => {}
    }
    errors
}

/// Runs one fixture's held-back rows, whole and one row at a time (batch 1 takes
/// other code paths in tree ensembles and in tract).
fn check(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let model = match load(dir) {
        Ok(m) => m,
        Err(e) => return vec![format!("{name}: does not load: {e}")],
    };
    // Python's json writes NaN as a bare token, which is not JSON: read it as null.
    let text = std::fs::read_to_string(dir.join("cases.json")).unwrap().replace("NaN", "null");
    let cases: Value = serde_json::from_str(&text).unwrap();
    let inputs: Vec<NamedTensor> = cases["inputs"].as_array().unwrap().iter().map(tensor).collect();
    let wanted: Vec<NamedTensor> = cases["outputs"].as_array().unwrap().iter().map(tensor).collect();
    let mut errors = Vec::new();
    match model.run(&inputs) {
        Ok(outputs) => {
            if outputs.len() != wanted.len() {
                errors.push(format!("{name}: {} outputs, onnxruntime {}", outputs.len(), wanted.len()));
            }
            for (got, want) in outputs.iter().zip(&wanted) {
                errors.extend(compare(&name, got, want));
            }
        }
        Err(e) => errors.push(format!("{name}: run failed: {e}")),
    }
    let first_row: Vec<NamedTensor> = inputs.iter().map(first_row_of).collect();
    match model.run(&first_row) {
        Ok(outputs) => {
            for (got, want) in outputs.iter().zip(&wanted) {
                errors.extend(compare(&format!("{name} (row 0 alone)"), got, &first_row_of(want)));
            }
        }
        Err(e) => errors.push(format!("{name}: run of one row failed: {e}")),
    }
    errors
}

/// The first row of a tensor whose first dimension is the batch.
fn first_row_of(t: &NamedTensor) -> NamedTensor {
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

#[test]
fn every_fixture_matches_onnxruntime() {
    let dirs = model_dirs();
    assert!(dirs.len() >= 20, "expected the ml_models fixture set, found {} models", dirs.len());
    let errors: Vec<String> = dirs.iter().flat_map(|d| check(d)).collect();
    assert!(errors.is_empty(), "{} mismatches:\n{}", errors.len(), errors.join("\n"));
}

#[test]
fn zipmap_is_refused_at_load_with_advice() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../warden/tests/fixtures/ml_unsupported/zipmap/1/model.onnx");
    let bytes = std::fs::read(path).unwrap();
    let err = Model::load("zipmap", "1", &bytes, ModelConfig::default()).unwrap_err().to_string();
    assert!(err.contains("ZipMap") && err.contains("zipmap=False"), "{err}");
}

/// The outside review's bug: a binary tree ensemble with one weight column (the
/// probability of class 1, as skl2onnx writes random forests) got the right
/// probabilities and the wrong label from tract's own TreeEnsembleClassifier (13 of
/// these 24 rows). The label must be the one onnxruntime gives, which for these
/// models is the class of highest probability; multi-class ensembles likewise. (With
/// two weight columns, onnxruntime labels by the sign of class 1's score, a margin
/// convention: `te_clf_binary_twocol` checks that against its answers.)
#[test]
fn tree_classifier_labels_follow_the_probabilities() {
    for name in ["te_clf_binary_onecol_positive", "rf_binary", "rf_multiclass", "extra_trees_classifier"] {
        let dir = fixtures().join(name);
        let model = load(&dir).unwrap();
        let text = std::fs::read_to_string(dir.join("cases.json")).unwrap().replace("NaN", "null");
        let cases: Value = serde_json::from_str(&text).unwrap();
        let inputs: Vec<NamedTensor> = cases["inputs"].as_array().unwrap().iter().map(tensor).collect();
        let wanted = tensor(&cases["outputs"][0]);
        let outputs = model.run(&inputs).unwrap();
        assert_eq!(outputs[0].data, wanted.data, "{name}: labels differ from onnxruntime");
        let (TensorData::I64(labels), TensorData::F32(probs)) = (&outputs[0].data, &outputs[1].data) else {
            panic!("{name}: unexpected output types")
        };
        let k = outputs[1].shape[1];
        for (row, &label) in labels.iter().enumerate() {
            let p = &probs[row * k..(row + 1) * k];
            let best = (0..k).fold(0, |b, j| if p[j] > p[b] { j } else { b });
            assert_eq!(label, best as i64, "{name} row {row}: label {label} but probabilities {p:?}");
        }
    }
}
