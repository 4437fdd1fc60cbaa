//! Fetching an identity provider's signing keys over HTTPS: a JWKS URL, or the
//! `jwks_uri` that OIDC discovery names. HTTPS only, no redirects, a 10 s timeout
//! and a 1 MiB cap, so a slow or hostile endpoint cannot stall or bloat a reload.

use std::io::Read;
use std::time::Duration;

use warden_guard::JwkSet;

use crate::config::{JwksSource, JwtSettings};
use crate::error::SetupError;

const MAX_BYTES: u64 = 1 << 20;
const TIMEOUT: Duration = Duration::from_secs(10);

/// Fetches the key set named by `settings` (a URL, or discovery from the issuer).
/// Blocking: call it before the runtime starts or from a blocking thread.
pub fn fetch(settings: &JwtSettings) -> Result<JwkSet, SetupError> {
    let client = client(settings)?;
    let url = match (&settings.jwks, &settings.issuer) {
        (Some(JwksSource::Url(url)), _) => url.clone(),
        (_, Some(issuer)) if settings.discovery => discover(&client, issuer)?,
        _ => return Err(SetupError::Jwt("no JWKS URL and no discovery configured".into())),
    };
    let body = get(&client, &url)?;
    serde_json::from_slice(&body).map_err(|e| SetupError::Jwt(format!("{url}: not a JWKS: {e}")))
}

fn client(settings: &JwtSettings) -> Result<reqwest::blocking::Client, SetupError> {
    let mut builder = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT);
    if let Some(path) = &settings.ca_file {
        let pem = std::fs::read(path).map_err(|source| SetupError::Io { path: path.clone(), source })?;
        let ca =
            reqwest::Certificate::from_pem(&pem).map_err(|e| SetupError::Jwt(format!("{}: {e}", path.display())))?;
        builder = builder.add_root_certificate(ca);
    }
    builder.build().map_err(|e| SetupError::Jwt(format!("https client: {e}")))
}

fn get(client: &reqwest::blocking::Client, url: &str) -> Result<Vec<u8>, SetupError> {
    let fail = |m: String| SetupError::Jwt(format!("{url}: {m}"));
    let response = client.get(url).send().map_err(|e| fail(e.to_string()))?;
    if !response.status().is_success() {
        return Err(fail(format!("answered {}", response.status())));
    }
    let mut body = Vec::new();
    response.take(MAX_BYTES + 1).read_to_end(&mut body).map_err(|e| fail(e.to_string()))?;
    if body.len() as u64 > MAX_BYTES {
        return Err(fail(format!("answer is over {MAX_BYTES} bytes")));
    }
    Ok(body)
}

/// The `jwks_uri` from `<issuer>/.well-known/openid-configuration`. The document
/// must name the same issuer (OpenID Connect Discovery 1.0, section 4.3), so a
/// misconfigured or spoofed document cannot point Warden at other keys.
fn discover(client: &reqwest::blocking::Client, issuer: &str) -> Result<String, SetupError> {
    let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let doc: serde_json::Value =
        serde_json::from_slice(&get(client, &url)?).map_err(|e| SetupError::Jwt(format!("{url}: {e}")))?;
    if doc["issuer"].as_str() != Some(issuer) {
        return Err(SetupError::Jwt(format!("{url}: names issuer {} instead of {issuer}", doc["issuer"])));
    }
    match doc["jwks_uri"].as_str() {
        Some(uri) if uri.starts_with("https://") => Ok(uri.to_string()),
        other => Err(SetupError::Jwt(format!("{url}: jwks_uri {other:?} is not an https:// URL"))),
    }
}
