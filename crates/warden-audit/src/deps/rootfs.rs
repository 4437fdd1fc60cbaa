//! The packages installed in a root file system: an unpacked image
//! (`docker export | tar -x`) given with `--rootfs DIR`, or `/` with `--host`. Only
//! the package databases are read (dpkg, apk, and Python's `*.dist-info` under
//! the usual site-packages folders), never the whole tree.

use std::path::{Path, PathBuf};

use super::Ecosystem;
use crate::input::{File, FileError, Input, Inputs};

/// Python installs whose `site-packages` / `dist-packages` are read, below the root.
const PYTHON_LIBS: &[&str] = &["usr/lib", "usr/local/lib", "opt/conda/lib", "usr/lib64", "usr/local/lib64"];
/// Most `*.dist-info` folders read per site-packages (a large environment has ~500).
const MAX_DISTS: usize = 20_000;
/// The largest package database read (a big dpkg status is about 10 MiB).
const MAX_DB: u64 = 64 << 20;

/// A regular file of the image as text: `None` when it is not there; an error for
/// a link (an unpacked image's absolute links point into this machine, and a link
/// to /dev/zero never ends), anything but a regular file, or over `cap` bytes.
fn read_regular(path: &Path, cap: u64) -> Result<Option<String>, String> {
    use std::io::Read;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    if meta.file_type().is_symlink() {
        return Err("a symbolic link: not followed in a root file system".into());
    }
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > cap {
        return Err(format!("{} bytes, over the limit of {cap}", meta.len()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(cap).read_to_end(&mut bytes)).map_err(|e| e.to_string())?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The package databases under `root`, as audit inputs; each shown with its path
/// inside the root (`/var/lib/dpkg/status`).
pub fn inventories(root: &Path) -> Inputs {
    let mut inputs = Inputs::default();
    let release = Release::of(root);
    for db in ["var/lib/dpkg/status", "lib/apk/db/installed"] {
        add(&mut inputs, root, &root.join(db), &release);
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
            add(&mut inputs, root, &dist.join("METADATA"), &release);
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

/// The distribution release of a root, from `etc/os-release` (or
/// `usr/lib/os-release`), as OSV's Debian and Alpine ecosystems suffix it.
#[derive(Debug, Default, PartialEq)]
struct Release {
    debian: Option<String>,
    alpine: Option<String>,
}

impl Release {
    fn of(root: &Path) -> Release {
        // etc/os-release is usually a link to ../usr/lib/os-release: links are not
        // followed (an absolute one would read this machine's), the target is read.
        let text = ["etc/os-release", "usr/lib/os-release"]
            .iter()
            .find_map(|p| read_regular(&root.join(p), 64 << 10).ok().flatten())
            .unwrap_or_default();
        Release::parse(&text)
    }

    /// Debian `VERSION_ID="12"` is `12` (testing and sid have none: every
    /// release's entries apply); Alpine `VERSION_ID=3.20.3` is `v3.20`. A
    /// Debian derivative (Ubuntu: `ID=ubuntu`) gets a release no Debian entry
    /// names, since Debian's fixed versions say nothing about its packages.
    fn parse(text: &str) -> Release {
        let value = |key: &str| {
            text.lines()
                .filter_map(|l| l.trim().split_once('='))
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
        };
        let id = value("ID").unwrap_or_default();
        let version = value("VERSION_ID");
        match id.as_str() {
            "debian" => {
                Release { debian: version.map(|v| v.split('.').next().unwrap_or("").to_string()), alpine: None }
            }
            "alpine" => Release {
                debian: None,
                alpine: version.map(|v| {
                    let mut parts = v.split('.');
                    format!("v{}.{}", parts.next().unwrap_or(""), parts.next().unwrap_or(""))
                }),
            },
            "" => Release::default(),
            other => Release { debian: Some(other.to_string()), alpine: Some(other.to_string()) },
        }
    }

    fn of_package(&self, ecosystem: Ecosystem) -> Option<String> {
        match ecosystem {
            Ecosystem::Debian => self.debian.clone(),
            Ecosystem::Alpine => self.alpine.clone(),
            _ => None,
        }
    }
}

fn add(inputs: &mut Inputs, root: &Path, path: &Path, release: &Release) {
    let shown = format!("/{}", path.strip_prefix(root).unwrap_or(path).display());
    let text = match read_regular(path, MAX_DB) {
        Ok(Some(text)) => text,
        Ok(None) => return,
        Err(error) => {
            inputs.errors.push(FileError { path: shown, error });
            return;
        }
    };
    match super::inventory::parse(path, &text) {
        Some(Ok(mut packages)) => {
            for p in &mut packages {
                p.file = shown.clone();
                p.release = release.of_package(p.ecosystem);
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
    fn links_in_an_image_are_not_followed() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("etc")).unwrap();
        std::fs::create_dir_all(r.join("usr/lib")).unwrap();
        std::fs::create_dir_all(r.join("var/lib/dpkg")).unwrap();
        // The usual relative link is not followed: the file it names is read instead.
        std::fs::write(r.join("usr/lib/os-release"), "ID=debian\nVERSION_ID=\"11\"\n").unwrap();
        std::os::unix::fs::symlink("/etc/os-release", r.join("etc/os-release")).unwrap();
        assert_eq!(Release::of(r).debian.as_deref(), Some("11"));
        // A database that is a link (here to this machine's own) is an error, not read.
        std::os::unix::fs::symlink("/var/lib/dpkg/status", r.join("var/lib/dpkg/status")).unwrap();
        let inputs = inventories(r);
        assert!(inputs.files.is_empty());
        assert_eq!(inputs.errors.len(), 1);
        assert!(inputs.errors[0].error.contains("symbolic link"), "{:?}", inputs.errors);
    }

    #[test]
    fn releases_as_osv_suffixes_them() {
        let debian = Release::parse("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n");
        assert_eq!(debian.of_package(Ecosystem::Debian).as_deref(), Some("12"));
        assert_eq!(Release::parse("ID=debian\nVERSION_CODENAME=trixie\n"), Release::default());
        let alpine = Release::parse("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\n");
        assert_eq!(alpine.of_package(Ecosystem::Alpine).as_deref(), Some("v3.20"));
        assert_eq!(alpine.of_package(Ecosystem::PyPI), None);
        let ubuntu = Release::parse("ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n");
        assert_eq!(ubuntu.of_package(Ecosystem::Debian).as_deref(), Some("ubuntu"));
    }

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
