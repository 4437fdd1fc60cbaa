//! Every kind of bad request gets a clear 4xx with `{"error": ...}`: never a panic,
//! a hang or a 5xx.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn expect_error(r: reqwest::Response, status: StatusCode, needle: &str) {
    let (got, message) = error_of(r).await;
    assert_eq!(got, status);
    assert!(message.contains(needle), "'{message}' does not mention '{needle}'");
}

#[tokio::test]
async fn malformed_requests_are_400() {
    let server = Server::start_with(Options::args(&["--model-repository", model_repository().to_str().unwrap()]));
    let (client, key) = (server.client(), server.admin_key());
    let url = server.endpoint("/v2/models/digits/infer");
    let tensor = |name: &str, shape: Value, dt: &str, data: Value| json!({"inputs": [{"name": name, "shape": shape, "datatype": dt, "data": data}]});
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let deep_body = format!(r#"{{"inputs":[{{"name":"X","shape":[1,64],"datatype":"FP32","data":{deep}}}]}}"#);
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "invalid inference request"),
        ("{\"inputs\": [".into(), "invalid inference request"),
        (deep_body, "recursion limit"),
        (json!({"inputs": []}).to_string(), "missing input 'X'"),
        (tensor("Y", json!([1, 64]), "FP32", json!(row())).to_string(), "unexpected input 'Y'"),
        (
            json!({"inputs": [
                {"name": "X", "shape": [1, 64], "datatype": "FP32", "data": row()},
                {"name": "extra", "shape": [1], "datatype": "FP32", "data": [1]}]})
            .to_string(),
            "unexpected input 'extra'",
        ),
        (tensor("X", json!([1, 64]), "FP64", json!(row())).to_string(), "datatype FP64"),
        (tensor("X", json!([1, 64]), "FLOAT32", json!(row())).to_string(), "unknown datatype"),
        (tensor("X", json!([1, 63]), "FP32", json!(row()[..63])).to_string(), "shape"),
        (tensor("X", json!([64]), "FP32", json!(row())).to_string(), "shape"),
        (tensor("X", json!([2, 64]), "FP32", json!(row())).to_string(), "elements"),
        (tensor("X", json!([1, 64]), "FP32", json!(vec!["a"; 64])).to_string(), "a string"),
        (tensor("X", json!([1, 64]), "FP32", json!(vec![1e39; 64])).to_string(), "out of range"),
        (tensor("X", json!([1, 64]), "FP32", json!(null)).to_string(), "no 'data'"),
        (tensor("X", json!([1, -64]), "FP32", json!(row())).to_string(), "invalid inference request"),
        (tensor("X", json!([4294967296u64, 64]), "FP32", json!(row())).to_string(), "limit"),
        (
            json!({"inputs": [{"name": "X", "shape": [1, 64], "datatype": "FP32", "data": row()}], "outputs": [{"name": "nope"}]})
                .to_string(),
            "unknown output 'nope'",
        ),
        (
            json!({"model_name": "default", "inputs": [{"name": "X", "shape": [1, 64], "datatype": "FP32", "data": row()}]})
                .to_string(),
            "names model 'default'",
        ),
        (
            json!({"model_version": "1", "inputs": [{"name": "X", "shape": [1, 64], "datatype": "FP32", "data": row()}]})
                .to_string(),
            "names version '1'",
        ),
    ];
    for (body, needle) in cases {
        let r = client.post(&url).bearer_auth(&key).body(body.clone()).send().await.unwrap();
        expect_error(r, StatusCode::BAD_REQUEST, needle).await;
    }
}

