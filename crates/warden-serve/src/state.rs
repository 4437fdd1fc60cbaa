//! The state dir: keys and certificates, private to the server's user.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::SetupError;

pub fn create_private_dir(dir: &Path) -> Result<(), SetupError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| SetupError::Io { path: dir.to_path_buf(), source })
}

pub fn keys_path(state_dir: &Path) -> PathBuf {
    state_dir.join("keys.json")
}

/// Refuses secret files that other users can read, or the group can write: a key
/// anyone on the host can copy is not a secret. Group read is allowed: Kubernetes
/// mounts Secret files `0440 root:<fsGroup>` whatever `defaultMode` says.
pub fn check_private(path: &Path) -> Result<(), SetupError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o027 != 0 => Err(SetupError::Unsafe(format!(
            "{} is readable by other users or writable by its group (mode {:o}); run: chmod 600 {}",
            path.display(),
            meta.permissions().mode() & 0o777,
            path.display()
        ))),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SetupError::Io { path: path.to_path_buf(), source }),
    }
}
