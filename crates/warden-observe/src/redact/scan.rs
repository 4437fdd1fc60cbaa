//! Hand-written scanners for the values that have no literal to search for:
//! numbers (cards, phones, SSNs, IPv4), e-mail addresses, IPv6 addresses and
//! IBANs. They walk the bytes once each, much faster than a regex alternation of
//! counted repetitions, and try shorter readings of a run of digit groups when
//! the whole run is not a value ("call 415-555-2671 2 times").

use super::Finding;
use super::checks;
use super::kind::Kind;

/// Byte classes by table: the scanners' inner loops are this lookup.
const WORD: u8 = 1;
const DOTTED: u8 = 2;
static CLASS: [u8; 256] = {
    let mut t = [0; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        if c.is_ascii_alphanumeric() || c == b'_' {
            t[i] = WORD | DOTTED;
        } else if c == b'.' {
            t[i] = DOTTED;
        }
        i += 1;
    }
    t
};

fn is_word(b: u8) -> bool {
    CLASS[b as usize] & WORD != 0
}

/// A run of digit groups: where each group starts and ends. At most eight.
struct Run {
    start: usize,
    groups: [(usize, usize); 8],
    len: usize,
}

/// Numbers (cards, phones, SSNs, IPv4) and IBANs, in one walk over the words of
/// the text: both start only where a word starts, so the rest of each word is
/// skipped with a table lookup per byte.
pub fn numbers_and_ibans(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        i = match c {
            b'0'..=b'9' => number_at(text, i, out),
            b'+' | b'(' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => number_at(text, i, out),
            b'A'..=b'Z' => iban_at(text, i, out).unwrap_or_else(|| skip_word(b, i)),
            _ if is_word(c) => skip_word(b, i),
            _ => i + 1,
        };
    }
}

/// Reads the number that may start at `i` (a word start, `+` or `(`); returns
/// where to go on.
fn number_at(text: &str, i: usize, out: &mut Vec<Finding>) -> usize {
    let b = text.as_bytes();
    let c = b[i];
    let boundary = i == 0 || !(is_word(b[i - 1]) || b[i - 1] == b'.' || b[i - 1] == b'-');
    if !boundary || version_slash(b, i) {
        return if c.is_ascii_digit() { skip_word(b, i) } else { i + 1 };
    }
    let run = read_run(b, i);
    let end_of_run = run.groups[run.len - 1].1;
    // Digits glued to letters ("123abc") are an identifier, not a number.
    if b.get(end_of_run).is_some_and(|&n| is_word(n)) {
        return skip_word(b, end_of_run);
    }
    match longest_value(text, &run) {
        Some((end, kind)) => {
            out.push(Finding { start: run.start, end, kind });
            end
        }
        // A "(" or "+" that led nowhere: the digits after it may still be a value.
        None if c != b'(' && c != b'+' => end_of_run,
        None => i + 1,
    }
}

/// The longest reading of the run (all its groups, then fewer) that is a value.
/// Readings that cannot be one are skipped by their digit count alone: every
/// kind needs 8 to 19 digits, except a dotted quad. Dates (`2024-11-25 00`) are
/// dropped at once: no card, phone or SSN starts with a year.
fn longest_value(text: &str, run: &Run) -> Option<(usize, Kind)> {
    let groups = &run.groups[..run.len];
    let first = &text.as_bytes()[groups[0].0..groups[0].1];
    let after_first = text.as_bytes().get(groups[0].1).copied();
    let year = first.len() == 4 && (first.starts_with(b"19") || first.starts_with(b"20"));
    if year && matches!(after_first, Some(b'-' | b'/')) && run.start == groups[0].0 {
        return None;
    }
    let mut digits = [0usize; 8];
    let mut total = 0;
    for (k, g) in groups.iter().enumerate() {
        total += g.1 - g.0;
        digits[k] = total;
    }
    (1..=run.len).rev().find_map(|k| {
        if k != 4 && !(8..=19).contains(&digits[k - 1]) {
            return None;
        }
        let end = groups[k - 1].1;
        classify(&text[run.start..end], &groups[..k]).map(|kind| (end, kind))
    })
}

/// `Chrome/120.0.0.0`: a version after a product name, not an address.
fn version_slash(b: &[u8], i: usize) -> bool {
    i >= 2 && b[i - 1] == b'/' && b[i - 2].is_ascii_alphabetic()
}

/// The end of the word (dots included: `v1.2.3`, `host.example`) at `i`.
fn skip_word(b: &[u8], i: usize) -> usize {
    i + b[i..].iter().take_while(|&&c| CLASS[c as usize] & DOTTED != 0).count()
}

