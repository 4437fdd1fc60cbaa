//! WS010: an ONNX tensor whose declared shape is impossible or absurdly large.

use super::{Rule, Severity};

pub static ONNX_TENSOR_SIZE: Rule = Rule {
    id: "WS010",
    name: "onnx-tensor-size",
    title: "ONNX tensor declares an absurd size",
    severity: Severity::Medium,
    stride: "denial-of-service",
    why: "a negative dimension, a size that overflows or one far beyond any real weight makes \
          a runtime allocate without bound or hit integer-overflow bugs when it loads the model",
    fix: "re-export the model; check the shapes of its initializers",
    references: &["CWE-789", "CWE-190"],
};
