//! Tree ensembles: TreeEnsembleClassifier and TreeEnsembleRegressor (ai.onnx.ml
//! opsets 1 and 3) and TreeEnsemble (opset 5), read into one checked form
//! (`spec`), compiled into a flat layout (`forest`) and finished into outputs by
//! onnxruntime's rules (`finish`).

mod finish;
mod forest;
mod spec;

use std::sync::Arc;

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::*;

use self::finish::{ClassRules, TargetRules};
use self::forest::{Forest, Real};
use self::spec::Spec;
use crate::ml::attrs::Attrs;
use crate::ml::kernel::{
    Kernel, batch_dim, classifier_facts, classifier_rules, elements, inferred, regressor_rules, rows_cols, tensor_of,
};
use crate::ml::post::PostTransform;
use crate::ml::tensors::Labels;

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("TreeEnsembleClassifier", classifier);
    reg.insert("TreeEnsembleRegressor", regressor);
    reg.insert("TreeEnsemble", ensemble);
}

type Built = TractResult<(Box<dyn InferenceOp>, Vec<String>)>;

fn classifier(_ctx: &ParsingContext, node: &NodeProto) -> Built {
    let a = Attrs::new(node);
    let labels = Labels::parse(&a, "classlabels_int64s")?;
    let n_classes = labels.len();
    if n_classes < 2 {
        return Err(a.error("a classifier needs at least two class labels (classlabels_int64s or classlabels_strings)"));
    }
    let spec = spec::read_v3(node, true, n_classes)?;
    let class_ids: std::collections::HashSet<usize> = spec.leaves.iter().flatten().map(|&(class, _)| class).collect();
    let weights_positive = spec.leaves.iter().flatten().all(|&(_, w)| w >= 0.0);
    let rules = ClassRules {
        n_classes,
        base_values: spec.base_values.clone(),
        post: PostTransform::parse(a.string("post_transform")?.as_deref()).map_err(|e| a.error(e))?,
        binary: n_classes == 2 && class_ids.len() == 1,
        weights_positive,
    };
    let trees = Trees::compile(&spec).map_err(|e| a.error(e))?;
    Ok((inferred(TreeClassifier { trees, rules, labels }), vec![]))
}

fn regressor(_ctx: &ParsingContext, node: &NodeProto) -> Built {
    let a = Attrs::new(node);
    let n_targets = a.int("n_targets")?.unwrap_or(0);
    let n_targets =
        usize::try_from(n_targets).ok().filter(|&n| n > 0).ok_or_else(|| a.error("n_targets must be positive"))?;
    let spec = spec::read_v3(node, false, n_targets)?;
    let post = PostTransform::parse(a.string("post_transform")?.as_deref()).map_err(|e| a.error(e))?;
    let trees = Trees::compile(&spec).map_err(|e| a.error(e))?;
    let rules = target_rules(&spec, post);
    Ok((inferred(TreeRegressor { trees, rules, v5: false }), vec![]))
}

fn ensemble(_ctx: &ParsingContext, node: &NodeProto) -> Built {
    let a = Attrs::new(node);
    let (spec, post) = spec::read_v5(node)?;
    // onnxruntime numbers these in its own order (1 = LOGISTIC, 2 = SOFTMAX),
    // not the specification's (1 = SOFTMAX, 2 = LOGISTIC); models are validated
    // against onnxruntime, so Warden follows it.
    let post = [
        PostTransform::None,
        PostTransform::Logistic,
        PostTransform::Softmax,
        PostTransform::SoftmaxZero,
        PostTransform::Probit,
    ][post as usize];
    let trees = Trees::compile(&spec).map_err(|e| a.error(e))?;
    let rules = target_rules(&spec, post);
    Ok((inferred(TreeRegressor { trees, rules, v5: true }), vec![]))
}

fn target_rules(spec: &Spec, post: PostTransform) -> TargetRules {
    TargetRules {
        n_targets: spec.n_targets,
        n_trees: spec.roots.len(),
        aggregate: spec.aggregate,
        base_values: spec.base_values.clone(),
        post,
    }
}

/// The compiled trees, in f32 for float models and inputs, and in f64 for
/// double inputs or models exported in double (onnxruntime then compares and sums
/// in double too).
#[derive(Clone, Debug, PartialEq)]
struct Trees {
    narrow: Option<Arc<Forest<f32>>>,
    wide: Arc<Forest<f64>>,
}

impl Trees {
    fn compile(spec: &Spec) -> Result<Trees, String> {
        let narrow = if spec.double { None } else { Some(Arc::new(Forest::compile(spec)?)) };
        Ok(Trees { narrow, wide: Arc::new(Forest::compile(spec)?) })
    }

    fn n_targets(&self) -> usize {
        self.wide.n_targets
    }

    /// Refuses, at load when the width is known, an input narrower than the
    /// features the trees read.
    fn check_width(&self, cols: usize) -> TractResult<()> {
        match self.wide.max_feature {
            Some(f) if f >= cols => bail!("the trees read feature {f}, but the input has {cols} features"),
            _ => Ok(()),
        }
    }

    fn check_fact(&self, fact: &TypedFact) -> TractResult<TDim> {
        let n = batch_dim(fact)?;
        if let Some(cols) = fact.shape.last().and_then(|d| d.to_usize().ok()) {
            self.check_width(cols)?;
        }
        Ok(n)
    }