fn read_run(b: &[u8], start: usize) -> Run {
    let mut run = Run { start, groups: [(0, 0); 8], len: 0 };
    let mut i = start;
    if b[i] == b'+' || b[i] == b'(' {
        i += 1;
    }
    loop {
        let g = i;
        while i < b.len() && b[i].is_ascii_digit() && i - g < 20 {
            i += 1;
        }
        if i == g {
            break;
        }
        run.groups[run.len] = (g, i);
        run.len += 1;
        if run.len == 8 {
            break;
        }
        // One separator (or ") " / ")" / "(") between groups, then a digit or "(".
        let mut j = i;
        match b.get(j) {
            Some(b')') => {
                j += 1;
                if b.get(j) == Some(&b' ') {
                    j += 1;
                }
            }
            Some(b' ' | b'-' | b'.' | b'/' | b'(') => {
                j += 1;
                if b[j - 1] != b'(' && b.get(j) == Some(&b'(') {
                    j += 1;
                }
            }
            _ => break,
        }
        if !b.get(j).is_some_and(u8::is_ascii_digit) {
            break;
        }
        i = j;
    }
    if run.len == 0 {
        run.groups[0] = (start, start + 1);
        run.len = 1;
    }
    run
}

fn classify(candidate: &str, groups: &[(usize, usize)]) -> Option<Kind> {
    let lens = |i: usize| groups[i].1 - groups[i].0;
    let digits: usize = (0..groups.len()).map(lens).sum();
    let mut seps = candidate.bytes().filter(|b| !b.is_ascii_digit());
    let first_sep = seps.clone().next();
    let one_sep = seps.clone().all(|s| Some(s) == first_sep);
    if groups.len() == 4 && first_sep == Some(b'.') && one_sep {
        return checks::ipv4(candidate).then_some(Kind::Ipv4);
    }
    if groups.len() == 3 && (lens(0), lens(1), lens(2)) == (3, 2, 4) && first_sep == Some(b'-') && one_sep {
        return checks::ssn(candidate).then_some(Kind::Ssn);
    }
    let card_seps = one_sep && first_sep.is_none_or(|s| s == b' ' || s == b'-');
    if (13..=19).contains(&digits) && card_seps && card_prefix(candidate, digits) && checks::card(candidate) {
        return Some(Kind::Card);
    }
    if seps.any(|s| !matches!(s, b' ' | b'-' | b'.' | b'/' | b'(' | b')' | b'+')) {
        return None;
    }
    phone(candidate, groups, digits).then_some(Kind::Phone)
}

/// Card numbers start with an issuer's digit (2 to 6); 13-digit ones are Visa.
fn card_prefix(candidate: &str, digits: usize) -> bool {
    let first = candidate.bytes().next().unwrap_or(b'0');
    matches!(first, b'2'..=b'6') && (digits != 13 || first == b'4')
}

fn phone(candidate: &str, groups: &[(usize, usize)], digits: usize) -> bool {
    let body = candidate.trim_start_matches(['+', '(']);
    if candidate.starts_with('+') {
        return (8..=15).contains(&digits);
    }
    // National numbers with a trunk prefix: UK, DE, FR, ... (020 7946 0958, 06 12 34 56 78).
    if body.starts_with('0') {
        return (9..=12).contains(&digits);
    }
    // North American: (415) 555-2671, 415-555-2671, 415.555.2671, 1-415-555-2671.
    let lens: Vec<usize> = groups.iter().map(|g| g.1 - g.0).collect();
    let area = match lens.as_slice() {
        [3, 3, 4] => groups[0],
        [1, 3, 3, 4] if body.starts_with('1') => groups[1],
        _ => return false,
    };
    let area_first = candidate.as_bytes()[area.0 - groups[0].0 + (candidate.len() - body.len())];
    let plain: Vec<u8> = candidate.bytes().filter(|s| matches!(s, b' ' | b'-' | b'.' | b'/')).collect();
    let uniform = plain.windows(2).all(|w| w[0] == w[1]) || candidate.starts_with('(');
    matches!(area_first, b'2'..=b'9') && uniform
}

pub fn emails(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let local = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-');
    let domain = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-');
    let mut from = 0;
    while let Some(off) = memchr::memchr(b'@', &b[from..]) {
        let at = from + off;
        from = at + 1;
        let mut s = at;
        while s > 0 && local(b[s - 1]) {
            s -= 1;
        }
        while s < at && !b[s].is_ascii_alphanumeric() {
            s += 1;
        }
        let mut e = at + 1;
        while e < b.len() && domain(b[e]) {
            e += 1;
        }
        while e > at + 1 && !b[e - 1].is_ascii_alphanumeric() {
            e -= 1;
        }
        let host = &text[at + 1..e];
        let tld_ok = host.rsplit_once('.').is_some_and(|(name, tld)| {
            !name.is_empty() && tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic())
        });
        if s < at && tld_ok {
            out.push(Finding { start: s, end: e, kind: Kind::Email });
            from = e;
        }
    }
}

