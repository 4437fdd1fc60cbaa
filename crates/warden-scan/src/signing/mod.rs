//! Model signing and verification in the OpenSSF model-signing format
//! (sigstore/model-transparency, the `model-signing` 1.x package): key mode and
//! certificate mode.
//!
//! The signature is a Sigstore bundle v0.3 (JSON) holding a DSSE envelope whose payload is
//! an in-toto Statement v1 with predicate type `https://model_signing/signature/v1.0`: one
//! subject named after the model with the SHA-256 over all file digests, and a predicate
//! listing the serialization parameters and every file with its SHA-256. The envelope is
//! signed (ECDSA, P-256/SHA-256, P-384/SHA-384 or P-521/SHA-512, DER) over the DSSE PAE
//! encoding. In key mode the bundle carries the public key hint (hex SHA-256 of the SPKI
//! PEM); in certificate mode the signing certificate and its chain, which the verifier
//! validates against its trusted roots (see `chain.rs`). Signatures written here verify
//! with `model_signing verify key|certificate` and the other way round.
//!
//! ```no_run
//! use warden_scan::signing::{self, SigningKey, VerifyingKey};
//! let key = SigningKey::from_pem(&std::fs::read_to_string("k.key").unwrap()).unwrap();
//! // Writes model/model.sig (the reference tool's file name).
//! let sig = signing::sign_to_file(std::path::Path::new("model"), &key, None).unwrap();
//! let public = VerifyingKey::from_pem(&std::fs::read_to_string("k.pub").unwrap()).unwrap();
//! signing::verify(std::path::Path::new("model"), &sig, &[public]).unwrap();
//! ```
//!
//! Certificate mode, verified with a policy that trusts a team root:
//!
//! ```no_run
//! use std::path::Path;
//! use warden_scan::signing::{self, CertificateRoot, CertificateSigner, SignOptions, Signer, SigningKey, TrustPolicy};
//! let read = |p: &str| std::fs::read_to_string(p).unwrap();
//! let key = SigningKey::from_pem(&read("leaf.key")).unwrap();
//! let signer = CertificateSigner::new(key, &read("leaf.pem"), &[&read("intermediate.pem")]).unwrap();
//! let model = Path::new("model");
//! let sig = signing::sign_with_to_file(model, &Signer::Certificate(signer), &SignOptions::default()).unwrap();
//! let trust = TrustPolicy { keys: vec![], roots: CertificateRoot::from_pem(&read("root.pem")).unwrap() };
//! let verified = signing::verify_with(model, &sig, &trust).unwrap();
//! println!("signed by {}", verified.signer);
//! ```

mod certificate;
mod chain;
mod keys;
mod manifest;
mod material;
#[cfg(test)]
mod test_pki;
mod trust;
mod webpki_p521;

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

pub use certificate::{CertificateRoot, CertificateSigner};
pub use keys::{Curve, SigningKey, VerifyingKey};
pub use manifest::{FileDigest, GIT_PATHS, Manifest, Serialization, hash_model, model_name};
pub use material::Signer;
pub use trust::{SignerIdentity, TrustPolicy};

pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PREDICATE_TYPE: &str = "https://model_signing/signature/v1.0";
/// The reference tool's signature file name.
pub const DEFAULT_SIGNATURE_NAME: &str = "model.sig";

/// Errors of key handling, model reading and signing.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("key: {0}")]
    Key(String),
    /// A certificate (or a certificate and key pair) that cannot be used.
    #[error("certificate: {0}")]
    Certificate(String),
    #[error("model: {0}")]
    Model(String),
}

impl SigningError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        SigningError::Io { path: path.to_path_buf(), source }
    }
}

