//! The attack simulator: model-extraction attacks against models Warden serves,
//! and benign traffic beside them. The quick checks run with the suite; the full
//! report (`report`, ignored by default) is what bench/extraction.sh runs and
//! what bench/BENCHMARKS.md quotes.
//!
//! 1. Tramèr et al. equation solving against a logistic regression: with
//!    probabilities it recovers the model from d+1 queries; with label-only
//!    answers there is nothing to solve, and the label-only retraining attack
//!    that remains runs into the detector and the row budget.
//! 2. A synthetic-query attack (seeds probed by small steps) against an MLP.
//! 3. The same attack spread over several identities from one address.
//! 4. Benign clients replaying real digits at a normal pace.
//! 5. With a reference sample (the off-manifold signal): uniform random queries
//!    within the bounds, Gaussian noise around the data mean, Knockoff-style
//!    queries with real digits from another distribution (inverted, shifted,
//!    blurred), against held-back real digits from ten clients
//!    (`reference_report`, also run by bench/extraction.sh).
// Linear algebra over small dense matrices reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Options, Server, create_key, fixtures};
use reqwest::StatusCode;
use serde_json::{Value, json};

const D: usize = 64;
const CLASSES: usize = 10;

fn digits() -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(fixtures().join("digits_samples.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(v["X"].clone()).unwrap()
}

/// A repository with the logistic regression and the MLP under several configs.
fn repository(dir: &Path, models: &[(&str, &str, &str)]) -> PathBuf {
    common::repository_of(dir, models)
}

const LR: &str = "extraction_models/lr/1/model.onnx";
const MLP: &str = "models/digits/1/model.onnx";

struct Answer {
    status: StatusCode,
    labels: Vec<i64>,
    probabilities: Option<Vec<f64>>,
}

async fn ask(server: &Server, key: &str, model: &str, rows: &[Vec<f64>]) -> Answer {
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    let body = json!({"inputs": [{"name": "X", "shape": [rows.len(), D], "datatype": "FP32", "data": flat}]});
    let r = server.post_json(&format!("/v2/models/{model}/infer"), key, &body).await;
    let status = r.status();
    if status != StatusCode::OK {
        return Answer { status, labels: Vec::new(), probabilities: None };
    }
    let v: Value = r.json().await.unwrap();
    let output = |name: &str| v["outputs"].as_array().unwrap().iter().find(|o| o["name"] == name).cloned();
    let labels = serde_json::from_value(output("label").unwrap()["data"].clone()).unwrap();
    let probabilities = output("probabilities").map(|o| serde_json::from_value(o["data"].clone()).unwrap());
    Answer { status, labels, probabilities }
}

/// A small deterministic generator.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
}

/// A linear model: logits = W x + b, one row of W per class.
struct Linear {
    w: Vec<[f64; D + 1]>,
}

impl Linear {
    fn predict(&self, x: &[f64]) -> i64 {
        let score = |w: &[f64; D + 1]| w[..D].iter().zip(x).map(|(a, b)| a * b).sum::<f64>() + w[D];
        (0..self.w.len()).max_by(|&a, &b| score(&self.w[a]).total_cmp(&score(&self.w[b]))).unwrap() as i64
    }
}

/// Share of `data` on which `sub` agrees with the served labels.
fn fidelity(sub: &Linear, data: &[Vec<f64>], served: &[i64]) -> f64 {
    let same = data.iter().zip(served).filter(|(x, y)| sub.predict(x) == **y).count();
    same as f64 / data.len() as f64
}

/// Solves A X = B (n×n, n×m) by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in 0..n {
            if row != col {
                let f = a[row][col] / a[col][col];
                if f != 0.0 {
                    for k in col..n {
                        a[row][k] -= f * a[col][k];
                    }
                    for k in 0..b[row].len() {
                        b[row][k] -= f * b[col][k];
                    }
                }
            }
        }
    }
    Some((0..n).map(|i| b[i].iter().map(|v| v / a[i][i]).collect()).collect())
}

