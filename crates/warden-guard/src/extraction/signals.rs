//! Simple signals beside PRADA, for what it misses:
//! - a coverage sweep: most queries are near-duplicates of a recent one, differing
//!   in one or two features (a feature-by-feature probe of the decision surface);
//! - out-of-range inputs: a high share of queries with a feature outside the
//!   bounds the model was trained on (random probing of the input space);
//! - volume: a client suddenly sending far more than its own baseline;
//! - off the manifold: many queries far from every row of a reference sample of
//!   real inputs (uniform probing, Knockoff-style queries from another
//!   distribution; see `manifold`).
//!
//! Each is a fixed-size state per client and model, cheap per query.

use std::collections::VecDeque;

#[derive(Clone, Debug, PartialEq)]
pub struct SignalConfig {
    /// Per-feature (or one for all) bounds of the training data; no range check without them.
    pub min: Option<Vec<f32>>,
    pub max: Option<Vec<f32>>,
    /// Share of recent queries out of range above which it flags (1.0: never).
    pub out_of_range_share: f64,
    /// Share of recent queries that are sweep steps above which it flags (1.0: never).
    pub sweep_share: f64,
    /// This many times the client's own per-minute baseline flags...
    pub volume_factor: f64,
    /// ...when at least this many queries came in the minute.
    pub volume_floor: u64,
    /// Queries looked back on; also the minimum before a share is judged.
    pub window: usize,
    /// The model's reference sample, indexed and calibrated (its own window).
    pub reference: Option<std::sync::Arc<super::manifold::Reference>>,
}

impl Default for SignalConfig {
    fn default() -> Self {
        SignalConfig {
            min: None,
            max: None,
            out_of_range_share: 0.2,
            sweep_share: 0.5,
            volume_factor: 10.0,
            volume_floor: 600,
            window: 100,
            reference: None,
        }
    }
}

/// A signal that fired, and the value that made it fire.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Signal {
    Sweep { share: f64 },
    OutOfRange { share: f64 },
    Volume { per_minute: u64, baseline: f64 },
    OffManifold { share: f64 },
}

impl Signal {
    pub fn name(&self) -> &'static str {
        match self {
            Signal::Sweep { .. } => "sweep",
            Signal::OutOfRange { .. } => "out_of_range",
            Signal::Volume { .. } => "volume",
            Signal::OffManifold { .. } => "off_manifold",
        }
    }
}

/// Recent inputs compared against for sweeps.
const RECENT: usize = 8;
/// Minutes of history before the volume baseline counts.
const BASELINE_MINUTES: u32 = 10;

pub struct Signals {
    config: SignalConfig,
    recent: VecDeque<Vec<f32>>,
    sweep_steps: VecDeque<bool>,
    out_of_range: VecDeque<bool>,
    minute: u64,
    this_minute: u64,
    baseline: f64,
    minutes_seen: u32,
    manifold: super::manifold::ManifoldWindow,
}

impl Signals {
    pub fn new(config: SignalConfig) -> Signals {
        Signals {
            config,
            recent: VecDeque::with_capacity(RECENT),
            sweep_steps: VecDeque::new(),
            out_of_range: VecDeque::new(),
            minute: 0,
            this_minute: 0,
            baseline: 0.0,
            minutes_seen: 0,
            manifold: Default::default(),
        }
    }

    /// Observes one query at `minute` (minutes since any fixed start).
    pub fn observe(&mut self, x: &[f32], minute: u64) -> Option<Signal> {
        let window = self.config.window;
        let step = self.recent.iter().any(|r| differing(r, x) <= 2);
        push(&mut self.sweep_steps, step, window);
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(x.to_vec());
        let outside = self.outside(x);
        if let Some(outside) = outside {
            push(&mut self.out_of_range, outside, window);
        }
        let volume = self.count(minute);
        if let Some(reference) = &self.config.reference
            && let Some(share) = self.manifold.observe(reference, x)
        {
            return Some(Signal::OffManifold { share });
        }
        if self.sweep_steps.len() >= window {
            let share = share(&self.sweep_steps);
            if share > self.config.sweep_share {
                return Some(Signal::Sweep { share });
            }
        }
        if self.out_of_range.len() >= window {
            let share = share(&self.out_of_range);
            if share > self.config.out_of_range_share {
                return Some(Signal::OutOfRange { share });
            }
        }
        volume
    }

