//! The audit log against every way of tampering with it: each test writes a real
//! log through the writer, changes its files the way an intruder would, and checks
//! that verification names the first broken record.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use warden_observe::audit::{
    AuditLog, AuditSettings, CURRENT, Event, HEAD, Options, PUBLIC_KEY_FILE, Problem, Report, chain_files,
    load_public_key, verify,
};

fn settings(dir: &Path) -> AuditSettings {
    AuditSettings { checkpoint_every: 10, ..AuditSettings::in_dir(dir.to_path_buf()) }
}

/// Writes `n` inference records through a real writer and closes it.
fn write_log(settings: AuditSettings, n: u64) {
    let log = AuditLog::open(settings).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        for i in 0..n {
            log.record(Event::new("inference").with("rows", i).with("model", "digits")).await.unwrap();
        }
    });
    log.close();
}

fn check(dir: &Path) -> Result<Report, Problem> {
    let key = load_public_key(&dir.join(PUBLIC_KEY_FILE)).unwrap();
    let head = fs::read_to_string(dir.join(HEAD)).ok();
    verify(&chain_files(dir).unwrap(), &Options { key: Some(&key), head: head.as_deref(), partial: false })
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path).unwrap().lines().map(String::from).collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

fn current(dir: &Path) -> PathBuf {
    dir.join(CURRENT)
}

#[test]
fn an_untouched_log_verifies_with_signed_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    write_log(settings(dir.path()), 25);
    let report = check(dir.path()).unwrap();
    // 25 records, a checkpoint after each 10, and one at close for the last 5.
    assert_eq!(report.records, 28);
    assert_eq!(report.last_checkpoint, Some(28));
    assert_eq!(report.unsigned_tail, 0);
}

#[test]
fn an_edited_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_log(settings(dir.path()), 12);
    let mut all = lines(&current(dir.path()));
    all[4] = all[4].replace("\"rows\":4", "\"rows\":5");
    write_lines(&current(dir.path()), &all);
    let problem = check(dir.path()).unwrap_err();
    assert_eq!(problem.line, 5, "{problem}");
    assert!(problem.message.contains("changed"), "{problem}");
}

#[test]
fn a_deleted_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_log(settings(dir.path()), 12);
    let mut all = lines(&current(dir.path()));
    all.remove(6);
    write_lines(&current(dir.path()), &all);
    let problem = check(dir.path()).unwrap_err();
    assert_eq!(problem.line, 7, "{problem}");
    assert!(problem.message.contains("deleted or reordered"), "{problem}");
}

#[test]
fn reordered_records_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write_log(settings(dir.path()), 12);
    let mut all = lines(&current(dir.path()));
    all.swap(2, 3);
    write_lines(&current(dir.path()), &all);
    assert_eq!(check(dir.path()).unwrap_err().line, 3);
}

#[test]
fn records_cut_from_the_end_are_found_through_the_signed_head() {
    let dir = tempfile::tempdir().unwrap();
    write_log(settings(dir.path()), 12);
    let mut all = lines(&current(dir.path()));
    all.truncate(all.len() - 3);
    write_lines(&current(dir.path()), &all);
    let problem = check(dir.path()).unwrap_err();
    assert_eq!(problem.line, all.len() + 1, "{problem}");
    assert!(problem.message.contains("cut from the end"), "{problem}");
}

#[test]
fn a_record_cut_in_half_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_log(settings(dir.path()), 5);
    let text = fs::read_to_string(current(dir.path())).unwrap();
    fs::write(current(dir.path()), &text[..text.len() - 20]).unwrap();
    let problem = check(dir.path()).unwrap_err();
    assert_eq!(problem.line, 6, "{problem}");
}

#[test]
fn a_log_missing_its_start_is_refused_unless_partial() {
    let dir = tempfile::tempdir().unwrap();
    write_log(settings(dir.path()), 5);
    let mut all = lines(&current(dir.path()));
    all.remove(0);
    write_lines(&current(dir.path()), &all);
    let problem = check(dir.path()).unwrap_err();
    assert_eq!(problem.line, 1);
    let partial = verify(&chain_files(dir.path()).unwrap(), &Options { partial: true, ..Options::default() });
    assert_eq!(partial.unwrap().records, 5);
}

