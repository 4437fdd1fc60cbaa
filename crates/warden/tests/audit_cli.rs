//! `warden audit` and `warden threat-model` as a user runs them: exit codes, the three
//! formats (snapshots of a fixed input), standard input, suppressions and baselines,
//! per-file errors that leave the rest audited, and the threat model's outputs.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{run, warden};
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn snapshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit")
}

/// A deployment with one finding of each severity the fixture holds, copied to a
/// temp dir so paths in the output are stable (`deploy/...`).
fn fixture(dir: &Path) -> PathBuf {
    let deploy = dir.join("deploy");
    std::fs::create_dir_all(&deploy).unwrap();
    for name in ["pod.yaml", "warden.toml", "Dockerfile"] {
        std::fs::copy(snapshots().join(name), deploy.join(name)).unwrap();
    }
    deploy
}

/// Runs warden in `dir` (so reported paths are relative); (exit code, stdout, stderr).
fn in_dir(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = warden().args(args).current_dir(dir).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Compares with a committed snapshot; `WARDEN_UPDATE_SNAPSHOTS=1` rewrites it.
fn snapshot(name: &str, actual: &str) {
    let path = snapshots().join(name);
    let version = env!("CARGO_PKG_VERSION");
    let actual = actual.replace(version, "VERSION");
    if std::env::var_os("WARDEN_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{name} differs from its snapshot (WARDEN_UPDATE_SNAPSHOTS=1 rewrites it):\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

#[test]
fn table_json_and_sarif_match_their_snapshots_and_exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let (code, table, _) = in_dir(dir.path(), &["audit", "deploy"]);
    assert_eq!(code, Some(1), "a high finding fails at the default --fail-on high");
    snapshot("table.txt", &table);
    let (_, json, _) = in_dir(dir.path(), &["audit", "deploy", "--format", "json"]);
    snapshot("findings.json", &json);
    let (_, sarif, _) = in_dir(dir.path(), &["audit", "deploy", "--format", "sarif"]);
    let parsed: Value = serde_json::from_str(&sarif).unwrap();
    // The rule list grows with every rule; the snapshot holds the results.
    snapshot("results.sarif.json", &serde_json::to_string_pretty(&parsed["runs"][0]["results"]).unwrap());
    assert_eq!(parsed["version"], "2.1.0");
    let levels: Vec<&str> =
        parsed["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["level"].as_str().unwrap()).collect();
    assert!(levels.contains(&"error") && levels.contains(&"warning"), "{levels:?}");

    let (code, _, _) = in_dir(dir.path(), &["audit", "deploy", "--fail-on", "critical"]);
    let findings: Value = serde_json::from_str(&json).unwrap();
    let critical = findings["summary"]["by_severity"]["critical"].as_u64().unwrap();
    assert_eq!(code, Some(if critical > 0 { 1 } else { 0 }));
    // Every finding is reported whatever --fail-on says.
    let (_, json_critical, _) = in_dir(dir.path(), &["audit", "deploy", "--format", "json", "--fail-on", "critical"]);
    assert_eq!(json_critical, json);
}

#[test]
fn a_clean_input_exits_zero_and_usage_errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("warden.toml");
    std::fs::write(&clean, "listen = \"127.0.0.1:8443\"\n").unwrap();
    let (status, out, err) = run(&["audit", s(&clean)]);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    assert!(out.contains("0 findings"), "{out}");
    let (status, _, err) = run(&["audit", "--explain", "no-such-rule"]);
    assert_eq!(status.code(), Some(2), "{err}");
    let (status, _, _) = run(&["audit"]);
    assert_eq!(status.code(), Some(2));
    let (status, out, _) = run(&["audit", "--explain", "k8s-privileged-container"]);
    assert_eq!(status.code(), Some(0));
    assert!(out.contains("Why:") && out.contains("Fix:") && out.contains("CKV_K8S_16"), "{out}");
    let (status, out, _) = run(&["audit", "--list-rules"]);
    assert_eq!(status.code(), Some(0));
    assert!(out.lines().count() > 50, "{out}");
}

#[test]
fn broken_files_are_per_file_errors_and_the_rest_is_still_audited() {
    let dir = tempfile::tempdir().unwrap();
    let deploy = fixture(dir.path());
    std::fs::write(deploy.join("broken.yaml"), "apiVersion: v1\nkind: Pod\nspec: [unclosed\n").unwrap();
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        let p = i - 1;
        bomb.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    std::fs::write(deploy.join("bomb.yaml"), bomb).unwrap();
    std::fs::write(deploy.join("model.bin"), [0u8, 1, 2, 3]).unwrap();
    let (code, out, err) = in_dir(dir.path(), &["audit", "deploy", "--format", "json"]);
    assert_eq!(code, Some(2), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<&str> = report["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(errors, ["deploy/bomb.yaml", "deploy/broken.yaml"], "{out}");
    assert!(err.contains("a YAML bomb") && err.contains("not valid YAML"), "{err}");
    assert!(report["findings"].as_array().unwrap().iter().any(|f| f["file"] == "deploy/pod.yaml"));
    // A binary file named explicitly is an error; found while walking it is skipped (above).
    let (code, _, err) = in_dir(dir.path(), &["audit", "deploy/model.bin"]);
    assert_eq!(code, Some(2));
    assert!(err.is_empty() || err.contains("binary"), "{err}");
}

#[test]
fn standard_input_is_audited_like_a_file() {
    let pod = std::fs::read_to_string(snapshots().join("pod.yaml")).unwrap();
    let mut child =
        warden().args(["audit", "-", "--format", "json"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(pod.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["files"][0]["path"], "-");
    assert_eq!(report["files"][0]["kind"], "kubernetes");
    assert!(report["findings"].as_array().unwrap().iter().all(|f| f["file"] == "-"));
    assert!(!report["findings"].as_array().unwrap().is_empty());
}

#[test]
fn inline_suppressions_need_a_reason_and_baselines_accept_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let deploy = fixture(dir.path());
    let json = |args: &[&str]| -> Value {
        let (_, out, err) = in_dir(dir.path(), args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"))
    };
    let before = json(&["audit", "deploy", "--format", "json"]);
    let privileged = |r: &Value| {
        r["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "k8s-privileged-container").count()
    };
    assert_eq!(privileged(&before), 1);

    let pod = std::fs::read_to_string(deploy.join("pod.yaml")).unwrap();
    let without_reason = pod.replace("privileged: true", "privileged: true # warden:ignore[k8s-privileged-container]");
    std::fs::write(deploy.join("pod.yaml"), &without_reason).unwrap();
    let r = json(&["audit", "deploy", "--format", "json"]);
    assert_eq!(privileged(&r), 1, "a suppression without a reason does not count");
    let with_reason = pod.replace(
        "privileged: true",
        "privileged: true # warden:ignore[k8s-privileged-container] the GPU driver needs it",
    );
    std::fs::write(deploy.join("pod.yaml"), &with_reason).unwrap();
    let r = json(&["audit", "deploy", "--format", "json"]);
    assert_eq!(privileged(&r), 0);
    assert_eq!(r["summary"]["suppressed"], 1);

    // A baseline accepts every current finding; a new one still fails.
    std::fs::write(deploy.join("pod.yaml"), &pod).unwrap();
    let (code, _, _) = in_dir(dir.path(), &["audit", "deploy", "--write-baseline", "baseline.json"]);
    assert_eq!(code, Some(0));
    let (code, out, _) = in_dir(dir.path(), &["audit", "deploy", "--baseline", "baseline.json"]);
    assert_eq!(code, Some(0), "{out}");
    // Lines moved by an edit elsewhere keep the baseline valid.
    std::fs::write(deploy.join("pod.yaml"), format!("# moved down\n\n{pod}")).unwrap();
    let (code, _, _) = in_dir(dir.path(), &["audit", "deploy", "--baseline", "baseline.json"]);
    assert_eq!(code, Some(0));
    std::fs::write(deploy.join("pod.yaml"), pod.replace("hostNetwork: false", "hostNetwork: true")).unwrap();
    let (code, out, _) = in_dir(dir.path(), &["audit", "deploy", "--baseline", "baseline.json"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("hostNetwork") || out.contains("host-network"), "{out}");
    std::fs::write(dir.path().join("bad-baseline.json"), "{").unwrap();
    let (code, _, err) = in_dir(dir.path(), &["audit", "deploy", "--baseline", "bad-baseline.json"]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn the_threat_model_comes_in_markdown_json_and_html() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let (code, md, err) = in_dir(dir.path(), &["threat-model", "deploy"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(md.starts_with("# Threat model") && md.contains("## Trust boundaries"), "{md}");
    let (code, _, err) = in_dir(dir.path(), &["threat-model", "deploy", "-o", "model.json"]);
    assert_eq!(code, Some(0), "{err}");
    let model: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("model.json")).unwrap()).unwrap();
    let threats = model["threats"].as_array().unwrap();
    assert!(threats.iter().any(|t| t["id"] == "TM-ESCAPE" && t["stride"] == "elevation_of_privilege"));
    // The privileged pod is evidence against the container-escape mitigation.
    let escape = threats.iter().find(|t| t["id"] == "TM-ESCAPE").unwrap();
    let k8s = escape["mitigations"].as_array().unwrap().iter().find(|m| m["layer"] == "kubernetes").unwrap();
    assert_eq!(k8s["state"], "missing");
    assert!(
        k8s["evidence"].as_array().unwrap().iter().any(|e| e.as_str().unwrap().contains("k8s-privileged-container"))
    );
    let (code, _, _) = in_dir(dir.path(), &["threat-model", "deploy", "-o", "model.html"]);
    assert_eq!(code, Some(0));
    let html = std::fs::read_to_string(dir.path().join("model.html")).unwrap();
    assert!(html.contains("<svg id=\"risk-matrix\"") && html.contains("<svg id=\"trust-boundaries\""));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "self-contained");
    let (code, _, err) = in_dir(dir.path(), &["threat-model", "deploy", "-o", "model.pdf"]);
    assert_eq!(code, Some(2), "{err}");
    let _ = Command::new("true");
}

#[test]
fn dependencies_are_judged_against_the_advisories_given_offline() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../warden-audit/tests");
    let requirements = corpus.join("corpus/dependencies/requirements-serving.txt");
    let advisories = corpus.join("osv/advisories");
    // Without advisory data the pins are read but not judged.
    let (status, out, _) = run(&["audit", s(&requirements)]);
    assert_eq!(status.code(), Some(0), "{out}");
    let (status, out, err) = run(&["audit", s(&requirements), "--advisories", s(&advisories), "--format", "json"]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("advisories: 16 records from --advisories, the newest modified 2026-03-09"), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let f = &report["findings"][0];
    assert_eq!(
        (f["rule"].as_str(), f["severity"].as_str(), f["line"].as_u64()),
        (Some("vulnerable-dependency"), Some("high"), Some(3))
    );
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("GHSA-m2qf-hxjv-5gpq (CVE-2023-30861, PYSEC-2023-62)") && message.contains("fixed in 2.2.5"),
        "{message}"
    );
    // A corrupt advisory zip is a per-file error; the rest is still audited.
    let zip = dir.path().join("PyPI.zip");
    std::fs::write(&zip, b"PK\x03\x04 not really a zip").unwrap();
    let (status, out, err) =
        run(&["audit", s(&requirements), "--advisories", s(&advisories), "--advisories", s(&zip), "--format", "json"]);
    assert_eq!(status.code(), Some(2), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    assert!(report["errors"][0]["path"].as_str().unwrap().ends_with("PyPI.zip"), "{out}");
}

#[test]
fn an_unpacked_image_is_audited_for_its_installed_packages() {
    let root = tempfile::tempdir().unwrap();
    let dist = root.path().join("usr/local/lib/python3.11/site-packages/flask-2.2.4.dist-info");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("METADATA"), "Metadata-Version: 2.1\nName: Flask\nVersion: 2.2.4\n").unwrap();
    let advisories = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../warden-audit/tests/osv/advisories");
    let (status, out, err) =
        run(&["audit", "--rootfs", s(root.path()), "--advisories", s(&advisories), "--format", "json"]);
    assert_eq!(status.code(), Some(1), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let f = &report["findings"][0];
    assert_eq!(f["rule"], "vulnerable-dependency");
    assert_eq!(f["file"], "/usr/local/lib/python3.11/site-packages/flask-2.2.4.dist-info/METADATA");
    let (status, _, err) = run(&["audit", "--rootfs", "/no/such/root"]);
    assert_eq!(status.code(), Some(2), "{err}");
}

#[test]
fn a_baseline_accepts_an_advisory_by_any_of_its_ids_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../warden-audit/tests");
    let requirements = corpus.join("corpus/dependencies/requirements-serving.txt");
    let advisories = corpus.join("osv/advisories");
    let baseline = dir.path().join("baseline.json");
    let audit = |baseline: &Path| {
        run(&["audit", s(&requirements), "--advisories", s(&advisories), "--baseline", s(baseline), "--format", "json"])
    };
    // By alias, for the package it names.
    std::fs::write(
        &baseline,
        r#"{"version": 1, "findings": {}, "advisories": {"cve-2023-30861": {"reason": "no caching proxy in front of the server", "package": "Flask"}}}"#,
    )
    .unwrap();
    let (status, out, err) = audit(&baseline);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["summary"]["baselined"], 1);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    // For another package it does not apply.
    std::fs::write(
        &baseline,
        r#"{"version": 1, "findings": {}, "advisories": {"GHSA-m2qf-hxjv-5gpq": {"reason": "not ours", "package": "django"}}}"#,
    )
    .unwrap();
    assert_eq!(audit(&baseline).0.code(), Some(1));
    // Without a reason the baseline is refused.
    std::fs::write(
        &baseline,
        r#"{"version": 1, "findings": {}, "advisories": {"GHSA-m2qf-hxjv-5gpq": {"reason": " "}}}"#,
    )
    .unwrap();
    let (status, _, err) = audit(&baseline);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("advisory GHSA-m2qf-hxjv-5gpq is accepted without a reason"), "{err}");
}

#[test]
fn a_vulnerable_package_raises_the_supply_chain_threat_and_is_its_evidence() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../warden-audit/tests");
    let advisories = corpus.join("osv/advisories");
    let supply = |requirements: &str| {
        let path = corpus.join("corpus/dependencies").join(requirements);
        let (status, out, err) = run(&["threat-model", s(&path), "--advisories", s(&advisories), "--format", "json"]);
        assert_eq!(status.code(), Some(0), "{err}");
        let model: Value = serde_json::from_str(&out).unwrap();
        model["threats"].as_array().unwrap().iter().find(|t| t["id"] == "TM-SUPPLY").unwrap().clone()
    };
    let vulnerable = supply("requirements-serving.txt");
    let fixed = supply("requirements-fixed.txt");
    let deps = |risk: &Value| {
        risk["mitigations"].as_array().unwrap().iter().find(|m| m["layer"] == "dependencies").unwrap().clone()
    };
    assert_eq!(deps(&vulnerable)["state"], "missing");
    assert_eq!(deps(&fixed)["state"], "present");
    let evidence = deps(&vulnerable)["evidence"][0].as_str().unwrap().to_string();
    assert!(
        evidence.contains("requirements-serving.txt:3 vulnerable-dependency")
            && evidence.contains("GHSA-m2qf-hxjv-5gpq"),
        "{evidence}"
    );
    let order = ["unlikely", "likely", "very-likely", "frequent"];
    let rank = |r: &Value| order.iter().position(|o| *o == r["likelihood"].as_str().unwrap()).unwrap();
    assert!(rank(&vulnerable) > rank(&fixed), "{vulnerable}\n{fixed}");
    // Without advisory data the packages say nothing either way.
    let path = corpus.join("corpus/dependencies/requirements-serving.txt");
    let empty = tempfile::tempdir().unwrap();
    let (_, out, err) = run(&["threat-model", s(&path), "--state-dir", s(empty.path()), "--format", "json"]);
    let model: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let risk = model["threats"].as_array().unwrap().iter().find(|t| t["id"] == "TM-SUPPLY").unwrap().clone();
    assert_eq!(deps(&risk)["state"], "unknown");
}

/// Dogfood: the deployment kit passes Warden's own audit: nothing at medium or
/// above, no file it cannot read (the Helm templates are left out with a note, and
/// scripts/check-deploy audits their renders), and the one low finding is the
/// placeholder image digest a user must replace.
#[test]
fn the_deployment_kit_passes_its_own_audit() {
    let deploy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let (status, out, err) = run(&["audit", s(&deploy), "--fail-on", "medium", "--format", "json"]);
    assert_eq!(status.code(), Some(0), "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["summary"]["errors"], 0, "{out}");
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["k8s-image-placeholder-digest"], "{out}");
    assert!(err.contains("Helm templates are not YAML until rendered"), "{err}");
    // Every layer of the kit was read.
    let kinds: std::collections::BTreeSet<&str> =
        report["files"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    for kind in ["kubernetes", "dockerfile", "systemd", "sysctl", "sshd", "firewall", "warden-config"] {
        assert!(kinds.contains(kind), "{kind} not audited: {kinds:?}");
    }
}
