//! Loads the committed models and compares tract's answers with onnxruntime's,
//! recorded by `scripts/make_fixtures.py`.

use std::path::PathBuf;

use warden_model::{DataType, Dim, InputError, NamedTensor, Repository, TensorData};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../warden/tests/fixtures")
}

fn digits_input(rows: &[Vec<f32>]) -> NamedTensor {
    NamedTensor {
        name: "X".into(),
        shape: vec![rows.len(), 64],
        data: TensorData::F32(rows.iter().flatten().copied().collect()),
    }
}

#[test]
fn default_model_matches_onnxruntime() {
    let repo = Repository::embedded_default().unwrap();
    let model = repo.get("default", None).unwrap();
    assert_eq!(model.inputs[0].name, "X");
    assert_eq!(model.inputs[0].datatype, DataType::F32);
    assert!(matches!(model.inputs[0].shape[0], Dim::Var(_)));
    assert_eq!(model.inputs[0].shape[1], Dim::Fixed(64));
    let names: Vec<_> = model.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["label", "probabilities"]);
    assert_eq!(model.outputs[0].datatype, DataType::I64);

    let text = std::fs::read_to_string(fixtures().join("reference/digits_v1.json")).unwrap();
    let reference: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows: Vec<Vec<f32>> = serde_json::from_value(reference["inputs"].clone()).unwrap();
    let labels: Vec<i64> = serde_json::from_value(reference["label"].clone()).unwrap();
    let probs: Vec<Vec<f32>> = serde_json::from_value(reference["probabilities"].clone()).unwrap();

    let inputs = model.check_inputs(vec![digits_input(&rows)], 1 << 20).unwrap();
    let out = model.run(&inputs).unwrap();
    assert_eq!(out[0].data, TensorData::I64(labels));
    assert_eq!(out[1].shape, vec![rows.len(), 10]);
    let TensorData::F32(got) = &out[1].data else { panic!("probabilities are not FP32") };
    for (g, e) in got.iter().zip(probs.iter().flatten()) {
        assert!((g - e).abs() < 1e-5, "{g} vs {e}");
    }
}

