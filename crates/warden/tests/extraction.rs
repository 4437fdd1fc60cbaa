//! Extraction detection end to end: a synthetic-query attack against the digits
//! MLP is flagged and blocked within a few hundred queries, `warden clients`
//! shows and lifts the block, and natural digits from several clients are not
//! flagged.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Options, Server, create_key, fixtures, run};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn samples() -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(fixtures().join("digits_samples.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(v["X"].clone()).unwrap()
}

fn repository(dir: &Path, config: &str) -> PathBuf {
    common::repository_of(dir, &[("digits", "models/digits/1/model.onnx", config)])
}

async fn query(server: &Server, key: &str, row: &[f64]) -> StatusCode {
    let body = json!({"inputs": [{"name": "X", "shape": [1, 64], "datatype": "FP32", "data": row}]});
    server.post_json("/v2/models/digits/infer", key, &body).await.status()
}

fn clients(state: &Path) -> Vec<Value> {
    let (status, stdout, stderr) = run(&["clients", "list", "--json", "--state-dir", state.to_str().unwrap()]);
    assert!(status.success(), "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[tokio::test]
async fn a_synthetic_query_attack_is_blocked_until_cleared() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repository(temp.path(), "[extraction]\naction = \"block\"\n");
    let mut server =
        Server::start_with(Options::args(&["--model-repository", repo.to_str().unwrap(), "--limits-rate", "off"]));
    let attacker = create_key(&server.state_dir, "attacker", &["infer:digits"]);
    let id = format!("key:{}", attacker.split('_').nth(1).unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    while query(&server, &attacker, &[0.0; 64]).await != StatusCode::OK {
        assert!(Instant::now() < deadline, "the new key never worked");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Seeds from the data, each probed by small steps along one pixel at a time
    // (the shape of Jacobian-style augmentation): few, near-identical queries.
    let seeds: Vec<Vec<f64>> = samples().into_iter().take(5).collect();
    let mut blocked_after = None;
    for i in 0..1000usize {
        let mut row = seeds[i % 5].clone();
        row[(i / 5) % 64] += 0.5 * ((i / 320) as f64 + 1.0);
        match query(&server, &attacker, &row).await {
            StatusCode::OK => {}
            StatusCode::FORBIDDEN => {
                blocked_after = Some(i + 1);
                break;
            }
            other => panic!("unexpected {other}"),
        }
    }
    let n = blocked_after.expect("the attack was never blocked");
    assert!(n <= 400, "blocked only after {n} queries");
    assert_eq!(
        row_flag_signal(&server.state_dir, &id),
        "sweep",
        "near-duplicate probes are a sweep, seen before PRADA has its 100 distances"
    );
    eprintln!("synthetic-query attack blocked after {n} queries");

    let listed = clients(&server.state_dir);
    let row = listed.iter().find(|r| r["identity"] == id.as_str()).expect("the attacker is listed");
    assert_eq!(row["flag"]["response"], "block", "{row}");

    let (status, stdout, _) = run(&["clients", "clear", &id, "--state-dir", server.state_dir.to_str().unwrap()]);
    assert!(status.success(), "{stdout}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while query(&server, &attacker, &seeds[0]).await != StatusCode::OK {
        assert!(Instant::now() < deadline, "the block was not lifted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = reqwest::get(server.metrics_url.clone().unwrap()).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("warden_extraction_alerts_total{model=\"digits\",action=\"block\",signal=\"sweep\"} 1"),
        "{metrics}"
    );
    server.terminate();
    server.wait(Duration::from_secs(30));
    let audit = server.audit_records();
    let alert = audit.iter().find(|r| r["kind"] == "extraction_alert").expect("an extraction_alert record");
    assert_eq!(alert["identity"], id.as_str());
    // The sweep signal (near-duplicate queries) or PRADA, whichever saw it first.
    match alert["detector"].as_str().unwrap() {
        "sweep" => assert!(alert["w"].as_f64().unwrap() >= 0.5),
        "prada" => assert!(alert["w"].as_f64().unwrap() < 0.9),
        other => panic!("flagged by {other}"),
    }
    assert!(audit.iter().any(|r| r["kind"] == "extraction_denied" && r["reason"] == "blocked"));
    assert!(
        audit.iter().any(|r| r["kind"] == "extraction_cleared" && r["identity"] == id.as_str()),
        "the clear is recorded"
    );
}

fn row_flag_signal(state: &Path, id: &str) -> String {
    let flags: Value = serde_json::from_str(&std::fs::read_to_string(state.join("flags.json")).unwrap()).unwrap();
    flags[id]["digits"]["signal"].as_str().unwrap().to_string()
}

/// With the sweep signal off, PRADA alone catches the same attack.
#[tokio::test]
async fn prada_alone_catches_the_synthetic_attack() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repository(temp.path(), "[extraction]\naction = \"block\"\nsweep_share = 1.0\n");
    let server =
        Server::start_with(Options::args(&["--model-repository", repo.to_str().unwrap(), "--limits-rate", "off"]));
    let key = server.admin_key();
    let seeds: Vec<Vec<f64>> = samples().into_iter().take(5).collect();
    let mut blocked_after = None;
    for i in 0..1000usize {
        let mut row = seeds[i % 5].clone();
        row[(i / 5) % 64] += 0.5 * ((i / 320) as f64 + 1.0);
        // Every tenth query a fresh image, so not every query is a sweep step.
        if i % 10 == 9 {
            row = samples()[100 + i].clone();
        }
        if query(&server, &key, &row).await == StatusCode::FORBIDDEN {
            blocked_after = Some(i + 1);
            break;
        }
    }
    let n = blocked_after.expect("PRADA never flagged the attack");
    assert!(n <= 500, "blocked only after {n} queries");
    let id = server.admin_key().split('_').nth(1).map(|i| format!("key:{i}")).unwrap();
    assert_eq!(row_flag_signal(&server.state_dir, &id), "prada");
}

#[tokio::test]
async fn natural_digits_from_several_clients_are_not_flagged() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repository(temp.path(), "[extraction]\naction = \"block\"\n");
    let server =
        Server::start_with(Options::args(&["--model-repository", repo.to_str().unwrap(), "--limits-rate", "off"]));
    let keys: Vec<String> =
        (0..4).map(|i| create_key(&server.state_dir, &format!("user{i}"), &["infer:digits"])).collect();
    let data = samples();
    for key in &keys {
        let deadline = Instant::now() + Duration::from_secs(10);
        while query(&server, key, &data[0]).await != StatusCode::OK {
            assert!(Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Each client sends 450 different real images, one per request.
    let mut refused = 0;
    for (c, key) in keys.iter().enumerate() {
        for row in data.iter().skip(c * 450).take(450) {
            if query(&server, key, row).await != StatusCode::OK {
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 0, "benign clients were blocked");
    let listed = clients(&server.state_dir);
    assert!(listed.iter().all(|r| r["flag"].is_null()), "{listed:?}");
}

#[test]
fn a_bad_extraction_config_stops_the_start_and_clear_names_an_unknown_client() {
    let temp = tempfile::tempdir().unwrap();
    for (config, expected) in [
        ("[extraction]\naction = \"ban\"\n", "'ban' is not one of log, alert, degrade, throttle, block"),
        ("[extraction]\ndelta = 1.5\n", "delta = 1.5"),
        ("[extraction]\ninput_min = [0.0, 1.0]\n", "input_min has 2 values; the model has 64 features"),
        ("[extraction]\ndetector = \"magic\"\n", "'magic' is not one of prada, off"),
    ] {
        let dir = temp.path().join(format!("case{}", expected.len()));
        let repo = repository(&dir, config);
        let (code, _, stderr) =
            common::refused_start(&dir.join("state"), &["--model-repository", repo.to_str().unwrap()]);
        assert_ne!(code, Some(0));
        assert!(stderr.contains(expected), "{config}: {stderr}");
    }
    let state = temp.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let (status, _, stderr) = run(&["clients", "clear", "key:nobody", "--state-dir", state.to_str().unwrap()]);
    assert!(!status.success());
    assert!(stderr.contains("key:nobody has no extraction flag"), "{stderr}");
}
