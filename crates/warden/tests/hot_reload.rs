//! Safe hot reload, black-box: a running server keeps serving version 1 while a
//! broken and then an unsigned version 2 are dropped into its repository, then
//! moves to a good, signed version 2, with no failed request under load. Also the
//! repository API (admin only), SIGHUP, version policies, and signature checks at
//! start.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Options, Server, create_key, digits_request, fixtures, refused_start, row, run};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `warden signing-key create DIR/signer`: (private, public).
fn signing_key(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let prefix = dir.join(name);
    let (status, out, err) = run(&["signing-key", "create", s(&prefix)]);
    assert!(status.success(), "{out}{err}");
    (dir.join(format!("{name}.key")), dir.join(format!("{name}.pub")))
}

fn sign(version_dir: &Path, key: &Path) {
    let (status, out, err) = run(&["sign", s(version_dir), "--key", s(key)]);
    assert!(status.success(), "{out}{err}");
}

/// Writes `repo/<model>/<version>/model.onnx` from a digits fixture version.
fn put_version(repo: &Path, model: &str, version: u64, fixture_version: u64) -> PathBuf {
    let dir = repo.join(model).join(version.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let source = fixtures().join(format!("models/digits/{fixture_version}/model.onnx"));
    std::fs::copy(source, dir.join("model.onnx")).unwrap();
    dir
}

/// Starts a server on `repo` with the given extra flags, reloading 200ms after a change.
fn serve(repo: &Path, extra: &[&str]) -> Server {
    // No rate limit: the load below asks as fast as it can.
    let mut args = vec!["--model-repository", s(repo), "--models-reload-delay", "200ms", "--limits-rate", "off"];
    args.extend_from_slice(extra);
    Server::start_with(Options::args(&args))
}

/// Polls until `done` holds, for at most 30 seconds.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < Duration::from_secs(30), "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn rejections(server: &Server, model: &str) -> Vec<Value> {
    server.audit_records().into_iter().filter(|r| r["kind"] == "model_rejected" && r["model"] == model).collect()
}

/// Which version answers an inference on `m`.
async fn serving(server: &Server, key: &str) -> String {
    let r = server.post_json("/v2/models/m/infer", key, &digits_request(&[row()])).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["model_version"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_one_serves_until_a_good_signed_version_two_with_no_failed_request() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let (private, public) = signing_key(dir.path(), "release");
    sign(&put_version(&repo, "m", 1, 1), &private);
    let server = Arc::new(serve(&repo, &["--models-require-signature", "--models-trusted-keys", s(&public)]));
    let key = server.admin_key();
    assert_eq!(serving(&server, &key).await, "1");

    // Load: four clients ask without pause for the whole test; every answer must be a 200.
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (server, key, stop) = (server.clone(), key.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            let client = server.client();
            while !stop.load(Ordering::Relaxed) {
                let r = client
                    .post(server.endpoint("/v2/models/m/infer"))
                    .bearer_auth(&key)
                    .json(&digits_request(&[row()]))
                    .send()
                    .await
                    .expect("the server answers");
                let status = r.status();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                assert_eq!(status, StatusCode::OK, "a request failed during the reload: {body}");
                seen.push(body["model_version"].as_str().unwrap().to_string());
            }
            seen
        }));
    }

    // A broken version 2, half-written garbage: rejected, version 1 keeps serving.
    let v2 = repo.join("m/2");
    std::fs::create_dir_all(&v2).unwrap();
    std::fs::write(v2.join("model.onnx"), b"\x08\x07half a model").unwrap();
    eventually("the broken version 2 is rejected", async || !rejections(&server, "m").is_empty()).await;
    let first = &rejections(&server, "m")[0];
    assert_eq!(first["version"], "2");
    assert_eq!((first["step"].as_str(), first["rule"].as_str()), (Some("signature"), Some("unsigned")), "{first}");
    assert!(first["file"].as_str().unwrap().ends_with("m/2/model.sig"), "{first}");
    assert_eq!(serving(&server, &key).await, "1");

    // A valid model but unsigned, then signed by a key the server does not trust.
    put_version(&repo, "m", 2, 2);
    eventually("the unsigned version 2 is rejected", async || rejections(&server, "m").len() >= 2).await;
    let (stranger, _) = signing_key(dir.path(), "stranger");
    sign(&v2, &stranger);
    eventually("the foreign signature is rejected", async || {
        rejections(&server, "m").iter().any(|r| r["rule"] == "untrusted-key")
    })
    .await;
    assert_eq!(serving(&server, &key).await, "1");

    // Signed by the trusted key: traffic moves to version 2.
    std::fs::remove_file(v2.join("model.sig")).unwrap();
    sign(&v2, &private);
    eventually("version 2 serves", async || serving(&server, &key).await == "2").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    for c in clients {
        seen.extend(c.await.expect("no client saw a failed request"));
    }
    assert!(seen.iter().any(|v| v == "1") && seen.iter().any(|v| v == "2"), "both versions answered under load");
    assert!(seen.len() > 50, "the load ran: {} requests", seen.len());

    let records = server.audit_records();
    assert!(records.iter().any(|r| r["kind"] == "model_loaded" && r["model"] == "m" && r["version"] == "2"));
    assert!(records.iter().any(|r| r["kind"] == "model_unloaded" && r["model"] == "m" && r["version"] == "1"));
    let metrics = reqwest::get(server.metrics_url.clone().unwrap()).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("warden_model_rejected_total{model=\"m\",step=\"signature\"}"), "{metrics}");
    assert!(metrics.contains("warden_model_loaded{model=\"m\",version=\"2\"} 1"), "{metrics}");
    assert!(!metrics.contains("warden_model_loaded{model=\"m\",version=\"1\"}"), "{metrics}");
}

