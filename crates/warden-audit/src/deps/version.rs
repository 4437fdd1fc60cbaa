//! Version orders of each ecosystem: PEP 440 (PyPI), SemVer (npm, crates.io, Go),
//! the dpkg order (Debian) and the apk order (Alpine). Unparseable versions are an
//! error, never a panic.

use std::cmp::Ordering;
use std::str::FromStr;

use super::Ecosystem;

/// Compares two versions of `eco` in that ecosystem's order.
pub fn compare(eco: Ecosystem, a: &str, b: &str) -> Result<Ordering, String> {
    match eco {
        Ecosystem::PyPI => Ok(pep440(a)?.cmp(&pep440(b)?)),
        Ecosystem::Npm => semver_cmp(npm_trim(a), npm_trim(b)),
        Ecosystem::CratesIo => semver_cmp(a.trim(), b.trim()),
        Ecosystem::Go => semver_cmp(go_trim(a), go_trim(b)),
        Ecosystem::Debian => Ok(dpkg_cmp(&Dpkg::parse(a)?, &Dpkg::parse(b)?)),
        Ecosystem::Alpine => Ok(apk_cmp(&apk_tokens(a)?, &apk_tokens(b)?)),
    }
}

/// Compares two SemVer 2.0 versions (OSV ranges of type `SEMVER`), with an
/// optional leading `v`; build metadata is ignored.
pub fn compare_semver(a: &str, b: &str) -> Result<Ordering, String> {
    semver_cmp(go_trim(a), go_trim(b))
}

fn pep440(v: &str) -> Result<pep440_rs::Version, String> {
    pep440_rs::Version::from_str(v.trim()).map_err(|e| format!("invalid PEP 440 version {v:?}: {e}"))
}

fn semver(v: &str) -> Result<semver::Version, String> {
    semver::Version::parse(v).map_err(|e| format!("invalid SemVer version {v:?}: {e}"))
}

fn semver_cmp(a: &str, b: &str) -> Result<Ordering, String> {
    Ok(semver(a)?.cmp_precedence(&semver(b)?))
}

fn npm_trim(v: &str) -> &str {
    let v = v.trim();
    let v = v.strip_prefix('=').unwrap_or(v).trim_start();
    v.strip_prefix('v').unwrap_or(v)
}

fn go_trim(v: &str) -> &str {
    let v = v.trim();
    let v = v.strip_prefix('v').unwrap_or(v);
    v.strip_suffix("+incompatible").unwrap_or(v)
}

/// A Debian version: `[epoch:]upstream[-revision]`.
#[derive(Debug)]
struct Dpkg<'a> {
    epoch: u64,
    upstream: &'a str,
    revision: &'a str,
}

impl<'a> Dpkg<'a> {
    fn parse(v: &'a str) -> Result<Self, String> {
        let s = v.trim();
        let err = |why: &str| format!("invalid Debian version {v:?}: {why}");
        if s.is_empty() {
            return Err(err("empty"));
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(err("epoch is not a number"));
                }
                (e.parse::<u64>().map_err(|_| err("epoch too large"))?, rest)
            }
            None => (0, s),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(err("empty upstream version"));
        }
        if !upstream.as_bytes()[0].is_ascii_digit() {
            return Err(err("upstream version must start with a digit"));
        }
        let ok = |c: char| c.is_ascii_alphanumeric() || ".+~-:".contains(c);
        if !upstream.chars().all(ok) || !revision.chars().all(|c| c.is_ascii_alphanumeric() || ".+~".contains(c)) {
            return Err(err("invalid character"));
        }
        if rest.contains('-') && revision.is_empty() {
            return Err(err("empty revision"));
        }
        Ok(Dpkg { epoch, upstream, revision })
    }
}

fn dpkg_cmp(a: &Dpkg, b: &Dpkg) -> Ordering {
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| verrevcmp(a.upstream, b.upstream))
        .then_with(|| verrevcmp(a.revision, b.revision))
}

/// dpkg's character order: `~` before the end, the end before letters, letters
/// before everything else.
fn dpkg_order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(b'~') => -1,
        Some(c) => c as i32 + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = dpkg_order(a.get(i).copied());
            let bc = dpkg_order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// One token of an apk version, in apk's token order (a version that runs out
