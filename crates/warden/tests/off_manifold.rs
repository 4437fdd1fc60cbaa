//! The off-manifold signal end to end, against the digits MLP with a reference
//! sample of 1,347 real digits (`reference.npy`, written here from the fixture's
//! rows with warden-model's writer): uniform random queries inside the bounds, the
//! attack PRADA and the sweep signal miss, are blocked well within 300 queries;
//! held-back real digits from several clients are not flagged; the flag shows in
//! `warden clients list`, the audit record and the metrics. Bad reference files
//! stop the start with a message naming the file.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Options, Server, create_key, fixtures, run};
use reqwest::StatusCode;
use serde_json::{Value, json};
use warden_model::reference::write_npy;

/// The split: rows before it are the reference, rows after it honest traffic.
const SPLIT: usize = 1347;

fn samples() -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(fixtures().join("digits_samples.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(v["X"].clone()).unwrap()
}

fn reference_npy(rows: &[Vec<f64>]) -> Vec<u8> {
    let flat: Vec<f32> = rows.iter().flatten().map(|v| *v as f32).collect();
    write_npy(rows.len(), 64, &flat)
}

/// The digits MLP with `config`, and `reference.npy` beside its config.
fn repository(dir: &Path, config: &str, reference: Option<&[u8]>) -> PathBuf {
    let repo = common::repository_of(dir, &[("digits", "models/digits/1/model.onnx", config)]);
    if let Some(bytes) = reference {
        std::fs::write(repo.join("digits/reference.npy"), bytes).unwrap();
    }
    repo
}

async fn query(server: &Server, key: &str, row: &[f64]) -> StatusCode {
    let body = json!({"inputs": [{"name": "X", "shape": [1, 64], "datatype": "FP32", "data": row}]});
    server.post_json("/v2/models/digits/infer", key, &body).await.status()
}

async fn ready_key(server: &Server, name: &str) -> String {
    let key = create_key(&server.state_dir, name, &["infer:digits"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = query(server, &key, &[0.0; 64]).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "the new key never worked: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    key
}

/// A small deterministic generator.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
}

const CONFIG: &str = "[extraction]\naction = \"block\"\nreference = \"reference.npy\"\n";

#[tokio::test]
async fn uniform_probes_are_blocked_and_real_digits_are_not() {
    let data = samples();
    let temp = tempfile::tempdir().unwrap();
    let repo = repository(temp.path(), CONFIG, Some(&reference_npy(&data[..SPLIT])));
    // New keys are tried until the server has reloaded them: not guesses to throttle.
    let server = Server::start_with(Options::args(&[
        "--model-repository",
        repo.to_str().unwrap(),
        "--limits-rate",
        "off",
        "--auth-max-failures",
        "100000",
    ]));
    assert!(server.stderr_text().contains("off-manifold reference indexed"), "{}", server.stderr_text());

    // Honest clients: the held-back digits, over and over, from three identities.
    let mut refused = 0;
    for c in 0..3 {
        let key = ready_key(&server, &format!("user{c}")).await;
        for row in data[SPLIT..].iter().cycle().skip(c * 150).take(400) {
            refused += usize::from(query(&server, &key, row).await != StatusCode::OK);
        }
    }
    assert_eq!(refused, 0, "honest clients were refused");

    // The cheapest attack: uniform random pixels in [0, 16].
    let thief = ready_key(&server, "thief").await;
    let id = format!("key:{}", thief.split('_').nth(1).unwrap());
    let mut rng = Lcg(3);
    let mut blocked_after = None;
    for i in 0..300 {
        let row: Vec<f64> = (0..64).map(|_| (rng.next() * 17.0).floor()).collect();
        if query(&server, &thief, &row).await == StatusCode::FORBIDDEN {
            blocked_after = Some(i + 1);
            break;
        }
    }
    let blocked_after = blocked_after.expect("uniform probes were not blocked within 300 queries");
    assert!(blocked_after <= 100, "{blocked_after}");

    let (status, stdout, stderr) =
        run(&["clients", "list", "--json", "--state-dir", server.state_dir.to_str().unwrap()]);
    assert!(status.success(), "{stderr}");
    let listed: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let flagged: Vec<&Value> = listed.iter().filter(|r| !r["flag"].is_null()).collect();
    assert_eq!(flagged.len(), 1, "{listed:?}");
    assert_eq!(flagged[0]["identity"], id.as_str());
    assert_eq!(flagged[0]["flag"]["signal"], "off_manifold", "{listed:?}");

    let alert = server.audit_records().into_iter().find(|r| r["kind"] == "extraction_alert").expect("an audit record");
    assert_eq!(alert["signal"], "off_manifold");
    let metrics = reqwest::get(server.metrics_url.clone().unwrap()).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("warden_extraction_alerts_total{model=\"digits\",action=\"block\",signal=\"off_manifold\"} 1"),
        "{metrics}"
    );
}

#[test]
fn bad_reference_files_stop_the_start_naming_the_file() {
    let data = samples();
    let temp = tempfile::tempdir().unwrap();
    let good = reference_npy(&data[..200]);
    let object: Vec<u8> = good.iter().map(|b| if *b == b'f' { b'O' } else { *b }).collect();
    let narrow = write_npy(200, 8, &vec![1.0; 200 * 8]);
    let few = reference_npy(&data[..20]);
    let cases: Vec<(&str, &str, Option<&[u8]>, &str)> = vec![
        ("missing", CONFIG, None, "reference.npy: No such file"),
        ("object", CONFIG, Some(&object), "object array is a pickle"),
        ("narrow", CONFIG, Some(&narrow), "has 8 features per row; the model takes 64"),
        ("few", CONFIG, Some(&few), "20 reference rows: between 50"),
        (
            "escape",
            "[extraction]\nreference = \"../elsewhere.npy\"\n",
            Some(&good),
            "a path inside the model's directory",
        ),
        ("quantile", "[extraction]\nreference_quantile = 0.9\n", Some(&good), "need a reference"),
        (
            "detector_off",
            "[extraction]\ndetector = \"off\"\nreference = \"reference.npy\"\n",
            Some(&good),
            "reference needs the detector",
        ),
    ];
    for (name, config, bytes, says) in cases {
        let dir = temp.path().join(name);
        let repo = repository(&dir, config, bytes);
        let (code, _, stderr) =
            common::refused_start(&dir.join("state"), &["--model-repository", repo.to_str().unwrap()]);
        assert_ne!(code, Some(0), "{name}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        if !matches!(name, "escape" | "quantile" | "detector_off") {
            assert!(stderr.contains("reference.npy"), "{name} does not name the file: {stderr}");
        }
    }
}
