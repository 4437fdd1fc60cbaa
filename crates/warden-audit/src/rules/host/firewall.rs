//! The firewall rules' shared part: what a firewall file lets in. It reads ufw
//! commands (`ufw default deny incoming`, `ufw allow from 10.0.0.0/24 to any port
//! 8443`), ufw's own files (`user.rules` in iptables-restore form, `ufw.conf`,
//! `/etc/default/ufw`), iptables-save dumps and nftables rulesets (block syntax
//! and `nft add chain/rule` commands), and reduces them to two facts: whether
//! inbound traffic is denied by default, and which ports are accepted from where.

use crate::context::Context;
use crate::input::File;
use crate::yaml::Pos;

/// A port range, both ends included.
pub type Ports = (u16, u16);

/// A rule that accepts new inbound connections to some ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allow {
    pub pos: Pos,
    pub ports: Vec<Ports>,
    /// No source address (or interface) restriction: the whole internet.
    pub anywhere: bool,
    /// `ufw limit` or an nft `limit rate`: rate-limited, still reachable.
    pub limited: bool,
    /// The rule as written, for messages.
    pub text: String,
}

/// A place where inbound traffic is let in by default, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenDefault {
    pub pos: Pos,
    pub message: String,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Firewall {
    pub open_defaults: Vec<OpenDefault>,
    pub allows: Vec<Allow>,
}

impl Allow {
    /// The ports of `wanted` this rule accepts.
    pub fn covers(&self, wanted: &[u16]) -> Vec<u16> {
        wanted.iter().copied().filter(|p| self.ports.iter().any(|(lo, hi)| lo <= p && p <= hi)).collect()
    }
}

/// Every firewall file of the set, analysed.
pub fn all<'a>(cx: &Context<'a>) -> Vec<(&'a File, Firewall)> {
    cx.firewalls().map(|(f, text)| (f, analyse(text))).collect()
}

pub fn analyse(text: &str) -> Firewall {
    let mut fw = Firewall::default();
    lines(text, &mut fw);
    nft::analyse(text, &mut fw);
    fw.allows.sort_by_key(|a| a.pos);
    fw.open_defaults.sort_by_key(|o| o.pos);
    fw
}

fn pos_of(raw: &str, line: usize) -> Pos {
    Pos { line, col: raw.len() - raw.trim_start().len() + 1 }
}

/// The line-oriented formats: ufw commands and config, iptables-save.
fn lines(text: &str, fw: &mut Firewall) {
    let mut input_policy: Option<Pos> = None;
    let mut final_drop = false;
    let mut filter_table = true;
    for (i, raw) in text.lines().enumerate() {
        let pos = pos_of(raw, i + 1);
        let line = strip_comment(raw).trim();
        if let Some(table) = line.strip_prefix('*') {
            filter_table = table.trim() == "filter";
        } else if let Some(rest) = line.strip_prefix(":INPUT ") {
            if filter_table && rest.trim_start().starts_with("ACCEPT") {
                input_policy = Some(pos);
            }
        } else if line.starts_with("-A ") || line.starts_with("--append ") {
            match iptables(line, pos) {
                Some(Iptables::Allow(allow)) => fw.allows.push(allow),
                Some(Iptables::FinalDrop) => final_drop = true,
                None => {}
            }
        } else if let Some(v) = line.strip_prefix("ENABLED=") {
            if unquote(v).eq_ignore_ascii_case("no") {
                fw.open_defaults
                    .push(OpenDefault { pos, message: "ufw is disabled (ENABLED=no): no rule applies".into() });
            }
        } else if let Some(v) = line.strip_prefix("DEFAULT_INPUT_POLICY=") {
            if unquote(v).eq_ignore_ascii_case("ACCEPT") {
                fw.open_defaults.push(OpenDefault {
                    pos,
                    message: "ufw's default input policy is ACCEPT: every port is open unless a rule denies it".into(),
                });
            }
        } else {
            ufw(line, pos, fw);
        }
    }
    if let Some(pos) = input_policy.filter(|_| !final_drop) {
        fw.open_defaults.push(OpenDefault {
            pos,
            message: "the INPUT chain's policy is ACCEPT and no final rule drops: inbound connections are accepted"
                .into(),
        });
    }
}

