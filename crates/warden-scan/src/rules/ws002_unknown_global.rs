//! WS002: a pickle imports something that is neither known dangerous nor known safe.

use super::{Rule, Severity, python3_module};

pub static UNKNOWN_GLOBAL: Rule = Rule {
    id: "WS002",
    name: "unknown-global",
    title: "pickle imports a callable outside the allowlist",
    severity: Severity::Medium,
    stride: "elevation-of-privilege",
    why: "every import in a pickle runs the imported module's code and may be called with \
          attacker-chosen arguments; only the classes needed to rebuild tensors and plain \
          containers are known to be safe",
    fix: "review the import; prefer a format without code (safetensors, ONNX) or load with \
          torch.load(weights_only=True), which enforces a similar allowlist",
    references: &["CWE-502", "torch weights_only unpickler allowlist"],
};

/// Exact imports known to be safe to call: what PyTorch's weights-only unpickler allows for
/// tensors and containers, numpy's array rebuilders, and plain builtin containers.
const ALLOWED: &[(&str, &str)] = &[
    ("collections", "OrderedDict"),
    ("collections", "Counter"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "bytearray"),
    ("builtins", "complex"),
    ("builtins", "slice"),
    ("builtins", "range"),
    ("builtins", "object"),
    ("copyreg", "_reconstructor"),
    ("_codecs", "encode"),
    ("torch", "Size"),
    ("torch", "Tensor"),
    ("torch", "device"),
    ("torch.nn.parameter", "Parameter"),
    ("torch.serialization", "_get_layout"),
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v3"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch._utils", "_rebuild_qtensor"),
    ("torch._utils", "_rebuild_sparse_tensor"),
    ("torch._utils", "_rebuild_nested_tensor"),
    ("torch._utils", "_rebuild_meta_tensor_no_storage"),
    ("torch._utils", "_rebuild_wrapper_subclass"),
    ("torch._utils", "_rebuild_device_tensor_from_numpy"),
    ("torch._tensor", "_rebuild_from_type_v2"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
];

/// Attributes of `torch` that are dtypes, layouts, memory formats and quantization schemes.
const TORCH_CONSTANTS: &[&str] = &[
    "float32",
    "float",
    "float64",
    "double",
    "float16",
    "half",
    "bfloat16",
    "complex32",
    "chalf",
    "complex64",
    "cfloat",
    "complex128",
    "cdouble",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "short",
    "int32",
    "int",
    "int64",
    "long",
    "bool",
    "quint8",
    "qint8",
    "qint32",
    "quint4x2",
    "quint2x4",
    "float8_e4m3fn",
    "float8_e5m2",
    "float8_e4m3fnuz",
    "float8_e5m2fnuz",
    "strided",
    "sparse_coo",
    "sparse_csr",
    "sparse_csc",
    "sparse_bsr",
    "sparse_bsc",
    "_mkldnn",
    "contiguous_format",
    "channels_last",
    "channels_last_3d",
    "preserve_format",
    "per_tensor_affine",
    "per_channel_affine",
    "per_tensor_symmetric",
    "per_channel_symmetric",
    "per_channel_affine_float_qparams",
];

/// Whether `module`.`name` is on the allowlist (exact names only: a dotted attribute path
/// from an allowed object is not allowed).
pub fn is_allowed(module: &str, name: &str) -> bool {
    let module = python3_module(module);
    ALLOWED.contains(&(module, name)) || torch_storage_or_tensor_class(module, name) || torch_constant(module, name)
}

/// `torch.FloatStorage`, `torch.cuda.HalfTensor`, `torch.UntypedStorage` and the like.
fn torch_storage_or_tensor_class(module: &str, name: &str) -> bool {
    matches!(module, "torch" | "torch.cuda")
        && (name.ends_with("Storage") || name.ends_with("Tensor"))
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

fn torch_constant(module: &str, name: &str) -> bool {
    module == "torch" && TORCH_CONSTANTS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_allowlist() {
        for (m, n) in [
            ("collections", "OrderedDict"),
            ("torch", "FloatStorage"),
            ("torch", "BFloat16Storage"),
            ("torch", "UntypedStorage"),
            ("torch._utils", "_rebuild_tensor_v2"),
            ("numpy", "dtype"),
            ("numpy", "ndarray"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("__builtin__", "set"),
            ("torch", "float16"),
        ] {
            assert!(is_allowed(m, n), "{m}.{n}");
        }
    }

    #[test]
    fn not_allowed() {
        for (m, n) in [
            ("collections", "defaultdict"),
            ("torch", "Storage.__init__"),
            ("torch", "load"),
            ("numpy", "load"),
            ("torch._utils", "_rebuild_tensor_v2.x"),
        ] {
            assert!(!is_allowed(m, n), "{m}.{n}");
        }
    }
}
