//! Turning the trees' summed votes into outputs, rule for rule as onnxruntime's
//! tree aggregators do, including its binary-classifier conventions (one weight
//! column for two classes, base values, which score decides the label). These
//! rules are where a model can load, give the right probabilities and still answer
//! the wrong label, so each is written out and tested against onnxruntime.

use super::forest::Real;
use super::spec::Aggregate;
use crate::ml::post::{PostTransform, logistic, probit};

/// A classifier's finishing rules.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassRules {
    pub n_classes: usize,
    pub base_values: Vec<f64>,
    pub post: PostTransform,
    /// Two classes and every weight for one class id: the trees give one score,
    /// and the second class's is derived from it.
    pub binary: bool,
    pub weights_positive: bool,
}

/// How a one-score binary answer becomes two scores (onnxruntime's
/// `add_second_class`).
#[derive(Clone, Copy, PartialEq)]
enum Second {
    None,
    /// All weights positive: the score is a probability, the other is 1 - p.
    Complement,
    /// Mixed-sign weights: the score is a margin, the other is its negation.
    Negate,
}

impl ClassRules {
    /// Finishes one row: writes `z` (n_classes probabilities or scores) and
    /// returns the index of the chosen label.
    pub fn finish<T: Real>(&self, s: &mut [T], h: &mut [bool], z: &mut [f32]) -> usize {
        if self.n_classes > 2 {
            return self.finish_multi(s, h, z);
        }
        let base: Vec<T> = self.base_values.iter().map(|&b| T::from_f64(b)).collect();
        let mut second = Second::None;
        let mut len = 2;
        match base.len() {
            2 if h[1] => {
                s[1] = base[1] + s[0];
                s[0] = -s[1];
            }
            2 => {
                s[1] = s[1] + base[1];
                s[0] = s[0] + base[0];
            }
            1 => {
                s[0] = s[0] + base[0];
                if !h[1] {
                    len = 1;
                }
            }
            0 => {
                second = Second::Negate;
                if !h[1] {
                    len = 1;
                }
            }
            _ => {}
        }
        let pos = if len == 2 && h[1] {
            s[1]
        } else if h[0] {
            s[0]
        } else {
            T::ZERO
        };
        let label = if self.binary {
            let (threshold, kind) =
                if self.weights_positive { (0.5, Second::Complement) } else { (0.0, Second::Negate) };
            second = kind;
            usize::from(pos.to_f64() > threshold)
        } else {
            usize::from(pos > T::ZERO)
        };
        let value = |j: usize| if h[j] { s[j].to_f32() } else { 0.0 };
        if len == 2 {
            z[0] = value(0);
            z[1] = value(1);
            self.post.apply(z);
            return label;
        }
        let v = value(0);
        (z[0], z[1]) = match (self.post, second) {
            (PostTransform::Probit, _) => (probit(v), 0.0),
            (_, Second::Complement) => (1.0 - v, v),
            (PostTransform::Logistic, Second::Negate) => (logistic(-v), logistic(v)),
            (_, Second::Negate) => (-v, v),
            (_, Second::None) => (v, 0.0),
        };
        label
    }

    fn finish_multi<T: Real>(&self, s: &mut [T], h: &mut [bool], z: &mut [f32]) -> usize {
        for (j, &b) in self.base_values.iter().enumerate().take(self.n_classes) {
            let b = T::from_f64(b);
            s[j] = if h[j] { s[j] + b } else { b };
            h[j] = true;
        }
        let mut best: Option<usize> = None;
        for j in 0..self.n_classes {
            if h[j] && best.is_none_or(|b| s[j] > s[b]) {
                best = Some(j);
            }
        }
        for j in 0..self.n_classes {
            z[j] = if h[j] { s[j].to_f32() } else { 0.0 };
        }
        self.post.apply(z);
        best.unwrap_or(0)
    }
}

/// A regressor's finishing rules.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetRules {
    pub n_targets: usize,
    pub n_trees: usize,
    pub aggregate: Aggregate,
    pub base_values: Vec<f64>,
    pub post: PostTransform,
}

impl TargetRules {
    /// Finishes one row into `z` (n_targets values).
    pub fn finish<T: Real>(&self, s: &[T], h: &[bool], z: &mut [f32]) {
        if self.n_targets == 1 {
            let origin = if self.base_values.len() == 1 { T::from_f64(self.base_values[0]) } else { T::ZERO };
            let v = match self.aggregate {
                Aggregate::Sum => s[0] + origin,
                Aggregate::Average => s[0].div_usize(self.n_trees) + origin,
                Aggregate::Min | Aggregate::Max if h[0] => s[0] + origin,
                Aggregate::Min | Aggregate::Max => origin,
            };
            // Single-target ensembles only know PROBIT, as in onnxruntime.
            z[0] = if self.post == PostTransform::Probit { probit(v.to_f32()) } else { v.to_f32() };
            return;
        }
        let use_base = self.base_values.len() == self.n_targets;
        for j in 0..self.n_targets {
            let mut v = if self.aggregate == Aggregate::Average { s[j].div_usize(self.n_trees) } else { s[j] };
            if use_base {
                v = v + T::from_f64(self.base_values[j]);
            }
            // A target no tree voted for stays 0, base value or not (onnxruntime).
            z[j] = if h[j] { v.to_f32() } else { 0.0 };
        }
        self.post.apply(z);
    }
}
