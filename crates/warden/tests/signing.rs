//! `warden signing-key create`, `warden sign` and `warden verify` as a user runs them, and
//! interoperability with the reference tool (OpenSSF `model-signing` 1.x, key mode and
//! certificate mode) in both directions. The interop tests need `WARDEN_MODEL_SIGNING_CLI` set to the `model_signing`
//! executable of a virtualenv with `model-signing` installed; they fail when it is unset.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::run;

fn model(dir: &Path) -> PathBuf {
    let m = dir.join("my-model");
    std::fs::create_dir_all(m.join("weights")).unwrap();
    std::fs::create_dir_all(m.join(".git")).unwrap();
    std::fs::write(m.join("config.json"), b"{\"layers\": 2}\n").unwrap();
    std::fs::write(m.join("weights/model.safetensors"), vec![7u8; 4096]).unwrap();
    std::fs::write(m.join("weights/extra.bin"), b"extra").unwrap();
    std::fs::write(m.join("a.b"), b"dotted name, sorts after the directory a/").unwrap();
    std::fs::create_dir_all(m.join("a")).unwrap();
    std::fs::write(m.join("a/c"), b"c").unwrap();
    std::fs::write(m.join(".git/HEAD"), b"ref: refs/heads/main\n").unwrap();
    m
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn create_key(dir: &Path, name: &str, curve: Option<&str>) -> (PathBuf, PathBuf) {
    let prefix = dir.join(name);
    let mut args = vec!["signing-key", "create", s(&prefix)];
    if let Some(c) = curve {
        args.extend(["--curve", c]);
    }
    let (status, out, err) = run(&args);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    (dir.join(format!("{name}.key")), dir.join(format!("{name}.pub")))
}

#[test]
fn key_creation_writes_a_private_key_only_the_owner_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = create_key(dir.path(), "signer", None);
    let key_pem = std::fs::read_to_string(&key).unwrap();
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{key_pem}");
    assert!(std::fs::read_to_string(&public).unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // Never overwrites an existing key.
    let (status, _, err) = run(&["signing-key", "create", s(&dir.path().join("signer"))]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), key_pem);
}

#[test]
fn sign_then_verify_and_every_change_is_named() {
    for curve in [None, Some("p384")] {
        let dir = tempfile::tempdir().unwrap();
        let m = model(dir.path());
        let (key, public) = create_key(dir.path(), "k", curve);
        let (status, out, err) = run(&["sign", s(&m), "--key", s(&key)]);
        assert_eq!(status.code(), Some(0), "{out}{err}");
        assert!(m.join("model.sig").is_file(), "model.sig written inside the model directory");

        let (status, out, err) = run(&["verify", s(&m), "--key", s(&public)]);
        assert_eq!(status.code(), Some(0), "{out}{err}");
        assert!(out.contains("verified"), "{out}");

        // Git files are not part of the signature.
        std::fs::write(m.join(".git/HEAD"), b"ref: refs/heads/other\n").unwrap();
        let (status, out, err) = run(&["verify", s(&m), "--key", s(&public)]);
        assert_eq!(status.code(), Some(0), "{out}{err}");

        // Tamper.
        std::fs::write(m.join("weights/model.safetensors"), vec![8u8; 4096]).unwrap();
        let (status, out, err) = run(&["verify", s(&m), "--key", s(&public)]);
        assert_eq!(status.code(), Some(1), "{out}{err}");
        assert!(out.contains("changed: weights/model.safetensors"), "{out}");
        std::fs::write(m.join("weights/model.safetensors"), vec![7u8; 4096]).unwrap();

        // Add.
        std::fs::write(m.join("weights/backdoor.pkl"), b"evil").unwrap();
        let (status, out, _) = run(&["verify", s(&m), "--key", s(&public)]);
        assert_eq!(status.code(), Some(1), "{out}");
        assert!(out.contains("added:   weights/backdoor.pkl"), "{out}");
        std::fs::remove_file(m.join("weights/backdoor.pkl")).unwrap();

        // Remove.
        std::fs::remove_file(m.join("weights/extra.bin")).unwrap();
        let (status, out, _) = run(&["verify", s(&m), "--key", s(&public)]);
        assert_eq!(status.code(), Some(1), "{out}");
        assert!(out.contains("removed: weights/extra.bin"), "{out}");
    }
}

