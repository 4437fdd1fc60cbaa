//! WS006: a numpy array of Python objects, which numpy stores as a pickle.

use super::{Rule, Severity};

pub static NUMPY_OBJECT_ARRAY: Rule = Rule {
    id: "WS006",
    name: "numpy-object-array",
    title: "numpy array with object dtype holds a pickle",
    severity: Severity::Medium,
    stride: "elevation-of-privilege",
    why: "loading it needs np.load(allow_pickle=True), which unpickles the data; the embedded \
          pickle is scanned and its imports reported separately",
    fix: "store numeric arrays with a numeric dtype, or keep the objects out of the model file",
    references: &["CWE-502", "numpy.load allow_pickle"],
};
