//! The threats a model deployment faces, each tied to the seed's threat table, a
//! STRIDE class, the asset it hits, and the audit rules whose findings prove that
//! its mitigation is missing. Rules are matched by their metadata (seed threat,
//! layer), not by id, so a new rule counts as evidence without editing this list.

use serde::Serialize;

use super::score::{Impact, Likelihood};
use crate::rule::{Layer, Rule, Stride, Threat};

/// What an attacker wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Asset {
    Model,
    Inputs,
    Outputs,
    Api,
    Credentials,
    Pipelines,
    Images,
    Hosts,
}

impl Asset {
    pub fn as_str(self) -> &'static str {
        match self {
            Asset::Model => "the model (weights and behaviour)",
            Asset::Inputs => "inference inputs (user data)",
            Asset::Outputs => "predictions",
            Asset::Api => "the inference API",
            Asset::Credentials => "credentials (API keys, TLS and signing keys, cloud secrets)",
            Asset::Pipelines => "CI/CD pipelines",
            Asset::Images => "container images",
            Asset::Hosts => "nodes and hosts",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Asset::Model => "model",
            Asset::Inputs => "inputs",
            Asset::Outputs => "outputs",
            Asset::Api => "api",
            Asset::Credentials => "credentials",
            Asset::Pipelines => "pipelines",
            Asset::Images => "images",
            Asset::Hosts => "hosts",
        }
    }
}

pub struct Spec {
    pub id: &'static str,
    pub title: &'static str,
    pub stride: Stride,
    pub threat: Threat,
    pub asset: Asset,
    /// Layers whose rules can prove the mitigation present or missing.
    pub layers: &'static [Layer],
    pub impact: Impact,
    /// Before any evidence.
    pub likelihood: Likelihood,
    /// More likely when the API is reachable from outside the cluster or host.
    pub exposed: bool,
    pub mitigation: &'static str,
    /// Which rules' findings are evidence against the mitigation.
    pub evidence: fn(&Rule) -> bool,
}

fn seed(rule: &Rule, threat: Threat) -> bool {
    rule.threat == threat
}