/// of tokens first is older, unless the other continues with a pre-release suffix).
#[derive(Debug, PartialEq, Eq)]
enum Apk {
    /// A numeric component (digits, leading zeros removed).
    Digit(String),
    Letter(u8),
    /// A suffix rank (`_alpha` < `_beta` < `_pre` < `_rc` < release < `_cvs` <
    /// `_svn` < `_git` < `_hg` < `_p`) and its number.
    Suffix(i8, String),
    Revision(String),
}

impl Apk {
    fn kind(&self) -> u8 {
        match self {
            Apk::Digit(_) => 0,
            Apk::Letter(_) => 1,
            Apk::Suffix(..) => 2,
            Apk::Revision(_) => 3,
        }
    }
}

const APK_SUFFIXES: [(&str, i8); 9] =
    [("alpha", -4), ("beta", -3), ("pre", -2), ("rc", -1), ("cvs", 1), ("svn", 2), ("git", 3), ("hg", 4), ("p", 5)];

fn digits(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    (&s[..n], &s[n..])
}

fn number(d: &str) -> String {
    let t = d.trim_start_matches('0');
    if t.is_empty() { "0".to_string() } else { t.to_string() }
}

fn num_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Tokenises `digits{.digits}[letter]{_suffix[digits]}[~hash][-r digits]`.
fn apk_tokens(v: &str) -> Result<Vec<Apk>, String> {
    let err = |why: &str| format!("invalid Alpine version {v:?}: {why}");
    let mut s = v.trim();
    let mut out = Vec::new();
    loop {
        let (d, rest) = digits(s);
        if d.is_empty() {
            return Err(err("expected a number"));
        }
        out.push(Apk::Digit(number(d)));
        s = rest;
        match s.strip_prefix('.') {
            Some(rest) => s = rest,
            None => break,
        }
    }
    if let Some(&c) = s.as_bytes().first()
        && c.is_ascii_lowercase()
    {
        out.push(Apk::Letter(c));
        s = &s[1..];
    }
    while let Some(rest) = s.strip_prefix('_') {
        let (rank, rest) = APK_SUFFIXES
            .iter()
            .find_map(|(name, rank)| rest.strip_prefix(name).map(|r| (*rank, r)))
            .ok_or_else(|| err("unknown suffix"))?;
        let (d, rest) = digits(rest);
        out.push(Apk::Suffix(rank, number(d)));
        s = rest;
    }
    if let Some(rest) = s.strip_prefix('~') {
        let n = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        if n == 0 {
            return Err(err("empty commit hash"));
        }
        s = &rest[n..];
    }
    if let Some(rest) = s.strip_prefix("-r") {
        let (d, rest) = digits(rest);
        if d.is_empty() {
            return Err(err("revision is not a number"));
        }
        out.push(Apk::Revision(number(d)));
        s = rest;
    }
    if !s.is_empty() {
        return Err(err("trailing characters"));
    }
    Ok(out)
}

