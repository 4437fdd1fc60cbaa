//! mTLS against the real server: a test CA issues client certificates (SPIFFE URI
//! SAN, DNS SAN, common name only), a CRL revokes one, and the server maps
//! identities to scopes from a file.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, RevokedCertParams, SanType, SerialNumber,
};
use reqwest::StatusCode;

struct Pki {
    issuer: Issuer<'static, KeyPair>,
    ca_pem: String,
}

fn at(offset_secs: i64) -> time::OffsetDateTime {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    time::OffsetDateTime::from_unix_timestamp(now + offset_secs).unwrap()
}

impl Pki {
    fn new(name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let ca_pem = params.self_signed(&key).unwrap().pem();
        Pki { issuer: Issuer::new(params, key), ca_pem }
    }

    /// A client certificate and key, as one PEM for reqwest.
    fn client(&self, sans: Vec<SanType>, cn: &str, serial: u64) -> Vec<u8> {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.subject_alt_names = sans;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.serial_number = Some(SerialNumber::from(serial));
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        format!("{}{}", cert.pem(), key.serialize_pem()).into_bytes()
    }

    fn crl(&self, revoked: &[u64]) -> String {
        let params = CertificateRevocationListParams {
            this_update: at(-60),
            next_update: at(86_400),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|&s| RevokedCertParams {
                    serial_number: SerialNumber::from(s),
                    revocation_time: at(-30),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        params.signed_by(&self.issuer).unwrap().pem().unwrap()
    }
}

const SPIFFE: &str = "spiffe://warden.test/ns/prod/sa/batch";

fn uri(s: &str) -> SanType {
    SanType::URI(s.try_into().unwrap())
}

fn dns(s: &str) -> SanType {
    SanType::DnsName(s.try_into().unwrap())
}

/// A model repository with `open` and `secure` (require_both) copies of digits.
fn repository(dir: &Path) -> PathBuf {
    let repo = dir.join("models");
    for name in ["open", "secure"] {
        std::fs::create_dir_all(repo.join(name).join("1")).unwrap();
        std::fs::copy(model_repository().join("digits/1/model.onnx"), repo.join(name).join("1/model.onnx")).unwrap();
    }
    std::fs::write(repo.join("secure/config.toml"), "require_both = true\n").unwrap();
    repo
}

fn client(server: &Server, identity: Option<&[u8]>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&server.cert_pem()).unwrap());
    if let Some(pem) = identity {
        builder = builder.identity(reqwest::Identity::from_pem(pem).unwrap());
    }
    builder.build().unwrap()
}

struct Setup {
    _temp: tempfile::TempDir,
    pki: Pki,
    server: Server,
}

