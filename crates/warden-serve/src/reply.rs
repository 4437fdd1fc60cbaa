//! Responses, and the one place where errors become HTTP statuses. Every error body
//! is `{"error": "..."}`, as the Open Inference Protocol says.

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;
use warden_model::InputError;

pub type Reply = Response<Full<Bytes>>;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into(), headers: Vec::new() }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 401 with the RFC 6750 challenge; `presented` says a credential was sent but refused.
    pub fn unauthorized(presented: bool) -> ApiError {
        let (message, challenge) = if presented {
            ("invalid credentials", "Bearer realm=\"warden\", error=\"invalid_token\"")
        } else {
            ("missing credentials: send Authorization: Bearer <key>", "Bearer realm=\"warden\"")
        };
        ApiError::new(StatusCode::UNAUTHORIZED, message)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge))
    }

    /// 503 with Retry-After: the server is busy or the request ran out of time, and
    /// trying again later is the right move for the client.
    pub fn unavailable(message: impl Into<String>, retry_after_secs: u32) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message)
            .with_header(header::RETRY_AFTER, HeaderValue::from(retry_after_secs))
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> ApiError {
        self.headers.push((name, value));
        self
    }

    pub fn into_reply(self) -> Reply {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a str,
        }
        // Messages can quote client input (a name, a parse error): they pass the
        // redactor like log lines do.
        let message = warden_observe::redact::scrub(&self.message);
        let mut reply = json(self.status, &Body { error: &message });
        for (name, value) in self.headers {
            reply.headers_mut().insert(name, value);
        }
        reply
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> ApiError {
        ApiError::bad_request(e.to_string())
    }
}

/// A JSON response. Serialization of our own types cannot fail; if it ever did,
/// the client gets a plain 500 rather than a panic.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Reply {
    match serde_json::to_vec(body) {
        Ok(bytes) => bytes_reply(status, "application/json", bytes.into()),
        Err(_) => bytes_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "application/json",
            Bytes::from_static(b"{\"error\":\"internal error\"}"),
        ),
    }
}

/// JSON of at most `limit` bytes: serializing stops at the limit, so an answer
/// that would be too large is never built in memory.
pub fn json_capped<T: Serialize>(body: &T, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut out = Capped { buf: Vec::new(), limit };
    match serde_json::to_writer(&mut out, body) {
        Ok(()) => Ok(out.buf),
        Err(e) if e.is_io() => Err(too_large_answer(limit)),
        Err(_) => Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "cannot encode the answer")),
    }
}

/// An answer over `http.max_response_size`: the request asked for too much.
pub fn too_large_answer(limit: usize) -> ApiError {
    ApiError::bad_request(format!(
        "the answer would be over the limit of {limit} bytes (http.max_response_size): ask for fewer rows or outputs"
    ))
}

struct Capped {
    buf: Vec<u8>,
    limit: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.limit {
            return Err(std::io::Error::other("answer over the limit"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn bytes_reply(status: StatusCode, content_type: &'static str, body: Bytes) -> Reply {
    let mut reply = Response::new(Full::new(body));
    *reply.status_mut() = status;
    reply.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    reply
}

pub fn empty(status: StatusCode) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::new()));
    *reply.status_mut() = status;
    reply
}

/// Headers every answer carries. Inference answers are per-caller data: no cache
/// may keep them.
pub fn add_security_headers(reply: &mut Reply, tls: bool) {
    let h = reply.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if tls {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
}

/// A HEAD answer: the GET answer's status and headers, its length declared, and
/// no body (HTTP/2 refuses DATA frames on a HEAD answer).
pub fn strip_body(reply: &mut Reply) {
    let len = http_body::Body::size_hint(reply.body()).exact().unwrap_or(0);
    *reply.body_mut() = Full::new(Bytes::new());
    reply.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
}