fn unquote(v: &str) -> &str {
    v.trim().trim_matches(|c| c == '"' || c == '\'')
}

/// The line without a `#` comment (at the start or after a blank).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// Shell-like words: quotes group, and are removed.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (None, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        out.push(word);
    }
    out
}

/// Well-known service and ufw application names.
fn named_ports(name: &str) -> Option<Vec<Ports>> {
    let ports: &[u16] = match name.to_ascii_lowercase().as_str() {
        "ssh" | "openssh" => &[22],
        "http" | "www" => &[80],
        "https" => &[443],
        "nginx full" | "apache full" => &[80, 443],
        _ => return None,
    };
    Some(ports.iter().map(|&p| (p, p)).collect())
}

/// `22`, `22/tcp`, `8000:9000/tcp`, `22,8443/tcp`, `ssh`, `8000-9000` (nft).
fn port_spec(spec: &str) -> Vec<Ports> {
    let spec = spec.split('/').next().unwrap_or("");
    if let Some(named) = named_ports(spec) {
        return named;
    }
    spec.split(',')
        .filter_map(|part| {
            let part = part.trim();
            let (lo, hi) = part.split_once([':', '-']).unwrap_or((part, part));
            let (lo, hi) = (lo.trim().parse().ok()?, hi.trim().parse().ok()?);
            (lo <= hi).then_some((lo, hi))
        })
        .collect()
}

fn is_anywhere(addr: &str) -> bool {
    matches!(addr, "any" | "0.0.0.0/0" | "::/0" | "0/0")
}

/// One `ufw ...` command line.
fn ufw(line: &str, pos: Pos, fw: &mut Firewall) {
    let all = words(line);
    let Some(start) = all.iter().position(|w| w == "ufw" || w.ends_with("/ufw")) else { return };
    let end = all[start..]
        .iter()
        .position(|w| matches!(w.as_str(), ";" | "&&" | "||" | "|"))
        .map_or(all.len(), |e| start + e);
    let mut t: Vec<&str> = all[start + 1..end].iter().map(String::as_str).filter(|w| !w.starts_with("--")).collect();
    match t.first().copied() {
        Some("default") => {
            let policy = t.get(1).copied().unwrap_or("");
            let direction = t.get(2).copied().unwrap_or("incoming");
            if policy == "allow" && matches!(direction, "incoming" | "in") {
                fw.open_defaults.push(OpenDefault {
                    pos,
                    message: "ufw default allow incoming: every port is open unless a rule denies it".into(),
                });
            }
            return;
        }
        Some("disable") => {
            fw.open_defaults.push(OpenDefault { pos, message: "ufw disable turns the firewall off".into() });
            return;
        }
        Some("insert") => {
            t.drain(..2.min(t.len()));
        }
        Some("prepend") => {
            t.remove(0);
        }
        _ => {}
    }
    let limited = match t.first().copied() {
        Some("allow") => false,
        Some("limit") => true,
        _ => return,
    };
    let mut i = 1;
    let mut restricted = false;
    if t.get(i) == Some(&"out") {
        return;
    }
    if t.get(i) == Some(&"in") {
        i += 1;
    }
    if t.get(i) == Some(&"on") {
        restricted = true;
        i += 2;
    }
    while matches!(t.get(i).copied(), Some("log" | "log-all")) {
        i += 1;
    }
    let mut ports = Vec::new();
    match t.get(i).copied() {
        Some("from" | "to" | "proto" | "app") => {
            let mut side = "";
            while i < t.len() {
                match (t[i], t.get(i + 1).copied()) {
                    ("from", Some(addr)) => {
                        side = "from";
                        restricted |= !is_anywhere(addr);
                        i += 1;
                    }
                    ("to", Some(_)) => {
                        side = "to";
                        i += 1;
                    }
                    ("port", Some(p)) if side != "from" => ports.extend(port_spec(p)),
                    ("app", Some(name)) if side != "from" => ports.extend(named_ports(name).unwrap_or_default()),
                    ("comment", _) => break,
                    _ => {}
                }
                i += 1;
            }
        }
        Some(spec) => ports = port_spec(spec).into_iter().chain(named_ports(spec).unwrap_or_default()).collect(),
        None => return,
    }
    ports.dedup();
    if !ports.is_empty() {
        fw.allows.push(Allow { pos, ports, anywhere: !restricted, limited, text: line.trim().to_string() });
    }
}

