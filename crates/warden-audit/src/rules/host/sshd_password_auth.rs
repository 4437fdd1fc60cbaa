//! Password logins over SSH: `PasswordAuthentication yes` (sshd's default), and the
//! door people forget, keyboard-interactive through PAM (`KbdInteractiveAuthentication
//! yes` with `UsePAM yes`), which asks for the same password. `AuthenticationMethods`
//! without `password` or `keyboard-interactive` closes both.

use super::sshd::{self, Source, Sshd};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sshd-password-auth",
    title: "SSH accepts passwords",
    severity: Severity::High,
    stride: Stride::Spoofing,
    threat: Threat::ModelTheft,
    layer: Layer::Host,
    why: "A host that takes passwords over SSH is brute-forced from the internet all day; one weak or reused password gives the attacker the model files, the keys and the server.",
    fix: "# /etc/ssh/sshd_config.d/50-hardening.conf\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nAuthenticationMethods publickey",
    equivalents: &["Lynis SSH-7408"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for config in sshd::configs(cx) {
        if only_other_methods(&config) {
            continue;
        }
        sshd::check_config(&config, out, &RULE, "PasswordAuthentication", "yes", &|v| {
            sshd::yes(v).then(|| "passwords are accepted, so the host can be brute-forced".to_string())
        });
        keyboard_interactive(&config, out);
    }
}

/// True when `AuthenticationMethods` allows neither password nor keyboard-interactive.
fn only_other_methods(config: &Sshd<'_>) -> bool {
    let Some(Source::Set(_, entry)) = config.get("AuthenticationMethods", "any") else { return false };
    let value = entry.value.to_ascii_lowercase();
    value != "any" && !value.contains("password") && !value.contains("keyboard-interactive")
}

/// Keyboard-interactive with PAM: reported at whichever of the two is set.
fn keyboard_interactive(config: &Sshd<'_>, out: &mut Findings) {
    let kbd = config
        .get("KbdInteractiveAuthentication", "yes")
        .filter(|s| matches!(s, Source::Set(..)))
        .or_else(|| config.get("ChallengeResponseAuthentication", "yes"));
    let Some(kbd) = kbd else { return };
    let Some(pam) = config.get("UsePAM", "no") else { return };
    if !(sshd::yes(kbd.value()) && sshd::yes(pam.value())) {
        return;
    }
    let (keyword, source) = match (&kbd, &pam) {
        (Source::Set(_, e), _) => (e.key.clone(), &kbd),
        (_, Source::Set(..)) => ("UsePAM".to_string(), &pam),
        _ => return,
    };
    sshd::report(config, out, &RULE, &keyword, source, &|_| {
        Some("keyboard-interactive authentication through PAM asks for the account password".to_string())
    });
}
