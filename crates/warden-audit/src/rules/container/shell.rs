//! Shell scripts as simple commands, enough to tell which program runs with which
//! arguments: Dockerfile `RUN` lines, GitHub `run:` steps and GitLab `script:`
//! lines are all POSIX shell. Quotes, escapes, comments, `$(...)`, backticks,
//! `<(...)`, redirections and here-documents are understood; nothing is expanded.
//! Shared with the pipeline rules, which read scripts the same way.

/// A variable expansion (`$NAME`, `${NAME...}`) inside a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion {
    pub name: String,
    /// Inside double quotes: no word splitting or globbing.
    pub quoted: bool,
    /// Byte offset of the `$` in the script.
    pub offset: usize,
}

/// One shell word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    /// Quotes and escapes removed; expansions and substitutions left as written.
    pub text: String,
    /// The word as written in the script.
    pub raw: String,
    /// Byte offset of the word in the script.
    pub offset: usize,
    pub expansions: Vec<Expansion>,
}

/// What follows a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `|`: the next command reads this one's output.
    Pipe,
    /// `&&`, `||`, `;`, `&`, a newline or the end.
    Sequence,
}

/// A simple command: its words, its redirections, and what follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    /// `(operator, target)`: `(">>", $GITHUB_ENV)`.
    pub redirects: Vec<(String, Word)>,
    pub next: Op,
    /// True for a command inside `$(...)`, backticks or `<(...)`.
    pub nested: bool,
}

/// Programs that run their arguments as another command.
const WRAPPERS: &[&str] = &["sudo", "doas", "env", "exec", "command", "nice", "nohup", "time", "stdbuf", "xargs"];

/// POSIX-style shells: what a here-document fed to `RUN` is read by.
pub const POSIX_SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "ash"];

/// Shells and interpreters that run code read from standard input or `-c`.
pub const SHELLS: &[&str] =
    &["sh", "bash", "dash", "zsh", "ksh", "ash", "fish", "python", "python2", "python3", "perl", "ruby", "node", "php"];

impl Word {
    /// `NAME=value` (a variable assignment before a command, or in `export`).
    pub fn assignment(&self) -> Option<(&str, &str)> {
        let (name, value) = self.text.split_once('=')?;
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        valid.then_some((name, value))
    }
}

impl Command {
    /// Leading `NAME=value` words (the command's own environment).
    pub fn assignments(&self) -> impl Iterator<Item = (&str, &str)> {
        self.words.iter().map_while(Word::assignment)
    }

    /// The program that runs (lower-cased basename) and its arguments, past
    /// variable assignments and wrappers such as `sudo -E` and `env`. `python -m pip`,
    /// `pip3` and `uv pip` are all `pip`.
    pub fn program(&self) -> Option<(String, &[Word])> {
        let mut rest = &self.words[..];
        loop {
            while rest.first().is_some_and(|w| w.assignment().is_some() || w.text == "{" || w.text == "!") {
                rest = &rest[1..];
            }
            let first = rest.first()?;
            let name = basename(&first.text);
            if WRAPPERS.contains(&name.as_str()) {
                rest = skip_wrapper_options(&name, &rest[1..]);
                continue;
            }
            return Some(normalise(name, &rest[1..]));
        }
    }
}

/// Programs that download.
const DOWNLOADERS: &[&str] = &["curl", "wget", "fetch", "aria2c", "http", "https"];

/// Commands that run a download as code, by index, with what they do: `curl URL |
/// sh`, `wget -O- URL | sudo bash`, `sh -c "$(curl URL)"`, `bash <(curl URL)`,
/// `eval "$(wget -qO- URL)"`.
pub fn downloads_run_as_code(cmds: &[Command]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, cmd) in cmds.iter().enumerate() {
        let Some((program, args)) = cmd.program() else { continue };
        if DOWNLOADERS.contains(&program.as_str()) && cmd.next == Op::Pipe {
            let runner = cmds[i + 1..].iter().find(|c| c.nested == cmd.nested).and_then(Command::program);
            if let Some((runner, _)) = runner.filter(|(r, _)| runs_code(r)) {
                out.push((i, format!("{program} output piped into {runner}")));
            }
        } else if runs_code(&program)
            && let Some(downloader) = args.iter().find_map(|w| substituted_download(&w.raw))
        {
            out.push((i, format!("{program} runs the output of {downloader}")));
        }
    }
    out
}

