//! The audit log: JSON lines, each carrying the hash of the one before it, with
//! checkpoints signed by an Ed25519 key, so an edit, a deletion, a reordering or a
//! truncation is found by [`verify`].

mod chain;
mod error;
mod event;
mod files;
mod signer;
mod syslog;
mod verify;
mod writer;

pub use error::AuditError;
pub use event::Event;
pub use files::{CURRENT, HEAD, chain_files};
pub use signer::{CheckpointKey, PUBLIC_KEY_FILE, load_public_key};
pub use verify::{Options, Problem, Report, verify};
pub use writer::{AuditLog, AuditSettings, Stats};
