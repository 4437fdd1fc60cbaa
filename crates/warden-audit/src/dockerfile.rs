//! Dockerfiles and Containerfiles as a list of instructions with their line, line
//! continuations joined, comments kept aside (for `# warden:ignore`), and build
//! stages told apart (rules about the final image look at the last stage only).

/// One instruction: `RUN apt-get install -y curl` at line 12.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-cased: `FROM`, `RUN`, `USER`...
    pub keyword: String,
    /// Everything after the keyword, continuations joined with a space.
    pub args: String,
    /// 1-based line of the keyword.
    pub line: usize,
    /// Index of the build stage (one per `FROM`); 0 before any `FROM`.
    pub stage: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
    /// Number of `FROM` lines.
    pub stages: usize,
}

const KEYWORDS: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

impl Dockerfile {
    /// True for text whose first instruction is `FROM` (or `ARG` before `FROM`),
    /// and which holds instructions only.
    /// Whether text with no telling name is a Dockerfile: its first instruction
    /// (after comments and parser directives) is `FROM` or `ARG`, written in
    /// capitals as Dockerfiles are, and at least two lines are instructions.
    pub fn looks_like(text: &str) -> bool {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
        let Some(first) = lines.next() else { return false };
        let word = |l: &str| l.split_whitespace().next().unwrap_or("").to_string();
        if !matches!(word(first).as_str(), "FROM" | "ARG") {
            return false;
        }
        let count = 1 + lines.filter(|l| KEYWORDS.contains(&word(l).as_str())).count();
        text.lines().any(|l| l.trim_start().starts_with("FROM ")) && count >= 2
    }

    pub fn parse(text: &str) -> Dockerfile {
        let mut out = Dockerfile::default();
        let mut pending: Option<(String, usize)> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if pending.is_none() && (line.is_empty() || line.starts_with('#')) {
                continue;
            }
            if pending.is_some() && line.starts_with('#') {
                continue;
            }
            let (mut joined, start) = pending.take().unwrap_or((String::new(), i + 1));
            match line.strip_suffix('\\') {
                Some(head) => {
                    joined.push_str(head.trim_end());
                    joined.push(' ');
                    pending = Some((joined, start));
                }
                None => {
                    joined.push_str(line);
                    out.push(&joined, start);
                }
            }
        }
        if let Some((joined, start)) = pending {
            out.push(joined.trim_end(), start);
        }
        out
    }

    fn push(&mut self, text: &str, line: usize) {
        let mut parts = text.splitn(2, char::is_whitespace);
        let keyword = parts.next().unwrap_or("").to_ascii_uppercase();
        let args = parts.next().unwrap_or("").trim().to_string();
        if keyword == "FROM" {
            self.stages += 1;
        }
        self.instructions.push(Instruction { keyword, args, line, stage: self.stages });
    }

    /// Instructions of the last stage: what ends up in the image that ships.
    pub fn final_stage(&self) -> impl Iterator<Item = &Instruction> {
        let last = self.stages;
        self.instructions.iter().filter(move |i| i.stage == last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_stages_and_lines() {
        let text = "# syntax=docker/dockerfile:1\nARG V=1\nFROM rust:1 AS build\nRUN apt-get update && \\\n    apt-get install -y curl\n\nFROM gcr.io/distroless/cc\nUSER 65532\n";
        let d = Dockerfile::parse(text);
        assert_eq!(d.stages, 2);
        assert_eq!(d.instructions[2].keyword, "RUN");
        assert_eq!(d.instructions[2].line, 4);
        assert_eq!(d.instructions[2].args, "apt-get update && apt-get install -y curl");
        let last: Vec<_> = d.final_stage().map(|i| i.keyword.as_str()).collect();
        assert_eq!(last, ["FROM", "USER"]);
        assert!(Dockerfile::looks_like(text));
        assert!(!Dockerfile::looks_like("from the start\nwe run\n"));
    }
}
