//! Landlock: the files the process may still reach once confined. Read-only
//! beneath the paths it reads (model repository, config, keys, certificates,
//! system libraries and CA roots), read-write beneath the state and audit
//! directories, nothing anywhere else; no new TCP listening port. Rules hold on
//! inodes, so a directory rule also covers files renamed into it later (a
//! rotated certificate, a Kubernetes Secret update).

use std::path::{Path, PathBuf};

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, PathBeneath, PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus,
};

use crate::SandboxError;

/// The newest ABI the rules are written for; older kernels get what they
/// support (best effort), and the report says how much that was.
const ABI_TARGET: ABI = ABI::V5;

/// What Landlock enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforced {
    Fully,
    Partially,
    /// The kernel has no Landlock (or it is disabled).
    Not,
}

/// Restricts this thread and every thread it creates afterwards.
pub fn apply(read_only: &[PathBuf], read_write: &[PathBuf]) -> Result<(Enforced, Vec<String>), SandboxError> {
    let mut skipped = Vec::new();
    let err = |e: landlock::RulesetError| SandboxError::Landlock(e.to_string());
    let mut ruleset = Ruleset::default()
        .handle_access(AccessFs::from_all(ABI_TARGET))
        .map_err(err)?
        .handle_access(AccessNet::BindTcp)
        .map_err(err)?
        .create()
        .map_err(err)?;
    for (paths, access) in [(read_only, AccessFs::from_read(ABI_TARGET)), (read_write, AccessFs::from_all(ABI_TARGET))]
    {
        for path in paths {
            match rule(path, access) {
                Ok(Some(r)) => ruleset = ruleset.add_rule(r).map_err(err)?,
                Ok(None) => {}
                Err(e) => skipped.push(format!("{}: {e}", path.display())),
            }
        }
    }
    let status = ruleset.restrict_self().map_err(err)?;
    let enforced = match status.ruleset {
        RulesetStatus::FullyEnforced => Enforced::Fully,
        RulesetStatus::PartiallyEnforced => Enforced::Partially,
        RulesetStatus::NotEnforced => Enforced::Not,
    };
    Ok((enforced, skipped))
}

/// A rule for `path`: directory rights only on directories. `None` for a path
/// that does not exist (a library directory this distribution lacks).
fn rule(path: &Path, access: BitFlags<AccessFs>) -> Result<Option<PathBeneath<PathFd>>, String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let access = if meta.is_dir() { access } else { access & AccessFs::from_file(ABI_TARGET) };
    let fd = PathFd::new(path).map_err(|e| e.to_string())?;
    Ok(Some(PathBeneath::new(fd, access)))
}
