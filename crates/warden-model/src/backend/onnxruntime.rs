//! The optional onnxruntime backend (cargo feature `onnxruntime`), for models tract
//! cannot run. The ONNX Runtime shared library is opened at run time, never linked
//! or downloaded at build time: `WARDEN_ONNXRUNTIME_LIB` names it (falling back to
//! `ORT_DYLIB_PATH`, the variable the `ort` crate itself reads), e.g. the
//! `onnxruntime/capi/libonnxruntime.so.1.x.y` of the onnxruntime wheel.
//!
//! Unlike tract, onnxruntime's C++ parses the model file: this backend is for
//! models whose files the operator trusts.
//!
//! `ort` runs a session through `&mut self` (onnxruntime's `Run` is not safe to call
//! concurrently on one session with every execution provider), so each model holds
//! a small pool of sessions: one built at load, more built on demand while every
//! other one is busy, up to one per core the sessions' threads leave free.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

use half::f16;
use ort::ErrorCode;
use ort::environment::Environment;
use ort::ep::{self, ExecutionProviderDispatch};
use ort::logging::LogLevel;
use ort::session::builder::SessionBuilder;
use ort::session::{Session, SessionInputValue};
use ort::value::{DynValue, Outlet, Tensor, TensorElementType, TensorRef, ValueType};

use tract_onnx::pb::ModelProto;

use super::Failure;
use crate::DataType;
use crate::config::ModelConfig;
use crate::model::{Dim, TensorSpec};
use crate::tensor::{NamedTensor, TensorData};

/// The variable that names the ONNX Runtime shared library.
pub const LIB_VAR: &str = "WARDEN_ONNXRUNTIME_LIB";
/// The `ort` crate's own variable, read when `LIB_VAR` is not set.
pub const ORT_VAR: &str = "ORT_DYLIB_PATH";

/// The oldest onnxruntime this build works with (`ort`'s `api-17` feature).
const MIN_VERSION: &str = "1.17";

/// Most sessions one model keeps, whatever the core count.
const MAX_POOL: usize = 8;

/// The process's one onnxruntime environment, built by the first model that needs
/// it. A failure is not remembered: a later load tries again.
static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();
static ENVIRONMENT_INIT: Mutex<()> = Mutex::new(());

fn environment() -> Result<&'static Environment, String> {
    if let Some(env) = ENVIRONMENT.get() {
        return Ok(env);
    }
    let _init = ENVIRONMENT_INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(env) = ENVIRONMENT.get() {
        return Ok(env);
    }
    let (path, var) = library_path(std::env::var_os(LIB_VAR), std::env::var_os(ORT_VAR))?;
    let advice = || {
        format!(
            "set {LIB_VAR} (or {ORT_VAR}) to the path of the ONNX Runtime shared library, \
             onnxruntime {MIN_VERSION} or newer (e.g. onnxruntime/capi/libonnxruntime.so.1.x.y \
             in the onnxruntime Python wheel)"
        )
    };
    // ort resolves a relative path against the executable's directory first, then
    // lets the dynamic loader search for it; only an absolute path can be checked here.
    if path.is_absolute() && !path.is_file() {
        return Err(format!(
            "the onnxruntime backend cannot load ONNX Runtime: {} (from {var}) is not a file; {}",
            path.display(),
            advice()
        ));
    }
    let builder = ort::init_from(&path).map_err(|e| {
        // libloading's own message is only "dlopen failed"; the loader's is its source.
        let why = match &e {
            ort::LoadDynamicError::Dlopen { error, .. } => match std::error::Error::source(error) {
                Some(source) => format!("{e} ({source})"),
                None => e.to_string(),
            },
            _ => e.to_string(),
        };
        format!(
            "the onnxruntime backend cannot load ONNX Runtime from {} (from {var}): {why}; {}",
            path.display(),
            advice()
        )
    })?;
    let env = builder
        .with_name("warden")
        .with_telemetry(false)
        .build()
        .map_err(|e| format!("cannot create the onnxruntime environment: {e}"))?;
    if std::env::var_os("ORT_LOG").is_none() {
        // Every failure reaches Warden as an error it reports; onnxruntime's own
        // coloured stderr lines (one per refused request) would only duplicate it.
        env.set_log_level(LogLevel::Fatal);
    }
    Ok(ENVIRONMENT.get_or_init(|| env))
}

