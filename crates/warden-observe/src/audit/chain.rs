//! The line format. A record is a JSON object whose last member is
//! `"hash":"<sha256 hex>"`, the SHA-256 of every byte of the line before that
//! member. The bytes are hashed as written, so verifying never depends on how a
//! JSON library would re-serialise them. Each record's `prev` names the hash of the
//! record before it; the first record of a log has a `prev` of zeros.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::event::Event;

pub type Hash = [u8; 32];

pub const GENESIS: Hash = [0; 32];

const HASH_MEMBER: &str = ",\"hash\":\"";

/// A record as read back: its place in the chain and its fields.
#[derive(Debug)]
pub struct Sealed {
    pub seq: u64,
    pub prev: Hash,
    pub hash: Hash,
    pub kind: String,
    pub fields: Map<String, Value>,
}

/// Writes `event` as record `seq` following `prev`; returns the line (ending in a
/// newline) and its hash.
pub fn seal(event: &Event, seq: u64, prev: &Hash) -> (String, Hash) {
    let mut object = Map::new();
    object.insert("seq".into(), seq.into());
    object.insert("time".into(), humantime::format_rfc3339_millis(event.time).to_string().into());
    object.insert("kind".into(), event.kind.into());
    for (name, value) in &event.fields {
        object.insert(name.clone(), value.clone());
    }
    object.insert("prev".into(), hex::encode(prev).into());
    let mut line = Value::Object(object).to_string();
    line.pop(); // the closing brace; the hash member goes before it
    let hash: Hash = Sha256::digest(line.as_bytes()).into();
    line.push_str(HASH_MEMBER);
    line.push_str(&hex::encode(hash));
    line.push_str("\"}\n");
    (line, hash)
}

/// Reads one line (without its newline) and checks that its hash matches its bytes.
pub fn open(line: &str) -> Result<Sealed, String> {
    let tail_len = HASH_MEMBER.len() + 64 + 2;
    let split = line.len().checked_sub(tail_len).ok_or("record is too short to hold a hash")?;
    let (body, tail) = (line.get(..split).ok_or("record is not valid text")?, &line[split..]);
    let hex_hash = tail
        .strip_prefix(HASH_MEMBER)
        .and_then(|t| t.strip_suffix("\"}"))
        .ok_or("record does not end with its hash")?;
    let hash = parse_hash(hex_hash).ok_or("record hash is not 64 hex digits")?;
    let actual: Hash = Sha256::digest(body.as_bytes()).into();
    if actual != hash {
        return Err("record was changed: its hash does not match its content".into());
    }
    let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(line) else {
        return Err("record is not a JSON object".into());
    };
    fields.remove("hash");
    let seq = fields.remove("seq").and_then(|v| v.as_u64()).ok_or("record has no sequence number")?;
    let prev = fields
        .remove("prev")
        .and_then(|v| v.as_str().and_then(parse_hash))
        .ok_or("record has no previous-record hash")?;
    let kind = match fields.remove("kind") {
        Some(Value::String(k)) => k,
        _ => return Err("record has no kind".into()),
    };
    Ok(Sealed { seq, prev, hash, kind, fields })
}

pub fn parse_hash(text: &str) -> Option<Hash> {
    let mut hash = [0; 32];
    hex::decode_to_slice(text, &mut hash).ok()?;
    Some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_line_opens_to_the_same_record() {
        let event = Event::new("auth").with("outcome", "failure").with("reason", "invalid");
        let (line, hash) = seal(&event, 7, &[1; 32]);
        assert!(line.ends_with("\"}\n"));
        let sealed = open(line.trim_end()).unwrap();
        assert_eq!((sealed.seq, sealed.prev, sealed.hash), (7, [1; 32], hash));
        assert_eq!(sealed.kind, "auth");
        assert_eq!(sealed.fields["reason"], "invalid");
    }

    #[test]
    fn any_changed_byte_is_found() {
        let (line, _) = seal(&Event::new("inference").with("rows", 3), 1, &GENESIS);
        let line = line.trim_end();
        for i in 0..line.len() {
            let mut bytes = line.as_bytes().to_vec();
            bytes[i] ^= 0x01;
            if let Ok(text) = String::from_utf8(bytes) {
                assert!(open(&text).is_err(), "flipping byte {i} went unnoticed: {text}");
            }
        }
    }

    #[test]
    fn reserved_fields_cannot_be_forged_by_an_event() {
        let event = Event::new("x").with("seq", 99).with("prev", "00").with("hash", "ff");
        let (line, _) = seal(&event, 2, &GENESIS);
        let sealed = open(line.trim_end()).unwrap();
        assert_eq!(sealed.seq, 2);
    }
}