/// Why a model did not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The model or the signature could not be read.
    #[error(transparent)]
    Read(#[from] SigningError),
    /// The signature file is not a bundle in the expected format.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// A format feature this implementation does not handle (e.g. shard serialization).
    #[error("unsupported signature: {0}")]
    Unsupported(String),
    /// The bundle names a public key (hint) that none of the trusted keys is.
    #[error("the signature was made with a key that is not trusted (key hint {hint})")]
    UntrustedKey { hint: String },
    /// No trusted key verifies the envelope signature.
    #[error("the signature does not verify with any trusted key")]
    BadSignature,
    /// Certificate mode: the chain does not validate to a trusted root at signing time
    /// (unknown issuer, a certificate not valid then, a forged certificate, no roots given).
    #[error("the signing certificate {subject} is not trusted: {reason}")]
    UntrustedCertificate { subject: String, reason: String },
    /// Certificate mode: the chain is trusted but the leaf may not sign.
    #[error(
        "the signing certificate {subject} may not sign: {reason} (model-signing needs KeyUsage \
         digitalSignature or ExtendedKeyUsage codeSigning)"
    )]
    CertificateNotForSigning { subject: String, reason: String },
    /// Certificate mode: the chain is trusted but its leaf's key does not verify the envelope.
    #[error("the signature does not verify with the key of the signing certificate {subject}")]
    BadCertificateSignature { subject: String },
    /// The signed manifest's root digest does not match its own resources.
    #[error("the signed manifest is inconsistent: subject digest {subject}, resources hash to {computed}")]
    InconsistentManifest { subject: String, computed: String },
    /// The model on disk differs from the signed manifest.
    #[error("the model differs from the signed manifest: {0}")]
    Mismatch(Mismatch),
}

impl VerifyError {
    /// True when the model or signature could not be read (as opposed to "not verified").
    pub fn is_read_error(&self) -> bool {
        matches!(self, VerifyError::Read(_))
    }
}

/// Files that were added, removed or changed since signing (names relative to the model).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mismatch {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.added.is_empty() {
            parts.push(format!("added: {}", self.added.join(", ")));
        }
        if !self.removed.is_empty() {
            parts.push(format!("removed: {}", self.removed.join(", ")));
        }
        if !self.changed.is_empty() {
            parts.push(format!("changed: {}", self.changed.join(", ")));
        }
        f.write_str(&parts.join("; "))
    }
}

/// A successful verification.
#[derive(Clone, Debug)]
pub struct Verified {
    pub model_name: String,
    /// Subject digest (hex SHA-256 over the file digests).
    pub root_digest: String,
    pub files: Vec<FileDigest>,
    /// Key mode: index into the trusted keys of the key that verified. Certificate mode:
    /// index into the trusted roots of the root the chain ends at.
    pub key_index: usize,
    /// Who signed: the key (hint) or the certificate (subject, issuer, root).
    pub signer: SignerIdentity,
}

/// DSSE pre-authentication encoding:
/// `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// The in-toto statement model-signing signs for `manifest`.
pub fn statement(manifest: &Manifest) -> Value {
    let resources: Vec<Value> =
        manifest.files.iter().map(|f| json!({"name": f.name, "algorithm": "sha256", "digest": f.hex()})).collect();
    json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": manifest.model_name, "digest": {"sha256": hex::encode(manifest.root_digest())}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "serialization": manifest.serialization.to_json(),
            "resources": resources,
        },
    })
}

/// Signs `manifest` with a bare key (key mode): the Sigstore bundle (as JSON) to write to
/// the signature file.
pub fn sign_manifest(manifest: &Manifest, key: &SigningKey) -> Value {
    sign_manifest_with(manifest, &Signer::Key(key.clone()))
}

/// Signs `manifest` in key or certificate mode: the Sigstore bundle (as JSON).
pub fn sign_manifest_with(manifest: &Manifest, signer: &Signer) -> Value {
    let payload = serde_json::to_vec_pretty(&statement(manifest)).expect("JSON encodes");
    let sig = signer.key().sign_der(&pae(PAYLOAD_TYPE, &payload));
    json!({
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": signer.verification_material(),
        "dsseEnvelope": {
            "payload": B64.encode(&payload),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": B64.encode(&sig), "keyid": ""}],
        },
    })
}

/// Where the signature goes by default: `model.sig` inside a model directory, or next to
/// a single-file model.
pub fn default_signature_path(model: &Path) -> PathBuf {
    if model.is_dir() {
        model.join(DEFAULT_SIGNATURE_NAME)
    } else {
        model.parent().unwrap_or(Path::new(".")).join(DEFAULT_SIGNATURE_NAME)
    }
}

/// How to sign: where the signature goes and what to leave out.
#[derive(Clone, Debug, Default)]
pub struct SignOptions {
    /// The signature file [default: [`default_signature_path`]]; left out of the manifest
    /// when it lies inside the model.
    pub signature: Option<PathBuf>,
    /// Files or directories to leave unsigned, absolute or relative to the current
    /// directory (as model-signing's `--ignore-paths`); each must lie inside the model.
    pub ignore_paths: Vec<PathBuf>,
}

