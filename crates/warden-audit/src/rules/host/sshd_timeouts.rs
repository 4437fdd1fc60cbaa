//! SSH timeouts: LoginGraceTime bounds how long an unauthenticated connection may
//! hold a slot; ClientAliveInterval and ClientAliveCountMax close sessions whose
//! client went away, so an unattended terminal does not stay logged in.

use super::sshd;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sshd-timeouts",
    title: "SSH login or idle timeouts too long",
    severity: Severity::Low,
    stride: Stride::Spoofing,
    threat: Threat::ModelTheft,
    layer: Layer::Host,
    why: "A long LoginGraceTime lets unauthenticated connections pile up (MaxStartups then refuses real admins), and without a client-alive timeout a forgotten session stays logged in for whoever finds the terminal.",
    fix: "# /etc/ssh/sshd_config.d/50-hardening.conf\nLoginGraceTime 60\nClientAliveInterval 300\nClientAliveCountMax 2",
    equivalents: &["Lynis SSH-7408"],
};

const MAX_GRACE: u64 = 60;
const MAX_INTERVAL: u64 = 300;
const MAX_COUNT: u64 = 2;

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for config in sshd::configs(cx) {
        sshd::check_config(&config, out, &RULE, "LoginGraceTime", "120", &|v| match sshd::seconds(v)? {
            0 => Some("unauthenticated connections are never timed out".into()),
            s if s > MAX_GRACE => Some(format!("{s}s to authenticate, more than {MAX_GRACE}s")),
            _ => None,
        });
        sshd::check_config(&config, out, &RULE, "ClientAliveInterval", "0", &|v| match sshd::seconds(v)? {
            0 => Some("idle sessions are never closed".into()),
            s if s > MAX_INTERVAL => {
                Some(format!("idle sessions are checked only every {s}s (at most {MAX_INTERVAL}s)"))
            }
            _ => None,
        });
        let interval = config.get("ClientAliveInterval", "0").map(|s| s.value().to_string());
        if interval.as_deref().and_then(sshd::seconds).is_some_and(|s| s > 0) {
            sshd::check_config(&config, out, &RULE, "ClientAliveCountMax", "3", &|v| {
                let n: u64 = v.trim().parse().ok()?;
                (n > MAX_COUNT)
                    .then(|| format!("{n} unanswered checks before an idle session is closed (at most {MAX_COUNT})"))
            });
        }
    }
}
