//! OSV range evaluation and advisory loading (issue 13).

use std::io::Write;

use serde_json::json;
use warden_audit::deps::osv::{self, Advisory, Affected, Match, RangeType};
use warden_audit::deps::{Ecosystem, Package};

fn pkg(ecosystem: Ecosystem, name: &str, version: &str) -> Package {
    Package::new(ecosystem, name, version, "requirements.txt", (1, 1))
}

fn adv(v: serde_json::Value) -> Advisory {
    serde_json::from_value(v).unwrap()
}

/// GHSA-m2qf-hxjv-5gpq (CVE-2023-30861, Flask session cookie caching), its ranges
/// as OSV publishes them.
fn flask() -> Advisory {
    adv(json!({
        "id": "GHSA-m2qf-hxjv-5gpq",
        "aliases": ["CVE-2023-30861"],
        "modified": "2024-01-01T00:00:00Z",
        "summary": "Flask vulnerable to possible disclosure of permanent session cookie due to missing Vary: Cookie header",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": "flask", "purl": "pkg:pypi/flask"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.3.2"}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}
            ],
            "database_specific": {"source": "x"},
            "an_unknown_field": 1
        }],
        "schema_version": "1.6.0"
    }))
}

fn hit(a: &Advisory, p: &Package) -> Option<Affected> {
    osv::affects(a, p)
}

#[test]
fn introduced_fixed_and_multiple_ranges() {
    let a = flask();
    for (v, affected) in [
        ("0.12", true),
        ("2.2.4", true),
        ("2.2.5rc1", true),
        ("2.2.5", false),
        ("2.2.6", false),
        ("2.3.0rc1", false),
        ("2.3.0", true),
        ("2.3.1", true),
        ("2.3.2", false),
        ("3.0.0", false),
    ] {
        assert_eq!(hit(&a, &pkg(Ecosystem::PyPI, "Flask", v)).is_some(), affected, "flask {v}");
    }
    let got = hit(&a, &pkg(Ecosystem::PyPI, "Flask", "2.2.0")).unwrap();
    assert_eq!(got.name, "flask");
    assert_eq!(
        got.matched,
        Match::Range {
            kind: RangeType::Ecosystem,
            introduced: "0".into(),
            fixed: Some("2.2.5".into()),
            last_affected: None
        }
    );
    assert_eq!(got.fixed, vec!["2.2.5".to_string(), "2.3.2".to_string()]);
    let got = hit(&a, &pkg(Ecosystem::PyPI, "flask", "2.3.1")).unwrap();
    assert_eq!(got.fixed, vec!["2.3.2".to_string()]);
    // Unsorted events are sorted before evaluation.
    let a = adv(json!({"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "p"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "2.0"}, {"introduced": "1.0"}, {"fixed": "4.0"}, {"introduced": "3.0"}]}]}]}));
    for (v, affected) in [("0.9", false), ("1.0", true), ("1.5", true), ("2.0", false), ("3.1", true), ("4.0", false)] {
        assert_eq!(hit(&a, &pkg(Ecosystem::PyPI, "p", v)).is_some(), affected, "p {v}");
    }
}

#[test]
fn pypi_names_are_normalised() {
    let a = adv(json!({"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "Zope.Interface"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}));
    for name in ["zope-interface", "zope_interface", "ZOPE.interface", "zope__-interface"] {
        assert!(hit(&a, &pkg(Ecosystem::PyPI, name, "1.0")).is_some(), "{name}");
    }
    assert!(hit(&a, &pkg(Ecosystem::PyPI, "zopeinterface", "1.0")).is_none());
    // other ecosystems compare names exactly, and the ecosystem must match
    let a = adv(json!({"id": "X", "affected": [{"package": {"ecosystem": "npm", "name": "Lodash"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}));
    assert!(hit(&a, &pkg(Ecosystem::Npm, "lodash", "1.0.0")).is_none());
    assert!(hit(&a, &pkg(Ecosystem::Npm, "Lodash", "1.0.0")).is_some());
    assert!(hit(&a, &pkg(Ecosystem::PyPI, "Lodash", "1.0.0")).is_none());
}

#[test]
fn last_affected_is_inclusive() {
    let a = adv(json!({"id": "X", "affected": [{"package": {"ecosystem": "crates.io", "name": "c"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"last_affected": "1.4.2"}]}]}]}));
    let p = |v| pkg(Ecosystem::CratesIo, "c", v);
    assert!(hit(&a, &p("0.9.9")).is_none());
    assert!(hit(&a, &p("1.0.0")).is_some());
    assert!(hit(&a, &p("1.4.2")).is_some());
    assert!(hit(&a, &p("1.4.3-alpha")).is_none());
    assert!(hit(&a, &p("1.4.3")).is_none());
    let got = hit(&a, &p("1.2.0")).unwrap();
    assert_eq!(
        got.matched,
        Match::Range {
            kind: RangeType::Semver,
            introduced: "1.0.0".into(),
            fixed: None,
            last_affected: Some("1.4.2".into())
        }
    );
    assert!(got.fixed.is_empty());
}

#[test]
fn limit_bounds_the_range() {
    let a = adv(json!({"id": "X", "affected": [{"package": {"ecosystem": "Go", "name": "example.com/m"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"limit": "1.5.0"}]}]}]}));
    let p = |v| pkg(Ecosystem::Go, "example.com/m", v);
    assert!(hit(&a, &p("v1.4.9")).is_some());
    assert!(hit(&a, &p("v1.5.0")).is_none());
    assert!(hit(&a, &p("v2.0.0+incompatible")).is_none());
    let a = adv(json!({"id": "X", "affected": [{"package": {"ecosystem": "Go", "name": "m"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"limit": "*"}]}]}]}));
    assert!(hit(&a, &pkg(Ecosystem::Go, "m", "v9.9.9")).is_some());
}

