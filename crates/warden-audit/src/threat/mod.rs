//! `warden threat-model`: the audit's inputs and findings turned into a STRIDE
//! threat model. Assets come from what the inputs show (a pipeline exists only if a
//! CI file does); trust boundaries from how the deployment is exposed; each threat
//! of the catalog gets an impact, a likelihood raised by exposure and by each
//! missing mitigation and lowered by each one found in place, and a severity by
//! Threagile's impact × likelihood scheme. Every mitigation state names the
//! findings that prove it.

mod catalog;
pub mod html;
pub mod markdown;
pub mod score;

use serde::Serialize;

pub use catalog::{Asset, CATALOG, Spec};
use score::{Impact, Likelihood, RiskSeverity};

use crate::input::{File, Input};
use crate::rule::{Layer, Severity};
use crate::{Audit, Finding};

#[derive(Debug, Serialize)]
pub struct ThreatModel {
    pub assets: Vec<AssetEntry>,
    pub boundaries: Vec<Boundary>,
    /// Ways in from outside: public Services, Ingresses, non-loopback listeners.
    pub exposure: Vec<String>,
    pub threats: Vec<Risk>,
    pub layers: Vec<LayerRow>,
    pub inputs: usize,
    pub findings: usize,
}

#[derive(Debug, Serialize)]
pub struct AssetEntry {
    pub asset: Asset,
    pub name: &'static str,
    /// Why the model holds it.
    pub because: String,
}

#[derive(Debug, Serialize)]
pub struct Boundary {
    pub name: &'static str,
    pub outside: &'static str,
    pub inside: &'static str,
    /// What crosses it, as found in the inputs.
    pub crossings: Vec<String>,
    /// What guards it, or what is missing.
    pub guard: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The layer was audited and no rule found a gap.
    Present,
    /// Only medium or low findings: in place, with gaps.
    Partial,
    /// A high or critical finding.
    Missing,
    /// No input of this layer was given, or no rule of it checks this threat:
    /// nothing is known.
    Unknown,
}

#[derive(Debug, Serialize)]
pub struct Mitigation {
    pub layer: Layer,
    pub state: State,
    /// `file:line rule-id message` of each finding that proves a gap.
    pub evidence: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Risk {
    pub id: &'static str,
    pub title: &'static str,
    pub stride: crate::Stride,
    pub threat: crate::Threat,
    pub asset: Asset,
    pub impact: Impact,
    pub likelihood: Likelihood,
    pub severity: RiskSeverity,
    pub mitigation: &'static str,
    pub mitigations: Vec<Mitigation>,
    /// Why the likelihood is what it is.
    pub reasoning: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct LayerRow {
    pub layer: Layer,
    pub audited: bool,
    pub present: usize,
    pub partial: usize,
    pub missing: usize,
}

/// Builds the model from the audited files and the audit of them.
pub fn build(files: &[File], audit: &Audit) -> ThreatModel {
    let mut layers_seen = layers_of(files);
    // Inventories without advisory data list packages but judge none.
    if audit.advisories == 0 {
        layers_seen.retain(|l| *l != Layer::Dependencies);
    }
    let exposure = exposure(files);
    let assets = assets(files);
    let present: Vec<Asset> = assets.iter().map(|a| a.asset).collect();
    let threats: Vec<Risk> = CATALOG
        .iter()
        .filter(|spec| present.contains(&spec.asset))
        .map(|spec| risk(spec, &audit.findings, &layers_seen, &exposure))
        .collect();
    let mut threats = threats;
    threats.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)));
    let layers =
        [Layer::Kubernetes, Layer::Container, Layer::Pipeline, Layer::Host, Layer::Server, Layer::Dependencies]
            .into_iter()
            .map(|layer| {
                let states: Vec<State> =
                    threats.iter().flat_map(|t| &t.mitigations).filter(|m| m.layer == layer).map(|m| m.state).collect();
                let count = |s: State| states.iter().filter(|x| **x == s).count();
                LayerRow {
                    layer,
                    audited: layers_seen.contains(&layer),
                    present: count(State::Present),
                    partial: count(State::Partial),
                    missing: count(State::Missing),
                }
            })
            .collect();
    ThreatModel {
        boundaries: boundaries(files, &exposure),
        assets,
        exposure,
        threats,
        layers,
        inputs: files.len(),
        findings: audit.findings.len(),
    }
}

