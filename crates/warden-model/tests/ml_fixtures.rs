//! Every scikit-learn / gradient-boosting fixture (made by scripts/make_ml_fixtures.py)
//! loads with the tract backend and answers what onnxruntime answered: labels and
//! integers exactly, floats within 1e-5 relative (1e-6 absolute near zero, where a
//! relative bound means nothing). A silently wrong answer is the worst bug a model
//! server can have, so every output of every fixture is compared.

mod common;

use std::path::Path;

use common::{case, check, fixture_dirs, load, ml_fixtures};
use warden_model::{Model, ModelConfig, TensorData};

#[test]
fn every_fixture_matches_onnxruntime() {
    let dirs = fixture_dirs();
    assert!(dirs.len() >= 20, "expected the ml_models fixture set, found {} models", dirs.len());
    let errors: Vec<String> = dirs.iter().flat_map(|d| check(d, |c| c)).collect();
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
        let dir = ml_fixtures().join(name);
        let model = load(&dir, |c| c).unwrap();
        let (inputs, wanted) = case(&dir);
        let outputs = model.run(&inputs).unwrap();
        assert_eq!(outputs[0].data, wanted[0].data, "{name}: labels differ from onnxruntime");
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
