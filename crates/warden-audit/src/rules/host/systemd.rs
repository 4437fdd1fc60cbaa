//! The systemd rules' shared part: a unit merged with its drop-ins
//! (`warden.service.d/*.conf`, applied in name order, the last value winning), the
//! words of a setting with their positions (quotes and `\` continuation lines
//! handled), and which model server a unit runs.

use std::path::Path;

use crate::context::Context;
use crate::input::{File, Input};
use crate::keyvalue::Entry;
use crate::yaml::Pos;

/// Executables of model servers, matched against the words of `ExecStart`.
pub const MODEL_SERVERS: &[&str] = &[
    "warden",
    "tritonserver",
    "torchserve",
    "tensorflow_model_server",
    "mlserver",
    "bentoml",
    "vllm",
    "text-generation-launcher",
    "ollama",
    "llama-server",
];

/// A unit and its drop-ins.
pub struct Unit<'a> {
    pub file: &'a File,
    pub dropins: Vec<&'a File>,
    /// False for a drop-in whose unit is not in the set: it only says what it sets.
    pub complete: bool,
}

/// One word of a setting's value and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub pos: Pos,
}

fn entries(file: &File) -> &[Entry] {
    match &file.input {
        Input::Systemd(kv) => &kv.entries,
        _ => &[],
    }
}

/// `name.service` for a file in `name.service.d/`.
fn dropin_of(file: &File) -> Option<String> {
    let path = Path::new(&file.path);
    let dir = path.parent()?.file_name()?.to_string_lossy().into_owned();
    dir.strip_suffix(".d").filter(|u| u.contains('.')).map(str::to_string)
}

impl<'a> Unit<'a> {
    fn files(&self) -> impl Iterator<Item = &'a File> + '_ {
        std::iter::once(self.file).chain(self.dropins.iter().copied())
    }

    pub fn name(&self) -> String {
        dropin_of(self.file).unwrap_or_else(|| {
            Path::new(&self.file.path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        })
    }

    /// Every `[Service]` entry named `key`, in the order systemd applies them.
    pub fn service_all(&self, key: &str) -> Vec<(&'a File, &'a Entry)> {
        self.files()
            .flat_map(|f| entries(f).iter().filter(|e| e.section == "Service" && e.key == key).map(move |e| (f, e)))
            .collect()
    }

    /// The value that decides `key` in `[Service]`: the last one.
    pub fn service(&self, key: &str) -> Option<(&'a File, &'a Entry)> {
        self.service_all(key).pop()
    }

    /// The command that runs: the last `ExecStart=` (an empty one resets the list).
    pub fn exec_start(&self) -> Option<(&'a File, &'a Entry)> {
        self.service("ExecStart").filter(|(_, e)| !e.value.is_empty())
    }

    /// Where to report what the unit lacks: its `[Service]` line.
    pub fn header(&self) -> (&'a File, Pos) {
        for file in self.files() {
            if let Some(i) = file.text.lines().position(|l| l.trim() == "[Service]") {
                return (file, Pos { line: i + 1, col: 1 });
            }
        }
        (self.file, Pos { line: 1, col: 1 })
    }

    /// The model server this unit runs, and the index of its word in `ExecStart`.
    pub fn server(&self) -> Option<(&'static str, Vec<Word>, usize)> {
        let (file, entry) = self.exec_start()?;
        let words = words(&file.text, entry);
        for (i, w) in words.iter().enumerate() {
            let text = if i == 0 { w.text.trim_start_matches(['-', '@', '+', '!', ':']) } else { w.text.as_str() };
            if text.starts_with('-') {
                continue;
            }
            let base = text.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
            let stem = base.split([':', '.', '@']).next().unwrap_or("");
            if let Some(name) = MODEL_SERVERS.iter().find(|n| **n == stem) {
                return Some((name, words, i));
            }
        }
        None
    }
}

/// Every unit of the set, drop-ins attached to their unit.
pub fn units<'a>(cx: &Context<'a>) -> Vec<Unit<'a>> {
    let files: Vec<&'a File> = cx.systemd().map(|(f, _)| f).collect();
    let mut units: Vec<Unit<'a>> = files
        .iter()
        .filter(|f| dropin_of(f).is_none())
        .map(|&f| Unit { file: f, dropins: Vec::new(), complete: true })
        .collect();
    let mut dropins: Vec<&'a File> = files.iter().copied().filter(|f| dropin_of(f).is_some()).collect();
    dropins.sort_by_key(|f| Path::new(&f.path).file_name().map(|n| n.to_os_string()));
    for d in dropins {
        let unit = dropin_of(d).unwrap_or_default();
        let home = Path::new(&d.path).parent().and_then(Path::parent);
        let owner = units.iter_mut().filter(|u| u.complete && u.name() == unit).min_by_key(|u| {
            let same_dir = Path::new(&u.file.path).parent() == home;
            !same_dir
        });
        match owner {
            Some(u) => u.dropins.push(d),
            None => units.push(Unit { file: d, dropins: Vec::new(), complete: false }),
        }
    }
    units
}

