//! The server's self-confinement on Linux, applied once its sockets are bound and
//! before it reads a request: `no_new_privs`, every capability dropped, Landlock
//! rules over the file system, and a seccomp allowlist that kills the process on
//! any other system call. Each layer is a separate file; [`apply`] runs them in
//! the order each needs (seccomp last: the others make system calls it forbids).
//!
//! The crate is the one place of Warden with `unsafe` (two `prctl`s and
//! `capset`), kept apart so the rest can forbid it.

mod landlock;
mod privileges;
mod seccomp;

use std::path::PathBuf;

pub use landlock::Enforced;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("no_new_privs: {0}")]
    NoNewPrivs(std::io::Error),
    #[error("dropping capabilities: {0}")]
    Capabilities(std::io::Error),
    #[error("landlock: {0}")]
    Landlock(String),
    #[error("seccomp: {0}")]
    Seccomp(String),
}

/// What the process may reach once confined.
#[derive(Debug, Default, Clone)]
pub struct Policy {
    /// Read beneath these (files or directories).
    pub read_only: Vec<PathBuf>,
    /// Read and write beneath these.
    pub read_write: Vec<PathBuf>,
}

/// What was applied, for the log: a kernel without Landlock still gets the
/// other layers, and the report says what it could not apply.
#[derive(Debug)]
pub struct Report {
    pub landlock: Enforced,
    /// Whether the capability bounding set was emptied (only a root start can).
    pub bounding_set_emptied: bool,
    /// Paths of the policy that could not be added, with why.
    pub skipped: Vec<String>,
}

/// Confines the calling thread and the threads it creates afterwards (Landlock
/// holds per thread: call it before any other thread exists); seccomp and
/// `no_new_privs` hold for every thread.
pub fn apply(policy: &Policy) -> Result<Report, SandboxError> {
    privileges::no_new_privs().map_err(SandboxError::NoNewPrivs)?;
    let bounding_set_emptied = privileges::drop_capabilities().map_err(SandboxError::Capabilities)?;
    let (landlock, skipped) = landlock::apply(&policy.read_only, &policy.read_write)?;
    seccomp::apply()?;
    Ok(Report { landlock, bounding_set_emptied, skipped })
}

/// The effective user id: whether the process runs as root (0), asked of the
/// kernel rather than read from /proc, which may be unreadable.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Builds the seccomp programs without installing them (a check that the
/// allowlist compiles for this architecture).
pub fn check_seccomp() -> Result<(), SandboxError> {
    seccomp::programs().map(|_| ())
}
