//! `warden signing-key create`, `warden sign` and `warden verify` as a user runs them, and
//! interoperability with the reference tool (OpenSSF `model-signing` 1.x, key mode) in both
//! directions. The interop tests need `WARDEN_MODEL_SIGNING_CLI` set to the `model_signing`
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
