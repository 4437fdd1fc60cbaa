use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit log {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("audit log {path}: {message}")]
    Broken { path: PathBuf, message: String },
    #[error("audit key {path}: {message}")]
    Key { path: PathBuf, message: String },
    #[error("the audit log cannot be written: {0}")]
    Unwritable(String),
    #[error("the audit log is closed")]
    Closed,
}

impl AuditError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
        move |source| AuditError::Io { path: path.to_path_buf(), source }
    }
}
