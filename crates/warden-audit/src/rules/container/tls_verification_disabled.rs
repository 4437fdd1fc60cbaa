//! Downloads with TLS verification turned off: `curl -k`, `wget
//! --no-check-certificate`, `pip --trusted-host`, `git -c http.sslVerify=false`,
//! `npm config set strict-ssl false`, and the variables that do the same
//! (`GIT_SSL_NO_VERIFY`, `PIP_TRUSTED_HOST`, `NODE_TLS_REJECT_UNAUTHORIZED=0`,
//! `PYTHONHTTPSVERIFY=0`, `NPM_CONFIG_STRICT_SSL=false`) in `ENV`, `ARG` or a `RUN`.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};

use super::image::{builds, key_values};
use super::shell::{Command, Word};

pub static RULE: Rule = Rule {
    id: "docker-tls-verification-disabled",
    title: "TLS certificate verification disabled",
    severity: Severity::High,
    stride: Stride::Tampering,
    threat: Threat::DependencyExploits,
    layer: Layer::Container,
    why: "Without certificate checks anyone on the network path can answer for the server: the packages, models and scripts the build fetches can be swapped in transit.",
    fix: "# trust the proxy's CA instead of turning verification off\nCOPY corp-ca.crt /usr/local/share/ca-certificates/\nRUN update-ca-certificates",
    equivalents: &[
        "CKV2_DOCKER_2",
        "CKV2_DOCKER_3",
        "CKV2_DOCKER_4",
        "CKV2_DOCKER_5",
        "CKV2_DOCKER_6",
        "CKV2_DOCKER_12",
        "CKV2_DOCKER_13",
        "CKV2_DOCKER_14",
        "CKV2_DOCKER_16",
    ],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (file, build) in builds(cx) {
        let steps = build.preamble.iter().map(|s| (None, s)).chain(build.all_steps().map(|(st, s)| (Some(st), s)));
        for (stage, step) in steps {
            let subject = stage.map_or_else(|| "global ARG".to_string(), |s| s.name());
            let found: Vec<String> = match step.keyword() {
                "ENV" | "ARG" => key_values(&step.ins.args)
                    .iter()
                    .filter(|(k, v)| insecure_variable(k, v))
                    .map(|(k, v)| format!("{} {k}={v}", step.keyword()))
                    .collect(),
                "RUN" => step.commands().iter().filter_map(insecure_command).collect(),
                _ => Vec::new(),
            };
            for what in found {
                out.add(&RULE, &file.path, step.pos(), subject.clone(), format!("{what} turns TLS verification off"));
            }
        }
    }
}

/// Variables that turn verification off for git, pip, Node, Python and npm.
fn insecure_variable(name: &str, value: &str) -> bool {
    let value = value.trim();
    match name.to_ascii_uppercase().as_str() {
        "GIT_SSL_NO_VERIFY" | "PIP_TRUSTED_HOST" => !value.is_empty(),
        "NODE_TLS_REJECT_UNAUTHORIZED" | "PYTHONHTTPSVERIFY" => value == "0",
        "NPM_CONFIG_STRICT_SSL" => value.eq_ignore_ascii_case("false"),
        _ => false,
    }
}

fn off(value: &str) -> bool {
    matches!(value.to_ascii_lowercase().as_str(), "false" | "0" | "no" | "off")
}

/// What in this command turns verification off, if anything.
fn insecure_command(cmd: &Command) -> Option<String> {
    let env = cmd.assignments().chain(exported(cmd)).find(|(k, v)| insecure_variable(k, v));
    if let Some((k, v)) = env {
        return Some(format!("{k}={v}"));
    }
    let (program, args) = cmd.program()?;
    let text: Vec<&str> = args.iter().map(|w: &Word| w.text.as_str()).collect();
    let find = |pred: &dyn Fn(&str) -> bool| text.iter().find(|a| pred(a)).map(|a| a.to_string());
    let flag = match program.as_str() {
        "curl" => find(&|a| a == "--insecure" || short_cluster_has(a, 'k')),
        "wget" => find(&|a| a == "--no-check-certificate" || a.starts_with("--check-certificate=")),
        "pip" => find(&|a| a.starts_with("--trusted-host") || a.starts_with("global.trusted-host")),
        "git" => git_ssl_off(&text),
        "npm" | "yarn" | "pnpm" => strict_ssl_off(&text),
        "apt-get" | "apt" => find(&|a| {
            let a = a.to_ascii_lowercase();
            (a.contains("acquire::https::verify-peer") || a.contains("acquire::https::verify-host"))
                && a.rsplit_once('=').is_some_and(|(_, v)| off(v.trim_matches('"')))
        }),
        _ => None,
    }?;
    Some(format!("{program} {flag}"))
}

/// `export NAME=value` assignments.
fn exported(cmd: &Command) -> impl Iterator<Item = (&str, &str)> {
    let export = cmd.words.first().is_some_and(|w| w.text == "export");
    cmd.words.iter().skip(1).filter(move |_| export).filter_map(Word::assignment)
}

/// `-k`, `-fsSLk`: a cluster of short options that holds `letter`.
fn short_cluster_has(arg: &str, letter: char) -> bool {
    arg.strip_prefix('-')
        .filter(|rest| !rest.starts_with('-') && rest.chars().all(|c| c.is_ascii_alphabetic()))
        .is_some_and(|rest| rest.contains(letter))
}

/// `git -c http.sslVerify=false ...` or `git config [--global] http.sslVerify false`.
fn git_ssl_off(args: &[&str]) -> Option<String> {
    let is_key = |k: &str| {
        let k = k.to_ascii_lowercase();
        k.starts_with("http.") && k.ends_with(".sslverify")
    };
    for (i, a) in args.iter().enumerate() {
        let setting = match a.strip_prefix("-c") {
            Some("") => args.get(i + 1).copied(),
            other => other,
        };
        if let Some(s) = setting
            && let Some((k, v)) = s.split_once('=')
            && is_key(k)
            && off(v)
        {
            return Some(format!("-c {s}"));
        }
    }
    let config = args.iter().position(|a| *a == "config")?;
    let rest: Vec<&str> = args[config + 1..].iter().copied().filter(|a| !a.starts_with("--")).collect();
    match rest.as_slice() {
        [k, v, ..] if is_key(k) && off(v) => Some(format!("config {k} {v}")),
        _ => None,
    }
}

/// `npm config set strict-ssl false`, `npm set strict-ssl=false`,
/// `npm install --strict-ssl=false`.
fn strict_ssl_off(args: &[&str]) -> Option<String> {
    for (i, a) in args.iter().enumerate() {
        let bare = a.trim_start_matches('-');
        if bare == "strict-ssl"
            && let Some(v) = args.get(i + 1).filter(|v| off(v))
        {
            return Some(format!("{a} {v}"));
        }
        if let Some(("strict-ssl", v)) = bare.split_once('=')
            && off(v)
        {
            return Some(a.to_string());
        }
    }
    None
}
