//! LinearClassifier and LinearRegressor: scores `x . coefficients[t] + intercepts[t]`
//! per class or target, computed in f32 (inputs of other numeric types are cast to
//! f32 first), then `post_transform`. onnxruntime's behaviour, reproduced:
//! - coefficients are read as `[targets, features]` from their start, so extra values
//!   are ignored and too few are an error of the request;
//! - a post transform over a single score (one class, or one regression target) is
//!   applied only when it is PROBIT; the others leave the score raw;
//! - LinearClassifier with one coefficient row is binary: its label is the second
//!   class label when the raw score is > 0, else the first (1 and 0 when no labels are
//!   given); with two labels the scores are `[1 - s, s]` where `s` is the score after
//!   LOGISTIC (raw for the other transforms); PROBIT there writes the N transformed
//!   scores packed at the start of the `[N, 2]` output, whose rest onnxruntime leaves
//!   uninitialized (zeros here);
//! - with several coefficient rows the label is the first class of highest raw score;
//! - LinearRegressor ignores intercepts whose count is not the number of targets.

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::attrs::Attrs;
use super::kernel::{Kernel, batch_dim, classifier_facts, classifier_rules, inferred, regressor_rules, rows_cols};
use super::post::{PostTransform, logistic, probit};
use super::tensors::{Labels, NUMBERS, argmax, dot, expect_type, floats, int64s, output, zeroed};

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("LinearClassifier", build_classifier);
    reg.insert("LinearRegressor", build_regressor);
}

fn post_transform(attrs: &Attrs) -> TractResult<PostTransform> {
    PostTransform::parse(attrs.string("post_transform")?.as_deref()).map_err(|e| attrs.error(e))
}

fn build_classifier(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let attrs = Attrs::new(node);
    let coefficients = attrs.floats("coefficients");
    let intercepts = attrs.floats("intercepts");
    let labels = Labels::parse(&attrs, "classlabels_ints")?;
    let classes = intercepts.len();
    if coefficients.is_empty() {
        return Err(attrs.error("coefficients is missing or empty"));
    }
    if classes == 0 {
        return Err(attrs.error("intercepts is missing or empty (it gives the number of classes)"));
    }
    if !coefficients.len().is_multiple_of(classes) {
        return Err(attrs.error(format!(
            "{} coefficients is not a multiple of the {classes} classes the intercepts give",
            coefficients.len()
        )));
    }
    if classes == 1 && !labels.is_empty() && labels.len() != 2 {
        return Err(attrs.error(format!("a binary classifier needs 2 class labels, got {}", labels.len())));
    }
    if classes > 1 && labels.len() < classes {
        return Err(attrs.error(format!("{} class labels for the {classes} classes the intercepts give", labels.len())));
    }
    let classifier = LinearClassifier {
        linear: Linear { coefficients, intercepts: Some(intercepts), targets: classes },
        two_scores: classes == 1 && labels.len() == 2,
        // A binary classifier without labels says 0 or 1.
        labels: if labels.is_empty() { Labels::Ints(vec![0, 1]) } else { labels },
        post: post_transform(&attrs)?,
    };
    Ok((inferred(classifier), vec![]))
}

fn build_regressor(_ctx: &ParsingContext, node: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let attrs = Attrs::new(node);
    let coefficients = attrs.floats("coefficients");
    let intercepts = attrs.floats("intercepts");
    let targets = attrs.int("targets")?.unwrap_or(1);
    let targets = usize::try_from(targets)
        .ok()
        .filter(|&t| t > 0)
        .ok_or_else(|| attrs.error(format!("targets must be positive, got {targets}")))?;
    // At least one coefficient per target: the output's size is then bounded by the model's.
    if coefficients.len() < targets {
        return Err(attrs.error(format!("{} coefficients for {targets} targets", coefficients.len())));
    }
    let regressor = LinearRegressor {
        linear: Linear { coefficients, intercepts: (intercepts.len() == targets).then_some(intercepts), targets },
        post: post_transform(&attrs)?,
    };
    Ok((inferred(regressor), vec![]))
}

/// The affine part shared by both operators.
#[derive(Debug, Clone, PartialEq)]
struct Linear {
    coefficients: Vec<f32>,
    intercepts: Option<Vec<f32>>,
    targets: usize,
}

