//! Cost of one PRADA observation at 64-dimensional inputs as the stored set
//! grows, including the Shapiro–Wilk test every 10 queries.
//!
//!   cargo run --release -p warden-guard --example prada_bench

use std::time::Instant;

use warden_guard::extraction::{Prada, PradaConfig};

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32) / ((1u64 << 24) as f32)
    }
}

fn main() {
    println!("{:>14} {:>14} {:>16} {:>14}", "stored points", "distances", "µs per query", "memory (KiB)");
    for target in [256usize, 1024, 2048, 4096] {
        let config = PradaConfig { max_points: target, max_distances: 4096, ..PradaConfig::default() };
        let mut prada = Prada::new(config);
        let mut rng = Lcg(1);
        // Spread-out inputs (every one joins its class's growing set) over 10 classes.
        let mut fill = 0u64;
        while prada.approximate_bytes() < target * (64 * 4 + 24) && fill < 200_000 {
            let x: Vec<f32> = (0..64).map(|_| rng.next() * 16.0).collect();
            prada.observe(&x, (fill % 10) as i64);
            fill += 1;
        }
        let rounds = 5000;
        let queries: Vec<Vec<f32>> = (0..rounds).map(|_| (0..64).map(|_| rng.next() * 16.0).collect()).collect();
        let started = Instant::now();
        for (i, x) in queries.iter().enumerate() {
            prada.observe(x, (i % 10) as i64);
        }
        let per = started.elapsed().as_secs_f64() * 1e6 / rounds as f64;
        println!("{:>14} {:>14} {:>16.1} {:>14}", target, 4096, per, prada.approximate_bytes() / 1024);
    }
}
