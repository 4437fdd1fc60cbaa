//! WS003: a pickle imports something the scanner cannot name without running the pickle.

use super::{Rule, Severity};

pub static UNRESOLVED_GLOBAL: Rule = Rule {
    id: "WS003",
    name: "unresolved-global",
    title: "pickle import cannot be resolved statically",
    severity: Severity::High,
    stride: "elevation-of-privilege",
    why: "the module or name of the import is computed while unpickling (built from strings at \
          run time, taken from the copyreg extension registry) so no scanner can tell what gets \
          imported: legitimate model files never need this, evasive payloads do",
    fix: "treat the file as malicious unless its producer can explain the construct; re-export \
          the model as safetensors or ONNX",
    references: &["CWE-502"],
};