/// Tramèr's equation solving: d+1 queries near the data, log(p_k / p_0) is linear
/// in x for a softmax regression, so d+1 equations give every class's weights
/// relative to class 0. `None` when the answers carry no probabilities.
async fn equation_solving(server: &Server, key: &str, model: &str, data: &[Vec<f64>]) -> Option<(usize, Linear)> {
    let mean: Vec<f64> = (0..D).map(|j| data.iter().map(|x| x[j]).sum::<f64>() / data.len() as f64).collect();
    let mut rng = Lcg(5);
    let queries: Vec<Vec<f64>> = (0..=D).map(|_| mean.iter().map(|m| m + (rng.next() - 0.5) * 4.0).collect()).collect();
    let answer = ask(server, key, model, &queries).await;
    let p = answer.probabilities?;
    let a: Vec<Vec<f64>> = queries.iter().map(|x| x.iter().copied().chain([1.0]).collect()).collect();
    let b: Vec<Vec<f64>> = (0..=D)
        .map(|i| (1..CLASSES).map(|k| (p[i * CLASSES + k].max(1e-30) / p[i * CLASSES].max(1e-30)).ln()).collect())
        .collect();
    let x = solve(a, b)?;
    let mut w = vec![[0.0; D + 1]];
    for k in 0..CLASSES - 1 {
        let mut row = [0.0; D + 1];
        for (j, r) in row.iter_mut().enumerate() {
            *r = x[j][k];
        }
        w.push(row);
    }
    Some((queries.len(), Linear { w }))
}

/// Softmax regression trained by gradient descent on (x, label) pairs: what a
/// label-only attacker can do with what it collected.
fn retrain(xs: &[Vec<f64>], ys: &[i64]) -> Linear {
    let targets: Vec<Vec<f64>> =
        ys.iter().map(|&y| (0..CLASSES).map(|k| if k as i64 == y { 1.0 } else { 0.0 }).collect()).collect();
    retrain_soft(xs, &targets)
}

/// The same trained on class probabilities (distillation): what an attacker that
/// gets probabilities can do.
fn retrain_soft(xs: &[Vec<f64>], targets: &[Vec<f64>]) -> Linear {
    let mut w = vec![[0.0; D + 1]; CLASSES];
    for _ in 0..300 {
        let mut grad = vec![[0.0; D + 1]; CLASSES];
        for (x, t) in xs.iter().zip(targets) {
            let scores: Vec<f64> =
                w.iter().map(|r| r[..D].iter().zip(x).map(|(a, b)| a * b / 16.0).sum::<f64>() + r[D]).collect();
            let max = scores.iter().copied().fold(f64::MIN, f64::max);
            let exp: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
            let sum: f64 = exp.iter().sum();
            for k in 0..CLASSES {
                let g = exp[k] / sum - t[k];
                for j in 0..D {
                    grad[k][j] += g * x[j] / 16.0;
                }
                grad[k][D] += g;
            }
        }
        let n = xs.len().max(1) as f64;
        for k in 0..CLASSES {
            for j in 0..=D {
                w[k][j] -= 0.5 * grad[k][j] / n;
            }
        }
    }
    // Scale back: the model saw x / 16.
    for r in &mut w {
        for v in r[..D].iter_mut() {
            *v /= 16.0;
        }
    }
    Linear { w }
}

async fn served_labels(server: &Server, key: &str, model: &str, data: &[Vec<f64>]) -> Vec<i64> {
    let answer = ask(server, key, model, data).await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.labels
}

