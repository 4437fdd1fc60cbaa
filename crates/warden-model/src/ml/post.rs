//! The score transforms of the ai.onnx.ml operators (`post_transform`), computed as
//! onnxruntime computes them, in f32, so Warden's answers match the reference
//! runtime the models were validated with.

use tract_onnx::tract_hir::internal::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostTransform {
    None,
    Logistic,
    Softmax,
    SoftmaxZero,
    Probit,
}

impl PostTransform {
    pub fn parse(name: Option<&str>) -> TractResult<PostTransform> {
        Ok(match name.unwrap_or("NONE") {
            "NONE" => PostTransform::None,
            "LOGISTIC" => PostTransform::Logistic,
            "SOFTMAX" => PostTransform::Softmax,
            "SOFTMAX_ZERO" => PostTransform::SoftmaxZero,
            "PROBIT" => PostTransform::Probit,
            other => bail!("unknown post_transform '{other}'"),
        })
    }

    /// Transforms one row of two or more scores in place.
    pub fn apply(self, scores: &mut [f32]) {
        match self {
            PostTransform::None => {}
            PostTransform::Logistic => scores.iter_mut().for_each(|s| *s = logistic(*s)),
            PostTransform::Probit => scores.iter_mut().for_each(|s| *s = probit(*s)),
            PostTransform::Softmax => softmax(scores),
            PostTransform::SoftmaxZero => softmax_zero(scores),
        }
    }
}

/// 1 / (1 + e^-x), computed on |x| so it never overflows.
pub fn logistic(x: f32) -> f32 {
    let v = 1.0 / (1.0 + (-x.abs()).exp());
    if x < 0.0 { 1.0 - v } else { v }
}

/// sqrt(2) * erfinv(2x - 1), with the same erfinv approximation onnxruntime uses.
pub fn probit(x: f32) -> f32 {
    std::f32::consts::SQRT_2 * erf_inv(2.0 * x - 1.0)
}

fn erf_inv(x: f32) -> f32 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = (1.0 - x) * (1.0 + x);
    let ln = x.ln();
    let v = 2.0 / (std::f32::consts::PI * 0.147) + 0.5 * ln;
    let v2 = 1.0 / 0.147 * ln;
    let v3 = -v + (v * v - v2).sqrt();
    sign * v3.sqrt()
}

pub fn softmax(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(-f32::MAX, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    scores.iter_mut().for_each(|s| *s /= sum);
}

/// Softmax that leaves zero scores at (almost) zero: exp(0) is not zero, and a
/// class no tree voted for should not get probability from it.
pub fn softmax_zero(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(-f32::MAX, f32::max);
    let exp_neg_max = (-max).exp();
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        if *s > 0.000_000_1 || *s < -0.000_000_1 {
            *s = (*s - max).exp();
            sum += *s;
        } else {
            *s *= exp_neg_max;
        }
    }
    scores.iter_mut().for_each(|s| *s /= sum);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_is_symmetric_and_saturates() {
        assert!((logistic(0.0) - 0.5).abs() < 1e-7);
        assert!((logistic(2.0) + logistic(-2.0) - 1.0).abs() < 1e-6);
        assert_eq!(logistic(1000.0), 1.0);
        assert_eq!(logistic(-1000.0), 0.0);
    }

    #[test]
    fn probit_inverts_the_normal_cdf() {
        assert!(probit(0.5).abs() < 1e-6);
        // Phi(1.96) = 0.975; the approximation is good to about 1e-3.
        assert!((probit(0.975) - 1.96).abs() < 5e-3);
    }

    #[test]
    fn softmax_sums_to_one_and_softmax_zero_keeps_zeros() {
        let mut s = [1.0, 2.0, 3.0];
        softmax(&mut s);
        assert!((s.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(s[2] > s[1] && s[1] > s[0]);
        let mut z = [0.0, 2.0, 3.0];
        softmax_zero(&mut z);
        assert_eq!(z[0], 0.0);
        assert!((z[1] + z[2] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn unknown_transform_is_an_error() {
        assert!(PostTransform::parse(Some("CUBE")).is_err());
        assert_eq!(PostTransform::parse(None).unwrap(), PostTransform::None);
    }
}
