use super::settings::{self, Settings, Weakness};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "warden-log-payloads",
    title: "Warden logs request bodies",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Server,
    why: "log_payloads writes the model inputs (and so the personal or confidential data clients send) to the logs, which are kept longer, shipped further and read by more people than the data itself; redaction only catches the patterns it knows.",
    fix: "# warden.toml: log_payloads is for debugging only; leave it unset (false)\nlog_payloads = false",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    settings::run(cx, out, &RULE, assess);
}

pub fn assess(s: &Settings) -> Vec<Weakness> {
    match s.get("log_payloads") {
        Some(setting) if settings::truthy(&setting.value) == Some(true) => vec![Weakness::at(
            setting,
            format!("{}: request bodies (client data) are written to the logs", setting.shown),
        )],
        _ => Vec::new(),
    }
}
