//! Decoding of the text arguments of protocol-0 opcodes exactly as CPython does, because an
//! attacker can spell a module name with escapes (`S'\x6fs'` is `os`) or pad a memo key
//! (`p 5` is key 5) and a scanner that reads them differently resolves a different import.

/// An integer line as Python's `int()` reads it: surrounding whitespace, one sign, digits
/// with single underscores between them. `value` is `None` when it does not fit in a u64.
#[derive(Debug, PartialEq, Eq)]
pub struct PyInt {
    pub negative: bool,
    pub value: Option<u64>,
}

pub fn py_int(text: &[u8]) -> Option<PyInt> {
    let text = text.trim_ascii();
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() || digits.starts_with(b"_") || digits.ends_with(b"_") || digits.windows(2).any(|w| w == b"__")
    {
        return None;
    }
    let mut value = Some(0u64);
    for &b in digits {
        match b {
            b'_' => {}
            b'0'..=b'9' => {
                value = value.and_then(|v| v.checked_mul(10)).and_then(|v| v.checked_add(u64::from(b - b'0')));
            }
            _ => return None,
        }
    }
    Some(PyInt { negative, value })
}

/// The argument of INT or LONG, checked only as loosely as CPython reads it (`strtol` and
/// `int(s, 0)`: any base prefix, underscores, a trailing `L` for LONG). A scanner stricter
/// than the unpickler would stop where the unpickler goes on, and miss what follows.
pub fn plausible_int(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    !line.is_empty() && line.iter().all(|b| b.is_ascii_hexdigit() || b"xXoO_+-L \t".contains(b))
}

/// The argument of STRING: a quoted Python 2 string literal, decoded with the escapes of
/// `codecs.escape_decode` (what the unpickler calls).
pub fn string_literal(line: &[u8]) -> Result<Vec<u8>, String> {
    let quoted = line.len() >= 2 && line[0] == line[line.len() - 1] && matches!(line[0], b'\'' | b'"');
    if !quoted {
        return Err("the STRING opcode argument must be quoted".into());
    }
    escape_decode(&line[1..line.len() - 1])
}

fn escape_decode(s: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let Some(&c) = s.get(i + 1) else {
            return Err("trailing \\ in string".into());
        };
        i += 2;
        match c {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(c),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => {
                let hex = s.get(i..i + 2).and_then(hex_value).ok_or("invalid \\x escape")?;
                out.push(hex as u8);
                i += 2;
            }
            other => out.extend_from_slice(&[b'\\', other]),
        }
    }
    Ok(out)
}

/// The argument of UNICODE: `raw-unicode-escape`, where only `\uXXXX` and `\UXXXXXXXX` after an
/// odd run of backslashes are escapes and every other byte is a Latin-1 character.
pub fn raw_unicode_escape(s: &[u8]) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(char::from(s[i]));
            i += 1;
            continue;
        }
        let run_start = i;
        while i < s.len() && s[i] == b'\\' {
            out.push('\\');
            i += 1;
        }
        let odd = (i - run_start) % 2 == 1;
        let width = match s.get(i) {
            Some(b'u') if odd => 4,
            Some(b'U') if odd => 8,
            _ => continue,
        };
        out.pop();
        let digits = s.get(i + 1..i + 1 + width).ok_or("truncated \\uXXXX escape")?;
        let code = hex_value(digits).ok_or("truncated \\uXXXX escape")?;
        out.push(char::from_u32(code).ok_or("\\Uxxxxxxxx out of range")?);
        i += 1 + width;
    }
    Ok(out)
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| Some(acc.checked_mul(16)? + char::from(d).to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_like_python() {
        assert_eq!(py_int(b" 5 "), Some(PyInt { negative: false, value: Some(5) }));
        assert_eq!(py_int(b"-1_000"), Some(PyInt { negative: true, value: Some(1000) }));
        assert_eq!(py_int(b"99999999999999999999999"), Some(PyInt { negative: false, value: None }));
        assert_eq!(py_int(b"1__0"), None);
        assert_eq!(py_int(b"_1"), None);
        assert_eq!(py_int(b""), None);
        assert_eq!(py_int(b"0x10"), None);
        assert!(plausible_int(b"123L"));
        assert!(plausible_int(b"01"));
        assert!(plausible_int(b"0x1F"));
        assert!(plausible_int(b" -0o17 "));
        assert!(!plausible_int(b"icensed under"));
        assert!(!plausible_int(b""));
    }

    #[test]
    fn string_escapes_like_escape_decode() {
        assert_eq!(string_literal(b"'\\x6fs'").unwrap(), b"os");
        assert_eq!(string_literal(b"\"p\\157six\"").unwrap(), b"posix");
        assert_eq!(string_literal(b"'a\\qb'").unwrap(), b"a\\qb");
        assert!(string_literal(b"'unquoted").is_err());
        assert!(string_literal(b"'\\x6'").is_err());
        assert!(string_literal(b"'\\'").is_err());
    }

    #[test]
    fn raw_unicode_escape_like_python() {
        assert_eq!(raw_unicode_escape(b"\\u006fs").unwrap(), "os");
        assert_eq!(raw_unicode_escape(b"\\\\u006f").unwrap(), "\\\\u006f");
        assert_eq!(raw_unicode_escape(b"\\U0000006fs").unwrap(), "os");
        assert_eq!(raw_unicode_escape(b"caf\xe9").unwrap(), "caf\u{e9}");
        assert!(raw_unicode_escape(b"\\u12").is_err());
    }
}
