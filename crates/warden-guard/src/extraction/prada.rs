//! PRADA (Juuti et al., "PRADA: Protecting against DNN Model Stealing Attacks",
//! EuroS&P 2019), per client and model. Benign clients send natural inputs, whose
//! distances to the nearest earlier input of the same predicted class are roughly
//! normally distributed; synthetic extraction queries (perturbations of a few
//! seeds, random probes) are not. The detector keeps a growing set of inputs per
//! class, records each new input's distance to that set, and every 10 queries
//! tests the distances with Shapiro–Wilk: W below `delta` flags an attack.
//!
//! Memory is bounded: at most `max_points` stored inputs per client and model
//! (the oldest go first) and at most `max_distances` distances.

use std::collections::{HashMap, VecDeque};

use super::normality::shapiro_wilk;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PradaConfig {
    /// W below this flags an attack (the paper tunes 0.9 to 0.96).
    pub delta: f64,
    /// Distances needed before the first test.
    pub min_queries: usize,
    pub max_points: usize,
    pub max_distances: usize,
}

impl Default for PradaConfig {
    fn default() -> Self {
        PradaConfig { delta: 0.9, min_queries: 100, max_points: 2048, max_distances: 2048 }
    }
}

/// What the detector concluded after a query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// Too few distances to judge yet.
    Learning,
    /// The last test's W; at or above delta.
    Benign { w: f64 },
    /// The last test's W; below delta.
    Attack { w: f64 },
}

#[derive(Default)]
struct Class {
    points: Vec<Vec<f32>>,
    /// Distances at which points joined the growing set.
    joined: Vec<f64>,
    threshold: f64,
}

pub struct Prada {
    config: PradaConfig,
    classes: HashMap<i64, Class>,
    /// Order in which points were stored, for eviction: (class, index at insert).
    order: VecDeque<i64>,
    stored: usize,
    distances: VecDeque<f64>,
    queries: u64,
    verdict: Verdict,
}

impl Prada {
    pub fn new(config: PradaConfig) -> Prada {
        Prada {
            config,
            classes: HashMap::new(),
            order: VecDeque::new(),
            stored: 0,
            distances: VecDeque::new(),
            queries: 0,
            verdict: Verdict::Learning,
        }
    }

    pub fn queries(&self) -> u64 {
        self.queries
    }

    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Observes one query `x` whose predicted class is `class`.
    pub fn observe(&mut self, x: &[f32], class: i64) -> Verdict {
        self.queries += 1;
        let config = self.config;
        let class_set = self.classes.entry(class).or_default();
        if class_set.points.is_empty() {
            class_set.points.push(x.to_vec());
            class_set.joined.push(0.0);
            self.remember(class);
            return self.verdict;
        }
        let d = class_set.points.iter().map(|p| distance(p, x)).fold(f64::INFINITY, f64::min);
        self.distances.push_back(d);
        if self.distances.len() > config.max_distances {
            self.distances.pop_front();
        }
        let class_set = self.classes.get_mut(&class).expect("just used");
        if d > class_set.threshold {
            class_set.points.push(x.to_vec());
            class_set.joined.push(d);
            let (mean, std) = mean_std(&class_set.joined);
            class_set.threshold = class_set.threshold.max(mean - std);
            self.remember(class);
        }
        if self.distances.len() > config.min_queries && self.queries.is_multiple_of(10) {
            self.verdict = self.test();
        }
        self.verdict
    }

    /// Shapiro–Wilk on the distances without outliers (3 standard deviations).
    fn test(&self) -> Verdict {
        let all: Vec<f64> = self.distances.iter().copied().collect();
        let (mean, std) = mean_std(&all);
        let kept: Vec<f64> = all.into_iter().filter(|d| (d - mean).abs() < 3.0 * std || std == 0.0).collect();
        match shapiro_wilk(&kept) {
            Some(w) if w < self.config.delta => Verdict::Attack { w },
            Some(w) => Verdict::Benign { w },
            // No spread at all (one input sent again and again) teaches an attacker
            // nothing new; the reference implementation (scipy) calls it W = 1.
            None => Verdict::Benign { w: 1.0 },
        }
    }

    fn remember(&mut self, class: i64) {
        self.order.push_back(class);
        self.stored += 1;
        while self.stored > self.config.max_points {
            let Some(oldest) = self.order.pop_front() else { break };
            if let Some(c) = self.classes.get_mut(&oldest)
                && !c.points.is_empty()
            {
                c.points.remove(0);
                c.joined.remove(0);
            }
            self.stored -= 1;
        }
    }

    /// Bytes held, roughly: for the memory bound in reports and tests.
    pub fn approximate_bytes(&self) -> usize {
        let points: usize =
            self.classes.values().map(|c| c.points.iter().map(|p| p.len() * 4 + 24).sum::<usize>()).sum();
        points + self.distances.len() * 8 + self.order.len() * 8
    }
}

fn distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum::<f64>().sqrt()
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, so the tests need no dependency.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
        }
        fn normal(&mut self) -> f64 {
            let (u, v) = (self.next().max(1e-12), self.next());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        }
    }

    #[test]
    fn natural_inputs_are_benign() {
        // Inputs scattered around ten class centres, as natural data is.
        let mut rng = Lcg(7);
        let centres: Vec<Vec<f64>> = (0..10).map(|_| (0..16).map(|_| rng.next() * 10.0).collect()).collect();
        let mut prada = Prada::new(PradaConfig::default());
        let mut last = Verdict::Learning;
        for i in 0..1000 {
            let c = i % 10;
            let x: Vec<f32> = centres[c].iter().map(|m| (m + rng.normal()) as f32).collect();
            last = prada.observe(&x, c as i64);
        }
        assert!(matches!(last, Verdict::Benign { .. }), "{last:?}");
    }

    #[test]
    fn seed_perturbation_queries_are_flagged() {
        // An extraction run: a few seeds, each probed with tiny steps along one axis.
        let mut rng = Lcg(11);
        let seeds: Vec<Vec<f64>> = (0..5).map(|_| (0..16).map(|_| rng.next() * 10.0).collect()).collect();
        let mut prada = Prada::new(PradaConfig::default());
        let mut flagged_at = None;
        for i in 0..1000u64 {
            let s = &seeds[(i % 5) as usize];
            let mut x: Vec<f32> = s.iter().map(|v| *v as f32).collect();
            let axis = (i / 5) as usize % 16;
            x[axis] += 0.01 * ((i / 80) as f32 + 1.0);
            if let Verdict::Attack { .. } = prada.observe(&x, (i % 5) as i64) {
                flagged_at.get_or_insert(i + 1);
            }
        }
        let at = flagged_at.expect("the attack was not flagged");
        assert!(at <= 300, "flagged only after {at} queries");
    }

    #[test]
    fn memory_stays_bounded() {
        let config = PradaConfig { max_points: 100, max_distances: 200, ..PradaConfig::default() };
        let mut prada = Prada::new(config);
        let mut rng = Lcg(3);
        for i in 0..5000 {
            let x: Vec<f32> = (0..64).map(|_| (rng.next() * 16.0) as f32).collect();
            prada.observe(&x, i % 10);
        }
        assert!(prada.stored <= 100);
        assert!(prada.distances.len() <= 200);
        assert!(prada.approximate_bytes() < 100 * (64 * 4 + 24) + 200 * 8 + 100 * 8 + 1);
    }
}