enum Iptables {
    Allow(Allow),
    FinalDrop,
}

/// One `-A CHAIN ...` line of an iptables-save dump or ufw's user.rules.
fn iptables(line: &str, pos: Pos) -> Option<Iptables> {
    let t = words(line);
    let chain = t.get(1)?.to_ascii_lowercase();
    if !chain.contains("input") {
        return None;
    }
    let mut ports = Vec::new();
    let mut restricted = false;
    let mut target = "";
    let mut matchers = 0;
    let mut i = 2;
    while i < t.len() {
        let next = t.get(i + 1).map(String::as_str).unwrap_or("");
        match t[i].as_str() {
            "--dport" | "--dports" | "--destination-port" | "--destination-ports" => ports.extend(port_spec(next)),
            "-s" | "--source" | "--src" => restricted |= !is_anywhere(next),
            "-i" | "--in-interface" => restricted = true,
            "-j" | "--jump" => {
                target = next;
                i += 1;
                i += 1;
                continue;
            }
            _ => {}
        }
        if t[i].starts_with('-') {
            matchers += 1;
        }
        i += 1;
    }
    let accepts = target == "ACCEPT" || target.ends_with("limit-accept");
    if accepts && !ports.is_empty() {
        let limited = target.ends_with("limit-accept");
        return Some(Iptables::Allow(Allow { pos, ports, anywhere: !restricted, limited, text: line.to_string() }));
    }
    (chain == "input" && matches!(target, "DROP" | "REJECT") && matchers == 0).then_some(Iptables::FinalDrop)
}

mod nft {
    //! nftables: tokens with positions, statements split at newlines and `;`
    //! outside braces, `table`/`chain` blocks and `add chain`/`add rule` commands.

    use super::{Allow, Firewall, OpenDefault, is_anywhere, named_ports, port_spec};
    use crate::yaml::Pos;

    #[derive(Clone, Debug)]
    struct Tok {
        text: String,
        pos: Pos,
    }

    const FAMILIES: &[&str] = &["ip", "ip6", "inet", "arp", "bridge", "netdev"];

    #[derive(Debug)]
    struct Chain {
        key: (String, String, String),
        pos: Pos,
        hook: Option<String>,
        policy: Option<(String, Pos)>,
        rules: Vec<Vec<Tok>>,
    }

    #[derive(Default)]
    struct Ruleset {
        flush: Option<Pos>,
        chains: Vec<Chain>,
    }

    impl Ruleset {
        fn chain(&mut self, key: (String, String, String), pos: Pos) -> &mut Chain {
            let i = match self.chains.iter().position(|c| c.key == key) {
                Some(i) => i,
                None => {
                    self.chains.push(Chain { key, pos, hook: None, policy: None, rules: Vec::new() });
                    self.chains.len() - 1
                }
            };
            &mut self.chains[i]
        }
    }

    fn tokens(text: &str) -> Vec<Tok> {
        let mut out = Vec::new();
        let mut word = String::new();
        let mut start = Pos::default();
        let mut in_string = false;
        let mut comment = false;
        let flush = |word: &mut String, start: Pos, out: &mut Vec<Tok>| {
            if !word.is_empty() {
                out.push(Tok { text: std::mem::take(word), pos: start });
            }
        };
        for (l, line) in text.lines().enumerate() {
            let continued = line.trim_end().ends_with('\\');
            for (c0, ch) in line.chars().enumerate() {
                let pos = Pos { line: l + 1, col: c0 + 1 };
                if comment {
                    break;
                }
                if in_string {
                    word.push(ch);
                    in_string = ch != '"';
                    continue;
                }
                match ch {
                    '#' => {
                        flush(&mut word, start, &mut out);
                        comment = true;
                    }
                    '"' => {
                        if word.is_empty() {
                            start = pos;
                        }
                        word.push(ch);
                        in_string = true;
                    }
                    '{' | '}' | ';' | ',' => {
                        flush(&mut word, start, &mut out);
                        out.push(Tok { text: ch.to_string(), pos });
                    }
                    '\'' | '\\' => flush(&mut word, start, &mut out),
                    c if c.is_whitespace() => flush(&mut word, start, &mut out),
                    c => {
                        if word.is_empty() {
                            start = pos;
                        }
                        word.push(c);
                    }
                }
            }
            comment = false;
            in_string = false;
            flush(&mut word, start, &mut out);
            if !continued {
                out.push(Tok { text: "\n".into(), pos: Pos { line: l + 1, col: line.len() + 1 } });
            }
        }
        out
    }