fn risk(spec: &Spec, findings: &[Finding], seen: &[Layer], exposure: &[String]) -> Risk {
    let mut step = spec.likelihood as i32;
    let mut reasoning = vec![format!("starts {} for this kind of threat", spec.likelihood.as_str())];
    if spec.exposed && !exposure.is_empty() {
        step += 1;
        reasoning.push(format!("raised: reachable from outside ({})", exposure.join(", ")));
    }
    let mut mitigations = Vec::new();
    for &layer in spec.layers {
        let evidence: Vec<&Finding> =
            findings.iter().filter(|f| f.rule.layer == layer && (spec.evidence)(f.rule)).collect();
        // A layer says nothing about a threat when no rule of it checks that threat.
        let checked = crate::rules::all().any(|c| c.rule.layer == layer && (spec.evidence)(c.rule));
        let state = if !seen.contains(&layer) || !checked {
            State::Unknown
        } else if evidence.iter().any(|f| f.severity >= Severity::High) {
            State::Missing
        } else if !evidence.is_empty() {
            State::Partial
        } else {
            State::Present
        };
        match state {
            State::Missing => {
                step += 1;
                reasoning.push(format!("raised: {} findings in the {} layer", evidence.len(), layer.as_str()));
            }
            State::Present => {
                step -= 1;
                reasoning.push(format!("lowered: the {} layer was audited and shows no gap", layer.as_str()));
            }
            State::Partial | State::Unknown => {}
        }
        mitigations.push(Mitigation {
            layer,
            state,
            evidence: evidence
                .iter()
                .map(|f| format!("{}:{} {} {} ({})", f.file, f.line, f.rule.id, f.message, f.subject))
                .collect(),
        });
    }
    let likelihood = Likelihood::from_step(step);
    Risk {
        id: spec.id,
        title: spec.title,
        stride: spec.stride,
        threat: spec.threat,
        asset: spec.asset,
        impact: spec.impact,
        likelihood,
        severity: RiskSeverity::of(likelihood, spec.impact),
        mitigation: spec.mitigation,
        mitigations,
        reasoning,
    }
}

/// The layers the inputs cover.
fn layers_of(files: &[File]) -> Vec<Layer> {
    let mut layers = Vec::new();
    for f in files {
        let layer = match f.input {
            Input::Kubernetes(_) => Layer::Kubernetes,
            Input::Dockerfile(_) => Layer::Container,
            Input::GithubWorkflow(_) | Input::GithubAction(_) | Input::GitlabCi(_) => Layer::Pipeline,
            Input::WardenConfig(_) => Layer::Server,
            Input::Sysctl(_) | Input::Sshd(_) | Input::Systemd(_) | Input::Firewall(_) => Layer::Host,
            Input::Inventory(_) => Layer::Dependencies,
        };
        if !layers.contains(&layer) {
            layers.push(layer);
        }
    }
    layers
}

fn assets(files: &[File]) -> Vec<AssetEntry> {
    let has = |f: fn(&Input) -> bool| files.iter().any(|x| f(&x.input));
    let mut out = vec![
        entry(Asset::Model, "every deployment serves a model"),
        entry(Asset::Inputs, "callers send data to the model"),
        entry(Asset::Outputs, "the model answers"),
        entry(Asset::Api, "the model is reached through its API"),
        entry(Asset::Credentials, "keys guard the API and the model's signatures"),
    ];
    if has(|i| matches!(i, Input::GithubWorkflow(_) | Input::GithubAction(_) | Input::GitlabCi(_))) {
        out.push(entry(Asset::Pipelines, "CI/CD files were given"));
    }
    if has(|i| matches!(i, Input::Dockerfile(_) | Input::Kubernetes(_) | Input::Inventory(_))) {
        out.push(entry(Asset::Images, "images are built or deployed, or their packages listed"));
    }
    if has(|i| !matches!(i, Input::GithubWorkflow(_) | Input::GithubAction(_) | Input::GitlabCi(_))) {
        out.push(entry(Asset::Hosts, "the model runs on nodes or hosts described here"));
    }
    out
}

