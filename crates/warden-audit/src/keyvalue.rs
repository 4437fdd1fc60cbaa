//! Line-based host files as (section, key, value, line): sysctl (`key = value`),
//! sshd_config (`Keyword value`, with `Match` blocks as sections) and systemd units
//! (`[Section]` then `Key=Value`).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// `key = value` (sysctl.d).
    Equals,
    /// `Keyword value` (sshd_config); `Match ...` opens a section.
    Spaced,
    /// `[Section]` headers and `Key=Value` (systemd).
    Ini,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The `[Section]` (systemd) or `Match` line (sshd); empty at top level.
    pub section: String,
    pub key: String,
    pub value: String,
    /// 1-based.
    pub line: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyValues {
    pub entries: Vec<Entry>,
}

impl KeyValues {
    pub fn parse(text: &str, syntax: Syntax) -> KeyValues {
        let mut entries = Vec::new();
        let mut section = String::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if syntax == Syntax::Ini && line.starts_with('[') && line.ends_with(']') {
                section = line[1..line.len() - 1].trim().to_string();
                continue;
            }
            let split = match syntax {
                Syntax::Equals | Syntax::Ini => line.split_once('='),
                Syntax::Spaced => line.split_once(|c: char| c.is_whitespace() || c == '='),
            };
            let Some((key, value)) = split else { continue };
            let (key, value) = (key.trim(), value.trim().trim_start_matches('=').trim());
            if syntax == Syntax::Spaced && key.eq_ignore_ascii_case("Match") {
                section = line.to_string();
                continue;
            }
            entries.push(Entry {
                section: section.clone(),
                key: key.to_string(),
                value: value.to_string(),
                line: i + 1,
            });
        }
        KeyValues { entries }
    }

    /// The effective value of `key` at top level. sshd takes the first value of a
    /// keyword, sysctl and systemd the last: `first` says which.
    pub fn get(&self, key: &str, first: bool) -> Option<&Entry> {
        let mut matching = self.entries.iter().filter(|e| e.section.is_empty() && e.key.eq_ignore_ascii_case(key));
        if first { matching.next() } else { matching.next_back() }
    }

    /// The last value of `key` in `[section]` (systemd).
    pub fn in_section(&self, section: &str, key: &str) -> Option<&Entry> {
        self.entries.iter().rfind(|e| e.section == section && e.key == key)
    }

    /// Mostly `a.b.c = value` lines with kernel, net, fs, vm or user keys.
    pub fn looks_like_sysctl(text: &str) -> bool {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
            .collect();
        !lines.is_empty()
            && lines.iter().all(|l| {
                l.split_once('=').is_some_and(|(k, _)| {
                    let k = k.trim().trim_start_matches('-');
                    ["kernel.", "net.", "fs.", "vm.", "user.", "dev."].iter().any(|p| k.starts_with(p))
                        && !k.contains(char::is_whitespace)
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_syntax() {
        let s = KeyValues::parse("# c\nkernel.kptr_restrict = 2\nkernel.kptr_restrict=1\n", Syntax::Equals);
        assert_eq!(s.get("kernel.kptr_restrict", false).unwrap().value, "1");
        let d = KeyValues::parse(
            "PermitRootLogin no\nPermitRootLogin yes\nMatch User bob\n  X11Forwarding yes\n",
            Syntax::Spaced,
        );
        assert_eq!(d.get("permitrootlogin", true).unwrap().value, "no");
        assert!(d.get("X11Forwarding", true).is_none(), "inside Match");
        let u = KeyValues::parse("[Service]\nNoNewPrivileges=yes\nUser = warden\n", Syntax::Ini);
        assert_eq!(u.in_section("Service", "User").unwrap().value, "warden");
        assert_eq!(u.in_section("Service", "NoNewPrivileges").unwrap().line, 2);
        assert!(KeyValues::looks_like_sysctl("net.ipv4.tcp_syncookies = 1\n-kernel.sysrq=0\n"));
        assert!(!KeyValues::looks_like_sysctl("a = b\n"));
    }
}