    /// Statements at brace depth zero, split at newlines and `;`.
    fn statements(toks: &[Tok]) -> Vec<&[Tok]> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut start = 0;
        for (i, t) in toks.iter().enumerate() {
            match t.text.as_str() {
                "{" => depth += 1,
                "}" => depth = depth.saturating_sub(1),
                "\n" | ";" if depth == 0 => {
                    if i > start {
                        out.push(&toks[start..i]);
                    }
                    start = i + 1;
                }
                _ => {}
            }
        }
        if start < toks.len() {
            out.push(&toks[start..]);
        }
        out
    }

    /// The words before the first `{`, and the tokens inside the outer braces.
    fn head_body(stmt: &[Tok]) -> (Vec<&str>, &[Tok]) {
        let open = stmt.iter().position(|t| t.text == "{");
        let head = stmt[..open.unwrap_or(stmt.len())].iter().map(|t| t.text.as_str()).filter(|w| *w != "\n").collect();
        let body = match open {
            Some(o) => {
                let close = stmt.iter().rposition(|t| t.text == "}").filter(|&c| c > o).unwrap_or(stmt.len());
                &stmt[o + 1..close]
            }
            None => &[],
        };
        (head, body)
    }

    /// `[family] table name...`: the family (default ip) and the rest.
    fn family<'a>(words: &[&'a str]) -> (String, Vec<&'a str>) {
        match words.first() {
            Some(f) if FAMILIES.contains(f) => (f.to_string(), words[1..].to_vec()),
            _ => ("ip".to_string(), words.to_vec()),
        }
    }

    fn chain_spec(chain: &mut Chain, body: &[Tok]) {
        for stmt in statements(body) {
            let words: Vec<&str> = stmt.iter().map(|t| t.text.as_str()).filter(|w| *w != "\n").collect();
            match words.first().copied() {
                Some("type") => {
                    chain.hook =
                        words.iter().position(|w| *w == "hook").and_then(|i| words.get(i + 1)).map(|h| h.to_string());
                }
                Some("policy") => {
                    if let Some(p) = words.get(1) {
                        chain.policy = Some((p.to_string(), stmt[0].pos));
                    }
                }
                Some("comment" | "devices" | "flags") | None => {}
                Some(_) => chain.rules.push(stmt.iter().filter(|t| t.text != "\n").cloned().collect()),
            }
        }
    }

    fn table(set: &mut Ruleset, family: String, name: &str, body: &[Tok]) {
        for stmt in statements(body) {
            let (head, inner) = head_body(stmt);
            if head.first() == Some(&"chain")
                && let Some(chain) = head.get(1)
            {
                let key = (family.clone(), name.to_string(), chain.to_string());
                chain_spec(set.chain(key, stmt[0].pos), inner);
            }
        }
    }

    fn command(set: &mut Ruleset, stmt: &[Tok]) {
        let start = stmt.iter().position(|t| !matches!(t.text.as_str(), "sudo" | "nft" | "\n")).unwrap_or(stmt.len());
        let stmt = &stmt[start..];
        let (head, body) = head_body(stmt);
        match head.as_slice() {
            ["flush", "ruleset", ..] => set.flush = Some(stmt[0].pos),
            ["table", rest @ ..] => {
                let (fam, rest) = family(rest);
                if let Some(name) = rest.first() {
                    table(set, fam, name, body);
                }
            }
            ["add" | "create", "chain", rest @ ..] => {
                let (fam, rest) = family(rest);
                if let [t, c, ..] = rest.as_slice() {
                    chain_spec(set.chain((fam, t.to_string(), c.to_string()), stmt[0].pos), body);
                }
            }
            [verb @ ("add" | "insert"), "rule", ..] => {
                let words: Vec<&str> = stmt[2..].iter().map(|t| t.text.as_str()).collect();
                let (fam, rest) = family(&words);
                let [t, c, ..] = rest.as_slice() else { return };
                let mut skip = 2 + (words.len() - rest.len()) + 2;
                while matches!(stmt.get(skip).map(|t| t.text.as_str()), Some("position" | "index" | "handle")) {
                    skip += 2;
                }
                let rule: Vec<Tok> =
                    stmt.get(skip..).unwrap_or(&[]).iter().filter(|t| t.text != "\n").cloned().collect();
                let chain = set.chain((fam, t.to_string(), c.to_string()), stmt[0].pos);
                if *verb == "insert" {
                    chain.rules.insert(0, rule);
                } else {
                    chain.rules.push(rule);
                }
            }
            _ => {}
        }
    }

    /// A rule that drops or rejects whatever reaches it (counters and logging aside).
    fn drops_everything(rule: &[Tok]) -> bool {
        let mut rest = rule.iter().map(|t| t.text.as_str());
        while let Some(w) = rest.next() {
            match w {
                "drop" | "reject" => return true,
                "counter" | "log" => {}
                "packets" | "bytes" | "prefix" | "level" | "flags" => {
                    rest.next();
                }
                _ => return false,
            }
        }
        false
    }

    fn denies(chain: &Chain) -> bool {
        chain.policy.as_ref().is_some_and(|(p, _)| p == "drop")
            || chain.rules.last().is_some_and(|r| drops_everything(r))
    }

    /// The ports after `dport` (a value, a range, a service name or an anonymous set).
    fn dports(rule: &[Tok]) -> Option<Vec<(u16, u16)>> {
        let i = rule.iter().position(|t| t.text == "dport")?;
        let next = rule.get(i + 1)?;
        if next.text == "!=" {
            return None;
        }
        let values: Vec<&str> = if next.text == "{" {
            rule[i + 2..].iter().map(|t| t.text.as_str()).take_while(|w| *w != "}").filter(|w| *w != ",").collect()
        } else {
            vec![next.text.as_str()]
        };
        Some(values.iter().flat_map(|v| named_ports(v).unwrap_or_else(|| port_spec(v))).collect())
    }

    fn allow(rule: &[Tok]) -> Option<Allow> {
        let words: Vec<&str> = rule.iter().map(|t| t.text.as_str()).collect();
        let verdict =
            words.iter().rev().find(|w| matches!(**w, "accept" | "drop" | "reject" | "jump" | "goto" | "return"))?;
        if *verdict != "accept" {
            return None;
        }
        let ports = dports(rule).filter(|p| !p.is_empty())?;
        let restricted = words.windows(2).any(|w| match w {
            ["saddr", addr] => !is_anywhere(addr),
            ["iif" | "iifname", _] => true,
            _ => false,
        });
        let text = words.join(" ").replace(" , ", ", ");
        Some(Allow { pos: rule[0].pos, ports, anywhere: !restricted, limited: words.contains(&"limit"), text })
    }

    pub(super) fn analyse(text: &str, fw: &mut Firewall) {
        let toks = tokens(text);
        let mut set = Ruleset::default();
        for stmt in statements(&toks) {
            command(&mut set, stmt);
        }
        let inputs: Vec<&Chain> = set.chains.iter().filter(|c| c.hook.as_deref() == Some("input")).collect();
        if inputs.is_empty() {
            if let Some(pos) = set.flush {
                fw.open_defaults.push(OpenDefault {
                    pos,
                    message:
                        "the ruleset is replaced whole and has no input chain: every inbound connection is accepted"
                            .into(),
                });
            }
        } else if !inputs.iter().any(|c| denies(c)) {
            for c in inputs {
                let (pos, message) = match &c.policy {
                    Some((p, pos)) => (*pos, format!("chain {} has policy {p} and no final drop", c.key.2)),
                    None => (
                        c.pos,
                        format!("chain {} has no policy (nftables accepts by default) and no final drop", c.key.2),
                    ),
                };
                fw.open_defaults
                    .push(OpenDefault { pos, message: format!("{message}: inbound connections are accepted") });
            }
        }
        for chain in set.chains.iter().filter(|c| matches!(c.hook.as_deref(), None | Some("input"))) {
            fw.allows.extend(chain.rules.iter().filter_map(|r| allow(r)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(fw: &Firewall) -> Vec<(Vec<Ports>, bool)> {
        fw.allows.iter().map(|a| (a.ports.clone(), a.anywhere)).collect()
    }

    #[test]
    fn ufw_commands() {
        let fw = analyse(
            "ufw default allow incoming\nsudo ufw allow 8443/tcp comment 'api'\nufw allow from 10.0.0.0/8 to any port 22 proto tcp\nufw limit ssh\nufw --force enable\nufw allow out 53\nufw allow in on eth1 to any port 9464\nufw insert 1 allow proto tcp from any to any port 8000:8002\n",
        );
        assert_eq!(fw.open_defaults.len(), 1);
        assert_eq!(
            ports(&fw),
            [
                (vec![(8443, 8443)], true),
                (vec![(22, 22)], false),
                (vec![(22, 22)], true),
                (vec![(9464, 9464)], false),
                (vec![(8000, 8002)], true),
            ]
        );
        assert!(fw.allows[2].limited);
        assert!(analyse("ufw default deny incoming\nufw default allow outgoing\n").open_defaults.is_empty());
    }

    #[test]
    fn nftables_blocks_and_commands() {
        let text = "flush ruleset\ntable inet filter {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    ct state established,related accept\n    tcp dport { 22, 8443 } accept\n    ip saddr 10.0.0.0/24 tcp dport 9464 accept\n  }\n}\n";
        let fw = analyse(text);
        assert_eq!(fw.open_defaults.len(), 1);
        assert_eq!(fw.open_defaults[0].pos, Pos { line: 4, col: 40 });
        assert_eq!(ports(&fw), [(vec![(22, 22), (8443, 8443)], true), (vec![(9464, 9464)], false)]);
        let closed = text.replace("policy accept", "policy drop");
        assert!(analyse(&closed).open_defaults.is_empty());
        let final_drop = text.replace("  }\n}", "    counter drop\n  }\n}");
        assert!(analyse(&final_drop).open_defaults.is_empty());
        let commands = "nft add table inet fw\nnft 'add chain inet fw in { type filter hook input priority 0 ; policy drop ; }'\nnft add rule inet fw in tcp dport ssh accept\n";
        let fw = analyse(commands);
        assert!(fw.open_defaults.is_empty());
        assert_eq!(ports(&fw), [(vec![(22, 22)], true)]);
        assert_eq!(analyse("flush ruleset\n").open_defaults.len(), 1);
    }

    #[test]
    fn iptables_and_ufw_files() {
        let rules = "*filter\n:ufw-user-input - [0:0]\n-A ufw-user-input -p tcp --dport 22 -j ufw-user-limit-accept\n-A ufw-user-input -p tcp --dport 8443 -s 10.1.0.0/16 -j ACCEPT\nCOMMIT\n";
        let fw = analyse(rules);
        assert!(fw.open_defaults.is_empty());
        assert_eq!(ports(&fw), [(vec![(22, 22)], true), (vec![(8443, 8443)], false)]);
        let dump = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\nCOMMIT\n";
        assert_eq!(analyse(dump).open_defaults.len(), 1);
        assert!(analyse(&dump.replace("COMMIT", "-A INPUT -j DROP\nCOMMIT")).open_defaults.is_empty());
        assert_eq!(analyse("ENABLED=no\nLOGLEVEL=low\n").open_defaults.len(), 1);
        assert_eq!(analyse("DEFAULT_INPUT_POLICY=\"ACCEPT\"\n").open_defaults.len(), 1);
    }

    #[test]
    fn broken_input_never_panics() {
        for text in [
            "{{{{ }} ;; table",
            "}}} table inet {",
            "add rule",
            "nft add rule inet",
            "nft add chain inet fw input { type filter hook",
            "ufw insert",
            "ufw allow in on",
            "ufw allow from",
            "-A",
            "-A INPUT --dport",
            ":INPUT",
            "table inet f { chain input { tcp dport { 1-99999, ssh } accept } }",
            "\"unterminated",
            "ufw allow 99999999/tcp",
        ] {
            let _ = analyse(text);
        }
    }
}