#[test]
fn wrong_key_bad_inputs_and_explicit_signature_path() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(dir.path());
    let (key, public) = create_key(dir.path(), "right", None);
    let (_, other) = create_key(dir.path(), "wrong", None);
    let sig = dir.path().join("elsewhere.sig");
    let (status, out, err) = run(&["sign", s(&m), "--key", s(&key), "--signature", s(&sig)]);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    assert!(sig.is_file() && !m.join("model.sig").exists());

    let (status, out, _) = run(&["verify", s(&m), "--key", s(&other), "--signature", s(&sig)]);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("NOT VERIFIED") && out.contains("not trusted"), "{out}");
    // Several trusted keys: any one of them will do.
    let (status, out, _) = run(&["verify", s(&m), "--key", s(&other), "--key", s(&public), "--signature", s(&sig)]);
    assert_eq!(status.code(), Some(0), "{out}");

    // A signature from another key with the hint removed: the signature check itself fails.
    let mut bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(&sig).unwrap()).unwrap();
    bundle["verificationMaterial"]["publicKey"] = serde_json::json!({});
    std::fs::write(&sig, serde_json::to_vec(&bundle).unwrap()).unwrap();
    let (status, out, _) = run(&["verify", s(&m), "--key", s(&other), "--signature", s(&sig)]);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("does not verify"), "{out}");

    // Usage and read errors: exit 2.
    let (status, _, err) = run(&["verify", s(&m), "--key", s(&public)]);
    assert_eq!(status.code(), Some(2), "no model.sig: {err}");
    let (status, _, err) = run(&["verify", s(&dir.path().join("missing")), "--key", s(&public)]);
    assert_eq!(status.code(), Some(2), "{err}");
    let (status, _, err) = run(&["verify", s(&m), "--key", s(&key), "--signature", s(&sig)]);
    assert_eq!(status.code(), Some(2), "a private key is not a public key: {err}");
    let (status, _, err) = run(&["sign", s(&m), "--key", s(&public)]);
    assert_eq!(status.code(), Some(2), "{err}");
    let (status, _, err) = run(&["verify", s(&m)]);
    assert_eq!(status.code(), Some(2), "{err}");
}

// ---- interoperability with the reference tool ---------------------------------------

/// The reference `model_signing` CLI, from `WARDEN_MODEL_SIGNING_CLI`.
fn reference_cli() -> PathBuf {
    let Some(p) = std::env::var_os("WARDEN_MODEL_SIGNING_CLI") else {
        panic!(
            "WARDEN_MODEL_SIGNING_CLI is not set: set it to the `model_signing` executable of a \
             virtualenv with the reference tool (python3 -m venv /tmp/msvenv && \
             /tmp/msvenv/bin/pip install 'model-signing>=1.1,<2' pyopenssl; \
             WARDEN_MODEL_SIGNING_CLI=/tmp/msvenv/bin/model_signing)"
        )
    };
    let p = PathBuf::from(p);
    assert!(p.is_file(), "WARDEN_MODEL_SIGNING_CLI={} is not a file", p.display());
    p
}

