//! The onnxruntime backend (feature `onnxruntime`): the committed models load with
//! `backend = "onnxruntime"` and answer what the reference answers, every datatype
//! crosses it, concurrent requests are safe, and a missing library is a clear load
//! error. The library comes from WARDEN_ONNXRUNTIME_LIB, e.g.
//!
//! WARDEN_ONNXRUNTIME_LIB=/tmp/fixvenv/lib/python3.11/site-packages/onnxruntime/capi/libonnxruntime.so.1.32.0 \
//!     cargo test -p warden-model --features onnxruntime --test onnxruntime
#![cfg(feature = "onnxruntime")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use warden_model::{
    DataType, Dim, InputError, Model, ModelConfig, ModelError, NamedTensor, OnnxruntimeConfig, TensorData,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../warden/tests/fixtures")
}

/// Fails, rather than passes, when the library is not named: a run of these tests
/// that never touched onnxruntime must not look green.
fn require_library() {
    let set = std::env::var_os("WARDEN_ONNXRUNTIME_LIB").is_some_and(|v| !v.is_empty());
    assert!(
        set,
        "these tests need the ONNX Runtime shared library: set WARDEN_ONNXRUNTIME_LIB to its path, e.g. \
         WARDEN_ONNXRUNTIME_LIB=/tmp/fixvenv/lib/python3.11/site-packages/onnxruntime/capi/libonnxruntime.so.1.32.0 \
         (pip install onnxruntime puts it in site-packages/onnxruntime/capi/)"
    );
}

fn ort_config(base: ModelConfig) -> ModelConfig {
    ModelConfig { backend: Some("onnxruntime".into()), ..base }
}

fn load(path: &Path, config: ModelConfig) -> Result<Model, ModelError> {
    require_library();
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Model::load("m", "1", &bytes, ort_config(config))
}

fn load_fixture(relative: &str) -> Model {
    let model = load(&fixtures().join(relative), ModelConfig::default()).unwrap_or_else(|e| panic!("{relative}: {e}"));
    assert_eq!(model.backend_name(), "onnxruntime");
    model
}

fn digits_rows(reference: &Value) -> NamedTensor {
    let rows: Vec<Vec<f32>> = serde_json::from_value(reference["inputs"].clone()).unwrap();
    NamedTensor { name: "X".into(), shape: vec![rows.len(), 64], data: TensorData::F32(rows.concat()) }
}

fn check_digits(model: &Model, reference: &Value) {
    let labels: Vec<i64> = serde_json::from_value(reference["label"].clone()).unwrap();
    let probs: Vec<Vec<f32>> = serde_json::from_value(reference["probabilities"].clone()).unwrap();
    let inputs = model.check_inputs(vec![digits_rows(reference)], 1 << 20).unwrap();
    let out = model.run(&inputs).unwrap();
    assert_eq!(out[0].name, "label");
    assert_eq!(out[0].shape, vec![labels.len()]);
    assert_eq!(out[0].data, TensorData::I64(labels));
    assert_eq!(out[1].shape, vec![probs.len(), 10]);
    let TensorData::F32(got) = &out[1].data else { panic!("probabilities are not FP32") };
    for (g, e) in got.iter().zip(probs.iter().flatten()) {
        assert!((g - e).abs() < 1e-5, "{g} vs {e}");
    }
}

fn reference(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("reference").join(name)).unwrap()).unwrap()
}

#[test]
fn digits_match_the_reference_and_tract_signature() {
    for (version, file) in [("1", "digits_v1.json"), ("2", "digits_v2.json")] {
        let path = format!("models/digits/{version}/model.onnx");
        let model = load_fixture(&path);
        assert_eq!(model.inputs.len(), 1);
        assert_eq!(model.inputs[0].name, "X");
        assert_eq!(model.inputs[0].datatype, DataType::F32);
        assert!(matches!(model.inputs[0].shape[0], Dim::Var(_)), "{:?}", model.inputs[0].shape);
        assert_eq!(model.inputs[0].shape[1], Dim::Fixed(64));

        // The same file through tract: the same names, datatypes and ranks.
        let bytes = std::fs::read(fixtures().join(&path)).unwrap();
        let tract = Model::load("m", "1", &bytes, ModelConfig::default()).unwrap();
        let sig = |m: &Model| {
            m.inputs.iter().chain(&m.outputs).map(|s| (s.name.clone(), s.datatype, s.shape_i64())).collect::<Vec<_>>()
        };
        assert_eq!(sig(&model), sig(&tract));

        check_digits(&model, &reference(file));
    }
}

