//! Credentials. Every kind begins with a literal (`-----BEGIN`, `eyJ`, `wdn_`,
//! `AKIA`, `ghp_`, `xoxb-`, `Bearer`, `secret_access_key`), so one multi-literal
//! search (SIMD, via aho-corasick) finds the candidates and a small matcher per
//! kind reads the rest. This is several times faster than regexes here, whose
//! engines must scan each long token twice to find where it starts.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::Finding;
use super::kind::Kind;

const LITERALS: &[&str] = &[
    "-----BEGIN ",
    "eyJ",
    "wdn_",
    "AKIA",
    "ASIA",
    "AGPA",
    "AIDA",
    "AROA",
    "ANPA",
    "ANVA",
    "AIPA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xoxa-",
    "xoxb-",
    "xoxp-",
    "xoxo-",
    "xoxs-",
    "xoxr-",
    // The words are searched in their three usual spellings, which keeps the whole
    // search on its SIMD path (ignoring case throws it off that path).
    "Bearer",
    "bearer",
    "BEARER",
    "secret",
    "Secret",
    "SECRET",
];

pub struct Credentials {
    search: AhoCorasick,
}

impl Credentials {
    pub fn new() -> Credentials {
        let search =
            AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostFirst).build(LITERALS).expect("the literals build");
        Credentials { search }
    }

    /// Adds what it finds to `out`, in order and not overlapping.
    pub fn find(&self, text: &str, out: &mut Vec<Finding>) {
        let b = text.as_bytes();
        let mut done = 0;
        for m in self.search.find_iter(text) {
            let at = m.start();
            if at < done {
                continue;
            }
            let literal = LITERALS[m.pattern().as_usize()];
            let found = match literal {
                "Bearer" | "bearer" | "BEARER" => bearer(b, at),
                "secret" | "Secret" | "SECRET" => aws_secret(b, at),
                "-----BEGIN " => pem(b, at),
                "eyJ" => jwt(b, at),
                "wdn_" => warden_key(b, at),
                "github_pat_" => run_after(b, at, literal.len(), 22, is_word).map(|e| (at, e, Kind::GithubToken)),
                l if l.starts_with("gh") => {
                    run_after(b, at, l.len(), 30, u8::is_ascii_alphanumeric).map(|e| (at, e, Kind::GithubToken))
                }
                l if l.starts_with("xox") => {
                    run_after(b, at, l.len(), 10, slack_byte).map(|e| (at, e, Kind::SlackToken))
                }
                _ => aws_id(b, at),
            };
            if let Some((start, end, kind)) = found {
                out.push(Finding { start, end, kind });
                done = end;
            }
        }
    }
}

fn is_word(c: &u8) -> bool {
    c.is_ascii_alphanumeric() || *c == b'_'
}

fn slack_byte(c: &u8) -> bool {
    c.is_ascii_alphanumeric() || *c == b'-'
}

fn base64url(c: &u8) -> bool {
    c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-'
}

/// A token starts a word: `xghp_...` is not a token.
fn starts_word(b: &[u8], at: usize) -> bool {
    at == 0 || !is_word(&b[at - 1])
}

/// Where a run of `class` bytes starting at `from` ends.
fn run(b: &[u8], from: usize, class: impl Fn(&u8) -> bool) -> usize {
    from + b[from.min(b.len())..].iter().take_while(|c| class(c)).count()
}

/// A word-start literal of `len` bytes followed by at least `min` bytes of `class`.
fn run_after(b: &[u8], at: usize, len: usize, min: usize, class: impl Fn(&u8) -> bool) -> Option<usize> {
    let end = run(b, at + len, class);
    (starts_word(b, at) && end - at - len >= min).then_some(end)
}

fn pem(b: &[u8], at: usize) -> Option<(usize, usize, Kind)> {
    let label = |from: usize| run(b, from, |c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b' ');
    let after_label = label(at + 11);
    let header = b[at + 11..after_label].ends_with(b"PRIVATE KEY") && b[after_label..].starts_with(b"-----");
    if !header {
        return None;
    }
    let body = run(b, after_label + 5, |c| c.is_ascii_alphanumeric() || b"+/=\\ \r\n\t".contains(c));
    let mut end = body;
    if b[body..].starts_with(b"-----END ") {
        let footer = label(body + 9);
        if b[body + 9..footer].ends_with(b"PRIVATE KEY") && b[footer..].starts_with(b"-----") {
            end = footer + 5;
        }
    }
    Some((at, end, Kind::PrivateKey))
}

