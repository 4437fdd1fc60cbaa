//! The readable report: findings grouped by file, most severe first within a
//! file's line order, colour when printing to a terminal.

use std::fmt::Write as _;

use crate::Audit;
use crate::rule::Severity;

pub fn table(audit: &Audit, colour: bool) -> String {
    let paint = |s: Severity, text: &str| {
        if !colour {
            return text.to_string();
        }
        let code = match s {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    };
    let mut out = String::new();
    let mut current = None;
    for f in &audit.findings {
        if current != Some(&f.file) {
            let _ = writeln!(out, "{}{}", if current.is_some() { "\n" } else { "" }, f.file);
            current = Some(&f.file);
        }
        let severity = paint(f.severity, &format!("{:<8}", f.severity.as_str()));
        let _ =
            writeln!(out, "  {:>4}:{:<3} {severity} {:<36} {} ({})", f.line, f.column, f.rule.id, f.message, f.subject);
    }
    for e in &audit.errors {
        let _ = writeln!(
            out,
            "{}error{}: {}: {}",
            if colour { "\x1b[31m" } else { "" },
            if colour { "\x1b[0m" } else { "" },
            e.path,
            e.error
        );
    }
    let count = |s: Severity| audit.findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "{}{} files audited: {} findings ({} critical, {} high, {} medium, {} low), {} suppressed inline, {} in the baseline, {} errors",
        if audit.findings.is_empty() && audit.errors.is_empty() { "" } else { "\n" },
        audit.files.len(),
        audit.findings.len(),
        count(Severity::Critical),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low),
        audit.suppressed,
        audit.baselined,
        audit.errors.len(),
    );
    out
}