#[test]
fn every_datatype_runs_through_the_identity_model() {
    let model = load_fixture("models/types/1/model.onnx");
    assert_eq!(model.inputs.len(), 12);
    let inputs: Vec<NamedTensor> = model
        .inputs
        .iter()
        .map(|spec| {
            let raw: Vec<u8> = (1..=2 * spec.datatype.element_size().unwrap() as u8).collect();
            let mut data = TensorData::from_le_bytes(spec.datatype, &raw).unwrap();
            if let TensorData::Bool(v) = &mut data {
                *v = vec![true, false];
            }
            NamedTensor { name: spec.name.clone(), shape: vec![1, 2], data }
        })
        .collect();
    let checked = model.check_inputs(inputs.clone(), 100).unwrap();
    let out = model.run(&checked).unwrap();
    assert_eq!(out.len(), 12);
    for ((i, o), spec) in inputs.iter().zip(&out).zip(&model.outputs) {
        assert_eq!(o.name, i.name.replace("in_", "out_"));
        assert_eq!(o.data.datatype(), spec.datatype, "{}", o.name);
        assert_eq!(o.shape, vec![1, 2], "{}", o.name);
        assert_eq!(o.data, i.data, "{}", i.name);
    }
}

#[test]
fn strings_cross_both_ways() {
    let model = load_fixture("models/strings/1/model.onnx");
    assert_eq!(model.inputs[0].datatype, DataType::Bytes);
    assert_eq!(model.outputs[0].datatype, DataType::Bytes);
    assert_eq!(model.inputs[0].shape, vec![Dim::Var("N".into())]);
    let words: Vec<Vec<u8>> = vec![b"hello".to_vec(), "w\u{f6}rld \u{1f600}".as_bytes().to_vec(), vec![]];
    let t = NamedTensor { name: "text".into(), shape: vec![3], data: TensorData::Bytes(words.clone()) };
    let out = model.run(&model.check_inputs(vec![t], 100).unwrap()).unwrap();
    assert_eq!(out[0].name, "echo");
    assert_eq!(out[0].shape, vec![3]);
    assert_eq!(out[0].data, TensorData::Bytes(words));

    // A NUL cannot go through onnxruntime's C strings: the request's fault.
    let nul = NamedTensor { name: "text".into(), shape: vec![1], data: TensorData::Bytes(vec![b"a\0b".to_vec()]) };
    let err = model.run(&[nul]).unwrap_err();
    assert!(matches!(err, ModelError::Rejected { .. }) && err.to_string().contains("NUL"), "{err}");
}

/// Warden's guards refuse the values a kernel would fail on whatever the backend;
/// past them (here by calling `run` directly), onnxruntime's refusal is the input's
/// fault, not the server's.
#[test]
fn kernel_refusals_are_input_errors() {
    let gather = load_fixture("kernel_models/gather/1/model.onnx");
    let index = |values: &[i64]| NamedTensor {
        name: "index".into(),
        shape: vec![values.len()],
        data: TensorData::I64(values.to_vec()),
    };
    let out = gather.run(&gather.check_inputs(vec![index(&[0, 2, -1])], 100).unwrap()).unwrap();
    assert_eq!(out[0].data, TensorData::I64(vec![10, 30, 30]));
    let guarded = gather.check_inputs(vec![index(&[0, 3])], 100).unwrap_err();
    assert!(matches!(guarded, InputError::OutOfDomain { .. }), "{guarded}");

    let err = gather.run(&[index(&[0, 99])]).unwrap_err();
    assert!(matches!(err, ModelError::Rejected { .. }), "{err}");
    assert!(err.to_string().contains("onnxruntime"), "{err}");

    let divide = load_fixture("kernel_models/divide/1/model.onnx");
    let i64s = |name: &str, v: &[i64]| NamedTensor {
        name: name.into(),
        shape: vec![v.len()],
        data: TensorData::I64(v.to_vec()),
    };
    let zero = divide.check_inputs(vec![i64s("numerator", &[7]), i64s("divisor", &[0])], 100).unwrap_err();
    assert!(matches!(zero, InputError::OutOfDomain { .. }), "{zero}");
    let out =
        divide.run(&divide.check_inputs(vec![i64s("numerator", &[7]), i64s("divisor", &[2])], 100).unwrap()).unwrap();
    assert_eq!((&out[0].data, &out[1].data), (&TensorData::I64(vec![3]), &TensorData::I64(vec![1])));
}

