use super::firewall;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-firewall-default-allow",
    title: "Firewall does not deny inbound traffic by default",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::UnsecuredApi,
    layer: Layer::Host,
    why: "With an accepting input policy every port something listens on is reachable: a debug server, a notebook, the metrics listener or a database started later is exposed to the network without anyone deciding it.",
    fix: "ufw default deny incoming\nufw allow from 10.20.0.0/16 to any port 22 proto tcp\nufw enable\n# nftables:\nchain input {\n  type filter hook input priority filter; policy drop;\n  ct state established,related accept\n  iif lo accept\n}",
    equivalents: &["Lynis FIRE-4590"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, fw) in firewall::all(cx) {
        for open in fw.open_defaults {
            out.add(&RULE, &file.path, open.pos, "firewall input policy", open.message);
        }
    }
}