fn reference(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(reference_cli()).args(args).output().expect("the reference CLI runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

/// Key pairs written by Python `cryptography` (what users of the reference tool have):
/// P-256 as SEC1 `EC PRIVATE KEY`, P-384 as PKCS#8.
fn python_keys(dir: &Path) -> Vec<(PathBuf, PathBuf)> {
    let python = reference_cli().with_file_name("python");
    let script = r#"
import sys
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization as s
d = sys.argv[1]
for name, curve, fmt in [("py256", ec.SECP256R1(), s.PrivateFormat.TraditionalOpenSSL),
                         ("py384", ec.SECP384R1(), s.PrivateFormat.PKCS8)]:
    k = ec.generate_private_key(curve)
    open(f"{d}/{name}.key", "wb").write(k.private_bytes(s.Encoding.PEM, fmt, s.NoEncryption()))
    open(f"{d}/{name}.pub", "wb").write(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))
"#;
    let out = Command::new(&python).arg("-c").arg(script).arg(dir).output().expect("the venv's python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(dir.join("py256.key")).unwrap().contains("BEGIN EC PRIVATE KEY"));
    ["py256", "py384"].iter().map(|n| (dir.join(format!("{n}.key")), dir.join(format!("{n}.pub")))).collect()
}

#[test]
fn signed_by_warden_verifies_with_the_reference_tool() {
    let _ = reference_cli();
    let dir = tempfile::tempdir().unwrap();
    let mut keys = vec![create_key(dir.path(), "w256", None), create_key(dir.path(), "w384", Some("p384"))];
    // Keys the reference's users already have (SEC1 and PKCS#8) sign with warden too.
    keys.extend(python_keys(dir.path()));
    for (key, public) in keys {
        let m = model(&dir.path().join(key.file_stem().unwrap()));
        let sig = m.join("model.sig");
        let (status, out, err) = run(&["sign", s(&m), "--key", s(&key)]);
        assert_eq!(status.code(), Some(0), "{out}{err}");
        let (code, text) = reference(&["verify", "key", s(&m), "--signature", s(&sig), "--public_key", s(&public)]);
        assert_eq!(code, Some(0), "reference rejected warden's signature ({}): {text}", key.display());
        assert!(text.contains("Verification succeeded"), "{text}");

        // The reference sees the same tampering.
        std::fs::write(m.join("config.json"), b"{\"layers\": 3}\n").unwrap();
        let (code, text) = reference(&["verify", "key", s(&m), "--signature", s(&sig), "--public_key", s(&public)]);
        assert_eq!(code, Some(1), "{text}");
        assert!(text.contains("config.json"), "{text}");
    }
}

#[test]
fn signed_by_the_reference_tool_verifies_with_warden() {
    let _ = reference_cli();
    let dir = tempfile::tempdir().unwrap();
    let mut keys = python_keys(dir.path());
    keys.push(create_key(dir.path(), "w256", None));
    keys.push(create_key(dir.path(), "w384", Some("p384")));
    for (key, public) in keys {
        let m = model(&dir.path().join(key.file_stem().unwrap()));
        let sig = m.join("model.sig");
        let (code, text) = reference(&["sign", "key", s(&m), "--signature", s(&sig), "--private_key", s(&key)]);
        assert_eq!(code, Some(0), "reference could not sign with {}: {text}", key.display());
        let (status, out, err) = run(&["verify", s(&m), "--key", s(&public)]);
        assert_eq!(status.code(), Some(0), "warden rejected the reference's signature ({}): {out}{err}", key.display());

        std::fs::write(m.join("weights/extra.bin"), b"changed").unwrap();
        std::fs::write(m.join("new.txt"), b"new").unwrap();
        std::fs::remove_file(m.join("a/c")).unwrap();
        let (status, out, _) = run(&["verify", s(&m), "--key", s(&public)]);
        assert_eq!(status.code(), Some(1), "{out}");
        assert!(out.contains("changed: weights/extra.bin"), "{out}");
        assert!(out.contains("added:   new.txt"), "{out}");
        assert!(out.contains("removed: a/c"), "{out}");
    }
}

// ---- P-521 keys (model-signing accepts secp521r1 with SHA-512) ----------------------

#[test]
fn p521_keys_interoperate_with_the_reference_tool() {
    let _ = reference_cli();
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = create_key(dir.path(), "w521", Some("p521"));
    let m = model(&dir.path().join("by-warden"));
    let sig = m.join("model.sig");
    let (status, out, err) = run(&["sign", s(&m), "--key", s(&key)]);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    let (code, text) = reference(&["verify", "key", s(&m), "--signature", s(&sig), "--public_key", s(&public)]);
    assert_eq!(code, Some(0), "reference rejected warden's P-521 signature: {text}");

    let m = model(&dir.path().join("by-reference"));
    let sig = m.join("model.sig");
    let (code, text) = reference(&["sign", "key", s(&m), "--signature", s(&sig), "--private_key", s(&key)]);
    assert_eq!(code, Some(0), "{text}");
    let (status, out, err) = run(&["verify", s(&m), "--key", s(&public)]);
    assert_eq!(status.code(), Some(0), "warden rejected the reference's P-521 signature: {out}{err}");
}

// ---- certificate mode ----------------------------------------------------------------

/// A team PKI made with rcgen: a root CA, an intermediate, a signing leaf (KeyUsage
/// digitalSignature, ExtendedKeyUsage codeSigning) and its key, all as PEM files; plus an
/// unrelated CA with its own leaf, and a leaf of the team intermediate that may not sign.
struct Pki {
    root: PathBuf,
    intermediate: PathBuf,
    leaf: PathBuf,
    leaf_key: PathBuf,
    other_root: PathBuf,
    other_leaf: PathBuf,
    other_leaf_key: PathBuf,
    tls_leaf: PathBuf,
    tls_leaf_key: PathBuf,
}

mod pki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        date_time_ymd,
    };
    use std::path::{Path, PathBuf};

    pub fn params(cn: &str, ca: bool) -> CertificateParams {
        let mut p = CertificateParams::default();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.distinguished_name.push(DnType::OrganizationName, "Warden Tests");
        p.not_before = date_time_ymd(2025, 1, 1);
        p.not_after = date_time_ymd(2035, 1, 1);
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        }
        p
    }

    pub fn signing_leaf(cn: &str) -> CertificateParams {
        let mut p = params(cn, false);
        p.not_before = date_time_ymd(2025, 6, 1);
        p.not_after = date_time_ymd(2027, 6, 1);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        p
    }

    pub struct Ca {
        params: CertificateParams,
        key: KeyPair,
    }

    impl Ca {
        /// A self-signed root; its certificate is written to `dir/name.pem`.
        pub fn root(dir: &Path, name: &str, cn: &str) -> (Ca, PathBuf) {
            let (params, key) = (params(cn, true), KeyPair::generate().unwrap());
            let pem = params.self_signed(&key).unwrap().pem();
            (Ca { params, key }, write(dir, &format!("{name}.pem"), &pem))
        }

        /// Issues a certificate for a fresh key: writes `dir/name.pem` and `dir/name.key`.
        pub fn issue(&self, dir: &Path, name: &str, params: CertificateParams) -> (Ca, PathBuf, PathBuf) {
            let key = KeyPair::generate().unwrap();
            let pem = params.signed_by(&key, &Issuer::from_params(&self.params, &self.key)).unwrap().pem();
            let cert = write(dir, &format!("{name}.pem"), &pem);
            let key_file = write(dir, &format!("{name}.key"), &key.serialize_pem());
            (Ca { params, key }, cert, key_file)
        }
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

fn pki(dir: &Path) -> Pki {
    use pki::{Ca, params, signing_leaf};
    let (root, root_pem) = Ca::root(dir, "root", "Team Root CA");
    let (int, int_pem, _) = root.issue(dir, "intermediate", params("Team Signing CA", true));
    let (_, leaf, leaf_key) = int.issue(dir, "leaf", signing_leaf("ml-release@example.com"));
    let (other, other_root) = Ca::root(dir, "other-root", "Someone Else's CA");
    let (_, other_leaf, other_leaf_key) = other.issue(dir, "other-leaf", signing_leaf("mallory@example.com"));
    let mut tls = params("tls.example.com", false);
    tls.key_usages = vec![rcgen::KeyUsagePurpose::KeyEncipherment];
    tls.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let (_, tls_leaf, tls_leaf_key) = int.issue(dir, "tls-leaf", tls);
    Pki {
        root: root_pem,
        intermediate: int_pem,
        leaf,
        leaf_key,
        other_root,
        other_leaf,
        other_leaf_key,
        tls_leaf,
        tls_leaf_key,
    }
}

/// `warden sign` in certificate mode with the intermediate in the chain.
fn warden_sign_cert(m: &Path, key: &Path, cert: &Path, chain: &Path) -> (Option<i32>, String) {
    let (status, out, err) = run(&["sign", s(m), "--key", s(key), "--certificate", s(cert), "--chain", s(chain)]);
    (status.code(), format!("{out}{err}"))
}

/// `model_signing sign certificate` with the intermediate in the chain.
fn reference_sign_cert(m: &Path, key: &Path, cert: &Path, chain: &Path) -> (Option<i32>, String) {
    reference(&[
        "sign",
        "certificate",
        s(m),
        "--signature",
        s(&m.join("model.sig")),
        "--private_key",
        s(key),
        "--signing_certificate",
        s(cert),
        "--certificate_chain",
        s(chain),
    ])
}

fn reference_verify_cert(m: &Path, root: &Path) -> (Option<i32>, String) {
    let sig = m.join("model.sig");
    reference(&["verify", "certificate", s(m), "--signature", s(&sig), "--certificate_chain", s(root)])
}

#[test]
fn certificate_mode_sign_then_verify_and_every_failure_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let m = model(dir.path());
    let (code, out) = warden_sign_cert(&m, &pki.leaf_key, &pki.leaf, &pki.intermediate);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("certificate CN=ml-release@example.com"), "{out}");
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(m.join("model.sig")).unwrap()).unwrap();
    assert_eq!(bundle["verificationMaterial"]["x509CertificateChain"]["certificates"].as_array().unwrap().len(), 2);

    let (status, out, err) = run(&["verify", s(&m), "--root", s(&pki.root)]);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    assert!(out.contains("signed by certificate CN=ml-release@example.com"), "{out}");
    assert!(out.contains("trusted root CN=Team Root CA") && out.contains("root.pem"), "{out}");
    // Keys and roots combine; a root file may hold several certificates.
    let (_, public) = create_key(dir.path(), "unrelated", None);
    let both = dir.path().join("roots.pem");
    let roots = std::fs::read_to_string(&pki.other_root).unwrap() + &std::fs::read_to_string(&pki.root).unwrap();
    std::fs::write(&both, roots).unwrap();
    let (status, out, err) = run(&["verify", s(&m), "--key", s(&public), "--root", s(&both)]);
    assert_eq!(status.code(), Some(0), "{out}{err}");

    // Another CA's root: not trusted, and the message says who issued what.
    let (status, out, _) = run(&["verify", s(&m), "--root", s(&pki.other_root)]);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("NOT VERIFIED") && out.contains("unknown issuer"), "{out}");
    assert!(out.contains("CN=Team Root CA") && out.contains("CN=Someone Else's CA"), "{out}");
    // Keys alone do not trust a certificate signature.
    let (status, out, _) = run(&["verify", s(&m), "--key", s(&public)]);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("no trusted root certificates"), "{out}");

    // Tamper: the file is named.
    std::fs::write(m.join("weights/model.safetensors"), vec![9u8; 4096]).unwrap();
    let (status, out, _) = run(&["verify", s(&m), "--root", s(&pki.root)]);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("changed: weights/model.safetensors"), "{out}");
}

