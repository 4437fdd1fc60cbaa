//! `warden scan` as a user runs it: exit codes (0 clean, 1 findings at or above
//! --fail-on, 2 a path or file that could not be scanned), the table, JSON and SARIF,
//! the stats every report ends with, and the progress bar (stderr, terminals only).
//! The scanner's own rules are tested in crates/warden-scan.

mod common;

use common::run;
use serde_json::Value;

/// `os.system('ls')` by GLOBAL at protocol 2: what `pickle.dumps` writes for a class whose
/// `__reduce__` returns `(os.system, ('ls',))`.
const EVIL: &[u8] = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.";
/// `{}` at protocol 2.
const BENIGN: &[u8] = b"\x80\x02}q\x00.";
/// A class from a module nobody vetted, called: suspicious (medium), not dangerous.
const UNKNOWN: &[u8] = b"\x80\x02cmylib.models\nThing\nq\x00)Rq\x01.";

fn files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("evil.pkl"), EVIL).unwrap();
    std::fs::write(dir.path().join("benign.bin"), BENIGN).unwrap();
    std::fs::write(dir.path().join("unknown.joblib"), UNKNOWN).unwrap();
    dir
}

/// What `stats.bytes` must be for `files()`: every byte of every file, once.
const FILES_BYTES: u64 = (EVIL.len() + BENIGN.len() + UNKNOWN.len()) as u64;

fn path(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).to_str().unwrap().to_string()
}

#[test]
fn exit_codes_follow_the_worst_finding_and_fail_on() {
    let dir = files();
    let (status, stdout, _) = run(&["scan", &path(&dir, "benign.bin")]);
    assert_eq!(status.code(), Some(0), "{stdout}");
    let (status, stdout, _) = run(&["scan", &path(&dir, "evil.pkl")]);
    assert_eq!(status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("critical") && stdout.contains("WS001") && stdout.contains("os.system"), "{stdout}");
    // A medium finding fails at --fail-on medium, not at the default (high).
    let (status, stdout, _) = run(&["scan", &path(&dir, "unknown.joblib")]);
    assert_eq!(status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("mylib.models.Thing"), "{stdout}");
    let (status, _, _) = run(&["scan", "--fail-on", "medium", &path(&dir, "unknown.joblib")]);
    assert_eq!(status.code(), Some(1));
}

#[test]
fn a_missing_path_or_a_bad_flag_exits_2() {
    let (status, _, stderr) = run(&["scan", "/nonexistent/model.pt"]);
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("does not exist"), "{stderr}");
    let (status, _, _) = run(&["scan", "--fail-on", "sometimes", "x"]);
    assert_eq!(status.code(), Some(2));
}

#[test]
fn json_lists_every_file_and_finding() {
    let dir = files();
    let (status, stdout, _) = run(&["scan", "--json", dir.path().to_str().unwrap()]);
    assert_eq!(status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    let evil = files.iter().find(|f| f["path"].as_str().unwrap().ends_with("evil.pkl")).unwrap();
    assert_eq!(evil["findings"][0]["rule"], "WS001");
    assert_eq!(evil["findings"][0]["global"], "os.system");
}

#[test]
fn sarif_names_the_rules_and_locates_the_findings() {
    let dir = files();
    let (_, stdout, _) = run(&["scan", "--sarif", dir.path().to_str().unwrap()]);
    let sarif: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules: Vec<&str> =
        run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(rules.contains(&"WS001") && rules.contains(&"WS002"), "{rules:?}");
    let results = run["results"].as_array().unwrap();
    let evil = results.iter().find(|r| r["ruleId"] == "WS001").unwrap();
    assert_eq!(evil["level"], "error");
    let location = &evil["locations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"].as_str().unwrap().ends_with("evil.pkl"));
    assert!(location["region"]["byteOffset"].as_u64().is_some());
    let severity: f64 =
        run["tool"]["driver"]["rules"][0]["properties"]["security-severity"].as_str().unwrap().parse().unwrap();
    assert!(severity >= 9.0, "WS001 is critical");
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    assert_stats(&invocation["properties"], 3, FILES_BYTES);
}

/// `stats` as JSON and SARIF carry it: the counts, and on Linux the peak RSS.
fn assert_stats(stats: &Value, files: u64, bytes: u64) {
    assert_eq!(stats["files"], files, "{stats}");
    assert_eq!(stats["bytes"], bytes, "{stats}");
    assert!(stats["seconds"].as_f64().is_some_and(|s| s >= 0.0), "{stats}");
    if cfg!(target_os = "linux") {
        assert!(stats["peak_rss_bytes"].as_u64().is_some_and(|b| b > 0), "{stats}");
    }
}

