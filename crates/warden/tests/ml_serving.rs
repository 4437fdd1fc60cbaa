//! scikit-learn models through the whole server: a repository of ai.onnx.ml models
//! starts and answers like onnxruntime over HTTP, a model that cannot load stops the
//! start with the operator named, and (with the `onnxruntime` feature) the same
//! model on the onnxruntime backend goes through the same request path: the same
//! answers, the same 4xx for bad input, the backend recorded in the audit log.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The held-back rows of an ml fixture as a v2 request, and onnxruntime's outputs.
fn case(name: &str) -> (Value, Vec<Value>) {
    let text = std::fs::read_to_string(fixtures().join("ml_models").join(name).join("cases.json")).unwrap();
    let case: Value = serde_json::from_str(&text).unwrap();
    let request = json!({"inputs": case["inputs"]});
    (request, case["outputs"].as_array().unwrap().clone())
}

fn assert_matches(name: &str, answer: &Value, wanted: &[Value]) {
    let outputs = answer["outputs"].as_array().unwrap_or_else(|| panic!("{name}: {answer}"));
    for want in wanted {
        let got = outputs.iter().find(|o| o["name"] == want["name"]).unwrap_or_else(|| panic!("{name}: {answer}"));
        assert_eq!(got["shape"], want["shape"], "{name}");
        for (g, w) in got["data"].as_array().unwrap().iter().zip(want["data"].as_array().unwrap()) {
            match (g.as_f64(), w.as_f64()) {
                (Some(g), Some(w)) if want["datatype"] == "FP32" || want["datatype"] == "FP64" => {
                    assert!((g - w).abs() <= 1e-6f64.max(1e-5 * w.abs()), "{name} {}: {g} vs {w}", want["name"])
                }
                _ => assert_eq!(g, w, "{name} {}", want["name"]),
            }
        }
    }
}

fn repository(dir: &std::path::Path, backend: &str) -> std::path::PathBuf {
    let config = format!("backend = \"{backend}\"\n");
    repository_of(
        dir,
        &[
            ("forest", "ml_models/rf_binary/1/model.onnx", &config),
            ("pipeline", "ml_models/logreg_string_labels/1/model.onnx", &config),
        ],
    )
}

async fn serves_like_onnxruntime(backend: &str) {
    let dir = tempfile::tempdir().unwrap();
    let repo = repository(dir.path(), backend);
    let server = Server::start_with(Options::args(&["--model-repository", repo.to_str().unwrap()]));
    let key = server.admin_key();
    for (model, fixture) in [("forest", "rf_binary"), ("pipeline", "logreg_string_labels")] {
        let (request, wanted) = case(fixture);
        let r = server.post_json(&format!("/v2/models/{model}/infer"), &key, &request).await;
        assert_eq!(r.status(), StatusCode::OK, "{backend} {model}");
        assert_matches(&format!("{backend} {model}"), &r.json().await.unwrap(), &wanted);
    }
    // Bad input is refused before any backend sees it, with the same answer.
    let wrong = json!({"inputs": [{"name": "X", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]});
    let (status, message) = error_of(server.post_json("/v2/models/forest/infer", &key, &wrong).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{message}");
    assert!(message.contains("shape"), "{message}");
    let start = server.audit_records().into_iter().find(|r| r["kind"] == "server_start").unwrap();
    let backends: Vec<&Value> = start["models"].as_array().unwrap().iter().map(|m| &m["backend"]).collect();
    assert!(backends.iter().all(|b| *b == backend), "{start}");
}

#[tokio::test]
async fn scikit_learn_models_answer_like_onnxruntime_over_http() {
    serves_like_onnxruntime("tract").await;
}

#[cfg(feature = "onnxruntime")]
#[tokio::test]
async fn the_onnxruntime_backend_goes_through_the_same_request_path() {
    assert!(
        std::env::var_os("WARDEN_ONNXRUNTIME_LIB").is_some(),
        "set WARDEN_ONNXRUNTIME_LIB to libonnxruntime (scripts/test does: scripts/onnxruntime-lib)"
    );
    serves_like_onnxruntime("onnxruntime").await;
}

#[test]
fn a_model_with_zipmap_stops_the_start_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repository_of(dir.path(), &[("forest", "ml_unsupported/zipmap/1/model.onnx", "")]);
    let (code, _, stderr) = refused_start(&dir.path().join("state"), &["--model-repository", repo.to_str().unwrap()]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("forest") && stderr.contains("ZipMap") && stderr.contains("zipmap=False"), "{stderr}");
}

#[test]
fn a_backend_this_build_lacks_or_does_not_know_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repository(dir.path(), "tensorflow");
    let (code, _, stderr) = refused_start(&dir.path().join("state"), &["--model-repository", repo.to_str().unwrap()]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("unknown backend \"tensorflow\""), "{stderr}");
}
