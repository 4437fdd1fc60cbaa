//! WS009: an ONNX node from an operator domain outside the ONNX standard.

use super::{Rule, Severity};

pub static ONNX_CUSTOM_DOMAIN: Rule = Rule {
    id: "WS009",
    name: "onnx-custom-domain",
    title: "ONNX model uses a custom operator domain",
    severity: Severity::Low,
    stride: "elevation-of-privilege",
    why: "operators outside the standard domains need a custom-op library at load time, which \
          is native code shipped beside the model",
    fix: "confirm where the custom operator library comes from and pin it, or re-export the \
          model with standard operators",
    references: &["ONNX operator sets"],
};

/// Domains defined by the ONNX specification.
pub fn is_standard_domain(domain: &str) -> bool {
    matches!(domain, "" | "ai.onnx" | "ai.onnx.ml" | "ai.onnx.training" | "ai.onnx.preview.training")
}
