//! The model manifest as model-signing 1.x computes it with its default "files"
//! serialization: one SHA-256 per regular file, named by its path relative to the model
//! root with `/` separators, sorted component by component (Python `PurePosixPath`
//! order), and a root digest = SHA-256 over the concatenated raw file digests.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::SigningError;

/// Paths model-signing ignores by default (its `--ignore-git-paths`, on by default).
pub const GIT_PATHS: [&str; 4] = [".git", ".gitattributes", ".github", ".gitignore"];

/// The `predicate.serialization` parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Serialization {
    /// Always `files` here (`shards` is not supported).
    pub method: String,
    /// Always `sha256` here.
    pub hash_type: String,
    pub allow_symlinks: bool,
    /// Paths relative to the model root, `/`-separated; a directory ignores everything under it.
    pub ignore_paths: Vec<String>,
}

impl Serialization {
    pub fn files(allow_symlinks: bool, ignore_paths: Vec<String>) -> Self {
        Serialization { method: "files".into(), hash_type: "sha256".into(), allow_symlinks, ignore_paths }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "method": self.method,
            "hash_type": self.hash_type,
            "allow_symlinks": self.allow_symlinks,
        });
        if !self.ignore_paths.is_empty() {
            v["ignore_paths"] = serde_json::json!(self.ignore_paths);
        }
        v
    }
}

/// One file of the model and its digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// Path relative to the model root, `/`-separated (`.` when the model is a single file).
    pub name: String,
    pub sha256: [u8; 32],
}

impl FileDigest {
    pub fn hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

/// A model's manifest: its name, its files in canonical order, and how they were hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub model_name: String,
    pub files: Vec<FileDigest>,
    pub serialization: Serialization,
}

impl Manifest {
    /// SHA-256 over the raw digests of the files, in order: the in-toto subject digest.
    pub fn root_digest(&self) -> [u8; 32] {
        root_digest(self.files.iter().map(|f| &f.sha256))
    }
}

pub(crate) fn root_digest<'a>(digests: impl Iterator<Item = &'a [u8; 32]>) -> [u8; 32] {
    let mut h = Sha256::new();
    for d in digests {
        h.update(d);
    }
    h.finalize().into()
}

/// Python's `PurePosixPath` ordering: component by component, each by code point
/// (UTF-8 byte order is the same).
pub(crate) fn sort_files(files: &mut [FileDigest]) {
    files.sort_by(|a, b| a.name.split('/').cmp(b.name.split('/')));
}

/// The model name model-signing records: the last component of the path as given,
/// or of the resolved path when that is empty or `..`.
pub fn model_name(model: &Path) -> String {
    match model.file_name().and_then(|n| n.to_str()) {
        Some(n) if !n.is_empty() && n != ".." => n.to_string(),
        _ => std::fs::canonicalize(model)
            .ok()
            .and_then(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string))
            .unwrap_or_default(),
    }
}

fn ignored(rel: &[String], ignore: &[Vec<String>]) -> bool {
    ignore.iter().any(|ig| !ig.is_empty() && rel.len() >= ig.len() && rel[..ig.len()] == ig[..])
}

fn split_ignore(p: &str) -> Vec<String> {
    p.split('/').filter(|c| !c.is_empty() && *c != ".").map(str::to_string).collect()
}

