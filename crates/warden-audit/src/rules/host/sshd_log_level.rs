use super::sshd;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sshd-log-level",
    title: "SSH logs too little (or debug output)",
    severity: Severity::Low,
    stride: Stride::Repudiation,
    threat: Threat::ModelTheft,
    layer: Layer::Host,
    why: "LogLevel VERBOSE records the fingerprint of the key each login used, which is what an investigation of a stolen model needs; QUIET, FATAL and ERROR hide logins, and DEBUG logs private details of every session.",
    fix: "# /etc/ssh/sshd_config.d/50-hardening.conf\nLogLevel VERBOSE",
    equivalents: &["Lynis SSH-7408"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sshd::check_keyword(cx, out, &RULE, "LogLevel", "INFO", |v| {
        let level = v.trim().to_ascii_uppercase();
        match level.as_str() {
            "INFO" | "VERBOSE" => None,
            l if l.starts_with("DEBUG") => Some("debug logging records private details of every session".into()),
            _ => Some("logins and failed attempts are not logged; use VERBOSE (or INFO)".into()),
        }
    });
}
