//! Loading one model version with every check in front of it: the signature (when
//! required), the scan, the parse, and a warm-up inference. A version that fails
//! any step is a `Rejection` naming the step, the rule and the file, never a model.

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use warden_scan::Severity;
use warden_scan::signing::{self, CertificateRoot, TrustPolicy, VerifyError, VerifyingKey};

use crate::config::ModelConfig;
use crate::model::Model;

/// The file a version directory holds the model in.
pub const MODEL_FILE: &str = "model.onnx";

/// A public key the server trusts to sign models, with the file it came from.
#[derive(Clone, Debug)]
pub struct TrustedKey {
    pub path: PathBuf,
    pub key: VerifyingKey,
}

impl TrustedKey {
    pub fn read(path: &Path) -> Result<TrustedKey, String> {
        let pem = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let key = VerifyingKey::from_pem(&pem).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(TrustedKey { path: path.to_path_buf(), key })
    }
}

/// Root certificates (PEM, one or more per file) trusted to anchor signing certificates.
pub fn read_roots(path: &Path) -> Result<Vec<CertificateRoot>, String> {
    let pem = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let roots = CertificateRoot::from_pem(&pem).map_err(|e| format!("{}: {e}", path.display()))?;
    if roots.is_empty() {
        return Err(format!("{}: holds no certificate", path.display()));
    }
    Ok(roots)
}

/// What every model version must pass before it is served.
#[derive(Clone, Debug)]
pub struct LoadPolicy {
    /// A scanner finding this severe or worse keeps the version out.
    pub scan_fail_on: Severity,
    /// Every version must carry a `model.sig` that verifies with a trusted key or
    /// a certificate that chains to a trusted root.
    pub require_signature: bool,
    pub trusted_keys: Vec<TrustedKey>,
    pub trusted_roots: Vec<CertificateRoot>,
    /// Files of a version other users can read or write keep it out. The server
    /// always sets it; the library's default leaves it to the caller.
    pub private_files: bool,
}

impl Default for LoadPolicy {
    fn default() -> Self {
        LoadPolicy {
            scan_fail_on: Severity::High,
            require_signature: false,
            trusted_keys: Vec::new(),
            trusted_roots: Vec::new(),
            private_files: false,
        }
    }
}

/// The step a version failed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `config.toml`, the directory layout, or the server's own checks of a model's settings.
    Config,
    /// Files other users can read or write: weights are as private as keys.
    Permissions,
    Signature,
    Scan,
    Load,
    WarmUp,
}

impl Step {
    /// A fixed label for metrics and audit records.
    pub fn label(self) -> &'static str {
        match self {
            Step::Config => "config",
            Step::Permissions => "permissions",
            Step::Signature => "signature",
            Step::Scan => "scan",
            Step::Load => "load",
            Step::WarmUp => "warm_up",
        }
    }
}

/// Why a model, or one of its versions, is not served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub model: String,
    pub version: Option<u64>,
    pub step: Step,
    /// The rule that failed: a scanner rule id, `unsigned`, `untrusted-key`,
    /// `bad-signature`, `changed-after-signing`, or the step's label.
    pub rule: String,
    pub file: Option<PathBuf>,
    pub message: String,
}

impl Rejection {
    pub fn new(model: &str, version: Option<u64>, step: Step, message: impl Into<String>) -> Rejection {
        Rejection { model: model.into(), version, step, rule: step.label().into(), file: None, message: message.into() }
    }

    fn rule(mut self, rule: &str) -> Rejection {
        self.rule = rule.into();
        self
    }

