//! SSH forwarding: a login that may forward ports reaches every service the host
//! binds to loopback only, such as Warden's metrics listener or a database, and
//! agent or X11 forwarding expose the connecting user's keys and display.
//! `DisableForwarding yes` turns them all off.

use super::sshd::{self, Source};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sshd-forwarding",
    title: "SSH allows TCP, agent or X11 forwarding",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::UnsecuredApi,
    layer: Layer::Host,
    why: "TCP forwarding lets any SSH user tunnel to services bound to loopback only (the metrics listener, internal admin ports), bypassing the firewall; agent and X11 forwarding hand the connecting user's keys and display to whoever controls the host.",
    fix: "# /etc/ssh/sshd_config.d/50-hardening.conf\nDisableForwarding yes\n# or each one:\nAllowTcpForwarding no\nAllowAgentForwarding no\nX11Forwarding no",
    equivalents: &["Lynis SSH-7408"],
};

/// (keyword, sshd's default, what it lets through).
const KEYWORDS: &[(&str, &str, &str)] = &[
    ("AllowTcpForwarding", "yes", "SSH users can tunnel to services bound to loopback only"),
    ("AllowAgentForwarding", "yes", "the connecting user's SSH agent is exposed on the host"),
    ("X11Forwarding", "no", "remote X11 clients can read the connecting user's display and keystrokes"),
];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for config in sshd::configs(cx) {
        if let Some(Source::Set(_, e)) = config.get("DisableForwarding", "no")
            && sshd::yes(&e.value)
        {
            continue;
        }
        for &(keyword, default, risk) in KEYWORDS {
            sshd::check_config(&config, out, &RULE, keyword, default, &|v| {
                (!v.trim().eq_ignore_ascii_case("no")).then(|| risk.to_string())
            });
        }
    }
}
