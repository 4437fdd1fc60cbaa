//! Finds unsafe model artifacts before anything loads them: pickles that import code (raw,
//! PyTorch zip and legacy, joblib, numpy object arrays), malformed safetensors, ONNX models
//! whose external data escapes their directory, and archives built to exhaust a loader.
//!
//! Nothing is ever executed or unpickled. Pickles are walked opcode by opcode with a
//! simulated stack; every parser reads streams in bounded memory; every container has limits
//! on nesting, members and decompressed bytes. A file that cannot be read is an error in its
//! own report, never a panic of the caller.
//!
//! ```no_run
//! let report = warden_scan::scan_path(std::path::Path::new("model.pt"), &warden_scan::Options::default());
//! for file in &report.files {
//!     for finding in &file.findings {
//!         println!("{}: {} {}", file.path.display(), finding.rule.id, finding.message);
//!     }
//! }
//! ```
#![forbid(unsafe_code)]

mod archive;
mod context;
mod formats;
mod keras;
mod npy;
mod onnx;
mod options;
pub mod pickle;
mod progress;
mod protobuf;
mod pylit;
mod report;
pub mod rules;
mod safetensors;
mod scan;
pub mod signing;
mod source;

pub use formats::Format;
pub use options::Options;
pub use progress::Progress;
pub use report::{FileReport, Finding, Report};
pub use rules::{Rule, Severity};
pub use scan::{scan_file, scan_path, total_len};
pub use source::Src;
