use super::settings::{self, Settings, Weakness};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "warden-log-personal-data",
    title: "Warden logs client identities or addresses in clear",
    severity: Severity::Low,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Server,
    why: "Caller identities and IP addresses are personal data; kept in clear they spread to every log sink and its retention. Pseudonyms (the default) still let an operator follow one client.",
    fix: "# warden.toml\n[log]\nidentities = \"pseudonymise\"\naddresses = \"pseudonymise\"   # or \"mask\"",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    settings::run(cx, out, &RULE, assess);
}

const KEYS: &[(&str, &str)] = &[("log.identities", "caller identities"), ("log.addresses", "client IP addresses")];

pub fn assess(s: &Settings) -> Vec<Weakness> {
    KEYS.iter()
        .filter_map(|&(key, what)| {
            let setting = s.get(key)?;
            setting
                .value
                .trim()
                .eq_ignore_ascii_case("keep")
                .then(|| Weakness::at(setting, format!("{}: {what} are written to the logs in clear", setting.shown)))
        })
        .collect()
}