pub fn ipv6(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let part = |c: u8| c.is_ascii_hexdigit() || c == b':' || c == b'.';
    let mut from = 0;
    while let Some(off) = memchr::memchr(b':', &b[from..]) {
        let colon = from + off;
        let mut s = colon;
        while s > 0 && part(b[s - 1]) {
            s -= 1;
        }
        let mut e = colon;
        while e < b.len() && part(b[e]) {
            e += 1;
        }
        while e > colon && b[e - 1] == b'.' {
            e -= 1;
        }
        from = e.max(colon + 1);
        let glued = (s > 0 && is_word(b[s - 1])) || (e < b.len() && is_word(b[e]));
        let candidate = &text[s..e];
        // Without "::" an address has all its groups: 7 colons, or 6 before an IPv4 tail.
        let colons = candidate.bytes().filter(|&c| c == b':').count();
        let plausible = if candidate.contains("::") { colons >= 2 } else { colons >= 6 };
        if !glued && plausible && checks::ipv6(candidate) {
            out.push(Finding { start: s, end: e, kind: Kind::Ipv6 });
        }
    }
}

/// An IBAN starting at `i`: two letters, two check digits, then groups of
/// letters and digits with single spaces between them; the longest reading that
/// passes mod-97 wins. Returns where to go on when one was found.
fn iban_at(text: &str, i: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let b = text.as_bytes();
    let starts = i + 4 <= b.len()
        && (i == 0 || !is_word(b[i - 1]))
        && b[i + 1].is_ascii_uppercase()
        && b[i + 2].is_ascii_digit()
        && b[i + 3].is_ascii_digit();
    if !starts {
        return None;
    }
    let mut ends = [0usize; 12];
    let mut n = 0;
    let mut j = i;
    let mut compact = 0;
    loop {
        while j < b.len() && (b[j].is_ascii_uppercase() || b[j].is_ascii_digit()) && compact < 34 {
            j += 1;
            compact += 1;
        }
        if j < b.len() && is_word(b[j]) {
            break;
        }
        ends[n] = j;
        n += 1;
        let next_group =
            j + 1 < b.len() && b[j] == b' ' && (b[j + 1].is_ascii_uppercase() || b[j + 1].is_ascii_digit());
        if n == ends.len() || !next_group {
            break;
        }
        j += 1;
    }
    let end = ends[..n].iter().rev().find(|&&e| checks::iban(&text[i..e]))?;
    out.push(Finding { start: i, end: *end, kind: Kind::Iban });
    Some(*end)
}

/// AWS secret keys have no prefix: 40 base64 characters. Looked for only in a
/// text that mentions an AWS key id or a secret, where such a string is one.
pub fn aws_secrets(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let part = |c: u8| c.is_ascii_alphanumeric() || c == b'/' || c == b'+';
    let mut i = 0;
    while i < b.len() {
        if !part(b[i]) {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && part(b[i]) {
            i += 1;
        }
        let token = &b[s..i];
        let mixed = token.iter().any(u8::is_ascii_uppercase)
            && token.iter().any(u8::is_ascii_lowercase)
            && token.iter().any(u8::is_ascii_digit);
        let bounded = (s == 0 || !is_word(b[s - 1])) && (i == b.len() || b[i] == b'=' || !is_word(b[i]));
        if token.len() == 40 && mixed && bounded {
            out.push(Finding { start: s, end: i, kind: Kind::AwsKey });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str, out: &mut Vec<Finding>) {
        numbers_and_ibans(text, out);
    }

    fn ibans(text: &str, out: &mut Vec<Finding>) {
        numbers_and_ibans(text, out);
    }

    fn kinds(f: fn(&str, &mut Vec<Finding>), text: &str) -> Vec<(String, Kind)> {
        let mut out = Vec::new();
        f(text, &mut out);
        out.into_iter().map(|x| (text[x.start..x.end].to_string(), x.kind)).collect()
    }

    #[test]
    fn number_runs() {
        assert_eq!(kinds(numbers, "call 415-555-2671 2 times"), [("415-555-2671".into(), Kind::Phone)]);
        assert!(kinds(numbers, "GET / 200 187384").is_empty());
        assert!(kinds(numbers, "at 2024-11-25 00:01:15.768").is_empty());
        assert!(kinds(numbers, "Chrome/120.0.0.0 Safari").is_empty());
        assert!(kinds(numbers, "iat 1740171694136").is_empty());
        assert_eq!(kinds(numbers, "tel=0711/305545"), [("0711/305545".into(), Kind::Phone)]);
        assert_eq!(kinds(numbers, "Key (ssn)=(300-96-5220) exists"), [("300-96-5220".into(), Kind::Ssn)]);
        assert_eq!(kinds(numbers, "m=\"+44(0)29 2018 0394\""), [("+44(0)29 2018 0394".into(), Kind::Phone)]);
        assert_eq!(kinds(numbers, "(415) 555-2671"), [("(415) 555-2671".into(), Kind::Phone)]);
    }

    #[test]
    fn iban_with_trailing_words() {
        assert_eq!(
            kinds(ibans, "iban=FR7630006000011234567890189 HTTP/2.0"),
            [("FR7630006000011234567890189".into(), Kind::Iban)]
        );
    }
}