fn runs_code(program: &str) -> bool {
    SHELLS.contains(&program) || matches!(program, "eval" | "source" | ".")
}

/// The downloader a `$(...)`, `<(...)` or backtick substitution in `raw` runs.
fn substituted_download(raw: &str) -> Option<String> {
    ["$(", "<(", "`"].iter().find_map(|open| {
        raw.match_indices(open).find_map(|(i, _)| {
            let inner = raw[i + open.len()..].trim_start();
            let first = basename(inner.split(|c: char| c.is_whitespace() || c == ')' || c == '`').next()?);
            DOWNLOADERS.contains(&first.as_str()).then_some(first)
        })
    })
}

/// The lower-cased last path component of a program name.
pub fn basename(program: &str) -> String {
    program.rsplit('/').next().unwrap_or(program).to_ascii_lowercase()
}

fn skip_wrapper_options<'a>(wrapper: &str, mut args: &'a [Word]) -> &'a [Word] {
    let with_value: &[&str] = match wrapper {
        "sudo" | "doas" => &["-u", "-g", "-C", "-h", "-p", "-D", "-r", "-t", "-U"],
        "env" => &["-u", "-C", "-S"],
        "nice" => &["-n"],
        "stdbuf" => &["-i", "-o", "-e"],
        "xargs" => &["-I", "-n", "-P", "-d", "-L", "-s", "-E"],
        _ => &[],
    };
    while let Some(first) = args.first() {
        if with_value.contains(&first.text.as_str()) {
            args = args.get(2..).unwrap_or(&[]);
        } else if first.text.starts_with('-') && first.text != "-" {
            args = &args[1..];
        } else {
            break;
        }
    }
    args
}

fn normalise(name: String, args: &[Word]) -> (String, &[Word]) {
    let is_python = name.starts_with("python") && name[6..].chars().all(|c| c.is_ascii_digit() || c == '.');
    if is_python && args.first().is_some_and(|w| w.text == "-m") && args.len() > 1 {
        let module = basename(&args[1].text);
        return (if module.starts_with("pip") { "pip".into() } else { module }, &args[2..]);
    }
    if name == "uv" && args.first().is_some_and(|w| w.text == "pip") {
        return ("pip".into(), &args[1..]);
    }
    let is_pip = name.starts_with("pip") && name[3..].chars().all(|c| c.is_ascii_digit() || c == '.');
    if is_pip {
        return ("pip".into(), args);
    }
    if is_python {
        return ("python".into(), args);
    }
    (name, args)
}

/// Every simple command in `script`, those inside substitutions included (after
/// the command that holds them).
pub fn commands(script: &str) -> Vec<Command> {
    let mut out = Vec::new();
    Lexer { text: script, pos: 0, base: 0, nested: false, heredocs: Vec::new() }.run(&mut out);
    out
}

/// Commands of an exec-form argument list (`["pip", "install", "x"]`): one
/// command, or the script of `sh -c SCRIPT`.
pub fn exec_commands(args: &[String]) -> Vec<Command> {
    let words: Vec<Word> =
        args.iter().map(|a| Word { text: a.clone(), raw: a.clone(), offset: 0, expansions: Vec::new() }).collect();
    let shell = args.first().map(|p| basename(p)).is_some_and(|p| SHELLS.contains(&p.as_str()));
    if shell && let Some(i) = args.iter().position(|a| a == "-c") {
        return args.get(i + 1).map(|s| commands(s)).unwrap_or_default();
    }
    vec![Command { words, redirects: Vec::new(), next: Op::Sequence, nested: false }]
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    /// Offset of `text` in the whole script (for substitutions).
    base: usize,
    nested: bool,
    /// Here-document delimiters whose bodies start after the current line.
    heredocs: Vec<String>,
}

