//! Variables whose value the author of a commit, branch or merge request chooses
//! (`$CI_MERGE_REQUEST_TITLE`, `$CI_COMMIT_MESSAGE`, `$CI_COMMIT_BRANCH`...)
//! expanded where the shell re-reads them as code (`eval`, `sh -c`, `ssh host`)
//! or unquoted, where they split into extra arguments and glob.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::super::container::shell::{self, Command, SHELLS, Word};
use super::gitlab::pipelines;
use super::locate;

pub static RULE: Rule = Rule {
    id: "gitlab-script-injection",
    title: "User-controlled CI variable expanded unsafely in a script",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "Merge request titles and descriptions, commit messages and branch names are written by whoever opens the MR or pushes the branch: re-read as code (eval, sh -c, ssh) they run commands with the job's variables and deploy credentials; unquoted they inject options and globs.",
    fix: "script:\n  - echo \"Building: $CI_MERGE_REQUEST_TITLE\"          # quoted, never eval'd\n  - ./deploy.sh --branch \"$CI_COMMIT_REF_SLUG\"        # the slug is sanitised",
    equivalents: &["zizmor template-injection (the GitHub counterpart)"],
};

/// Predefined variables whose value a committer or MR author sets.
const USER_CONTROLLED: &[&str] = &[
    "CI_MERGE_REQUEST_TITLE",
    "CI_MERGE_REQUEST_DESCRIPTION",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_MERGE_REQUEST_LABELS",
    "CI_COMMIT_MESSAGE",
    "CI_COMMIT_TITLE",
    "CI_COMMIT_DESCRIPTION",
    "CI_COMMIT_TAG_MESSAGE",
    "CI_COMMIT_AUTHOR",
    "CI_COMMIT_BRANCH",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_TAG",
    "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pipeline in pipelines(cx) {
        for (section, line) in pipeline.script_lines() {
            let script = line.as_str().unwrap_or("");
            for cmd in shell::commands(script) {
                for (word, how) in risky_words(&cmd) {
                    for e in word.expansions.iter().filter(|e| USER_CONTROLLED.contains(&e.name.as_str())) {
                        let problem = match &how {
                            Reread::AsCode(program) => format!("${} is re-read as code by {program}", e.name),
                            Reread::No if !e.quoted => format!("${} is unquoted: its words become arguments", e.name),
                            Reread::No => continue,
                        };
                        let pos = locate::at_offset(&pipeline.file.text, line, e.offset);
                        out.add(&RULE, &pipeline.file.path, pos, section.subject.clone(), problem);
                    }
                }
            }
        }
    }
}

enum Reread {
    /// The word is a script another shell parses.
    AsCode(String),
    No,
}

/// Every word of the command (and its redirections), with whether a shell parses
/// it again.
fn risky_words(cmd: &Command) -> Vec<(&Word, Reread)> {
    let reread: Option<(String, usize)> = match cmd.program().map(|(p, _)| p) {
        Some(p) if p == "eval" || p == "ssh" => Some((p, 0)),
        Some(p) if SHELLS.contains(&p.as_str()) => {
            let dash_c = cmd.words.iter().position(|w| w.text == "-c");
            dash_c.map(|i| (p, i + 1))
        }
        _ => None,
    };
    let mut out = Vec::new();
    for (i, w) in cmd.words.iter().enumerate() {
        let code = reread.as_ref().filter(|(_, from)| i >= *from && (from == &0 || i == *from));
        out.push((w, code.map_or(Reread::No, |(p, _)| Reread::AsCode(p.clone()))));
    }
    out.extend(cmd.redirects.iter().map(|(_, w)| (w, Reread::No)));
    out
}
