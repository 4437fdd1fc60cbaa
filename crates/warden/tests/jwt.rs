//! JWTs against the real server: tokens signed with RSA, EC, Ed25519 and HMAC keys
//! the test makes, keys from a JWKS file, and every attack the issue names refused.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ISSUER: &str = "https://idp.test";
const SECRET: &str = "a-shared-secret-of-at-least-32-bytes!!";

struct Signer {
    kid: &'static str,
    alg: Algorithm,
    key: EncodingKey,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An RSA key from openssl (ring cannot generate RSA keys), with its JWK.
fn rsa_key(dir: &std::path::Path) -> (EncodingKey, Value, Vec<u8>) {
    let path = dir.join("rsa.pem");
    let ok = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(ok.success());
    let modulus =
        std::process::Command::new("openssl").args(["rsa", "-noout", "-modulus", "-in"]).arg(&path).output().unwrap();
    let hex_n = String::from_utf8(modulus.stdout).unwrap().trim().trim_start_matches("Modulus=").to_string();
    let n = hex::decode(hex_n).unwrap();
    let public =
        std::process::Command::new("openssl").args(["rsa", "-pubout", "-in"]).arg(&path).output().unwrap().stdout;
    let pem = std::fs::read(&path).unwrap();
    let jwk = json!({"kty": "RSA", "kid": "rsa-1", "use": "sig", "n": b64(&n), "e": b64(&[1, 0, 1])});
    (EncodingKey::from_rsa_pem(&pem).unwrap(), jwk, public)
}

fn ec_key(kid: &str, alg: &'static rcgen::SignatureAlgorithm, crv: &str) -> (EncodingKey, Value) {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let raw = key.public_key_raw();
    let half = (raw.len() - 1) / 2;
    let jwk = json!({"kty": "EC", "kid": kid, "crv": crv, "x": b64(&raw[1..1 + half]), "y": b64(&raw[1 + half..])});
    (EncodingKey::from_ec_pem(key.serialize_pem().as_bytes()).unwrap(), jwk)
}

fn ed_key() -> (EncodingKey, Value) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let jwk = json!({"kty": "OKP", "kid": "ed-1", "crv": "Ed25519", "x": b64(key.public_key_raw())});
    (EncodingKey::from_ed_pem(key.serialize_pem().as_bytes()).unwrap(), jwk)
}

struct Idp {
    signers: Vec<Signer>,
    rsa_public_pem: Vec<u8>,
    server: Server,
    _temp: tempfile::TempDir,
}

fn start() -> Idp {
    let temp = tempfile::tempdir().unwrap();
    let (rsa, rsa_jwk, rsa_public_pem) = rsa_key(temp.path());
    let (p256, p256_jwk) = ec_key("ec-256", &rcgen::PKCS_ECDSA_P256_SHA256, "P-256");
    let (p384, p384_jwk) = ec_key("ec-384", &rcgen::PKCS_ECDSA_P384_SHA384, "P-384");
    let (ed, ed_jwk) = ed_key();
    let jwks = temp.path().join("jwks.json");
    std::fs::write(&jwks, json!({"keys": [rsa_jwk, p256_jwk, p384_jwk, ed_jwk]}).to_string()).unwrap();
    let secret = temp.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let server = Server::start_with(Options::args(&[
        "--jwt-jwks",
        jwks.to_str().unwrap(),
        "--auth-jwt-hmac-secret-file",
        secret.to_str().unwrap(),
        "--jwt-issuer",
        ISSUER,
        "--jwt-audience",
        "warden",
        "--auth-max-failures",
        "1000",
    ]));
    let rsa_signers = [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256].map(|alg| Signer {
        kid: "rsa-1",
        alg,
        key: rsa.clone(),
    });
    let mut signers: Vec<Signer> = rsa_signers.into_iter().collect();
    signers.push(Signer { kid: "ec-256", alg: Algorithm::ES256, key: p256 });
    signers.push(Signer { kid: "ec-384", alg: Algorithm::ES384, key: p384 });
    signers.push(Signer { kid: "ed-1", alg: Algorithm::EdDSA, key: ed });
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        signers.push(Signer { kid: "", alg, key: EncodingKey::from_secret(SECRET.as_bytes()) });
    }
    Idp { signers, rsa_public_pem, server, _temp: temp }
}

fn claims() -> Value {
    let now = get_current_timestamp();
    json!({"iss": ISSUER, "aud": "warden", "sub": "alice", "iat": now, "exp": now + 600, "scope": "openid infer:default"})
}

