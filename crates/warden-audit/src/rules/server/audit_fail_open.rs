use super::settings::{self, Settings, Weakness};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "warden-audit-fail-open",
    title: "Warden keeps answering when its audit log cannot be written",
    severity: Severity::Low,
    stride: Stride::Repudiation,
    threat: Threat::UnsecuredApi,
    layer: Layer::Server,
    why: "With audit.fail_closed = false, a full disk or a broken audit directory lets requests go on with no record of who called which model: an attacker who can fill the disk erases their own trail.",
    fix: "# warden.toml\n[audit]\nfail_closed = true   # the default: 503 while the audit log cannot be written",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    settings::run(cx, out, &RULE, assess);
}

pub fn assess(s: &Settings) -> Vec<Weakness> {
    match s.get("audit.fail_closed") {
        Some(setting) if settings::truthy(&setting.value) == Some(false) => vec![Weakness::at(
            setting,
            format!("{}: requests are answered even when they cannot be recorded in the audit log", setting.shown),
        )],
        _ => Vec::new(),
    }
}