#[test]
fn concurrent_requests_are_safe() {
    let model = Arc::new(load_fixture("models/digits/1/model.onnx"));
    let reference = Arc::new(reference("digits_v1.json"));
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let (model, reference) = (Arc::clone(&model), Arc::clone(&reference));
            std::thread::spawn(move || {
                for _ in 0..10 {
                    check_digits(&model, &reference);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn providers_fall_back_and_threads_are_configurable() {
    let path = fixtures().join("models/digits/1/model.onnx");
    // The CPU wheel has no CUDA: "cuda" falls back to the CPU.
    for providers in [vec!["cuda".to_string()], vec!["cuda".into(), "cpu".into()], vec!["CPU".into()]] {
        let onnxruntime = OnnxruntimeConfig { intra_op_threads: Some(2), execution_providers: Some(providers.clone()) };
        let config = ModelConfig { onnxruntime: Some(onnxruntime), ..ModelConfig::default() };
        let model = load(&path, config).unwrap_or_else(|e| panic!("{providers:?}: {e}"));
        check_digits(&model, &reference("digits_v1.json"));
    }
    let onnxruntime = OnnxruntimeConfig { intra_op_threads: None, execution_providers: Some(vec!["tpu".into()]) };
    let err = load(&path, ModelConfig { onnxruntime: Some(onnxruntime), ..ModelConfig::default() }).unwrap_err();
    assert!(err.to_string().contains("\"tpu\""), "{err}");
}

#[test]
fn a_broken_file_is_a_load_error() {
    require_library();
    // Valid protobuf (tract parses it) that onnxruntime refuses: a graph with a node
    // of an operator that does not exist.
    let bytes = model_bytes("NoSuchOperator", "", &[], &tensor_type(1, &[]));
    let err = Model::load("m", "1", &bytes, ort_config(ModelConfig::default())).unwrap_err();
    assert!(matches!(err, ModelError::Load { .. }), "{err}");
    assert!(err.to_string().contains("NoSuchOperator"), "{err}");
}

/// A model whose weights live in another file does not load: onnxruntime would look
/// for it from the server's working directory.
#[test]
fn external_data_is_refused() {
    require_library();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("weights.bin");
    std::fs::write(&data, [0u8; 8]).unwrap();
    for location in [data.to_str().unwrap(), "weights.bin", "../weights.bin"] {
        let entry =
            |k: &str, v: &str| field_bytes(13, &[field_bytes(1, k.as_bytes()), field_bytes(2, v.as_bytes())].concat());
        let weights = [
            field_varint(1, 2),
            field_varint(2, 1),
            field_bytes(8, b"W"),
            entry("location", location),
            entry("offset", "0"),
            entry("length", "8"),
            field_varint(14, 1),
        ]
        .concat();
        let bytes = model_with_initializer("Add", "", &[], &tensor_type(1, &[]), Some(&weights));
        let err = Model::load("m", "1", &bytes, ort_config(ModelConfig::default())).unwrap_err();
        assert!(matches!(err, ModelError::Load { .. }), "{location}: {err}");
        assert!(err.to_string().contains("external file"), "{location}: {err}");
    }
}

#[test]
fn maps_and_sequences_are_refused_at_load() {
    require_library();
    // X [N, 2] -> ZipMap -> seq(map(int64, float)).
    let map = field_bytes(5, &[field_varint(1, 7), field_bytes(2, &tensor_type(1, &[]))].concat());
    let output_type = field_bytes(4, &field_bytes(1, &map));
    let labels = [field_varint(8, 0), field_varint(8, 1), field_varint(20, 7)].concat();
    let bytes = model_bytes("ZipMap", "ai.onnx.ml", &[("classlabels_int64s", labels)], &output_type);
    let err = Model::load("m", "1", &bytes, ort_config(ModelConfig::default())).unwrap_err().to_string();
    assert!(err.contains("output 'Z'") && err.contains("zipmap=False"), "{err}");

    let fixture = fixtures().join("ml_unsupported/zipmap/1/model.onnx");
    if fixture.is_file() {
        let err = load(&fixture, ModelConfig::default()).unwrap_err().to_string();
        assert!(err.contains("zipmap=False"), "{err}");
    }
}

// A minimal ONNX protobuf writer, for the models above (no protobuf crate needed).

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_varint(field: u64, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(field << 3, &mut out);
    varint(v, &mut out);
    out
}

fn field_bytes(field: u64, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint((field << 3) | 2, &mut out);
    varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

/// TypeProto of a tensor; `dims` empty means an unknown shape.
fn tensor_type(elem_type: u64, dims: &[Result<u64, &str>]) -> Vec<u8> {
    let mut tensor = field_varint(1, elem_type);
    if !dims.is_empty() {
        let shape: Vec<u8> = dims
            .iter()
            .flat_map(|d| {
                field_bytes(
                    1,
                    &match d {
                        Ok(n) => field_varint(1, *n),
                        Err(p) => field_bytes(2, p.as_bytes()),
                    },
                )
            })
            .collect();
        tensor.extend(field_bytes(2, &shape));
    }
    field_bytes(1, &tensor)
}

/// A model of one node `op` (in `domain`) from input X (FP32 [N, 2]) to output Z of
/// `output_type`, with ai.onnx opset 17 and ai.onnx.ml opset 3.
fn model_bytes(op: &str, domain: &str, attributes: &[(&str, Vec<u8>)], output_type: &[u8]) -> Vec<u8> {
    model_with_initializer(op, domain, attributes, output_type, None)
}

/// `model_bytes`, with an initializer W (TensorProto) as the node's second input.
fn model_with_initializer(
    op: &str,
    domain: &str,
    attributes: &[(&str, Vec<u8>)],
    output_type: &[u8],
    initializer: Option<&[u8]>,
) -> Vec<u8> {
    let value_info = |name: &str, ty: &[u8]| [field_bytes(1, name.as_bytes()), field_bytes(2, ty)].concat();
    let mut node = field_bytes(1, b"X");
    if initializer.is_some() {
        node.extend(field_bytes(1, b"W"));
    }
    node.extend(
        [
            field_bytes(2, b"Z"),
            field_bytes(3, b"node"),
            field_bytes(4, op.as_bytes()),
            field_bytes(7, domain.as_bytes()),
        ]
        .concat(),
    );
    for (name, rest) in attributes {
        node.extend(field_bytes(5, &[field_bytes(1, name.as_bytes()), rest.clone()].concat()));
    }
    let mut graph = [
        field_bytes(1, &node),
        field_bytes(2, b"g"),
        field_bytes(11, &value_info("X", &tensor_type(1, &[Err("N"), Ok(2)]))),
        field_bytes(12, &value_info("Z", output_type)),
    ]
    .concat();
    if let Some(initializer) = initializer {
        graph.extend(field_bytes(5, initializer));
    }
    let opset = |domain: &str, version: u64| [field_bytes(1, domain.as_bytes()), field_varint(2, version)].concat();
    [
        field_varint(1, 8),
        field_bytes(8, &opset("", 17)),
        field_bytes(8, &opset("ai.onnx.ml", 3)),
        field_bytes(7, &graph),
    ]
    .concat()
}

// The ml fixtures (scripts/make_ml_fixtures.py): every output as onnxruntime
// answered when they were made, through the backend.

#[test]
fn ml_fixtures_match_their_recorded_answers() {
    require_library();
    let dirs = common::fixture_dirs();
    let errors: Vec<String> = dirs.iter().flat_map(|d| common::check(d, ort_config)).collect();
    eprintln!("{} ml fixtures checked", dirs.len());
    assert!(errors.is_empty(), "{} mismatches:\n{}", errors.len(), errors.join("\n"));
}

// The library missing: run in a child process (this binary again), because the
// library is loaded once per process and the variable cannot be changed safely here.

const CHILD: &str = "WARDEN_ORT_TEST_CHILD";

#[test]
#[ignore = "run by missing_library_is_a_clear_load_error in a child process"]
fn child_load_without_library() {
    let Some(expect) = std::env::var_os(CHILD) else { return };
    let bytes = std::fs::read(fixtures().join("models/digits/1/model.onnx")).unwrap();
    let err = Model::load("digits", "1", &bytes, ort_config(ModelConfig::default())).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ModelError::Load { .. }), "{message}");
    assert!(message.contains("WARDEN_ONNXRUNTIME_LIB") && message.contains("ORT_DYLIB_PATH"), "{message}");
    assert!(message.contains(expect.to_str().unwrap()), "{message}");
    println!("load error: {message}");
}

#[test]
fn missing_library_is_a_clear_load_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_library = dir.path().join("libonnxruntime.so");
    std::fs::write(&not_a_library, b"not a shared library").unwrap();
    let cases: [(Option<&Path>, &str); 3] = [
        (None, "neither"),
        (Some(Path::new("/nonexistent/libonnxruntime.so")), "is not a file"),
        (Some(&not_a_library), "cannot load ONNX Runtime from"),
    ];
    for (lib, expect) in cases {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child.args(["--exact", "child_load_without_library", "--ignored", "--nocapture"]);
        child.env(CHILD, expect).env_remove("ORT_DYLIB_PATH").env_remove("WARDEN_ONNXRUNTIME_LIB");
        if let Some(lib) = lib {
            child.env("WARDEN_ONNXRUNTIME_LIB", lib);
        }
        let out = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed") && stdout.contains("load error:"),
            "{lib:?}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