#[tokio::test]
async fn element_limit_and_non_finite_values() {
    let server = Server::start_with(Options::args(&["--http-max-elements", "640"]));
    let (client, key) = (server.client(), server.admin_key());
    let url = server.endpoint("/v2/models/default/infer");
    let r = client.post(&url).bearer_auth(&key).json(&digits_request(&vec![row(); 11])).send().await.unwrap();
    expect_error(r, StatusCode::BAD_REQUEST, "limit of 640").await;
    let r = client.post(&url).bearer_auth(&key).json(&digits_request(&vec![row(); 10])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // JSON cannot spell NaN; the binary extension can.
    let mut floats: Vec<u8> = row().iter().flat_map(|x| (*x as f32).to_le_bytes()).collect();
    floats[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
    let head = json!({"inputs": [{"name": "X", "shape": [1, 64], "datatype": "FP32", "parameters": {"binary_data_size": 256}}]});
    let r = server.post_binary("/v2/models/default/infer", &key, &head, &floats).await;
    expect_error(r, StatusCode::BAD_REQUEST, "NaN or infinite").await;

    // Binary framing errors.
    let head = serde_json::to_vec(&head).unwrap();
    let body = [head.clone(), floats].concat();
    for (header, body, needle) in [
        ("nine", body.clone(), "not a number"),
        ("999999", body.clone(), "only"),
        (&*head.len().to_string(), body[..body.len() - 4].to_vec(), "remain"),
        (&*head.len().to_string(), [&body[..], b"xx"].concat(), "no input claims"),
    ] {
        let r = client
            .post(&url)
            .bearer_auth(&key)
            .header("Inference-Header-Content-Length", header)
            .body(body)
            .send()
            .await
            .unwrap();
        expect_error(r, StatusCode::BAD_REQUEST, needle).await;
    }
}

#[tokio::test]
async fn unknown_models_versions_paths_and_methods() {
    let server = Server::start();
    let (client, key) = (server.client(), server.admin_key());
    let body = digits_request(&[row()]);
    for (path, needle) in [
        ("/v2/models/nope/infer", "model 'nope' not found"),
        ("/v2/models/default/versions/2/infer", "no version '2'"),
        ("/v1/models/nope:predict", "not found"),
        ("/v3/anything", "no such endpoint"),
    ] {
        let r = client.post(server.endpoint(path)).bearer_auth(&key).json(&body).send().await.unwrap();
        expect_error(r, StatusCode::NOT_FOUND, needle).await;
    }
    // A version has one spelling, so audit records and metric labels have one too.
    for version in ["latest", "+1", "01", "0001"] {
        let path = format!("/v2/models/default/versions/{version}/infer");
        let r = client.post(server.endpoint(&path)).bearer_auth(&key).json(&body).send().await.unwrap();
        expect_error(r, StatusCode::BAD_REQUEST, "decimal number").await;
    }
    let r = client.get(server.endpoint("/v2/models/default/infer")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.headers()["allow"], "POST");
    expect_error(r, StatusCode::METHOD_NOT_ALLOWED, "POST").await;
}

#[tokio::test]
async fn v1_predict_bad_input() {
    let server = Server::start();
    let (client, key) = (server.client(), server.admin_key());
    let url = server.endpoint("/v1/models/default:predict");
    for (body, needle) in [
        (json!({"instances": []}), "empty"),
        (json!({"rows": [row()]}), "invalid predict request"),
        (json!({"instances": [row(), row()[..10]]}), "differ in shape"),
        (json!({"instances": [[[1, 2], [3]]]}), "ragged"),
        (json!({"instances": [row()[..10]]}), "shape"),
        (json!({"instances": [vec!["x"; 64]]}), "a string"),
    ] {
        let r = client.post(&url).bearer_auth(&key).json(&body).send().await.unwrap();
        expect_error(r, StatusCode::BAD_REQUEST, needle).await;
    }
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let server = Server::start_with(Options::args(&["--http-max-body-size", "64KiB"]));
    let (client, key) = (server.client(), server.admin_key());
    let big = "x".repeat(70 * 1024);
    let r = client
        .post(server.endpoint("/v2/models/default/infer"))
        .bearer_auth(&key)
        .body(big.clone())
        .send()
        .await
        .unwrap();
    expect_error(r, StatusCode::PAYLOAD_TOO_LARGE, "limit").await;

    // Without a Content-Length (chunked), the limit applies while reading.
    let mut stream = server.raw().await;
    let chunk = format!("{:x}\r\n{}\r\n", big.len(), big);
    let request = format!(
        "POST /v2/models/default/infer HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {key}\r\ntransfer-encoding: chunked\r\n\r\n{chunk}0\r\n\r\n"
    );
    write_all(&mut stream, request.as_bytes()).await;
    let (status, _, body) = read_response(&mut stream).await;
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
}

#[tokio::test]
async fn header_over_the_limit_is_rejected() {
    let server = Server::start_with(Options::args(&["--http-max-header-size", "8KiB"]));
    let (client, key) = (server.client(), server.admin_key());
    // HTTP/2 (reqwest negotiates it) refuses the oversized header list.
    let r = client.get(server.endpoint("/v2")).bearer_auth(&key).header("x-big", "a".repeat(20_000)).send().await;
    match r {
        Ok(r) => assert!(r.status().is_client_error(), "{}", r.status()),
        Err(e) => assert!(e.is_request() || e.is_connect() || e.to_string().contains("error"), "{e}"),
    }
    // HTTP/1.1 answers 431.
    let mut stream = server.raw().await;
    let request = format!("GET /v2 HTTP/1.1\r\nhost: localhost\r\nx-big: {}\r\n\r\n", "a".repeat(20_000));
    write_all(&mut stream, request.as_bytes()).await;
    let (status, _, _) = read_response(&mut stream).await;
    assert_eq!(status, 431);
    // The server is still fine.
    let r = client.get(server.endpoint("/v2")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn slow_body_gets_408() {
    let server = Server::start_with(Options::args(&["--http-read-timeout", "1s"]));
    let key = server.admin_key();
    let mut stream = server.raw().await;
    let request = format!(
        "POST /v2/models/default/infer HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {key}\r\ncontent-length: 1000\r\n\r\n{{\"inputs\""
    );
    write_all(&mut stream, request.as_bytes()).await;
    let (status, _, body) = read_response(&mut stream).await;
    assert_eq!(status, 408);
    assert!(String::from_utf8_lossy(&body).contains("not received in time"));
}

#[tokio::test]
async fn slow_headers_are_cut_off() {
    let server = Server::start_with(Options::args(&["--http-read-timeout", "1s"]));
    let mut stream = server.raw().await;
    write_all(&mut stream, b"GET /v2 HTTP/1.1\r\nhost: local").await;
    // The server closes the connection instead of waiting forever.
    let (status, _, _) = read_response(&mut stream).await;
    assert!(status == 0 || status == 408, "{status}");
}

#[tokio::test]
async fn request_deadline_caps_the_body_read() {
    let server = Server::start_with(Options::args(&["--http-read-timeout", "60s", "--http-request-timeout", "1s"]));
    let key = server.admin_key();
    let mut stream = server.raw().await;
    let request = format!(
        "POST /v2/models/default/infer HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {key}\r\ncontent-length: 1000\r\n\r\n{{"
    );
    write_all(&mut stream, request.as_bytes()).await;
    let (status, _, _) = tokio::time::timeout(Duration::from_secs(30), read_response(&mut stream)).await.unwrap();
    assert_eq!(status, 408);
}

#[tokio::test]
async fn in_flight_limit_answers_503_with_retry_after() {
    let server = Server::start_with(Options::args(&["--http-max-in-flight", "1"]));
    let (client, key) = (server.client(), server.admin_key());
    // Hold the only slot with a request whose body never finishes.
    let mut stream = server.raw().await;
    let request = format!(
        "POST /v2/models/default/infer HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {key}\r\ncontent-length: 1000\r\n\r\n{{"
    );
    write_all(&mut stream, request.as_bytes()).await;
    let mut saw_503 = false;
    for _ in 0..50 {
        let r = client.get(server.endpoint("/v2")).bearer_auth(&key).send().await.unwrap();
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(r.headers()["retry-after"], "1");
            expect_error(r, StatusCode::SERVICE_UNAVAILABLE, "in flight").await;
            saw_503 = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(saw_503);
    // Health checks are never turned away.
    let r = client.get(server.endpoint("/v2/health/ready")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    drop(stream);
    let mut ok = false;
    for _ in 0..50 {
        if client.get(server.endpoint("/v2")).bearer_auth(&key).send().await.unwrap().status() == StatusCode::OK {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "the slot was not released");
}

/// A model still running at the request deadline: the client gets 503 with
/// Retry-After, and the server keeps answering while the model finishes.
#[tokio::test]
async fn request_deadline_during_inference_is_503() {
    let repository = fixtures().join("slow_models");
    let server = Server::start_with(Options::args(&[
        "--model-repository",
        repository.to_str().unwrap(),
        "--http-request-timeout",
        "300ms",
        "--http-max-body-size",
        "16MiB",
        "--http-max-elements",
        "4194304",
    ]));
    let (client, key) = (server.client(), server.admin_key());
    // 2048 rows of a ~67 MFLOP-per-row model: far more than 300 ms of work.
    let rows = 2048;
    let size = rows * 1024 * 4;
    let head = json!({"inputs": [{"name": "X", "shape": [rows, 1024], "datatype": "FP32", "parameters": {"binary_data_size": size}}]});
    let r = server.post_binary("/v2/models/slow/infer", &key, &head, &vec![0u8; size]).await;
    assert_eq!(r.headers()["retry-after"], "1");
    expect_error(r, StatusCode::SERVICE_UNAVAILABLE, "deadline").await;
    let r = client.get(server.endpoint("/v2/health/live")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
