//! Scan limits. Every limit is on by default: a scanner that reads hostile files must bound
//! its own memory, disk and time.

use std::sync::Arc;

use crate::pickle;
use crate::progress::Progress;

#[derive(Debug, Clone)]
pub struct Options {
    /// Containers (zip, tar, gzip) nested inside one another, the outermost counting as one.
    pub max_depth: u32,
    /// Members in one archive.
    pub max_members: u64,
    /// Bytes read out of archive members and decompressors for one file, all levels together.
    pub max_total_bytes: u64,
    /// Decompressed bytes per compressed byte of one member, checked once a member has
    /// produced `ratio_floor` bytes (small members compress well without being bombs).
    pub max_ratio: u64,
    pub ratio_floor: u64,
    /// Findings kept per file; past it only critical findings are kept, up to twice as many.
    pub max_findings: usize,
    /// Largest plausible ONNX tensor, in bytes.
    pub max_tensor_bytes: u64,
    /// Largest Keras config (JSON) parsed, in bytes; a bigger one is a per-file error.
    pub max_json_bytes: u64,
    /// Depth of subdirectories followed when scanning a directory.
    pub max_dir_depth: u32,
    pub pickle: pickle::Limits,
    /// Where to count the bytes scanned, for a caller that shows progress while the scan
    /// runs; `None` costs nothing.
    pub progress: Option<Arc<Progress>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_depth: 5,
            max_members: 65_536,
            max_total_bytes: 16 << 30,
            max_ratio: 200,
            ratio_floor: 16 << 20,
            max_findings: 1000,
            max_tensor_bytes: 64 << 30,
            max_json_bytes: 64 << 20,
            max_dir_depth: 64,
            pickle: pickle::Limits::default(),
            progress: None,
        }
    }
}
