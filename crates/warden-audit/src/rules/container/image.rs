//! The build a Dockerfile describes, as the container rules need it: stages with
//! their base image (global `ARG` defaults substituted) and alias, which earlier
//! stage a stage builds on (`FROM builder`), the shipped image's instructions
//! (the final stage and the stages it builds on), `RUN` scripts with their
//! here-documents, exec-form (JSON) and shell-form arguments, and image
//! references split into name, tag and digest.
//!
//! The framework's parser reads a here-document's body as instructions of their
//! own (a `FROM` inside one would even open a stage); this view drops those lines
//! and gives the body to the instruction that opened it.

use crate::context::Context;
use crate::dockerfile::{Dockerfile, Instruction};
use crate::input::File;
use crate::yaml::Pos;

use super::shell::{self, Command};

/// One instruction, with the bodies of the here-documents it opened.
#[derive(Debug)]
pub struct Step<'a> {
    pub ins: &'a Instruction,
    pub heredocs: Vec<String>,
}

#[derive(Debug)]
pub struct Stage<'a> {
    pub index: usize,
    /// The `FROM` instruction.
    pub from: &'a Instruction,
    /// The base image, global `ARG` defaults substituted (`None` when a variable
    /// has no default: the image is not known here).
    pub image: Option<String>,
    pub alias: Option<String>,
    /// The earlier stage this one builds on (`FROM builder`).
    pub parent: Option<usize>,
    /// Instructions after the `FROM`.
    pub steps: Vec<Step<'a>>,
}

#[derive(Debug)]
pub struct Build<'a> {
    pub stages: Vec<Stage<'a>>,
    /// Global `ARG name=default` lines (before the first `FROM`).
    pub args: Vec<(String, String)>,
    /// The instructions before the first `FROM` (global `ARG`s).
    pub preamble: Vec<Step<'a>>,
}

/// Every Dockerfile of the set, with its build.
pub fn builds<'a>(cx: &Context<'a>) -> impl Iterator<Item = (&'a File, Build<'a>)> {
    cx.dockerfiles().map(|(file, dockerfile)| (file, Build::of(file, dockerfile)))
}

impl<'a> Build<'a> {
    pub fn of(file: &File, dockerfile: &'a Dockerfile) -> Build<'a> {
        let lines: Vec<&str> = file.text.lines().collect();
        let mut skip = Vec::new();
        let mut steps: Vec<Step<'a>> = Vec::new();
        for ins in &dockerfile.instructions {
            if skip.iter().any(|(from, to)| (*from..=*to).contains(&ins.line)) {
                continue;
            }
            let (bodies, range) = heredocs(ins, &lines);
            if let Some(r) = range {
                skip.push(r);
            }
            steps.push(Step { ins, heredocs: bodies });
        }
        let mut build = Build { stages: Vec::new(), args: Vec::new(), preamble: Vec::new() };
        for step in steps {
            if step.ins.keyword == "FROM" {
                build.open_stage(step.ins);
            } else if let Some(stage) = build.stages.last_mut() {
                stage.steps.push(step);
            } else {
                if step.ins.keyword == "ARG" {
                    build.args.extend(key_values(&step.ins.args));
                }
                build.preamble.push(step);
            }
        }
        build
    }

    fn open_stage(&mut self, from: &'a Instruction) {
        let words: Vec<&str> = from.args.split_whitespace().filter(|w| !w.starts_with("--")).collect();
        let written = words.first().copied().unwrap_or("");
        let alias = match words.as_slice() {
            [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => Some(name.to_ascii_lowercase()),
            _ => None,
        };
        let image = self.substitute(written);
        let parent = image.as_deref().and_then(|i| self.stage_named(i));
        let index = self.stages.len();
        self.stages.push(Stage { index, from, image, alias, parent, steps: Vec::new() });
    }

    /// The stage called `name` (its alias or its index), if it is one.
    pub fn stage_named(&self, name: &str) -> Option<usize> {
        let name = name.to_ascii_lowercase();
        self.stages
            .iter()
            .position(|s| s.alias.as_deref() == Some(name.as_str()))
            .or_else(|| name.parse::<usize>().ok().filter(|i| *i < self.stages.len()))
    }

    /// `text` with `$NAME`, `${NAME}` and `${NAME:-default}` replaced by the global
    /// `ARG` defaults; `None` when one cannot be.
    pub fn substitute(&self, text: &str) -> Option<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            rest = &rest[i + 1..];
            let (name, default, after) = if let Some(inner) = rest.strip_prefix('{') {
                let end = inner.find('}')?;
                let body = &inner[..end];
                let (name, default) = match body.split_once(":-").or_else(|| body.split_once('-')) {
                    Some((n, d)) => (n, Some(d)),
                    None => (body, None),
                };
                (name, default, &inner[end + 1..])
            } else {
                let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
                (&rest[..len], None, &rest[len..])
            };
            let value = self.args.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            out.push_str(value.filter(|v| !v.is_empty()).or(default)?);
            rest = after;
        }
        out.push_str(rest);
        Some(out)
    }

