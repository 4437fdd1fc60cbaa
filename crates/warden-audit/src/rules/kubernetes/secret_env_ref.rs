//! Secrets handed to containers as environment variables.

use super::util::containers;
use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "k8s-secret-env-ref",
    title: "Secret passed as an environment variable (prefer a mounted file)",
    severity: Severity::Low,
    stride: Stride::InformationDisclosure,
    threat: Threat::DataLeakage,
    layer: Layer::Kubernetes,
    why: "Environment variables leak: child processes inherit them, crash reports and debug endpoints print them, /proc/<pid>/environ shows them, and they never change until the pod restarts. A Secret mounted as a read-only file does none of that and is updated in place on rotation; Warden reads its secrets from files (tls.key, auth.jwt.hmac_secret_file, metrics_token_file).",
    fix: "volumeMounts:\n  - {name: jwt-secret, mountPath: /etc/warden/jwt, readOnly: true}\nvolumes:\n  - name: jwt-secret\n    secret: {secretName: warden-jwt}\n# then --auth-jwt-hmac-secret-file /etc/warden/jwt/secret",
    equivalents: &["CKV_K8S_35"],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for c in containers(cx) {
        let file = &c.pod.file.path;
        for item in c.node.get("env").map(Node::items).unwrap_or_default() {
            let Some((key, reference)) = item.get("valueFrom").and_then(|v| v.entry("secretKeyRef")) else { continue };
            let name = item.get("name").and_then(Node::as_str).unwrap_or("?");
            let secret = reference.get("name").and_then(Node::as_str).unwrap_or("?");
            out.add(&RULE, file, key.pos, c.subject(), format!("env {name} comes from Secret {secret}"));
        }
        for item in c.node.get("envFrom").map(Node::items).unwrap_or_default() {
            let Some((key, reference)) = item.entry("secretRef") else { continue };
            let secret = reference.get("name").and_then(Node::as_str).unwrap_or("?");
            out.add(
                &RULE,
                file,
                key.pos,
                c.subject(),
                format!("envFrom loads every key of Secret {secret} as a variable"),
            );
        }
    }
}