/// `path` made absolute against the current directory, symbolic links of its existing
/// part resolved and `.`/`..` of the rest applied (Python's non-strict `Path.resolve()`,
/// which model-signing uses), so paths that do not exist yet resolve too.
fn resolve(path: &Path) -> Option<PathBuf> {
    let abs = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    let mut base = loop {
        match std::fs::canonicalize(existing) {
            Ok(p) => break p,
            Err(_) => {
                rest.push(existing.file_name()?.to_os_string());
                existing = existing.parent()?;
            }
        }
    };
    for part in rest.iter().rev() {
        match part.to_str() {
            Some(".") => {}
            Some("..") => {
                base.pop();
            }
            _ => base.push(part),
        }
    }
    Some(base)
}

/// `path` relative to the model root, `/`-separated, when it lies inside the model (after
/// resolving symbolic links); the form model-signing records in `ignore_paths`.
fn relative_to_model(model: &Path, path: &Path) -> Option<String> {
    let root = std::fs::canonicalize(model).ok()?;
    let resolved = resolve(path)?;
    let rel = resolved.strip_prefix(&root).ok()?;
    let parts: Vec<&str> = rel.components().map(|c| c.as_os_str().to_str()).collect::<Option<_>>()?;
    if parts.is_empty() { None } else { Some(parts.join("/")) }
}

/// The paths always left out, signing and verifying: the signature file (when inside the
/// model) and the git paths, as `model_signing` leaves them out by default.
fn default_ignores(model: &Path, signature: &Path) -> Vec<String> {
    let mut v: Vec<String> = relative_to_model(model, signature).into_iter().collect();
    v.extend(GIT_PATHS.iter().map(|s| s.to_string()));
    v
}

/// The user's ignore paths relative to the model; one outside the model is an error (the
/// reference tool drops it silently, which signs a file the user meant to leave out).
fn user_ignores(model: &Path, paths: &[PathBuf]) -> Result<Vec<String>, SigningError> {
    paths
        .iter()
        .map(|p| {
            relative_to_model(model, p).ok_or_else(|| {
                SigningError::Model(format!(
                    "ignore path {} is not inside the model {} (relative paths are taken from the current directory)",
                    p.display(),
                    model.display()
                ))
            })
        })
        .collect()
}

/// The ignored paths recorded when signing with `options`: the default ones and the
/// user's, each once.
fn sign_ignores(model: &Path, signature: &Path, options: &SignOptions) -> Result<Vec<String>, SigningError> {
    let mut all = default_ignores(model, signature);
    for p in user_ignores(model, &options.ignore_paths)? {
        if !all.contains(&p) {
            all.push(p);
        }
    }
    Ok(all)
}

/// Hashes the model and signs it; `signature` is the path the bundle will be written to
/// (default [`default_signature_path`]), which is left out of the manifest. Returns the
/// bundle JSON; the caller writes it.
pub fn sign(model: &Path, key: &SigningKey, signature: Option<&Path>) -> Result<Value, SigningError> {
    let options = SignOptions { signature: signature.map(Path::to_path_buf), ..SignOptions::default() };
    sign_with(model, &Signer::Key(key.clone()), &options)
}

/// Signs the model and writes the bundle to `signature` (default `model.sig`, see
/// [`default_signature_path`]); returns the path written.
pub fn sign_to_file(model: &Path, key: &SigningKey, signature: Option<&Path>) -> Result<PathBuf, SigningError> {
    let options = SignOptions { signature: signature.map(Path::to_path_buf), ..SignOptions::default() };
    sign_with_to_file(model, &Signer::Key(key.clone()), &options)
}

/// Hashes the model and signs it in key or certificate mode. Returns the bundle JSON.
pub fn sign_with(model: &Path, signer: &Signer, options: &SignOptions) -> Result<Value, SigningError> {
    let sig_path = options.signature.clone().unwrap_or_else(|| default_signature_path(model));
    let manifest = hash_model(model, &Serialization::files(false, sign_ignores(model, &sig_path, options)?))?;
    Ok(sign_manifest_with(&manifest, signer))
}