/// Hashes the model at `model` (a directory or a single file) with the "files"
/// serialization. `serialization.ignore_paths` are skipped (relative to the model root).
/// A symbolic link is an error unless `allow_symlinks` (then the target's bytes are hashed);
/// anything that is neither a file nor a directory is an error.
pub fn hash_model(model: &Path, serialization: &Serialization) -> Result<Manifest, SigningError> {
    let ignore: Vec<Vec<String>> = serialization.ignore_paths.iter().map(|p| split_ignore(p)).collect();
    let mut files = Vec::new();
    check_entry(model, serialization.allow_symlinks)?;
    let meta = std::fs::metadata(model).map_err(|e| SigningError::io(model, e))?;
    if meta.is_file() {
        files.push(FileDigest { name: ".".into(), sha256: hash_file(model)? });
    } else {
        let mut stack: Vec<(PathBuf, Vec<String>)> = vec![(model.to_path_buf(), Vec::new())];
        while let Some((dir, rel)) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| SigningError::io(&dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| SigningError::io(&dir, e))?;
                let path = entry.path();
                let name = entry
                    .file_name()
                    .into_string()
                    .map_err(|_| SigningError::Model(format!("{}: file name is not UTF-8", path.display())))?;
                let mut child = rel.clone();
                child.push(name);
                check_entry(&path, serialization.allow_symlinks)?;
                let ft = entry.file_type().map_err(|e| SigningError::io(&path, e))?;
                if ft.is_dir() {
                    // `**` does not descend through symlinked directories.
                    stack.push((path, child));
                } else if std::fs::metadata(&path).map(|m| m.is_file()).unwrap_or(false) && !ignored(&child, &ignore) {
                    files.push(FileDigest { name: child.join("/"), sha256: hash_file(&path)? });
                }
            }
        }
    }
    sort_files(&mut files);
    Ok(Manifest { model_name: model_name(model), files, serialization: serialization.clone() })
}

fn check_entry(path: &Path, allow_symlinks: bool) -> Result<(), SigningError> {
    let lmeta = std::fs::symlink_metadata(path).map_err(|e| SigningError::io(path, e))?;
    if lmeta.file_type().is_symlink() && !allow_symlinks {
        return Err(SigningError::Model(format!(
            "{}: is a symbolic link (symbolic links are not followed unless allowed)",
            path.display()
        )));
    }
    let meta = std::fs::metadata(path).map_err(|e| SigningError::io(path, e))?;
    if !(meta.is_file() || meta.is_dir()) {
        return Err(SigningError::Model(format!("{}: neither a regular file nor a directory", path.display())));
    }
    Ok(())
}

fn hash_file(path: &Path) -> Result<[u8; 32], SigningError> {
    let mut f = File::open(path).map_err(|e| SigningError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(SigningError::io(path, e)),
        };
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fd(name: &str) -> FileDigest {
        FileDigest { name: name.into(), sha256: [0; 32] }
    }

    #[test]
    fn order_is_component_wise_like_purepath() {
        let mut v = vec![fd("a.txt"), fd("a/b"), fd("B"), fd("a-b/c"), fd("a")];
        sort_files(&mut v);
        let names: Vec<_> = v.iter().map(|f| f.name.as_str()).collect();
        // "a/b" sorts before "a-b/c" and "a.txt" because "a" < "a-b" < "a.txt".
        assert_eq!(names, ["B", "a", "a/b", "a-b/c", "a.txt"]);
    }

    #[test]
    fn hashes_files_and_skips_ignored_paths() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("mymodel");
        std::fs::create_dir_all(m.join("sub")).unwrap();
        std::fs::create_dir_all(m.join(".git/objects")).unwrap();
        std::fs::write(m.join("sub/w.bin"), b"x\n").unwrap();
        std::fs::write(m.join("a.txt"), b"hello\n").unwrap();
        std::fs::write(m.join("model.sig"), b"{}").unwrap();
        std::fs::write(m.join(".git/objects/o"), b"o").unwrap();
        let mut ig = vec!["model.sig".to_string()];
        ig.extend(GIT_PATHS.iter().map(|s| s.to_string()));
        let man = hash_model(&m, &Serialization::files(false, ig)).unwrap();
        assert_eq!(man.model_name, "mymodel");
        let names: Vec<_> = man.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a.txt", "sub/w.bin"]);
        // sha256("hello\n"), the digest model-signing records for the same file.
        assert_eq!(man.files[0].hex(), "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
        let mut h = Sha256::new();
        h.update(man.files[0].sha256);
        h.update(man.files[1].sha256);
        assert_eq!(man.root_digest(), <[u8; 32]>::from(h.finalize()));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_refused_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"a").unwrap();
        std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("l")).unwrap();
        assert!(hash_model(dir.path(), &Serialization::files(false, vec![])).is_err());
        let man = hash_model(dir.path(), &Serialization::files(true, vec![])).unwrap();
        assert_eq!(man.files.len(), 2);
        assert_eq!(man.files[0].sha256, man.files[1].sha256);
    }
}
