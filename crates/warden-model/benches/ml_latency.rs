//! Per-row latency of the scikit-learn / gradient-boosting fixtures, at batch 1 and
//! batch 64, on Warden's tract backend with its own ai.onnx.ml operators and, when
//! built with `--features onnxruntime` and `WARDEN_ONNXRUNTIME_LIB` names the
//! library, on onnxruntime with one thread: both in one run, on the same rows.
//!
//! Run with `bench/ml.sh`, which also turns criterion's estimates into the table in
//! bench/BENCHMARKS.md. Each measurement is one `Model::run` call (the backend
//! alone: no HTTP, no JSON), divided by the batch size when reported.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use warden_model::{DataType, Model, ModelConfig, NamedTensor, OnnxruntimeConfig, TensorData};

/// The models in the table: the common shapes of tabular models.
const MODELS: &[&str] = &[
    "rf_binary",
    "rf_multiclass",
    "extra_trees_classifier",
    "rf_regressor",
    "gb_binary",
    "gb_multiclass",
    "gb_regressor",
    "hgb_classifier",
    "hgb_regressor",
    "xgb_classifier",
    "xgb_multiclass",
    "lgbm_classifier",
    "lgbm_regressor",
    "logreg_binary",
    "logreg_multiclass",
    "linreg",
    "imputer_onehot",
    "svc_rbf",
    "svr_rbf",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../warden/tests/fixtures/ml_models")
}

fn load(name: &str, backend: &str) -> Option<Model> {
    let dir = fixtures().join(name);
    let mut config = ModelConfig::load(&dir.join("config.toml")).ok()?;
    if backend == "onnxruntime" {
        config.backend = Some("onnxruntime".into());
        config.onnxruntime = Some(OnnxruntimeConfig { intra_op_threads: Some(1), ..Default::default() });
    }
    let bytes = std::fs::read(dir.join("1/model.onnx")).ok()?;
    match Model::load(name, "1", &bytes, config) {
        Ok(m) => Some(m),
        Err(e) => {
            eprintln!("skipping {name} on {backend}: {e}");
            None
        }
    }
}

/// The fixture's held-back rows, repeated to `batch` rows.
fn inputs(name: &str, batch: usize) -> Vec<NamedTensor> {
    let text = std::fs::read_to_string(fixtures().join(name).join("cases.json")).unwrap().replace("NaN", "null");
    let cases: Value = serde_json::from_str(&text).unwrap();
    cases["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let shape: Vec<usize> =
                t["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
            let rows = shape[0];
            let per_row: usize = shape[1..].iter().product();
            let data = t["data"].as_array().unwrap();
            let pick = |i: usize| &data[(i / per_row % rows) * per_row + i % per_row];
            let n = batch * per_row;
            let dt = DataType::parse(t["datatype"].as_str().unwrap()).unwrap();
            let data = match dt {
                DataType::F32 => TensorData::F32((0..n).map(|i| pick(i).as_f64().unwrap_or(f64::NAN) as f32).collect()),
                DataType::F64 => TensorData::F64((0..n).map(|i| pick(i).as_f64().unwrap_or(f64::NAN)).collect()),
                DataType::I64 => TensorData::I64((0..n).map(|i| pick(i).as_i64().unwrap()).collect()),
                DataType::Bytes => {
                    TensorData::Bytes((0..n).map(|i| pick(i).as_str().unwrap().as_bytes().to_vec()).collect())
                }
                other => panic!("{other:?} inputs are not used by the benchmarked fixtures"),
            };
            let mut shape = shape;
            shape[0] = batch;
            NamedTensor { name: t["name"].as_str().unwrap().to_string(), shape, data }
        })
        .collect()
}

fn latency(c: &mut Criterion) {
    let mut group = c.benchmark_group("ml");
    group.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1)).sample_size(30);
    for name in MODELS {
        for backend in ["tract", "onnxruntime"] {
            if backend == "onnxruntime" && !cfg!(feature = "onnxruntime") {
                continue;
            }
            let Some(model) = load(name, backend) else { continue };
            for batch in [1usize, 64] {
                let rows = inputs(name, batch);
                model.run(&rows).expect("the fixture runs");
                group.throughput(Throughput::Elements(batch as u64));
                group.bench_with_input(BenchmarkId::new(format!("{name}/{backend}"), batch), &rows, |b, rows| {
                    b.iter(|| model.run(rows).unwrap())
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, latency);
criterion_main!(benches);
