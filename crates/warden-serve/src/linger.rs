//! Reading the rest of a body that an answer did not need, as nginx's lingering
//! close does. A server that answers 401, 404 or 413 before reading the body and
//! then closes (HTTP/1.1) or resets the stream (HTTP/2) makes most clients, which
//! send the whole body before they read, fail with a reset or EOF instead of
//! seeing the answer. Discarding a bounded amount of the body first lets them
//! read it; past the bounds the connection is closed as before.

use std::time::Duration;

use http::header::{CONTENT_LENGTH, EXPECT};
use http::request::Parts;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::config::HttpLimits;

/// The most read and thrown away: four bodies' worth.
pub fn byte_budget(limits: &HttpLimits) -> u64 {
    (limits.max_body_size as u64).saturating_mul(4)
}

/// The longest spent discarding, so a slow sender cannot hold the request open.
pub fn time_budget(limits: &HttpLimits) -> Duration {
    limits.read_timeout.min(Duration::from_secs(5))
}

/// The body length the client declared, if it declared a readable one.
pub fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok())
}

/// Reads and drops what is left of `body`, within the budgets. A client waiting
/// on `Expect: 100-continue` has sent nothing and is not asked to; a declared
/// length over the byte budget is not worth reading at all.
pub async fn discard(mut body: Incoming, head: &Parts, limits: &HttpLimits) {
    if hyper::body::Body::is_end_stream(&body) {
        return;
    }
    let expects_continue = head.headers.get(EXPECT).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let declared = declared_length(&head.headers);
    let budget = byte_budget(limits);
    if expects_continue || declared.is_some_and(|n| n > budget) {
        return;
    }
    let drain = async {
        let mut read = 0u64;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return };
            if let Some(data) = frame.data_ref() {
                read += data.len() as u64;
                if read > budget {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(time_budget(limits), drain).await;
}