async fn wait_for_key(server: &Server, key: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.client().get(server.endpoint("/v2")).bearer_auth(key).send().await.unwrap().status() != StatusCode::OK
    {
        assert!(Instant::now() < deadline, "the new key never worked");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One-row queries: seeds from the data, each probed by small steps along one
/// feature at a time, round robin over `keys`. Returns the queries answered 200
/// before the first refusal, and the refusal.
async fn synthetic(
    server: &Server,
    keys: &[String],
    model: &str,
    data: &[Vec<f64>],
    limit: usize,
) -> (usize, Option<StatusCode>) {
    let seeds: Vec<Vec<f64>> = data.iter().take(5).cloned().collect();
    for i in 0..limit {
        let mut row = seeds[i % 5].clone();
        row[(i / 5) % D] += 0.5 * ((i / 320) as f64 + 1.0);
        let answer = ask(server, &keys[i % keys.len()], model, &[row]).await;
        if answer.status != StatusCode::OK {
            return (i, Some(answer.status));
        }
    }
    (limit, None)
}

#[tokio::test]
async fn probabilities_give_a_linear_model_away_and_label_only_does_not() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repository(temp.path(), &[("lr", LR, ""), ("lr_labels", LR, "[output]\nlabel_only = true\n")]);
    let server =
        Server::start_with(Options::args(&["--model-repository", repo.to_str().unwrap(), "--limits-rate", "off"]));
    let key = server.admin_key();
    let data = digits();
    let served = served_labels(&server, &key, "lr", &data).await;
    let (queries, stolen) = equation_solving(&server, &key, "lr", &data).await.expect("probabilities were answered");
    let agreement = fidelity(&stolen, &data, &served);
    assert_eq!(queries, D + 1);
    assert!(agreement > 0.99, "the recovered model agrees on only {agreement}");
    assert!(
        equation_solving(&server, &key, "lr_labels", &data).await.is_none(),
        "label-only answers carry no probabilities"
    );
}

/// A server for the reports: no rate limit (the detectors and budgets are what is
/// measured), and new keys tried until reloaded are not guesses to throttle.
fn attack_server(repo: &Path) -> Server {
    Server::start_with(Options::args(&[
        "--limits-rate",
        "off",
        "--model-repository",
        repo.to_str().unwrap(),
        "--auth-max-failures",
        "100000",
    ]))
}

/// The full report: bench/extraction.sh runs this and prints its lines.
#[tokio::test]
#[ignore]
async fn report() {
    let data = digits();
    let temp = tempfile::tempdir().unwrap();
    let block = "[extraction]\naction = \"block\"\n";
    let repo = repository(
        temp.path(),
        &[
            ("lr", LR, ""),
            (
                "lr_labels",
                LR,
                "[output]\nlabel_only = true\n[extraction]\naction = \"block\"\n[limits]\ndaily_rows = 2000\n",
            ),
            ("mlp", MLP, block),
            ("mlp_prada", MLP, "[extraction]\naction = \"block\"\nsweep_share = 1.0\n"),
            (
                "mlp_spread",
                MLP,
                "[extraction]\naction = \"block\"\n[limits]\nper_address_rate = \"100/h\"\nper_address_burst = 100\n",
            ),
        ],
    );
    let server = attack_server(&repo);
    let admin = server.admin_key();

    // 1. Equation solving with probabilities.
    let served_lr = served_labels(&server, &admin, "lr", &data).await;
    let (queries, stolen) = equation_solving(&server, &admin, "lr", &data).await.unwrap();
    println!(
        "REPORT 1a equation solving, probabilities: {queries} queries, fidelity {:.4}",
        fidelity(&stolen, &data, &served_lr)
    );
    let none = equation_solving(&server, &admin, "lr_labels", &data).await.is_none();
    println!("REPORT 1b equation solving, label only: no probabilities returned ({none}), nothing to solve");

    // 1c. Label-only retraining with random queries, until refused.
    let thief = create_key(&server.state_dir, "thief", &["infer:lr_labels"]);
    wait_for_key(&server, &thief).await;
    let served_labels_lr = served_labels(&server, &admin, "lr_labels", &data).await;
    let mut rng = Lcg(9);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let mut stopped = None;
    let mut trace = Vec::new();
    for i in 0..5000 {
        let x: Vec<f64> = (0..D).map(|_| (rng.next() * 17.0).floor()).collect();
        let answer = ask(&server, &thief, "lr_labels", std::slice::from_ref(&x)).await;
        if answer.status != StatusCode::OK {
            stopped = Some((i, answer.status));
            break;
        }
        xs.push(x);
        ys.push(answer.labels[0]);
        if (i + 1) % 250 == 0 {
            trace.push((i + 1, fidelity(&retrain(&xs, &ys), &data, &served_labels_lr)));
        }
    }
    let final_fidelity = fidelity(&retrain(&xs, &ys), &data, &served_labels_lr);
    let trace: Vec<String> = trace.iter().map(|(n, f)| format!("{n}:{f:.3}")).collect();
    match stopped {
        Some((n, status)) => println!(
            "REPORT 1c label-only retraining (random queries): stopped by {status} after {n} queries, fidelity {final_fidelity:.4} [{}]",
            trace.join(" ")
        ),
        None => println!(
            "REPORT 1c label-only retraining (random queries): not stopped in 5000 queries, fidelity {final_fidelity:.4} [{}]",
            trace.join(" ")
        ),
    }

    // 2. Synthetic queries against the MLP, one identity.
    let attacker = create_key(&server.state_dir, "attacker", &["infer:mlp"]);
    wait_for_key(&server, &attacker).await;
    let (n, status) = synthetic(&server, std::slice::from_ref(&attacker), "mlp", &data, 2000).await;
    let flags = std::fs::read_to_string(server.state_dir.join("flags.json")).unwrap_or_default();
    let by = if flags.contains("\"sweep\"") { "sweep signal" } else { "PRADA" };
    println!("REPORT 2 synthetic queries, one identity: {n} queries answered, then {status:?} (flagged by the {by})");
    let prada_only = create_key(&server.state_dir, "attacker2", &["infer:mlp_prada"]);
    wait_for_key(&server, &prada_only).await;
    let (n, status) = synthetic(&server, &[prada_only], "mlp_prada", &data, 2000).await;
    println!("REPORT 2b the same with the sweep signal off (PRADA alone): {n} queries answered, then {status:?}");

    // 3. The same attack spread over five identities from one address.
    let keys: Vec<String> =
        (0..5).map(|i| create_key(&server.state_dir, &format!("sybil{i}"), &["infer:mlp_spread"])).collect();
    for k in &keys {
        wait_for_key(&server, k).await;
    }
    let (n, status) = synthetic(&server, &keys, "mlp_spread", &data, 2000).await;
    println!("REPORT 3 synthetic queries over 5 identities, one address: {n} queries answered, then {status:?}");

    // 4. Benign: ten clients, each 1,000 real images in its own order, at a normal pace.
    let clients: Vec<String> =
        (0..10).map(|i| create_key(&server.state_dir, &format!("user{i}"), &["infer:mlp"])).collect();
    for k in &clients {
        wait_for_key(&server, k).await;
    }
    let mut refused = 0;
    let mut sent = 0;
    for (c, key) in clients.iter().enumerate() {
        let mut rng = Lcg(100 + c as u64);
        let mut order: Vec<usize> = (0..data.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next() * (i + 1) as f64) as usize);
        }
        for &ix in order.iter().take(1000) {
            sent += 1;
            if ask(&server, key, "mlp", &[data[ix].clone()]).await.status != StatusCode::OK {
                refused += 1;
            }
        }
    }
    let flags = std::fs::read_to_string(server.state_dir.join("flags.json")).unwrap_or_default();
    let flagged = clients.iter().filter(|k| flags.contains(k.split('_').nth(1).unwrap())).count();
    println!(
        "REPORT 4 benign: {sent} queries from {} clients, {refused} refused ({:.2}%), {flagged} clients flagged",
        clients.len(),
        refused as f64 * 100.0 / sent as f64
    );
}

