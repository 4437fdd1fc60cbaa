//! SARIF 2.1.0, what GitHub code scanning and other dashboards read: every rule with its
//! description and security-severity, every finding as a result located in its file (by
//! byte offset; a member of an archive is named in the message and the properties). What
//! the scan cost (files, bytes, seconds, peak memory) is the invocation's property bag.

use serde_json::{Value, json};
use warden_scan::{Finding, Report, Rule, Severity};

use super::stats::Stats;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(report: &Report, stats: &Stats) -> Value {
    let rules: Vec<Value> = warden_scan::rules::all().iter().map(|r| rule(r)).collect();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for file in &report.files {
        let uri = warden_audit::report::sarif_uri(&file.path.display().to_string());
        results.extend(file.findings.iter().map(|f| result(&uri, f)));
        if let Some(error) = &file.error {
            notifications.push(json!({
                "level": "error",
                "message": {"text": format!("{uri}: {error}")},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
            }));
        }
    }
    json!({
        "version": "2.1.0",
        "$schema": SCHEMA,
        "runs": [{
            "tool": {"driver": {
                "name": "warden-scan",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
                "properties": stats,
            }],
            "results": results,
        }],
    })
}

/// GitHub's scale: 9.0 and up critical, 7.0 high, 4.0 medium, below low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn rule(r: &Rule) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": r.why},
        "help": {"text": r.fix},
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {
            "tags": ["security", r.stride],
            "security-severity": security_severity(r.severity),
            "references": r.references,
        },
    })
}

fn result(uri: &str, f: &Finding) -> Value {
    let mut text = f.message.clone();
    if let Some(member) = &f.member {
        text.push_str(&format!(" (in archive member {member})"));
    }
    let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": uri}}});
    if let (Some(offset), None) = (f.offset, &f.member) {
        location["physicalLocation"]["region"] = json!({"byteOffset": offset});
    }
    json!({
        "ruleId": f.rule.id,
        "level": level(f.rule.severity),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"finding/v1": fingerprint(uri, f)},
        "properties": {"member": f.member, "global": f.global, "offset": f.offset},
    })
}

/// Stable across runs for the same finding, so a dashboard tracks it rather than
/// reporting it anew each time.
fn fingerprint(uri: &str, f: &Finding) -> String {
    use sha2::{Digest, Sha256};
    let key =
        format!("{uri}|{}|{}|{}", f.rule.id, f.member.as_deref().unwrap_or(""), f.global.as_deref().unwrap_or(""));
    hex::encode(&Sha256::digest(key.as_bytes())[..16])
}
