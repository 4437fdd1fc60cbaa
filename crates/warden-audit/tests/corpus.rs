//! The rule corpus: every file under `tests/corpus/<layer>/` says what the audit must
//! find in it, in comments: `warden-test: expect RULE-ID@LINE` (one per finding) or
//! `warden-test: expect none`. A file directly in a layer folder is audited alone; a
//! folder there is audited as one set (for whole-set rules such as "no NetworkPolicy
//! selects this pod"), each of its files checked against its own expectations.
//! Every rule must have at least one file that expects it. Dependency inventories are
//! judged against the OSV records in `tests/osv/advisories/`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use warden_audit::deps::osv;
use warden_audit::{AdvisoryDb, Inputs, audit_with, rules};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// (rule, line) pairs a file expects; `None` when it says nothing (a mistake).
fn expectations(text: &str) -> Option<BTreeSet<(String, usize)>> {
    let mut found = None;
    for line in text.lines() {
        let Some((_, rest)) = line.split_once("warden-test: expect ") else { continue };
        let set = found.get_or_insert_with(BTreeSet::new);
        for item in rest.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
            if item == "none" {
                continue;
            }
            let (rule, at) = item.rsplit_once('@').unwrap_or_else(|| panic!("'{item}': write RULE@LINE"));
            set.insert((rule.to_string(), at.parse().unwrap_or_else(|_| panic!("'{item}': bad line"))));
        }
    }
    found
}

fn cases() -> Vec<PathBuf> {
    let mut cases = Vec::new();
    for layer in std::fs::read_dir(corpus()).unwrap() {
        let layer = layer.unwrap().path();
        if layer.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&layer).unwrap().map(|e| e.unwrap().path()).collect();
            entries.sort();
            cases.extend(entries);
        }
    }
    cases
}

#[test]
fn every_corpus_file_gets_exactly_the_findings_it_expects() {
    let mut failures = Vec::new();
    let mut expected_rules = BTreeSet::new();
    // Real OSV records (copied facts) that the dependency files are judged against.
    let (advisories, errors) = osv::load_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/osv/advisories"));
    assert!(errors.is_empty() && !advisories.is_empty(), "{errors:?}");
    let advisories = AdvisoryDb::new(advisories);
    for case in cases() {
        let inputs = Inputs::read(std::slice::from_ref(&case));
        let mut result = audit_with(&inputs.files, None, &advisories);
        result.errors = inputs.errors;
        for e in &result.errors {
            failures.push(format!("{}: not audited: {}", e.path, e.error));
        }
        let mut actual: HashMap<String, BTreeSet<(String, usize)>> = HashMap::new();
        for f in &result.findings {
            actual.entry(f.file.clone()).or_default().insert((f.rule.id.to_string(), f.line));
        }
        for (path, _) in &result.files {
            let text = std::fs::read_to_string(path).unwrap();
            let Some(expected) = expectations(&text) else {
                failures.push(format!("{path}: has no `warden-test: expect` line"));
                continue;
            };
            expected_rules.extend(expected.iter().map(|(r, _)| r.clone()));
            let got = actual.remove(path).unwrap_or_default();
            if got != expected {
                let missing: Vec<_> = expected.difference(&got).collect();
                let extra: Vec<_> = got.difference(&expected).collect();
                failures.push(format!("{path}: missing {missing:?}, unexpected {extra:?}"));
            }
        }
        let walked: BTreeSet<&String> = result.files.iter().map(|(p, _)| p).collect();
        if case.is_file() && walked.is_empty() && result.errors.is_empty() {
            failures.push(format!("{}: not recognised as an audit input", case.display()));
        }
    }
    for rule in rules::all().map(|c| c.rule.id) {
        if !expected_rules.contains(rule) {
            failures.push(format!("rule {rule} has no corpus file that expects it"));
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}
