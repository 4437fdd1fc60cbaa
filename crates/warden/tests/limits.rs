//! Rate limits, concurrency caps, row budgets and output hardening, seen by a
//! client: the 429s with their headers, the budget that outlives a restart, and
//! the probabilities a hardened model no longer gives away.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Options, Server, create_key, digits_request, fixtures};
use reqwest::StatusCode;
use serde_json::{Value, json};

const INFER: &str = "/v2/models/default/infer";

fn rows(n: usize) -> Value {
    digits_request(&vec![vec![1.0; 64]; n])
}

async fn infer(server: &Server, key: &str, n: usize) -> reqwest::Response {
    server.post_json(INFER, key, &rows(n)).await
}

#[tokio::test]
async fn an_identity_over_its_rate_gets_429_with_retry_after_and_ratelimit_headers() {
    let server = Server::start_with(Options::args(&["--limits-rate", "2/s", "--limits-burst", "2"]));
    let key = server.admin_key();
    let first = infer(&server, &key, 1).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["ratelimit-policy"], "\"identity\";q=2;w=1");
    assert!(first.headers()["ratelimit"].to_str().unwrap().starts_with("\"identity\";r=1;t="));
    assert_eq!(infer(&server, &key, 1).await.status(), StatusCode::OK);
    let refused = infer(&server, &key, 1).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=1).contains(&wait), "retry after {wait}");
    assert!(refused.headers()["ratelimit"].to_str().unwrap().starts_with("\"identity\";r=0;t="));
    let body: Value = refused.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("rate limit"), "{body}");
    // After the wait the client named, it is served again.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(infer(&server, &key, 1).await.status(), StatusCode::OK);
    // Another model, or health, is not limited by this one's count.
    assert_eq!(server.client().get(server.endpoint("/v2/health/ready")).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn identities_sharing_one_address_meet_the_per_address_limit() {
    let server = Server::start_with(Options::args(&[
        "--limits-per-address-rate",
        "3/min",
        "--limits-per-address-burst",
        "3",
        "--auth-max-failures",
        "1000",
    ]));
    let admin = server.admin_key();
    let keys: Vec<String> =
        (0..3).map(|i| create_key(&server.state_dir, &format!("k{i}"), &["infer:default"])).collect();
    for k in &keys {
        server.await_status("/v2/models/default", k, StatusCode::OK).await;
    }
    let mut statuses = Vec::new();
    for k in keys.iter().chain([&admin]) {
        statuses.push(infer(&server, k, 1).await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429], "four identities, one address, three allowed");
}

#[tokio::test]
async fn a_row_budget_counts_rows_and_outlives_a_restart() {
    let temp = tempfile::tempdir().unwrap();
    let state = temp.path().join("state");
    let args = ["--limits-daily-rows", "5"];
    let mut server = Server::start_with(Options { state_dir: Some(state.clone()), ..Options::args(&args) });
    let key = server.admin_key();
    assert_eq!(infer(&server, &key, 3).await.status(), StatusCode::OK);
    let refused = infer(&server, &key, 3).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let message = refused.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string();
    assert!(message.contains("daily budget of 5 rows") && message.contains("resets at"), "{message}");
    assert!(message.contains("T00:00:00Z"), "resets at midnight UTC: {message}");
    assert_eq!(infer(&server, &key, 2).await.status(), StatusCode::OK, "two rows still fit");
    let too_big = infer(&server, &key, 6).await.json::<Value>().await.unwrap();
    assert!(too_big["error"].as_str().unwrap().contains("more than the daily budget"), "{too_big}");
    server.terminate();
    assert!(server.wait(Duration::from_secs(30)).success());

    let mut server = Server::start_with(Options { state_dir: Some(state.clone()), ..Options::args(&args) });
    assert_eq!(infer(&server, &key, 1).await.status(), StatusCode::TOO_MANY_REQUESTS, "the budget was saved");
    server.terminate();
    server.wait(Duration::from_secs(30));
    let audit = server.audit_records();
    let refusals: Vec<&Value> = audit.iter().filter(|r| r["kind"] == "limit_exceeded").collect();
    assert!(refusals.iter().any(|r| r["reason"] == "daily_budget" && r["rows"] == 3 && r["model"] == "default"));
}

#[tokio::test]
async fn one_identity_may_not_hold_more_requests_than_its_cap() {
    let repository = fixtures().join("slow_models");
    let server = Server::start_with(Options::args(&[
        "--model-repository",
        repository.to_str().unwrap(),
        "--limits-concurrency",
        "1",
        "--http-max-body-size",
        "16MiB",
    ]));
    let key = server.admin_key();
    // About a second of work, so the second request surely arrives while it runs.
    let rows = 1024;
    let size = rows * 1024 * 4;
    let head = json!({"inputs": [{"name": "X", "shape": [rows, 1024], "datatype": "FP32", "parameters": {"binary_data_size": size}}]});
    let body = vec![0u8; size];
    let (a, b) = tokio::join!(server.post_binary("/v2/models/slow/infer", &key, &head, &body), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.post_binary("/v2/models/slow/infer", &key, &head, &body).await
    });
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 429], "one runs, the other is refused while it does");
    let refused = if a.status() == StatusCode::TOO_MANY_REQUESTS { a } else { b };
    assert!(refused.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("in flight"));
}

