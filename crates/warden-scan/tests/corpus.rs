//! Every file of the committed corpus (made by `make_corpus.py`) gets the verdict recorded
//! for it in `corpus/expected.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use warden_scan::{Options, scan_path};

#[derive(Debug, Deserialize)]
struct Expected {
    format: String,
    rules: Vec<String>,
    globals: Vec<String>,
    error: bool,
    members: Vec<String>,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn expectations() -> BTreeMap<String, Expected> {
    let text = fs::read_to_string(corpus().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

fn files_under(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, base, out);
        } else {
            out.insert(path.strip_prefix(base).unwrap().to_string_lossy().into_owned());
        }
    }
}

#[test]
fn every_corpus_file_has_a_verdict() {
    let mut files = BTreeSet::new();
    files_under(&corpus(), &corpus(), &mut files);
    files.remove("expected.json");
    let listed: BTreeSet<String> = expectations().into_keys().collect();
    assert_eq!(files, listed, "corpus files and expected.json disagree: rerun make_corpus.py");
}

#[test]
fn every_verdict_matches() {
    let options = Options::default();
    let mut mismatches = Vec::new();
    for (name, expected) in expectations() {
        let report = scan_path(&corpus().join(&name), &options);
        assert_eq!(report.files.len(), 1, "{name}");
        let file = &report.files[0];
        let rules: BTreeSet<String> = file.findings.iter().map(|f| f.rule.id.to_owned()).collect();
        let globals: BTreeSet<String> = file.findings.iter().filter_map(|f| f.global.clone()).collect();
        let wanted_rules: BTreeSet<String> = expected.rules.iter().cloned().collect();
        let missing_globals: Vec<&String> = expected.globals.iter().filter(|g| !globals.contains(*g)).collect();
        let members: BTreeSet<String> = file.findings.iter().filter_map(|f| f.member.clone()).collect();
        let wanted_members: BTreeSet<String> = expected.members.iter().cloned().collect();
        if file.format.as_str() != expected.format
            || rules != wanted_rules
            || !missing_globals.is_empty()
            || file.error.is_some() != expected.error
            || members != wanted_members
        {
            mismatches.push(format!(
                "{name}: got format {} rules {rules:?} globals {globals:?} error {:?}; expected {expected:?}\n  {:#?}",
                file.format.as_str(),
                file.error,
                file.findings
            ));
        }
    }
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}

#[test]
fn the_whole_corpus_as_a_directory() {
    let report = scan_path(&corpus(), &Options::default());
    // Every file, expected.json included, sorted by path.
    assert_eq!(report.files.len(), expectations().len() + 1);
    let paths: Vec<&PathBuf> = report.files.iter().map(|f| &f.path).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(report.max_severity(), Some(warden_scan::Severity::Critical));
}
