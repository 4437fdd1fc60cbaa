use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error("cannot access {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is invalid: {message}")]
    KeyFile { path: PathBuf, message: String },
    #[error("{0}")]
    InvalidScope(String),
    #[error("a key name must be 1 to 128 printable characters")]
    InvalidName,
    #[error("no key with id '{0}'")]
    UnknownKey(String),
    #[error("key '{0}' is already revoked")]
    AlreadyRevoked(String),
    #[error("key '{0}' is revoked or expired; create a new key instead")]
    NotActive(String),
    #[error("no randomness available: {0}")]
    Random(String),
}