/// The command being read.
#[derive(Default)]
struct Building {
    words: Vec<Word>,
    redirects: Vec<(String, Word)>,
    /// The redirection operator waiting for its target word.
    redirect: Option<String>,
    /// `<<` seen: the next word is a here-document delimiter.
    heredoc: bool,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.text[self.pos..].chars().nth(1)
    }

    fn run(&mut self, out: &mut Vec<Command>) {
        let mut cmd = Building::default();
        let mut nested = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                '\n' => {
                    self.pos += 1;
                    self.finish(&mut cmd, Op::Sequence, out, &mut nested);
                    self.skip_heredoc_bodies();
                }
                ' ' | '\t' | '\r' => self.pos += 1,
                '\\' if self.peek2() == Some('\n') => self.pos += 2,
                '#' => self.skip_comment(),
                '|' => {
                    self.pos += 1;
                    let op = match self.peek() {
                        Some('|') => {
                            self.pos += 1;
                            Op::Sequence
                        }
                        Some('&') => {
                            self.pos += 1;
                            Op::Pipe
                        }
                        _ => Op::Pipe,
                    };
                    self.finish(&mut cmd, op, out, &mut nested);
                }
                '&' if self.peek2() == Some('>') => self.redirection(&mut cmd),
                ';' | '&' | '(' | ')' => {
                    self.pos += 1;
                    if self.peek() == Some(c) {
                        self.pos += 1;
                    }
                    self.finish(&mut cmd, Op::Sequence, out, &mut nested);
                }
                '<' if self.peek2() == Some('(') => {
                    let word = self.word(&mut nested);
                    self.push_word(&mut cmd, word);
                }
                '<' | '>' => self.redirection(&mut cmd),
                _ => {
                    let word = self.word(&mut nested);
                    // `2>file`: the digits are a file descriptor, not a word.
                    if matches!(self.peek(), Some('<' | '>')) && word.raw.chars().all(|c| c.is_ascii_digit()) {
                        continue;
                    }
                    self.push_word(&mut cmd, word);
                }
            }
        }
        self.finish(&mut cmd, Op::Sequence, out, &mut nested);
    }

    fn push_word(&mut self, cmd: &mut Building, word: Word) {
        if cmd.heredoc {
            cmd.heredoc = false;
            self.heredocs.push(word.text.clone());
            cmd.redirects.push(("<<".into(), word));
        } else if let Some(op) = cmd.redirect.take() {
            cmd.redirects.push((op, word));
        } else {
            cmd.words.push(word);
        }
    }

    fn redirection(&mut self, cmd: &mut Building) {
        let start = self.pos;
        while matches!(self.peek(), Some('<' | '>' | '&' | '|' | '-')) {
            // `>&2` and `2>&1` end with a descriptor; `<<-` strips tabs.
            if self.peek() == Some('-') && !self.text[start..self.pos].ends_with("<<") {
                break;
            }
            if self.peek() == Some('|') && self.pos > start && !self.text[start..self.pos].ends_with('>') {
                break;
            }
            self.pos += 1;
        }
        let op = self.text[start..self.pos].to_string();
        if op.starts_with("<<<") {
            cmd.redirect = Some(op);
        } else if op.starts_with("<<") {
            cmd.heredoc = true;
        } else {
            cmd.redirect = Some(op);
        }
    }

    fn finish(&self, cmd: &mut Building, next: Op, out: &mut Vec<Command>, nested: &mut Vec<Command>) {
        let done = std::mem::take(cmd);
        if !done.words.is_empty() || !done.redirects.is_empty() {
            out.push(Command { words: done.words, redirects: done.redirects, next, nested: self.nested });
        } else if next == Op::Pipe
            && let Some(last) = out.last_mut()
        {
            last.next = Op::Pipe;
        }
        out.append(nested);
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    /// Skips the bodies of pending here-documents (the lines after the one that
    /// opened them, up to each delimiter).
    fn skip_heredoc_bodies(&mut self) {
        for delimiter in std::mem::take(&mut self.heredocs) {
            while self.pos < self.text.len() {
                let end = self.text[self.pos..].find('\n').map_or(self.text.len(), |i| self.pos + i);
                let line = self.text[self.pos..end].trim();
                self.pos = (end + 1).min(self.text.len());
                if line == delimiter {
                    break;
                }
            }
        }
    }

    /// Reads one word, recording expansions and the commands of substitutions.
    fn word(&mut self, nested: &mut Vec<Command>) -> Word {
        let start = self.pos;
        let mut word = Word { offset: self.base + start, ..Word::default() };
        let mut double = false;
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    double = !double;
                    self.pos += 1;
                }
                '\'' if !double => {
                    self.pos += 1;
                    let end = self.text[self.pos..].find('\'').map_or(self.text.len(), |i| self.pos + i);
                    word.text.push_str(&self.text[self.pos..end]);
                    self.pos = (end + 1).min(self.text.len());
                }
                '\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some('\n') => self.pos += 1,
                        Some(next) => {
                            if double && !matches!(next, '"' | '\\' | '$' | '`') {
                                word.text.push('\\');
                            }
                            word.text.push(next);
                            self.pos += next.len_utf8();
                        }
                        None => {}
                    }
                }
                '$' if self.peek2() == Some('(') => self.substitution(&mut word, 2, ')', nested),
                '<' if !double && self.peek2() == Some('(') => self.substitution(&mut word, 2, ')', nested),
                '`' => self.substitution(&mut word, 1, '`', nested),
                '$' => self.expansion(&mut word, double),
                c if !double && (c.is_whitespace() || matches!(c, '|' | '&' | ';' | '<' | '>' | '(' | ')')) => break,
                c => {
                    word.text.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        word.raw = self.text[start..self.pos].to_string();
        word
    }

    fn expansion(&mut self, word: &mut Word, quoted: bool) {
        let start = self.pos;
        self.pos += 1;
        let name = if self.peek() == Some('{') {
            let end = self.text[self.pos..].find('}').map_or(self.text.len(), |i| self.pos + i);
            let inner = &self.text[self.pos + 1..end];
            self.pos = (end + 1).min(self.text.len());
            inner.trim_start_matches('#').split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or("")
        } else {
            let rest = &self.text[self.pos..];
            let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            self.pos += len;
            &rest[..len]
        };
        word.text.push_str(&self.text[start..self.pos]);
        if !name.is_empty() {
            word.expansions.push(Expansion { name: name.to_string(), quoted, offset: self.base + start });
        }
    }

    /// `$(...)`, `<(...)` or a backtick pair: its commands are read on their own
    /// (with a fresh quoting context) and kept; the word keeps the text.
    fn substitution(&mut self, word: &mut Word, open: usize, close: char, nested: &mut Vec<Command>) {
        let start = self.pos;
        let inner_start = self.pos + open;
        let end = matching(self.text, inner_start, close);
        let inner = &self.text[inner_start..end];
        let mut lexer =
            Lexer { text: inner, pos: 0, base: self.base + inner_start, nested: true, heredocs: Vec::new() };
        let mut found = Vec::new();
        lexer.run(&mut found);
        for cmd in &found {
            for w in &cmd.words {
                word.expansions.extend(w.expansions.iter().cloned());
            }
        }
        nested.extend(found);
        self.pos = (end + close.len_utf8()).min(self.text.len());
        word.text.push_str(&self.text[start..self.pos]);
    }
}

