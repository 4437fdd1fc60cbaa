use super::settings::{self, Settings, Weakness};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "warden-auth-throttle-weak",
    title: "Warden allows many wrong credentials before throttling",
    severity: Severity::Low,
    stride: Stride::Spoofing,
    threat: Threat::UnsecuredApi,
    layer: Layer::Server,
    why: "auth.max_failures wrong credentials per auth.failure_window is the guessing rate an address gets before Warden answers 429; raised far above the default (20 a minute) it stops slowing credential stuffing. Behind a proxy every client shares one address, so raise it with care rather than without bound.",
    fix: "# warden.toml\n[auth]\nmax_failures = 20\nfailure_window = \"60s\"",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    settings::run(cx, out, &RULE, assess);
}

/// Wrong credentials an address may send per minute before it is throttled.
const MAX_PER_MINUTE: f64 = 100.0;

pub fn assess(s: &Settings) -> Vec<Weakness> {
    let failures = s.get("auth.max_failures");
    let window = s.get("auth.failure_window");
    let n = failures.map_or(Some(20.0), |f| f.value.trim().parse::<f64>().ok());
    let secs = window.map_or(Some(60.0), |w| settings::duration_secs(&w.value));
    let (Some(n), Some(secs)) = (n, secs) else { return Vec::new() };
    if secs <= 0.0 {
        return Vec::new();
    }
    let per_minute = n * 60.0 / secs;
    if per_minute <= MAX_PER_MINUTE {
        return Vec::new();
    }
    let Some(at) = failures.or(window) else { return Vec::new() };
    let what = [failures, window].iter().flatten().map(|v| v.shown.clone()).collect::<Vec<_>>().join(", ");
    vec![Weakness::at(
        at,
        format!(
            "{what}: about {per_minute:.0} wrong credentials a minute per address before throttling (at most {MAX_PER_MINUTE:.0})"
        ),
    )]
}
