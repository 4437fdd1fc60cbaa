//! The Open Inference Protocol endpoints against the real server over TLS, with
//! answers compared to onnxruntime's recorded outputs.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn assert_close(got: &Value, expected: &Value) {
    let got: Vec<f64> = serde_json::from_value(got.clone()).unwrap();
    let expected: Vec<f64> = expected
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r.as_array()
                .map(|a| a.iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>())
                .unwrap_or_else(|| vec![r.as_f64().unwrap()])
        })
        .collect();
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-5, "{g} vs {e}");
    }
}

#[tokio::test]
async fn health_is_open_and_everything_else_needs_a_key() {
    let server = Server::start();
    let client = server.client();
    for path in ["/v2/health/live", "/v2/health/ready"] {
        let r = client.get(server.endpoint(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body, json!({path.rsplit('/').next().unwrap(): true}));
    }
    for path in ["/v2", "/v2/models/default", "/v2/models/default/ready"] {
        let r = client.get(server.endpoint(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"warden\"");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"].is_string());
    }
    let r = client
        .post(server.endpoint("/v2/models/default/infer"))
        .bearer_auth("wdn_000000000000_00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let r = client.get(server.endpoint("/v2")).header("authorization", "Basic Zm9vOmJhcg==").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn metadata_endpoints() {
    let server = Server::start();
    let (client, key) = (server.client(), server.admin_key());
    let meta: Value = client.get(server.endpoint("/v2")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta["name"], "warden");
    assert_eq!(meta["extensions"], json!(["binary_tensor_data", "model_repository"]));

    let model: Value =
        client.get(server.endpoint("/v2/models/default")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        model,
        json!({"name": "default", "versions": ["1"], "platform": "onnx_onnxv1",
               "inputs": [{"name": "X", "datatype": "FP32", "shape": [-1, 64]}],
               "outputs": [{"name": "label", "datatype": "INT64", "shape": [-1]},
                           {"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]}]})
    );
    for path in ["/v2/models/default/ready", "/v2/models/default/versions/1/ready", "/v2/models/default/versions/1"] {
        let r = client.get(server.endpoint(path)).bearer_auth(&key).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn infer_matches_onnxruntime() {
    let server = Server::start();
    let (client, key) = (server.client(), server.admin_key());
    let reference = reference("digits_v1.json");
    let mut body = digits_request(&reference_rows(&reference));
    body["id"] = json!("req-42");
    // The KServe SDK names the model in the body too.
    body["model_name"] = json!("default");
    let r =
        client.post(server.endpoint("/v2/models/default/infer")).bearer_auth(&key).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["model_name"], "default");
    assert_eq!(answer["model_version"], "1");
    assert_eq!(answer["id"], "req-42");
    let outputs = answer["outputs"].as_array().unwrap();
    assert_eq!(outputs[0]["name"], "label");
    assert_eq!(outputs[0]["datatype"], "INT64");
    assert_eq!(outputs[0]["data"], reference["label"]);
    assert_eq!(outputs[1]["shape"], json!([24, 10]));
    assert_close(&outputs[1]["data"], &reference["probabilities"]);
}

#[tokio::test]
async fn nested_data_outputs_selection_and_versions() {
    let server = Server::start_with(Options::args(&["--model-repository", model_repository().to_str().unwrap()]));
    let (client, key) = (server.client(), server.admin_key());
    let v1 = reference("digits_v1.json");
    let v2 = reference("digits_v2.json");
    let rows = reference_rows(&v1)[..3].to_vec();
    let nested = json!({
        "inputs": [{"name": "X", "shape": [3, 64], "datatype": "FP32", "data": rows}],
        "outputs": [{"name": "probabilities"}]
    });
    for (path, reference) in [
        ("/v2/models/digits/infer", &v2),
        ("/v2/models/digits/versions/2/infer", &v2),
        ("/v2/models/digits/versions/1/infer", &v1),
    ] {
        let answer: Value = server.post_json(path, &key, &nested).await.json().await.unwrap();
        let outputs = answer["outputs"].as_array().unwrap();
        assert_eq!(outputs.len(), 1, "{path}: {answer}");
        assert_eq!(outputs[0]["name"], "probabilities");
        let expected = json!(reference["probabilities"].as_array().unwrap()[..3]);
        assert_close(&outputs[0]["data"], &expected);
        assert!(answer.get("id").is_none());
    }
    let meta: Value =
        client.get(server.endpoint("/v2/models/digits")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta["versions"], json!(["1", "2"]));
}

fn sample(dt: &str) -> (Value, Vec<u8>) {
    match dt {
        "BOOL" => (json!([true, false, false, true]), vec![1, 0, 0, 1]),
        "UINT8" => (json!([0, 1, 200, 255]), vec![0, 1, 200, 255]),
        "UINT16" => (json!([0, 1, 2, 65535]), [0u16, 1, 2, 65535].iter().flat_map(|x| x.to_le_bytes()).collect()),
        "UINT32" => {
            (json!([0, 1, 2, 4294967295u64]), [0u32, 1, 2, u32::MAX].iter().flat_map(|x| x.to_le_bytes()).collect())
        }
        "UINT64" => (json!([0, 1, 2, u64::MAX]), [0u64, 1, 2, u64::MAX].iter().flat_map(|x| x.to_le_bytes()).collect()),
        "INT8" => (json!([-128, 0, 1, 127]), [-128i8, 0, 1, 127].iter().flat_map(|x| x.to_le_bytes()).collect()),
        "INT16" => (json!([-300, 0, 1, 300]), [-300i16, 0, 1, 300].iter().flat_map(|x| x.to_le_bytes()).collect()),
        "INT32" => (
            json!([i32::MIN, 0, 1, i32::MAX]),
            [i32::MIN, 0, 1, i32::MAX].iter().flat_map(|x| x.to_le_bytes()).collect(),
        ),
        "INT64" => (
            json!([i64::MIN, 0, 1, i64::MAX]),
            [i64::MIN, 0, 1, i64::MAX].iter().flat_map(|x| x.to_le_bytes()).collect(),
        ),
        "FP16" => (
            json!([0.5, -2.0, 1024.0, 0.0]),
            [0.5f32, -2.0, 1024.0, 0.0].iter().flat_map(|x| half::f16::from_f32(*x).to_le_bytes()).collect(),
        ),
        "FP32" => (
            json!([0.25, -1.5, 3.0e10, 0.0]),
            [0.25f32, -1.5, 3.0e10, 0.0].iter().flat_map(|x| x.to_le_bytes()).collect(),
        ),
        "FP64" => (
            json!([0.1, -1.5e300, 2.0, 0.0]),
            [0.1f64, -1.5e300, 2.0, 0.0].iter().flat_map(|x| x.to_le_bytes()).collect(),
        ),
        _ => unreachable!(),
    }
}

const TYPES: [(&str, &str); 12] = [
    ("bool", "BOOL"),
    ("uint8", "UINT8"),
    ("uint16", "UINT16"),
    ("uint32", "UINT32"),
    ("uint64", "UINT64"),
    ("int8", "INT8"),
    ("int16", "INT16"),
    ("int32", "INT32"),
    ("int64", "INT64"),
    ("fp16", "FP16"),
    ("fp32", "FP32"),
    ("fp64", "FP64"),
];

#[tokio::test]
async fn every_datatype_in_json() {
    let server = Server::start_with(Options::args(&["--model-repository", model_repository().to_str().unwrap()]));
    let key = server.admin_key();
    let inputs: Vec<Value> = TYPES
        .iter()
        .map(|(n, dt)| json!({"name": format!("in_{n}"), "shape": [2, 2], "datatype": dt, "data": sample(dt).0}))
        .collect();
    let answer: Value =
        server.post_json("/v2/models/types/infer", &key, &json!({"inputs": inputs})).await.json().await.unwrap();
    let outputs = answer["outputs"].as_array().unwrap_or_else(|| panic!("{answer}"));
    for ((n, dt), out) in TYPES.iter().zip(outputs) {
        assert_eq!(out["name"], format!("out_{n}"));
        assert_eq!(out["datatype"], *dt);
        assert_eq!(out["shape"], json!([2, 2]));
        assert_eq!(out["data"], sample(dt).0, "{dt}");
    }
}

/// The binary tensor extension as tritonclient sends it: a JSON header, then raw
/// little-endian tensors; answers requested as binary come back the same way.
#[tokio::test]
async fn every_datatype_in_binary() {
    let server = Server::start_with(Options::args(&["--model-repository", model_repository().to_str().unwrap()]));
    let key = server.admin_key();
    let mut raw = Vec::new();
    let inputs: Vec<Value> = TYPES
        .iter()
        .map(|(n, dt)| {
            let bytes = sample(dt).1;
            let size = bytes.len();
            raw.extend(bytes);
            json!({"name": format!("in_{n}"), "shape": [2, 2], "datatype": dt, "parameters": {"binary_data_size": size}})
        })
        .collect();
    let outputs: Vec<Value> = TYPES
        .iter()
        .enumerate()
        .map(|(i, (n, _))| json!({"name": format!("out_{n}"), "parameters": {"binary_data": i % 2 == 0}}))
        .collect();
    let head = json!({"id": "bin", "inputs": inputs, "outputs": outputs});
    let (answer, bytes) = binary_answer(server.post_binary("/v2/models/types/infer", &key, &head, &raw).await).await;
    assert_eq!(answer["id"], "bin");
    let mut rest = &bytes[..];
    for (i, ((_, dt), out)) in TYPES.iter().zip(answer["outputs"].as_array().unwrap()).enumerate() {
        let (json_data, raw_data) = sample(dt);
        if i % 2 == 0 {
            let size = out["parameters"]["binary_data_size"].as_u64().unwrap() as usize;
            assert!(out.get("data").is_none());
            assert_eq!(&rest[..size], &raw_data[..], "{dt}");
            rest = &rest[size..];
        } else {
            assert_eq!(out["data"], json_data, "{dt}");
        }
    }
    assert!(rest.is_empty());
}

#[tokio::test]
async fn binary_output_for_all_by_request_parameter() {
    let server = Server::start();
    let key = server.admin_key();
    let reference = reference("digits_v1.json");
    let rows = &reference_rows(&reference)[..2];
    let floats: Vec<u8> = rows.iter().flatten().flat_map(|x| (*x as f32).to_le_bytes()).collect();
    let head = json!({
        "inputs": [{"name": "X", "shape": [2, 64], "datatype": "FP32", "parameters": {"binary_data_size": floats.len()}}],
        "parameters": {"binary_data_output": true}
    });
    let r = server.post_binary("/v2/models/default/infer", &key, &head, &floats).await;
    let (answer, bytes) = binary_answer(r).await;
    let labels: Vec<i64> = bytes[..16].chunks(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(answer["outputs"][0]["parameters"]["binary_data_size"], 16);
    assert_eq!(json!(labels), json!(reference["label"].as_array().unwrap()[..2]));
    let probs: Vec<f64> = bytes[16..].chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64).collect();
    assert_close(&json!(probs), &json!(reference["probabilities"].as_array().unwrap()[..2]));
}

#[tokio::test]
async fn v1_predict() {
    let server = Server::start();
    let key = server.admin_key();
    let reference = reference("digits_v1.json");
    let rows = &reference_rows(&reference)[..4];
    let r = server.post_json("/v1/models/default:predict", &key, &json!({"instances": rows})).await;
    let answer: Value = r.json().await.unwrap();
    let predictions = answer["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 4);
    for (i, p) in predictions.iter().enumerate() {
        assert_eq!(p["label"], reference["label"][i]);
        assert_close(&p["probabilities"], &json!([reference["probabilities"][i]]));
    }
}

#[tokio::test]
async fn scopes_limit_models_and_hide_others() {
    // Polling with a key the server has not reloaded yet counts as guessing.
    let repository = model_repository();
    let server = Server::start_with(Options::args(&[
        "--model-repository",
        repository.to_str().unwrap(),
        "--auth-max-failures",
        "1000",
    ]));
    let key = create_key(&server.state_dir, "digits-only", &["infer:digits"]);
    let client = server.client();
    // The key file changed after start: the server picks the new key up without a restart.
    assert_eq!(server.await_status("/v2/models/digits", &key, StatusCode::OK).await, StatusCode::OK);
    let hidden = client.get(server.endpoint("/v2/models/types")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    let hidden: Value = hidden.json().await.unwrap();
    let missing = server.get_json("/v2/models/nonexistent", &key).await;
    assert_eq!(
        hidden["error"].as_str().unwrap().replace("types", "X"),
        missing["error"].as_str().unwrap().replace("nonexistent", "X")
    );
}

/// BYTES tensors: JSON strings, and the binary extension's 4-byte length prefixes.
#[tokio::test]
async fn bytes_tensors_in_json_and_binary() {
    let server = Server::start_with(Options::args(&["--model-repository", model_repository().to_str().unwrap()]));
    let key = server.admin_key();
    let words = ["hello", "", "ünïcode"];
    let body = json!({"inputs": [{"name": "text", "shape": [3], "datatype": "BYTES", "data": words}]});
    let answer: Value = server.post_json("/v2/models/strings/infer", &key, &body).await.json().await.unwrap();
    assert_eq!(answer["outputs"][0]["datatype"], "BYTES");
    assert_eq!(answer["outputs"][0]["data"], json!(words));

    let raw: Vec<u8> =
        words.iter().flat_map(|w| [&(w.len() as u32).to_le_bytes()[..], w.as_bytes()].concat()).collect();
    let head = json!({
        "inputs": [{"name": "text", "shape": [3], "datatype": "BYTES", "parameters": {"binary_data_size": raw.len()}}],
        "outputs": [{"name": "echo", "parameters": {"binary_data": true}}]
    });
    let (answer, bytes) = binary_answer(server.post_binary("/v2/models/strings/infer", &key, &head, &raw).await).await;
    assert_eq!(answer["outputs"][0]["parameters"]["binary_data_size"], raw.len());
    assert_eq!(bytes, raw);

    // Not UTF-8: the model holds strings, so this is the client's error.
    let bad = [&1u32.to_le_bytes()[..], &[0xff]].concat();
    let head = json!({"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "parameters": {"binary_data_size": bad.len()}}]});
    let r = server.post_binary("/v2/models/strings/infer", &key, &head, &bad).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

/// Guessing keys from one address is cut off with 429 after the threshold, even
/// for a right key from that address, while health checks stay open; the counts
/// show on the metrics listener.
#[tokio::test]
async fn repeated_wrong_keys_are_throttled() {
    let server = Server::start_with(Options::args(&["--auth-max-failures", "3", "--auth-failure-window", "1h"]));
    let (client, key) = (server.client(), server.admin_key());
    let url = server.endpoint("/v2/models/default");
    let guess = |i: u32| format!("wdn_00000000000{i}_guess");
    // Missing credentials are not guesses and do not count.
    for _ in 0..2 {
        assert_eq!(client.get(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    for i in 0..2 {
        assert_eq!(client.get(&url).bearer_auth(guess(i)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(client.get(&url).bearer_auth(&key).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(client.get(&url).bearer_auth(guess(2)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let r = client.get(&url).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 3000 && retry <= 3600, "{retry}");
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("too many failed"));
    assert_eq!(client.get(server.endpoint("/v2/health/ready")).send().await.unwrap().status(), StatusCode::OK);

    let metrics = reqwest::get(server.metrics_url.clone().unwrap()).await.unwrap().text().await.unwrap();
    for line in [
        "warden_auth_failures_total{reason=\"invalid\"} 3",
        "warden_auth_failures_total{reason=\"missing\"} 2",
        "warden_auth_failures_total{reason=\"throttled\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }
}

/// A model's `[access]` lists decide who may run it, describe it, or know of it:
/// 200, 403, or 404 as if it did not exist.
#[tokio::test]
async fn per_model_access_lists() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("models");
    std::fs::create_dir_all(repo.join("shared/1")).unwrap();
    std::fs::copy(model_repository().join("digits/1/model.onnx"), repo.join("shared/1/model.onnx")).unwrap();
    std::fs::write(
        repo.join("shared/config.toml"),
        "[access]\ninfer = [\"team:ml\"]\nmetadata = [\"team:ml\", \"team:analytics\"]\nvisible = [\"team:ml\", \"team:analytics\", \"team:audit\"]\n",
    )
    .unwrap();
    let state = temp.path().join("state");
    let key = |name: &str, scope: &str| create_key(&state, name, &[scope]);
    let (ml, analytics, audit, everything, admin) = (
        key("ml", "team:ml"),
        key("analytics", "team:analytics"),
        key("audit", "team:audit"),
        key("everything", "infer:*"),
        key("admin", "admin"),
    );
    let server = Server::start_with(Options {
        args: vec!["--model-repository".into(), repo.to_str().unwrap().into()],
        state_dir: Some(state.clone()),
        ..Options::default()
    });
    let client = server.client();
    let body = digits_request(&[vec![1.0; 64]]);
    for (who, key, metadata, infer) in [
        ("ml", &ml, StatusCode::OK, StatusCode::OK),
        ("analytics", &analytics, StatusCode::OK, StatusCode::FORBIDDEN),
        ("audit", &audit, StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
        ("infer:*", &everything, StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
        ("admin", &admin, StatusCode::OK, StatusCode::OK),
    ] {
        let m = client.get(server.endpoint("/v2/models/shared")).bearer_auth(key).send().await.unwrap().status();
        assert_eq!(m, metadata, "{who} metadata");
        let i =
            client.post(server.endpoint("/v2/models/shared/infer")).bearer_auth(key).json(&body).send().await.unwrap();
        assert_eq!(i.status(), infer, "{who} infer");
    }

    std::fs::write(repo.join("shared/config.toml"), "[access]\ninfer = [\"superuser\"]\n").unwrap();
    let (status, _, err) = refused_start(&state, &["--model-repository", repo.to_str().unwrap()]);
    assert_eq!(status, Some(1));
    assert!(err.contains("model shared: [access]: unknown scope 'superuser'"), "{err}");
}
