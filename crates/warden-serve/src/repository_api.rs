//! Triton's model repository extension: `POST /v2/repository/index` lists what is
//! served and what was kept out and why; `.../models/{m}/load` checks and loads a
//! model from the repository directory now; `.../models/{m}/unload` stops serving
//! it. The caller has the admin scope (checked before). Models are only ever read
//! from the repository directory, through the same checks as at start: the
//! extension's file-upload and config-override parameters are refused.

use bytes::Bytes;
use http::StatusCode;
use serde::Deserialize;
use warden_model::Scope;

use crate::app::App;
use crate::reply::{ApiError, Reply, json};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct IndexRequest {
    #[allow(dead_code)]
    repository_name: Option<String>,
    #[serde(default)]
    ready: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LoadRequest {
    parameters: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An optional JSON body: empty means the defaults.
fn body<T: for<'de> Deserialize<'de> + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice::<Option<T>>(bytes)
        .map(Option::unwrap_or_default)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
}

pub async fn index(app: &App, bytes: &Bytes) -> Result<Reply, ApiError> {
    let request: IndexRequest = body(bytes)?;
    let mut entries = app.models.index();
    if request.ready {
        entries.retain(|e| e.state == "READY");
    }
    Ok(json(StatusCode::OK, &entries))
}

pub async fn load(app: &App, model: &str, bytes: &Bytes) -> Result<Reply, ApiError> {
    let request: LoadRequest = body(bytes)?;
    if let Some(name) = request.parameters.iter().flat_map(|p| p.keys()).next() {
        return Err(ApiError::bad_request(format!(
            "load parameter '{name}' is not supported: models are loaded only from the repository directory, signed and scanned there"
        )));
    }
    check_name(model)?;
    let reloaded = blocking(|| app.reload_models("api load", Scope::Only(model))).map_err(unavailable)?;
    let mine: Vec<String> = reloaded.rejected.iter().filter(|r| r.model == model).map(ToString::to_string).collect();
    if !mine.is_empty() {
        return Err(ApiError::bad_request(format!("failed to load '{model}': {}", mine.join("; "))));
    }
    if app.models.current.get().repo.entry(model).is_none() {
        return Err(ApiError::bad_request(format!("failed to load '{model}': no such model in the repository")));
    }
    Ok(json(StatusCode::OK, &serde_json::json!({})))
}

pub async fn unload(app: &App, model: &str, bytes: &Bytes) -> Result<Reply, ApiError> {
    let _: LoadRequest = body(bytes)?;
    check_name(model)?;
    blocking(|| app.unload_model(model)).map_err(ApiError::bad_request)?;
    Ok(json(StatusCode::OK, &serde_json::json!({})))
}

/// The repository's own rule for model names; hidden directories are never models.
fn check_name(model: &str) -> Result<(), ApiError> {
    if warden_model::valid_model_name(model) && !model.starts_with('.') {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("'{model}' is not a valid model name")))
    }
}

fn unavailable(message: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, message)
}

/// Loading a model reads and checks files and runs it once: on a multi-threaded
/// runtime the worker hands its other tasks to a sibling meanwhile.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}
