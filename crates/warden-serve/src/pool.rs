//! Runs models on tokio's blocking threads, at most one per core at a time, so
//! inference never stalls the reactor that serves health checks and other clients.

use std::sync::Arc;

use http::StatusCode;
use tokio::sync::Semaphore;
use warden_model::{Model, ModelError, NamedTensor};

use crate::reply::ApiError;

pub struct InferencePool {
    permits: Arc<Semaphore>,
}

impl InferencePool {
    pub fn new(threads: usize) -> InferencePool {
        InferencePool { permits: Arc::new(Semaphore::new(threads.max(1))) }
    }

    /// Runs `model` on checked inputs. The permit moves into the blocking task, so a
    /// request that times out while its model still runs keeps holding the core
    /// until the model returns: the pool is never oversubscribed.
    pub async fn run(&self, model: Arc<Model>, inputs: Vec<NamedTensor>) -> Result<Vec<NamedTensor>, ApiError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::unavailable("server is shutting down", 1))?;
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            model.run(&inputs)
        });
        match task.await {
            Ok(Ok(outputs)) => Ok(outputs),
            Ok(Err(ModelError::Rejected { message, .. })) => {
                tracing::warn!("the model refused a request's input");
                tracing::debug!(error = %message, "why the model refused the input");
                Err(rejected())
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "model run failed");
                Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the model failed to run"))
            }
            // Inputs are checked against the signature before a model runs, so a
            // kernel that panics was failed by the values it was given: the client's
            // input. The panic hook has logged where, without the message.
            Err(_) => Err(rejected()),
        }
    }
}

fn rejected() -> ApiError {
    ApiError::bad_request(
        "the model cannot run on this input: a value is outside what the model accepts (an index, a divisor or a size)",
    )
}
