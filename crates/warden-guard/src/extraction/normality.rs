//! The Shapiro–Wilk W statistic, as PRADA uses it: W near 1 when a sample looks
//! normally distributed, lower when it does not. The coefficients follow
//! Royston's approximation (Applied Statistics algorithm AS R94, 1995), which
//! holds for 3 <= n <= 5000; only W is needed (PRADA compares W itself against a
//! threshold), so no p-value is computed.

/// W for `sample` (any order), or `None` for fewer than 3 values or no spread.
pub fn shapiro_wilk(sample: &[f64]) -> Option<f64> {
    let n = sample.len();
    if !(3..=5000).contains(&n) {
        return None;
    }
    let mut x = sample.to_vec();
    x.sort_by(f64::total_cmp);
    let mean = x.iter().sum::<f64>() / n as f64;
    let ss: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
    if ss <= f64::EPSILON * mean.abs().max(1.0) {
        return None;
    }
    let a = coefficients(n);
    let numerator: f64 = a.iter().zip(&x).map(|(a, x)| a * x).sum::<f64>().powi(2);
    Some((numerator / ss).min(1.0))
}

/// The weights a_1..a_n (antisymmetric: a_i = -a_{n+1-i}).
fn coefficients(n: usize) -> Vec<f64> {
    if n == 3 {
        let s = std::f64::consts::FRAC_1_SQRT_2;
        return vec![-s, 0.0, s];
    }
    let nf = n as f64;
    let m: Vec<f64> = (1..=n).map(|i| inverse_normal((i as f64 - 0.375) / (nf + 0.25))).collect();
    let mm: f64 = m.iter().map(|v| v * v).sum();
    let u = 1.0 / nf.sqrt();
    let poly = |c: [f64; 6]| c[0] + u * (c[1] + u * (c[2] + u * (c[3] + u * (c[4] + u * c[5]))));
    let an = poly([m[n - 1] / mm.sqrt(), 0.221157, -0.147981, -2.071190, 4.434685, -2.706056]);
    let mut a = vec![0.0; n];
    if n > 5 {
        let an1 = poly([m[n - 2] / mm.sqrt(), 0.042981, -0.293762, -1.752461, 5.682633, -3.582633]);
        let phi = (mm - 2.0 * m[n - 1].powi(2) - 2.0 * m[n - 2].powi(2)) / (1.0 - 2.0 * an.powi(2) - 2.0 * an1.powi(2));
        for i in 2..n - 2 {
            a[i] = m[i] / phi.sqrt();
        }
        a[n - 2] = an1;
        a[1] = -an1;
    } else {
        let phi = (mm - 2.0 * m[n - 1].powi(2)) / (1.0 - 2.0 * an.powi(2));
        for i in 1..n - 1 {
            a[i] = m[i] / phi.sqrt();
        }
    }
    a[n - 1] = an;
    a[0] = -an;
    a
}

/// The standard normal quantile (Acklam's rational approximation, relative error
/// below 1.2e-9), for 0 < p < 1.
fn inverse_normal(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.38357751867269e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
    let low = 0.02425;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -inverse_normal(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        assert!((inverse_normal(0.5)).abs() < 1e-12);
        assert!((inverse_normal(0.975) - 1.959963984540054).abs() < 1e-8);
        assert!((inverse_normal(0.01) + 2.326347874040841).abs() < 1e-8);
    }

    #[test]
    fn too_few_or_constant_values_have_no_w() {
        assert_eq!(shapiro_wilk(&[1.0, 2.0]), None);
        assert_eq!(shapiro_wilk(&[3.0; 10]), None);
    }
}
