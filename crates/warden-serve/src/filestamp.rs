//! Noticing that a file changed, cheaply: its modification time, size and inode.
//! An atomic replace (write a temporary file, rename it over) changes the inode even
//! when the time and size happen to match.

use std::path::Path;
use std::time::SystemTime;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Stamp {
    modified: SystemTime,
    len: u64,
    inode: u64,
}

/// The file's stamp, or `None` when it cannot be read (missing, no permission).
pub fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp { modified: meta.modified().ok()?, len: meta.len(), inode: meta.ino() })
}