#[tokio::test]
async fn a_file_changed_after_signing_is_refused_and_the_signed_one_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let (private, public) = signing_key(dir.path(), "release");
    let v1 = put_version(&repo, "m", 1, 1);
    sign(&v1, &private);
    let server = serve(&repo, &["--models-require-signature", "--models-trusted-keys", s(&public)]);
    let key = server.admin_key();
    // Swap the model file in place for another valid model: the signature no longer matches.
    std::fs::copy(fixtures().join("models/digits/2/model.onnx"), v1.join("model.onnx.new")).unwrap();
    std::fs::rename(v1.join("model.onnx.new"), v1.join("model.onnx")).unwrap();
    eventually("the swapped file is rejected", async || !rejections(&server, "m").is_empty()).await;
    let r = &rejections(&server, "m")[0];
    assert_eq!(r["rule"], "changed-after-signing", "{r}");
    assert!(r["error"].as_str().unwrap().contains("changed: model.onnx"), "{r}");
    // The version loaded before the swap still answers; the index tells the admin.
    assert_eq!(serving(&server, &key).await, "1");
    let index: Value = server.post_json("/v2/repository/index", &key, &json!({})).await.json().await.unwrap();
    assert_eq!(index[0]["name"], "m");
    assert_eq!(index[0]["state"], "READY");
    assert!(index[0]["reason"].as_str().unwrap().contains("rejected"), "{index}");
}

