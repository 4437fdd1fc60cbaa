//! The sshd rules' shared part: the configuration sshd really runs with. sshd
//! takes the FIRST value of a keyword, and `Include` splices files in where it
//! stands (Debian's sshd_config includes `sshd_config.d/*.conf` at the top, so a
//! drop-in wins over the main file). A full `sshd_config` (or `sshd -T` output)
//! that leaves a keyword out gets sshd's default; a drop-in alone only says what
//! it sets.

use std::path::Path;

use crate::context::Context;
use crate::finding::Findings;
use crate::input::File;
use crate::keyvalue::{Entry, KeyValues};
use crate::rule::Rule;
use crate::yaml::Pos;

use super::line_pos;

/// One sshd configuration: a main file with the drop-ins it includes, or a drop-in
/// that no main file in the set includes.
pub struct Sshd<'a> {
    pub main: &'a File,
    /// A whole configuration (absent keywords take sshd's defaults).
    pub full: bool,
    /// Every entry in the order sshd reads them, with its file.
    pub entries: Vec<(&'a File, &'a Entry)>,
}

/// Where a keyword's value comes from.
pub enum Source<'a> {
    Set(&'a File, &'a Entry),
    /// Not set in a full configuration: sshd's default applies.
    Default(&'static str),
}

impl<'a> Sshd<'a> {
    /// The effective global value of `keyword`: its first top-level entry, else the
    /// default for a full configuration.
    pub fn get(&self, keyword: &str, default: &'static str) -> Option<Source<'a>> {
        match self.entries.iter().find(|(_, e)| e.section.is_empty() && e.key.eq_ignore_ascii_case(keyword)) {
            Some((f, e)) => Some(Source::Set(f, e)),
            None if self.full => Some(Source::Default(default)),
            None => None,
        }
    }

    /// The value `keyword` gets inside each `Match` block that sets it.
    pub fn in_matches(&self, keyword: &str) -> Vec<(&'a File, &'a Entry)> {
        let mut seen: Vec<(&str, &str)> = Vec::new();
        let mut found = Vec::new();
        for (f, e) in &self.entries {
            if e.section.is_empty() || !e.key.eq_ignore_ascii_case(keyword) {
                continue;
            }
            let block = (f.path.as_str(), e.section.as_str());
            if !seen.contains(&block) {
                seen.push(block);
                found.push((*f, *e));
            }
        }
        found
    }
}

fn entries(file: &File) -> &[Entry] {
    match &file.input {
        crate::input::Input::Sshd(KeyValues { entries }) => entries,
        _ => &[],
    }
}

fn is_dropin(file: &File) -> bool {
    Path::new(&file.path).parent().is_some_and(|p| p.ends_with("sshd_config.d"))
}

/// `*.conf` against a file name: one `*` at most, as sshd's includes use.
fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((head, tail)) => name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail),
        None => pattern == name,
    }
}

/// Every sshd configuration in the input set.
pub fn configs<'a>(cx: &Context<'a>) -> Vec<Sshd<'a>> {
    let files: Vec<&'a File> = cx.sshd().map(|(f, _)| f).collect();
    let mut included: Vec<&str> = Vec::new();
    let mut found = Vec::new();
    for &main in files.iter().filter(|f| !is_dropin(f)) {
        let dir = Path::new(&main.path).parent().map(|p| p.join("sshd_config.d"));
        let mut list = Vec::new();
        for entry in entries(main) {
            if !(entry.section.is_empty() && entry.key.eq_ignore_ascii_case("Include")) {
                list.push((main, entry));
                continue;
            }
            for pattern in entry.value.split_whitespace() {
                let Some((pdir, pname)) = pattern.rsplit_once('/') else { continue };
                if !pdir.ends_with("sshd_config.d") {
                    continue;
                }
                let mut dropins: Vec<&'a File> = files
                    .iter()
                    .copied()
                    .filter(|f| is_dropin(f) && Path::new(&f.path).parent().map(Path::to_path_buf) == dir)
                    .filter(|f| {
                        Path::new(&f.path).file_name().is_some_and(|n| glob_matches(pname, &n.to_string_lossy()))
                    })
                    .collect();
                dropins.sort_by(|a, b| a.path.cmp(&b.path));
                for d in dropins {
                    included.push(&d.path);
                    list.extend(entries(d).iter().map(|e| (d, e)));
                }
            }
        }
        found.push(Sshd { main, full: true, entries: list });
    }
    for &d in files.iter().filter(|f| is_dropin(f) && !included.contains(&f.path.as_str())) {
        found.push(Sshd { main: d, full: false, entries: entries(d).iter().map(|e| (d, e)).collect() });
    }
    found
}