/// Signs the model in key or certificate mode and writes the bundle (see [`SignOptions`]);
/// returns the path written.
pub fn sign_with_to_file(model: &Path, signer: &Signer, options: &SignOptions) -> Result<PathBuf, SigningError> {
    let sig_path = options.signature.clone().unwrap_or_else(|| default_signature_path(model));
    let options = SignOptions { signature: Some(sig_path.clone()), ..options.clone() };
    let bundle = sign_with(model, signer, &options)?;
    std::fs::write(&sig_path, serde_json::to_vec(&bundle).expect("JSON encodes"))
        .map_err(|e| SigningError::io(&sig_path, e))?;
    Ok(sig_path)
}

fn field<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, VerifyError> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k).ok_or_else(|| VerifyError::Malformed(format!("missing `{}`", path.join("."))))?;
    }
    Ok(cur)
}

fn string<'a>(v: &'a Value, path: &[&str]) -> Result<&'a str, VerifyError> {
    field(v, path)?.as_str().ok_or_else(|| VerifyError::Malformed(format!("`{}` is not a string", path.join("."))))
}

/// The DSSE envelope of a bundle: the payload bytes and the (first) signature.
struct Envelope {
    payload: Vec<u8>,
    sig: Vec<u8>,
}

/// Reads the bundle's media type and envelope, authenticating nothing yet.
fn envelope(bundle: &Value) -> Result<Envelope, VerifyError> {
    let media = string(bundle, &["mediaType"])?;
    if media != BUNDLE_MEDIA_TYPE {
        return Err(VerifyError::Malformed(format!("bundle media type {media}, expected {BUNDLE_MEDIA_TYPE}")));
    }
    let env = field(bundle, &["dsseEnvelope"])?;
    let payload_type = string(env, &["payloadType"])?;
    if payload_type != PAYLOAD_TYPE {
        return Err(VerifyError::Malformed(format!("DSSE payload type {payload_type}, expected {PAYLOAD_TYPE}")));
    }
    let payload = B64
        .decode(string(env, &["payload"])?)
        .map_err(|e| VerifyError::Malformed(format!("payload is not base64: {e}")))?;
    let sigs = field(env, &["signatures"])?
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| VerifyError::Malformed("no signature in the envelope".into()))?;
    let sig = B64
        .decode(string(&sigs[0], &["sig"])?)
        .map_err(|e| VerifyError::Malformed(format!("signature is not base64: {e}")))?;
    Ok(Envelope { payload, sig })
}

/// Checks the bundle's signature with the trusted keys and returns the signed manifest
/// (the model on disk is not read).
pub fn verify_bundle(bundle: &Value, trusted: &[VerifyingKey]) -> Result<(Manifest, usize), VerifyError> {
    let trust = TrustPolicy { keys: trusted.to_vec(), roots: Vec::new() };
    verify_bundle_with(bundle, &trust).map(|(manifest, index, _)| (manifest, index))
}

/// Checks the bundle's signature against the trust policy (key or certificate mode) and
/// returns the signed manifest, the index of the trusted key or root that verified, and
/// who signed. The model on disk is not read.
pub fn verify_bundle_with(
    bundle: &Value,
    trust: &TrustPolicy,
) -> Result<(Manifest, usize, SignerIdentity), VerifyError> {
    let env = envelope(bundle)?;
    let message = pae(PAYLOAD_TYPE, &env.payload);
    let who = material::authenticate(bundle.get("verificationMaterial"), trust, &message, &env.sig)?;
    // Only now, with the payload authenticated, interpret it.
    Ok((parse_statement(&env.payload)?, who.index, who.identity))
}

