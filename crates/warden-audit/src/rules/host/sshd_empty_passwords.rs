use super::sshd;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sshd-empty-passwords",
    title: "SSH accepts empty passwords",
    severity: Severity::High,
    stride: Stride::Spoofing,
    threat: Threat::ModelTheft,
    layer: Layer::Host,
    why: "With PermitEmptyPasswords yes, any account without a password is one ssh command away: the host, its model files and its keys are open to whoever finds it.",
    fix: "# /etc/ssh/sshd_config.d/50-hardening.conf\nPermitEmptyPasswords no",
    equivalents: &["Lynis SSH-7408"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sshd::check_keyword(cx, out, &RULE, "PermitEmptyPasswords", "no", |v| {
        sshd::yes(v).then(|| "accounts with an empty password can log in with nothing".to_string())
    });
}
