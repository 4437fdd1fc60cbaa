//! Bearer JWTs from an identity provider (Keycloak, Auth0, Dex, Entra, Okta).
//!
//! Before any signature check the token is taken apart here, strictly: at most
//! 8 KiB, three base64url parts, JSON objects without duplicate fields, no `alg:
//! none`, no `crit` extensions (Warden understands none). The `kid` only selects
//! among configured keys, and each key carries its own algorithm allowlist, derived
//! from its type when the JWK names no `alg`: an RSA public key can never verify an
//! HMAC token (algorithm confusion), and header fields such as `jwk`, `jku` or `x5u`
//! are never used to find a key. jsonwebtoken then checks the signature, `exp`
//! (required), `nbf`, `iss` and `aud` with a leeway; `iat` in the future is refused.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::identity::Identity;
use crate::scope::Scope;

pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
const MIN_HMAC_SECRET: usize = 32;

/// What a token must say to be accepted.
#[derive(Clone, Debug)]
pub struct JwtPolicy {
    pub issuer: String,
    pub audience: String,
    pub leeway_secs: u64,
    /// The claim holding scopes; `scope` (space-separated) then `scp` when unset.
    pub scope_claim: Option<String>,
}

/// Why a token was refused. Every one is answered with the same 401
/// `invalid_token`; the reason goes to metrics and logs only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtRejection {
    TooLarge,
    Malformed,
    DuplicateField,
    Crit,
    AlgNone,
    AlgNotAllowed,
    UnknownKid,
    BadSignature,
    Expired,
    NotYetValid,
    IssuedInFuture,
    WrongIssuer,
    WrongAudience,
    BadClaims,
}

struct VerifyKey {
    kid: Option<String>,
    algorithms: Vec<Algorithm>,
    key: DecodingKey,
}

pub struct JwtVerifier {
    keys: Vec<VerifyKey>,
    policy: JwtPolicy,
}

impl JwtVerifier {
    /// Builds a verifier from a JWKS and/or an HMAC secret. Every unusable key is an
    /// error: a typo in a key file must not silently disable a key.
    pub fn new(policy: JwtPolicy, jwks: Option<&JwkSet>, hmac_secret: Option<&[u8]>) -> Result<JwtVerifier, String> {
        let mut keys = Vec::new();
        for (i, jwk) in jwks.map(|s| s.keys.as_slice()).unwrap_or_default().iter().enumerate() {
            if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
                continue;
            }
            let name = jwk.common.key_id.clone().unwrap_or_else(|| format!("#{i}"));
            let algorithms = key_algorithms(jwk).map_err(|e| format!("key {name}: {e}"))?;
            let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key {name}: {e}"))?;
            keys.push(VerifyKey { kid: jwk.common.key_id.clone(), algorithms, key });
        }
        if let Some(secret) = hmac_secret {
            if secret.len() < MIN_HMAC_SECRET {
                return Err(format!("the HMAC secret must be at least {MIN_HMAC_SECRET} bytes"));
            }
            keys.push(VerifyKey {
                kid: None,
                algorithms: vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512],
                key: DecodingKey::from_secret(secret),
            });
        }
        if keys.is_empty() {
            return Err("no signing key: give a JWKS with signature keys or an HMAC secret".into());
        }
        Ok(JwtVerifier { keys, policy })
    }

    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Verifies `token` as of `now` (unix seconds) and returns who it speaks for.
    pub fn verify(&self, token: &str, now: u64) -> Result<Identity, JwtRejection> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(JwtRejection::TooLarge);
        }
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts[..] else { return Err(JwtRejection::Malformed) };
        let header = strict_object(header)?;
        strict_object(payload)?;
        if URL_SAFE_NO_PAD.decode(signature).map_err(|_| JwtRejection::Malformed)?.is_empty() {
            return Err(JwtRejection::BadSignature);
        }
        if header.contains_key("crit") {
            return Err(JwtRejection::Crit);
        }
        let alg = match header.get("alg") {
            Some(Value::String(a)) if a.eq_ignore_ascii_case("none") => return Err(JwtRejection::AlgNone),
            Some(Value::String(a)) => Algorithm::from_str(a).map_err(|_| JwtRejection::AlgNotAllowed)?,
            _ => return Err(JwtRejection::Malformed),
        };
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(k)) => Some(k.as_str()),
            Some(_) => return Err(JwtRejection::Malformed),
        };
        let mut named = self.keys.iter().filter(|k| kid.is_none() || k.kid.as_deref() == kid).peekable();
        if named.peek().is_none() {
            return Err(JwtRejection::UnknownKid);
        }
        let mut candidates = named.filter(|k| k.algorithms.contains(&alg)).peekable();
        if candidates.peek().is_none() {
            return Err(JwtRejection::AlgNotAllowed);
        }
        let validation = self.validation(alg);
        let mut last = JwtRejection::BadSignature;
        for key in candidates {
            match jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation) {
                Ok(data) => return self.identity(&data.claims, now),
                Err(e) => {
                    last = rejection(e.kind());
                    if last != JwtRejection::BadSignature {
                        break;
                    }
                }
            }
        }
        Err(last)
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = self.policy.leeway_secs;
        v.validate_exp = true;
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.set_issuer(&[&self.policy.issuer]);
        v.set_audience(&[&self.policy.audience]);
        v
    }

    fn identity(&self, claims: &Map<String, Value>, now: u64) -> Result<Identity, JwtRejection> {
        if let Some(iat) = claims.get("iat") {
            let iat = iat.as_u64().ok_or(JwtRejection::BadClaims)?;
            if iat > now.saturating_add(self.policy.leeway_secs) {
                return Err(JwtRejection::IssuedInFuture);
            }
        }
        let sub = claims.get("sub").and_then(Value::as_str).ok_or(JwtRejection::BadClaims)?;
        let scopes = match &self.policy.scope_claim {
            Some(name) => scopes_from(claims.get(name)),
            None => scopes_from(claims.get("scope").filter(|v| !v.is_null()).or_else(|| claims.get("scp"))),
        };
        Ok(Identity { id: format!("jwt:{}#{sub}", self.policy.issuer), name: sub.to_string(), scopes })
    }
}

