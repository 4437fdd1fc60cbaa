//! SARIF 2.1.0 as GitHub code scanning reads it: every rule with its stable id and
//! `security-severity`, results with 1-based regions and `partialFingerprints`,
//! `level` error for high and critical.

use serde_json::{Value, json};

use crate::Audit;
use crate::rule::Severity;
use crate::rules;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn sarif(audit: &Audit, version: &str) -> Value {
    let rules: Vec<Value> = rules::all()
        .map(|c| {
            let r = c.rule;
            json!({
                "id": r.id,
                "name": r.title,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.why},
                "help": {"text": format!("{}\n\nFix:\n{}", r.why, r.fix), "markdown": format!("{}\n\n**Fix:**\n\n```\n{}\n```\n\nEquivalent: {}", r.why, r.fix, r.equivalents.join(", "))},
                "helpUri": format!("https://github.com/warden-ml/warden/blob/main/docs/posture-audit.md#{}", r.id),
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {
                    "tags": ["security", r.layer.as_str(), r.stride.as_str(), r.threat.as_str()],
                    "security-severity": r.severity.security_severity(),
                    "precision": "high",
                    "equivalents": r.equivalents,
                },
            })
        })
        .collect();
    let results: Vec<Value> = audit
        .findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.rule.id,
                "ruleIndex": rules::all().position(|c| c.rule.id == f.rule.id),
                "level": level(f.severity),
                "message": {"text": format!("{}: {} ({})", f.rule.title, f.message, f.subject)},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri(&f.file)},
                    "region": {"startLine": f.line, "startColumn": f.column},
                }}],
                "partialFingerprints": {"wardenFinding/v1": f.fingerprint()},
                "properties": {"security-severity": f.severity.security_severity()},
            });
            if let Some(dep) = &f.dependency {
                result["properties"]["dependency"] = json!(dep);
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = audit
        .errors
        .iter()
        .map(|e| json!({"level": "error", "message": {"text": format!("{}: {}", e.path, e.error)}}))
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "warden-audit",
                "version": version,
                "informationUri": "https://github.com/warden-ml/warden",
                "rules": rules,
            }},
            "invocations": [{"executionSuccessful": true, "toolExecutionNotifications": notifications}],
            "results": results,
        }],
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// A path as a URI: relative paths as references (forward slashes, no leading
/// `./`), absolute ones as `file://` URIs; characters outside RFC 3986's
/// unreserved and path sets percent-encoded.
pub fn uri(path: &str) -> String {
    let path = path.trim_start_matches("./").replace('\\', "/");
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris() {
        assert_eq!(super::uri("./deploy/k8s/a b.yaml"), "deploy/k8s/a%20b.yaml");
        assert_eq!(super::uri("/tmp/x.yaml"), "file:///tmp/x.yaml");
        assert_eq!(super::uri("-"), "-");
    }
}
