//! Where the keys of a JSON document are: serde_json gives values, not
//! positions, so a small scanner over the (already validated) text finds the
//! byte offset of each object key near the top.

use std::collections::HashMap;

/// The byte offset of the opening quote of each key at depth 1 or 2, by its
/// path: `["packages", "node_modules/a"]` (depth 1 keys have one element).
pub(crate) fn key_offsets(text: &str) -> HashMap<Vec<String>, usize> {
    let bytes = text.as_bytes();
    // One frame per open container: whether it is an object, and its current key.
    let mut stack: Vec<(bool, Option<String>)> = Vec::new();
    let mut out = HashMap::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let end = (i + 1).min(bytes.len());
                let mut j = end;
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                let is_key = j < bytes.len() && bytes[j] == b':' && stack.last().is_some_and(|f| f.0);
                if is_key {
                    let key: String = serde_json::from_str(&text[start..end]).unwrap_or_default();
                    if stack.len() <= 2 {
                        let mut path: Vec<String> =
                            stack[..stack.len() - 1].iter().map(|f| f.1.clone().unwrap_or_default()).collect();
                        path.push(key.clone());
                        out.entry(path).or_insert(start);
                    }
                    if let Some(top) = stack.last_mut() {
                        top.1 = Some(key);
                    }
                }
                i = end;
                continue;
            }
            b'{' => stack.push((true, None)),
            b'[' => stack.push((false, None)),
            b'}' | b']' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    out
}