fn jwt(b: &[u8], at: usize) -> Option<(usize, usize, Kind)> {
    if !starts_word(b, at) {
        return None;
    }
    let header = run(b, at, base64url);
    if header - at < 7 || b.get(header) != Some(&b'.') {
        return None;
    }
    let payload = run(b, header + 1, base64url);
    if payload - header - 1 < 4 || b.get(payload) != Some(&b'.') {
        return None;
    }
    Some((at, run(b, payload + 1, base64url), Kind::Jwt))
}

fn warden_key(b: &[u8], at: usize) -> Option<(usize, usize, Kind)> {
    let id = run(b, at + 4, u8::is_ascii_alphanumeric);
    if !starts_word(b, at) || id == at + 4 || id - at - 4 > 64 || b.get(id) != Some(&b'_') {
        return None;
    }
    let end = run(b, id + 1, base64url);
    (end - id > 4).then_some((at, end, Kind::WardenKey))
}

fn aws_id(b: &[u8], at: usize) -> Option<(usize, usize, Kind)> {
    let end = run(b, at + 4, |c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(c));
    let bounded = starts_word(b, at) && !b.get(at + 20).is_some_and(is_word);
    (bounded && end - at >= 20).then_some((at, at + 20, Kind::AwsKey))
}

/// `Bearer <token>`: only the token is replaced, labelled by what it is.
fn bearer(b: &[u8], at: usize) -> Option<(usize, usize, Kind)> {
    if !starts_word(b, at) {
        return None;
    }
    let token = run(b, at + 6, |c| *c == b' ' || *c == b'\t');
    if token == at + 6 {
        return None;
    }
    let body = run(b, token, |c| c.is_ascii_alphanumeric() || b"._~+/-".contains(c));
    if body - token < 8 {
        return None;
    }
    let end = run(b, body, |c| *c == b'=');
    Some((token, end, token_kind(&b[token..end])))
}

/// `secret_access_key = "..."` (with or without `aws_`, `_`, quotes): the 40
/// characters of the value.
fn aws_secret(b: &[u8], at: usize) -> Option<(usize, usize, Kind)> {
    let mut i = at + 6;
    let word = |i: &mut usize, w: &[u8]| {
        let skip = usize::from(b.get(*i) == Some(&b'_'));
        let ok = b.get(*i + skip..*i + skip + w.len()).is_some_and(|s| s.eq_ignore_ascii_case(w));
        if ok {
            *i += skip + w.len();
        }
        ok
    };
    if !(word(&mut i, b"access") && word(&mut i, b"key")) {
        return None;
    }
    let quote = |i: &mut usize| *i += usize::from(matches!(b.get(*i), Some(b'"' | b'\'')));
    quote(&mut i);
    i = run(b, i, |c| *c == b' ' || *c == b'\t');
    if !matches!(b.get(i), Some(b':' | b'=')) {
        return None;
    }
    i = run(b, i + 1, |c| *c == b' ' || *c == b'\t');
    quote(&mut i);
    let end = run(b, i, |c| c.is_ascii_alphanumeric() || b"/+=".contains(c));
    (end - i >= 40).then_some((i, i + 40, Kind::AwsKey))
}

/// A token's kind from its prefix; an opaque bearer token when none fits.
fn token_kind(token: &[u8]) -> Kind {
    let dots = token.iter().filter(|c| **c == b'.').count();
    match token {
        [b'e', b'y', b'J', ..] if dots == 2 => Kind::Jwt,
        [b'w', b'd', b'n', b'_', ..] => Kind::WardenKey,
        [b'g', b'h', b'p' | b'o' | b'u' | b's' | b'r', b'_', ..] => Kind::GithubToken,
        _ if token.starts_with(b"github_pat_") => Kind::GithubToken,
        [b'x', b'o', b'x', _, b'-', ..] => Kind::SlackToken,
        _ if token.len() == 20 && aws_id(token, 0).is_some() => Kind::AwsKey,
        _ => Kind::Bearer,
    }
}