fn apk_cmp(a: &[Apk], b: &[Apk]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) if x.kind() == y.kind() => {
                let o = match (x, y) {
                    (Apk::Digit(p), Apk::Digit(q)) | (Apk::Revision(p), Apk::Revision(q)) => num_cmp(p, q),
                    (Apk::Letter(p), Apk::Letter(q)) => p.cmp(q),
                    (Apk::Suffix(r, p), Apk::Suffix(s, q)) => r.cmp(s).then_with(|| num_cmp(p, q)),
                    _ => Ordering::Equal,
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            (x, y) => {
                if let Some(Apk::Suffix(r, _)) = x
                    && *r < 0
                {
                    return Ordering::Less;
                }
                if let Some(Apk::Suffix(r, _)) = y
                    && *r < 0
                {
                    return Ordering::Greater;
                }
                // The end sorts after every token kind: the one that goes on is newer,
                // and a component kind earlier in the order is newer than a later one.
                let kx = x.map_or(4, Apk::kind);
                let ky = y.map_or(4, Apk::kind);
                return ky.cmp(&kx);
            }
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ecosystem::*;
    use Ordering::*;

    fn cmp(eco: Ecosystem, a: &str, b: &str) -> Ordering {
        compare(eco, a, b).unwrap_or_else(|e| panic!("{e}"))
    }

    fn ascending(eco: Ecosystem, versions: &[&str]) {
        for w in versions.windows(2) {
            assert_eq!(cmp(eco, w[0], w[1]), Less, "{eco:?}: {} < {}", w[0], w[1]);
            assert_eq!(cmp(eco, w[1], w[0]), Greater, "{eco:?}: {} > {}", w[1], w[0]);
        }
    }

    #[test]
    fn pep440() {
        ascending(
            PyPI,
            &["1.0.dev0", "1.0a1", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.0+local", "1.0.post1", "1.1", "2.0", "1!0.1"],
        );
        assert_eq!(cmp(PyPI, "1.0", "1.0.0"), Equal);
        assert_eq!(cmp(PyPI, "1.0RC1", "1.0rc1"), Equal);
        assert_eq!(cmp(PyPI, "2.2.5", "2.10"), Less);
        assert_eq!(cmp(PyPI, "1!0.1", "2.0"), Greater);
        assert!(compare(PyPI, "not a version", "1.0").is_err());
    }

    #[test]
    fn semver_npm_crates() {
        ascending(
            Npm,
            &[
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "1.0.1",
                "1.10.0",
            ],
        );
        assert_eq!(cmp(Npm, "v1.2.3", "=1.2.3"), Equal);
        assert_eq!(cmp(Npm, "1.2.3+build.1", "1.2.3+build.2"), Equal);
        assert_eq!(cmp(CratesIo, "0.9.0", "0.10.0"), Less);
        assert_eq!(cmp(CratesIo, "1.0.0+meta", "1.0.0"), Equal);
        assert!(compare(CratesIo, "1.0", "1.0.0").is_err());
        assert!(compare(Npm, "", "1.0.0").is_err());
    }

    #[test]
    fn go() {
        assert_eq!(cmp(Go, "v1.2.3", "1.2.3"), Equal);
        assert_eq!(cmp(Go, "v2.0.0+incompatible", "v2.0.0"), Equal);
        ascending(Go, &["v0.0.0-20210101000000-abcdef123456", "v0.0.1", "v1.9.0", "v1.10.0-rc.1", "v1.10.0"]);
        assert!(compare(Go, "latest", "v1.0.0").is_err());
    }

    #[test]
    fn dpkg() {
        ascending(
            Debian,
            &["1.0~rc1", "1.0", "1.0-1", "1.0-1ubuntu1", "1.0a", "1.0+b1", "1.0.1", "1.1", "1.10", "2.0", "1:0.9"],
        );
        assert_eq!(cmp(Debian, "1:1.2-1", "2.0-1"), Greater);
        assert_eq!(cmp(Debian, "2.30-1", "2.30-1ubuntu1"), Less);
        assert_eq!(cmp(Debian, "1.0~~", "1.0~"), Less);
        assert_eq!(cmp(Debian, "1.0~", "1.0"), Less);
        assert_eq!(cmp(Debian, "1.01", "1.1"), Equal);
        assert_eq!(cmp(Debian, "0:1.0", "1.0"), Equal);
        assert_eq!(cmp(Debian, "2.36-9+deb12u4", "2.36-9+deb12u10"), Less);
        assert_eq!(cmp(Debian, "1.2.3-1-2", "1.2.3-1-1"), Greater); // upstream may hold '-'
        for bad in ["", "a1.0", "x:1.0", "1.0-", "1.0 1", ":1.0"] {
            assert!(compare(Debian, bad, "1.0").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn apk() {
        ascending(
            Alpine,
            &[
                "1.2.3_alpha",
                "1.2.3_alpha2",
                "1.2.3_beta",
                "1.2.3_pre1",
                "1.2.3_rc1",
                "1.2.3",
                "1.2.3-r1",
                "1.2.3-r4",
                "1.2.3_p1",
                "1.2.3a",
                "1.2.3.1",
                "1.2.4",
                "1.10",
            ],
        );
        assert_eq!(cmp(Alpine, "1.2a", "1.2b"), Less);
        assert_eq!(cmp(Alpine, "1.2", "1.2a"), Less);
        assert_eq!(cmp(Alpine, "1.2", "1.2-r0"), Less);
        assert_eq!(cmp(Alpine, "3.0.8-r0", "3.0.10-r0"), Less);
        assert_eq!(cmp(Alpine, "1.2.3~abc123-r0", "1.2.3-r0"), Equal);
        for bad in ["", "abc", "1.2_foo", "1.2-r", "1.2-x1", "1..2"] {
            assert!(compare(Alpine, bad, "1.0").is_err(), "{bad:?}");
        }
    }
}
