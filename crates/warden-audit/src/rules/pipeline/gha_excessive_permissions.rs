//! The workflow token gets more than the jobs need: no `permissions:` at all (the
//! repository default, write-all on older repositories and many organisations; a
//! reusable workflow without one runs with whatever its caller has),
//! `write-all`, write scopes granted to every job at the workflow level, or a
//! job's write scope that nothing in the job uses.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

use super::github::{Workflow, workflows};

pub static RULE: Rule = Rule {
    id: "gha-excessive-permissions",
    title: "Workflow token has more permissions than needed",
    severity: Severity::Medium,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "GITHUB_TOKEN is what a compromised step or action gets: with write scopes it can push code, publish packages, mint OIDC tokens for the cloud or rewrite releases; read-only by default limits the damage.",
    fix: "permissions: {}          # workflow level: nothing\njobs:\n  publish:\n    permissions:\n      contents: read\n      packages: write     # only where it is used\n      id-token: write",
    equivalents: &["zizmor excessive-permissions", "CKV2_GHA_1", "Scorecard Token-Permissions"],
};

/// Evidence in a job that it uses a write scope: actions and commands.
const EVIDENCE: &[(&str, &[&str])] = &[
    (
        "contents",
        &[
            "git push",
            "gh release",
            "softprops/action-gh-release",
            "git tag",
            "peter-evans/create-pull-request",
            "stefanzweifel/git-auto-commit-action",
            "ncipollo/release-action",
        ],
    ),
    (
        "packages",
        &["docker push", "docker/build-push-action", "docker/login-action", "ghcr.io", "npm publish", "oras push"],
    ),
    (
        "id-token",
        &[
            "cosign",
            "sigstore",
            "model_signing",
            "aws-actions/configure-aws-credentials",
            "google-github-actions/auth",
            "azure/login",
            "actions/attest",
            "pypa/gh-action-pypi-publish",
            "hashicorp/vault-action",
            "slsa-framework/",
        ],
    ),
    ("attestations", &["actions/attest"]),
    (
        "pull-requests",
        &[
            "gh pr",
            "peter-evans/create-pull-request",
            "marocchino/sticky-pull-request-comment",
            "peter-evans/create-or-update-comment",
        ],
    ),
    ("issues", &["gh issue", "peter-evans/create-or-update-comment"]),
    ("security-events", &["github/codeql-action", "upload-sarif"]),
    ("pages", &["actions/deploy-pages"]),
    ("checks", &["check-run", "test-reporter", "action-junit-report", "publish-unit-test-result"]),
    ("deployments", &["deployment"]),
    ("statuses", &["statuses/", "commit-status"]),
];

/// Steps that can use any scope: whether one is needed cannot be told.
const ANY_SCOPE: &[&str] = &["actions/github-script", "gh api"];

/// How a step hands the token to an action.
const TOKEN: &[&str] = &["github.token", "secrets.GITHUB_TOKEN"];

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for workflow in workflows(cx) {
        let top = workflow.doc.entry("permissions");
        match top {
            Some((key, value)) => broad(&workflow, key, value, "workflow", true, out),
            None if workflow.jobs().any(|(_, j)| j.get("permissions").is_none()) => {
                let pos = workflow.doc.entries().first().map_or(workflow.doc.pos, |(k, _)| k.pos);
                let message =
                    "no permissions: block: jobs get the repository's default token, write-all on many repositories";
                out.add(&RULE, &workflow.file.path, pos, "workflow", message);
            }
            None => {}
        }
        for (name, job) in workflow.jobs() {
            let Some((key, value)) = job.entry("permissions") else { continue };
            let subject = format!("job {}", name.as_str().unwrap_or("?"));
            broad(&workflow, key, value, &subject, false, out);
            unused_writes(&workflow, job, value, &subject, out);
        }
    }
}

/// `write-all`, and write scopes given to every job at the workflow level.
fn broad(workflow: &Workflow<'_>, key: &Node, value: &Node, subject: &str, top: bool, out: &mut Findings) {
    if value.as_str() == Some("write-all") {
        out.add(
            &RULE,
            &workflow.file.path,
            key.pos,
            subject,
            "permissions: write-all gives the token every write scope",
        );
        return;
    }
    if !top {
        return;
    }
    for (scope, level) in value.entries() {
        if level.as_str() == Some("write") {
            let name = scope.as_str().unwrap_or("?");
            let message =
                format!("{name}: write at the workflow level applies to every job; grant it to the job that needs it");
            out.add(&RULE, &workflow.file.path, scope.pos, subject, message);
        }
    }
}

/// Job write scopes with no sign of use in the job's steps.
fn unused_writes(workflow: &Workflow<'_>, job: &Node, value: &Node, subject: &str, out: &mut Findings) {
    let text = job_text(job);
    if ANY_SCOPE.iter().any(|a| text.contains(a)) || job.get("uses").is_some() || token_to_action(job) {
        return;
    }
    for (scope, level) in value.entries() {
        let Some(name) = scope.as_str().filter(|_| level.as_str() == Some("write")) else { continue };
        let used =
            EVIDENCE.iter().find(|(s, _)| *s == name).is_none_or(|(_, signs)| signs.iter().any(|s| text.contains(s)));
        if !used {
            let message = format!("{name}: write is granted but no step of the job uses it");
            out.add(&RULE, &workflow.file.path, scope.pos, subject, message);
        }
    }
}

/// True when a step gives the token to an action (other than a registry login,
/// which is evidence for `packages`): what the action does with it is not known.
fn token_to_action(job: &Node) -> bool {
    job.get("steps").map(Node::items).unwrap_or_default().iter().any(|step| {
        let action = step.get("uses").and_then(Node::as_str).unwrap_or("");
        let mut with = String::new();
        if let Some(w) = step.get("with") {
            collect(w, &mut with, 0);
        }
        !action.is_empty() && !action.starts_with("docker/login-action") && TOKEN.iter().any(|t| with.contains(t))
    })
}

/// Every `uses:`, `run:` and `with:` value of a job's steps, joined.
fn job_text(job: &Node) -> String {
    let mut text = String::new();
    for step in job.get("steps").map(Node::items).unwrap_or_default() {
        for (_, value) in step.entries() {
            collect(value, &mut text, 0);
        }
    }
    text
}

fn collect(node: &Node, text: &mut String, depth: usize) {
    if let Some(s) = node.as_str() {
        text.push_str(s);
        text.push('\n');
    } else if depth < 4 {
        for item in node.items() {
            collect(item, text, depth + 1);
        }
        for (_, v) in node.entries() {
            collect(v, text, depth + 1);
        }
    }
}