/// The offset of the `close` that ends a substitution opened just before `from`
/// (nested parentheses and quotes skipped); the end of the text if none.
fn matching(text: &str, from: usize, close: char) -> usize {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut chars = text[from..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => {
                chars.next();
            }
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') if close == ')' => depth += 1,
            (None, c) if c == close && depth == 0 => return from + i,
            (None, ')') if close == ')' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs(script: &str) -> Vec<(String, Vec<String>, Op)> {
        commands(script)
            .iter()
            .filter_map(|c| {
                let (p, args) = c.program()?;
                Some((p, args.iter().map(|w| w.text.clone()).collect(), c.next))
            })
            .collect()
    }

    #[test]
    fn splits_commands_and_pipes() {
        let got = programs("set -eux; curl -fsSL https://x/install.sh | sudo -E bash -s -- --yes && echo done\n");
        assert_eq!(got[0].0, "set");
        assert_eq!(got[1], ("curl".into(), vec!["-fsSL".into(), "https://x/install.sh".into()], Op::Pipe));
        assert_eq!(got[2].0, "bash");
        assert_eq!(got[3].0, "echo");
    }

    #[test]
    fn quotes_escapes_comments_and_continuations() {
        let got = programs(
            "pip install \"torch==2.3.1\" 'numpy<2' \\\n  --no-cache-dir # pinned\nFOO=1 env BAR=2 python3 -m pip install x",
        );
        assert_eq!(
            got[0],
            (
                "pip".into(),
                vec!["install".into(), "torch==2.3.1".into(), "numpy<2".into(), "--no-cache-dir".into()],
                Op::Sequence
            )
        );
        assert_eq!(got[1].0, "pip");
        assert_eq!(got[1].1, ["install", "x"]);
    }

    #[test]
    fn substitutions_are_read_and_expansions_know_their_quotes() {
        let cmds = commands(
            "sh -c \"$(curl -fsSL https://get.example.com)\"\necho $CI_COMMIT_MESSAGE \"$CI_COMMIT_TITLE\" '$CI_COMMIT_BRANCH'",
        );
        let names: Vec<_> = cmds.iter().filter_map(|c| c.program().map(|p| p.0)).collect();
        assert_eq!(names, ["sh", "curl", "echo"]);
        assert!(cmds[1].nested);
        let echo = &cmds[2];
        let exp: Vec<_> =
            echo.words.iter().flat_map(|w| w.expansions.iter().map(|e| (e.name.as_str(), e.quoted))).collect();
        assert_eq!(exp, [("CI_COMMIT_MESSAGE", false), ("CI_COMMIT_TITLE", true)]);
    }

    #[test]
    fn redirections_and_heredocs() {
        let cmds = commands(
            "echo \"X=1\" >> \"$GITHUB_ENV\"\ncat <<EOF > /etc/pip.conf\n[global]\ntrusted-host = x | sh\nEOF\necho 2>&1 ok",
        );
        assert_eq!(cmds[0].redirects[0].0, ">>");
        assert_eq!(cmds[0].redirects[0].1.text, "$GITHUB_ENV");
        assert_eq!(cmds.len(), 3, "{cmds:#?}");
        assert_eq!(cmds[2].words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), ["echo", "ok"]);
    }

    #[test]
    fn downloads_run_as_code() {
        let found =
            |s: &str| super::downloads_run_as_code(&commands(s)).into_iter().map(|(_, d)| d).collect::<Vec<_>>();
        assert_eq!(found("curl -fsSL https://sh.rustup.rs | sh -s -- -y"), ["curl output piped into sh"]);
        assert_eq!(found("wget -qO- https://x | sudo -E bash -"), ["wget output piped into bash"]);
        assert_eq!(found("sh -c \"$(curl -fsSL https://x)\""), ["sh runs the output of curl"]);
        assert_eq!(found("bash <(curl -s https://x)"), ["bash runs the output of curl"]);
        assert!(found("curl -fsSL https://x -o /tmp/x.tgz | tar xz && echo $(date)").is_empty());
    }

    #[test]
    fn exec_form_and_bad_input() {
        let c = exec_commands(&["/bin/sh".into(), "-c".into(), "apt-get install -y curl".into()]);
        assert_eq!(c[0].program().unwrap().0, "apt-get");
        let c = exec_commands(&["pip".into(), "install".into(), "x".into()]);
        assert_eq!(c[0].program().unwrap().1.len(), 2);
        for junk in ["\"unterminated", "$(", "`", "${", "a >", "<<", "((( )))", "\\", "é$(é"] {
            let _ = commands(junk);
        }
    }
}
