//! SVMClassifier and SVMRegressor, computed as onnxruntime computes them: inputs cast
//! to f32, kernels in f32 (dot products accumulated with fused multiply-adds, as its
//! GEMM does), the pairwise decision values of a classifier summed in f64 from f32
//! products. Its behaviour, reproduced:
//! - without support vectors the model is linear: `x . coefficients[c] + rho[0]` per
//!   class, the same `rho[0]` for every class, with the LINEAR kernel whatever
//!   `kernel_type` says; with two classes the label is the second one when the top
//!   score is >= 0.5 (all coefficients >= 0) or > 0 (some negative), else the top one;
//! - with support vectors, each pair of classes (i, j) votes for i when its decision
//!   value is > 0, else for j, and the label is the first class with most votes, with
//!   or without probabilities;
//! - scores are the pairwise decision values (`[-d, d]` for two classes with no post
//!   transform, `[1 - p, p]` with LOGISTIC where `p = logistic(d)`, `[1 - d, d]` with
//!   SOFTMAX or SOFTMAX_ZERO), or with prob_a/prob_b the class probabilities
//!   from libsvm's pairwise coupling (`multiclass_probability`), then the post
//!   transform (over a single score only PROBIT applies);
//! - SVMRegressor ignores `post_transform`, and `one_class` turns the value into
//!   1 or -1 (> 0 or not).
//!
//! An input whose column count differs from the model's features is a request error
//! (onnxruntime's classifier reads past the row).

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::attrs::Attrs;
use super::kernel::{Kernel, batch_dim, classifier_facts, classifier_rules, inferred, regressor_rules, rows_cols};
use super::post::{PostTransform, logistic, probit};
use super::tensors::{Labels, NUMBERS, argmax, dot, expect_type, floats, fma, int64s, output, zeroed};

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("SVMClassifier", build_classifier);
    reg.insert("SVMRegressor", build_regressor);
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum KernelType {
    Linear,
    Poly,
    Rbf,
    Sigmoid,
}

/// The kernel function and its parameters `kernel_params = [gamma, coef0, degree]`.
#[derive(Debug, Clone, PartialEq)]
struct SvmKernel {
    kind: KernelType,
    gamma: f32,
    coef0: f32,
    degree: f32,
}

impl SvmKernel {
    fn parse(attrs: &Attrs) -> TractResult<SvmKernel> {
        let kind = match attrs.string("kernel_type")?.as_deref().unwrap_or("LINEAR") {
            "LINEAR" => KernelType::Linear,
            "POLY" => KernelType::Poly,
            "RBF" => KernelType::Rbf,
            "SIGMOID" => KernelType::Sigmoid,
            other => return Err(attrs.error(format!("unknown kernel_type '{other}'"))),
        };
        if !attrs.has("kernel_params") {
            return Err(attrs.error("attribute kernel_params is missing"));
        }
        let (gamma, coef0, degree) = match attrs.floats("kernel_params").as_slice() {
            [] => (0.0, 0.0, 0.0),
            [g, c, d] => (*g, *c, *d),
            other => return Err(attrs.error(format!("kernel_params must be [gamma, coef0, degree], got {other:?}"))),
        };
        Ok(SvmKernel { kind, gamma, coef0, degree })
    }

    fn linear() -> SvmKernel {
        SvmKernel { kind: KernelType::Linear, gamma: 0.0, coef0: 0.0, degree: 0.0 }
    }

    /// `k(x, v)` between a row and a support vector.
    fn apply(&self, x: &[f32], v: &[f32]) -> f32 {
        match self.kind {
            KernelType::Linear => dot(x, v),
            KernelType::Rbf => {
                let sum = x.iter().zip(v).fold(0.0f32, |s, (&a, &b)| s + (a - b) * (a - b));
                (-self.gamma * sum).exp()
            }
            KernelType::Poly => {
                let t = self.affine(dot(x, v));
                match self.degree {
                    2.0 => t * t,
                    3.0 => t * t * t,
                    d => t.powf(d),
                }
            }
            KernelType::Sigmoid => self.affine(dot(x, v)).tanh(),
        }
    }

