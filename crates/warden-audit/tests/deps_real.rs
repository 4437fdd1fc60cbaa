//! Real OSV records (tests/osv/advisories, sources in tests/osv/SOURCES.md) against
//! inventories that pin affected, fixed and boundary versions of each package
//! (tests/osv/inventories): every verdict in tests/osv/expected.tsv is checked, in
//! every version scheme (PEP 440, SemVer, dpkg), through source packages and
//! distribution releases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use warden_audit::deps::osv;
use warden_audit::deps::rootfs;
use warden_audit::{AdvisoryDb, Input, Inputs, audit_with};

fn osv_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/osv")
}

fn db() -> AdvisoryDb {
    let (advisories, errors) = osv::load_dir(osv_dir().join("advisories"));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(advisories.len(), 16);
    AdvisoryDb::new(advisories)
}

/// An inventory directory as `warden audit` reads it: a root file system (with
/// its os-release) when it holds a package database, else its files.
fn inputs(dir: &Path) -> Inputs {
    if dir.join("var/lib/dpkg/status").exists() || dir.join("lib/apk/db/installed").exists() {
        rootfs::inventories(dir)
    } else {
        Inputs::read(&[dir.to_path_buf()])
    }
}

/// `(inventory, package, version)` → the sorted ids of the records that affect it.
type Verdicts = BTreeMap<(String, String, String), Vec<String>>;

fn expected() -> Verdicts {
    let text = std::fs::read_to_string(osv_dir().join("expected.tsv")).unwrap();
    let mut out = Verdicts::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 5, "{line}");
        let ids = if cols[4] == "-" { Vec::new() } else { cols[4].split(',').map(str::to_string).collect() };
        out.insert((cols[0].into(), cols[2].into(), cols[3].into()), ids);
    }
    out
}

#[test]
fn every_pinned_version_gets_the_verdict_the_records_give() {
    let db = db();
    let mut actual = Verdicts::new();
    let mut inventories: Vec<PathBuf> =
        std::fs::read_dir(osv_dir().join("inventories")).unwrap().map(|e| e.unwrap().path()).collect();
    inventories.sort();
    for dir in &inventories {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let inputs = inputs(dir);
        assert!(inputs.errors.is_empty(), "{name}: {:?}", inputs.errors);
        for file in &inputs.files {
            let Input::Inventory(packages) = &file.input else { continue };
            for p in packages {
                let mut ids: Vec<String> =
                    db.candidates(p).filter(|a| osv::affects(a, p).is_some()).map(|a| a.id.clone()).collect();
                ids.sort();
                actual.insert((name.clone(), p.name.clone(), p.version.clone()), ids);
            }
        }
    }
    let expected = expected();
    let mut wrong = Vec::new();
    for (key, want) in &expected {
        match actual.get(key) {
            None => wrong.push(format!("{key:?}: not read from the inventory")),
            Some(got) if got != want => wrong.push(format!("{key:?}: expected {want:?}, got {got:?}")),
            Some(_) => {}
        }
    }
    for key in actual.keys().filter(|k| !expected.contains_key(*k)) {
        wrong.push(format!("{key:?}: read but not in expected.tsv"));
    }
    assert!(wrong.is_empty(), "{} wrong verdicts:\n{}", wrong.len(), wrong.join("\n"));
    // The fixture covers what the issue names, affected and not.
    for package in ["flask", "jinja2", "werkzeug", "requests", "torch", "transformers", "pillow", "numpy"] {
        let verdicts: Vec<&Vec<String>> =
            expected.iter().filter(|((_, p, _), _)| p.eq_ignore_ascii_case(package)).map(|(_, v)| v).collect();
        assert!(verdicts.iter().any(|v| v.is_empty()) && verdicts.iter().any(|v| !v.is_empty()), "{package}");
    }
}

#[test]
fn one_finding_per_flaw_with_every_id_and_the_fix_of_its_branch() {
    let db = db();
    let inputs = inputs(&osv_dir().join("inventories/python-affected"));
    let audit = audit_with(&inputs.files, None, &db);
    let flask: Vec<_> = audit
        .findings
        .iter()
        .filter_map(|f| f.dependency.as_ref())
        .filter(|d| d.package.eq_ignore_ascii_case("flask"))
        .collect();
    // GHSA-m2qf-hxjv-5gpq and PYSEC-2023-62 are the same flaw: one finding.
    assert_eq!(flask.len(), 1, "{flask:?}");
    assert_eq!(flask[0].advisories, ["GHSA-m2qf-hxjv-5gpq", "CVE-2023-30861", "PYSEC-2023-62"]);
    let fixed = flask[0].fixed.as_deref().unwrap();
    let installed = &flask[0].installed;
    // The fix is the one of the branch the installed version is on.
    let want = if installed.starts_with("2.3.") { "2.3.2" } else { "2.2.5" };
    assert_eq!(fixed, want, "{installed}");
}

#[test]
fn debian_packages_match_through_their_source_and_release() {
    let db = db();
    for (root, libc6) in [
        ("debian-12-affected", Some("2.36-9+deb12u3")),
        ("debian-12-fixed", None),
        ("debian-11-affected", Some("2.31-13+deb11u7")),
        ("debian-11-fixed", None),
    ] {
        let inputs = inputs(&osv_dir().join("inventories").join(root));
        let audit = audit_with(&inputs.files, None, &db);
        let found: Vec<_> = audit
            .findings
            .iter()
            .filter_map(|f| f.dependency.as_ref())
            .filter(|d| d.package == "libc6")
            .map(|d| (d.advisories[0].as_str(), d.fixed.as_deref()))
            .collect();
        let want: Vec<_> = libc6.map(|v| ("DSA-5514-1", Some(v))).into_iter().collect();
        assert_eq!(found, want, "{root}");
    }
}

#[test]
fn the_real_flask_record_scores_high_from_its_cvss_vector() {
    let db = db();
    let inputs = inputs(&osv_dir().join("inventories/python-affected"));
    let audit = audit_with(&inputs.files, None, &db);
    let flask = audit
        .findings
        .iter()
        .find(|f| f.dependency.as_ref().is_some_and(|d| d.package.eq_ignore_ascii_case("flask")))
        .unwrap();
    // CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N is 7.5.
    assert_eq!(flask.severity.as_str(), "high");
    assert_eq!(audit.advisories, 16);
}

/// This machine's own root, when it is Debian (as the project's machines and CI
/// are): the real dpkg database, read with sources and the release.
#[test]
fn a_live_debian_root_is_read_with_sources_and_release() {
    let os = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    if !os.lines().any(|l| l == "ID=debian") || !Path::new("/var/lib/dpkg/status").exists() {
        eprintln!("not a Debian host: skipped");
        return;
    }
    let version = os.lines().find_map(|l| l.strip_prefix("VERSION_ID=")).map(|v| v.trim_matches('"').to_string());
    let inputs = rootfs::inventories(Path::new("/"));
    let packages: Vec<_> = inputs
        .files
        .iter()
        .flat_map(|f| match &f.input {
            Input::Inventory(p) => p.clone(),
            _ => Vec::new(),
        })
        .collect();
    let libc = packages.iter().find(|p| p.name == "libc6").expect("libc6 is installed on every Debian");
    assert_eq!(libc.source.as_deref(), Some("glibc"));
    assert_eq!(libc.release, version);
    assert!(packages.len() > 50, "{}", packages.len());
}
