//! WS012: an object in a Keras config that comes from a module outside Keras.

use super::{Rule, Severity};

pub static KERAS_CUSTOM_OBJECT: Rule = Rule {
    id: "WS012",
    name: "keras-custom-object",
    title: "Keras config names an object from a module outside Keras",
    severity: Severity::Medium,
    stride: "elevation-of-privilege",
    why: "every serialized object in a Keras 3 config names the module it comes from; loading \
          the model imports that module (Keras before 3.9 imported any module named there, \
          even in safe_mode), so a custom layer, loss or function ties the model to code that \
          is not part of Keras and runs when the model is loaded",
    fix: "check that the module is code you ship and have reviewed, and pass its classes as \
          `custom_objects`; a model that should be plain Keras should name no other module",
    references: &["CWE-502", "CVE-2025-1550"],
};

/// Modules whose objects a Keras config may name without a finding: Keras itself, the
/// standalone `tf_keras`, and the Keras team's model libraries.
pub fn is_keras_module(module: &str) -> bool {
    ["keras", "tf_keras", "keras_hub", "keras_nlp", "keras_cv"]
        .iter()
        .any(|m| module == *m || module.strip_prefix(m).is_some_and(|rest| rest.starts_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_modules() {
        for m in ["keras", "keras.layers", "keras.src.models.functional", "tf_keras.layers", "keras_hub.models"] {
            assert!(is_keras_module(m), "{m}");
        }
        for m in ["kerasx", "keras_evil", "mylib.keras", "__main__", "builtins", "os", ""] {
            assert!(!is_keras_module(m), "{m}");
        }
    }
}
