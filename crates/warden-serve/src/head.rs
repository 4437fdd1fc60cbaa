//! Checks on a request's head before it is routed: one meaning per header, a
//! `Host` where HTTP/1.1 needs one, and the head within its limits. A request two
//! parties could read two ways (a proxy taking the first `Authorization`, Warden the
//! last) is refused rather than guessed at.

use http::header::{self, HeaderName};
use http::request::Parts;
use http::{HeaderMap, StatusCode, Version};

use crate::config::HttpLimits;
use crate::reply::ApiError;

/// The longest request target taken. Every Warden path is short; a long one is a
/// probe or a mistake, and answering 414 beats holding it.
pub const MAX_URI_LENGTH: usize = 8 << 10;

/// Headers that must appear at most once: each decides something, and a second
/// copy could make two readers of the same request decide differently.
const SINGLE: [&str; 6] =
    ["authorization", "inference-header-content-length", "content-type", "content-encoding", "content-length", "host"];

/// How much more than Warden's own limits the HTTP layer buffers, so a head just
/// over a limit gets a JSON answer from Warden rather than a bare error (or a
/// reset) from the protocol layer. Past this the protocol layer refuses it.
pub const PROTOCOL_SLACK: usize = 8;

pub fn check_parts(req: &Parts, limits: &HttpLimits) -> Result<(), ApiError> {
    let uri_len = req.uri.path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_LENGTH {
        return Err(ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!("the request target is {uri_len} bytes, over the limit of {MAX_URI_LENGTH}"),
        ));
    }
    check_size(&req.headers, uri_len, limits)?;
    for name in SINGLE {
        if req.headers.get_all(name).iter().nth(1).is_some() {
            return Err(ApiError::bad_request(format!("the {name} header appears more than once")));
        }
    }
    if req.version == Version::HTTP_11 && !req.headers.contains_key(header::HOST) {
        return Err(ApiError::bad_request("an HTTP/1.1 request needs a Host header"));
    }
    Ok(())
}

/// The head's field count and size, counted as HTTP/2 counts a header list:
/// name and value plus 32 bytes a field.
fn check_size(headers: &HeaderMap, uri_len: usize, limits: &HttpLimits) -> Result<(), ApiError> {
    let too_large = |what: String| ApiError::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, what);
    if headers.len() > limits.max_headers {
        return Err(too_large(format!(
            "the request has {} header fields, over the limit of {} (http.max_headers)",
            headers.len(),
            limits.max_headers
        )));
    }
    let size = uri_len + headers.iter().map(|(n, v): (&HeaderName, _)| n.as_str().len() + v.len() + 32).sum::<usize>();
    if size > limits.max_header_size {
        return Err(too_large(format!(
            "the request head is {size} bytes, over the limit of {} (http.max_header_size)",
            limits.max_header_size
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Request;

    fn request(version: Version, headers: &[(&str, &str)]) -> Request<()> {
        let mut b = Request::builder().uri("/v2/health/ready").version(version);
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        b.body(()).unwrap()
    }

    fn status(req: &Request<()>) -> Option<StatusCode> {
        let mut b = Request::builder().method(req.method()).uri(req.uri()).version(req.version());
        for (n, v) in req.headers() {
            b = b.header(n, v);
        }
        let (parts, ()) = b.body(()).unwrap().into_parts();
        check_parts(&parts, &HttpLimits::default()).err().map(|e| e.status)
    }

    #[test]
    fn one_meaning_per_header() {
        let h = ("host", "x");
        assert_eq!(status(&request(Version::HTTP_11, &[h])), None);
        let two_keys = request(Version::HTTP_11, &[h, ("authorization", "Bearer a"), ("authorization", "Bearer b")]);
        assert_eq!(status(&two_keys), Some(StatusCode::BAD_REQUEST));
        let two_lengths = request(
            Version::HTTP_11,
            &[h, ("inference-header-content-length", "5"), ("inference-header-content-length", "5")],
        );
        assert_eq!(status(&two_lengths), Some(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn http11_needs_exactly_one_host() {
        assert_eq!(status(&request(Version::HTTP_11, &[])), Some(StatusCode::BAD_REQUEST));
        assert_eq!(status(&request(Version::HTTP_11, &[("host", "a"), ("host", "b")])), Some(StatusCode::BAD_REQUEST));
        assert_eq!(status(&request(Version::HTTP_10, &[])), None);
        assert_eq!(status(&request(Version::HTTP_2, &[])), None);
    }

    #[test]
    fn head_limits_answer_414_and_431() {
        let long = Request::builder().uri(format!("/{}", "a".repeat(MAX_URI_LENGTH))).body(()).unwrap();
        assert_eq!(status(&long), Some(StatusCode::URI_TOO_LONG));
        let many: Vec<(String, String)> = (0..101).map(|i| (format!("x-h{i}"), "v".to_string())).collect();
        let mut b = Request::builder().uri("/").version(Version::HTTP_2);
        for (n, v) in &many {
            b = b.header(n, v);
        }
        assert_eq!(status(&b.body(()).unwrap()), Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
        let big = request(Version::HTTP_2, &[("x-big", &"v".repeat(17 << 10))]);
        assert_eq!(status(&big), Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
    }
}