fn start(mode: &str) -> Setup {
    let temp = tempfile::tempdir().unwrap();
    let pki = Pki::new("Warden test CA");
    let write = |name: &str, text: &str| {
        let path = temp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let ca = write("ca.pem", &pki.ca_pem);
    let crl = write("crl.pem", &pki.crl(&[666]));
    let ids = write(
        "identities.toml",
        &format!("\"{SPIFFE}\" = [\"infer:open\", \"infer:secure\"]\n\"reports.example.test\" = [\"infer:open\"]\n"),
    );
    let repo = repository(temp.path());
    let server = Server::start_with(Options::args(&[
        "--tls-client-ca",
        &ca,
        "--tls-client-auth",
        mode,
        "--tls-crl",
        &crl,
        "--tls-identities",
        &ids,
        "--model-repository",
        repo.to_str().unwrap(),
    ]));
    Setup { _temp: temp, pki, server }
}

async fn status(client: &reqwest::Client, server: &Server, path: &str, key: Option<&str>) -> StatusCode {
    let mut request = client.get(server.endpoint(path));
    if let Some(k) = key {
        request = request.bearer_auth(k);
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn certificate_identities_and_scopes() {
    let Setup { pki, server, .. } = start("optional");
    let key = server.admin_key();

    let spiffe = client(&server, Some(&pki.client(vec![dns("svc.example.test"), uri(SPIFFE)], "svc", 10)));
    assert_eq!(status(&spiffe, &server, "/v2", None).await, StatusCode::OK);
    assert_eq!(status(&spiffe, &server, "/v2/models/open", None).await, StatusCode::OK);
    let digits = digits_request(&[vec![3.0; 64]]);
    let r = spiffe.post(server.endpoint("/v2/models/open/infer")).json(&digits).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // require_both: the certificate alone is not enough, the certificate and a key are.
    assert_eq!(status(&spiffe, &server, "/v2/models/secure", None).await, StatusCode::UNAUTHORIZED);
    let r =
        spiffe.post(server.endpoint("/v2/models/secure/infer")).bearer_auth(&key).json(&digits).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let reports = client(&server, Some(&pki.client(vec![dns("reports.example.test")], "reports", 11)));
    assert_eq!(status(&reports, &server, "/v2/models/open", None).await, StatusCode::OK);
    assert_eq!(status(&reports, &server, "/v2/models/secure", None).await, StatusCode::NOT_FOUND);
    // A key with the scope, but a certificate without it: require_both wants both.
    assert_eq!(status(&reports, &server, "/v2/models/secure", Some(&key)).await, StatusCode::UNAUTHORIZED);

    // Verified but not listed: authenticated, with no scope at all.
    let unlisted = client(&server, Some(&pki.client(vec![], "unlisted-job", 12)));
    assert_eq!(status(&unlisted, &server, "/v2", None).await, StatusCode::OK);
    assert_eq!(status(&unlisted, &server, "/v2/models/open", None).await, StatusCode::NOT_FOUND);

    // Optional mode: no certificate, a key still works, except where both are required.
    let plain = client(&server, None);
    assert_eq!(status(&plain, &server, "/v2/models/open", Some(&key)).await, StatusCode::OK);
    assert_eq!(status(&plain, &server, "/v2/models/secure", Some(&key)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&plain, &server, "/v2/models/open", None).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn revoked_and_foreign_certificates_fail_the_handshake() {
    let Setup { pki, server, .. } = start("optional");
    let revoked = client(&server, Some(&pki.client(vec![uri(SPIFFE)], "svc", 666)));
    assert!(revoked.get(server.endpoint("/v2/health/live")).send().await.is_err());
    let foreign = Pki::new("Another CA");
    let stranger = client(&server, Some(&foreign.client(vec![uri(SPIFFE)], "svc", 13)));
    assert!(stranger.get(server.endpoint("/v2/health/live")).send().await.is_err());
    let good = client(&server, Some(&pki.client(vec![uri(SPIFFE)], "svc", 14)));
    assert_eq!(status(&good, &server, "/v2/health/live", None).await, StatusCode::OK);
}

#[tokio::test]
async fn required_mode_refuses_clients_without_a_certificate() {
    let Setup { pki, server, .. } = start("required");
    let plain = client(&server, None);
    assert!(plain.get(server.endpoint("/v2/health/live")).send().await.is_err());
    let good = client(&server, Some(&pki.client(vec![uri(SPIFFE)], "svc", 15)));
    assert_eq!(status(&good, &server, "/v2/models/open", None).await, StatusCode::OK);
}

#[test]
fn broken_mtls_files_stop_the_start() {
    let temp = tempfile::tempdir().unwrap();
    let junk = temp.path().join("junk.pem");
    std::fs::write(&junk, "not pem").unwrap();
    let state = temp.path().join("state");
    for extra in [
        vec!["--tls-client-ca", junk.to_str().unwrap()],
        vec!["--tls-client-ca", junk.to_str().unwrap(), "--tls-crl", junk.to_str().unwrap()],
    ] {
        let (status, _, err) = refused_start(&state, &extra);
        assert_eq!(status, Some(1));
        assert!(err.contains("junk.pem"), "{err}");
    }
    let pki = Pki::new("ca");
    let ca = temp.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let ids = temp.path().join("ids.toml");
    std::fs::write(&ids, "\"x\" = [\"superuser\"]").unwrap();
    let (status, _, err) =
        refused_start(&state, &["--tls-client-ca", ca.to_str().unwrap(), "--tls-identities", ids.to_str().unwrap()]);
    assert_eq!(status, Some(1));
    assert!(err.contains("unknown scope 'superuser'"), "{err}");
}

/// The identities file is re-read when it changes; a broken one is refused and the
/// previous mapping stays.
#[tokio::test]
async fn identities_reload_when_the_file_changes() {
    let temp = tempfile::tempdir().unwrap();
    let pki = Pki::new("Warden test CA");
    let ca = temp.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let ids = temp.path().join("identities.toml");
    std::fs::write(&ids, format!("\"{SPIFFE}\" = []\n")).unwrap();
    let server = Server::start_with(Options::args(&[
        "--tls-client-ca",
        ca.to_str().unwrap(),
        "--tls-identities",
        ids.to_str().unwrap(),
    ]));
    let svc = client(&server, Some(&pki.client(vec![uri(SPIFFE)], "svc", 20)));
    assert_eq!(status(&svc, &server, "/v2/models/default", None).await, StatusCode::NOT_FOUND);

    std::fs::write(&ids, format!("\"{SPIFFE}\" = [\"infer:default\"]\n")).unwrap();
    let mut seen = StatusCode::NOT_FOUND;
    for _ in 0..100 {
        seen = status(&svc, &server, "/v2/models/default", None).await;
        if seen == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, StatusCode::OK);

    std::fs::write(&ids, "this is = not [ toml").unwrap();
    server.hangup();
    for _ in 0..100 {
        if server.stderr_text().contains("reload refused") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(server.stderr_text().contains("reload refused"));
    assert_eq!(status(&svc, &server, "/v2/models/default", None).await, StatusCode::OK);
}

/// `warden healthcheck` against a server that requires client certificates: refused
/// without one (the handshake fails: not ready), ready with one the CA issued.
#[test]
fn healthcheck_presents_a_client_certificate_when_required() {
    let Setup { pki, server, _temp } = start("required");
    let url = server.endpoint("/v2/health/ready");
    let cacert = server.state_dir.join("tls/cert.pem");
    let (status, _, err) = run(&["healthcheck", "--url", &url, "--cacert", cacert.to_str().unwrap()]);
    assert_eq!(status.code(), Some(1), "{err}");
    let identity = _temp.path().join("client.pem");
    std::fs::write(&identity, pki.client(vec![dns("probe.example.test")], "probe", 77)).unwrap();
    let (status, out, err) = run(&[
        "healthcheck",
        "--url",
        &url,
        "--cacert",
        cacert.to_str().unwrap(),
        "--cert",
        identity.to_str().unwrap(),
    ]);
    assert_eq!(status.code(), Some(0), "{out}{err}");
}