/// The library's path and the variable that named it: `WARDEN_ONNXRUNTIME_LIB`,
/// else `ORT_DYLIB_PATH`; empty counts as unset.
fn library_path(warden: Option<OsString>, ort: Option<OsString>) -> Result<(PathBuf, &'static str), String> {
    let set = |v: Option<OsString>| v.filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(path) = set(warden) {
        return Ok((path, LIB_VAR));
    }
    if let Some(path) = set(ort) {
        return Ok((path, ORT_VAR));
    }
    Err(format!(
        "the onnxruntime backend needs the ONNX Runtime shared library, and neither {LIB_VAR} nor {ORT_VAR} \
         is set: set {LIB_VAR} to its path, onnxruntime {MIN_VERSION} or newer (e.g. \
         onnxruntime/capi/libonnxruntime.so.1.x.y in the onnxruntime Python wheel)"
    ))
}

/// An execution provider a model's config may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Provider {
    Cpu,
    Cuda,
}

impl Provider {
    fn parse(name: &str) -> Result<Provider, String> {
        match name.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Provider::Cpu),
            "cuda" => Ok(Provider::Cuda),
            _ => Err(format!("unknown onnxruntime execution provider \"{name}\": expected \"cpu\" or \"cuda\"")),
        }
    }

    fn dispatch(self) -> ExecutionProviderDispatch {
        match self {
            Provider::Cpu => ep::CPU::default().build(),
            Provider::Cuda => ep::CUDA::default().build(),
        }
        .error_on_failure()
    }
}

/// How to build one more session of a model.
struct Recipe {
    /// The model file, kept only when the pool may grow past one session.
    bytes: Option<Vec<u8>>,
    intra_threads: usize,
    /// The providers that worked at load, CPU last (and implied).
    providers: Vec<Provider>,
}

impl Recipe {
    fn builder(&self, providers: &[Provider]) -> Result<SessionBuilder, String> {
        let err = |e: ort::Error<SessionBuilder>| format!("onnxruntime session options: {e}");
        let mut builder = Session::builder(environment()?).map_err(|e| format!("onnxruntime session options: {e}"))?;
        builder = builder.with_intra_threads(self.intra_threads).map_err(err)?;
        if self.intra_threads != 1 {
            // Threads that spin between requests take cores from other requests.
            builder = builder.with_config_entry("session.intra_op.allow_spinning", "0").map_err(err)?;
        }
        for provider in providers.iter().filter(|p| **p != Provider::Cpu) {
            builder = builder.with_execution_providers([provider.dispatch()]).map_err(err)?;
        }
        Ok(builder)
    }

    /// Builds a session with the first providers that work: each one asked for is
    /// registered if onnxruntime has it, and if the session then fails to build on
    /// them, it is built again on the CPU alone. Returns the providers in use.
    fn first_session(&self, bytes: &[u8], asked: &[Provider]) -> Result<(Session, Vec<Provider>), String> {
        let mut usable = Vec::new();
        for &provider in asked {
            if provider == Provider::Cpu {
                break;
            }
            // Registration fails when this onnxruntime build lacks the provider or
            // its libraries: fall back to the next one.
            let probe = Session::builder(environment()?)
                .map_err(|e| format!("onnxruntime session options: {e}"))?
                .with_execution_providers([provider.dispatch()]);
            if probe.is_ok() {
                usable.push(provider);
            }
        }
        if !usable.is_empty()
            && let Ok(session) = self.builder(&usable)?.commit_from_memory(bytes)
        {
            return Ok((session, usable));
        }
        let session = self.builder(&[])?.commit_from_memory(bytes).map_err(|e| format!("onnxruntime: {e}"))?;
        Ok((session, vec![Provider::Cpu]))
    }

    fn session(&self) -> Result<Session, String> {
        let bytes = self.bytes.as_deref().ok_or("the model file was not kept")?;
        self.builder(&self.providers)?.commit_from_memory(bytes).map_err(|e| format!("onnxruntime: {e}"))
    }
}

struct PoolState {
    idle: Vec<Session>,
    /// Sessions built, idle or not.
    live: usize,
    /// How many sessions the pool may hold; lowered when building one fails.
    max: usize,
}

/// A model loaded in onnxruntime: a pool of sessions of it.
pub struct OrtSession {
    state: Mutex<PoolState>,
    freed: Condvar,
    recipe: Recipe,
}

/// A session taken from the pool; it goes back when dropped.
struct Lease<'p> {
    pool: &'p OrtSession,
    session: Option<Session>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            self.pool.lock().idle.push(session);
            self.pool.freed.notify_one();
        }
    }
}

