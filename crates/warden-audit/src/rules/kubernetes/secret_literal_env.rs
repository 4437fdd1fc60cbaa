//! Credentials written into the manifest as environment values.

use super::util::containers;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-secret-literal-env",
    title: "Credential written into the manifest as an environment value",
    severity: Severity::High,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Kubernetes,
    why: "A credential in `env[].value` is in the repository, its history, every clone and CI log, and readable by anyone who can get the Deployment. Recognised by the value (AWS, GitHub, GitLab, Slack, Hugging Face, OpenAI-style and Warden keys, private keys, passwords in URLs) or by a variable named like a credential (PASSWORD, SECRET, TOKEN, API_KEY...) holding a literal. Names ending in _FILE, _PATH, _URL, _NAME... hold no credential and are skipped. The value is never printed.",
    fix: "# a Secret created outside the repository, mounted as a file:\nvolumeMounts:\n  - {name: hf-token, mountPath: /var/run/secrets/hf, readOnly: true}\nvolumes:\n  - name: hf-token\n    secret: {secretName: hf-token}",
    equivalents: &["trivy secret scanning"],
};

/// Words that make a variable name a credential's.
const SECRET_WORDS: &[&str] =
    &["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY", "CREDENTIAL", "CREDENTIALS", "PRIVATEKEY"];
/// Words that, before KEY, make it a credential (API_KEY, ACCESS_KEY...).
const KEY_QUALIFIERS: &[&str] =
    &["API", "ACCESS", "PRIVATE", "SECRET", "AUTH", "SIGNING", "ENCRYPTION", "MASTER", "CLIENT", "HMAC"];
/// Last words of names that hold something about a credential, not one.
const NOT_SECRET_SUFFIXES: &[&str] = &[
    "FILE",
    "PATH",
    "DIR",
    "URL",
    "URI",
    "NAME",
    "ENDPOINT",
    "HEADER",
    "TTL",
    "LIFETIME",
    "EXPIRY",
    "EXPIRES",
    "LENGTH",
    "SIZE",
    "ENABLED",
    "TYPE",
    "ID",
    "ISSUER",
    "AUDIENCE",
    "REF",
    "MODE",
    "LIMIT",
    "FORMAT",
    "ALGORITHM",
    "HOST",
    "PORT",
    "VERSION",
    "REGION",
    "COUNT",
    "MAX",
    "MIN",
];

/// What kind of credential `value` is, by its shape.
fn credential_shape(value: &str) -> Option<&'static str> {
    let v = value.trim();
    let tail_len = |prefix: &str| {
        v.strip_prefix(prefix).map_or(0, |rest| {
            rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-').count()
        })
    };
    if (v.starts_with("AKIA") || v.starts_with("ASIA"))
        && v.len() == 20
        && v.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Some("an AWS access key");
    }
    if ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"].iter().any(|p| tail_len(p) >= 30) || tail_len("github_pat_") >= 30 {
        return Some("a GitHub token");
    }
    if tail_len("glpat-") >= 20 {
        return Some("a GitLab token");
    }
    if ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"].iter().any(|p| tail_len(p) >= 10) {
        return Some("a Slack token");
    }
    if tail_len("hf_") >= 30 {
        return Some("a Hugging Face token");
    }
    if tail_len("sk-") >= 20 || tail_len("sk_live_") >= 20 {
        return Some("an API secret key (sk-...)");
    }
    if tail_len("AIza") >= 35 {
        return Some("a Google API key");
    }
    if v.strip_prefix("wdn_")
        .and_then(|r| r.split_once('_'))
        .is_some_and(|(id, secret)| !id.is_empty() && secret.len() >= 16)
    {
        return Some("a Warden API key");
    }
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if url_password(v) {
        return Some("a password inside a URL");
    }
    None
}

/// `scheme://user:password@host` with a literal password.
fn url_password(v: &str) -> bool {
    let Some((_, rest)) = v.split_once("://") else { return false };
    let authority = rest.split('/').next().unwrap_or_default();
    let Some((userinfo, _)) = authority.rsplit_once('@') else { return false };
    userinfo.split_once(':').is_some_and(|(_, password)| !password.is_empty() && !password.starts_with("$("))
}

/// True when the variable's name says it holds a credential.
fn credential_name(name: &str) -> bool {
    let words: Vec<String> =
        name.split(['_', '-', '.']).map(|w| w.to_ascii_uppercase()).filter(|w| !w.is_empty()).collect();
    let Some(last) = words.last() else { return false };
    if NOT_SECRET_SUFFIXES.contains(&last.as_str()) {
        return false;
    }
    words.iter().enumerate().any(|(i, w)| {
        SECRET_WORDS.contains(&w.as_str()) || (w == "KEY" && i > 0 && KEY_QUALIFIERS.contains(&words[i - 1].as_str()))
    })
}

/// A value that is plainly not a credential: empty, a reference to another
/// variable, a path, a number or a boolean.
fn harmless(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || (v.starts_with("$(") && v.ends_with(')'))
        || v.starts_with('/')
        || v.parse::<f64>().is_ok()
        || matches!(v.to_ascii_lowercase().as_str(), "true" | "false" | "yes" | "no" | "on" | "off")
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        for item in c.node.get("env").map(Node::items).unwrap_or_default() {
            let name = item.get("name").and_then(Node::as_str).unwrap_or("?");
            let Some((key, value)) = item.entry("value") else { continue };
            let Some(value) = value.as_str() else { continue };
            let what = match credential_shape(value) {
                Some(shape) => shape,
                None if credential_name(name) && !harmless(value) => "a literal credential",
                None => continue,
            };
            out.add(
                &RULE,
                &c.pod.file.path,
                key.pos,
                c.subject(),
                format!("env {name} holds {what} written into the manifest"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_by_shape_and_by_name() {
        assert_eq!(credential_shape("AKIAIOSFODNN7EXAMPLE"), Some("an AWS access key"));
        assert_eq!(credential_shape(&format!("hf_{}", "a".repeat(34))), Some("a Hugging Face token"));
        assert_eq!(credential_shape("postgres://app:hunter2@db:5432/x"), Some("a password inside a URL"));
        assert_eq!(credential_shape("postgres://app@db:5432/x"), None);
        assert_eq!(credential_shape("https://example.com/a:b@c"), None);
        assert!(credential_name("HF_TOKEN") && credential_name("OPENAI_API_KEY") && credential_name("DB_PASSWORD"));
        assert!(
            !credential_name("MAX_TOKENS") && !credential_name("TOKEN_FILE") && !credential_name("AWS_ACCESS_KEY_ID")
        );
        assert!(!credential_name("KEYCLOAK_REALM") && !credential_name("SECRET_NAME"));
        assert!(
            harmless("$(POD_IP)") && harmless("/var/run/secrets/token") && harmless("3600") && !harmless("changeme")
        );
    }
}
