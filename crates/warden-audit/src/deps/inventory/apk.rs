//! Alpine `lib/apk/db/installed`: one stanza per installed package, with
//! single-letter fields: `P:` name, `V:` version, `o:` origin (the source
//! package, which Alpine's advisories name). The package points at its `P:` line.

use super::{Lines, field, stanzas};
use crate::deps::{Ecosystem, Package};

pub(super) fn parse(file: &str, text: &str) -> Result<Vec<Package>, String> {
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for stanza in stanzas(text, ':')? {
        let (first, _) = lines.position(stanza[0].2);
        let (Some((name, at)), Some((version, _))) = (field(&stanza, "P"), field(&stanza, "V")) else {
            return Err(format!("line {first}: a package stanza without `P:` and `V:`"));
        };
        if name.is_empty() || version.is_empty() {
            return Err(format!("line {first}: a package stanza with an empty `P:` or `V:`"));
        }
        let (line, column) = lines.position(at);
        let mut package = Package::new(Ecosystem::Alpine, name, version, file, (line, column));
        package.source =
            field(&stanza, "o").map(|(o, _)| o).filter(|o| !o.is_empty() && *o != name).map(str::to_string);
        out.push(package);
    }
    Ok(out)
}