impl OrtSession {
    pub fn load(
        proto: &ModelProto,
        bytes: &[u8],
        config: &ModelConfig,
    ) -> Result<(OrtSession, Vec<TensorSpec>, Vec<TensorSpec>), String> {
        refuse_external_data(proto)?;
        let settings = config.onnxruntime.clone().unwrap_or_default();
        let asked = match &settings.execution_providers {
            Some(names) => names.iter().map(|n| Provider::parse(n)).collect::<Result<Vec<_>, _>>()?,
            None => vec![Provider::Cpu],
        };
        // 0 lets onnxruntime choose (one thread per core).
        let intra_threads = settings.intra_op_threads.unwrap_or(1);
        let mut recipe = Recipe { bytes: None, intra_threads, providers: Vec::new() };
        let (session, providers) = recipe.first_session(bytes, &asked)?;
        let inputs = signature(session.inputs(), "input", true)?;
        let outputs = signature(session.outputs(), "output", false)?;

        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let max = if providers.contains(&Provider::Cuda) || intra_threads == 0 {
            // One session per GPU model (each would hold its own device memory), and
            // a session that already uses every core gains nothing from a second.
            1
        } else {
            (cores / intra_threads).clamp(1, MAX_POOL)
        };
        recipe.providers = providers;
        if max > 1 {
            recipe.bytes = Some(bytes.to_vec());
        }
        let state = PoolState { idle: vec![session], live: 1, max };
        Ok((OrtSession { state: Mutex::new(state), freed: Condvar::new(), recipe }, inputs, outputs))
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An idle session, a new one when all are busy and the pool may grow, or the
    /// next one freed.
    fn checkout(&self) -> Lease<'_> {
        let mut state = self.lock();
        loop {
            if let Some(session) = state.idle.pop() {
                return Lease { pool: self, session: Some(session) };
            }
            if state.live < state.max {
                state.live += 1;
                drop(state);
                match self.recipe.session() {
                    Ok(session) => return Lease { pool: self, session: Some(session) },
                    Err(_) => {
                        // Memory, most likely: make do with the sessions there are.
                        state = self.lock();
                        state.live -= 1;
                        state.max = state.live;
                        continue;
                    }
                }
            }
            state = self.freed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    pub fn run(&self, inputs: &[NamedTensor], outputs: &[TensorSpec]) -> Result<Vec<NamedTensor>, Failure> {
        // Strings are copied (onnxruntime holds std::strings); numbers are lent.
        let strings: Vec<Option<Vec<String>>> = inputs.iter().map(utf8_elements).collect::<Result<_, _>>()?;
        let mut values: Vec<(String, SessionInputValue<'_>)> = Vec::with_capacity(inputs.len());
        for (t, strings) in inputs.iter().zip(&strings) {
            values.push((t.name.clone(), input_value(t, strings.as_deref())?));
        }

        let mut lease = self.checkout();
        let session = lease.session.as_mut().expect("a lease holds a session until dropped");
        let results = session.run(values).map_err(run_failure)?;
        outputs
            .iter()
            .map(|spec| {
                let value = results
                    .iter()
                    .find(|(name, _)| *name == spec.name)
                    .map(|(_, v)| v)
                    .ok_or_else(|| Failure::Model(format!("onnxruntime returned no output '{}'", spec.name)))?;
                output_tensor(spec, &value)
            })
            .collect()
    }
}

/// Refuses a model whose tensors keep their data outside the file. Loaded from
/// memory, onnxruntime would resolve such a path against the server's working
/// directory (and older versions with fewer checks), and its
/// `*/_ORT_MEM_ADDR_/*` location points into process memory: a model could read a
/// server's files or memory into a weight and answer them. Tract refuses them too.
fn refuse_external_data(model: &ModelProto) -> Result<(), String> {
    use tract_onnx::pb::{GraphProto, NodeProto, SparseTensorProto, TensorProto};

    fn tensor(t: &TensorProto) -> Result<(), String> {
        const EXTERNAL: i32 = 1;
        if t.data_location == Some(EXTERNAL) || !t.external_data.is_empty() {
            return Err(format!(
                "tensor '{}' keeps its data in an external file, which Warden does not load: \
                 save the model with its data inside (onnx.save_model(model, path, save_as_external_data=False))",
                t.name
            ));
        }
        Ok(())
    }
    fn sparse(s: &SparseTensorProto) -> Result<(), String> {
        s.values.iter().chain(&s.indices).try_for_each(tensor)
    }
    fn nodes(nodes: &[NodeProto]) -> Result<(), String> {
        for attr in nodes.iter().flat_map(|n| &n.attribute) {
            attr.t.iter().chain(&attr.tensors).try_for_each(tensor)?;
            attr.sparse_tensor.iter().chain(&attr.sparse_tensors).try_for_each(sparse)?;
            attr.g.iter().chain(&attr.graphs).try_for_each(graph)?;
        }
        Ok(())
    }
    fn graph(g: &GraphProto) -> Result<(), String> {
        g.initializer.iter().try_for_each(tensor)?;
        g.sparse_initializer.iter().try_for_each(sparse)?;
        nodes(&g.node)
    }

    model.graph.iter().try_for_each(graph)?;
    model.functions.iter().try_for_each(|f| nodes(&f.node))?;
    model.training_info.iter().flat_map(|t| t.initialization.iter().chain(&t.algorithm)).try_for_each(graph)
}

/// A run that onnxruntime refused. Its status codes do not say whose fault a failure
/// is (a kernel refusing an index out of range and a kernel bug both come back as
/// ORT_FAIL or ORT_INVALID_ARGUMENT), so what happens during a run, after the inputs
/// passed Warden's checks and guards, is the input's; only the codes that can only
/// mean a broken runtime or device are the model's.
fn run_failure(e: ort::Error) -> Failure {
    let message = format!("onnxruntime: {e}");
    match e.code() {
        ErrorCode::EngineError
        | ErrorCode::ExecutionProviderFailure
        | ErrorCode::DeviceReset
        | ErrorCode::NotImplemented
        | ErrorCode::NoModel
        | ErrorCode::ModelLoaded
        | ErrorCode::InvalidGraph
        | ErrorCode::InvalidProtobuf
        | ErrorCode::NoSuchFile
        | ErrorCode::CompilationRequired => Failure::Model(message),
        _ => Failure::Input(message),
    }
}

/// The elements of a BYTES input as strings, which onnxruntime needs UTF-8 and free
/// of NUL (it copies each through a C string).
fn utf8_elements(t: &NamedTensor) -> Result<Option<Vec<String>>, Failure> {
    let TensorData::Bytes(elements) = &t.data else { return Ok(None) };
    elements
        .iter()
        .map(|e| {
            let s = std::str::from_utf8(e)
                .map_err(|_| Failure::Input(format!("input '{}' holds BYTES elements that are not UTF-8", t.name)))?;
            if s.contains('\0') {
                return Err(Failure::Input(format!(
                    "input '{}' holds a BYTES element with a NUL byte, which onnxruntime strings cannot hold",
                    t.name
                )));
            }
            Ok(s.to_string())
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn input_value<'v>(t: &'v NamedTensor, strings: Option<&[String]>) -> Result<SessionInputValue<'v>, Failure> {
    let shape: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
    let wrap = |e: ort::Error| Failure::Model(format!("input '{}': {e}", t.name));
    macro_rules! lend {
        ($v:expr) => {
            TensorRef::from_array_view((shape, &$v[..])).map(SessionInputValue::from).map_err(wrap)
        };
    }
    match &t.data {
        TensorData::Bool(v) => lend!(v),
        TensorData::U8(v) => lend!(v),
        TensorData::U16(v) => lend!(v),
        TensorData::U32(v) => lend!(v),
        TensorData::U64(v) => lend!(v),
        TensorData::I8(v) => lend!(v),
        TensorData::I16(v) => lend!(v),
        TensorData::I32(v) => lend!(v),
        TensorData::I64(v) => lend!(v),
        TensorData::F16(v) => lend!(v),
        TensorData::F32(v) => lend!(v),
        TensorData::F64(v) => lend!(v),
        TensorData::Bytes(_) => {
            let strings = strings.unwrap_or_default();
            Tensor::from_string_array((shape, strings)).map(SessionInputValue::from).map_err(wrap)
        }
    }
}

fn output_tensor(spec: &TensorSpec, value: &DynValue) -> Result<NamedTensor, Failure> {
    let fail = |e: ort::Error| Failure::Model(format!("output '{}': {e}", spec.name));
    let ValueType::Tensor { shape, .. } = value.dtype() else {
        return Err(Failure::Model(format!("output '{}' is {}, not a tensor", spec.name, value.dtype())));
    };
    let shape: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    macro_rules! copy {
        ($variant:ident, $ty:ty) => {
            TensorData::$variant(value.try_extract_tensor::<$ty>().map_err(fail)?.1.to_vec())
        };
    }
    let data = match spec.datatype {
        DataType::Bool => copy!(Bool, bool),
        DataType::U8 => copy!(U8, u8),
        DataType::U16 => copy!(U16, u16),
        DataType::U32 => copy!(U32, u32),
        DataType::U64 => copy!(U64, u64),
        DataType::I8 => copy!(I8, i8),
        DataType::I16 => copy!(I16, i16),
        DataType::I32 => copy!(I32, i32),
        DataType::I64 => copy!(I64, i64),
        DataType::F16 => copy!(F16, f16),
        DataType::F32 => copy!(F32, f32),
        DataType::F64 => copy!(F64, f64),
        DataType::Bytes => TensorData::Bytes(
            value.try_extract_strings().map_err(fail)?.1.into_iter().map(String::into_bytes).collect(),
        ),
    };
    Ok(NamedTensor { name: spec.name.clone(), shape, data })
}

fn datatype(ty: TensorElementType) -> Option<DataType> {
    Some(match ty {
        TensorElementType::Bool => DataType::Bool,
        TensorElementType::Uint8 => DataType::U8,
        TensorElementType::Uint16 => DataType::U16,
        TensorElementType::Uint32 => DataType::U32,
        TensorElementType::Uint64 => DataType::U64,
        TensorElementType::Int8 => DataType::I8,
        TensorElementType::Int16 => DataType::I16,
        TensorElementType::Int32 => DataType::I32,
        TensorElementType::Int64 => DataType::I64,
        TensorElementType::Float16 => DataType::F16,
        TensorElementType::Float32 => DataType::F32,
        TensorElementType::Float64 => DataType::F64,
        TensorElementType::String => DataType::Bytes,
        _ => return None,
    })
}

/// The signature onnxruntime reads from the model. A variable dimension is named by
/// the model's dim_param; an unnamed one is `batch` when it is the first dimension
/// of an input (every input's first unnamed dimension is the one batch, as with
/// tract), else `<name>_<axis>`.
fn signature(outlets: &[Outlet], kind: &str, batch_first: bool) -> Result<Vec<TensorSpec>, String> {
    outlets
        .iter()
        .map(|outlet| {
            let name = outlet.name().to_string();
            let ValueType::Tensor { ty, shape, dimension_symbols } = outlet.dtype() else {
                return Err(not_a_tensor(kind, &name, outlet.dtype()));
            };
            let datatype = datatype(*ty).ok_or_else(|| {
                format!("{kind} '{name}' has datatype {ty}, which the Open Inference Protocol cannot carry")
            })?;
            let shape = shape
                .iter()
                .enumerate()
                .map(|(axis, &d)| match usize::try_from(d) {
                    Ok(n) => Dim::Fixed(n),
                    Err(_) => match dimension_symbols.get(axis).filter(|s| !s.is_empty()) {
                        Some(symbol) => Dim::Var(symbol.clone()),
                        None if axis == 0 && batch_first => Dim::Var("batch".into()),
                        None => Dim::Var(format!("{name}_{axis}")),
                    },
                })
                .collect();
            Ok(TensorSpec { name, datatype, shape })
        })
        .collect()
}

fn not_a_tensor(kind: &str, name: &str, ty: &ValueType) -> String {
    let mut message =
        format!("{kind} '{name}' is a {ty}, which the Open Inference Protocol cannot carry (it carries tensors only)");
    let maps = match ty {
        ValueType::Map { .. } => true,
        ValueType::Sequence(inner) => inner.is_map(),
        _ => false,
    };
    if maps {
        message.push_str(
            "; a classifier's ZipMap makes such lists of maps: export it without \
             (skl2onnx: options={id(model): {\"zipmap\": False}}, i.e. zipmap=False)",
        );
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_path_prefers_warden_variable() {
        let (path, var) = library_path(Some("/a.so".into()), Some("/b.so".into())).unwrap();
        assert_eq!((path, var), (PathBuf::from("/a.so"), LIB_VAR));
        let (path, var) = library_path(Some("".into()), Some("/b.so".into())).unwrap();
        assert_eq!((path, var), (PathBuf::from("/b.so"), ORT_VAR));
        let err = library_path(None, Some("".into())).unwrap_err();
        assert!(err.contains(LIB_VAR) && err.contains(ORT_VAR), "{err}");
    }

    #[test]
    fn providers_parse() {
        assert_eq!(Provider::parse("CUDA"), Ok(Provider::Cuda));
        assert_eq!(Provider::parse("cpu"), Ok(Provider::Cpu));
        assert!(Provider::parse("tensorrt").unwrap_err().contains("\"cpu\" or \"cuda\""));
    }
}