    /// `gamma * d + coef0` as the GEMM computes it (alpha = gamma, C = coef0).
    fn affine(&self, d: f32) -> f32 {
        if self.coef0 != 0.0 { fma(d, self.gamma, self.coef0) } else { d * self.gamma }
    }
}

/// libsvm's pairwise coupling: class probabilities `p` from the matrix `r` of pairwise
/// probabilities (k x k), iterated in f32 as onnxruntime does.
fn multiclass_probability(k: usize, r: &[f32], p: &mut [f32]) {
    let mut q = vec![0.0f32; k * k];
    let mut qp = vec![0.0f32; k];
    let eps = 0.005 / k as f32;
    for i in 0..k {
        p[i] = 1.0 / k as f32;
        for j in 0..i {
            q[i * k + i] += r[j * k + i] * r[j * k + i];
            q[i * k + j] = q[j * k + i];
        }
        for j in i + 1..k {
            q[i * k + i] += r[j * k + i] * r[j * k + i];
            q[i * k + j] = -r[j * k + i] * r[i * k + j];
        }
    }
    for _ in 0..100 {
        let mut pqp = 0.0f32;
        for i in 0..k {
            qp[i] = 0.0;
            for j in 0..k {
                qp[i] += q[i * k + j] * p[j];
            }
            pqp += p[i] * qp[i];
        }
        let max_error = qp.iter().fold(0.0f32, |m, &v| if (v - pqp).abs() > m { (v - pqp).abs() } else { m });
        if max_error < eps {
            break;
        }
        for i in 0..k {
            let diff = (-qp[i] + pqp) / q[i * k + i];
            p[i] += diff;
            pqp = (pqp + diff * (diff * q[i * k + i] + 2.0 * qp[i])) / (1.0 + diff) / (1.0 + diff);
            for j in 0..k {
                qp[j] = (qp[j] + diff * q[i * k + j]) / (1.0 + diff);
                p[j] /= 1.0 + diff;
            }
        }
    }
}

/// `post` over one row of scores; a single score is transformed only by PROBIT.
fn transform_row(post: PostTransform, scores: &mut [f32]) {
    if scores.len() > 1 {
        post.apply(scores);
    } else if post == PostTransform::Probit {
        scores.iter_mut().for_each(|s| *s = probit(*s));
    }
}