#[test]
fn certificate_mode_refuses_bad_signing_material() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let m = model(dir.path());
    // A private key that is not the certificate's.
    let (code, out) = warden_sign_cert(&m, &pki.other_leaf_key, &pki.leaf, &pki.intermediate);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("the private key does not belong to the signing certificate"), "{out}");
    // A certificate that may not sign.
    let (code, out) = warden_sign_cert(&m, &pki.tls_leaf_key, &pki.tls_leaf, &pki.intermediate);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("may not sign") && out.contains("digitalSignature"), "{out}");
    // Not a certificate; a chain without a certificate; a root that is not PEM.
    let (code, out) = warden_sign_cert(&m, &pki.leaf_key, &pki.leaf_key, &pki.intermediate);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("no PEM CERTIFICATE block"), "{out}");
    let (status, _, err) = run(&["sign", s(&m), "--key", s(&pki.leaf_key), "--chain", s(&pki.intermediate)]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(!m.join("model.sig").exists(), "nothing is written on refusal");
    let (code, out) = warden_sign_cert(&m, &pki.leaf_key, &pki.leaf, &pki.intermediate);
    assert_eq!(code, Some(0), "{out}");
    let (status, _, err) = run(&["verify", s(&m), "--root", s(&pki.leaf_key)]);
    assert_eq!(status.code(), Some(2), "{err}");
    let (status, _, err) = run(&["verify", s(&m), "--root", s(&dir.path().join("missing.pem"))]);
    assert_eq!(status.code(), Some(2), "{err}");
}