    fn outside(&self, x: &[f32]) -> Option<bool> {
        let bound = |b: &Option<Vec<f32>>, i: usize| {
            b.as_ref().and_then(|v| if v.len() == 1 { v.first() } else { v.get(i) }).copied()
        };
        if self.config.min.is_none() && self.config.max.is_none() {
            return None;
        }
        Some(x.iter().enumerate().any(|(i, v)| {
            bound(&self.config.min, i).is_some_and(|lo| *v < lo) || bound(&self.config.max, i).is_some_and(|hi| *v > hi)
        }))
    }

    /// Counts the query in its minute; when a minute closes, compares it with the
    /// baseline (an exponentially weighted mean of earlier minutes).
    fn count(&mut self, minute: u64) -> Option<Signal> {
        if minute <= self.minute {
            self.this_minute += 1;
            return self.judge();
        }
        // Minutes with no queries pull the baseline down too.
        let gap = (minute - self.minute).min(60);
        for i in 0..gap {
            let n = if i == 0 { self.this_minute } else { 0 };
            self.baseline = if self.minutes_seen == 0 { n as f64 } else { 0.8 * self.baseline + 0.2 * n as f64 };
            self.minutes_seen = self.minutes_seen.saturating_add(1);
        }
        self.minute = minute;
        self.this_minute = 1;
        None
    }

    fn judge(&self) -> Option<Signal> {
        let c = &self.config;
        let loud =
            self.this_minute >= c.volume_floor && self.this_minute as f64 > c.volume_factor * self.baseline.max(1.0);
        (self.minutes_seen >= BASELINE_MINUTES && loud)
            .then_some(Signal::Volume { per_minute: self.this_minute, baseline: self.baseline })
    }
}

fn differing(a: &[f32], b: &[f32]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count()
}

fn push(v: &mut VecDeque<bool>, value: bool, cap: usize) {
    if v.len() == cap {
        v.pop_front();
    }
    v.push_back(value);
}

fn share(v: &VecDeque<bool>) -> f64 {
    v.iter().filter(|b| **b).count() as f64 / v.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..64)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 40) % 17) as f32
            })
            .collect()
    }

    #[test]
    fn a_feature_by_feature_sweep_is_caught_and_distinct_inputs_are_not() {
        let mut sweep = Signals::new(SignalConfig::default());
        let base = image(1);
        let fired = (0..200).find_map(|i| {
            let mut x = base.clone();
            x[i % 64] += 1.0 + (i / 64) as f32;
            sweep.observe(&x, 0)
        });
        assert!(matches!(fired, Some(Signal::Sweep { .. })), "{fired:?}");
        let mut natural = Signals::new(SignalConfig::default());
        assert!((0..500).all(|i| natural.observe(&image(i + 10), 0).is_none()));
    }

    #[test]
    fn inputs_outside_the_training_range_are_caught() {
        let config = SignalConfig { min: Some(vec![0.0]), max: Some(vec![16.0]), ..SignalConfig::default() };
        let mut probe = Signals::new(config.clone());
        let fired = (0..300).find_map(|i| {
            let mut x = image(i + 100);
            if i % 3 == 0 {
                x[5] = 40.0;
            }
            probe.observe(&x, 0)
        });
        assert!(matches!(fired, Some(Signal::OutOfRange { share }) if share >= 0.2), "{fired:?}");
        let mut inside = Signals::new(config);
        assert!((0..500).all(|i| inside.observe(&image(i + 1000), 0).is_none()));
    }

    #[test]
    fn a_client_far_above_its_own_baseline_is_caught() {
        let mut s = Signals::new(SignalConfig::default());
        let mut seed = 5000;
        // Twenty quiet minutes of 50 queries each, then a loud one.
        for minute in 0..20 {
            for _ in 0..50 {
                seed += 1;
                assert!(s.observe(&image(seed), minute).is_none());
            }
        }
        let fired = (0..2000).find_map(|_| {
            seed += 1;
            s.observe(&image(seed), 20)
        });
        assert!(matches!(fired, Some(Signal::Volume { per_minute, .. }) if per_minute >= 600), "{fired:?}");
    }

    #[test]
    fn a_steady_heavy_client_is_its_own_baseline() {
        let mut s = Signals::new(SignalConfig::default());
        let mut seed = 9000;
        for minute in 0..30 {
            for _ in 0..1000 {
                seed += 1;
                assert!(s.observe(&image(seed), minute).is_none(), "minute {minute}");
            }
        }
    }
}
