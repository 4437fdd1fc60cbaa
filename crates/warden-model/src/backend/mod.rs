//! What runs a model: tract by default, onnxruntime when a model asks for it and
//! the server was built with the `onnxruntime` feature. Everything before and after
//! (checks, limits, guards, audit) is the same whichever runs it.

#[cfg(feature = "onnxruntime")]
pub mod onnxruntime;
pub mod tract;

use tract_onnx::pb::ModelProto;

use crate::config::ModelConfig;
use crate::model::TensorSpec;
use crate::tensor::NamedTensor;

pub use self::tract::Failure;

/// The onnxruntime library a model may load after start (`WARDEN_ONNXRUNTIME_LIB`,
/// else `ORT_DYLIB_PATH`), whether or not this build has the backend: the
/// server's sandbox keeps its directory readable.
pub fn onnxruntime_library() -> Option<std::path::PathBuf> {
    ["WARDEN_ONNXRUNTIME_LIB", "ORT_DYLIB_PATH"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
}

pub enum Backend {
    Tract(tract::TractPlan),
    #[cfg(feature = "onnxruntime")]
    Onnxruntime(onnxruntime::OrtSession),
}

type Signature = (Backend, Vec<TensorSpec>, Vec<TensorSpec>);

impl Backend {
    /// Builds the backend the model's config names. `proto` is the parsed file
    /// (tract's pure-Rust protobuf decoder); `bytes` the file, for onnxruntime.
    pub fn load(proto: &ModelProto, bytes: &[u8], config: &ModelConfig) -> Result<Signature, String> {
        match config.backend.as_deref().unwrap_or("tract") {
            "tract" => {
                let _ = bytes;
                let loaded = tract::TractPlan::load(proto)?;
                Ok((Backend::Tract(loaded.plan), loaded.inputs, loaded.outputs))
            }
            #[cfg(feature = "onnxruntime")]
            "onnxruntime" => {
                let (session, inputs, outputs) = onnxruntime::OrtSession::load(proto, bytes, config)?;
                Ok((Backend::Onnxruntime(session), inputs, outputs))
            }
            #[cfg(not(feature = "onnxruntime"))]
            "onnxruntime" => Err("backend \"onnxruntime\" needs a Warden built with the onnxruntime feature \
                 (cargo build --release --features onnxruntime)"
                .into()),
            other => Err(format!("unknown backend \"{other}\": expected \"tract\" or \"onnxruntime\"")),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Tract(_) => "tract",
            #[cfg(feature = "onnxruntime")]
            Backend::Onnxruntime(_) => "onnxruntime",
        }
    }

    pub fn run(&self, inputs: &[NamedTensor], outputs: &[TensorSpec]) -> Result<Vec<NamedTensor>, Failure> {
        match self {
            Backend::Tract(plan) => plan.run(inputs, outputs),
            #[cfg(feature = "onnxruntime")]
            Backend::Onnxruntime(session) => session.run(inputs, outputs),
        }
    }
}