    /// The stage that ships.
    pub fn last(&self) -> Option<&Stage<'a>> {
        self.stages.last()
    }

    /// The shipped image's stages: the final stage and those it builds on, oldest
    /// first (what `USER`, `CMD` and `HEALTHCHECK` inherit from).
    pub fn shipped(&self) -> Vec<&Stage<'a>> {
        let mut chain = Vec::new();
        let mut next = self.stages.len().checked_sub(1);
        while let Some(i) = next {
            if chain.iter().any(|s: &&Stage| s.index == i) {
                break;
            }
            chain.push(&self.stages[i]);
            next = self.stages[i].parent;
        }
        chain.reverse();
        chain
    }

    /// The shipped image's instructions, in order.
    pub fn shipped_steps(&self) -> impl Iterator<Item = &Step<'a>> {
        self.shipped().into_iter().flat_map(|s| s.steps.iter())
    }

    /// Every instruction of every stage with its stage.
    pub fn all_steps(&self) -> impl Iterator<Item = (&Stage<'a>, &Step<'a>)> {
        self.stages.iter().flat_map(|s| s.steps.iter().map(move |step| (s, step)))
    }
}

impl Stage<'_> {
    /// How findings name the stage: its alias, or its index.
    pub fn name(&self) -> String {
        match &self.alias {
            Some(a) => format!("stage {a}"),
            None => format!("stage {}", self.index),
        }
    }
}

impl Step<'_> {
    pub fn keyword(&self) -> &str {
        &self.ins.keyword
    }

    pub fn pos(&self) -> Pos {
        at(self.ins)
    }

    /// Leading `--flag=value` options (`RUN --mount=...`, `COPY --from=...`) and
    /// what follows them.
    pub fn flags(&self) -> (Vec<&str>, &str) {
        let mut rest = self.ins.args.as_str();
        let mut flags = Vec::new();
        while rest.starts_with("--") {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            flags.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
        (flags, rest)
    }

    /// The value of option `--name=value`, if given.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags().0.into_iter().find_map(|f| f.strip_prefix("--")?.strip_prefix(name)?.strip_prefix('='))
    }

    /// The shell commands a `RUN` (or `CMD`, `ENTRYPOINT`) runs: its exec form, or
    /// its shell form with the bodies of here-documents a shell reads.
    pub fn commands(&self) -> Vec<Command> {
        let body = self.flags().1;
        if let Some(args) = exec_form(body) {
            return shell::exec_commands(&args);
        }
        let mut cmds = shell::commands(body);
        let opener = cmds.first().and_then(|c| c.program().map(|p| p.0));
        let shell_reads = opener.as_deref().is_none_or(|p| shell::POSIX_SHELLS.contains(&p));
        if shell_reads && !self.heredocs.is_empty() {
            for heredoc in &self.heredocs {
                cmds.extend(shell::commands(heredoc));
            }
        }
        cmds
    }

    /// The source and destination words of `COPY`/`ADD` (either form), flags
    /// removed; the last one is the destination.
    pub fn paths(&self) -> Vec<String> {
        let body = self.flags().1;
        exec_form(body).unwrap_or_else(|| body.split_whitespace().map(str::to_string).collect())
    }
}

/// Where a finding about an instruction points: its line.
pub fn at(ins: &Instruction) -> Pos {
    Pos { line: ins.line, col: 1 }
}

/// Images pulled from a registry, with the stage and the instruction that pulls
/// them: `FROM` lines not built on an earlier stage (nor `scratch`) and `COPY
/// --from=IMAGE`. An image whose variables have no default is left out.
pub fn external_images<'b, 'a>(build: &'b Build<'a>) -> Vec<(&'b Stage<'a>, &'a Instruction, String)> {
    let mut out = Vec::new();
    for stage in &build.stages {
        if stage.parent.is_none()
            && let Some(image) = stage.image.as_ref().filter(|i| !i.eq_ignore_ascii_case("scratch"))
        {
            out.push((stage, stage.from, image.clone()));
        }
        for step in stage.steps.iter().filter(|s| s.keyword() == "COPY") {
            let Some(from) = step.flag("from") else { continue };
            if build.stage_named(from).is_some_and(|i| i < stage.index) {
                continue;
            }
            if let Some(image) = build.substitute(from) {
                out.push((stage, step.ins, image));
            }
        }
    }
    out
}

