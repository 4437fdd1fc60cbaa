//! Errors that stop the server from starting. Request errors are `ApiError`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot access {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("tls: {0}")]
    Tls(String),
    #[error("{0}")]
    Unsafe(String),
    #[error("jwt: {0}")]
    Jwt(String),
    #[error(transparent)]
    Guard(#[from] warden_guard::GuardError),
    #[error(transparent)]
    Audit(#[from] warden_observe::audit::AuditError),
    #[error(transparent)]
    Model(#[from] warden_model::ModelError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
}
