use super::sshd;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sshd-max-auth-tries",
    title: "SSH allows many authentication attempts per connection",
    severity: Severity::Low,
    stride: Stride::Spoofing,
    threat: Threat::ModelTheft,
    layer: Layer::Host,
    why: "Each connection may try MaxAuthTries passwords or keys; above 4 a password guesser needs fewer connections and is harder to spot and throttle.",
    fix: "# /etc/ssh/sshd_config.d/50-hardening.conf\nMaxAuthTries 3",
    equivalents: &["Lynis SSH-7408"],
};

const MAX: u64 = 4;

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sshd::check_keyword(cx, out, &RULE, "MaxAuthTries", "6", |v| {
        let tries: u64 = v.trim().parse().ok()?;
        (tries > MAX).then(|| format!("{tries} attempts per connection, more than {MAX}"))
    });
}
