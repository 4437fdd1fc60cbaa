//! Warden's own implementation of the ai.onnx.ml operators that scikit-learn and
//! gradient-boosting exports use (skl2onnx, onnxmltools), registered into tract
//! in place of tract's own where both exist. Each follows onnxruntime's semantics,
//! the runtime these models are validated with, and is checked against its
//! outputs (crates/warden/tests/ml_models.rs).

mod attrs;
mod kernel;
mod post;
mod tree;

// Operators other than trees: one file per family.
mod array_feature_extractor;
mod binarizer;
mod category_mapper;
mod feature_vectorizer;
mod imputer;
mod label_encoder;
mod linear;
mod normalizer;
mod one_hot;
mod scaler;
mod svm;
mod tensors;

use tract_onnx::model::OnnxOpRegister;

/// Adds (or replaces) the ai.onnx.ml operators in tract's registry.
pub fn register(reg: &mut OnnxOpRegister) {
    tree::register(reg);
    // Operators other than trees.
    array_feature_extractor::register(reg);
    binarizer::register(reg);
    category_mapper::register(reg);
    feature_vectorizer::register(reg);
    imputer::register(reg);
    label_encoder::register(reg);
    linear::register(reg);
    normalizer::register(reg);
    one_hot::register(reg);
    scaler::register(reg);
    svm::register(reg);
}
