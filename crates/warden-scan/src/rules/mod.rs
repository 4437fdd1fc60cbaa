//! The scanner's rules, one file each with its metadata, so a report, a SARIF file and the
//! documentation all say the same thing about a finding.

mod ws001_dangerous_global;
mod ws002_unknown_global;
mod ws003_unresolved_global;
mod ws004_corrupt_pickle;
mod ws005_safetensors_structure;
mod ws006_numpy_object_array;
mod ws007_archive_limits;
mod ws008_onnx_external_data;
mod ws009_onnx_custom_domain;
mod ws010_onnx_tensor_size;
mod ws011_keras_lambda_layer;
mod ws012_keras_custom_object;
mod ws013_archive_path_traversal;
mod ws014_keras_embedded_code;

use serde::Serialize;

pub use ws001_dangerous_global::{DANGEROUS_GLOBAL, is_dangerous};
pub use ws002_unknown_global::{UNKNOWN_GLOBAL, is_allowed};
pub use ws003_unresolved_global::UNRESOLVED_GLOBAL;
pub use ws004_corrupt_pickle::CORRUPT_PICKLE;
pub use ws005_safetensors_structure::SAFETENSORS_STRUCTURE;
pub use ws006_numpy_object_array::NUMPY_OBJECT_ARRAY;
pub use ws007_archive_limits::ARCHIVE_LIMITS;
pub use ws008_onnx_external_data::{ONNX_EXTERNAL_DATA, external_data_problem};
pub use ws009_onnx_custom_domain::{ONNX_CUSTOM_DOMAIN, is_standard_domain};
pub use ws010_onnx_tensor_size::ONNX_TENSOR_SIZE;
pub use ws011_keras_lambda_layer::KERAS_LAMBDA_LAYER;
pub use ws012_keras_custom_object::{KERAS_CUSTOM_OBJECT, is_keras_module};
pub use ws013_archive_path_traversal::{ARCHIVE_PATH_TRAVERSAL, Links, link_problem, name_problem};
pub use ws014_keras_embedded_code::{KERAS_EMBEDDED_CODE, is_keras_gadget};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// What a rule is and what to do about its findings.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable id (`WS001`), used in reports and SARIF.
    pub id: &'static str,
    /// Short kebab-case name.
    pub name: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// STRIDE class of the threat the rule answers.
    pub stride: &'static str,
    /// Why a finding matters.
    pub why: &'static str,
    pub fix: &'static str,
    /// CVEs, specifications or other tools' checks the rule corresponds to.
    pub references: &'static [&'static str],
}

/// Every rule, in id order.
pub fn all() -> [&'static Rule; 14] {
    [
        &DANGEROUS_GLOBAL,
        &UNKNOWN_GLOBAL,
        &UNRESOLVED_GLOBAL,
        &CORRUPT_PICKLE,
        &SAFETENSORS_STRUCTURE,
        &NUMPY_OBJECT_ARRAY,
        &ARCHIVE_LIMITS,
        &ONNX_EXTERNAL_DATA,
        &ONNX_CUSTOM_DOMAIN,
        &ONNX_TENSOR_SIZE,
        &KERAS_LAMBDA_LAYER,
        &KERAS_CUSTOM_OBJECT,
        &ARCHIVE_PATH_TRAVERSAL,
        &KERAS_EMBEDDED_CODE,
    ]
}

pub fn by_id(id: &str) -> Option<&'static Rule> {
    all().into_iter().find(|r| r.id == id)
}

/// The rule a pickle import breaks, if any: dangerous beats allowed, and anything neither
/// dangerous nor allowed is unknown.
pub fn classify_import(module: &str, name: &str) -> Option<&'static Rule> {
    if is_dangerous(module, name) {
        Some(&DANGEROUS_GLOBAL)
    } else if is_allowed(module, name) {
        None
    } else {
        Some(&UNKNOWN_GLOBAL)
    }
}

/// Python 2 module names that Python 3's unpickler maps to Python 3 ones (`_compat_pickle`),
/// limited to those that matter here: a protocol 0-2 pickle naming `commands` gets
/// `subprocess`.
pub(crate) fn python3_module(module: &str) -> &str {
    match module {
        "__builtin__" | "exceptions" => "builtins",
        "copy_reg" => "copyreg",
        "commands" => "subprocess",
        "cPickle" => "pickle",
        "httplib" => "http.client",
        "urllib2" => "urllib.request",
        "UserDict" | "UserList" | "UserString" => "collections",
        "StringIO" | "cStringIO" => "io",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_ordered_and_documented() {
        let rules = all();
        for (i, rule) in rules.iter().enumerate() {
            assert_eq!(rule.id, format!("WS{:03}", i + 1));
            assert!(!rule.title.is_empty() && !rule.why.is_empty() && !rule.fix.is_empty());
            assert_eq!(by_id(rule.id), Some(*rule));
        }
    }

    #[test]
    fn classification_order() {
        assert_eq!(classify_import("posix", "system"), Some(&DANGEROUS_GLOBAL));
        assert_eq!(classify_import("collections", "OrderedDict"), None);
        assert_eq!(classify_import("mylib", "Net"), Some(&UNKNOWN_GLOBAL));
        // Traversal from an allowed object to a dunder attribute is not allowed.
        assert_eq!(classify_import("collections", "OrderedDict.__init__.__globals__"), Some(&DANGEROUS_GLOBAL));
    }
}
