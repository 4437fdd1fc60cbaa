//! WS005: a safetensors file that breaks the format's structural rules.

use super::{Rule, Severity};

pub static SAFETENSORS_STRUCTURE: Rule = Rule {
    id: "WS005",
    name: "safetensors-structure",
    title: "safetensors file is malformed",
    severity: Severity::High,
    stride: "tampering",
    why: "safetensors is safe only while its header is consistent: overlapping or out-of-range \
          offsets, sizes that overflow and trailing bytes are how parser bugs are reached and \
          how one file can be read differently by two loaders",
    fix: "re-export the model with the safetensors library and compare digests with the publisher's",
    references: &["safetensors format specification"],
};
