//! Dependency inventories (issue 13): every format recognised by name and
//! content, its pins found with the line and column they are written at, and
//! broken files reported as errors rather than skipped.

use std::path::{Path, PathBuf};

use warden_audit::deps::inventory::parse;
use warden_audit::deps::{Ecosystem, Package};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inventory").join(rel)
}

/// Parses a fixture that must be an inventory that parses.
fn packages(rel: &str) -> Vec<Package> {
    let path = fixture(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    let packages = parse(&path, &text).unwrap_or_else(|| panic!("{rel} not recognised")).unwrap();
    for p in &packages {
        assert_eq!(p.file, path.display().to_string());
    }
    packages
}

/// Name, version, line, column.
fn pins(packages: &[Package]) -> Vec<(&str, &str, usize, usize)> {
    packages.iter().map(|p| (p.name.as_str(), p.version.as_str(), p.line, p.column)).collect()
}

fn ecosystems(packages: &[Package]) -> Vec<Ecosystem> {
    let mut e: Vec<Ecosystem> = packages.iter().map(|p| p.ecosystem).collect();
    e.dedup();
    e
}

/// Parses inline text at `path`: `None`, or the result.
fn inline(path: &str, text: &str) -> Option<Result<Vec<Package>, String>> {
    parse(Path::new(path), text)
}

fn error(path: &str, text: &str) -> String {
    match inline(path, text) {
        Some(Err(e)) => e,
        other => panic!("{path}: expected an error, got {other:?}"),
    }
}

#[test]
fn requirements_txt_pins_with_hashes_extras_markers_and_continuations() {
    let p = packages("python/requirements.txt");
    assert_eq!(ecosystems(&p), [Ecosystem::PyPI]);
    assert_eq!(
        pins(&p),
        [
            ("blinker", "1.6.2", 12, 1),
            ("flask", "2.2.2", 16, 1),
            ("Jinja2", "3.1.2", 19, 1),
            ("requests", "2.31.0", 20, 1),
            ("torch", "2.5.1+cu121", 21, 1),
            ("transformers", "4.36.0", 22, 1),
            ("urllib3", "1.26.17", 30, 3),
        ]
    );
}

#[test]
fn requirements_files_are_recognised_by_name_and_content() {
    assert!(inline("requirements-dev.txt", "pytest==7.4.0\n").is_some());
    assert!(inline("dev-requirements.txt", "pytest==7.4.0\n").is_some());
    assert!(inline("requirements/prod.txt", "pytest==7.4.0\n").is_some());
    assert!(inline("requirements.txt", "-r base.txt\n").unwrap().unwrap().is_empty());
    // Unpinned only: an inventory with nothing to match.
    assert_eq!(inline("requirements.txt", "flask>=2\nnumpy\n"), Some(Ok(vec![])));
    // Not requirements: wrong name, or prose under a requirements name.
    assert!(inline("notes.txt", "flask==2.2.2\n").is_none());
    assert!(inline("requirements.in", "flask==2.2.2\n").is_none());
    assert!(inline("docs/requirements.txt", "Install Python 3.11 first, then run make.\n").is_none());
}

#[test]
fn requirements_with_a_broken_line_are_an_error_naming_the_line() {
    let e = error("requirements.txt", "flask==2.2.2\n\nflask==\n");
    assert!(e.starts_with("line 3:"), "{e}");
    let e = error("requirements.txt", "flask==2.2.2\ntorch=>2.0\n");
    assert!(e.contains("line 2") && e.contains("=>"), "{e}");
    let e = error("requirements.txt", "flask==2.2.2\nrequests[socks==2.31.0\n");
    assert!(e.contains("line 2") && e.contains("extras"), "{e}");
}

#[test]
fn poetry_lock_skips_local_directory_packages() {
    let p = packages("python/poetry.lock");
    assert_eq!(ecosystems(&p), [Ecosystem::PyPI]);
    assert_eq!(pins(&p), [("blinker", "1.6.2", 4, 1), ("flask", "2.2.2", 15, 1), ("werkzeug", "2.2.3", 48, 1)]);
}

#[test]
fn uv_lock_skips_the_editable_project() {
    let p = packages("python/uv.lock");
    assert_eq!(pins(&p), [("torch", "2.5.1", 20, 1), ("transformers", "4.36.0", 31, 1)]);
}

#[test]
fn pdm_lock() {
    let p = packages("python/pdm.lock");
    assert_eq!(pins(&p), [("pillow", "10.0.0", 11, 1), ("requests", "2.31.0", 21, 1)]);
}

#[test]
fn toml_lockfiles_that_do_not_parse_are_errors() {
    let e = error("poetry.lock", "[[package]]\nname = \"flask\"\nversion = \"2.2.2\n");
    assert!(e.contains("line 3"), "{e}");
    let e = error("uv.lock", "version = 1\n[[package]]\nversion = \"1.0\"\n");
    assert!(e.contains("name"), "{e}");
    let e = error("Cargo.lock", "[[package]]\nname = \"h2\"\nsource = \"registry+x\"\n");
    assert!(e.contains("version"), "{e}");
    // A lockfile with no packages is a valid, empty inventory.
    assert_eq!(inline("pdm.lock", "[metadata]\nlock_version = \"4.4\"\n"), Some(Ok(vec![])));
}

#[test]
fn pipfile_lock_default_and_develop_with_pinned_versions() {
    let p = packages("python/Pipfile.lock");
    assert_eq!(pins(&p), [("flask", "2.2.2", 19, 9), ("jinja2", "3.1.2", 27, 9), ("pytest", "7.4.0", 40, 9)]);
    let e = error("Pipfile.lock", "{\"default\": {\"flask\": {\"version\": \"==2.2.2\"}");
    assert!(e.starts_with("not valid JSON"), "{e}");
    let e = error("Pipfile.lock", "{\"packages\": {}}");
    assert!(e.contains("default"), "{e}");
}

#[test]
fn package_lock_v3_with_nested_node_modules_aliases_and_links() {
    let p = packages("npm/package-lock.json");
    assert_eq!(ecosystems(&p), [Ecosystem::Npm]);
    assert_eq!(
        pins(&p),
        [
            ("@babel/traverse", "7.22.5", 18, 5),
            ("axios", "1.5.0", 24, 5),
            ("express", "4.18.2", 32, 5),
            ("qs", "6.11.0", 37, 5),
            ("follow-redirects", "1.15.2", 42, 5),
            ("qs", "6.5.3", 53, 5),
            ("string-width", "4.2.3", 58, 5),
        ]
    );
}

#[test]
fn package_lock_v1_and_broken_json_are_errors() {
    let e = error("package-lock.json", "{\"lockfileVersion\": 1, \"dependencies\": {}}");
    assert!(e.contains("lockfileVersion 1"), "{e}");
    let e = error("package-lock.json", "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/a\": }}");
    assert!(e.starts_with("not valid JSON"), "{e}");
    let e = error("npm-shrinkwrap.json", "[]");
    assert!(e.contains("packages"), "{e}");
}

#[test]
fn cargo_lock_keeps_registry_packages_only() {
    let p = packages("rust/Cargo.lock");
    assert_eq!(ecosystems(&p), [Ecosystem::CratesIo]);
    assert_eq!(pins(&p), [("h2", "0.3.20", 6, 1), ("smallvec", "1.6.0", 24, 1)]);
}

#[test]
fn go_sum_skips_go_mod_lines_and_duplicates() {
    let p = packages("go/go.sum");
    assert_eq!(ecosystems(&p), [Ecosystem::Go]);
    assert_eq!(
        pins(&p),
        [
            ("github.com/gin-gonic/gin", "v1.9.0", 1, 1),
            ("golang.org/x/net", "v0.7.0", 4, 1),
            ("google.golang.org/protobuf", "v1.28.1", 6, 1),
        ]
    );
    let e = error("go.sum", "golang.org/x/net v0.7.0 h1:abc=\n<<<<<<< HEAD\n");
    assert!(e.starts_with("line 2:"), "{e}");
}

#[test]
fn installed_python_metadata_reads_the_headers_only() {
    let p = packages("site-packages/flask-2.2.2.dist-info/METADATA");
    assert_eq!(pins(&p), [("Flask", "2.2.2", 2, 1)]);
    assert_eq!(p[0].ecosystem, Ecosystem::PyPI);
    let path = fixture("site-packages/torch-2.5.1.dist-info/METADATA");
    let text = std::fs::read_to_string(&path).unwrap();
    let e = parse(&path, &text).unwrap().unwrap_err();
    assert!(e.contains("Name:"), "{e}");
    // METADATA outside a .dist-info is not an inventory; PKG-INFO in .egg-info is.
    assert!(inline("docs/METADATA", "Name: x\nVersion: 1\n").is_none());
    let p = inline(
        "site-packages/numpy-1.21.0-py3.9.egg-info/PKG-INFO",
        "Metadata-Version: 1.2\nName: numpy\nVersion: 1.21.0\n",
    );
    assert_eq!(p.unwrap().unwrap()[0].version, "1.21.0");
}

#[test]
fn dpkg_status_keeps_installed_packages_only() {
    let p = packages("rootfs-debian/var/lib/dpkg/status");
    assert_eq!(ecosystems(&p), [Ecosystem::Debian]);
    // tzdata (deinstall ok config-files) and python3-pil (purged) are not installed;
    // libxml2 is, held at its version.
    assert_eq!(
        pins(&p),
        [
            ("libssl3", "3.0.11-1~deb12u2", 1, 1),
            ("zlib1g", "1:1.2.13.dfsg-1", 32, 1),
            ("libxml2", "2.9.14+dfsg-1.3~deb12u1", 55, 1),
        ]
    );
    assert!(inline("etc/status", "Package: a\n").is_none());
    let e = error("/var/lib/dpkg/status", "Package: a\nStatus: install ok installed\nArchitecture: all\n");
    assert!(e.contains("Version"), "{e}");
    let e = error("var/lib/dpkg/status", "Package: a\nStatus: install ok installed\nVersion: 1\n\x00\x00garbage\n");
    assert!(e.starts_with("line 4:"), "{e}");
}

#[test]
fn apk_installed_database() {
    let p = packages("rootfs-alpine/lib/apk/db/installed");
    assert_eq!(ecosystems(&p), [Ecosystem::Alpine]);
    assert_eq!(pins(&p), [("musl", "1.2.4-r2", 2, 1), ("libcrypto3", "3.1.4-r0", 20, 1)]);
    let e = error("lib/apk/db/installed", "C:Q1abc=\nP:musl\nA:x86_64\n");
    assert!(e.contains("V:"), "{e}");
}

#[test]
fn other_files_are_not_inventories() {
    for name in ["Cargo.toml", "package.json", "go.mod", "Dockerfile", "values.yaml", "README.md"] {
        assert!(inline(name, "anything").is_none(), "{name}");
    }
}
