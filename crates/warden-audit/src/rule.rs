//! What a rule is: its metadata, the same for every output (table, JSON, SARIF,
//! `--explain`) and for the threat model, which reads the STRIDE class, the seed
//! threat and the layer from here.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(word: &str) -> Option<Severity> {
        match word.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// GitHub code scanning's `security-severity` (>= 9 critical, 7-8.9 high,
    /// 4-6.9 medium, below 4 low).
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

/// STRIDE classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stride {
    Spoofing,
    Tampering,
    Repudiation,
    InformationDisclosure,
    DenialOfService,
    ElevationOfPrivilege,
}

impl Stride {
    pub fn as_str(self) -> &'static str {
        match self {
            Stride::Spoofing => "spoofing",
            Stride::Tampering => "tampering",
            Stride::Repudiation => "repudiation",
            Stride::InformationDisclosure => "information_disclosure",
            Stride::DenialOfService => "denial_of_service",
            Stride::ElevationOfPrivilege => "elevation_of_privilege",
        }
    }
}

/// The seed's threats: the row of its table a rule answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Threat {
    ModelTheft,
    DataLeakage,
    ContainerEscape,
    DependencyExploits,
    CicdInjection,
    UnsecuredApi,
}

impl Threat {
    pub fn as_str(self) -> &'static str {
        match self {
            Threat::ModelTheft => "model_theft",
            Threat::DataLeakage => "data_leakage",
            Threat::ContainerEscape => "container_escape",
            Threat::DependencyExploits => "dependency_exploits",
            Threat::CicdInjection => "cicd_injection",
            Threat::UnsecuredApi => "unsecured_api",
        }
    }
}

/// The layer of the deployment a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Kubernetes,
    Container,
    Pipeline,
    Host,
    /// The model server itself: a Warden config, flags or environment.
    Server,
    /// The packages a deployment ships: lockfiles, installed-package databases.
    Dependencies,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Kubernetes => "kubernetes",
            Layer::Container => "container",
            Layer::Pipeline => "pipeline",
            Layer::Host => "host",
            Layer::Server => "server",
            Layer::Dependencies => "dependencies",
        }
    }
}

/// One rule's metadata. `id` is stable across releases (SARIF ruleIds and
/// baselines depend on it).
#[derive(Debug, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub stride: Stride,
    pub threat: Threat,
    pub layer: Layer,
    /// Why it matters, in a sentence or two.
    pub why: &'static str,
    /// How to fix it, with a snippet.
    pub fix: &'static str,
    /// The same check in the tools people already run (Checkov, kube-score, Trivy,
    /// hadolint, zizmor).
    pub equivalents: &'static [&'static str],
}
