//! The sysctl rules' shared part: each rule is a table of keys and the value they
//! need, and this finds the value a host really gets from the files given. Only a
//! value that is set and weaker is a finding: a key left out keeps the kernel's or
//! the distribution's default, which a file cannot show (live mode reads the real
//! values from /proc/sys instead).

use std::collections::BTreeMap;
use std::path::Path;

use crate::context::Context;
use crate::finding::Findings;
use crate::input::File;
use crate::keyvalue::Entry;
use crate::rule::Rule;

use super::line_pos;

/// What a key must be.
#[derive(Clone, Copy, Debug)]
pub enum Want {
    Exactly(i64),
    AtLeast(i64),
}

impl Want {
    fn accepts(self, value: i64) -> bool {
        match self {
            Want::Exactly(v) => value == v,
            Want::AtLeast(v) => value >= v,
        }
    }

    fn describe(self) -> String {
        match self {
            Want::Exactly(v) => v.to_string(),
            Want::AtLeast(v) => format!("{v} or more"),
        }
    }
}

/// One row of a rule's table: the key, the value it needs, and what a weaker value
/// lets happen.
pub struct Key {
    pub key: &'static str,
    pub want: Want,
    pub risk: &'static str,
}

/// A key as the kernel names it: `net/ipv4/ip_forward` and `-net.ipv4.ip_forward`
/// (the dash only silences errors) are `net.ipv4.ip_forward`.
pub fn normalise(key: &str) -> String {
    key.trim().trim_start_matches('-').replace('/', ".")
}

/// The entry that decides each key, by key. Within a file the last line wins;
/// among files of one directory (a sysctl.d) the file sorting last wins, as
/// `sysctl --system` applies them in name order.
pub fn effective<'a>(cx: &Context<'a>) -> Vec<(&'a File, &'a Entry)> {
    let mut winners: BTreeMap<(String, String), (&'a File, &'a Entry, String)> = BTreeMap::new();
    for (file, kv) in cx.sysctl() {
        let path = Path::new(&file.path);
        let dir = path.parent().map(|p| p.display().to_string()).unwrap_or_default();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for entry in &kv.entries {
            let slot = (dir.clone(), normalise(&entry.key));
            let later = winners.get(&slot).is_none_or(|(_, _, other)| name >= *other);
            if later {
                winners.insert(slot, (file, entry, name.clone()));
            }
        }
    }
    let mut found: Vec<(&'a File, &'a Entry)> = winners.into_values().map(|(f, e, _)| (f, e)).collect();
    found.sort_by(|a, b| (&a.0.path, a.1.line).cmp(&(&b.0.path, b.1.line)));
    found
}

/// Reports every key of `keys` that the files set weaker than it needs.
pub fn check(cx: &Context<'_>, out: &mut Findings, rule: &'static Rule, keys: &[Key]) {
    for (file, entry) in effective(cx) {
        let name = normalise(&entry.key);
        let Some(key) = keys.iter().find(|k| k.key == name) else { continue };
        let Ok(value) = entry.value.trim().parse::<i64>() else { continue };
        if !key.want.accepts(value) {
            out.add(
                rule,
                &file.path,
                line_pos(&file.text, entry.line),
                format!("sysctl {name}"),
                format!("{name} = {value}, should be {}: {}", key.want.describe(), key.risk),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Input;
    use crate::keyvalue::{KeyValues, Syntax};

    fn file(path: &str, text: &str) -> File {
        File { path: path.into(), text: text.into(), input: Input::Sysctl(KeyValues::parse(text, Syntax::Equals)) }
    }

    #[test]
    fn the_last_file_of_a_directory_wins() {
        let files = [
            file("etc/sysctl.d/99-late.conf", "kernel.sysrq = 0\n"),
            file("etc/sysctl.d/10-early.conf", "kernel.sysrq = 1\nkernel/kptr_restrict=1\n"),
        ];
        let cx = Context::new(&files);
        let winners: Vec<(String, String)> =
            effective(&cx).iter().map(|(f, e)| (f.path.clone(), normalise(&e.key))).collect();
        assert_eq!(
            winners,
            [
                ("etc/sysctl.d/10-early.conf".to_string(), "kernel.kptr_restrict".to_string()),
                ("etc/sysctl.d/99-late.conf".to_string(), "kernel.sysrq".to_string()),
            ]
        );
    }
}