#[test]
fn versions_lists_match_exactly_and_git_ranges_are_ignored() {
    let a = adv(json!({"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "torch"},
        "ranges": [{"type": "GIT", "repo": "https://github.com/pytorch/pytorch", "events": [{"introduced": "0"}, {"fixed": "abc123"}]}],
        "versions": ["2.5.0", "2.5.1"]}]}));
    let p = |v| pkg(Ecosystem::PyPI, "torch", v);
    assert_eq!(hit(&a, &p("2.5.1")).unwrap().matched, Match::Version("2.5.1".into()));
    assert!(hit(&a, &p("2.5.1.0")).is_some(), "PEP 440 equal");
    assert!(hit(&a, &p("2.5.2")).is_none());
    assert!(hit(&a, &p("2.4.0")).is_none());
}

#[test]
fn withdrawn_advisories_are_ignored() {
    let mut a = flask();
    a.withdrawn = Some("2024-02-01T00:00:00Z".into());
    assert!(hit(&a, &pkg(Ecosystem::PyPI, "flask", "2.2.0")).is_none());
}

#[test]
fn ecosystem_suffixes_match_by_prefix() {
    let a = adv(json!({"id": "DSA-X", "affected": [
        {"package": {"ecosystem": "Debian:11", "name": "openssl"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.1n-0+deb11u4"}]}]},
        {"package": {"ecosystem": "Debian:12", "name": "openssl"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u1"}]}]}
    ]}));
    let got = hit(&a, &pkg(Ecosystem::Debian, "openssl", "1.1.1n-0+deb11u3")).unwrap();
    assert_eq!(got.ecosystem, "Debian:11");
    let got = hit(&a, &pkg(Ecosystem::Debian, "openssl", "3.0.9-1")).unwrap();
    assert_eq!(got.ecosystem, "Debian:12");
    assert_eq!(got.fixed, vec!["3.0.11-1~deb12u1".to_string()]);
    assert!(hit(&a, &pkg(Ecosystem::Debian, "openssl", "3.0.11-1~deb12u2")).is_none());
    assert!(hit(&a, &pkg(Ecosystem::Debian, "openssl", "3.0.11-1~deb12u1")).is_none());

    let a = adv(json!({"id": "ALPINE-X", "affected": [{"package": {"ecosystem": "Alpine:v3.18", "name": "busybox"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.36.1-r1"}]}]}]}));
    assert!(hit(&a, &pkg(Ecosystem::Alpine, "busybox", "1.36.1-r0")).is_some());
    assert!(hit(&a, &pkg(Ecosystem::Alpine, "busybox", "1.36.1-r1")).is_none());
    assert!(hit(&a, &pkg(Ecosystem::Alpine, "busybox", "1.36.1_rc1-r5")).is_some());
}

#[test]
fn unparseable_versions_do_not_match_or_panic() {
    let a = flask();
    assert!(hit(&a, &pkg(Ecosystem::PyPI, "flask", "not-a-version!")).is_none());
    let a = adv(json!({"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "p"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "??"}]}]}]}));
    assert!(hit(&a, &pkg(Ecosystem::PyPI, "p", "1.0")).is_none());
    // "*" is only special as a limit
    let a = adv(json!({"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "p"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "*"}, {"introduced": "1.0"}, {"fixed": "2.0"}]}]}]}));
    assert!(hit(&a, &pkg(Ecosystem::PyPI, "p", "1.0")).is_none());
}

#[test]
fn load_dir_reports_bad_files_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("GHSA-m2qf-hxjv-5gpq.json"), serde_json::to_vec(&flask()).unwrap()).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/PYSEC-1.json"), br#"{"id": "PYSEC-1", "affected": []}"#).unwrap();
    std::fs::write(dir.path().join("broken.json"), b"{\"id\": ").unwrap();
    std::fs::write(dir.path().join("schema.json"), br#"{"id": "X", "affected": "flask"}"#).unwrap();
    std::fs::write(dir.path().join("README.md"), b"not json").unwrap();
    let (advisories, errors) = osv::load_dir(dir.path());
    let mut ids: Vec<_> = advisories.iter().map(|a| a.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["GHSA-m2qf-hxjv-5gpq", "PYSEC-1"]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].0.ends_with("broken.json"), "{errors:?}");
    assert!(errors[1].0.ends_with("schema.json"), "{errors:?}");
    assert!(errors.iter().all(|(_, e)| e.contains("not an OSV advisory")));
    assert_eq!(advisories.iter().find(|a| a.id.starts_with("GHSA")).unwrap(), &flask());
}

#[test]
fn load_zip_reports_bad_entries_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.zip");
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        w.start_file("GHSA-m2qf-hxjv-5gpq.json", opts).unwrap();
        w.write_all(&serde_json::to_vec(&flask()).unwrap()).unwrap();
        w.start_file("bad.json", opts).unwrap();
        w.write_all(b"[1, 2").unwrap();
        w.start_file("noid.json", opts).unwrap();
        w.write_all(br#"{"summary": "no id"}"#).unwrap();
        w.finish().unwrap();
    }
    let (advisories, errors) = osv::load_zip(&path);
    assert_eq!(advisories, vec![flask()]);
    let names: Vec<_> = errors.iter().map(|(n, _)| n.rsplit('!').next().unwrap()).collect();
    assert_eq!(names, ["bad.json", "noid.json"], "{errors:?}");

    // A corrupt zip is one error for the file, not a panic.
    let bytes = std::fs::read(&path).unwrap();
    let corrupt = dir.path().join("corrupt.zip");
    std::fs::write(&corrupt, &bytes[..bytes.len() / 2]).unwrap();
    let (advisories, errors) = osv::load_zip(&corrupt);
    assert!(advisories.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].0.ends_with("corrupt.zip"));
    let garbage = dir.path().join("garbage.zip");
    std::fs::write(&garbage, b"this is not a zip").unwrap();
    assert_eq!(osv::load_zip(&garbage).1.len(), 1);
    assert_eq!(osv::load_zip(dir.path().join("missing.zip")).1.len(), 1);

    // A zip whose entry data is damaged (CRC mismatch): that entry fails, the others load.
    let stored = dir.path().join("stored.zip");
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&stored).unwrap());
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        w.start_file("a.json", opts).unwrap();
        w.write_all(&serde_json::to_vec(&flask()).unwrap()).unwrap();
        w.start_file("b.json", opts).unwrap();
        w.write_all(br#"{"id": "PYSEC-1"}"#).unwrap();
        w.finish().unwrap();
    }
    let mut damaged = std::fs::read(&stored).unwrap();
    let at = damaged.windows(5).position(|w| w == b"Flask").unwrap();
    damaged[at + 2] = b'b';
    std::fs::write(&stored, &damaged).unwrap();
    let (advisories, errors) = osv::load_zip(&stored);
    assert_eq!(advisories.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["PYSEC-1"]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].0.ends_with("stored.zip!a.json"), "{errors:?}");
}

#[test]
fn pypi_local_versions_are_the_release_they_label() {
    // torch 2.5.1+cpu is 2.5.1: inside `last_affected: 2.5.1` and listed by `versions`.
    let a = adv(json!({
        "id": "X-1",
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": "torch"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0.0"}, {"last_affected": "2.5.1"}]}]
        }]
    }));
    assert!(hit(&a, &pkg(Ecosystem::PyPI, "torch", "2.5.1+cpu")).is_some());
    assert!(hit(&a, &pkg(Ecosystem::PyPI, "torch", "2.5.2+cu121")).is_none());
    let listed = adv(json!({
        "id": "X-2",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "torch"}, "versions": ["2.5.1"]}]
    }));
    assert_eq!(
        hit(&listed, &pkg(Ecosystem::PyPI, "torch", "2.5.1+cpu")).unwrap().matched,
        Match::Version("2.5.1".into())
    );
    // The fix itself with a local label is fixed.
    let fixed = adv(json!({
        "id": "X-3",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "torch"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.6.0"}]}]}]
    }));
    assert!(hit(&fixed, &pkg(Ecosystem::PyPI, "torch", "2.6.0+cu124")).is_none());
    assert!(hit(&fixed, &pkg(Ecosystem::PyPI, "torch", "2.6.0rc1+cpu")).is_some());
}

