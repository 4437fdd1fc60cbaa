//! Request bodies in a content coding: `gzip` and `deflate` (tritonclient's
//! `request_compression_algorithm`) are decoded, with the body limit applied to
//! the decoded size, so a small compressed bomb is a 413 and never a large
//! allocation. Any other coding is refused with 415 rather than read as JSON.

use std::io::Read;

use bytes::Bytes;
use http::header::CONTENT_ENCODING;
use http::{HeaderMap, StatusCode};

use crate::reply::ApiError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentCoding {
    Identity,
    Gzip,
    Deflate,
}

impl ContentCoding {
    pub fn of(headers: &HeaderMap) -> Result<ContentCoding, ApiError> {
        let Some(value) = headers.get(CONTENT_ENCODING) else { return Ok(ContentCoding::Identity) };
        let name = value.to_str().unwrap_or("").trim().to_ascii_lowercase();
        match name.as_str() {
            "" | "identity" => Ok(ContentCoding::Identity),
            "gzip" | "x-gzip" => Ok(ContentCoding::Gzip),
            "deflate" => Ok(ContentCoding::Deflate),
            _ => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported Content-Encoding: send the body plain, gzip or deflate",
            )
            .with_header(http::header::ACCEPT_ENCODING, http::HeaderValue::from_static("gzip, deflate"))),
        }
    }

    /// The body as the client meant it, at most `limit` bytes once decoded.
    pub fn decode(self, body: Bytes, limit: usize) -> Result<Bytes, ApiError> {
        match self {
            ContentCoding::Identity => Ok(body),
            ContentCoding::Gzip => bounded(flate2::read::GzDecoder::new(&body[..]), limit, "gzip"),
            // HTTP's "deflate" is the zlib format (RFC 9110, 8.4.1.2); some clients
            // send raw deflate instead, so that is tried when zlib's header is absent.
            ContentCoding::Deflate if zlib_header(&body) => {
                bounded(flate2::read::ZlibDecoder::new(&body[..]), limit, "deflate")
            }
            ContentCoding::Deflate => bounded(flate2::read::DeflateDecoder::new(&body[..]), limit, "deflate"),
        }
    }
}

/// A zlib stream starts with a CMF/FLG pair whose 16-bit value is a multiple of 31.
fn zlib_header(body: &[u8]) -> bool {
    body.len() >= 2 && body[0] & 0x0f == 8 && (u16::from(body[0]) << 8 | u16::from(body[1])) % 31 == 0
}

fn bounded(decoder: impl Read, limit: usize, coding: &str) -> Result<Bytes, ApiError> {
    let mut out = Vec::new();
    let read = decoder.take(limit as u64 + 1).read_to_end(&mut out);
    match read {
        Ok(_) if out.len() > limit => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is over the limit of {limit} bytes once decoded"),
        )),
        Ok(_) => Ok(out.into()),
        Err(_) => Err(ApiError::bad_request(format!("the body is not valid {coding} data"))),
    }
}

pub fn too_large(limit: usize) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("request body is over the limit of {limit} bytes"))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Bytes {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap().into()
    }

    #[test]
    fn decodes_gzip_and_both_deflates() {
        let plain = br#"{"inputs": []}"#.to_vec();
        assert_eq!(ContentCoding::Gzip.decode(gzip(&plain), 1024).unwrap(), plain);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&plain).unwrap();
        assert_eq!(ContentCoding::Deflate.decode(z.finish().unwrap().into(), 1024).unwrap(), plain);
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&plain).unwrap();
        assert_eq!(ContentCoding::Deflate.decode(raw.finish().unwrap().into(), 1024).unwrap(), plain);
    }

    #[test]
    fn a_bomb_is_413_and_garbage_is_400() {
        let bomb = gzip(&vec![b'0'; 10 << 20]);
        assert!(bomb.len() < 64 << 10);
        assert_eq!(ContentCoding::Gzip.decode(bomb, 1 << 20).unwrap_err().status, StatusCode::PAYLOAD_TOO_LARGE);
        let garbage = Bytes::from_static(b"not gzip at all");
        assert_eq!(ContentCoding::Gzip.decode(garbage, 1024).unwrap_err().status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn unknown_codings_are_415() {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_ENCODING, http::HeaderValue::from_static("br"));
        assert_eq!(ContentCoding::of(&h).unwrap_err().status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        h.insert(CONTENT_ENCODING, http::HeaderValue::from_static("GZIP"));
        assert_eq!(ContentCoding::of(&h).unwrap(), ContentCoding::Gzip);
    }
}