#[tokio::test]
async fn the_repository_api_is_for_admins_and_loads_unloads_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    put_version(&repo, "m", 1, 1);
    put_version(&repo, "other", 1, 1);
    let server = serve(&repo, &["--models-watch=false"]);
    let admin = server.admin_key();
    let user = create_key(&server.state_dir, "user", &["infer:*"]);
    assert_eq!(server.await_status("/v2", &user, StatusCode::OK).await, StatusCode::OK);

    for path in ["/v2/repository/index", "/v2/repository/models/m/unload", "/v2/repository/models/m/load"] {
        let r = server.post_json(path, &user, &json!({})).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let index: Value =
        server.post_json("/v2/repository/index", &admin, &json!({"ready": true})).await.json().await.unwrap();
    assert_eq!(
        index,
        json!([{"name": "m", "version": "1", "state": "READY"}, {"name": "other", "version": "1", "state": "READY"}])
    );

    let r = server.post_json("/v2/repository/models/m/unload", &admin, &json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = server.post_json("/v2/models/m/infer", &user, &digits_request(&[row()])).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = server.post_json("/v2/repository/models/m/unload", &admin, &json!({})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "unloading twice says so");

    // Load reads the repository now: a new version 2 comes with it.
    put_version(&repo, "m", 2, 2);
    let r = server.post_json("/v2/repository/models/m/load", &admin, &Value::Null).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(serving(&server, &user).await, "2");

    // File uploads and config overrides through the API are refused.
    let r = server
        .post_json("/v2/repository/models/m/load", &admin, &json!({"parameters": {"file:1/model.onnx": "AAAA"}}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // A load that fails names the reason and leaves the model serving.
    std::fs::create_dir_all(repo.join("m/3")).unwrap();
    std::fs::write(repo.join("m/3/model.onnx"), b"not onnx").unwrap();
    let r = server.post_json("/v2/repository/models/m/load", &admin, &json!({})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let error = r.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string();
    assert!(error.contains("version 3"), "{error}");
    assert_eq!(serving(&server, &user).await, "2");
    let r = server.post_json("/v2/repository/models/nope/load", &admin, &json!({})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = server.post_json("/v2/repository/index", &admin, &json!({"bogus": 1})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let meta: Value = server.get_json("/v2", &admin).await;
    assert_eq!(meta["extensions"], json!(["binary_tensor_data", "model_repository"]));
}

#[tokio::test]
async fn sighup_reloads_when_watching_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    put_version(&repo, "m", 1, 1);
    let server = serve(&repo, &["--models-watch=false"]);
    let key = server.admin_key();
    put_version(&repo, "m", 2, 2);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(serving(&server, &key).await, "1", "nothing reloads without a trigger");
    server.hangup();
    eventually("SIGHUP loads version 2", async || serving(&server, &key).await == "2").await;
    let loaded = server.audit_records().into_iter().find(|r| r["kind"] == "model_loaded").unwrap();
    assert_eq!(loaded["trigger"], "SIGHUP");
}

#[tokio::test]
async fn version_policies_choose_what_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    for v in 1..=3 {
        for model in ["latest", "two", "list", "all"] {
            put_version(&repo, model, v, 1 + (v % 2));
        }
    }
    for (model, policy) in [("two", "{ latest = 2 }"), ("list", "[1, 3]"), ("all", "\"all\"")] {
        std::fs::write(repo.join(model).join("config.toml"), format!("versions = {policy}\n")).unwrap();
    }
    let server = serve(&repo, &["--models-watch=false"]);
    let key = server.admin_key();
    for (model, versions) in [
        ("latest", json!(["3"])),
        ("two", json!(["2", "3"])),
        ("list", json!(["1", "3"])),
        ("all", json!(["1", "2", "3"])),
    ] {
        let meta = server.get_json(&format!("/v2/models/{model}"), &key).await;
        assert_eq!(meta["versions"], versions, "{model}");
    }
}

#[test]
fn unsigned_or_self_vouching_models_do_not_start_a_server_that_requires_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let (private, public) = signing_key(dir.path(), "release");
    put_version(&repo, "m", 1, 1);
    let flags = ["--model-repository", s(&repo), "--models-require-signature"];

    let (code, _, err) = refused_start(&dir.path().join("s1"), &flags);
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("models.require_signature needs models.trusted_keys or models.trusted_roots"), "{err}");

    let mut with_key = flags.to_vec();
    with_key.extend(["--models-trusted-keys", s(&public)]);
    let (code, _, err) = refused_start(&dir.path().join("s2"), &with_key);
    assert_ne!(code, Some(0));
    assert!(err.contains("model m version 1") && err.contains("not signed"), "{err}");
    let audit = std::fs::read_to_string(dir.path().join("s2/audit/audit.jsonl")).unwrap();
    assert!(audit.contains("\"kind\":\"model_rejected\"") && audit.contains("\"rule\":\"unsigned\""), "{audit}");

    // Signed, but the model's own config tries to turn the requirement off.
    sign(&repo.join("m/1"), &private);
    std::fs::write(repo.join("m/config.toml"), "[signature]\nrequired = false\n").unwrap();
    let (_, _, err) = refused_start(&dir.path().join("s3"), &with_key);
    assert!(err.contains("cannot turn that off"), "{err}");

    // ...or to trust a key of its own.
    let (_, own) = signing_key(&repo.join("m"), "own");
    std::fs::write(repo.join("m/config.toml"), "[signature]\ntrusted_keys = [\"own.pub\"]\n").unwrap();
    let (_, _, err) = refused_start(&dir.path().join("s4"), &with_key);
    assert!(err.contains("not one of the server's models.trusted_keys"), "{err} {}", own.display());

    // Naming one of the server's keys is fine, and the signed model serves.
    std::fs::copy(&public, repo.join("m/release.pub")).unwrap();
    std::fs::write(repo.join("m/config.toml"), "[signature]\ntrusted_keys = [\"release.pub\"]\n").unwrap();
    let server = Server::start_with(Options::args(&with_key));
    drop(server);
}

/// A root CA and a code-signing leaf it issued, as PEM files: (root, leaf, leaf key).
fn team_pki(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let mut root = CertificateParams::default();
    root.distinguished_name.push(DnType::CommonName, format!("{name} root"));
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let root_key = KeyPair::generate().unwrap();
    let root_pem = root.self_signed(&root_key).unwrap().pem();
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name.push(DnType::CommonName, format!("{name} release"));
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_pem = leaf.signed_by(&leaf_key, &Issuer::from_params(&root, &root_key)).unwrap().pem();
    let write = |file: &str, text: &str| {
        let p = dir.join(format!("{name}-{file}"));
        std::fs::write(&p, text).unwrap();
        p
    };
    (write("root.pem", &root_pem), write("leaf.pem", &leaf_pem), write("leaf.key", &leaf_key.serialize_pem()))
}

#[tokio::test]
async fn certificate_signed_models_serve_when_their_chain_ends_at_a_trusted_root() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let (root, leaf, leaf_key) = team_pki(dir.path(), "team");
    let (_, other_leaf, other_key) = team_pki(dir.path(), "other");
    let v1 = put_version(&repo, "m", 1, 1);
    let (status, out, err) =
        run(&["sign", s(&v1), "--key", s(&leaf_key), "--certificate", s(&leaf), "--chain", s(&root)]);
    assert!(status.success(), "{out}{err}");
    let server = serve(&repo, &["--models-require-signature", "--models-trusted-roots", s(&root)]);
    let key = server.admin_key();
    assert_eq!(serving(&server, &key).await, "1");

    // A version 2 signed under another CA is refused; version 1 keeps serving.
    let v2 = put_version(&repo, "m", 2, 2);
    let (status, out, err) =
        run(&["sign", s(&v2), "--key", s(&other_key), "--certificate", s(&other_leaf), "--chain", s(&other_leaf)]);
    assert!(status.success(), "{out}{err}");
    eventually("the foreign certificate is rejected", async || {
        rejections(&server, "m").iter().any(|r| r["rule"] == "untrusted-certificate")
    })
    .await;
    assert_eq!(serving(&server, &key).await, "1");
}
