use super::settings::{self, Settings, Weakness};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "warden-rate-limits-off",
    title: "Warden rate limits or row budgets turned off",
    severity: Severity::Medium,
    stride: Stride::DenialOfService,
    threat: Threat::ModelTheft,
    layer: Layer::Server,
    why: "The per-identity rate limit and daily row budget are what bound a leaked key: without them one client can flood the model or query it millions of times to copy it (model extraction).",
    fix: "# warden.toml\n[limits]\nrate = \"100/s\"\ndaily_rows = 1000000\n# a heavy batch client gets a higher limit, not none:\n[limits.identity.\"key:0123abcd\"]\nrate = \"1000/s\"",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    settings::run(cx, out, &RULE, assess);
}

/// The limits that are on by default: `off` removes them server-wide, or for one
/// identity in a `[limits.identity."..."]` table.
const LIMITS: &[(&str, &str)] = &[("rate", "requests per second"), ("daily_rows", "rows per day")];

pub fn assess(s: &Settings) -> Vec<Weakness> {
    let mut found = Vec::new();
    for &(name, what) in LIMITS {
        if let Some(setting) = s.get(&format!("limits.{name}")).filter(|v| is_off(&v.value)) {
            found.push(Weakness::at(setting, format!("{}: no limit on {what} per identity and model", setting.shown)));
        }
    }
    for setting in s.all().filter(|v| v.key.starts_with("limits.identity.") && is_off(&v.value)) {
        let Some((identity, name)) = setting.key["limits.identity.".len()..].rsplit_once(".") else { continue };
        if let Some((_, what)) = LIMITS.iter().find(|(n, _)| *n == name) {
            found.push(Weakness::at(setting, format!("{}: identity {identity} has no limit on {what}", setting.shown)));
        }
    }
    found
}

fn is_off(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("off")
}