/// Rows held back from the reference sample: the honest clients' traffic.
const SPLIT: usize = 1347;

/// A Knockoff-style query set: real digits from another distribution.
fn knockoff(data: &[Vec<f64>], kind: &str) -> Vec<Vec<f64>> {
    let pixel = |x: &[f64], r: isize, c: isize| -> f64 {
        if (0..8).contains(&r) && (0..8).contains(&c) { x[(r * 8 + c) as usize] } else { 0.0 }
    };
    data.iter()
        .map(|x| match kind {
            "inverted" => x.iter().map(|v| 16.0 - v).collect(),
            "shifted" => (0..64).map(|i| pixel(x, i as isize / 8, i as isize % 8 - 2)).collect(),
            "blurred" => (0..64)
                .map(|i| {
                    let (r, c) = (i as isize / 8, i as isize % 8);
                    let around: Vec<f64> = (-1..=1)
                        .flat_map(|dr| (-1..=1).map(move |dc| (dr, dc)))
                        .map(|(dr, dc)| pixel(x, r + dr, c + dc))
                        .collect();
                    (around.iter().sum::<f64>() / 9.0).round()
                })
                .collect(),
            _ => unreachable!(),
        })
        .collect()
}

/// One attacker, one row a query, until refused or `limit`: the queries answered,
/// and the stolen model's fidelity then, label-only and from probabilities.
async fn steal(
    server: &Server,
    key: &str,
    rows: impl Iterator<Item = Vec<f64>>,
    limit: usize,
    data: &[Vec<f64>],
    served: &[i64],
) -> (Option<usize>, f64, f64) {
    let (mut xs, mut ys, mut ps) = (Vec::new(), Vec::new(), Vec::new());
    let mut flagged = None;
    for (i, x) in rows.take(limit).enumerate() {
        let answer = ask(server, key, "mlp_ref", std::slice::from_ref(&x)).await;
        if answer.status != StatusCode::OK {
            flagged = Some(i);
            break;
        }
        ys.push(answer.labels[0]);
        ps.push(answer.probabilities.unwrap_or_default());
        xs.push(x);
    }
    let label_only = fidelity(&retrain(&xs, &ys), data, served);
    let with_probabilities = fidelity(&retrain_soft(&xs, &ps), data, served);
    (flagged, label_only, with_probabilities)
}