/// An intruder who knows the format recomputes every hash after an edit: the chain
/// then holds, and only the checkpoint signatures show the change.
#[test]
fn a_rehashed_chain_fails_its_signatures() {
    let dir = tempfile::tempdir().unwrap();
    write_log(settings(dir.path()), 12);
    let mut all = lines(&current(dir.path()));
    all[1] = all[1].replace("\"rows\":1", "\"rows\":7");
    let mut prev = hex::encode(Sha256::digest(b"unused"));
    for (i, line) in all.iter_mut().enumerate() {
        let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
        let object = value.as_object_mut().unwrap();
        object.remove("hash");
        if i > 0 {
            object.insert("prev".into(), prev.clone().into());
        }
        let mut body = value.to_string();
        body.pop();
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        *line = format!("{body},\"hash\":\"{hash}\"}}");
        prev = hash;
    }
    write_lines(&current(dir.path()), &all);
    let unsigned = verify(&chain_files(dir.path()).unwrap(), &Options::default());
    assert!(unsigned.is_ok(), "the rewritten chain should hold without signatures: {unsigned:?}");
    let problem = check(dir.path()).unwrap_err();
    assert!(problem.message.contains("signature"), "{problem}");
    assert_eq!(problem.line, 11, "the first checkpoint after the edit: {problem}");
}

#[test]
fn rotation_keeps_one_chain_across_files() {
    let dir = tempfile::tempdir().unwrap();
    write_log(AuditSettings { max_file_size: 2000, ..settings(dir.path()) }, 40);
    let files = chain_files(dir.path()).unwrap();
    assert!(files.len() >= 3, "expected several files, got {files:?}");
    let report = check(dir.path()).unwrap();
    assert_eq!(report.files, files.len());
    assert!(report.records > 40);
    // A rotated file without its closing checkpoint has lost records.
    let first = &files[0];
    let mut all = lines(first);
    all.pop();
    write_lines(first, &all);
    let problem = check(dir.path()).unwrap_err();
    assert_eq!(problem.path, *first);
    assert!(problem.message.contains("rotation checkpoint"), "{problem}");
}

#[test]
fn a_restart_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    write_log(settings(dir.path()), 3);
    write_log(settings(dir.path()), 3);
    let report = check(dir.path()).unwrap();
    assert_eq!(report.records, 8);
}

#[test]
fn a_half_written_record_from_a_crash_is_dropped_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    write_log(settings(dir.path()), 3);
    let mut text = fs::read_to_string(current(dir.path())).unwrap();
    text.push_str("{\"seq\":5,\"time\":");
    fs::write(current(dir.path()), text).unwrap();
    write_log(settings(dir.path()), 1);
    check(dir.path()).unwrap();
    assert!(fs::read_to_string(current(dir.path())).unwrap().contains("\"kind\":\"audit_recovered\""));
}

#[test]
fn a_broken_log_stops_the_writer_from_starting() {
    let dir = tempfile::tempdir().unwrap();
    write_log(settings(dir.path()), 5);
    let mut all = lines(&current(dir.path()));
    all[2] = all[2].replace("digits", "digitz");
    write_lines(&current(dir.path()), &all);
    let error = AuditLog::open(settings(dir.path())).err().expect("a broken log must not be extended");
    assert!(error.to_string().contains("line 3"), "{error}");
}

#[test]
fn unsigned_records_are_signed_on_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let settings = AuditSettings {
        checkpoint_every: 1000,
        checkpoint_interval: Duration::from_millis(50),
        ..settings(dir.path())
    };
    let log = AuditLog::open(settings).unwrap();
    log.record_detached(Event::new("start"));
    // Wait (bounded) for the writer's timer to sign the record.
    for _ in 0..200 {
        if fs::read_to_string(current(dir.path())).unwrap_or_default().contains("\"reason\":\"interval\"") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let text = fs::read_to_string(current(dir.path())).unwrap();
    assert!(text.contains("\"reason\":\"interval\""), "{text}");
    log.close();
    assert_eq!(check(dir.path()).unwrap().records, 2);
}
