//! Package managers told to accept unsigned packages: `apt-get
//! --allow-unauthenticated`, `[trusted=yes]` sources, `apk --allow-untrusted`,
//! `dnf --nogpgcheck`, `rpm --nosignature`.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::builds;
use super::shell::Command;

pub static RULE: Rule = Rule {
    id: "docker-package-signature-disabled",
    title: "Package signature verification disabled",
    severity: Severity::High,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Container,
    why: "Distribution packages are signed so a mirror or a network attacker cannot substitute them; turning the check off installs whatever arrives, as root.",
    fix: "# import the repository's key instead\nRUN curl -fsSL https://repo.example.com/key.gpg | gpg --dearmor -o /usr/share/keyrings/example.gpg\n# deb [signed-by=/usr/share/keyrings/example.gpg] https://repo.example.com stable main",
    equivalents: &["CKV2_DOCKER_7", "CKV2_DOCKER_8", "CKV2_DOCKER_9", "CKV2_DOCKER_10"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        for (stage, step) in build.all_steps().filter(|(_, s)| s.keyword() == "RUN") {
            for what in step.commands().iter().filter_map(unsigned) {
                out.add(
                    &RULE,
                    &file.path,
                    step.pos(),
                    stage.name(),
                    format!("{what}: packages are installed without checking signatures"),
                );
            }
        }
    }
}

/// What in this command accepts unsigned packages, if anything.
fn unsigned(cmd: &Command) -> Option<String> {
    if cmd.words.iter().any(|w| w.text.contains("[trusted=yes]") || w.text.contains(" trusted=yes")) {
        return Some("an APT source marked [trusted=yes]".into());
    }
    let (program, args) = cmd.program()?;
    let flags: &[&str] = match program.as_str() {
        "apt-get" | "apt" | "aptitude" => &["--allow-unauthenticated", "--force-yes", "--allow-insecure-repositories"],
        "apk" => &["--allow-untrusted"],
        "yum" | "dnf" | "microdnf" | "tdnf" | "zypper" => &["--nogpgcheck", "--no-gpg-checks"],
        "rpm" => &["--nosignature", "--nodigest", "--noverify", "--nofiledigest"],
        _ => &[],
    };
    let found = args.iter().find(|w| {
        flags.contains(&w.text.as_str()) || {
            let t = w.text.to_ascii_lowercase();
            t.contains("allowunauthenticated=true")
                || t.contains("allowinsecurerepositories=true")
                || t == "--setopt=gpgcheck=0"
        }
    })?;
    Some(format!("{program} {}", found.text))
}