#[test]
fn ignore_paths_leave_files_unsigned_for_both_tools() {
    let _ = reference_cli();
    let dir = tempfile::tempdir().unwrap();
    let m = model(dir.path());
    let (key, public) = create_key(dir.path(), "k", None);
    let (status, out, err) = run(&["sign", s(&m), "--key", s(&key), "--ignore-paths", s(&m.join("weights"))]);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    std::fs::write(m.join("weights/extra.bin"), b"not signed, may change").unwrap();
    let (status, out, _) = run(&["verify", s(&m), "--key", s(&public)]);
    assert_eq!(status.code(), Some(0), "{out}");
    let sig = m.join("model.sig");
    let (code, text) = reference(&["verify", "key", s(&m), "--signature", s(&sig), "--public_key", s(&public)]);
    assert_eq!(code, Some(0), "{text}");
    // A path outside the model is refused rather than silently signed.
    let (status, _, err) = run(&["sign", s(&m), "--key", s(&key), "--ignore-paths", s(dir.path())]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("not inside the model"), "{err}");
}

#[test]
fn certificate_mode_signed_by_warden_verifies_with_the_reference_tool() {
    let _ = reference_cli();
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let m = model(dir.path());
    let (code, out) = warden_sign_cert(&m, &pki.leaf_key, &pki.leaf, &pki.intermediate);
    assert_eq!(code, Some(0), "{out}");
    let (code, text) = reference_verify_cert(&m, &pki.root);
    assert_eq!(code, Some(0), "reference rejected warden's certificate signature: {text}");
    assert!(text.contains("Verification succeeded"), "{text}");
    // The reference does not trust it under another CA either.
    let (code, text) = reference_verify_cert(&m, &pki.other_root);
    assert_eq!(code, Some(1), "{text}");
    // Nor after tampering, and it names the file.
    std::fs::write(m.join("config.json"), b"{\"layers\": 3}\n").unwrap();
    let (code, text) = reference_verify_cert(&m, &pki.root);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("config.json"), "{text}");

    // A leaf from another CA, signed by warden: both tools refuse it under the team root.
    let m = model(&dir.path().join("other"));
    let (code, out) = warden_sign_cert(&m, &pki.other_leaf_key, &pki.other_leaf, &pki.other_root);
    assert_eq!(code, Some(0), "{out}");
    let (code, text) = reference_verify_cert(&m, &pki.root);
    assert_eq!(code, Some(1), "{text}");
    let (status, out, _) = run(&["verify", s(&m), "--root", s(&pki.root)]);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("CN=mallory@example.com") && out.contains("not trusted"), "{out}");
}