/// A time as sshd reads it (`90`, `2m`, `1m30s`), in seconds.
pub fn seconds(value: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut digits = String::new();
    for c in value.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let scale = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        total = total.checked_add(digits.parse::<u64>().ok()?.checked_mul(scale)?)?;
        digits.clear();
    }
    if !digits.is_empty() {
        total = total.checked_add(digits.parse().ok()?)?;
    }
    Some(total)
}

/// Checks one keyword in every configuration: `weak` gets the value and says what is
/// wrong with it, if anything.
pub fn check_keyword(
    cx: &Context<'_>,
    out: &mut Findings,
    rule: &'static Rule,
    keyword: &str,
    default: &'static str,
    weak: impl Fn(&str) -> Option<String>,
) {
    for config in configs(cx) {
        check_config(&config, out, rule, keyword, default, &weak);
    }
}

/// Checks one keyword of one configuration: the global value (set or defaulted)
/// and each `Match` block that sets it.
pub fn check_config(
    config: &Sshd<'_>,
    out: &mut Findings,
    rule: &'static Rule,
    keyword: &str,
    default: &'static str,
    weak: &dyn Fn(&str) -> Option<String>,
) {
    if let Some(source) = config.get(keyword, default) {
        report(config, out, rule, keyword, &source, weak);
    }
    for (file, entry) in config.in_matches(keyword) {
        if let Some(problem) = weak(&entry.value) {
            out.add(
                rule,
                &file.path,
                line_pos(&file.text, entry.line),
                format!("sshd {keyword} ({})", entry.section),
                format!("{keyword} {} in `{}`: {problem}", entry.value, entry.section),
            );
        }
    }
}

/// Reports `source` when `weak` finds a problem with its value: at its line, or at
/// the top of the main file for a default.
pub fn report(
    config: &Sshd<'_>,
    out: &mut Findings,
    rule: &'static Rule,
    keyword: &str,
    source: &Source<'_>,
    weak: &dyn Fn(&str) -> Option<String>,
) {
    match source {
        Source::Set(file, entry) => {
            if let Some(problem) = weak(&entry.value) {
                let pos = line_pos(&file.text, entry.line);
                let message = format!("{keyword} {}: {problem}", entry.value);
                out.add(rule, &file.path, pos, format!("sshd {keyword}"), message);
            }
        }
        Source::Default(value) => {
            if let Some(problem) = weak(value) {
                let message = format!("{keyword} is not set, so sshd uses its default {value}: {problem}");
                out.add(rule, &config.main.path, Pos { line: 1, col: 1 }, format!("sshd {keyword}"), message);
            }
        }
    }
}

impl Source<'_> {
    pub fn value(&self) -> &str {
        match self {
            Source::Set(_, e) => &e.value,
            Source::Default(v) => v,
        }
    }
}

/// sshd's yes/no words.
pub fn yes(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "yes" | "true" | "on")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Input;
    use crate::keyvalue::Syntax;

    fn file(path: &str, text: &str) -> File {
        File { path: path.into(), text: text.into(), input: Input::Sshd(KeyValues::parse(text, Syntax::Spaced)) }
    }

    #[test]
    fn includes_splice_dropins_where_they_stand() {
        let files = [
            file("ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\n"),
            file("ssh/sshd_config.d/50-hardening.conf", "PasswordAuthentication no\n"),
            file("ssh/sshd_config.d/README", "PasswordAuthentication yes\n"),
            file("other/sshd_config.d/10-x.conf", "X11Forwarding yes\n"),
        ];
        let cx = Context::new(&files);
        let all = configs(&cx);
        assert_eq!(all.len(), 3, "main, plus the two drop-ins nothing includes");
        let Some(Source::Set(f, e)) = all[0].get("passwordauthentication", "yes") else { panic!() };
        assert_eq!((f.path.as_str(), e.value.as_str()), ("ssh/sshd_config.d/50-hardening.conf", "no"));
        assert!(all[0].full && !all[1].full);
        assert!(all[1].get("MaxAuthTries", "6").is_none(), "a drop-in has no defaults");
    }

    #[test]
    fn sshd_t_output_is_a_full_configuration() {
        let files = [file(
            "sshd -T",
            "port 22\npermitrootlogin without-password\npasswordauthentication no\nx11forwarding yes\n",
        )];
        let cx = Context::new(&files);
        let all = configs(&cx);
        assert!(all[0].full);
        let Some(Source::Set(_, e)) = all[0].get("PermitRootLogin", "prohibit-password") else { panic!() };
        assert_eq!(e.value, "without-password");
        assert!(matches!(all[0].get("LogLevel", "INFO"), Some(Source::Default("INFO"))));
    }

    #[test]
    fn sshd_times() {
        assert_eq!(seconds("90"), Some(90));
        assert_eq!(seconds("2m"), Some(120));
        assert_eq!(seconds("1m30s"), Some(90));
        assert_eq!(seconds("1x"), None);
        assert_eq!(seconds("99999999999999999999w"), None);
    }
}
