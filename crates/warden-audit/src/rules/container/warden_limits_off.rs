//! The image starts Warden with a rate or quota limit turned off: `--limits-rate
//! off`, `WARDEN_LIMITS_DAILY_ROWS=off`...

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::builds;
use super::warden::{LIMIT_KEYS, effective};

pub static RULE: Rule = Rule {
    id: "docker-warden-limits-off",
    title: "Image starts Warden with a limit turned off",
    severity: Severity::Medium,
    stride: Stride::DenialOfService,
    threat: Threat::ModelTheft,
    layer: Layer::Server,
    why: "Rate limits and row quotas are what slows down model extraction (querying the model to copy it) and keeps one client from exhausting the server; `off` removes them for every client.",
    fix: "# keep the defaults, or raise them: --limits-rate 200/s --limits-daily-rows 5000000\n# per client: [limits.identity.\"key:ID\"] in the config file",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        let Some(last) = build.last() else { continue };
        for key in LIMIT_KEYS {
            if let Some(s) = effective(&build, key).filter(|s| s.value.trim().eq_ignore_ascii_case("off")) {
                let message = format!("{}: Warden runs without {key}", s.written);
                out.add(&RULE, &file.path, s.pos, last.name(), message);
            }
        }
    }
}
