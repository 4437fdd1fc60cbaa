use super::sysctl::{self, Key, Want};
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-sysctl-protected-files",
    title: "Link and file protections in shared directories off",
    severity: Severity::Low,
    stride: Stride::Tampering,
    threat: Threat::ContainerEscape,
    layer: Layer::Host,
    why: "fs.protected_symlinks, protected_hardlinks and protected_regular stop the classic /tmp races where an attacker's link makes a privileged process overwrite a file of their choosing (a model, a key, /etc/passwd).",
    fix: "# /etc/sysctl.d/60-warden.conf\nfs.protected_symlinks = 1\nfs.protected_hardlinks = 1\nfs.protected_regular = 2",
    equivalents: &["Lynis KRNL-6000"],
};

pub static KEYS: &[Key] = &[
    Key {
        key: "fs.protected_symlinks",
        want: Want::Exactly(1),
        risk: "symlinks in world-writable directories are followed, so /tmp races can redirect privileged writes",
    },
    Key {
        key: "fs.protected_hardlinks",
        want: Want::Exactly(1),
        risk: "users can hard-link files they do not own, a step in many privilege escalations",
    },
    Key {
        key: "fs.protected_regular",
        want: Want::Exactly(2),
        risk: "privileged processes may open files planted by others in sticky directories such as /tmp",
    },
];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    sysctl::check(cx, out, &RULE, KEYS);
}
