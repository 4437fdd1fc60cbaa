//! Root over SSH: with a password (`PermitRootLogin yes`) it is high; with keys
//! only (`prohibit-password`, sshd's default) it is medium: a stolen key is root on
//! the host at once, with no trace of which person used it.

use super::sshd;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sshd-root-login",
    title: "SSH allows root to log in with a password",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ModelTheft,
    layer: Layer::Host,
    why: "PermitRootLogin yes lets anyone who guesses or steals root's password own the host, its model files and its keys directly, and every action is logged as root rather than a person.",
    fix: "# /etc/ssh/sshd_config.d/50-hardening.conf\nPermitRootLogin no\n# log in as yourself, then sudo",
    equivalents: &["Lynis SSH-7408"],
};

pub static RULE_KEY: Rule = Rule {
    id: "host-sshd-root-login-key",
    title: "SSH allows root to log in with a key",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ModelTheft,
    layer: Layer::Host,
    why: "With prohibit-password (sshd's default) a root key is enough: a leaked key is root on the host at once, and logins cannot be tied to a person.",
    fix: "# /etc/ssh/sshd_config.d/50-hardening.conf\nPermitRootLogin no",
    equivalents: &["Lynis SSH-7408"],
};

const KEYWORD: &str = "PermitRootLogin";
const DEFAULT: &str = "prohibit-password";

fn with_password(value: &str) -> Option<String> {
    sshd::yes(value).then(|| "root can log in with a password".to_string())
}

fn with_key(value: &str) -> Option<String> {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "prohibit-password" | "without-password" | "forced-commands-only"
    )
    .then(|| "root can log in with a key; set it to no and use sudo from a personal account".to_string())
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sshd::check_keyword(cx, out, &RULE, KEYWORD, DEFAULT, with_password);
}

pub fn check_key(cx: &Context<'_>, out: &mut Findings) {
    sshd::check_keyword(cx, out, &RULE_KEY, KEYWORD, DEFAULT, with_key);
}
