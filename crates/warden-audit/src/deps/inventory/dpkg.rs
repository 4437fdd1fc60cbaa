//! Debian and Ubuntu `var/lib/dpkg/status`: one stanza per package known to
//! dpkg; only those with `Status: install ok installed` (or `hold ok
//! installed`) are on the system: removed-but-configured, half-installed and
//! purged ones are not.
//! The package points at its `Package:` line. The name is the binary
//! package's; its `Source:` (what Debian advisories name) is not kept yet.

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
        out.push(Package {
            ecosystem: Ecosystem::Debian,
            name: name.to_string(),
            version: version.to_string(),
            file: file.to_string(),
            line,
            column,
        });
    }
    Ok(out)
}