/// The manifest an authenticated in-toto statement describes.
fn parse_statement(payload: &[u8]) -> Result<Manifest, VerifyError> {
    let st: Value =
        serde_json::from_slice(payload).map_err(|e| VerifyError::Malformed(format!("payload is not JSON: {e}")))?;
    let ty = string(&st, &["_type"])?;
    if ty != STATEMENT_TYPE {
        return Err(VerifyError::Malformed(format!("statement type {ty}, expected {STATEMENT_TYPE}")));
    }
    let pt = string(&st, &["predicateType"])?;
    if pt != PREDICATE_TYPE {
        return Err(VerifyError::Unsupported(format!("predicate type {pt}, expected {PREDICATE_TYPE}")));
    }
    let subjects =
        field(&st, &["subject"])?.as_array().ok_or_else(|| VerifyError::Malformed("`subject` is not a list".into()))?;
    if subjects.len() != 1 {
        return Err(VerifyError::Malformed(format!("expected one subject, got {}", subjects.len())));
    }
    let model_name = string(&subjects[0], &["name"])?.to_string();
    let subject_digest = string(&subjects[0], &["digest", "sha256"])?.to_ascii_lowercase();
    let serialization = parse_serialization(field(&st, &["predicate", "serialization"])?)?;
    let mut files = parse_resources(field(&st, &["predicate", "resources"])?)?;
    // The subject digest covers the resources in the order they are listed.
    let computed = hex::encode(manifest::root_digest(files.iter().map(|f| &f.sha256)));
    if computed != subject_digest {
        return Err(VerifyError::InconsistentManifest { subject: subject_digest, computed });
    }
    manifest::sort_files(&mut files);
    Ok(Manifest { model_name, files, serialization })
}

/// `predicate.serialization`: only the `files` method with SHA-256 is supported.
fn parse_serialization(ser: &Value) -> Result<Serialization, VerifyError> {
    let method = string(ser, &["method"])?;
    if method != "files" {
        return Err(VerifyError::Unsupported(format!("serialization method {method} (only `files` is supported)")));
    }
    let hash_type = string(ser, &["hash_type"])?;
    if hash_type != "sha256" {
        return Err(VerifyError::Unsupported(format!("hash type {hash_type} (only sha256 is supported)")));
    }
    let allow_symlinks = match ser.get("allow_symlinks") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        None => false,
        Some(other) => return Err(VerifyError::Malformed(format!("allow_symlinks is {other}"))),
    };
    let ignore_paths = match ser.get("ignore_paths") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|p| p.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| VerifyError::Malformed("ignore_paths holds a non-string".into()))?,
        Some(_) => return Err(VerifyError::Malformed("ignore_paths is not a list".into())),
    };
    Ok(Serialization::files(allow_symlinks, ignore_paths))
}

/// `predicate.resources`: every file with its SHA-256, in the listed order.
fn parse_resources(resources: &Value) -> Result<Vec<FileDigest>, VerifyError> {
    let resources =
        resources.as_array().ok_or_else(|| VerifyError::Malformed("`predicate.resources` is not a list".into()))?;
    let mut files = Vec::with_capacity(resources.len());
    for r in resources {
        let name = string(r, &["name"])?.to_string();
        let alg = string(r, &["algorithm"])?;
        if alg != "sha256" {
            return Err(VerifyError::Unsupported(format!("resource {name}: algorithm {alg}")));
        }
        let d = hex::decode(string(r, &["digest"])?)
            .ok()
            .and_then(|d| <[u8; 32]>::try_from(d).ok())
            .ok_or_else(|| VerifyError::Malformed(format!("resource {name}: digest is not a hex SHA-256")))?;
        files.push(FileDigest { name, sha256: d });
    }
    Ok(files)
}

/// Verifies the model at `model` against the signature file at `signature` with any of
/// `trusted` keys (key mode only): see [`verify_with`].
pub fn verify(model: &Path, signature: &Path, trusted: &[VerifyingKey]) -> Result<Verified, VerifyError> {
    verify_with(model, signature, &TrustPolicy { keys: trusted.to_vec(), roots: Vec::new() })
}

/// Verifies the model at `model` against the signature file at `signature` under `trust`:
/// a key-mode signature with one of its keys, a certificate-mode one through a chain to
/// one of its roots. Then every file digest is recomputed with the signed serialization
/// parameters (plus the signature file itself and the git paths, which the reference tool
/// always leaves out). Every added, removed or changed file is named in
/// [`VerifyError::Mismatch`].
pub fn verify_with(model: &Path, signature: &Path, trust: &TrustPolicy) -> Result<Verified, VerifyError> {
    let raw = std::fs::read(signature).map_err(|e| SigningError::io(signature, e))?;
    let bundle: Value = serde_json::from_slice(&raw)
        .map_err(|e| VerifyError::Malformed(format!("{}: not JSON: {e}", signature.display())))?;
    let (expected, key_index, signer) = verify_bundle_with(&bundle, trust)?;

    let mut ignore = expected.serialization.ignore_paths.clone();
    for p in default_ignores(model, signature) {
        if !ignore.contains(&p) {
            ignore.push(p);
        }
    }
    let actual = hash_model(model, &Serialization::files(expected.serialization.allow_symlinks, ignore))?;
    let mm = compare(&expected, &actual);
    if mm != Mismatch::default() {
        return Err(VerifyError::Mismatch(mm));
    }
    Ok(Verified {
        model_name: expected.model_name.clone(),
        root_digest: hex::encode(expected.root_digest()),
        files: expected.files,
        key_index,
        signer,
    })
}

