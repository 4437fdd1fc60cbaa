//! WS001: a pickle imports a callable that runs code, reaches the network or the file system.

use super::{Rule, Severity, python3_module};

pub static DANGEROUS_GLOBAL: Rule = Rule {
    id: "WS001",
    name: "dangerous-global",
    title: "pickle imports a dangerous callable",
    severity: Severity::Critical,
    stride: "elevation-of-privilege",
    why: "unpickling imports and calls what the pickle names: os.system, eval, subprocess and \
          the like run arbitrary code with the loader's privileges the moment the model is loaded",
    fix: "do not load the file; get the model from its publisher as safetensors or ONNX, or load \
          it with torch.load(weights_only=True) after verifying its signature",
    references: &["CWE-502", "picklescan dangerous globals", "modelscan unsafe operators"],
};

/// Modules any of whose attributes is dangerous (the module itself or a submodule).
const MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "sys",
    "socket",
    "_socket",
    "ssl",
    "shutil",
    "runpy",
    "pty",
    "pdb",
    "bdb",
    "pickle",
    "_pickle",
    "pip",
    "venv",
    "timeit",
    "pydoc",
    "webbrowser",
    "ctypes",
    "asyncio",
    "importlib",
    "requests",
    "httplib",
    "http.client",
    "urllib.request",
    "aiohttp",
];

/// Builtins that evaluate code, open files or reach any attribute.
const BUILTINS: &[&str] =
    &["eval", "exec", "execfile", "compile", "open", "getattr", "apply", "breakpoint", "__import__"];

/// Single callables that turn a harmless-looking pickle into a code path.
const CALLABLES: &[(&str, &str)] = &[
    ("functools", "partial"),
    ("_functools", "partial"),
    ("operator", "attrgetter"),
    ("operator", "itemgetter"),
    ("operator", "methodcaller"),
    ("_operator", "attrgetter"),
    ("_operator", "itemgetter"),
    ("_operator", "methodcaller"),
    ("io", "open"),
    ("_io", "open"),
    ("torch", "load"),
    ("torch.serialization", "load"),
    ("torch.serialization", "_load"),
    ("torch.serialization", "_legacy_load"),
    ("torch.storage", "_load_from_bytes"),
];

/// Whether importing `module`.`name` (as the Python 3 unpickler would resolve it) is dangerous.
pub fn is_dangerous(module: &str, name: &str) -> bool {
    let mapped = python3_module(module);
    dangerous(module, name) || dangerous(mapped, name)
}

fn dangerous(module: &str, name: &str) -> bool {
    let first = name.split('.').next().unwrap_or(name);
    MODULES.iter().any(|m| module == *m || module.strip_prefix(m).is_some_and(|rest| rest.starts_with('.')))
        || (matches!(module, "builtins" | "__builtin__") && BUILTINS.contains(&first))
        || CALLABLES.iter().any(|&(m, n)| m == module && n == first)
        || dunder_traversal(name)
}

/// `a.__globals__`, `b.__class__.__subclasses__`: a dotted name (protocol 4 resolves it
/// attribute by attribute) that walks through a dunder attribute reaches anything.
fn dunder_traversal(name: &str) -> bool {
    name.contains('.') && name.split('.').any(|part| part.starts_with("__"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_list() {
        for (m, n) in [
            ("os", "system"),
            ("posix", "system"),
            ("nt", "system"),
            ("subprocess", "Popen"),
            ("builtins", "eval"),
            ("__builtin__", "exec"),
            ("builtins", "getattr"),
            ("builtins", "__import__"),
            ("functools", "partial"),
            ("operator", "methodcaller"),
            ("torch.serialization", "load"),
            ("os.path", "join"),
            ("importlib.util", "spec_from_file_location"),
            ("commands", "getoutput"),
            ("cPickle", "loads"),
            ("builtins", "eval.__call__"),
        ] {
            assert!(is_dangerous(m, n), "{m}.{n}");
        }
    }

    #[test]
    fn near_misses_are_not_dangerous() {
        for (m, n) in [("ossify", "x"), ("builtins", "set"), ("collections", "OrderedDict"), ("system", "os")] {
            assert!(!is_dangerous(m, n), "{m}.{n}");
        }
    }
}
