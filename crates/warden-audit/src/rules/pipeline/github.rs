//! GitHub Actions workflows and actions as the rules read them: triggers, jobs,
//! steps (of workflow jobs and of composite actions), `uses:` references and
//! `${{ }}` expressions.

use crate::context::Context;
use crate::input::File;
use crate::yaml::Node;

/// Triggers that run with the base repository's secrets and a write token on
/// events that outsiders (forks) cause.
pub const DANGEROUS_TRIGGERS: &[&str] = &["pull_request_target", "workflow_run"];

/// A workflow file.
pub struct Workflow<'a> {
    pub file: &'a File,
    pub doc: &'a Node,
}

/// A step, in a workflow job or a composite action.
pub struct Step<'a> {
    pub file: &'a File,
    /// The workflow; `None` for a composite action.
    pub workflow: Option<&'a Node>,
    pub node: &'a Node,
    /// `job build step 3 (Build image)`, `action step 2`.
    pub subject: String,
}

pub fn workflows<'a>(cx: &Context<'a>) -> impl Iterator<Item = Workflow<'a>> {
    cx.github_workflows().map(|(file, doc)| Workflow { file, doc })
}

impl<'a> Workflow<'a> {
    /// Each trigger's name node: `on: push`, `on: [push, pull_request]` or
    /// `on: {push: ...}`.
    pub fn triggers(&self) -> Vec<&'a Node> {
        let Some(on) = self.doc.get("on") else { return Vec::new() };
        if on.as_str().is_some() {
            return vec![on];
        }
        if !on.items().is_empty() {
            return on.items().iter().collect();
        }
        on.entries().iter().map(|(k, _)| k).collect()
    }

    pub fn has_trigger(&self, names: &[&str]) -> bool {
        self.triggers().iter().any(|t| t.as_str().is_some_and(|n| names.contains(&n)))
    }

    /// The configuration of trigger `name` (`on.push`), if it has one.
    pub fn trigger(&self, name: &str) -> Option<&'a Node> {
        self.doc.get("on")?.get(name)
    }

    /// `(name key, job)` for every job.
    pub fn jobs(&self) -> impl Iterator<Item = (&'a Node, &'a Node)> {
        self.doc.get("jobs").map(Node::entries).unwrap_or_default().iter().map(|(k, v)| (k, v))
    }

    pub fn steps(&self) -> Vec<Step<'a>> {
        let mut out = Vec::new();
        for (key, job) in self.jobs() {
            let name = key.as_str().unwrap_or("?");
            for (i, node) in job.get("steps").map(Node::items).unwrap_or_default().iter().enumerate() {
                let subject = step_subject(&format!("job {name}"), i, node);
                out.push(Step { file: self.file, workflow: Some(self.doc), node, subject });
            }
        }
        out
    }
}

fn step_subject(prefix: &str, index: usize, step: &Node) -> String {
    match step.get("name").and_then(Node::as_str) {
        Some(name) => format!("{prefix} step {} ({name})", index + 1),
        None => format!("{prefix} step {}", index + 1),
    }
}

/// Every step of every workflow job and of every composite action.
pub fn all_steps<'a>(cx: &Context<'a>) -> Vec<Step<'a>> {
    let mut out: Vec<Step<'a>> = workflows(cx).flat_map(|w| w.steps()).collect();
    for (file, doc) in cx.github_actions() {
        for (i, node) in doc.path(&["runs", "steps"]).map(Node::items).unwrap_or_default().iter().enumerate() {
            out.push(Step { file, workflow: None, node, subject: step_subject("action", i, node) });
        }
    }
    out
}

impl<'a> Step<'a> {
    /// The `uses:` key and its value.
    pub fn uses(&self) -> Option<(&'a Node, &'a str)> {
        let (key, value) = self.node.entry("uses")?;
        Some((key, value.as_str()?))
    }

    /// The action used, lower-cased, without its ref: `actions/checkout`.
    pub fn action(&self) -> Option<String> {
        self.uses().map(|(_, u)| u.split('@').next().unwrap_or(u).to_ascii_lowercase())
    }

    /// True when the step uses `action` (`actions/cache` also matches
    /// `actions/cache/restore`).
    pub fn uses_action(&self, action: &str) -> bool {
        self.action().is_some_and(|a| a == action || a.starts_with(&format!("{action}/")))
    }

    /// `with.<input>`.
    pub fn input(&self, name: &str) -> Option<(&'a Node, &'a Node)> {
        self.node.get("with")?.entry(name)
    }

    /// The `run:` script node.
    pub fn run(&self) -> Option<&'a Node> {
        self.node.get("run").filter(|n| n.as_str().is_some())
    }

    /// The workflow this step belongs to, if any.
    pub fn in_workflow(&self) -> Option<Workflow<'a>> {
        self.workflow.map(|doc| Workflow { file: self.file, doc })
    }
}

/// A `${{ ... }}` expression in a text: its byte offset and its inside.
pub fn expressions(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("${{").map(|i| from + i) {
        let inner_start = start + 3;
        let Some(end) = text[inner_start..].find("}}").map(|i| inner_start + i) else { break };
        out.push((start, text[inner_start..end].trim()));
        from = end + 2;
    }
    out
}

/// The context paths an expression reads (`github.event.issue.title`,
/// `inputs.name`), with `[0]` and `['x']` written as `.0` and `.x`. String
/// literals are not paths.
pub fn references(expression: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = expression.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let mut literal = String::new();
                while let Some(n) = chars.next() {
                    if n == '\'' && chars.next_if_eq(&'\'').is_none() {
                        break;
                    }
                    literal.push(n);
                }
                if current.ends_with('[') {
                    current.push_str(&literal);
                } else {
                    push_reference(&mut out, &mut current);
                }
            }
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*' | '[') => current.push(c),
            ']' => {}
            _ => push_reference(&mut out, &mut current),
        }
    }
    push_reference(&mut out, &mut current);
    out
}

fn push_reference(out: &mut Vec<String>, current: &mut String) {
    let word = std::mem::take(current).replace('[', ".").replace("..", ".");
    let word = word.trim_matches('.');
    if word.contains('.') && word.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.push(word.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_and_references() {
        let e = expressions("echo ${{ github.event.issue.title }} ${{ format('{0}', github.head_ref) }}");
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].1, "github.event.issue.title");
        assert_eq!(references(e[1].1), ["github.head_ref"]);
        assert_eq!(references("github.event.commits[0].message"), ["github.event.commits.0.message"]);
        assert_eq!(references("github.event['pull_request'].title"), ["github.event.pull_request.title"]);
        assert_eq!(references("toJSON(github.event)"), ["github.event"]);
        assert!(references("'a.b' == 'c'").is_empty());
        assert!(expressions("${{ unterminated").is_empty());
    }
}
