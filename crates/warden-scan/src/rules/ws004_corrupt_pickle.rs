//! WS004: pickle data that cannot be parsed, or only in part.

use super::{Rule, Severity};

pub static CORRUPT_PICKLE: Rule = Rule {
    id: "WS004",
    name: "corrupt-pickle",
    title: "pickle is corrupt, truncated or too large to analyse",
    severity: Severity::Medium,
    stride: "tampering",
    why: "a pickle that does not parse is either damaged or crafted to confuse scanners: the \
          unpickler runs every opcode up to the error, and an analysis cut short by a size limit \
          may have missed an import",
    fix: "re-download the file and check its digest or signature; if it still fails, do not load it",
    references: &["CWE-502"],
};
