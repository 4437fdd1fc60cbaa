//! Cost of the off-manifold signal: building the index and calibrating it (once per
//! model), and judging one query row (every row), at 64 features, on one core.
//! Three references: the scikit-learn digits (1,347 real images; 450 held back as
//! honest queries); 10,000 rows on an 8-dimensional manifold in 64 features (a
//! linear map of 8 latent normals, plus noise: real data lies near a
//! low-dimensional manifold, which is what lets a tree prune); and 10,000 i.i.d.
//! Gaussian rows (no structure at all: the worst case for any tree). Queries:
//! fresh rows from the same distribution (honest, mostly near) and uniform probes
//! within the bounds (attack, far).
//!
//!   cargo run --release -p warden-guard --example manifold_bench

use std::time::Instant;

use warden_guard::extraction::Reference;

const D: usize = 64;

struct Lcg(u64);
impl Lcg {
    fn uniform(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 + 0.5) / ((1u64 << 24) as f32)
    }
    fn normal(&mut self) -> f32 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

fn digits() -> Vec<Vec<f32>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../warden/tests/fixtures/digits_samples.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::from_value(v["X"].clone()).unwrap()
}

/// Microseconds per row, judging `rows` one at a time; and the share found far.
fn per_row(reference: &Reference, rows: &[Vec<f32>]) -> (f64, f64) {
    let started = Instant::now();
    let far = rows.iter().filter(|x| reference.is_far(x)).count();
    (started.elapsed().as_secs_f64() * 1e6 / rows.len() as f64, far as f64 / rows.len() as f64)
}

fn report(name: &str, data: &[f32], honest: &[Vec<f32>], probes: &[Vec<f32>]) {
    let started = Instant::now();
    let reference = Reference::build(data, D, 0.99, 100, 100_000).unwrap();
    let build = started.elapsed().as_secs_f64();
    let (near_us, near_far) = per_row(&reference, honest);
    let (probe_us, probe_far) = per_row(&reference, probes);
    println!(
        "| {name} | {} | {build:.2} s | {:.1} MiB | {near_us:.1} µs ({:.1}% far) | {probe_us:.1} µs ({:.1}% far) | {} of {} |",
        reference.rows(),
        reference.memory_bytes() as f64 / (1 << 20) as f64,
        near_far * 100.0,
        probe_far * 100.0,
        reference.flag_at,
        reference.window,
    );
}

fn main() {
    let mut rng = Lcg(42);
    let real = digits();
    let (train, held) = real.split_at(1347);
    let flat: Vec<f32> = train.iter().flatten().copied().collect();
    let probes: Vec<Vec<f32>> = (0..5000).map(|_| (0..D).map(|_| (rng.uniform() * 17.0).floor()).collect()).collect();
    println!("| reference | rows | build + calibrate | memory | honest row | uniform probe | flag at |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let honest: Vec<Vec<f32>> = held.iter().cycle().take(5000).cloned().collect();
    report("digits (real)", &flat, &honest, &probes);

    // An 8-dimensional manifold in 64 features.
    let map: Vec<f32> = (0..8 * D).map(|_| rng.normal()).collect();
    let manifold_row = |rng: &mut Lcg| -> Vec<f32> {
        let z: Vec<f32> = (0..8).map(|_| rng.normal()).collect();
        (0..D).map(|j| (0..8).map(|k| z[k] * map[k * D + j]).sum::<f32>() + 0.1 * rng.normal()).collect()
    };
    let manifold: Vec<f32> = (0..10_000).flat_map(|_| manifold_row(&mut rng)).collect();
    let manifold_honest: Vec<Vec<f32>> = (0..5000).map(|_| manifold_row(&mut rng)).collect();
    let manifold_probes: Vec<Vec<f32>> =
        (0..5000).map(|_| (0..D).map(|_| (rng.uniform() - 0.5) * 16.0).collect()).collect();
    report("8-dim manifold in 64", &manifold, &manifold_honest, &manifold_probes);

    let gauss: Vec<f32> = (0..10_000 * D).map(|_| rng.normal()).collect();
    let gauss_honest: Vec<Vec<f32>> = (0..5000).map(|_| (0..D).map(|_| rng.normal()).collect()).collect();
    let gauss_probes: Vec<Vec<f32>> =
        (0..5000).map(|_| (0..D).map(|_| (rng.uniform() - 0.5) * 8.0).collect()).collect();
    report("Gaussian, 64-dim (worst case)", &gauss, &gauss_honest, &gauss_probes);
}