#[test]
fn debian_source_advisories_compare_the_source_version() {
    // gcc (binary 4:12.2.0-3, an epoch) is built from gcc-defaults 1.203: an
    // advisory for gcc-defaults fixed in 1.204 affects it.
    let a = adv(json!({
        "id": "DEBIAN-X",
        "affected": [{"package": {"ecosystem": "Debian:12", "name": "gcc-defaults"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.204"}]}]}]
    }));
    let mut gcc = pkg(Ecosystem::Debian, "gcc", "4:12.2.0-3");
    gcc.source = Some("gcc-defaults".into());
    assert!(hit(&a, &gcc).is_none(), "the binary's epoch hides the fix");
    gcc.source_version = Some("1.203".into());
    assert!(hit(&a, &gcc).is_some());
    gcc.source_version = Some("1.204".into());
    assert!(hit(&a, &gcc).is_none());
}

#[test]
fn dpkg_keeps_the_source_version_when_it_differs() {
    let status = "Package: gcc\nStatus: install ok installed\nSource: gcc-defaults (1.203)\nVersion: 4:12.2.0-3\n\n\
                  Package: libc6\nStatus: install ok installed\nSource: glibc\nVersion: 2.36-9+deb12u3\n\n\
                  Package: bash\nStatus: install ok installed\nSource: bash (5.2.15-2)\nVersion: 5.2.15-2+b2\n";
    let packages =
        warden_audit::deps::inventory::parse(std::path::Path::new("var/lib/dpkg/status"), status).unwrap().unwrap();
    let got: Vec<(&str, Option<&str>, Option<&str>)> =
        packages.iter().map(|p| (p.name.as_str(), p.source.as_deref(), p.source_version.as_deref())).collect();
    assert_eq!(
        got,
        [
            ("gcc", Some("gcc-defaults"), Some("1.203")),
            ("libc6", Some("glibc"), None),
            ("bash", None, Some("5.2.15-2")),
        ]
    );
}
