//! An account password set in a `RUN` (`echo 'root:debug' | chpasswd`, `useradd
//! -p ...`): every container of the image has that account with that password,
//! and the Dockerfile (in git) tells everyone what it is.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::builds;
use super::shell::Command;

pub static RULE: Rule = Rule {
    id: "docker-password-set",
    title: "Account password set in the image",
    severity: Severity::High,
    stride: Stride::Spoofing,
    threat: Threat::ContainerEscape,
    layer: Layer::Container,
    why: "A password set at build time is the same in every container and readable in the Dockerfile and the image history: with sshd or su in the image it is a known way in, often to root.",
    fix: "# no passwords in images: lock accounts and log in with kubectl exec / docker exec\nRUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app",
    equivalents: &["CKV2_DOCKER_17"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        for (stage, step) in build.all_steps().filter(|(_, s)| s.keyword() == "RUN") {
            for what in step.commands().iter().filter_map(sets_password) {
                out.add(
                    &RULE,
                    &file.path,
                    step.pos(),
                    stage.name(),
                    format!("RUN {what} sets an account password in the image"),
                );
            }
        }
    }
}

/// `chpasswd`, or `useradd`/`usermod` with `-p`/`--password`.
fn sets_password(cmd: &Command) -> Option<String> {
    let (program, args) = cmd.program()?;
    match program.as_str() {
        "chpasswd" => Some(program),
        "useradd" | "usermod" | "adduser" => args
            .iter()
            .find(|w| w.text == "-p" || w.text == "--password" || w.text.starts_with("--password="))
            .map(|w| format!("{program} {}", w.text)),
        _ => None,
    }
}