#[test]
fn certificate_mode_signed_by_the_reference_tool_verifies_with_warden() {
    let _ = reference_cli();
    let dir = tempfile::tempdir().unwrap();
    let pki = pki(dir.path());
    let m = model(dir.path());
    let (code, text) = reference_sign_cert(&m, &pki.leaf_key, &pki.leaf, &pki.intermediate);
    assert_eq!(code, Some(0), "{text}");
    let (status, out, err) = run(&["verify", s(&m), "--root", s(&pki.root)]);
    assert_eq!(status.code(), Some(0), "warden rejected the reference's certificate signature: {out}{err}");
    assert!(out.contains("CN=ml-release@example.com"), "{out}");
    let (status, out, _) = run(&["verify", s(&m), "--root", s(&pki.other_root)]);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("unknown issuer"), "{out}");

    std::fs::write(m.join("weights/extra.bin"), b"changed").unwrap();
    std::fs::write(m.join("new.txt"), b"new").unwrap();
    let (status, out, _) = run(&["verify", s(&m), "--root", s(&pki.root)]);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("changed: weights/extra.bin") && out.contains("added:   new.txt"), "{out}");

    // The reference also refuses a key that is not the certificate's.
    let m = model(&dir.path().join("wrong-key"));
    let (code, text) = reference_sign_cert(&m, &pki.other_leaf_key, &pki.leaf, &pki.intermediate);
    assert_ne!(code, Some(0), "{text}");

    // The reference signs with a certificate that may not sign; both tools refuse to verify it.
    let m = model(&dir.path().join("tls"));
    let (code, text) = reference_sign_cert(&m, &pki.tls_leaf_key, &pki.tls_leaf, &pki.intermediate);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = reference_verify_cert(&m, &pki.root);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("cannot be used for signing"), "{text}");
    let (status, out, _) = run(&["verify", s(&m), "--root", s(&pki.root)]);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains("CN=tls.example.com") && out.contains("may not sign"), "{out}");

    // A leaf of another CA signed by the reference: both refuse it under the team root.
    let m = model(&dir.path().join("other"));
    let (code, text) = reference_sign_cert(&m, &pki.other_leaf_key, &pki.other_leaf, &pki.other_root);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = reference_verify_cert(&m, &pki.root);
    assert_eq!(code, Some(1), "{text}");
    let (status, out, _) = run(&["verify", s(&m), "--root", s(&pki.root)]);
    assert_eq!(status.code(), Some(1), "{out}");
}

