use serde_json::{Value, json as j};

use crate::Audit;

/// `{"files": [...], "findings": [...], "errors": [...], "summary": {...}}`.
pub fn json(audit: &Audit) -> Value {
    let findings: Vec<Value> = audit
        .findings
        .iter()
        .map(|f| {
            let mut finding = j!({
                "rule": f.rule.id,
                "title": f.rule.title,
                "severity": f.severity,
                "stride": f.rule.stride,
                "threat": f.rule.threat,
                "layer": f.rule.layer,
                "file": f.file,
                "line": f.line,
                "column": f.column,
                "subject": f.subject,
                "message": f.message,
                "fingerprint": f.fingerprint(),
            });
            if let Some(dep) = &f.dependency {
                finding["dependency"] = j!(dep);
            }
            finding
        })
        .collect();
    let files: Vec<Value> = audit.files.iter().map(|(path, kind)| j!({"path": path, "kind": kind})).collect();
    let mut by_severity = serde_json::Map::new();
    for s in ["critical", "high", "medium", "low"] {
        let n = audit.findings.iter().filter(|f| f.severity.as_str() == s).count();
        by_severity.insert(s.into(), n.into());
    }
    j!({
        "files": files,
        "findings": findings,
        "errors": audit.errors,
        "summary": {
            "files": audit.files.len(),
            "findings": audit.findings.len(),
            "by_severity": by_severity,
            "suppressed": audit.suppressed,
            "baselined": audit.baselined,
            "advisories": audit.advisories,
            "errors": audit.errors.len(),
        },
    })
}
