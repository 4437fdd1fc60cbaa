//! SSH accepted from any address: port 22, and any `Port` the sshd configs of the
//! same set name.

use super::firewall;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

pub static RULE: Rule = Rule {
    id: "host-firewall-ssh-open",
    title: "SSH open to any address",
    severity: Severity::Low,
    stride: Stride::Spoofing,
    threat: Threat::ModelTheft,
    layer: Layer::Host,
    why: "An SSH port open to the internet is scanned and guessed at all day, and a new sshd vulnerability reaches it first; a bastion or VPN network is all that needs to reach it. Rate limiting (ufw limit) slows guessing but leaves it reachable.",
    fix: "ufw allow from 10.20.0.0/16 to any port 22 proto tcp   # the bastion or VPN network\n# nftables:\nip saddr 10.20.0.0/16 tcp dport 22 accept",
    equivalents: &[],
};

fn ssh_ports(cx: &Context<'_>) -> Vec<u16> {
    let mut ports = vec![22];
    for (_, kv) in cx.sshd() {
        ports.extend(
            kv.entries
                .iter()
                .filter(|e| e.key.eq_ignore_ascii_case("Port"))
                .filter_map(|e| e.value.trim().parse::<u16>().ok()),
        );
    }
    ports.sort_unstable();
    ports.dedup();
    ports
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let ports = ssh_ports(cx);
    for (file, fw) in firewall::all(cx) {
        for allow in fw.allows.iter().filter(|a| a.anywhere) {
            let open = allow.covers(&ports);
            let Some(port) = open.first() else { continue };
            let limited = if allow.limited { " (rate-limited, still reachable)" } else { "" };
            let message = format!("`{}` accepts SSH (port {port}) from any address{limited}", allow.text);
            out.add(&RULE, &file.path, allow.pos, format!("firewall port {port}"), message);
        }
    }
}