fn sign(signer: &Signer, claims: &Value) -> String {
    let mut header = Header::new(signer.alg);
    if !signer.kid.is_empty() {
        header.kid = Some(signer.kid.to_string());
    }
    encode(&header, claims, &signer.key).unwrap()
}

async fn get(server: &Server, path: &str, token: &str) -> reqwest::Response {
    server.client().get(server.endpoint(path)).bearer_auth(token).send().await.unwrap()
}

#[tokio::test]
async fn tokens_from_every_algorithm_are_accepted() {
    let idp = start();
    for signer in &idp.signers {
        let token = sign(signer, &claims());
        let r = get(&idp.server, "/v2/models/default", &token).await;
        assert_eq!(r.status(), StatusCode::OK, "{:?}", signer.alg);
    }
    let token = sign(&idp.signers[0], &claims());
    let r = idp.server.post_json("/v2/models/default/infer", &token, &digits_request(&[vec![1.0; 64]])).await;
    assert_eq!(r.status(), StatusCode::OK);
    // The scope in the token decides: infer:default does not reach another model.
    let mut other = claims();
    other["scope"] = json!("infer:other");
    let r = get(&idp.server, "/v2/models/default", &sign(&idp.signers[4], &other)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn attacks_are_refused_with_invalid_token() {
    let idp = start();
    let rsa = &idp.signers[0];
    let good = sign(rsa, &claims());
    let parts: Vec<&str> = good.split('.').collect();
    let with = |key: &str, value: Value| {
        let mut c = claims();
        c[key] = value;
        sign(rsa, &c)
    };
    let now = get_current_timestamp();
    let none_header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    // Algorithm confusion: an HMAC token keyed with the RSA public key, naming its kid.
    let confused = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("rsa-1".into());
        encode(&header, &claims(), &EncodingKey::from_secret(&idp.rsa_public_pem)).unwrap()
    };
    let tampered = {
        let mut c = claims();
        c["scope"] = json!("admin");
        let payload = b64(c.to_string().as_bytes());
        format!("{}.{payload}.{}", parts[0], parts[2])
    };
    let unknown_kid = {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("rotated-away".into());
        encode(&header, &claims(), &rsa.key).unwrap()
    };
    let oversized = with("padding", json!("x".repeat(9000)));
    let cases: Vec<(&str, String)> = vec![
        ("alg none", format!("{none_header}.{}.", parts[1])),
        ("alg none with a signature", format!("{none_header}.{}.{}", parts[1], parts[2])),
        ("algorithm confusion", confused),
        ("expired", with("exp", json!(now - 3600))),
        ("not yet valid", with("nbf", json!(now + 3600))),
        ("issued in the future", with("iat", json!(now + 3600))),
        ("wrong issuer", with("iss", json!("https://evil.test"))),
        ("wrong audience", with("aud", json!("another-app"))),
        ("tampered payload", tampered),
        ("stripped signature", format!("{}.{}.", parts[0], parts[1])),
        ("unknown kid", unknown_kid),
        ("oversized", oversized),
        ("crit header", format!("{}.{}.{}", b64(br#"{"alg":"RS256","kid":"rsa-1","crit":["x"]}"#), parts[1], parts[2])),
        ("duplicate header field", format!("{}.{}.{}", b64(br#"{"alg":"RS256","alg":"HS256"}"#), parts[1], parts[2])),
        ("malformed base64", format!("{}.%%%.{}", parts[0], parts[2])),
        ("not a jwt", "garbage".into()),
    ];
    for (name, token) in cases {
        let r = get(&idp.server, "/v2/models/default", &token).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{name}");
        let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_string();
        assert!(challenge.contains("invalid_token"), "{name}: {challenge}");
    }
}

#[test]
fn jwt_settings_are_checked_at_start() {
    let temp = tempfile::tempdir().unwrap();
    let jwks = temp.path().join("jwks.json");
    std::fs::write(&jwks, r#"{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "alg": "HS256"}]}"#).unwrap();
    let state = temp.path().join("state");
    let (status, _, err) = refused_start(&state, &["--jwt-jwks", jwks.to_str().unwrap()]);
    assert_eq!(status, Some(2));
    assert!(err.contains("auth.jwt.issuer") && err.contains("auth.jwt.audience"), "{err}");
    let jwks = jwks.to_str().unwrap();
    let (status, _, err) = refused_start(&state, &["--jwt-jwks", jwks, "--jwt-issuer", ISSUER, "--jwt-audience", "w"]);
    assert_eq!(status, Some(1));
    assert!(err.contains("does not fit the key type"), "{err}");
}

/// A tiny OIDC provider over HTTPS: discovery at /.well-known/openid-configuration,
/// keys at /keys (replaceable), and a count of fetches.
struct Provider {
    issuer: String,
    ca_pem: String,
    jwks: std::sync::Arc<std::sync::Mutex<Value>>,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

async fn provider(jwks: Value) -> Provider {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = generated.cert.der().clone();
    let key = rustls_pki_types::PrivateKeyDer::try_from(generated.signing_key.serialize_der()).unwrap();
    let config =
        rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("https://{}", listener.local_addr().unwrap());
    let jwks = std::sync::Arc::new(std::sync::Mutex::new(jwks));
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (served, counter, iss) = (jwks.clone(), hits.clone(), issuer.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, served, counter, iss) = (acceptor.clone(), served.clone(), counter.clone(), iss.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = vec![0u8; 4096];
                let n = tls.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                counter.fetch_add(1, Ordering::SeqCst);
                let body = if head.starts_with("GET /.well-known/openid-configuration ") {
                    json!({"issuer": iss, "jwks_uri": format!("{iss}/keys")}).to_string()
                } else if head.starts_with("GET /keys ") {
                    served.lock().unwrap().to_string()
                } else {
                    String::new()
                };
                let status = if body.is_empty() { "404 Not Found" } else { "200 OK" };
                let answer = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Provider { issuer, ca_pem: generated.cert.pem(), jwks, hits }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_from_oidc_discovery_follow_rotation() {
    use std::sync::atomic::Ordering;
    let (old_key, old_jwk) = ec_key("old", &rcgen::PKCS_ECDSA_P256_SHA256, "P-256");
    let (new_key, new_jwk) = ec_key("new", &rcgen::PKCS_ECDSA_P256_SHA256, "P-256");
    let idp = provider(json!({"keys": [old_jwk.clone()]})).await;
    let temp = tempfile::tempdir().unwrap();
    let ca = temp.path().join("idp-ca.pem");
    std::fs::write(&ca, &idp.ca_pem).unwrap();
    let server = Server::start_with(Options::args(&[
        "--jwt-discovery",
        "--jwt-issuer",
        &idp.issuer,
        "--jwt-audience",
        "warden",
        "--jwt-ca-file",
        ca.to_str().unwrap(),
        "--auth-max-failures",
        "1000",
    ]));
    assert_eq!(idp.hits.load(Ordering::SeqCst), 2, "discovery, then keys");
    let mut c = claims();
    c["iss"] = json!(idp.issuer);
    let old = sign(&Signer { kid: "old", alg: Algorithm::ES256, key: old_key }, &c);
    assert_eq!(get(&server, "/v2/models/default", &old).await.status(), StatusCode::OK);

    // The provider rotates; a token with the new kid triggers a fetch.
    *idp.jwks.lock().unwrap() = json!({"keys": [old_jwk, new_jwk]});
    let new = sign(&Signer { kid: "new", alg: Algorithm::ES256, key: new_key }, &c);
    let mut seen = StatusCode::UNAUTHORIZED;
    for _ in 0..100 {
        seen = get(&server, "/v2/models/default", &new).await.status();
        if seen == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, StatusCode::OK);
    let after_rotation = idp.hits.load(Ordering::SeqCst);
    assert_eq!(after_rotation, 4);

    // A flood of unknown kids does not reach the provider again within 30 s.
    for i in 0..20 {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(format!("random-{i}"));
        let token = encode(&header, &c, &EncodingKey::from_secret(b"whatever-secret-whatever-secret!")).unwrap();
        assert_eq!(get(&server, "/v2/models/default", &token).await.status(), StatusCode::UNAUTHORIZED);
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(idp.hits.load(Ordering::SeqCst), after_rotation);
}

#[test]
fn an_unreachable_provider_stops_the_start() {
    let temp = tempfile::tempdir().unwrap();
    let (status, _, err) = refused_start(
        &temp.path().join("s"),
        &["--jwt-jwks", "https://127.0.0.1:9/keys", "--jwt-issuer", ISSUER, "--jwt-audience", "warden"],
    );
    assert_eq!(status, Some(1));
    assert!(err.contains("https://127.0.0.1:9/keys"), "{err}");
}
