//! WS013: an archive member whose name, or link target, leads outside the directory it is
//! extracted into.

use std::collections::HashSet;

use super::{Rule, Severity};

pub static ARCHIVE_PATH_TRAVERSAL: Rule = Rule {
    id: "WS013",
    name: "archive-path-traversal",
    title: "archive member escapes the extraction directory",
    severity: Severity::High,
    stride: "tampering",
    why: "extracting the archive writes outside the target directory: an absolute name or `..` \
          overwrites any file the extracting user can write (shell profiles, cron jobs, other \
          models), and a symbolic or hard link pointing outside lets a later member be written, \
          or a later read be served, through it. Python's `tarfile.extractall` before 3.12 \
          (without `filter='data'`) and naive zip extraction do exactly that",
    fix: "do not extract the archive; if you must, extract with a filter that refuses such \
          members (`tarfile` with `filter='data'`, `unzip` without `-:`) into an empty directory",
    references: &["CWE-22", "CWE-59", "CVE-2007-4559", "Zip Slip"],
};

/// Components of a member path, `/` and `\` both separators, empty and `.` parts dropped.
fn parts(path: &str) -> impl Iterator<Item = &str> {
    path.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".")
}

/// An absolute path: a leading separator or a drive letter (`C:`), as Windows would read it.
fn is_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with(['/', '\\']) || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic())
}

/// What is wrong with a member's name, if anything.
pub fn name_problem(name: &str) -> Option<String> {
    if is_absolute(name) {
        Some(format!("member `{name}` has an absolute name"))
    } else if parts(name).any(|p| p == "..") {
        Some(format!("member `{name}` climbs out of the extraction directory with `..`"))
    } else {
        None
    }
}

/// Whether `path`, relative to the extraction root, stays inside it once its `..` are
/// resolved lexically.
fn stays_inside<'a>(path: impl Iterator<Item = &'a str>) -> bool {
    let mut depth = 0usize;
    for part in path {
        if part == ".." {
            match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            }
        } else {
            depth += 1;
        }
    }
    true
}

/// What is wrong with a link member, if anything: the target of a symbolic link is relative
/// to the link's directory, that of a hard link to the archive root (as `tarfile` reads them).
pub fn link_problem(name: &str, target: &str, hard: bool) -> Option<String> {
    let kind = if hard { "hard link" } else { "symbolic link" };
    if is_absolute(target) {
        return Some(format!("{kind} `{name}` points to the absolute path `{target}`"));
    }
    let inside = if hard {
        stays_inside(parts(target))
    } else {
        let mut dir: Vec<&str> = parts(name).collect();
        dir.pop();
        stays_inside(dir.into_iter().chain(parts(target)))
    };
    (!inside).then(|| format!("{kind} `{name}` points outside the extraction directory: `{target}`"))
}

/// The link members seen so far in one archive, so that a later member written through one
/// of them is caught: `a` linking to `.` makes `a/../x` harmless but `d` linking to `..`
/// makes `d/x` land outside. Bounded: past `MAX_LINK_BYTES` of names, links are no longer
/// remembered (each link is still checked on its own).
#[derive(Debug, Default)]
pub struct Links {
    names: HashSet<String>,
    bytes: usize,
}

const MAX_LINK_BYTES: usize = 4 << 20;

impl Links {
    pub fn add(&mut self, name: &str) {
        let name = parts(name).collect::<Vec<_>>().join("/");
        if self.bytes + name.len() <= MAX_LINK_BYTES {
            self.bytes += name.len();
            self.names.insert(name);
        }
    }

    /// The link, among those seen, that a member named `name` is written through.
    pub fn through(&self, name: &str) -> Option<String> {
        if self.names.is_empty() {
            return None;
        }
        let parts: Vec<&str> = parts(name).collect();
        (1..parts.len()).map(|n| parts[..n].join("/")).find(|prefix| self.names.contains(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for bad in ["/etc/passwd", "\\evil", "C:\\x", "c:x", "../x", "a/../../x", "a\\..\\..\\x", "a/.."] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
        for good in ["a/b.pkl", "./a", "a..b/c", "..a", "a/b..", "model/.data/x", ""] {
            assert!(name_problem(good).is_none(), "{good}");
        }
    }

    #[test]
    fn links() {
        assert!(link_problem("a", "/etc", false).is_some());
        assert!(link_problem("a", "..", false).is_some());
        assert!(link_problem("d/a", "..", false).is_none());
        assert!(link_problem("d/a", "../..", false).is_some());
        assert!(link_problem("d/a", "x/../../y", false).is_none());
        assert!(link_problem("d/a", "../b/c", false).is_none());
        // Hard links resolve from the archive root.
        assert!(link_problem("d/a", "../x", true).is_some());
        assert!(link_problem("d/a", "d/x", true).is_none());
        assert!(link_problem("d/a", "C:\\Windows", true).is_some());
    }

    #[test]
    fn members_written_through_links() {
        let mut links = Links::default();
        assert_eq!(links.through("d/x"), None);
        links.add("./d/");
        assert_eq!(links.through("d/x").as_deref(), Some("d"));
        assert_eq!(links.through("d"), None);
        assert_eq!(links.through("e/d/x"), None);
    }
}