impl Linear {
    /// The `[targets, features]` block of coefficients for inputs of `features` columns.
    fn weights(&self, features: usize) -> TractResult<&[f32]> {
        let needed = self.targets.saturating_mul(features);
        self.coefficients.get(..needed).ok_or_else(|| {
            format_err!(
                "{} coefficients, fewer than {} targets x {features} input features",
                self.coefficients.len(),
                self.targets
            )
        })
    }

    /// Writes the raw scores of one row.
    fn scores(&self, weights: &[f32], row: &[f32], out: &mut [f32]) {
        for (t, score) in out.iter_mut().enumerate() {
            let w = &weights[t * row.len()..][..row.len()];
            let intercept = self.intercepts.as_ref().map_or(0.0, |i| i[t]);
            *score = dot(row, w) + intercept;
        }
    }
}

/// `post` over one row of scores, as onnxruntime's batched update does it: a single
/// score is transformed only by PROBIT.
fn transform_row(post: PostTransform, scores: &mut [f32]) {
    if scores.len() > 1 {
        post.apply(scores);
    } else if post == PostTransform::Probit {
        scores.iter_mut().for_each(|s| *s = probit(*s));
    }
}

#[derive(Debug, Clone, PartialEq)]
struct LinearClassifier {
    linear: Linear,
    labels: Labels,
    /// One coefficient row and two labels: the scores output has two columns.
    two_scores: bool,
    post: PostTransform,
}

impl LinearClassifier {
    fn score_columns(&self) -> usize {
        if self.two_scores { 2 } else { self.linear.targets }
    }

    /// The binary classifier: one raw score per row.
    fn binary(&self, x: &[f32], rows: usize, cols: usize) -> TractResult<(Vec<usize>, Vec<f32>)> {
        let w = self.linear.weights(cols)?;
        let mut raw = vec![0.0f32; rows];
        for (r, score) in raw.iter_mut().enumerate() {
            self.linear.scores(w, &x[r * cols..][..cols], std::slice::from_mut(score));
        }
        let picks = raw.iter().map(|&s| usize::from(s > 0.0)).collect();
        let scores = match (self.two_scores, self.post) {
            (false, PostTransform::Probit) => raw.iter().map(|&s| probit(s)).collect(),
            // One score per row: the other transforms leave it raw.
            (false, _) => raw,
            (true, PostTransform::Probit) => {
                let mut packed = zeroed::<f32>(rows, 2)?;
                packed.iter_mut().zip(&raw).for_each(|(p, &s)| *p = probit(s));
                packed
            }
            (true, post) => raw
                .iter()
                .flat_map(|&s| {
                    let p = if post == PostTransform::Logistic { logistic(s) } else { s };
                    [1.0 - p, p]
                })
                .collect(),
        };
        Ok((picks, scores))
    }

    fn multiclass(&self, x: &[f32], rows: usize, cols: usize) -> TractResult<(Vec<usize>, Vec<f32>)> {
        let w = self.linear.weights(cols)?;
        let classes = self.linear.targets;
        let mut scores = zeroed::<f32>(rows, classes)?;
        let mut picks = Vec::with_capacity(rows);
        for (r, out) in scores.chunks_exact_mut(classes).enumerate() {
            self.linear.scores(w, &x[r * cols..][..cols], out);
            picks.push(argmax(out));
            self.post.apply(out);
        }
        Ok((picks, scores))
    }
}

impl Kernel for LinearClassifier {
    fn name(&self) -> &'static str {
        "LinearClassifier"
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
        let x = floats(&inputs[0])?;
        let (picks, scores) =
            if self.linear.targets == 1 { self.binary(&x, rows, cols) } else { self.multiclass(&x, rows, cols) }?;
        Ok(tvec!(self.labels.pick(&picks)?, output(&[rows, self.score_columns()], scores)?))
    }
}

#[derive(Debug, Clone, PartialEq)]
struct LinearRegressor {
    linear: Linear,
    post: PostTransform,
}

