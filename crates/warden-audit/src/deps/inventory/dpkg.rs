//! Debian and Ubuntu `var/lib/dpkg/status`: one stanza per package known to
//! dpkg; only those with `Status: install ok installed` (or `hold ok
//! installed`) are on the system: removed-but-configured, half-installed and
//! purged ones are not.
//! The package points at its `Package:` line. The name is the binary
//! package's; its `Source:` (`glibc` for `libc6`, maybe with the source's own
//! version in parentheses) is what Debian advisories name and version, so both
//! are kept.

use super::{Lines, field, stanzas};
use crate::deps::{Ecosystem, Package};

pub(super) fn parse(file: &str, text: &str) -> Result<Vec<Package>, String> {
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for stanza in stanzas(text, ':')? {
        let Some((name, at)) = field(&stanza, "Package") else {
            let (line, _) = lines.position(stanza[0].2);
            return Err(format!("line {line}: a stanza without a `Package:` field"));
        };
        // `want flag state`: installed, and wanted (`install`, or `hold` for a
        // package pinned with apt-mark hold), with no reinstall required.
        let status = field(&stanza, "Status").map(|(s, _)| s.split_whitespace().collect::<Vec<_>>());
        let installed = matches!(status.as_deref(), Some(["install" | "hold", "ok", "installed"]));
        if !installed {
            continue;
        }
        let (line, column) = lines.position(at);
        let Some((version, _)) = field(&stanza, "Version").filter(|(v, _)| !v.is_empty()) else {
            return Err(format!("line {line}: installed package `{name}` without a `Version:`"));
        };
        let mut package = Package::new(Ecosystem::Debian, name, version, file, (line, column));
        // `Source: glibc`, or `Source: gcc-defaults (1.203)` when the source
        // version differs from the binary's.
        let source = field(&stanza, "Source").map(|(s, _)| s.trim());
        package.source = source.and_then(|s| s.split_whitespace().next()).filter(|s| *s != name).map(str::to_string);
        package.source_version = source
            .and_then(|s| s.split_once('('))
            .and_then(|(_, v)| v.split_once(')'))
            .map(|(v, _)| v.trim().to_string())
            .filter(|v| !v.is_empty() && *v != version);
        out.push(package);
    }
    Ok(out)
}
