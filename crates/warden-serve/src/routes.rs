//! Maps a method and path to an endpoint. Model names are restricted to
//! `[A-Za-z0-9_.-]`, so paths need no percent-decoding: an encoded name simply
//! matches no model.

use http::{Method, StatusCode};

use crate::reply::ApiError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Live,
    Ready,
    ServerMetadata,
    ModelMetadata {
        model: String,
        version: Option<String>,
    },
    ModelReady {
        model: String,
        version: Option<String>,
    },
    Infer {
        model: String,
        version: Option<String>,
    },
    Predict {
        model: String,
    },
    /// Triton's model repository extension (admin scope).
    RepositoryIndex,
    RepositoryLoad {
        model: String,
    },
    RepositoryUnload {
        model: String,
    },
}

impl Route {
    /// A fixed label for metrics and logs (never a client-chosen string).
    pub fn label(&self) -> &'static str {
        match self {
            Route::Live => "live",
            Route::Ready => "ready",
            Route::ServerMetadata => "server_metadata",
            Route::ModelMetadata { .. } => "model_metadata",
            Route::ModelReady { .. } => "model_ready",
            Route::Infer { .. } => "infer",
            Route::Predict { .. } => "predict",
            Route::RepositoryIndex => "repository_index",
            Route::RepositoryLoad { .. } => "repository_load",
            Route::RepositoryUnload { .. } => "repository_unload",
        }
    }

    fn method(&self) -> Method {
        match self {
            Route::Infer { .. }
            | Route::Predict { .. }
            | Route::RepositoryIndex
            | Route::RepositoryLoad { .. }
            | Route::RepositoryUnload { .. } => Method::POST,
            _ => Method::GET,
        }
    }
}

pub fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    let segments: Vec<&str> = path.trim_start_matches('/').trim_end_matches('/').split('/').collect();
    let owned = |s: &str| percent_decoded(s);
    let version = |s: &str| canonical_version(s).map(Some);
    let found = match segments.as_slice() {
        ["v2", "health", "live"] => Route::Live,
        ["v2", "health", "ready"] => Route::Ready,
        ["v2"] => Route::ServerMetadata,
        ["v2", "models", m] => Route::ModelMetadata { model: owned(m), version: None },
        ["v2", "models", m, "versions", v] => Route::ModelMetadata { model: owned(m), version: version(v)? },
        ["v2", "models", m, "ready"] => Route::ModelReady { model: owned(m), version: None },
        ["v2", "models", m, "versions", v, "ready"] => Route::ModelReady { model: owned(m), version: version(v)? },
        ["v2", "models", m, "infer"] => Route::Infer { model: owned(m), version: None },
        ["v2", "models", m, "versions", v, "infer"] => Route::Infer { model: owned(m), version: version(v)? },
        ["v2", "repository", "index"] => Route::RepositoryIndex,
        ["v2", "repository", "models", m, "load"] => Route::RepositoryLoad { model: owned(m) },
        ["v2", "repository", "models", m, "unload"] => Route::RepositoryUnload { model: owned(m) },
        ["v1", "models", m] => match m.strip_suffix(":predict") {
            Some(name) if !name.contains(':') => Route::Predict { model: owned(name) },
            _ => return Err(ApiError::not_found("no such endpoint")),
        },
        _ => return Err(ApiError::not_found("no such endpoint")),
    };
    // HEAD is GET without the body, wherever GET works.
    let method = if *method == Method::HEAD { &Method::GET } else { method };
    if *method != found.method() {
        return Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, format!("use {} for this endpoint", found.method()))
            .with_header(
                http::header::ALLOW,
                http::HeaderValue::from_static(if found.method() == Method::POST { "POST" } else { "GET, HEAD" }),
            ));
    }
    Ok(found)
}

/// A version as the repository names it: decimal, no sign, no leading zero. Other
/// spellings of the same number (`+1`, `01`) are refused, so each version has one
/// name in the audit log and the metrics.
fn canonical_version(segment: &str) -> Result<String, ApiError> {
    let canonical = !segment.is_empty()
        && segment.len() <= 20
        && segment.bytes().all(|b| b.is_ascii_digit())
        && (segment == "0" || !segment.starts_with('0'))
        && segment.parse::<u64>().is_ok();
    if canonical {
        Ok(segment.to_string())
    } else {
        Err(ApiError::bad_request("a model version is a decimal number with no sign or leading zeros"))
    }
}

/// A path segment as the client meant it: clients percent-encode model names
/// (tritonclient quotes them). Decoding also lets the redactor see a value that
/// was encoded, before an error message quotes it. Bytes that do not decode to
/// UTF-8 become U+FFFD, and then match no model.
fn percent_decoded(segment: &str) -> String {
    if !segment.contains('%') {
        return segment.to_string();
    }
    let b = segment.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_are_percent_decoded() {
        let r = route(&Method::POST, "/v2/models/my%20model%2Fv/infer").unwrap();
        assert_eq!(r, Route::Infer { model: "my model/v".into(), version: None });
        assert_eq!(percent_decoded("a%zz%4"), "a%zz%4");
        assert_eq!(percent_decoded("%ff"), "\u{fffd}");
    }

    #[test]
    fn routes() {
        let get = |p| route(&Method::GET, p);
        let post = |p| route(&Method::POST, p);
        assert_eq!(get("/v2/health/live").unwrap(), Route::Live);
        assert_eq!(get("/v2/").unwrap(), Route::ServerMetadata);
        assert_eq!(
            get("/v2/models/m/versions/3").unwrap(),
            Route::ModelMetadata { model: "m".into(), version: Some("3".into()) }
        );
        assert_eq!(post("/v2/models/m/infer").unwrap(), Route::Infer { model: "m".into(), version: None });
        assert_eq!(post("/v1/models/m:predict").unwrap(), Route::Predict { model: "m".into() });
        assert_eq!(get("/v2/models/m/infer").unwrap_err().status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(get("/v3").unwrap_err().status, StatusCode::NOT_FOUND);
        assert_eq!(get("/v2/models/m/versions/1/2/infer").unwrap_err().status, StatusCode::NOT_FOUND);
        assert_eq!(post("/v1/models/m:explain").unwrap_err().status, StatusCode::NOT_FOUND);
        assert_eq!(post("/v1/models/m:predict:predict").unwrap_err().status, StatusCode::NOT_FOUND);
        assert_eq!(post("/v2/repository/index").unwrap(), Route::RepositoryIndex);
        assert_eq!(post("/v2/repository/models/m/load").unwrap(), Route::RepositoryLoad { model: "m".into() });
        assert_eq!(post("/v2/repository/models/m/unload").unwrap(), Route::RepositoryUnload { model: "m".into() });
        assert_eq!(get("/v2/repository/index").unwrap_err().status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(route(&Method::HEAD, "/v2/health/live").unwrap(), Route::Live);
        assert_eq!(route(&Method::HEAD, "/v2/models/m/infer").unwrap_err().status, StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn versions_have_one_spelling() {
        let get = |p| route(&Method::GET, p);
        assert_eq!(
            get("/v2/models/m/versions/10").unwrap(),
            Route::ModelMetadata { model: "m".into(), version: Some("10".into()) }
        );
        assert!(get("/v2/models/m/versions/0").is_ok());
        for bad in ["+1", "01", "0001", "-1", "1.0", "%31", "99999999999999999999", " 1"] {
            let path = format!("/v2/models/m/versions/{bad}");
            let e = route(&Method::GET, &path).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }
}