impl Kernel for LinearRegressor {
    fn name(&self) -> &'static str {
        "LinearRegressor"
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        regressor_rules(s, inputs, outputs, f32::datum_type(), self.linear.targets)
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        expect_type(inputs[0], &NUMBERS, "input")?;
        let n = batch_dim(inputs[0])?;
        Ok(tvec!(f32::fact([n, self.linear.targets.to_dim()])))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let inputs = int64s(inputs)?;
        let (rows, cols) = rows_cols(inputs[0].shape())?;
        let x = floats(&inputs[0])?;
        let targets = self.linear.targets;
        let w = self.linear.weights(cols)?;
        let mut y = zeroed::<f32>(rows, targets)?;
        for (r, out) in y.chunks_exact_mut(targets).enumerate() {
            self.linear.scores(w, &x[r * cols..][..cols], out);
            transform_row(self.post, out);
        }
        Ok(tvec!(output(&[rows, targets], y)?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tensors::slice;
    use super::*;

    fn classifier(
        coefficients: &[f32],
        intercepts: &[f32],
        labels: Labels,
        two: bool,
        post: PostTransform,
    ) -> LinearClassifier {
        let targets = intercepts.len();
        LinearClassifier {
            linear: Linear { coefficients: coefficients.to_vec(), intercepts: Some(intercepts.to_vec()), targets },
            labels,
            two_scores: two,
            post,
        }
    }

    fn run(k: &impl Kernel, x: Tensor) -> TVec<TValue> {
        k.eval(tvec!(x.into_tvalue())).unwrap()
    }

    #[test]
    fn binary_with_two_labels() {
        // score = 0.3 a + 0.2 b + 0.1: rows give 0.8 and -0.7.
        let x = || tensor2(&[[1f32, 2.0], [-3.0, 0.5]]);
        let labels = Labels::Strings(vec!["no".into(), "yes".into()]);
        let k = classifier(&[0.3, 0.2], &[0.1], labels.clone(), true, PostTransform::None);
        let y = run(&k, x());
        assert_eq!(slice::<String>(&y[0]).unwrap(), ["yes", "no"]);
        let z = slice::<f32>(&y[1]).unwrap();
        assert!((z[0] - 0.2).abs() < 1e-6 && (z[1] - 0.8).abs() < 1e-6 && (z[2] - 1.7).abs() < 1e-6);
        let k = classifier(&[0.3, 0.2], &[0.1], labels, true, PostTransform::Logistic);
        let z = run(&k, x())[1].clone();
        let z = slice::<f32>(&z).unwrap();
        assert!((z[1] - logistic(0.8)).abs() < 1e-7 && (z[0] + z[1] - 1.0).abs() < 1e-7);
    }

    #[test]
    fn binary_without_labels_leaves_logistic_out() {
        let k = classifier(&[0.3, 0.2], &[0.1], Labels::Ints(vec![0, 1]), false, PostTransform::Logistic);
        let y = run(&k, tensor2(&[[1f32, 2.0]]));
        assert_eq!(slice::<i64>(&y[0]).unwrap(), [1]);
        assert_eq!(y[1].shape(), [1, 1]);
        assert!((slice::<f32>(&y[1]).unwrap()[0] - 0.8).abs() < 1e-6);
    }

    #[test]
    fn multiclass_labels_from_raw_scores_and_extra_coefficients_ignored() {
        let coefficients = [1.0, 0.0, 0.0, 1.0, 9.0, 9.0];
        let k = classifier(&coefficients, &[0.0, 0.5], Labels::Ints(vec![4, 5]), false, PostTransform::Softmax);
        let y = run(&k, tensor2(&[[1f32, 1.0]]));
        assert_eq!(slice::<i64>(&y[0]).unwrap(), [5]);
        let z = slice::<f32>(&y[1]).unwrap();
        assert!((z[0] + z[1] - 1.0).abs() < 1e-6 && z[1] > z[0]);
        assert!(k.eval(tvec!(tensor2(&[[1f32, 1.0, 1.0, 1.0]]).into_tvalue())).is_err());
    }

    #[test]
    fn regressor_intercepts_and_single_target_transforms() {
        let r = LinearRegressor {
            linear: Linear { coefficients: vec![0.3, 0.2], intercepts: Some(vec![0.1]), targets: 1 },
            post: PostTransform::Logistic,
        };
        let y = run(&r, tensor2(&[[1i64, 2]]));
        assert!((slice::<f32>(&y[0]).unwrap()[0] - 0.8).abs() < 1e-6);
    }
}
