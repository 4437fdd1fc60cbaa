//! Modes of the files a model server's security rests on, as live mode reads them
//! (`warden audit --host`): private keys and secrets under /etc/warden and the
//! state dir must not be open to group or others, the state dir must be private
//! (Warden creates it 0700), and nobody but the owner may write the model
//! repository. Live mode hands the modes over as `# warden-live file-mode` lines
//! of a synthetic input (see `crate::live`), so this rule can also be fed a
//! snapshot.

use super::line_pos;
use crate::context::Context;
use crate::finding::Findings;
use crate::live::{FileMode, ModeKind};
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-file-permissions",
    title: "Key, state or model files open to other users",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::ModelTheft,
    layer: Layer::Host,
    why: "Any local user or compromised service can read a private key or token that group or others may read (TLS keys, the audit checkpoint key, API key hashes), and a model file or directory that others may write lets them swap the model the server loads.",
    fix: "chmod 0700 /var/lib/warden\nchmod 0600 /etc/warden/tls/server.key /etc/warden/metrics.token\nchown -R root:root /srv/models && chmod -R go-w /srv/models",
    equivalents: &["Lynis FILE-7524"],
};

/// What is wrong with `m`, if anything.
fn problem(m: &FileMode) -> Option<String> {
    let who = |bits: u32| match (bits & 0o070 != 0, bits & 0o007 != 0) {
        (true, true) => "group and others",
        (true, false) => "its group",
        _ => "others",
    };
    let mode = format!("mode {:04o}", m.mode);
    match m.kind {
        ModeKind::PrivateKey | ModeKind::Secret if m.mode & 0o077 != 0 => {
            let what = if m.kind == ModeKind::PrivateKey { "private key" } else { "secret" };
            let access = if m.mode & 0o022 != 0 { "read and write" } else { "read" };
            Some(format!("{} is {mode}: {} can {access} the {what}; make it 0600", m.path, who(m.mode & 0o077)))
        }
        ModeKind::StateDir if m.mode & 0o077 != 0 => Some(format!(
            "{} (Warden's state dir) is {mode}: {} can enter it; Warden creates it 0700",
            m.path,
            who(m.mode & 0o077)
        )),
        ModeKind::Model if m.mode & 0o022 != 0 => {
            Some(format!("{} is {mode}: {} can change the model files the server loads", m.path, who(m.mode & 0o022)))
        }
        _ => None,
    }
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, _) in cx.sysctl() {
        for (i, line) in file.text.lines().enumerate() {
            let Some(mode) = FileMode::parse(line) else { continue };
            if let Some(message) = problem(&mode) {
                out.add(&RULE, &file.path, line_pos(&file.text, i + 1), mode.path.clone(), message);
            }
        }
    }
}