/// The files added, removed or changed in `actual` relative to `expected`.
fn compare(expected: &Manifest, actual: &Manifest) -> Mismatch {
    let want: std::collections::BTreeMap<&str, &[u8; 32]> =
        expected.files.iter().map(|f| (f.name.as_str(), &f.sha256)).collect();
    let have: std::collections::BTreeMap<&str, &[u8; 32]> =
        actual.files.iter().map(|f| (f.name.as_str(), &f.sha256)).collect();
    let mut mm = Mismatch::default();
    for (name, d) in &have {
        match want.get(name) {
            None => mm.added.push(name.to_string()),
            Some(w) if w != d => mm.changed.push(name.to_string()),
            _ => {}
        }
    }
    mm.removed = want.keys().filter(|n| !have.contains_key(*n)).map(|n| n.to_string()).collect();
    mm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae(PAYLOAD_TYPE, b""), b"DSSEv1 28 application/vnd.in-toto+json 0 ".to_vec());
    }

    fn model() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("a.txt"), b"hello\n").unwrap();
        std::fs::write(dir.path().join("sub/b.bin"), b"x\n").unwrap();
        dir
    }

    #[test]
    fn statement_and_bundle_have_the_reference_shape() {
        let dir = model();
        let key = SigningKey::generate(Curve::P256);
        let bundle = sign(dir.path(), &key, None).unwrap();
        assert_eq!(bundle["mediaType"], BUNDLE_MEDIA_TYPE);
        assert_eq!(bundle["verificationMaterial"]["publicKey"]["hint"], key.verifying_key().hint());
        assert_eq!(bundle["verificationMaterial"]["tlogEntries"], json!([]));
        let env = &bundle["dsseEnvelope"];
        assert_eq!(env["payloadType"], PAYLOAD_TYPE);
        assert_eq!(env["signatures"].as_array().unwrap().len(), 1);
        let payload = B64.decode(env["payload"].as_str().unwrap()).unwrap();
        let st: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(st["_type"], STATEMENT_TYPE);
        assert_eq!(st["predicateType"], PREDICATE_TYPE);
        let name = dir.path().file_name().unwrap().to_str().unwrap();
        assert_eq!(st["subject"][0]["name"], name);
        let ser = &st["predicate"]["serialization"];
        assert_eq!(ser["method"], "files");
        assert_eq!(ser["hash_type"], "sha256");
        assert_eq!(ser["allow_symlinks"], false);
        assert_eq!(ser["ignore_paths"], json!(["model.sig", ".git", ".gitattributes", ".github", ".gitignore"]));
        let res = st["predicate"]["resources"].as_array().unwrap();
        assert_eq!(res.len(), 2);
        assert_eq!(
            res[0],
            json!({"name": "a.txt", "algorithm": "sha256",
            "digest": "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"})
        );
        assert_eq!(res[1]["name"], "sub/b.bin");
        let mut h = sha2::Sha256::new();
        use sha2::Digest as _;
        for r in res {
            h.update(hex::decode(r["digest"].as_str().unwrap()).unwrap());
        }
        assert_eq!(st["subject"][0]["digest"]["sha256"], hex::encode(h.finalize()));
        // The signature is DER ECDSA over the PAE of the exact payload bytes.
        let sig = B64.decode(env["signatures"][0]["sig"].as_str().unwrap()).unwrap();
        assert_eq!(sig[0], 0x30);
        assert!(key.verifying_key().verify_der(&pae(PAYLOAD_TYPE, &payload), &sig));
    }

    #[test]
    fn verify_names_added_removed_and_changed_files() {
        let dir = model();
        let key = SigningKey::generate(Curve::P384);
        let sig = sign_to_file(dir.path(), &key, None).unwrap();
        assert_eq!(sig, dir.path().join("model.sig"));
        let ok = verify(dir.path(), &sig, &[key.verifying_key()]).unwrap();
        assert_eq!(ok.files.len(), 2);

        std::fs::write(dir.path().join("a.txt"), b"tampered\n").unwrap();
        std::fs::remove_file(dir.path().join("sub/b.bin")).unwrap();
        std::fs::write(dir.path().join("new.bin"), b"new").unwrap();
        match verify(dir.path(), &sig, &[key.verifying_key()]) {
            Err(VerifyError::Mismatch(m)) => {
                assert_eq!(m.changed, ["a.txt"]);
                assert_eq!(m.removed, ["sub/b.bin"]);
                assert_eq!(m.added, ["new.bin"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrong_key_and_forged_payload_fail() {
        let dir = model();
        let key = SigningKey::generate(Curve::P256);
        let other = SigningKey::generate(Curve::P256);
        let sig = sign_to_file(dir.path(), &key, None).unwrap();
        assert!(matches!(verify(dir.path(), &sig, &[other.verifying_key()]), Err(VerifyError::UntrustedKey { .. })));
        // Two trusted keys: the one named by the hint is used.
        assert_eq!(verify(dir.path(), &sig, &[other.verifying_key(), key.verifying_key()]).unwrap().key_index, 1);

        let mut bundle: Value = serde_json::from_slice(&std::fs::read(&sig).unwrap()).unwrap();
        // Without a hint, every key is tried; a forged payload fails the signature check.
        bundle["verificationMaterial"]["publicKey"] = json!({});
        let mut st: Value =
            serde_json::from_slice(&B64.decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap()).unwrap()).unwrap();
        st["predicate"]["resources"][0]["digest"] = json!(hex::encode([0u8; 32]));
        bundle["dsseEnvelope"]["payload"] = json!(B64.encode(serde_json::to_vec(&st).unwrap()));
        assert!(matches!(verify_bundle(&bundle, &[key.verifying_key()]), Err(VerifyError::BadSignature)));
    }

    use test_pki::{Ca, leaf_params, params, pem};

    fn certificate_signer(ca: &Ca, chain: &[&Ca]) -> Signer {
        let (key, leaf) = ca.signer(&leaf_params("signer@example.com"));
        let chain: Vec<String> = chain.iter().map(|c| pem(&c.der)).collect();
        let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
        Signer::Certificate(CertificateSigner::new(key, &leaf, &chain).unwrap())
    }

    #[test]
    fn certificate_mode_bundles_carry_the_chain_and_verify_against_the_root() {
        let dir = model();
        let root = Ca::root("Team Root");
        let int = root.intermediate(params("Team Signing CA", true));
        let signer = certificate_signer(&int, &[&int]);
        let sig = sign_with_to_file(dir.path(), &signer, &SignOptions::default()).unwrap();
        let bundle: Value = serde_json::from_slice(&std::fs::read(&sig).unwrap()).unwrap();
        let material = &bundle["verificationMaterial"];
        assert_eq!(material["tlogEntries"], json!([]));
        assert!(material.get("publicKey").is_none());
        let certs = material["x509CertificateChain"]["certificates"].as_array().unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(B64.decode(certs[1]["rawBytes"].as_str().unwrap()).unwrap(), int.der);

        let trust =
            TrustPolicy { keys: vec![SigningKey::generate(Curve::P256).verifying_key()], roots: root.trusted() };
        let ok = verify_with(dir.path(), &sig, &trust).unwrap();
        assert_eq!(ok.key_index, 0);
        match &ok.signer {
            SignerIdentity::Certificate { subject, issuer, root, .. } => {
                assert_eq!(subject, "CN=signer@example.com");
                assert_eq!(issuer, "CN=Team Signing CA");
                assert_eq!(root, "CN=Team Root");
            }
            other => panic!("{other:?}"),
        }
        assert!(ok.signer.to_string().starts_with("certificate CN=signer@example.com"));

        // Keys alone do not trust a certificate-mode signature.
        let keys_only = TrustPolicy { roots: vec![], ..trust.clone() };
        match verify_with(dir.path(), &sig, &keys_only) {
            Err(e @ VerifyError::UntrustedCertificate { .. }) => assert!(e.to_string().contains("no trusted root")),
            other => panic!("{other:?}"),
        }
        // Tampering is still found file by file.
        std::fs::write(dir.path().join("a.txt"), b"tampered\n").unwrap();
        match verify_with(dir.path(), &sig, &trust) {
            Err(VerifyError::Mismatch(m)) => assert_eq!(m.changed, ["a.txt"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_trust_policy_takes_key_and_certificate_signatures_alike() {
        let dir = model();
        let root = Ca::root("Root");
        let key = SigningKey::generate(Curve::P521);
        let trust = TrustPolicy { keys: vec![key.verifying_key()], roots: root.trusted() };
        let sig = sign_to_file(dir.path(), &key, None).unwrap();
        let ok = verify_with(dir.path(), &sig, &trust).unwrap();
        assert_eq!(ok.signer, SignerIdentity::Key { hint: key.verifying_key().hint() });
        sign_with_to_file(dir.path(), &certificate_signer(&root, &[]), &SignOptions::default()).unwrap();
        assert!(matches!(verify_with(dir.path(), &sig, &trust).unwrap().signer, SignerIdentity::Certificate { .. }));
        assert!(TrustPolicy::default().is_empty() && !trust.is_empty());
    }

    #[test]
    fn a_swapped_certificate_or_signature_fails() {
        let dir = model();
        let root = Ca::root("Root");
        let sig = sign_with_to_file(dir.path(), &certificate_signer(&root, &[]), &SignOptions::default()).unwrap();
        let mut bundle: Value = serde_json::from_slice(&std::fs::read(&sig).unwrap()).unwrap();
        // Another valid certificate from the same CA in place of the signer's.
        let (_, other) = root.signer(&leaf_params("someone else"));
        let other_der = CertificateRoot::from_pem(&other).unwrap()[0].der().to_vec();
        bundle["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"] =
            json!(B64.encode(&other_der));
        let trust = TrustPolicy { keys: vec![], roots: root.trusted() };
        match verify_bundle_with(&bundle, &trust) {
            Err(e @ VerifyError::BadCertificateSignature { .. }) => assert!(e.to_string().contains("CN=someone else")),
            other => panic!("{other:?}"),
        }
        // Both kinds of material at once, or a keyless Sigstore bundle, are refused.
        bundle["verificationMaterial"]["publicKey"] = json!({"hint": "00"});
        assert!(matches!(verify_bundle_with(&bundle, &trust), Err(VerifyError::Malformed(_))));
        bundle["verificationMaterial"] = json!({"certificate": {"rawBytes": ""}, "tlogEntries": []});
        assert!(matches!(verify_bundle_with(&bundle, &trust), Err(VerifyError::Unsupported(_))));
        bundle["verificationMaterial"] = json!({"x509CertificateChain": {"certificates": [{"rawBytes": "!!"}]}});
        assert!(matches!(verify_bundle_with(&bundle, &trust), Err(VerifyError::Malformed(_))));
    }

    #[test]
    fn ignore_paths_are_recorded_relative_to_the_model_and_stay_unsigned() {
        let dir = model();
        let key = SigningKey::generate(Curve::P256);
        let options = SignOptions {
            signature: None,
            ignore_paths: vec![dir.path().join("sub"), dir.path().join("notes/later.txt")],
        };
        let sig = sign_with_to_file(dir.path(), &Signer::Key(key.clone()), &options).unwrap();
        let ok = verify(dir.path(), &sig, &[key.verifying_key()]).unwrap();
        assert_eq!(ok.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["a.txt"]);
        let bundle: Value = serde_json::from_slice(&std::fs::read(&sig).unwrap()).unwrap();
        let st: Value =
            serde_json::from_slice(&B64.decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap()).unwrap()).unwrap();
        let ignored = st["predicate"]["serialization"]["ignore_paths"].as_array().unwrap().clone();
        assert!(ignored.contains(&json!("sub")) && ignored.contains(&json!("notes/later.txt")), "{ignored:?}");
        // Ignored files may change without breaking the signature.
        std::fs::write(dir.path().join("sub/b.bin"), b"changed").unwrap();
        verify(dir.path(), &sig, &[key.verifying_key()]).unwrap();

        let outside = SignOptions { signature: None, ignore_paths: vec![std::env::temp_dir()] };
        let e = sign_with(dir.path(), &Signer::Key(key), &outside).unwrap_err().to_string();
        assert!(e.contains("is not inside the model"), "{e}");
    }
}