#[test]
fn repository_loads_versions_and_picks_the_highest() {
    let repo = Repository::load_dir(&fixtures().join("models")).unwrap();
    let digits = repo.entry("digits").unwrap();
    assert_eq!(digits.versions.keys().copied().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(repo.get("digits", None).unwrap().version, "2");
    assert_eq!(repo.get("digits", Some("1")).unwrap().version, "1");
    assert!(repo.get("digits", Some("3")).is_none());
    assert!(repo.get("digits", Some("x")).is_none());
    assert!(repo.get("nope", None).is_none());
    let types = repo.get("types", None).unwrap();
    assert_eq!(types.inputs.len(), 12);
}

#[test]
fn every_datatype_runs_through_the_identity_model() {
    let repo = Repository::load_dir(&fixtures().join("models")).unwrap();
    let model = repo.get("types", None).unwrap();
    let inputs: Vec<NamedTensor> = model
        .inputs
        .iter()
        .map(|spec| {
            let raw: Vec<u8> = (1..=2 * spec.datatype.element_size().unwrap() as u8).collect();
            NamedTensor {
                name: spec.name.clone(),
                shape: vec![1, 2],
                data: TensorData::from_le_bytes(spec.datatype, &raw).unwrap(),
            }
        })
        .collect();
    let checked = model.check_inputs(inputs.clone(), 100).unwrap();
    let out = model.run(&checked).unwrap();
    for (i, o) in inputs.iter().zip(&out) {
        assert_eq!(o.name, i.name.replace("in_", "out_"));
        assert_eq!(o.data, i.data, "{}", i.name);
    }
}

#[test]
fn bad_inputs_are_input_errors() {
    let repo = Repository::embedded_default().unwrap();
    let model = repo.get("default", None).unwrap();
    let ok = digits_input(&[vec![0.0; 64]]);
    let check = |t: NamedTensor| model.check_inputs(vec![t], 1000).unwrap_err();

    assert!(matches!(check(NamedTensor { name: "Y".into(), ..ok.clone() }), InputError::Unknown(_)));
    assert!(matches!(model.check_inputs(vec![], 1000).unwrap_err(), InputError::Missing(_)));
    assert!(matches!(model.check_inputs(vec![ok.clone(), ok.clone()], 1000).unwrap_err(), InputError::Duplicate(_)));
    let wrong_type = NamedTensor { data: TensorData::F64(vec![0.0; 64]), ..ok.clone() };
    assert!(matches!(check(wrong_type), InputError::Datatype { .. }));
    assert!(matches!(check(NamedTensor { shape: vec![1, 63], ..ok.clone() }), InputError::Shape { .. }));
    assert!(matches!(check(NamedTensor { shape: vec![64], ..ok.clone() }), InputError::Shape { .. }));
    assert!(matches!(
        check(NamedTensor { shape: vec![0, 64], data: TensorData::F32(vec![]), ..ok.clone() }),
        InputError::Empty { .. }
    ));
    assert!(matches!(check(NamedTensor { shape: vec![2, 64], ..ok.clone() }), InputError::Count { .. }));
    assert!(matches!(check(digits_input(&vec![vec![0.0; 64]; 20])), InputError::TooLarge { .. }));
    let huge = NamedTensor { shape: vec![usize::MAX / 2, 64], ..ok.clone() };
    assert!(matches!(check(huge), InputError::TooLarge { .. }));
    let mut nan = vec![0.0; 64];
    nan[3] = f32::NAN;
    assert!(matches!(check(digits_input(&[nan])), InputError::NonFinite(_)));
}

fn kernel_model(name: &str) -> std::sync::Arc<warden_model::Model> {
    let dir = fixtures().join("kernel_models");
    let repo = Repository::load_dir(&dir).unwrap();
    repo.get(name, None).unwrap().clone()
}

fn i64s(name: &str, values: &[i64]) -> NamedTensor {
    NamedTensor { name: name.into(), shape: vec![values.len()], data: TensorData::I64(values.to_vec()) }
}

/// Values the graph cannot take are input errors before the model runs, and what
/// the guards let through runs and matches onnxruntime (make_kernel_fixtures.py).
#[test]
fn graph_guards_refuse_values_kernels_fail_on() {
    let gather = kernel_model("gather");
    let run = |m: &warden_model::Model, inputs: Vec<NamedTensor>| {
        let checked = m.check_inputs(inputs, 1000)?;
        Ok::<_, InputError>(m.run(&checked).unwrap())
    };
    let out = run(&gather, vec![i64s("index", &[0, 2, -1])]).unwrap();
    assert_eq!(out[0].data, TensorData::I64(vec![10, 30, 30]));
    for bad in [3, -4, 4111111111111111, i64::MIN] {
        let e = run(&gather, vec![i64s("index", &[0, bad])]).unwrap_err();
        assert!(matches!(e, InputError::OutOfDomain { ref name, .. } if name == "index"), "{bad}: {e}");
        let quoted = bad.unsigned_abs() > 100 && e.to_string().contains(&bad.to_string());
        assert!(!quoted, "the message must not quote the value: {e}");
    }

    let divide = kernel_model("divide");
    let out = run(&divide, vec![i64s("numerator", &[7]), i64s("divisor", &[2])]).unwrap();
    assert_eq!(out[0].data, TensorData::I64(vec![3]));
    assert_eq!(out[1].data, TensorData::I64(vec![1]));
    let zero = run(&divide, vec![i64s("numerator", &[7, 1]), i64s("divisor", &[2, 0])]).unwrap_err();
    assert!(matches!(zero, InputError::OutOfDomain { .. }), "{zero}");
    let overflow = run(&divide, vec![i64s("numerator", &[i64::MIN]), i64s("divisor", &[-1])]).unwrap_err();
    assert!(matches!(overflow, InputError::OutOfDomain { .. }), "{overflow}");
    assert!(run(&divide, vec![i64s("numerator", &[-8]), i64s("divisor", &[-1])]).is_ok());

    let topk = kernel_model("topk");
    let scores =
        NamedTensor { name: "scores".into(), shape: vec![1, 4], data: TensorData::F32(vec![1.0, 4.0, 2.0, 3.0]) };
    let out = run(&topk, vec![scores.clone(), i64s("k", &[2])]).unwrap();
    assert_eq!(out[0].data, TensorData::F32(vec![4.0, 3.0]));
    for bad in [5, 9, -1] {
        let e = run(&topk, vec![scores.clone(), i64s("k", &[bad])]).unwrap_err();
        assert!(matches!(e, InputError::OutOfDomain { .. }), "{bad}: {e}");
    }
    assert!(run(&topk, vec![scores, i64s("k", &[4])]).is_ok());
}