#[test]
fn json_adds_stats_with_every_byte_of_every_file() {
    let dir = files();
    // A file of unknown format is read only in part, an archive out of order: both count whole.
    std::fs::write(dir.path().join("zeros.dat"), vec![0u8; 300_000]).unwrap();
    let (_, stdout, _) = run(&["scan", "--json", dir.path().to_str().unwrap()]);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["files"].as_array().unwrap().len(), 4, "the earlier fields are unchanged");
    assert_stats(&report["stats"], 4, FILES_BYTES + 300_000);
}

#[test]
fn the_table_ends_with_what_the_scan_cost() {
    let dir = files();
    let (_, stdout, _) = run(&["scan", dir.path().to_str().unwrap()]);
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with(&format!("scanned 3 files, {FILES_BYTES} B in ")), "{stdout}");
    assert!(last.contains("B/s)"), "{last}");
    if cfg!(target_os = "linux") {
        assert!(last.contains(", peak RSS ") && last.ends_with("iB"), "{last}");
    }
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let dir = files();
    for args in [vec!["scan"], vec!["scan", "--json"], vec!["scan", "--sarif"]] {
        let (_, stdout, stderr) = run(&[&args[..], &[dir.path().to_str().unwrap()]].concat());
        for (name, out) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(!out.contains('\x1b') && !out.contains('\r'), "{args:?}: escape codes on {name}: {out:?}");
        }
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

/// Runs `warden ARGS > stdout_file` under `script`, in a pseudo-terminal, so stderr is a
/// terminal and stdout is not; returns what the terminal showed. `None` without `script`
/// (util-linux), which is then not tested.
fn on_a_terminal(args: &[&str], stdout_file: &std::path::Path) -> Option<String> {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut command: Vec<String> = vec![quote(env!("CARGO_BIN_EXE_warden"))];
    command.extend(args.iter().map(|a| quote(a)));
    let command = format!("{} > {}", command.join(" "), quote(stdout_file.to_str().unwrap()));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn on_a_terminal_the_bar_goes_to_stderr_and_never_into_the_report() {
    let dir = files();
    let json = dir.path().join("report.json");
    let scanned = dir.path().join("models");
    std::fs::create_dir(&scanned).unwrap();
    std::fs::write(scanned.join("zeros.dat"), vec![0u8; 1_000_000]).unwrap();
    let Some(terminal) = on_a_terminal(&["scan", "--json", scanned.to_str().unwrap()], &json) else {
        eprintln!("script (util-linux) is not installed: the terminal case is not tested");
        return;
    };
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_stats(&report["stats"], 1, 1_000_000);
    assert!(terminal.contains("1.00 MB"), "the total: {terminal:?}");
    // --no-progress: nothing at all on the terminal.
    let terminal = on_a_terminal(&["scan", "--json", "--no-progress", scanned.to_str().unwrap()], &json).unwrap();
    assert!(terminal.is_empty(), "{terminal:?}");
}

/// A repository under `dir` with one model whose file is `source` (relative to the
/// workspace).
fn repository_with(dir: &std::path::Path, source: &str) -> std::path::PathBuf {
    let version = dir.join("repo/m/1");
    std::fs::create_dir_all(&version).unwrap();
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::copy(workspace.join(source), version.join("model.onnx")).unwrap();
    dir.join("repo")
}

#[test]
fn the_server_refuses_a_model_the_scanner_flags() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repository_with(dir.path(), "crates/warden-scan/tests/corpus/onnx/external_dotdot.onnx");
    let (code, _, stderr) =
        common::refused_start(&dir.path().join("state"), &["--model-repository", repo.to_str().unwrap()]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("refused by the scan") && stderr.contains("WS008"), "{stderr}");
}

#[test]
fn scan_fail_on_sets_the_bar() {
    // A custom operator domain is a low finding: served by default, refused at `low`.
    let dir = tempfile::tempdir().unwrap();
    let repo = repository_with(dir.path(), "crates/warden-scan/tests/corpus/onnx/custom_domain.onnx");
    let state = dir.path().join("state");
    let (code, _, stderr) =
        common::refused_start(&state, &["--model-repository", repo.to_str().unwrap(), "--models-scan-fail-on", "low"]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("WS009"), "{stderr}");
}