/// The reference-distribution detector's report: bench/extraction.sh runs this.
#[tokio::test]
#[ignore]
async fn reference_report() {
    let data = digits();
    let temp = tempfile::tempdir().unwrap();
    let repo = repository(
        temp.path(),
        // The off-manifold signal alone (PRADA and the sweep signal off), so what is
        // measured is its own: honest clients here repeat digits (10,000 queries
        // from 450 held-back images), which PRADA reads as probing.
        &[(
            "mlp_ref",
            MLP,
            "[extraction]\naction = \"block\"\nreference = \"reference.npy\"\ndelta = 0.0\nsweep_share = 1.0\n",
        )],
    );
    let flat: Vec<f32> = data[..SPLIT].iter().flatten().map(|v| *v as f32).collect();
    std::fs::write(repo.join("mlp_ref/reference.npy"), warden_model::reference::write_npy(SPLIT, D, &flat)).unwrap();
    let server = attack_server(&repo);
    let admin = server.admin_key();
    let served = served_labels(&server, &admin, "mlp_ref", &data).await;
    let calibration = server.stderr_text();
    let line = calibration.lines().find(|l| l.contains("off-manifold reference indexed")).unwrap_or_default();
    println!("REPORT 5 reference: {line}");

    let mean: Vec<f64> = (0..D).map(|j| data.iter().map(|x| x[j]).sum::<f64>() / data.len() as f64).collect();
    let std: Vec<f64> = (0..D)
        .map(|j| (data.iter().map(|x| (x[j] - mean[j]).powi(2)).sum::<f64>() / data.len() as f64).sqrt())
        .collect();
    let held: Vec<Vec<f64>> = data[SPLIT..].to_vec();
    let mut rng = Lcg(21);
    let uniform: Vec<Vec<f64>> = (0..2000).map(|_| (0..D).map(|_| (rng.next() * 17.0).floor()).collect()).collect();
    let gaussian: Vec<Vec<f64>> = (0..2000)
        .map(|_| {
            (0..D)
                .map(|j| {
                    let (u, v) = (rng.next().max(1e-12), rng.next());
                    let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
                    (mean[j] + z * std[j]).clamp(0.0, 16.0)
                })
                .collect()
        })
        .collect();
    let attacks: Vec<(&str, Vec<Vec<f64>>, usize)> = vec![
        ("uniform random in [0, 16]", uniform, 300),
        ("Gaussian around the data mean", gaussian, 300),
        ("Knockoff: inverted digits", knockoff(&held, "inverted"), 1000),
        ("Knockoff: digits shifted 2 px", knockoff(&held, "shifted"), 1000),
        ("Knockoff: blurred digits", knockoff(&held, "blurred"), 1000),
    ];
    for (i, (name, rows, goal)) in attacks.into_iter().enumerate() {
        let key = create_key(&server.state_dir, &format!("thief{i}"), &["infer:mlp_ref"]);
        wait_for_key(&server, &key).await;
        let cycle = rows.iter().cycle().cloned();
        let (flagged, label_only, probs) = steal(&server, &key, cycle, 2000, &data, &served).await;
        let at = flagged.map_or("not flagged in 2000".to_string(), |n| format!("flagged after {n} queries"));
        println!(
            "REPORT 5 {name}: {at} (goal {goal}); stolen model then: fidelity {label_only:.3} label-only, {probs:.3} with probabilities"
        );
    }

    // Honest: ten clients, each 1,000 held-back digits in its own order.
    let clients: Vec<String> =
        (0..10).map(|i| create_key(&server.state_dir, &format!("honest{i}"), &["infer:mlp_ref"])).collect();
    for k in &clients {
        wait_for_key(&server, k).await;
    }
    let (mut sent, mut refused) = (0, 0);
    for (c, key) in clients.iter().enumerate() {
        let mut rng = Lcg(300 + c as u64);
        for _ in 0..1000 {
            let row = held[(rng.next() * held.len() as f64) as usize].clone();
            sent += 1;
            refused += usize::from(ask(&server, key, "mlp_ref", &[row]).await.status != StatusCode::OK);
        }
    }
    let flags = std::fs::read_to_string(server.state_dir.join("flags.json")).unwrap_or_default();
    let flagged = clients.iter().filter(|k| flags.contains(k.split('_').nth(1).unwrap())).count();
    assert!(!flags.contains("\"prada\"") && !flags.contains("\"sweep\""), "{flags}");
    println!(
        "REPORT 5 honest: {sent} held-back digits from {} clients, {refused} refused, {flagged} clients flagged",
        clients.len()
    );
}
