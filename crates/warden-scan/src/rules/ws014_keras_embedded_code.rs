//! WS014: a Keras config that carries code run when the model is loaded or called: marshaled
//! Python bytecode, a dangerous callable, or a Keras function that switches safe_mode off.

use super::{Rule, Severity};

pub static KERAS_EMBEDDED_CODE: Rule = Rule {
    id: "WS014",
    name: "keras-embedded-code",
    title: "Keras config carries code that runs on load",
    severity: Severity::Critical,
    stride: "elevation-of-privilege",
    why: "a Lambda layer (or any `__lambda__` object) saved from a Python lambda stores its \
          bytecode, base64 of `marshal.dumps`, in the config; Keras rebuilds and runs it when \
          the model is loaded with safe_mode off, from HDF5 files even with it on (Keras versions \
          that ignore safe_mode there, CVE-2025-9905) and always in Keras before 2.13. A config that names os, \
          subprocess, eval and the like runs arbitrary code the same way, and so do Keras' own \
          functions called from a config to defeat safe_mode (`enable_unsafe_deserialization`, \
          `set_global_attribute`, `load_model` with `safe_mode=False`, `get_file`)",
    fix: "do not load the model; ask the publisher for a model without Lambda layers (a \
          registered custom layer, or the weights alone as safetensors)",
    references: &["CWE-502", "CWE-94", "CVE-2024-3660", "CVE-2025-9905", "CVE-2025-9906", "CVE-2025-8747"],
};

/// Keras functions that are gadgets when a config names them: they turn safe_mode off
/// (CVE-2025-9906), load another model with the `arguments` the config gives (such as
/// `safe_mode=False`) or download files (CVE-2025-8747).
pub fn is_keras_gadget(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    matches!(last, "enable_unsafe_deserialization" | "set_global_attribute" | "load_model" | "get_file")
}
