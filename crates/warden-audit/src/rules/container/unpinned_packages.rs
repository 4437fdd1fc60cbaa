//! Packages installed without a version: `apt-get install curl`, `apk add git`,
//! `pip install torch`. Each build may get a different version, and a malicious
//! release reaches the image the day it is published.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::builds;
use super::shell::Word;

pub static RULE: Rule = Rule {
    id: "docker-unpinned-packages",
    title: "Packages installed without pinned versions",
    severity: Severity::Low,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Container,
    why: "An unpinned package is whatever the index serves at build time: builds drift, and a compromised release (typosquats and hijacked PyPI packages are common in ML stacks) enters the image unreviewed.",
    fix: "RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8\nRUN pip install --no-cache-dir --require-hashes -r requirements.lock",
    equivalents: &["DL3008", "DL3013", "DL3018"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        for (stage, step) in build.all_steps().filter(|(_, s)| s.keyword() == "RUN") {
            for cmd in step.commands() {
                let Some((program, args)) = cmd.program() else { continue };
                let Some((manager, loose)) = unpinned(&program, args) else { continue };
                if !loose.is_empty() {
                    let message = format!("{manager}: {} not pinned to a version", loose.join(", "));
                    out.add(&RULE, &file.path, step.pos(), stage.name(), message);
                }
            }
        }
    }
}

/// The package manager's command and the packages it installs unpinned.
fn unpinned(program: &str, args: &[Word]) -> Option<(String, Vec<String>)> {
    match program {
        "apt-get" | "apt" | "aptitude" => {
            let loose =
                packages(args, "install", &["-o", "-t", "-c", "--target-release", "--option", "--config-file"])?
                    .filter(|p| !p.contains('=') && !p.ends_with(".deb"))
                    .collect();
            Some((format!("{program} install"), loose))
        }
        "apk" => {
            let with_value =
                &["-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch", "--keys-dir", "--cache-dir"];
            let loose = packages(args, "add", with_value)?
                .filter(|p| !p.contains(['=', '~']) && !p.ends_with(".apk"))
                .collect();
            Some(("apk add".into(), loose))
        }
        "pip" => {
            if args.iter().any(|w| w.text == "--require-hashes") {
                return None;
            }
            let loose = packages(args, "install", PIP_WITH_VALUE)?.filter(|p| !pip_pinned(p)).collect();
            Some(("pip install".into(), loose))
        }
        _ => None,
    }
}

/// pip options that take a value as the next word.
const PIP_WITH_VALUE: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--trusted-host",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--only-binary",
    "--no-binary",
    "--progress-bar",
    "--cache-dir",
    "--src",
    "--upgrade-strategy",
    "--global-option",
    "--config-settings",
    "-C",
    "--report",
    "--log",
    "--python",
    "-p",
    "--index-strategy",
    "--index",
];

/// `name==1.2.3` (or `===`), a local path, a wheel or sdist file, or a URL.
fn pip_pinned(package: &str) -> bool {
    package.contains("==")
        || package.starts_with(['.', '/', '~'])
        || package.contains("://")
        || [".whl", ".tar.gz", ".zip"].iter().any(|e| package.ends_with(e))
}

/// The package words after `verb` (`install`, `add`), options and their values
/// left out; `None` when the command is not `verb`. Words made of variables
/// (`$PACKAGES`) are left out: their values are not known here.
fn packages<'a>(args: &'a [Word], verb: &str, with_value: &'a [&str]) -> Option<impl Iterator<Item = String> + 'a> {
    let mut rest = args;
    // Options may come before the verb (`apt-get -y install`, `pip -q install`).
    loop {
        let first = rest.first()?;
        if first.text == verb {
            rest = &rest[1..];
            break;
        }
        if !first.text.starts_with('-') {
            return None;
        }
        let skip = if with_value.contains(&first.text.as_str()) { 2 } else { 1 };
        rest = rest.get(skip..).unwrap_or(&[]);
    }
    let mut skip_next = false;
    Some(rest.iter().filter_map(move |w| {
        if std::mem::take(&mut skip_next) {
            return None;
        }
        if w.text.starts_with('-') {
            skip_next = with_value.contains(&w.text.as_str());
            return None;
        }
        (!w.text.starts_with('$') && !w.text.is_empty()).then(|| w.text.clone())
    }))
}
