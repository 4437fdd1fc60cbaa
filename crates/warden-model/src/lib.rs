//! Models for Warden: the repository on disk, ONNX loading and running with tract,
//! and the tensors that cross the API.
#![forbid(unsafe_code)]

mod backend;
mod config;
mod datatype;
mod error;
mod guards;
mod loader;
mod ml;
mod model;
pub mod reference;
mod repository;
mod sync;
mod tensor;

pub use backend::onnxruntime_library;
pub use config::{
    AccessLists, Bounds, ExtractionConfig, LimitsConfig, ModelConfig, OnnxruntimeConfig, OutputConfig, SignatureConfig,
    VersionPolicy,
};
pub use datatype::DataType;
pub use error::{InputError, ModelError, TensorError};
pub use loader::{LoadPolicy, MODEL_FILE, Rejection, Step, TrustedKey, read_roots};
pub use model::{Dim, Model, TensorSpec, element_count};
pub use repository::{DEFAULT_MODEL_NAME, DEFAULT_MODEL_ONNX, ModelEntry, Repository, valid_model_name};
pub use sync::{Accept, Outcome, RepositorySync, Scope};
pub use tensor::{NamedTensor, TensorData};
/// How severe a scanner finding must be to keep a model out.
pub use warden_scan::Severity as ScanSeverity;