fn entry(asset: Asset, because: &str) -> AssetEntry {
    AssetEntry { asset, name: asset.as_str(), because: because.to_string() }
}

/// Ways in from outside, named by what opens them.
fn exposure(files: &[File]) -> Vec<String> {
    let mut out = Vec::new();
    for f in files {
        match &f.input {
            Input::Kubernetes(objects) => {
                for o in objects {
                    let ty = o.doc.path(&["spec", "type"]).and_then(|n| n.as_str()).unwrap_or("");
                    if o.kind == "Service" && matches!(ty, "LoadBalancer" | "NodePort") {
                        out.push(format!("{} ({ty})", o.id()));
                    }
                    if o.kind == "Ingress" || o.kind == "Gateway" || o.kind == "HTTPRoute" {
                        out.push(o.id());
                    }
                }
            }
            Input::WardenConfig(t) => {
                let listen = crate::warden_config::get(t, "listen").and_then(|v| v.as_str()).unwrap_or("127.0.0.1");
                if !listen.starts_with("127.") && !listen.starts_with("[::1]") && !listen.starts_with("localhost") {
                    out.push(format!("{} listens on {listen}", f.path));
                }
            }
            _ => {}
        }
    }
    out
}

fn boundaries(files: &[File], exposure: &[String]) -> Vec<Boundary> {
    let objects: Vec<&crate::kubernetes::Object> = files
        .iter()
        .flat_map(|f| match &f.input {
            Input::Kubernetes(o) => o.iter().collect(),
            _ => Vec::new(),
        })
        .collect();
    let policies: Vec<String> = objects.iter().filter(|o| o.kind == "NetworkPolicy").map(|o| o.id()).collect();
    let workloads: Vec<String> = objects.iter().filter(|o| o.pod_spec().is_some()).map(|o| o.id()).collect();
    let mut out = vec![Boundary {
        name: "internet to deployment",
        outside: "internet",
        inside: if objects.is_empty() { "host" } else { "cluster" },
        crossings: exposure.to_vec(),
        guard: if exposure.is_empty() {
            "nothing found that exposes the deployment".into()
        } else {
            "TLS and authentication of the model server; a firewall or load balancer in front".into()
        },
    }];
    if !objects.is_empty() {
        out.push(Boundary {
            name: "cluster to namespace",
            outside: "cluster",
            inside: "namespace",
            crossings: workloads.clone(),
            guard: if policies.is_empty() {
                "no NetworkPolicy: every pod in the cluster can reach the model".into()
            } else {
                format!("NetworkPolicy: {}", policies.join(", "))
            },
        });
        out.push(Boundary {
            name: "pod to node",
            outside: "pod",
            inside: "node",
            crossings: workloads,
            guard: "pod securityContext (non-root, no privilege escalation, capabilities dropped, seccomp)".into(),
        });
    }
    if files.iter().any(|f| matches!(f.input, Input::GithubWorkflow(_) | Input::GitlabCi(_) | Input::GithubAction(_))) {
        out.push(Boundary {
            name: "contributors to CI",
            outside: "merge requests and forks",
            inside: "pipeline with secrets",
            crossings: files
                .iter()
                .filter(|f| matches!(f.input, Input::GithubWorkflow(_) | Input::GitlabCi(_)))
                .map(|f| f.path.clone())
                .collect(),
            guard: "triggers, token permissions and pinned dependencies of each pipeline".into(),
        });
    }
    out
}