/// The support vectors of a model with some, grouped by class.
#[derive(Debug, Clone, PartialEq)]
struct Support {
    vectors: Vec<f32>,
    /// Start and count of each class's vectors.
    classes: Vec<(usize, usize)>,
    count: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Mode {
    /// No support vectors: coefficients are `[classes, features]`.
    Linear,
    Svc(Support),
}

/// Per-row buffers of the support-vector mode, allocated once per request.
struct Scratch {
    kernels: Vec<f32>,
    decisions: Vec<f32>,
    votes: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
struct SvmClassifier {
    kernel: SvmKernel,
    mode: Mode,
    features: usize,
    coefficients: Vec<f32>,
    rho: Vec<f32>,
    prob_a: Vec<f32>,
    prob_b: Vec<f32>,
    labels: Labels,
    weights_all_positive: bool,
    post: PostTransform,
}

fn build_classifier(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let attrs = Attrs::new(node);
    let labels = Labels::parse(&attrs, "classlabels_ints")?;
    let coefficients = attrs.floats("coefficients");
    let rho = attrs.floats("rho");
    let prob_a = attrs.floats("prob_a");
    let prob_b = attrs.floats("prob_b");
    let vectors = attrs.floats("support_vectors");
    let per_class = attrs.ints("vectors_per_class");
    let classes = labels.len();
    if classes == 0 {
        return Err(attrs.error("classlabels_ints or classlabels_strings must be set"));
    }
    if coefficients.is_empty() {
        return Err(attrs.error("coefficients is missing or empty"));
    }
    if rho.is_empty() {
        return Err(attrs.error("rho is missing or empty"));
    }
    if prob_a.len() != prob_b.len() {
        return Err(attrs.error(format!("prob_a has {} values but prob_b {}", prob_a.len(), prob_b.len())));
    }
    let per_class = per_class
        .iter()
        .map(|&n| usize::try_from(n).map_err(|_| attrs.error(format!("vectors_per_class holds {n}"))))
        .collect::<TractResult<Vec<usize>>>()?;
    let count = per_class
        .iter()
        .try_fold(0usize, |sum, &n| sum.checked_add(n))
        .ok_or_else(|| attrs.error("vectors_per_class adds up past the largest size"))?;
    let pairs = classes * (classes - 1) / 2;
    let kernel = SvmKernel::parse(&attrs)?;
    let (mode, kernel, features) = if count == 0 {
        if coefficients.len() < classes {
            return Err(attrs.error(format!("{} coefficients for {classes} classes", coefficients.len())));
        }
        (Mode::Linear, SvmKernel::linear(), coefficients.len() / classes)
    } else {
        if per_class.len() != classes {
            return Err(attrs.error(format!("vectors_per_class has {} values for {classes} classes", per_class.len())));
        }
        if classes < 2 {
            return Err(attrs.error("a classifier with support vectors needs at least 2 classes"));
        }
        if vectors.is_empty() || !vectors.len().is_multiple_of(count) {
            return Err(attrs.error(format!("{} support_vectors values for {count} vectors", vectors.len())));
        }
        let needed = (classes - 1).saturating_mul(count);
        if coefficients.len() < needed {
            return Err(
                attrs.error(format!("{} coefficients, expected (classes - 1) x {count} vectors", coefficients.len()))
            );
        }
        if rho.len() < pairs {
            return Err(attrs.error(format!("rho has {} values for {pairs} pairs of classes", rho.len())));
        }
        if !prob_a.is_empty() && prob_a.len() < pairs {
            return Err(attrs.error(format!("prob_a has {} values for {pairs} pairs of classes", prob_a.len())));
        }
        let starts = per_class.iter().scan(0, |start, &n| {
            let s = *start;
            *start += n;
            Some((s, n))
        });
        let features = vectors.len() / count;
        (Mode::Svc(Support { classes: starts.collect(), count, vectors }), kernel, features)
    };
    let classifier = SvmClassifier {
        kernel,
        mode,
        features,
        weights_all_positive: coefficients.iter().all(|&c| c >= 0.0),
        coefficients,
        rho,
        prob_a,
        prob_b,
        labels,
        post: PostTransform::parse(attrs.string("post_transform")?.as_deref()).map_err(|e| attrs.error(e))?,
    };
    Ok((inferred(classifier), vec![]))
}

impl SvmClassifier {
    fn classes(&self) -> usize {
        self.labels.len()
    }

    fn pairs(&self) -> usize {
        self.classes() * (self.classes() - 1) / 2
    }

    fn has_proba(&self) -> bool {
        !self.prob_a.is_empty()
    }

    fn score_columns(&self) -> usize {
        match self.mode {
            Mode::Svc(_) if !self.has_proba() => {
                if self.classes() > 2 {
                    self.pairs()
                } else {
                    2
                }
            }
            _ => self.classes(),
        }
    }

    /// One row in the linear mode: label index, and scores written to `out`.
    fn linear_row(&self, row: &[f32], out: &mut [f32]) -> usize {
        let rho = self.rho[0];
        for (c, score) in out.iter_mut().enumerate() {
            let d = dot(row, &self.coefficients[c * row.len()..][..row.len()]);
            *score = if rho != 0.0 { d + rho } else { d };
        }
        let top = argmax(out);
        let chosen = if self.classes() == 2 && !self.has_proba() {
            let max = out[top];
            let second = if self.weights_all_positive { max >= 0.5 } else { max > 0.0 };
            if second { 1 } else { top }
        } else {
            top
        };
        transform_row(self.post, out);
        chosen
    }

