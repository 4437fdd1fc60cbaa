//! A model server unit that runs as root: no `User=` (or `User=root`/`0`) and no
//! `DynamicUser=yes`.

use super::line_pos;
use super::systemd::{self, Unit};
use crate::context::Context;
use crate::finding::Findings;
use crate::input::File;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Pos;

pub static RULE: Rule = Rule {
    id: "host-systemd-root",
    title: "Model server unit runs as root",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::ContainerEscape,
    layer: Layer::Host,
    why: "A model server runs code paths fed by untrusted requests and model files; as root, any exploit of them owns the host, every other model and every key on it.",
    fix: "[Service]\nUser=warden\nGroup=warden\n# or, with no account to manage:\nDynamicUser=yes\nStateDirectory=warden",
    equivalents: &["systemd-analyze security"],
};

/// Where the unit makes the server root, and how.
fn as_root<'a>(unit: &Unit<'a>) -> Option<(&'a File, Pos, String)> {
    if unit.service("DynamicUser").is_some_and(|(_, e)| systemd::yes(&e.value)) {
        return None;
    }
    match unit.service("User") {
        Some((f, e)) if matches!(e.value.trim(), "root" | "0") => {
            Some((f, line_pos(&f.text, e.line), format!("User={}: the server runs as root", e.value.trim())))
        }
        Some(_) => None,
        None => {
            let (f, pos) = unit.header();
            Some((f, pos, "no User= and no DynamicUser=yes: the server runs as root".into()))
        }
    }
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for unit in systemd::units(cx).iter().filter(|u| u.complete) {
        let Some((server, _, _)) = unit.server() else { continue };
        if let Some((file, pos, why)) = as_root(unit) {
            out.add(
                &RULE,
                &file.path,
                pos,
                format!("systemd unit {}", unit.name()),
                format!("{} ({server}): {why}", unit.name()),
            );
        }
    }
}