    pub fn with_file(mut self, file: &Path) -> Rejection {
        self.file = Some(file.to_path_buf());
        self
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "model {}", self.model)?;
        if let Some(v) = self.version {
            write!(f, " version {v}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Who may sign a model's versions, or `None` when this model needs no
/// signature. A model's `[signature]` may require one when the server does not,
/// and may narrow the keys and roots to some of the server's, but can neither
/// turn the server's requirement off nor bring a key or root of its own: the
/// model directory is what the signature protects, so it cannot vouch for itself.
pub fn signature_trust(
    name: &str,
    model_dir: &Path,
    config: &ModelConfig,
    policy: &LoadPolicy,
) -> Result<Option<TrustPolicy>, Rejection> {
    let refuse = |message: String| Rejection::new(name, None, Step::Config, message).rule("signature-config");
    let own = config.signature.clone().unwrap_or_default();
    if own.required == Some(false) && policy.require_signature {
        return Err(refuse(
            "[signature] required = false: the server requires signed models (models.require_signature) and a model cannot turn that off".into(),
        ));
    }
    if !policy.require_signature && own.required != Some(true) {
        return Ok(None);
    }
    let server_keys: Vec<VerifyingKey> = policy.trusted_keys.iter().map(|k| k.key.clone()).collect();
    let narrowed = own.trusted_keys.is_some() || own.trusted_roots.is_some();
    let keys = match &own.trusted_keys {
        None if narrowed => Vec::new(),
        None => server_keys.clone(),
        Some(paths) => {
            let mut keys = Vec::with_capacity(paths.len());
            for path in paths {
                let path = model_dir.join(path);
                let key = TrustedKey::read(&path).map_err(|e| refuse(format!("[signature] trusted_keys: {e}")))?.key;
                if policy.require_signature && !server_keys.contains(&key) {
                    return Err(refuse(format!(
                        "[signature] trusted_keys: {} is not one of the server's models.trusted_keys; a model may only narrow them",
                        path.display()
                    )));
                }
                keys.push(key);
            }
            keys
        }
    };
    let roots = match &own.trusted_roots {
        None if narrowed => Vec::new(),
        None => policy.trusted_roots.clone(),
        Some(paths) => {
            let mut roots = Vec::new();
            for path in paths {
                let path = model_dir.join(path);
                for root in read_roots(&path).map_err(|e| refuse(format!("[signature] trusted_roots: {e}")))? {
                    if policy.require_signature && !policy.trusted_roots.iter().any(|r| r.der() == root.der()) {
                        return Err(refuse(format!(
                            "[signature] trusted_roots: {} is not one of the server's models.trusted_roots; a model may only narrow them",
                            path.display()
                        )));
                    }
                    roots.push(root);
                }
            }
            roots
        }
    };
    let trust = TrustPolicy { keys, roots };
    if trust.is_empty() {
        return Err(refuse(
            "a signature is required but no trusted key or root is configured (models.trusted_keys, models.trusted_roots)".into(),
        ));
    }
    Ok(Some(trust))
}

/// Loads version `version` of model `name` from `version_dir`, checking it first.
pub fn load_version(
    name: &str,
    version: u64,
    version_dir: &Path,
    config: &ModelConfig,
    trust: Option<&TrustPolicy>,
    policy: &LoadPolicy,
) -> Result<Model, Rejection> {
    let path = version_dir.join(MODEL_FILE);
    let reject = |step: Step, message: String| Rejection::new(name, Some(version), step, message).with_file(&path);
    if policy.private_files {
        private(version_dir).map_err(|(file, rule, m)| {
            Rejection::new(name, Some(version), Step::Permissions, m).rule(rule).with_file(&file)
        })?;
    }
    let signed = match trust {
        Some(trust) => Some(verify_signature(name, version, version_dir, trust)?),
        None => None,
    };
    scan(&path, policy.scan_fail_on).map_err(|(rule, m)| reject(Step::Scan, m).rule(&rule))?;
    let bytes = std::fs::read(&path).map_err(|e| reject(Step::Load, format!("cannot read {}: {e}", path.display())))?;
    // The bytes loaded are the bytes signed: a file swapped between the signature
    // check and this read is refused, not served.
    if let Some(digest) = signed
        && Sha256::digest(&bytes).as_slice() != digest
    {
        return Err(reject(Step::Signature, format!("{} changed while it was being verified", path.display()))
            .rule("changed-after-signing"));
    }
    let mut model = Model::load(name, &version.to_string(), &bytes, config.clone())
        .map_err(|e| reject(Step::Load, e.to_string()))?;
    if let Some(relative) = config.extraction.as_ref().and_then(|e| e.reference.as_deref()) {
        let model_dir = version_dir.parent().unwrap_or(version_dir);
        model.reference = Some(std::sync::Arc::new(
            reference(&model, model_dir, relative)
                .map_err(|(file, m)| Rejection::new(name, Some(version), Step::Config, m).with_file(&file))?,
        ));
    }
    model.warm_up().map_err(|e| reject(Step::WarmUp, format!("the warm-up inference on zeros failed: {e}")))?;
    Ok(model)
}

/// Reads the model's reference sample and checks it fits the model's input.
fn reference(
    model: &Model,
    model_dir: &Path,
    relative: &str,
) -> Result<crate::reference::ReferenceSample, (PathBuf, String)> {
    let path = crate::reference::resolve(model_dir, relative).map_err(|m| (model_dir.join("config.toml"), m))?;
    if let Ok(meta) = std::fs::metadata(&path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o006 != 0 {
            return Err((
                path.clone(),
                format!(
                    "[extraction] reference: {} is readable or writable by other users (mode {:o}); run: chmod o-rwx {}",
                    path.display(),
                    mode & 0o777,
                    path.display()
                ),
            ));
        }
    }
    let sample = crate::reference::read(&path).map_err(|m| (path.clone(), format!("[extraction] reference: {m}")))?;
    let features = match model.inputs.first().and_then(|i| i.shape.get(1)) {
        Some(crate::Dim::Fixed(n)) => Some(*n),
        _ => None,
    };
    if let Some(n) = features
        && n != sample.features
    {
        return Err((
            path.clone(),
            format!(
                "[extraction] reference: {} has {} features per row; the model takes {n}",
                path.display(),
                sample.features
            ),
        ));
    }
    Ok(sample)
}

/// Refuses a version directory whose files other users can read or write (as ssh
/// refuses a private key others can read): the weights are what a model thief is
/// after, and a file others can write is a model anyone on the host can swap.
/// Links are judged by their target. The message carries the fix.
fn private(version_dir: &Path) -> Result<(), (PathBuf, &'static str, String)> {
    use std::os::unix::fs::PermissionsExt;
    let fix = |p: &Path, what: &str, mode: u32| {
        let dir = version_dir.parent().unwrap_or(version_dir);
        format!(
            "{} is {what} by other users (mode {:o}); run: chmod -R o-rwx {}",
            p.display(),
            mode & 0o777,
            dir.display()
        )
    };
    let dir_mode = std::fs::metadata(version_dir).map(|m| m.permissions().mode()).unwrap_or(0);
    if dir_mode & 0o002 != 0 {
        return Err((version_dir.to_path_buf(), "writable-by-others", fix(version_dir, "writable", dir_mode)));
    }
    check_tree(version_dir, 0, &fix)
}

/// Files and folders below `dir` (to a depth of 8: external data may sit in
/// subfolders), judged as `private` says.
type Refusal = (PathBuf, &'static str, String);
fn check_tree(dir: &Path, depth: usize, fix: &dyn Fn(&Path, &str, u32) -> String) -> Result<(), Refusal> {
    use std::os::unix::fs::PermissionsExt;
    let entries = std::fs::read_dir(dir)
        .map_err(|e| (dir.to_path_buf(), "unreadable", format!("cannot read {}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let Ok(meta) = std::fs::metadata(&p) else { continue };
        let mode = meta.permissions().mode();
        if mode & 0o002 != 0 {
            return Err((p.clone(), "writable-by-others", fix(&p, "writable", mode)));
        }
        if meta.is_file() && mode & 0o004 != 0 {
            return Err((p.clone(), "readable-by-others", fix(&p, "readable", mode)));
        }
        if meta.is_dir() && depth < 8 {
            check_tree(&p, depth + 1, fix)?;
        }
    }
    Ok(())
}

/// Verifies `version_dir/model.sig` over the whole version directory and returns
/// the signed digest of the model file.
fn verify_signature(name: &str, version: u64, version_dir: &Path, trust: &TrustPolicy) -> Result<[u8; 32], Rejection> {
    let sig = version_dir.join(signing::DEFAULT_SIGNATURE_NAME);
    let reject = |rule: &str, message: String| {
        Rejection::new(name, Some(version), Step::Signature, message).rule(rule).with_file(&sig)
    };
    if !sig.is_file() {
        return Err(reject("unsigned", format!("{} is missing: the model is not signed", sig.display())));
    }
    let verified = signing::verify_with(version_dir, &sig, trust).map_err(|e| {
        let rule = match &e {
            VerifyError::UntrustedKey { .. } => "untrusted-key",
            VerifyError::UntrustedCertificate { .. } | VerifyError::CertificateNotForSigning { .. } => {
                "untrusted-certificate"
            }
            VerifyError::Mismatch(_) => "changed-after-signing",
            _ => "bad-signature",
        };
        reject(rule, format!("{}: {e}", sig.display()))
    })?;
    verified.files.iter().find(|f| f.name == MODEL_FILE).map(|f| f.sha256).ok_or_else(|| {
        reject("changed-after-signing", format!("{}: the signature does not cover {MODEL_FILE}", sig.display()))
    })
}

/// Scans the model file: a finding at or above `fail_on`, or a file the scanner
/// cannot read, keeps the version out, with the rule and the reason.
fn scan(path: &Path, fail_on: Severity) -> Result<(), (String, String)> {
    let report = warden_scan::scan_file(path, &warden_scan::Options::default());
    if let Some(error) = report.error {
        return Err(("unreadable".into(), format!("{}: the scanner could not read it: {error}", path.display())));
    }
    let blocking: Vec<_> = report.findings.iter().filter(|f| f.rule.severity >= fail_on).collect();
    let Some(first) = blocking.first() else { return Ok(()) };
    let reasons: Vec<String> = blocking
        .iter()
        .map(|f| format!("{} {} ({}): {}", f.rule.id, f.rule.title, f.rule.severity.as_str(), f.message))
        .collect();
    Err((first.rule.id.to_string(), format!("{}: refused by the scan: {}", path.display(), reasons.join("; "))))
}