/// A P-521 root and intermediate CA and a P-521 signing leaf, the intermediate signed with
/// ecdsa-with-SHA512 and the leaf with ecdsa-with-SHA256 (`openssl`'s default digest),
/// written by the venv's Python `cryptography`: rcgen's ring backend cannot make P-521
/// certificates. Returns (root, intermediate, leaf, leaf key).
fn python_p521_pki(dir: &Path) -> [PathBuf; 4] {
    let python = reference_cli().with_file_name("python");
    let script = r#"
import sys, datetime
from cryptography import x509
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
from cryptography.hazmat.primitives import hashes, serialization as s
from cryptography.hazmat.primitives.asymmetric import ec
d = sys.argv[1]
name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
start, end = datetime.datetime(2025, 1, 1), datetime.datetime(2035, 1, 1)
root_key, int_key, leaf_key = (ec.generate_private_key(ec.SECP521R1()) for _ in range(3))
ku = lambda ds, cs: x509.KeyUsage(ds, False, False, False, False, cs, cs, False, False)
def cert(subject, issuer, key, issuer_key, serial, ca, digest):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
        .public_key(key.public_key()).serial_number(serial).not_valid_before(start).not_valid_after(end)
        .add_extension(ku(not ca, ca), critical=True))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    else:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
    return b.sign(issuer_key, digest)
root = cert("P-521 Root", "P-521 Root", root_key, root_key, 1, True, hashes.SHA256())
inter = cert("P-521 Intermediate", "P-521 Root", int_key, root_key, 2, True, hashes.SHA512())
leaf = cert("p521-signer", "P-521 Intermediate", leaf_key, int_key, 3, False, hashes.SHA256())
for n, c in [("root", root), ("int", inter), ("leaf", leaf)]:
    open(f"{d}/p521-{n}.pem", "wb").write(c.public_bytes(s.Encoding.PEM))
open(f"{d}/p521-leaf.key", "wb").write(leaf_key.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL, s.NoEncryption()))
"#;
    let out = Command::new(&python).arg("-c").arg(script).arg(dir).output().expect("the venv's python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    ["root.pem", "int.pem", "leaf.pem", "leaf.key"].map(|n| dir.join(format!("p521-{n}")))
}

#[test]
fn certificate_mode_with_a_p521_ca_and_leaf_interoperates() {
    let _ = reference_cli();
    let dir = tempfile::tempdir().unwrap();
    let [root, int, leaf, key] = python_p521_pki(dir.path());

    let m = model(&dir.path().join("by-warden"));
    let (code, out) = warden_sign_cert(&m, &key, &leaf, &int);
    assert_eq!(code, Some(0), "{out}");
    let (code, text) = reference_verify_cert(&m, &root);
    assert_eq!(code, Some(0), "reference rejected warden's P-521 certificate signature: {text}");
    let (status, out, err) = run(&["verify", s(&m), "--root", s(&root)]);
    assert_eq!(status.code(), Some(0), "{out}{err}");

    let m = model(&dir.path().join("by-reference"));
    let (code, text) = reference_sign_cert(&m, &key, &leaf, &int);
    assert_eq!(code, Some(0), "{text}");
    let (status, out, err) = run(&["verify", s(&m), "--root", s(&root)]);
    assert_eq!(status.code(), Some(0), "warden rejected the reference's P-521 certificate signature: {out}{err}");
}
