//! `warden audit`: the layers around a model deployment checked in one pass:
//! Kubernetes manifests, Dockerfiles, GitHub Actions and GitLab CI pipelines,
//! Warden configs and host files, with rules that know what a model server needs.
#![forbid(unsafe_code)]

mod context;
pub mod deps;
pub mod dockerfile;
mod finding;
pub mod input;
pub mod keyvalue;
pub mod kubernetes;
pub mod live;
pub mod report;
mod rule;
pub mod rules;
mod suppress;
pub mod threat;
pub mod warden_config;
pub mod yaml;

pub use context::Context;
pub use deps::db::AdvisoryDb;
pub use finding::{Finding, Findings, VulnerableDependency};
pub use input::{File, FileError, Input, Inputs};
pub use rule::{Layer, Rule, Severity, Stride, Threat};
pub use suppress::Baseline;

/// The outcome of one audit.
#[derive(Debug, Default)]
pub struct Audit {
    /// Each file audited and what it was recognised as.
    pub files: Vec<(String, &'static str)>,
    pub findings: Vec<Finding>,
    pub errors: Vec<FileError>,
    /// Findings dropped by `# warden:ignore[...]` comments.
    pub suppressed: usize,
    /// Findings dropped by the baseline.
    pub baselined: usize,
    /// How many advisory records dependencies were judged against (0: the
    /// dependency layer was listed, not judged).
    pub advisories: usize,
}

impl Audit {
    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Runs every rule over `inputs`.
pub fn audit(inputs: Inputs, baseline: Option<&Baseline>) -> Audit {
    let mut audit = audit_files(&inputs.files, baseline);
    audit.errors = inputs.errors;
    audit
}

/// Runs every rule over `files` (the threat model keeps the files to read them too).
pub fn audit_files(files: &[File], baseline: Option<&Baseline>) -> Audit {
    audit_with(files, baseline, &AdvisoryDb::default())
}

/// Runs every rule over `files`, dependencies judged against `advisories`.
pub fn audit_with(files: &[File], baseline: Option<&Baseline>, advisories: &AdvisoryDb) -> Audit {
    let mut cx = Context::new(files);
    cx.advisories = advisories;
    let mut findings = Findings::default();
    for check in rules::all() {
        (check.run)(&cx, &mut findings);
    }
    let mut findings = findings.0;
    findings.sort_by(|a, b| (&a.file, a.line, a.column, a.rule.id).cmp(&(&b.file, b.line, b.column, b.rule.id)));
    findings.dedup_by(|a, b| {
        a.rule.id == b.rule.id && a.file == b.file && a.line == b.line && a.column == b.column && a.message == b.message
    });
    let suppressed = suppress::inline(&mut findings, files);
    let baselined = baseline.map_or(0, |b| b.apply(&mut findings));
    Audit {
        files: files.iter().map(|f| (f.path.clone(), f.input.kind())).collect(),
        findings,
        errors: Vec::new(),
        suppressed,
        baselined,
        advisories: advisories.len(),
    }
}