/// The words of `entry`'s value as written in `text`, with their positions:
/// quotes group words, and a line ending in `\` continues on the next one.
pub fn words(text: &str, entry: &Entry) -> Vec<Word> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut index = entry.line.saturating_sub(1);
    let mut first = true;
    while let Some(raw) = lines.get(index) {
        let trimmed = raw.trim_start();
        if !first && (trimmed.starts_with('#') || trimmed.starts_with(';')) {
            index += 1;
            continue;
        }
        let offset = if first { raw.find('=').map_or(raw.len(), |i| i + 1) } else { 0 };
        first = false;
        let body = raw.trim_end();
        let continued = body.ends_with('\\');
        let body = if continued { &body[..body.len() - 1] } else { body };
        split_line(body, offset, index + 1, &mut out);
        if !continued {
            break;
        }
        index += 1;
    }
    out
}

fn split_line(line: &str, from: usize, number: usize, out: &mut Vec<Word>) {
    let mut word = String::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    let mut open = false;
    for (i, c) in line.char_indices().filter(|(i, _)| *i >= from) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, c) if c.is_whitespace() => {
                if open {
                    out.push(Word { text: std::mem::take(&mut word), pos: Pos { line: number, col: start + 1 } });
                    open = false;
                }
            }
            (None, c) => {
                if !open {
                    start = i;
                    open = true;
                }
                if c == '"' || c == '\'' {
                    quote = Some(c);
                } else {
                    word.push(c);
                }
            }
        }
    }
    if open {
        out.push(Word { text: word, pos: Pos { line: number, col: start + 1 } });
    }
}

/// systemd's booleans.
pub fn yes(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "yes" | "true" | "on" | "1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyvalue::{KeyValues, Syntax};

    fn unit(path: &str, text: &str) -> File {
        File { path: path.into(), text: text.into(), input: Input::Systemd(KeyValues::parse(text, Syntax::Ini)) }
    }

    #[test]
    fn words_follow_quotes_and_continuations() {
        let text = "[Service]\nExecStart=/usr/bin/warden serve \\\n    --listen \"0.0.0.0:8443\" \\\n  # a comment\n    --insecure-http\nUser=warden\n";
        let f = unit("warden.service", text);
        let Input::Systemd(kv) = &f.input else { panic!() };
        let ws = words(text, &kv.entries[0]);
        let got: Vec<(&str, usize, usize)> = ws.iter().map(|w| (w.text.as_str(), w.pos.line, w.pos.col)).collect();
        assert_eq!(
            got,
            [
                ("/usr/bin/warden", 2, 11),
                ("serve", 2, 27),
                ("--listen", 3, 5),
                ("0.0.0.0:8443", 3, 14),
                ("--insecure-http", 5, 5)
            ]
        );
    }

    #[test]
    fn dropins_join_their_unit_and_win() {
        let files = [
            unit("system/warden.service", "[Service]\nExecStart=/usr/bin/warden serve\nUser=root\n"),
            unit("system/warden.service.d/10-user.conf", "[Service]\nUser=warden\n"),
            unit(
                "system/triton.service.d/override.conf",
                "[Service]\nExecStart=\nExecStart=/opt/tritonserver/bin/tritonserver --model-repository=/m\n",
            ),
        ];
        let cx = Context::new(&files);
        let all = units(&cx);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].service("User").unwrap().1.value, "warden");
        assert_eq!(all[0].server().map(|s| s.0), Some("warden"));
        assert!(!all[1].complete);
        assert_eq!(all[1].name(), "triton.service");
        assert_eq!(all[1].server().map(|s| (s.0, s.2)), Some(("tritonserver", 0)));
    }
}
