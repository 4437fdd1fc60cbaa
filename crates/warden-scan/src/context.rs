//! The state of scanning one file: where in it we are, what was found, what failed, and the
//! shared budget of decompressed bytes.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::archive::limit::{Budget, LimitHit};
use crate::formats::Format;
use crate::options::Options;
use crate::report::{FileReport, Finding};
use crate::rules::{self, Rule, Severity};

/// Where a stream sits: the archive member path (nesting joined with `!`) and how many
/// containers enclose it.
#[derive(Debug, Clone, Default)]
pub struct Loc {
    pub member: Option<String>,
    pub depth: u32,
}

impl Loc {
    /// A member of the container at `self`.
    pub fn member(&self, name: &str) -> Loc {
        let member = match &self.member {
            Some(outer) => format!("{outer}!{name}"),
            None => name.to_owned(),
        };
        Loc { member: Some(member), depth: self.depth + 1 }
    }

    /// The decompressed content of the stream at `self` (gzip, zlib).
    pub fn inner(&self) -> Loc {
        Loc { member: self.member.clone(), depth: self.depth + 1 }
    }
}

/// What the name of a member says about its content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NameKind {
    #[default]
    Plain,
    /// Named as pickle data (`*.pkl`, PyTorch's `data.pkl`): a parse failure is reported.
    Pickle,
    /// PyTorch tar's `storages` and `tensors`: pickles with raw bytes between them.
    Interleaved,
    /// The `config.json` of a zip, which Keras 3 reads as the model's config whatever the
    /// order of its keys: any JSON object there is parsed.
    KerasConfig,
}

/// What is known about a stream before reading it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hint {
    /// Its length, when the container or file system says so.
    pub known_len: Option<u64>,
    pub kind: NameKind,
}

pub struct Cx<'o> {
    pub options: &'o Options,
    /// Directory of the file on disk, for ONNX external data.
    pub dir: Option<PathBuf>,
    pub format: Format,
    pub bytes: u64,
    pub budget: Rc<Budget>,
    findings: Vec<Finding>,
    seen: HashSet<(&'static str, Option<String>, String)>,
    dropped: u64,
    errors: Vec<String>,
}

/// Errors kept per file; the rest are counted in the last message.
const MAX_ERRORS: usize = 10;

impl<'o> Cx<'o> {
    pub fn new(options: &'o Options, dir: Option<&Path>) -> Self {
        Cx {
            options,
            dir: dir.map(Path::to_path_buf),
            format: Format::Unknown,
            bytes: 0,
            budget: Rc::new(Budget::new(options.max_total_bytes)),
            findings: Vec::new(),
            seen: HashSet::new(),
            dropped: 0,
            errors: Vec::new(),
        }
    }

    /// Records a finding once per rule, member and import (or message, without an import).
    /// Past `max_findings` only critical findings are kept, up to twice as many.
    pub fn add(
        &mut self,
        rule: &'static Rule,
        loc: &Loc,
        message: String,
        offset: Option<u64>,
        global: Option<String>,
    ) {
        let key = (rule.id, loc.member.clone(), global.clone().unwrap_or_else(|| message.clone()));
        if self.seen.contains(&key) {
            return;
        }
        let max = self.options.max_findings;
        let full = self.findings.len() >= max && (rule.severity < Severity::Critical || self.findings.len() >= 2 * max);
        if full {
            self.dropped += 1;
            return;
        }
        self.seen.insert(key);
        self.findings.push(Finding { rule, message, offset, member: loc.member.clone(), global });
    }

    pub fn error(&mut self, loc: &Loc, message: impl Into<String>) {
        let message = message.into();
        let message = match &loc.member {
            Some(member) => format!("{member}: {message}"),
            None => message,
        };
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(message);
        } else if self.errors.len() == MAX_ERRORS {
            self.errors.push("further errors omitted".into());
        }
    }

    /// An I/O error while scanning `loc`: a limit becomes a finding, anything else an error.
    pub fn fail(&mut self, loc: &Loc, e: io::Error) {
        match LimitHit::of(&e) {
            Some(hit) => self.add(&rules::ARCHIVE_LIMITS, loc, hit.to_string(), None, None),
            None => self.error(loc, e.to_string()),
        }
    }

    /// Whether a container at `loc` may be opened; reports the nesting limit when not.
    pub fn may_open(&mut self, loc: &Loc) -> bool {
        let max = self.options.max_depth;
        if loc.depth < max {
            return true;
        }
        let message = format!("containers nested more than {max} deep: the inner ones were not scanned");
        self.add(&rules::ARCHIVE_LIMITS, loc, message, None, None);
        false
    }

    /// Whether the budget of decompressed bytes is spent (further members are skipped).
    pub fn exhausted(&self) -> bool {
        self.budget.exhausted()
    }

    pub fn into_report(self, path: &Path) -> FileReport {
        FileReport {
            path: path.to_path_buf(),
            format: self.format,
            findings: self.findings,
            error: (!self.errors.is_empty()).then(|| self.errors.join("; ")),
            bytes_scanned: self.bytes,
            findings_dropped: self.dropped,
        }
    }
}