    /// Scores every row of `x` with the forest of matching precision and hands
    /// each row's scores to `finish`.
    fn run(&self, x: &Tensor, finish: &mut impl Finish) -> TractResult<usize> {
        let (_, cols) = rows_cols(x.shape())?;
        self.check_width(cols)?;
        match &self.narrow {
            Some(forest) if x.datum_type() != f64::datum_type() => run_with(forest, x, finish),
            _ => run_with(&self.wide, x, finish),
        }
    }
}

/// Turns one row's summed votes into that row's outputs.
trait Finish {
    fn row<T: Real>(&mut self, r: usize, scores: &mut [T], has: &mut [bool]);
}

fn run_with<T: Real + Datum>(forest: &Forest<T>, x: &Tensor, finish: &mut impl Finish) -> TractResult<usize> {
    let (rows, mut scores, mut has) = score(forest, x)?;
    let k = forest.n_targets;
    for r in 0..rows {
        finish.row(r, &mut scores[r * k..(r + 1) * k], &mut has[r * k..(r + 1) * k]);
    }
    Ok(rows)
}

/// Scores every row of `x` with `forest`: returns (rows, scores, has).
fn score<T: Real + Datum>(forest: &Forest<T>, x: &Tensor) -> TractResult<(usize, Vec<T>, Vec<bool>)> {
    let (rows, cols) = rows_cols(x.shape())?;
    // tract may carry an integer input computed in the graph as TDim.
    let x = if x.datum_type() == TDim::datum_type() {
        std::borrow::Cow::Owned(x.cast_to::<i64>()?.cast_to::<T>()?.into_owned())
    } else {
        x.cast_to::<T>()?
    };
    let values = elements::<T>(&x)?;
    let k = forest.n_targets;
    let mut scores = vec![T::ZERO; rows * k];
    let mut has = vec![false; rows * k];
    forest.score(values, rows, cols, &mut scores, &mut has);
    Ok((rows, scores, has))
}

#[derive(Clone, Debug, PartialEq)]
struct TreeClassifier {
    trees: Trees,
    rules: ClassRules,
    labels: Labels,
}

struct ClassOutputs<'a> {
    rules: &'a ClassRules,
    z: Vec<f32>,
    picked: Vec<usize>,
}

impl Finish for ClassOutputs<'_> {
    fn row<T: Real>(&mut self, r: usize, scores: &mut [T], has: &mut [bool]) {
        let k = self.rules.n_classes;
        self.picked[r] = self.rules.finish(scores, has, &mut self.z[r * k..(r + 1) * k]);
    }
}

impl Kernel for TreeClassifier {
    fn name(&self) -> &'static str {
        "TreeEnsembleClassifier"
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
        classifier_rules(s, inputs, outputs, self.labels.datum_type(), self.rules.n_classes)
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        self.trees.check_fact(inputs[0])?;
        classifier_facts(inputs[0], self.labels.datum_type(), self.rules.n_classes)
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = &inputs[0];
        let (rows, _) = rows_cols(x.shape())?;
        let k = self.rules.n_classes;
        let mut out = ClassOutputs { rules: &self.rules, z: vec![0.0; rows * k], picked: vec![0; rows] };
        self.trees.run(x, &mut out)?;
        let z = tensor_of(&[rows, k], out.z)?;
        Ok(tvec!(self.labels.pick(&out.picked)?, z.into_tvalue()))
    }
}

/// TreeEnsembleRegressor, and TreeEnsemble (opset 5), whose output has the
/// input's float type.
#[derive(Clone, Debug, PartialEq)]
struct TreeRegressor {
    trees: Trees,
    rules: TargetRules,
    v5: bool,
}

struct TargetOutputs<'a> {
    rules: &'a TargetRules,
    z: Vec<f32>,
}

impl Finish for TargetOutputs<'_> {
    fn row<T: Real>(&mut self, r: usize, scores: &mut [T], has: &mut [bool]) {
        let k = self.rules.n_targets;
        self.rules.finish(scores, has, &mut self.z[r * k..(r + 1) * k]);
    }
}

impl TreeRegressor {
    fn output_type(&self, input: DatumType) -> DatumType {
        if self.v5 && input == f64::datum_type() { f64::datum_type() } else { f32::datum_type() }
    }
}

impl Kernel for TreeRegressor {
    fn name(&self) -> &'static str {
        if self.v5 { "TreeEnsemble" } else { "TreeEnsembleRegressor" }
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        s.given(&inputs[0].datum_type, move |s, dt| {
            regressor_rules(s, inputs, outputs, self.output_type(dt), self.trees.n_targets())
        })
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let n = self.trees.check_fact(inputs[0])?;
        let dt = self.output_type(inputs[0].datum_type);
        Ok(tvec!(dt.fact([n, self.trees.n_targets().to_dim()])))
    }

    fn eval(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = &inputs[0];
        let (rows, _) = rows_cols(x.shape())?;
        let k = self.rules.n_targets;
        let mut out = TargetOutputs { rules: &self.rules, z: vec![0.0; rows * k] };
        self.trees.run(x, &mut out)?;
        let z = tensor_of(&[rows, k], out.z)?;
        let z =
            if self.output_type(x.datum_type()) == f32::datum_type() { z } else { z.cast_to::<f64>()?.into_owned() };
        Ok(tvec!(z.into_tvalue()))
    }
}
