//! Errors of this crate. Input errors are the client's fault and carry a message fit
//! to return to them; model errors are the operator's.

use std::path::PathBuf;

use crate::DataType;

/// A tensor that cannot be built or decoded.
#[derive(Debug, thiserror::Error)]
pub enum TensorError {
    #[error("binary data of {len} bytes is not a whole number of {datatype} elements")]
    BinarySize { datatype: DataType, len: usize },
    #[error("BYTES binary data is not a sequence of 4-byte length-prefixed elements")]
    BytesFraming,
    #[error("BYTES element is not valid UTF-8, which this model needs")]
    NotUtf8,
    #[error("tensor conversion failed: {0}")]
    Tract(String),
}

/// A request whose tensors do not fit the model's signature.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InputError {
    #[error("unexpected input '{0}'")]
    Unknown(String),
    #[error("missing input '{0}'")]
    Missing(String),
    #[error("input '{0}' given more than once")]
    Duplicate(String),
    #[error("input '{name}' has datatype {got}, the model expects {expected}")]
    Datatype { name: String, got: DataType, expected: DataType },
    #[error("input '{name}' has shape {got:?}, the model expects {expected}")]
    Shape { name: String, got: Vec<usize>, expected: String },
    #[error("input '{name}' has {got} elements but its shape {shape:?} needs {expected}")]
    Count { name: String, got: usize, shape: Vec<usize>, expected: usize },
    #[error("input '{name}' has {got} elements, more than the limit of {limit}")]
    TooLarge { name: String, got: usize, limit: usize },
    #[error("inputs disagree on the batch size: {0}")]
    Batch(String),
    #[error("a batch of {batch} rows is over this model's max_batch_size of {max}")]
    BatchTooLarge { batch: usize, max: usize },
    #[error("input '{name}' has shape {shape:?}, which holds no elements: send at least one row")]
    Empty { name: String, shape: Vec<usize> },
    #[error("input '{name}': {why}")]
    OutOfDomain { name: String, why: String },
    #[error("input '{0}' holds NaN or infinite values, which this model does not accept")]
    NonFinite(String),
    #[error("input '{0}' holds BYTES elements that are not UTF-8, which this model's strings need")]
    NotUtf8(String),
}

/// A model that cannot be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("model {model}: {message}")]
    Load { model: String, message: String },
    #[error("model {model}: {message}")]
    Run { model: String, message: String },
    /// A kernel refused the request's values (an index, a shape it computed):
    /// the input's fault, not the server's.
    #[error("model {model} cannot run on this input: {message}")]
    Rejected { model: String, message: String },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("model repository {path}: {message}")]
    Repository { path: PathBuf, message: String },
}