/// The sources of a `COPY` or `ADD` (every path but the destination; here-document
/// sources `<<EOF` left out).
pub fn sources(step: &Step<'_>) -> Vec<String> {
    let mut paths = step.paths();
    paths.pop();
    paths.retain(|p| !p.starts_with("<<"));
    paths
}

/// A remote source: `https://...`, `git@host:repo`, `git://...`.
pub fn is_url(source: &str) -> bool {
    let s = source.to_ascii_lowercase();
    ["http://", "https://", "git://", "git@", "ssh://"].iter().any(|p| s.starts_with(p))
}

/// `["a", "b"]` as strings; `None` for anything else.
pub fn exec_form(text: &str) -> Option<Vec<String>> {
    let text = text.trim();
    if !text.starts_with('[') {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// `NAME=value` pairs of `ARG`/`ENV`/`LABEL` arguments (quotes removed), or the
/// legacy `ENV NAME value with spaces`. `ARG NAME` without a default gives an
/// empty value.
pub fn key_values(args: &str) -> Vec<(String, String)> {
    let words: Vec<shell::Word> = shell::commands(args).into_iter().flat_map(|c| c.words).collect();
    let Some(first) = words.first() else { return Vec::new() };
    if !first.text.contains('=') {
        if words.len() == 1 {
            return vec![(first.text.clone(), String::new())];
        }
        let value = args.get(first.offset + first.raw.len()..).unwrap_or("").trim();
        return vec![(first.text.clone(), unquote(value))];
    }
    words
        .iter()
        .map(|w| match w.text.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (w.text.clone(), String::new()),
        })
        .collect()
}

fn unquote(value: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    value.to_string()
}

/// The bodies of the here-documents `ins` opens, and the lines they take.
fn heredocs(ins: &Instruction, lines: &[&str]) -> (Vec<String>, Option<(usize, usize)>) {
    if !matches!(ins.keyword.as_str(), "RUN" | "COPY" | "ADD") {
        return (Vec::new(), None);
    }
    let delimiters = delimiters(&ins.args);
    if delimiters.is_empty() {
        return (Vec::new(), None);
    }
    // The body starts after the physical line the instruction ends on.
    let mut line = ins.line;
    while lines.get(line - 1).is_some_and(|l| l.trim_end().ends_with('\\')) {
        line += 1;
    }
    let first = line + 1;
    let mut bodies = Vec::new();
    let mut next = first;
    for delimiter in delimiters {
        let mut body = String::new();
        while let Some(text) = lines.get(next - 1) {
            next += 1;
            if text.trim() == delimiter {
                break;
            }
            body.push_str(text);
            body.push('\n');
        }
        bodies.push(body);
    }
    (bodies, Some((first, next - 1)))
}

/// Here-document delimiters in an instruction's arguments (`<<EOF`, `<<-"EOF"`),
/// not here-strings (`<<<`).
fn delimiters(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = args;
    while let Some(i) = rest.find("<<") {
        rest = &rest[i + 2..];
        if rest.starts_with('<') {
            rest = rest.trim_start_matches('<');
            continue;
        }
        let word = rest.trim_start_matches('-').trim_start();
        let word = word.trim_start_matches(['"', '\'']);
        let len = word.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(word.len());
        if len > 0 {
            out.push(word[..len].to_string());
        }
    }
    out
}

/// An image reference: `registry/name:tag@sha256:...`.
#[derive(Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Everything before the tag and digest.
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(reference: &'a str) -> ImageRef<'a> {
        let (rest, digest) = match reference.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (reference, None),
        };
        let slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[slash..].rfind(':') {
            Some(i) => ImageRef { name: &rest[..slash + i], tag: Some(&rest[slash + i + 1..]), digest },
            None => ImageRef { name: rest, tag: None, digest },
        }
    }

    /// Pinned by a content digest.
    pub fn pinned(&self) -> bool {
        self.digest.is_some_and(|d| d.starts_with("sha256:") && d.len() == 71)
    }

    /// No tag, or `latest`, and no digest: whatever was pushed last.
    pub fn floating(&self) -> bool {
        self.digest.is_none() && self.tag.is_none_or(|t| t.eq_ignore_ascii_case("latest"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Input, classify};
    use std::path::Path;

    fn file(text: &str) -> File {
        let Ok(Some(input @ Input::Dockerfile(_))) = classify(Path::new("Dockerfile"), text) else { panic!() };
        File { path: "Dockerfile".into(), text: text.into(), input }
    }

    fn dockerfile(f: &File) -> &Dockerfile {
        match &f.input {
            Input::Dockerfile(d) => d,
            _ => unreachable!(),
        }
    }

    #[test]
    fn stages_aliases_args_and_the_shipped_chain() {
        let f = file(
            "ARG PY=3.12\nFROM python:${PY}-slim AS base\nUSER app\nFROM base AS test\nRUN pytest\nFROM base\nCMD [\"serve\"]\n",
        );
        let b = Build::of(&f, dockerfile(&f));
        assert_eq!(b.stages.len(), 3);
        assert_eq!(b.stages[0].image.as_deref(), Some("python:3.12-slim"));
        assert_eq!(b.stages[2].parent, Some(0));
        let shipped: Vec<usize> = b.shipped().iter().map(|s| s.index).collect();
        assert_eq!(shipped, [0, 2]);
        let kinds: Vec<&str> = b.shipped_steps().map(Step::keyword).collect();
        assert_eq!(kinds, ["USER", "CMD"]);
        assert_eq!(b.substitute("${NOPE}"), None);
        assert_eq!(b.substitute("${NOPE:-x}").as_deref(), Some("x"));
    }

    #[test]
    fn heredocs_belong_to_their_instruction() {
        let f = file(
            "FROM debian:12\nRUN <<EOF\nset -e\nFROM evil\ncurl -k https://x | sh\nEOF\nCOPY <<-'CONF' /etc/app.conf\nUSER root\nCONF\nUSER app\n",
        );
        let b = Build::of(&f, dockerfile(&f));
        assert_eq!(b.stages.len(), 1);
        let steps = &b.stages[0].steps;
        assert_eq!(steps.iter().map(Step::keyword).collect::<Vec<_>>(), ["RUN", "COPY", "USER"]);
        let programs: Vec<String> = steps[0].commands().iter().filter_map(|c| c.program().map(|p| p.0)).collect();
        assert_eq!(programs, ["set", "from", "curl", "sh"]);
        assert_eq!(steps[2].ins.args, "app");
    }

    #[test]
    fn flags_forms_and_values() {
        let f = file(
            "FROM x:1\nRUN --mount=type=cache,target=/root/.cache [\"pip\", \"install\", \"a\"]\nENV A=1 B=\"two words\"\nENV LEGACY some value\n",
        );
        let b = Build::of(&f, dockerfile(&f));
        let run = &b.stages[0].steps[0];
        assert_eq!(run.flag("mount"), Some("type=cache,target=/root/.cache"));
        assert_eq!(run.commands()[0].program().unwrap().0, "pip");
        assert_eq!(
            key_values(&b.stages[0].steps[1].ins.args),
            [("A".into(), "1".into()), ("B".into(), "two words".into())]
        );
        assert_eq!(key_values(&b.stages[0].steps[2].ins.args), [("LEGACY".into(), "some value".into())]);
    }

    #[test]
    fn odd_input_never_panics() {
        assert_eq!(key_values(";é x"), [("é".into(), "x".into())]);
        for text in [
            "FROM\n",
            "FROM a\nRUN <<\n",
            "FROM a\nRUN <<EOF\n",
            "FROM a\nCOPY <<-'X' <<Y /x\nX\n",
            "FROM $\nFROM ${\nFROM ${A:-}\nCOPY --from= a b\n",
            "FROM é AS é\nUSER\nRUN [\"sh\", \"-c\"]\nENV é\nADD\n",
        ] {
            let f = file(text);
            let b = Build::of(&f, dockerfile(&f));
            for step in b.shipped_steps() {
                let _ = (step.commands(), sources(step), key_values(&step.ins.args));
            }
            let _ = external_images(&b);
        }
    }

    #[test]
    fn image_references() {
        let r = ImageRef::parse("localhost:5000/ml/serve:1.2@sha256:abc");
        assert_eq!((r.name, r.tag, r.digest), ("localhost:5000/ml/serve", Some("1.2"), Some("sha256:abc")));
        assert!(ImageRef::parse("python").floating());
        assert!(ImageRef::parse("python:latest").floating());
        assert!(!ImageRef::parse("python:3.12").floating());
        assert!(ImageRef::parse(&format!("python@sha256:{}", "a".repeat(64))).pinned());
    }
}