#[tokio::test]
async fn an_identity_override_from_the_config_file_applies_to_that_identity_only() {
    let temp = tempfile::tempdir().unwrap();
    let state = temp.path().join("state");
    let limited = create_key(&state, "limited", &["infer:default"]);
    let id = limited.split('_').nth(1).unwrap();
    let config = temp.path().join("warden.toml");
    std::fs::write(&config, format!("[limits.identity.\"key:{id}\"]\nrate = \"1/min\"\nburst = 1\n")).unwrap();
    let server = Server::start_with(Options {
        state_dir: Some(state),
        ..Options::args(&["--config", config.to_str().unwrap()])
    });
    let other = create_key(&server.state_dir, "other", &["infer:default"]);
    server.await_status("/v2/models/default", &other, StatusCode::OK).await;
    assert_eq!(infer(&server, &limited, 1).await.status(), StatusCode::OK);
    assert_eq!(infer(&server, &limited, 1).await.status(), StatusCode::TOO_MANY_REQUESTS);
    for _ in 0..5 {
        assert_eq!(infer(&server, &other, 1).await.status(), StatusCode::OK);
    }
}

/// A copy of the digits fixture with `config` as its `config.toml`.
fn hardened_repository(dir: &Path, config: &str) -> PathBuf {
    common::repository_of(dir, &[("digits", "models/digits/1/model.onnx", config)])
}

#[tokio::test]
async fn top_k_and_rounding_cut_the_probabilities_down() {
    let temp = tempfile::tempdir().unwrap();
    let repo = hardened_repository(temp.path(), "[output]\ntop_k = 2\nround_probabilities = 2\n");
    let server = Server::start_with(Options::args(&["--model-repository", repo.to_str().unwrap()]));
    let key = server.admin_key();
    let answer: Value = server.post_json("/v2/models/digits/infer", &key, &rows(3)).await.json().await.unwrap();
    let probabilities = answer["outputs"].as_array().unwrap().iter().find(|o| o["name"] == "probabilities").unwrap();
    let values: Vec<f64> = serde_json::from_value(probabilities["data"].clone()).unwrap();
    for row in values.chunks(10) {
        assert!(row.iter().filter(|p| **p != 0.0).count() <= 2, "{row:?}");
        for p in row {
            assert!(((p * 100.0).round() / 100.0 - p).abs() < 1e-6, "{p} is not rounded to 2 decimals");
        }
    }
}

#[tokio::test]
async fn a_label_only_model_never_sends_probabilities() {
    let temp = tempfile::tempdir().unwrap();
    let repo = hardened_repository(temp.path(), "[output]\nlabel_only = true\n");
    let mut server = Server::start_with(Options::args(&["--model-repository", repo.to_str().unwrap()]));
    let key = server.admin_key();
    let answer: Value = server.post_json("/v2/models/digits/infer", &key, &rows(2)).await.json().await.unwrap();
    let names: Vec<&str> = answer["outputs"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["label"]);
    let mut asking = rows(1);
    asking["outputs"] = json!([{"name": "probabilities"}]);
    let refused = server.post_json("/v2/models/digits/infer", &key, &asking).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let predicted: Value = server
        .post_json("/v1/models/digits:predict", &key, &json!({"instances": [vec![1.0; 64]]}))
        .await
        .json()
        .await
        .unwrap();
    assert!(predicted["predictions"][0].is_number(), "v1 answers the label alone: {predicted}");
    server.terminate();
    server.wait(Duration::from_secs(30));
    let audit = server.audit_records();
    assert!(audit.iter().any(|r| r["kind"] == "inference" && r["output_policy"] == "label_only"));
}

#[tokio::test]
async fn an_output_policy_that_cannot_apply_stops_the_start() {
    let temp = tempfile::tempdir().unwrap();
    let repo = hardened_repository(temp.path(), "[output]\nprobabilities = \"scores\"\ntop_k = 1\n");
    let (code, _, stderr) =
        common::refused_start(&temp.path().join("state"), &["--model-repository", repo.to_str().unwrap()]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("no such output"), "{stderr}");
}
