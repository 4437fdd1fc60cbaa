//! The redactor. Every log line and every error message passes it, whatever field
//! the value sits in, so a JSON parse error quoting a request body cannot carry an
//! e-mail address or a card number into a log. Values are replaced by their kind
//! (`[EMAIL]`, `[CARD]`) or by a keyed pseudonym (`[EMAIL:1f2e3d4c]`, HMAC-SHA256)
//! that correlates one value across lines without revealing it. Credentials are
//! always masked outright.

mod checks;
mod credentials;
mod kind;
mod scan;

use std::borrow::Cow;
use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use regex::Regex;
use sha2::Sha256;

pub use kind::Kind;

/// What to do with IP addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AddressMode {
    Keep,
    Mask,
    #[default]
    Pseudonymise,
}

/// How a redactor treats what it finds.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Replace personal values by a pseudonym instead of their kind alone.
    pub pseudonymise: bool,
    pub addresses: AddressMode,
    /// Extra patterns: (name, regex). Matches become `[NAME]`.
    pub custom: Vec<(String, String)>,
    /// The pseudonym key; a random one per process when not given (then pseudonyms
    /// correlate only within one run).
    pub key: Option<[u8; 32]>,
}

/// A value found in a text: its byte range and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

pub struct Redactor {
    credentials: credentials::Credentials,
    secret_word: Regex,
    custom: Vec<(String, Regex)>,
    settings: Settings,
    key: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
#[error("redaction pattern '{name}': {message}")]
pub struct PatternError {
    pub name: String,
    pub message: String,
}

impl Redactor {
    pub fn new(settings: Settings) -> Result<Redactor, PatternError> {
        let credentials = credentials::Credentials::new();
        let custom = settings
            .custom
            .iter()
            .map(|(name, pattern)| {
                Regex::new(pattern)
                    .map(|r| (name.to_uppercase(), r))
                    .map_err(|e| PatternError { name: name.clone(), message: e.to_string() })
            })
            .collect::<Result<_, _>>()?;
        let key = settings.key.unwrap_or_else(|| {
            let mut k = [0; 32];
            let _ = getrandom::fill(&mut k);
            k
        });
        let secret_word = Regex::new("(?i-u)secret").expect("a literal compiles");
        Ok(Redactor { credentials, secret_word, custom, settings, key })
    }

    /// Every value found, in order, not overlapping. Credentials win over
    /// numbers found inside them.
    pub fn find(&self, text: &str) -> Vec<Finding> {
        // One vector for everything (a line with nothing to redact allocates
        // nothing): credentials first, then what the scanners find.
        let mut found = Vec::new();
        self.credentials.find(text, &mut found);
        let credentials = found.len();
        let aws_context = found.iter().any(|f| f.kind == Kind::AwsKey) || self.secret_word.is_match(text);
        scan::emails(text, &mut found);
        scan::ipv6(text, &mut found);
        scan::numbers_and_ibans(text, &mut found);
        if aws_context {
            scan::aws_secrets(text, &mut found);
        }
        if found.len() > credentials {
            found[credentials..].sort_by_key(|f| (f.start, usize::MAX - f.end));
            let mut kept = credentials;
            let mut last_end = 0;
            for i in credentials..found.len() {
                let f = found[i];
                let inside_credential = found[..credentials].iter().any(|k| k.start < f.end && f.start < k.end);
                if !inside_credential && f.start >= last_end {
                    found[kept] = f;
                    kept += 1;
                    last_end = f.end;
                }
            }
            found.truncate(kept);
        }
        for (i, (_, regex)) in self.custom.iter().enumerate() {
            for m in regex.find_iter(text) {
                let overlaps = found.iter().any(|f| f.start < m.end() && m.start() < f.end);
                if !overlaps && !m.is_empty() {
                    found.push(Finding { start: m.start(), end: m.end(), kind: Kind::Custom(i) });
                }
            }
        }
        found.sort_by_key(|f| f.start);
        found
    }

    /// The text with every finding replaced; borrowed when nothing was found.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let found = self.find(text);
        if found.iter().all(|f| f.kind.is_address() && self.settings.addresses == AddressMode::Keep) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for f in found {
            out.push_str(&text[last..f.start]);
            self.replace(&mut out, f.kind, &text[f.start..f.end]);
            last = f.end;
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }

    /// Appends what stands for `value`: `[KIND]`, `[KIND:pseudonym]`, or the value
    /// itself (addresses, when kept).
    fn replace(&self, out: &mut String, kind: Kind, value: &str) {
        let label = match kind {
            Kind::Custom(i) => self.custom[i].0.as_str(),
            Kind::Ipv4 | Kind::Ipv6 => "IP",
            k => k.label(),
        };
        if kind.is_address() && not_personal(value) {
            return out.push_str(value);
        }
        let pseudonymise = match kind {
            Kind::Ipv4 | Kind::Ipv6 => match self.settings.addresses {
                AddressMode::Keep => return out.push_str(value),
                AddressMode::Mask => false,
                AddressMode::Pseudonymise => true,
            },
            k if k.is_secret() => false,
            _ => self.settings.pseudonymise,
        };
        out.push('[');
        out.push_str(label);
        if pseudonymise {
            out.push(':');
            out.push_str(&self.pseudonym(value));
        }
        out.push(']');
    }

    /// A short keyed pseudonym of `value`: the same value gives the same pseudonym
    /// under one key, and without the key it cannot be reversed or confirmed.
    pub fn pseudonym(&self, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(value.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..4])
    }
}

/// Loopback and unspecified addresses (the server's own `127.0.0.1:8443`,
/// `0.0.0.0`) say nothing about anyone, and operators need to read them.
fn not_personal(address: &str) -> bool {
    address.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

static GLOBAL: OnceLock<Redactor> = OnceLock::new();

/// Makes `redactor` the one [`scrub`] uses. The first call wins; later calls (a
/// second server in one process, in tests) keep the first.
pub fn install(redactor: Redactor) {
    let _ = GLOBAL.set(redactor);
}

/// The process's redactor: the installed one, or the defaults.
pub fn global() -> &'static Redactor {
    GLOBAL.get_or_init(|| Redactor::new(Settings::default()).expect("the built-in patterns compile"))
}

/// Redacts `text` with the process's redactor.
pub fn scrub(text: &str) -> Cow<'_, str> {
    global().redact(text)
}

#[cfg(test)]
mod tests;