    /// One row with support vectors: label index, and scores written to `out`.
    fn svc_row(&self, support: &Support, row: &[f32], scratch: &mut Scratch, out: &mut [f32]) -> usize {
        let Scratch { kernels, decisions, votes } = scratch;
        for (k, v) in kernels.iter_mut().zip(support.vectors.chunks_exact(row.len())) {
            *k = self.kernel.apply(row, v);
        }
        let classes = self.classes();
        let stride = support.count;
        votes.iter_mut().for_each(|v| *v = 0);
        let mut pair = 0;
        for i in 0..classes - 1 {
            let (start_i, count_i) = support.classes[i];
            for j in i + 1..classes {
                let (start_j, count_j) = support.classes[j];
                let mut sum = 0.0f64;
                let coef_i = &self.coefficients[(j - 1) * stride + start_i..][..count_i];
                for (c, k) in coef_i.iter().zip(&kernels[start_i..start_i + count_i]) {
                    sum += (c * k) as f64;
                }
                let coef_j = &self.coefficients[i * stride + start_j..][..count_j];
                for (c, k) in coef_j.iter().zip(&kernels[start_j..start_j + count_j]) {
                    sum += (c * k) as f64;
                }
                sum += self.rho[pair] as f64;
                decisions[pair] = sum as f32;
                votes[if sum > 0.0 { i } else { j }] += 1;
                pair += 1;
            }
        }
        if self.has_proba() {
            self.probabilities(decisions, out);
            transform_row(self.post, out);
        } else if classes > 2 {
            out.copy_from_slice(decisions);
            self.post.apply(out);
        } else {
            let d = decisions[0];
            let pair = match self.post {
                PostTransform::None => [-d, d],
                // onnxruntime transforms the one score in place and leaves the other
                // slot uninitialized.
                PostTransform::Probit => [probit(d), 0.0],
                PostTransform::Logistic => [1.0 - logistic(d), logistic(d)],
                _ => [1.0 - d, d],
            };
            out.copy_from_slice(&pair);
        }
        argmax(votes)
    }

    /// Class probabilities from the pairwise decision values (Platt scaling, then
    /// pairwise coupling).
    fn probabilities(&self, decisions: &[f32], out: &mut [f32]) {
        let k = self.classes();
        let mut r = vec![0.0f32; k * k];
        let mut pair = 0;
        for i in 0..k - 1 {
            for j in i + 1..k {
                let v = 1.0 - logistic(decisions[pair] * self.prob_a[pair] + self.prob_b[pair]);
                // std::max / std::min, which keep a NaN.
                let v = if v < 1.0e-7 { 1.0e-7 } else { v };
                let v = if 1.0 - 1.0e-7 < v { 1.0 - 1.0e-7 } else { v };
                r[i * k + j] = v;
                r[j * k + i] = 1.0 - v;
                pair += 1;
            }
        }
        multiclass_probability(k, &r, out);
    }
}

impl Kernel for SvmClassifier {
    fn name(&self) -> &'static str {
        "SVMClassifier"
    }

