//! WS008: an ONNX tensor whose external data file lies outside the model's directory.

use std::fs;
use std::path::Path;

use super::{Rule, Severity};

pub static ONNX_EXTERNAL_DATA: Rule = Rule {
    id: "WS008",
    name: "onnx-external-data-escape",
    title: "ONNX external data escapes the model directory",
    severity: Severity::Critical,
    stride: "information-disclosure",
    why: "a runtime reads the external data file named by the model: an absolute path, `..` or \
          a symbolic link makes loading the model read any file the server can (keys, \
          credentials) into a tensor an attacker can then query",
    fix: "keep external data files beside the model with plain relative names; reject the model \
          otherwise",
    references: &["CVE-2022-25882", "CVE-2024-27318"],
};

/// What is wrong with an external data `location`, if anything. With the model's directory
/// the path is also checked on disk: no component may be a symbolic link and the result
/// must stay inside the directory.
pub fn external_data_problem(location: &str, dir: Option<&Path>) -> Option<String> {
    let bytes = location.as_bytes();
    let drive = bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic();
    if location.starts_with(['/', '\\']) || drive {
        return Some(format!("external data location `{location}` is an absolute path"));
    }
    let parts: Vec<&str> = location.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.contains(&"..") {
        return Some(format!("external data location `{location}` climbs out with `..`"));
    }
    let dir = dir?;
    let mut path = dir.to_path_buf();
    for part in parts {
        path.push(part);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Some(format!("external data location `{location}` goes through a symbolic link"));
            }
            Ok(_) => {}
            // A missing file cannot be read, so it cannot leak anything.
            Err(_) => return None,
        }
    }
    match (dir.canonicalize(), path.canonicalize()) {
        (Ok(dir), Ok(path)) if !path.starts_with(&dir) => {
            Some(format!("external data location `{location}` resolves outside the model directory"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_checks() {
        assert!(external_data_problem("/etc/passwd", None).is_some());
        assert!(external_data_problem("\\\\server\\share", None).is_some());
        assert!(external_data_problem("C:\\keys", None).is_some());
        assert!(external_data_problem("../secret.bin", None).is_some());
        assert!(external_data_problem("a/../../b", None).is_some());
        assert!(external_data_problem("weights.bin", None).is_none());
        assert!(external_data_problem("./sub/weights..bin", None).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("weights.bin"), b"1234").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link.bin")).unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("etc")).unwrap();
        assert_eq!(external_data_problem("weights.bin", Some(dir.path())), None);
        assert!(external_data_problem("link.bin", Some(dir.path())).unwrap().contains("symbolic link"));
        assert!(external_data_problem("etc/hostname", Some(dir.path())).unwrap().contains("symbolic link"));
        assert_eq!(external_data_problem("sub/missing.bin", Some(dir.path())), None);
    }
}
