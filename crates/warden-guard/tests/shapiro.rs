//! Warden's Shapiro–Wilk W against scipy's, on samples of several shapes and
//! sizes (tests/fixtures/shapiro.json, from scripts/make_shapiro_vectors.py).

use serde_json::Value;
use warden_guard::extraction::shapiro_wilk;

#[test]
fn w_matches_scipy() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/shapiro.json")).unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let mut worst = 0.0f64;
    for case in fixture["cases"].as_array().unwrap() {
        let x: Vec<f64> = serde_json::from_value(case["x"].clone()).unwrap();
        let expected = case["w"].as_f64().unwrap();
        let w = shapiro_wilk(&x).unwrap();
        let diff = (w - expected).abs();
        worst = worst.max(diff);
        assert!(diff < 1e-7, "{} n={}: W {w} but scipy says {expected}", case["shape"], case["n"]);
    }
    eprintln!("largest difference from scipy: {worst:e}");
    assert!(worst < 1e-7);
}
