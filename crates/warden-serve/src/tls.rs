//! TLS: rustls with the ring provider, TLS 1.2 and 1.3 only, and only the
//! forward-secret AEAD suites (rustls offers no others). With no certificate
//! configured, a self-signed one is generated into the state dir once and reused.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use warden_guard::write_private;

use crate::error::SetupError;

/// Where the certificate and key come from, and the leaf's fingerprint to print.
pub struct TlsMaterial {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub generated: bool,
    pub fingerprint: String,
}

/// How long a generated certificate is valid, and how close to its end a start
/// replaces it. Browsers and scanners flag certificates valid for over 398 days.
const VALIDITY_SECS: i64 = 365 * 86_400;
const RENEW_BEFORE_SECS: i64 = 30 * 86_400;

/// Returns the configured certificate, or the state dir's self-signed one,
/// generating it on first use and renewing it when it is within 30 days of expiry.
pub fn material(state_dir: &Path, cert: Option<&Path>, key: Option<&Path>) -> Result<TlsMaterial, SetupError> {
    let (cert, key, generated) = match (cert, key) {
        (Some(c), Some(k)) => (c.to_path_buf(), k.to_path_buf(), false),
        _ => {
            let dir = state_dir.join("tls");
            let (c, k, expires) = (dir.join("cert.pem"), dir.join("key.pem"), dir.join("expires"));
            let generated = !c.exists() || !k.exists() || expires_soon(&expires);
            if generated {
                generate_self_signed(&dir, &c, &k, &expires)?;
            }
            (c, k, generated)
        }
    };
    let chain = read_chain(&cert)?;
    let fingerprint = fingerprint(&chain[0]);
    Ok(TlsMaterial { cert, key, generated, fingerprint })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// True when the generated certificate's recorded expiry (unix seconds) is near,
/// or unknown: a certificate of unknown age is replaced rather than trusted.
fn expires_soon(path: &Path) -> bool {
    let expiry = std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse::<i64>().ok());
    expiry.is_none_or(|t| t - unix_now() < RENEW_BEFORE_SECS)
}

fn generate_self_signed(dir: &Path, cert: &Path, key: &Path, expires: &Path) -> Result<(), SetupError> {
    let tls = |e: rcgen::Error| SetupError::Tls(e.to_string());
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    let mut params = rcgen::CertificateParams::new(names).map_err(tls)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, "warden self-signed");
    let now = unix_now();
    let at = |t: i64| time::OffsetDateTime::from_unix_timestamp(t).map_err(|e| SetupError::Tls(e.to_string()));
    params.not_before = at(now - 3600)?;
    params.not_after = at(now + VALIDITY_SECS)?;
    let signing_key = rcgen::KeyPair::generate().map_err(tls)?;
    let certificate = params.self_signed(&signing_key).map_err(tls)?;
    crate::state::create_private_dir(dir)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SetupError::Io { path, source }
    };
    write_private(key, signing_key.serialize_pem().as_bytes()).map_err(io(key))?;
    write_private(cert, certificate.pem().as_bytes()).map_err(io(cert))?;
    write_private(expires, (now + VALIDITY_SECS).to_string().as_bytes()).map_err(io(expires))?;
    Ok(())
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, SetupError> {
    read_pem(path, "PEM certificate")
}

/// Every PEM object of one kind in a file; a file holding none is an error, so a
/// wrong path or an empty file never silently means "trust nothing" or "revoke nothing".
fn read_pem<T: PemObject>(path: &Path, what: &str) -> Result<Vec<T>, SetupError> {
    let bad = |m: String| SetupError::Tls(format!("{}: {m}", path.display()));
    let items = T::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if items.is_empty() {
        return Err(bad(format!("holds no {what}")));
    }
    Ok(items)
}

/// SHA-256 of the certificate's DER, as colon-separated upper-case hex (what
/// `openssl x509 -fingerprint -sha256` prints).
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    let digest = Sha256::digest(cert.as_ref());
    digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// Which client certificates to accept (mTLS).
pub struct ClientCertPolicy<'a> {
    pub ca: &'a Path,
    pub required: bool,
    pub crl: Option<&'a Path>,
}

/// A rustls server configuration for the material, offering h2 and http/1.1,
/// verifying client certificates when a policy is given.
pub fn server_config(
    material: &TlsMaterial,
    clients: Option<&ClientCertPolicy<'_>>,
) -> Result<Arc<ServerConfig>, SetupError> {
    let chain = read_chain(&material.cert)?;
    let key = PrivateKeyDer::from_pem_file(&material.key)
        .map_err(|e| SetupError::Tls(format!("{}: {e}", material.key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| SetupError::Tls(e.to_string()))?;
    let builder = match clients {
        Some(policy) => builder.with_client_cert_verifier(client_verifier(policy, provider)?),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| SetupError::Tls(format!("certificate and key do not form a usable pair: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // The server's order (rustls lists the strongest suites first) wins over the
    // client's, so a client cannot steer the handshake to its weakest choice.
    config.ignore_client_order = true;
    Ok(Arc::new(config))
}

/// Verifies client chains against the CA bundle and, when given, the CRLs: a
/// revoked certificate fails the handshake.
fn client_verifier(
    policy: &ClientCertPolicy<'_>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, SetupError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in read_chain(policy.ca)? {
        roots.add(cert).map_err(|e| SetupError::Tls(format!("{}: {e}", policy.ca.display())))?;
    }
    let crls: Vec<CertificateRevocationListDer<'static>> = match policy.crl {
        None => Vec::new(),
        Some(path) => read_pem(path, "PEM certificate revocation list")?,
    };
    let mut builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).with_crls(crls);
    if !policy.required {
        builder = builder.allow_unauthenticated();
    }
    builder.build().map_err(|e| SetupError::Tls(format!("client verification: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_and_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let first = material(dir.path(), None, None).unwrap();
        assert!(first.generated);
        let second = material(dir.path(), None, None).unwrap();
        assert!(!second.generated);
        assert_eq!(first.fingerprint, second.fingerprint);
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        server_config(&second, None).unwrap();
        use std::os::unix::fs::PermissionsExt;
        for f in [&first.cert, &first.key] {
            assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn renews_when_close_to_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let first = material(dir.path(), None, None).unwrap();
        let expires = dir.path().join("tls/expires");
        let recorded: i64 = std::fs::read_to_string(&expires).unwrap().parse().unwrap();
        assert!((recorded - unix_now() - VALIDITY_SECS).abs() < 60);
        std::fs::write(&expires, (unix_now() + 86_400).to_string()).unwrap();
        let renewed = material(dir.path(), None, None).unwrap();
        assert!(renewed.generated);
        assert_ne!(renewed.fingerprint, first.fingerprint);
        std::fs::remove_file(&expires).unwrap();
        assert!(material(dir.path(), None, None).unwrap().generated);
    }

    #[test]
    fn rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        assert!(material(dir.path(), Some(&cert), Some(&cert)).is_err());
    }
}