pub static CATALOG: &[Spec] = &[
    Spec {
        id: "TM-EXTRACT",
        title: "Model extraction through many API calls",
        stride: Stride::InformationDisclosure,
        threat: Threat::ModelTheft,
        asset: Asset::Model,
        layers: &[Layer::Server, Layer::Kubernetes, Layer::Container, Layer::Host],
        impact: Impact::High,
        likelihood: Likelihood::Likely,
        exposed: true,
        mitigation: "authentication, per-identity rate limits and row budgets, extraction detection, output hardening",
        evidence: |r| seed(r, Threat::ModelTheft),
    },
    Spec {
        id: "TM-UNAUTH",
        title: "Unauthenticated or spoofed callers reach the inference API",
        stride: Stride::Spoofing,
        threat: Threat::UnsecuredApi,
        asset: Asset::Api,
        layers: &[Layer::Server, Layer::Kubernetes, Layer::Container, Layer::Host],
        impact: Impact::High,
        likelihood: Likelihood::Likely,
        exposed: true,
        mitigation: "TLS by default, API keys or JWT or mTLS, deny by default, network policy and firewall in front",
        evidence: |r| seed(r, Threat::UnsecuredApi),
    },
    Spec {
        id: "TM-FLOOD",
        title: "Request floods exhaust the model server",
        stride: Stride::DenialOfService,
        threat: Threat::UnsecuredApi,
        asset: Asset::Api,
        layers: &[Layer::Server, Layer::Kubernetes],
        impact: Impact::Medium,
        likelihood: Likelihood::Likely,
        exposed: true,
        mitigation: "rate limits, concurrency caps, resource limits on the pod",
        evidence: |r| r.stride == Stride::DenialOfService,
    },
    Spec {
        id: "TM-LEAK",
        title: "Inference payloads or personal data leak through logs, traces or the network",
        stride: Stride::InformationDisclosure,
        threat: Threat::DataLeakage,
        asset: Asset::Inputs,
        layers: &[Layer::Server, Layer::Kubernetes, Layer::Container, Layer::Host],
        impact: Impact::High,
        likelihood: Likelihood::Likely,
        exposed: false,
        mitigation: "payloads never logged, redaction, TLS everywhere, egress restricted",
        evidence: |r| seed(r, Threat::DataLeakage) && r.layer != Layer::Pipeline,
    },
    Spec {
        id: "TM-SECRETS",
        title: "Credentials stolen from images, environment variables or pipelines",
        stride: Stride::InformationDisclosure,
        threat: Threat::DataLeakage,
        asset: Asset::Credentials,
        layers: &[Layer::Kubernetes, Layer::Container, Layer::Pipeline],
        impact: Impact::VeryHigh,
        likelihood: Likelihood::Likely,
        exposed: false,
        mitigation: "secrets as mounted files, never in images or environment variables, masked and protected CI variables",
        evidence: |r| {
            let t = r.id.to_ascii_lowercase();
            ["secret", "credential", "password", "token", "key"].iter().any(|w| t.contains(w))
        },
    },
    Spec {
        id: "TM-TAMPER",
        title: "A model swapped or altered on disk serves attacker-chosen answers",
        stride: Stride::Tampering,
        threat: Threat::DependencyExploits,
        asset: Asset::Model,
        layers: &[Layer::Server, Layer::Kubernetes, Layer::Container, Layer::Host],
        impact: Impact::VeryHigh,
        likelihood: Likelihood::Likely,
        exposed: false,
        mitigation: "signed models required, read-only model volumes, the scanner before every load",
        evidence: |r| seed(r, Threat::DependencyExploits) && r.layer != Layer::Pipeline,
    },
    Spec {
        id: "TM-SUPPLY",
        title: "Vulnerable or substituted dependencies, base images and actions",
        stride: Stride::Tampering,
        threat: Threat::DependencyExploits,
        asset: Asset::Images,
        layers: &[Layer::Container, Layer::Pipeline, Layer::Kubernetes, Layer::Dependencies],
        impact: Impact::High,
        likelihood: Likelihood::Likely,
        exposed: false,
        mitigation: "images and actions pinned by digest, locked and checked dependencies, no curl | sh",
        evidence: |r| {
            seed(r, Threat::DependencyExploits)
                || ["pin", "digest", "latest", "unpinned", "curl"].iter().any(|w| r.id.contains(w))
        },
    },
    Spec {
        id: "TM-ESCAPE",
        title: "A compromised model server escapes its container to the node",
        stride: Stride::ElevationOfPrivilege,
        threat: Threat::ContainerEscape,
        asset: Asset::Hosts,
        layers: &[Layer::Kubernetes, Layer::Container, Layer::Host],
        impact: Impact::VeryHigh,
        likelihood: Likelihood::Likely,
        exposed: false,
        mitigation: "non-root, read-only root file system, no privilege escalation, capabilities dropped, seccomp, a sandboxed server",
        evidence: |r| seed(r, Threat::ContainerEscape),
    },
    Spec {
        id: "TM-PIPELINE",
        title: "A malicious merge request or injected input runs code in CI with its secrets",
        stride: Stride::Tampering,
        threat: Threat::CicdInjection,
        asset: Asset::Pipelines,
        layers: &[Layer::Pipeline],
        impact: Impact::VeryHigh,
        likelihood: Likelihood::Likely,
        exposed: false,
        mitigation: "no dangerous triggers, no template injection, least-privilege tokens, pinned actions and includes",
        evidence: |r| seed(r, Threat::CicdInjection),
    },
    Spec {
        id: "TM-HOST",
        title: "The host is taken over through SSH, kernel weaknesses or open ports",
        stride: Stride::ElevationOfPrivilege,
        threat: Threat::ContainerEscape,
        asset: Asset::Hosts,
        layers: &[Layer::Host],
        impact: Impact::VeryHigh,
        likelihood: Likelihood::Unlikely,
        exposed: true,
        mitigation: "default-deny firewall, key-only SSH without root, kernel hardening (sysctl), a sandboxed service",
        evidence: |r| r.layer == Layer::Host,
    },
    Spec {
        id: "TM-REPUDIATE",
        title: "Who called the model, and what it answered, cannot be shown afterwards",
        stride: Stride::Repudiation,
        threat: Threat::ModelTheft,
        asset: Asset::Outputs,
        layers: &[Layer::Server],
        impact: Impact::Medium,
        likelihood: Likelihood::Unlikely,
        exposed: false,
        mitigation: "a tamper-evident audit log that fails closed",
        evidence: |r| r.stride == Stride::Repudiation,
    },
];
