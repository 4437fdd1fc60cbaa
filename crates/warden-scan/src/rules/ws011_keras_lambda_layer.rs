//! WS011: a Keras `Lambda` layer, which calls a Python function named or embedded in the
//! model's config.

use super::{Rule, Severity};

pub static KERAS_LAMBDA_LAYER: Rule = Rule {
    id: "WS011",
    name: "keras-lambda-layer",
    title: "Keras model has a Lambda layer",
    severity: Severity::High,
    stride: "elevation-of-privilege",
    why: "a Lambda layer runs a Python function chosen by the model's author: named by module \
          and name it is imported when the model is loaded and called on every inference, with \
          the `arguments` the config gives it; Lambda layers whose function is marshaled bytecode, \
          a dangerous callable or a Keras function that defeats safe_mode are WS014",
    fix: "replace the Lambda layer with a registered custom layer whose code you have reviewed, \
          or load the model only from a publisher you trust, in Keras 3.11 or later with \
          safe_mode on",
    references: &["CWE-502", "CWE-94", "Keras Lambda layer serialization"],
};