/// Warden scopes in a claim that is a space-separated string or a list; scopes that
/// are not Warden's (`openid`, `profile`, ...) are ignored.
fn scopes_from(claim: Option<&Value>) -> Vec<Scope> {
    let words: Vec<&str> = match claim {
        Some(Value::String(s)) => s.split_whitespace().collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    words.iter().filter_map(|w| w.parse().ok()).collect()
}

fn rejection(kind: &ErrorKind) -> JwtRejection {
    match kind {
        ErrorKind::ExpiredSignature => JwtRejection::Expired,
        ErrorKind::ImmatureSignature => JwtRejection::NotYetValid,
        ErrorKind::InvalidIssuer => JwtRejection::WrongIssuer,
        ErrorKind::InvalidAudience => JwtRejection::WrongAudience,
        ErrorKind::MissingRequiredClaim(_) | ErrorKind::InvalidClaimFormat(_) | ErrorKind::InvalidSubject => {
            JwtRejection::BadClaims
        }
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName | ErrorKind::UnsupportedAlgorithm => {
            JwtRejection::AlgNotAllowed
        }
        ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            JwtRejection::Malformed
        }
        _ => JwtRejection::BadSignature,
    }
}

/// The algorithms a key may verify: its JWK `alg` when given (which must fit the
/// key type), else every algorithm of its type and curve.
fn key_algorithms(jwk: &Jwk) -> Result<Vec<Algorithm>, String> {
    let by_type: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => {
            use Algorithm::*;
            vec![RS256, RS384, RS512, PS256, PS384, PS512]
        }
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            ref other => return Err(format!("curve {other:?} is not supported")),
        },
        AlgorithmParameters::OctetKeyPair(p) => match p.curve {
            EllipticCurve::Ed25519 => vec![Algorithm::EdDSA],
            ref other => return Err(format!("curve {other:?} is not supported")),
        },
        AlgorithmParameters::OctetKey(_) => vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512],
        _ => return Err("key type is not supported".into()),
    };
    match jwk.common.key_algorithm {
        None => Ok(by_type),
        Some(named) => {
            let alg = Algorithm::from_str(&named.to_string())
                .map_err(|_| format!("alg {named} is not a signature algorithm"))?;
            if by_type.contains(&alg) { Ok(vec![alg]) } else { Err(format!("alg {named} does not fit the key type")) }
        }
    }
}

/// Decodes one base64url part into a JSON object, refusing duplicate fields (two
/// parsers could disagree on which one counts).
fn strict_object(part: &str) -> Result<Map<String, Value>, JwtRejection> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| JwtRejection::Malformed)?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let object = de.deserialize_map(StrictMap).map_err(|e| {
        if e.to_string().starts_with("duplicate field") {
            JwtRejection::DuplicateField
        } else {
            JwtRejection::Malformed
        }
    })?;
    de.end().map_err(|_| JwtRejection::Malformed)?;
    Ok(object)
}

struct StrictMap;