    fn nb_outputs(&self) -> usize {
        2
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        classifier_rules(s, inputs, outputs, self.labels.datum_type(), self.score_columns())
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        expect_type(inputs[0], &NUMBERS, "input")?;
        classifier_facts(inputs[0], self.labels.datum_type(), self.score_columns())
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        let (rows, cols) = rows_cols(inputs[0].shape())?;
        ensure!(cols == self.features, "input has {cols} features, the model {}", self.features);
        let x = floats(&inputs[0])?;
        let width = self.score_columns();
        let mut scores = zeroed::<f32>(rows, width)?;
        let mut picks = Vec::with_capacity(rows);
        match &self.mode {
            Mode::Linear => {
                // Both modes have at least one feature (checked at load), so `cols > 0`.
                for (row, out) in x.chunks_exact(cols).zip(scores.chunks_exact_mut(width)) {
                    picks.push(self.linear_row(row, out));
                }
            }
            Mode::Svc(support) => {
                let mut scratch = Scratch {
                    kernels: vec![0.0; support.count],
                    decisions: vec![0.0; self.pairs()],
                    votes: vec![0; self.classes()],
                };
                for (row, out) in x.chunks_exact(cols).zip(scores.chunks_exact_mut(width)) {
                    picks.push(self.svc_row(support, row, &mut scratch, out));
                }
            }
        }
        Ok(tvec!(self.labels.pick(&picks)?, output(&[rows, width], scores)?))
    }
}

#[derive(Debug, Clone, PartialEq)]
struct SvmRegressor {
    kernel: SvmKernel,
    /// Support vectors `[count, features]`, empty in the linear mode.
    vectors: Vec<f32>,
    count: usize,
    features: usize,
    coefficients: Vec<f32>,
    rho: f32,
    one_class: bool,
}

fn build_regressor(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let attrs = Attrs::new(node);
    let count = attrs.int("n_supports")?.unwrap_or(0);
    let count = usize::try_from(count).map_err(|_| attrs.error(format!("n_supports is {count}")))?;
    let vectors = attrs.floats("support_vectors");
    let coefficients = attrs.floats("coefficients");
    let rho = *attrs.floats("rho").first().ok_or_else(|| attrs.error("rho is missing or empty"))?;
    if coefficients.is_empty() {
        return Err(attrs.error("coefficients is missing or empty"));
    }
    // Checked for a clear load error only: onnxruntime parses it and never applies it.
    PostTransform::parse(attrs.string("post_transform")?.as_deref()).map_err(|e| attrs.error(e))?;
    let kernel = SvmKernel::parse(&attrs)?;
    let (kernel, features) = if count > 0 {
        if vectors.is_empty() || !vectors.len().is_multiple_of(count) {
            return Err(attrs.error(format!("{} support_vectors values for {count} vectors", vectors.len())));
        }
        if coefficients.len() < count {
            return Err(attrs.error(format!("{} coefficients for {count} support vectors", coefficients.len())));
        }
        (kernel, vectors.len() / count)
    } else {
        (SvmKernel::linear(), coefficients.len())
    };
    let regressor = SvmRegressor {
        kernel,
        vectors,
        count,
        features,
        coefficients,
        rho,
        one_class: attrs.int("one_class")?.unwrap_or(0) != 0,
    };
    Ok((inferred(regressor), vec![]))
}

impl SvmRegressor {
    fn row(&self, row: &[f32], kernels: &mut [f32]) -> f32 {
        let y = if self.count > 0 {
            for (k, v) in kernels.iter_mut().zip(self.vectors.chunks_exact(row.len())) {
                *k = self.kernel.apply(row, v);
            }
            dot(kernels, &self.coefficients[..self.count]) + self.rho
        } else {
            let d = dot(row, &self.coefficients);
            if self.rho != 0.0 { d + self.rho } else { d }
        };
        if !self.one_class {
            y
        } else if y > 0.0 {
            1.0
        } else {
            -1.0
        }
    }
}

impl Kernel for SvmRegressor {
    fn name(&self) -> &'static str {
        "SVMRegressor"
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        regressor_rules(s, inputs, outputs, f32::datum_type(), 1)
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        expect_type(inputs[0], &NUMBERS, "input")?;
        let n = batch_dim(inputs[0])?;
        Ok(tvec!(f32::fact([n, 1.to_dim()])))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        let (rows, cols) = rows_cols(inputs[0].shape())?;
        ensure!(cols == self.features, "input has {cols} features, the model {}", self.features);
        let x = floats(&inputs[0])?;
        let mut kernels = vec![0.0f32; self.count];
        let y: Vec<f32> = (0..rows).map(|r| self.row(&x[r * cols..][..cols], &mut kernels)).collect();
        Ok(tvec!(output(&[rows, 1], y)?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tensors::slice;
    use super::*;

    #[test]
    fn coupling_of_two_classes_gives_the_pairwise_probability() {
        // With two classes the coupled probabilities are the pairwise ones.
        let r = [0.0, 0.8, 0.2, 0.0];
        let mut p = [0.0f32; 2];
        multiclass_probability(2, &r, &mut p);
        assert!((p[0] - 0.8).abs() < 1e-3 && (p[1] - 0.2).abs() < 1e-3, "{p:?}");
    }

    fn svc(post: PostTransform) -> SvmClassifier {
        // Two classes of one support vector each, linear kernel: d = x.(v0 - v1) + rho.
        SvmClassifier {
            kernel: SvmKernel::linear(),
            mode: Mode::Svc(Support { vectors: vec![1.0, 0.0, 0.0, 1.0], classes: vec![(0, 1), (1, 1)], count: 2 }),
            features: 2,
            coefficients: vec![1.0, -1.0],
            rho: vec![0.5],
            prob_a: vec![],
            prob_b: vec![],
            labels: Labels::Ints(vec![10, 20]),
            weights_all_positive: false,
            post,
        }
    }

    #[test]
    fn binary_svc_votes_and_score_layout() {
        let x = || tvec!(tensor2(&[[1f32, 3.0], [2.0, 0.0]]).into_tvalue());
        let y = svc(PostTransform::None).eval(x()).unwrap();
        // d = 1 - 3 + 0.5 = -1.5 -> votes for class 1; d = 2.5 -> class 0.
        assert_eq!(slice::<i64>(&y[0]).unwrap(), [20, 10]);
        assert_eq!(slice::<f32>(&y[1]).unwrap(), [1.5, -1.5, -2.5, 2.5]);
        // SOFTMAX leaves the decision value raw, LOGISTIC transforms it first.
        let y = svc(PostTransform::Softmax).eval(x()).unwrap();
        assert_eq!(slice::<f32>(&y[1]).unwrap(), [2.5, -1.5, -1.5, 2.5]);
        let y = svc(PostTransform::Logistic).eval(x()).unwrap();
        let p = logistic(-1.5);
        assert_eq!(slice::<f32>(&y[1]).unwrap()[..2], [1.0 - p, p]);
    }

    #[test]
    fn wrong_feature_count_is_an_error() {
        let err = svc(PostTransform::None).eval(tvec!(tensor2(&[[1f32, 2.0, 3.0]]).into_tvalue())).unwrap_err();
        assert!(err.to_string().contains("3 features"), "{err}");
    }

    #[test]
    fn regressor_rbf_and_one_class() {
        let kernel = SvmKernel { kind: KernelType::Rbf, gamma: 0.5, coef0: 0.0, degree: 0.0 };
        let mut r = SvmRegressor {
            kernel,
            vectors: vec![0.0, 0.0],
            count: 1,
            features: 2,
            coefficients: vec![2.0],
            rho: -1.0,
            one_class: false,
        };
        // exp(-0.5 * 2) * 2 - 1
        let y = r.eval(tvec!(tensor2(&[[1f32, 1.0]]).into_tvalue())).unwrap();
        assert!((slice::<f32>(&y[0]).unwrap()[0] - (2.0 * (-1.0f32).exp() - 1.0)).abs() < 1e-6);
        r.one_class = true;
        let y = r.eval(tvec!(tensor2(&[[1f32, 1.0]]).into_tvalue())).unwrap();
        assert_eq!(slice::<f32>(&y[0]).unwrap(), [-1.0]);
    }
}
