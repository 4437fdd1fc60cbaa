//! The packages installed in a root file system: an unpacked image
//! (`docker export | tar -x`) given with `--rootfs DIR`, or `/` with `--host`. Only
//! the package databases are read (dpkg, apk, and Python's `*.dist-info` under
//! the usual site-packages folders), never the whole tree.

use std::path::{Path, PathBuf};

use crate::input::{File, FileError, Input, Inputs};

/// Python installs whose `site-packages` / `dist-packages` are read, below the root.
const PYTHON_LIBS: &[&str] = &["usr/lib", "usr/local/lib", "opt/conda/lib", "usr/lib64", "usr/local/lib64"];
/// Most `*.dist-info` folders read per site-packages (a large environment has ~500).
const MAX_DISTS: usize = 20_000;

/// The package databases under `root`, as audit inputs; each shown with its path
/// inside the root (`/var/lib/dpkg/status`).
pub fn inventories(root: &Path) -> Inputs {
    let mut inputs = Inputs::default();
    for db in ["var/lib/dpkg/status", "lib/apk/db/installed"] {
        add(&mut inputs, root, &root.join(db));
    }
    for dir in site_packages(root) {
        let Ok(read) = std::fs::read_dir(&dir) else { continue };
        let mut dists: Vec<PathBuf> = read
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "dist-info"))
            .take(MAX_DISTS)
            .collect();
        dists.sort();
        for dist in dists {
            add(&mut inputs, root, &dist.join("METADATA"));
        }
    }
    inputs
}

/// `ROOT/<lib>/python3.*/{site,dist}-packages`, plus Debian's `python3/dist-packages`.
fn site_packages(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for lib in PYTHON_LIBS {
        let Ok(read) = std::fs::read_dir(root.join(lib)) else { continue };
        let mut pythons: Vec<PathBuf> = read
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("python")))
            .collect();
        pythons.sort();
        for python in pythons {
            for sub in ["site-packages", "dist-packages"] {
                let dir = python.join(sub);
                if dir.is_dir() {
                    found.push(dir);
                }
            }
        }
    }
    found
}

fn add(inputs: &mut Inputs, root: &Path, path: &Path) {
    let shown = format!("/{}", path.strip_prefix(root).unwrap_or(path).display());
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            inputs.errors.push(FileError { path: shown, error: e.to_string() });
            return;
        }
    };
    match super::inventory::parse(path, &text) {
        Some(Ok(mut packages)) => {
            for p in &mut packages {
                p.file = shown.clone();
            }
            inputs.files.push(File { path: shown, text, input: Input::Inventory(packages) });
        }
        Some(Err(error)) => inputs.errors.push(FileError { path: shown, error }),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_package_databases_of_an_unpacked_image() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("var/lib/dpkg")).unwrap();
        std::fs::write(
            r.join("var/lib/dpkg/status"),
            "Package: openssl\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n",
        )
        .unwrap();
        let dist = r.join("usr/local/lib/python3.11/site-packages/Flask-2.2.4.dist-info");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("METADATA"), "Metadata-Version: 2.1\nName: Flask\nVersion: 2.2.4\n").unwrap();
        let inputs = inventories(r);
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
        let found: Vec<(String, String, String)> = inputs
            .files
            .iter()
            .flat_map(|f| match &f.input {
                Input::Inventory(p) => p.iter().map(|p| (p.file.clone(), p.name.clone(), p.version.clone())).collect(),
                _ => Vec::new(),
            })
            .collect();
        assert_eq!(
            found,
            [
                ("/var/lib/dpkg/status".into(), "openssl".into(), "3.0.11-1~deb12u2".into()),
                (
                    "/usr/local/lib/python3.11/site-packages/Flask-2.2.4.dist-info/METADATA".into(),
                    "Flask".into(),
                    "2.2.4".into()
                ),
            ]
        );
    }
}