impl<'de> Visitor<'de> for StrictMap {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Map::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("duplicate field {key}")));
            }
            out.insert(key, value);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn policy() -> JwtPolicy {
        JwtPolicy { issuer: "https://idp.test".into(), audience: "warden".into(), leeway_secs: 60, scope_claim: None }
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn claims() -> Value {
        json!({"iss": "https://idp.test", "aud": "warden", "sub": "alice", "exp": now() + 600, "iat": now(),
               "scope": "openid infer:digits"})
    }

    fn hs256(claims: &Value) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(SECRET)).unwrap()
    }

    fn b64(v: &str) -> String {
        URL_SAFE_NO_PAD.encode(v)
    }

    fn verifier() -> JwtVerifier {
        JwtVerifier::new(policy(), None, Some(SECRET)).unwrap()
    }

    #[test]
    fn accepts_a_good_token_and_reads_scopes() {
        let id = verifier().verify(&hs256(&claims()), now()).unwrap();
        assert_eq!(id.id, "jwt:https://idp.test#alice");
        assert_eq!(id.scopes, vec![Scope::Infer("digits".into())]);
        let mut c = claims();
        c["scope"] = json!(null);
        c["scp"] = json!(["infer:*", "email"]);
        assert_eq!(verifier().verify(&hs256(&c), now()).unwrap().scopes, vec![Scope::InferAll]);
    }

    #[test]
    fn refuses_claims_out_of_bounds() {
        let v = verifier();
        let with = |k: &str, val: Value| {
            let mut c = claims();
            c[k] = val;
            v.verify(&hs256(&c), now()).unwrap_err()
        };
        assert_eq!(with("exp", json!(now() - 3600)), JwtRejection::Expired);
        assert_eq!(with("nbf", json!(now() + 3600)), JwtRejection::NotYetValid);
        assert_eq!(with("iat", json!(now() + 3600)), JwtRejection::IssuedInFuture);
        assert_eq!(with("iss", json!("https://evil.test")), JwtRejection::WrongIssuer);
        assert_eq!(with("aud", json!("other-app")), JwtRejection::WrongAudience);
        let mut c = claims();
        c.as_object_mut().unwrap().remove("exp");
        assert_eq!(v.verify(&hs256(&c), now()).unwrap_err(), JwtRejection::BadClaims);
        // Inside the leeway, an expired token still passes.
        assert!(
            v.verify(
                &hs256(&{
                    let mut c = claims();
                    c["exp"] = json!(now() - 30);
                    c
                }),
                now()
            )
            .is_ok()
        );
    }

    #[test]
    fn refuses_malformed_and_hostile_tokens() {
        let v = verifier();
        let good = hs256(&claims());
        let parts: Vec<&str> = good.split('.').collect();
        let payload = parts[1];
        let cases = [
            ("x".repeat(MAX_TOKEN_BYTES + 1), JwtRejection::TooLarge),
            ("a.b".to_string(), JwtRejection::Malformed),
            (format!("{}.{}.{}.x", parts[0], parts[1], parts[2]), JwtRejection::Malformed),
            (format!("!!.{payload}.{}", parts[2]), JwtRejection::Malformed),
            (format!("{}.{payload}.", b64(r#"{"alg":"HS256"}"#)), JwtRejection::BadSignature),
            (format!("{}.{payload}.", b64(r#"{"alg":"none"}"#)), JwtRejection::BadSignature),
            (format!("{}.{payload}.{}", b64(r#"{"alg":"none"}"#), parts[2]), JwtRejection::AlgNone),
            (format!("{}.{payload}.{}", b64(r#"{"alg":"NoNe"}"#), parts[2]), JwtRejection::AlgNone),
            (
                format!("{}.{payload}.{}", b64(r#"{"alg":"HS256","alg":"RS256"}"#), parts[2]),
                JwtRejection::DuplicateField,
            ),
            (format!("{}.{payload}.{}", b64(r#"{"alg":"HS256","crit":["exp"]}"#), parts[2]), JwtRejection::Crit),
            (format!("{}.{payload}.{}", b64(r#"{"alg":"HS256","kid":"nope"}"#), parts[2]), JwtRejection::UnknownKid),
            (format!("{}.{payload}.{}", b64(r#"{"alg":"RS256"}"#), parts[2]), JwtRejection::AlgNotAllowed),
            (format!("{}.{payload}.{}", b64(r#"["alg"]"#), parts[2]), JwtRejection::Malformed),
            (format!("{}.{}.{}", parts[0], b64(r#"{"sub":"a","sub":"b"}"#), parts[2]), JwtRejection::DuplicateField),
            (
                format!("{}.{}.{}", parts[0], b64(r#"{"sub":"mallory","exp":9999999999}"#), parts[2]),
                JwtRejection::BadSignature,
            ),
        ];
        for (token, expected) in cases {
            assert_eq!(v.verify(&token, now()).unwrap_err(), expected, "{token}");
        }
    }

    #[test]
    fn refuses_short_secrets_and_empty_key_sets() {
        assert!(JwtVerifier::new(policy(), None, Some(b"short")).is_err());
        assert!(JwtVerifier::new(policy(), Some(&JwkSet { keys: vec![] }), None).is_err());
        let enc_only: JwkSet = serde_json::from_value(json!({"keys": [
            {"kty": "oct", "k": b64("0123456789abcdef0123456789abcdef"), "use": "enc"}]}))
        .unwrap();
        assert!(JwtVerifier::new(policy(), Some(&enc_only), None).is_err());
        let mismatched: JwkSet = serde_json::from_value(json!({"keys": [
            {"kty": "oct", "k": b64("0123456789abcdef0123456789abcdef"), "alg": "RS256"}]}))
        .unwrap();
        assert!(JwtVerifier::new(policy(), Some(&mismatched), None).is_err());
    }
}
