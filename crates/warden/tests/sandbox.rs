//! The server confines itself, proved from outside: `/proc/<pid>/status` shows
//! no_new_privs, two seccomp filters and no capability left; a file outside the
//! policy cannot be opened by it (a model symlinked out of the repository is
//! refused with EACCES, and served under `--no-sandbox`); root is refused unless
//! `--allow-root`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{Options, Server, refused_start, root_override, run};

fn status_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap()
}

fn field<'a>(status: &'a str, name: &str) -> &'a str {
    status.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim_start_matches(':').trim())).unwrap_or("")
}

fn fixture_model() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ml_models/linclf_softmax/1/model.onnx")
}

#[test]
fn the_running_server_is_confined() {
    let server = Server::start();
    let status = status_of(server.child.id());
    assert_eq!(field(&status, "NoNewPrivs"), "1", "{status}");
    assert_eq!(field(&status, "Seccomp"), "2", "{status}");
    // The allowlist, and the two filters that answer instead of killing.
    assert_eq!(field(&status, "Seccomp_filters"), "3", "{status}");
    assert_eq!(field(&status, "CapEff"), "0000000000000000");
    assert_eq!(field(&status, "CapPrm"), "0000000000000000");
    if root_override().is_some() {
        // Root could empty the bounding set, and did.
        assert_eq!(field(&status, "CapBnd"), "0000000000000000");
    }
    // Every thread, not only the main one.
    for task in std::fs::read_dir(format!("/proc/{}/task", server.child.id())).unwrap() {
        let t = std::fs::read_to_string(task.unwrap().path().join("status")).unwrap();
        assert_eq!((field(&t, "NoNewPrivs"), field(&t, "Seccomp")), ("1", "2"), "{t}");
    }
    assert!(server.stderr_text().contains("sandbox: no_new_privs, capabilities dropped, Landlock, seccomp allowlist"));
}

/// A repository whose model file is a link to a file outside every path the
/// policy grants.
fn repository_escaping_to(outside: &Path, root: &Path) -> PathBuf {
    std::fs::copy(fixture_model(), outside.join("model.onnx")).unwrap();
    std::fs::set_permissions(outside.join("model.onnx"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let repo = root.join("repo");
    std::fs::create_dir_all(repo.join("m/1")).unwrap();
    std::os::unix::fs::symlink(outside.join("model.onnx"), repo.join("m/1/model.onnx")).unwrap();
    repo
}

#[test]
fn a_file_outside_the_policy_cannot_be_opened() {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let repo = repository_escaping_to(outside.path(), root.path());
    let (code, _, err) = refused_start(&root.path().join("state"), &["--model-repository", repo.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("model.onnx") && err.contains("Permission denied"), "{err}");

    // The same repository unconfined: the link is followed and the model served.
    let server = Server::start_with(Options::args(&["--no-sandbox", "--model-repository", repo.to_str().unwrap()]));
    assert!(server.stderr_text().contains("--no-sandbox: the server is not confined"));
    let status = status_of(server.child.id());
    assert_eq!(field(&status, "Seccomp"), "0", "{status}");
}

#[test]
fn root_is_refused_unless_allowed() {
    if root_override().is_none() {
        eprintln!("not running as root: nothing to refuse");
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let (status, _, err) = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "off",
        "--state-dir",
        state.path().to_str().unwrap(),
    ]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("refusing to run as root") && err.contains("--allow-root"), "{err}");
    // Nothing was created: the refusal comes before the state dir.
    assert_eq!(std::fs::read_dir(state.path()).unwrap().count(), 0);
}

#[test]
fn model_files_other_users_can_read_are_refused_with_the_fix() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    std::fs::create_dir_all(repo.join("m/1")).unwrap();
    std::fs::copy(fixture_model(), repo.join("m/1/model.onnx")).unwrap();
    std::fs::set_permissions(repo.join("m/1/model.onnx"), std::fs::Permissions::from_mode(0o644)).unwrap();
    // Named in a config file, so the harness leaves its modes alone.
    let config = root.path().join("warden.toml");
    std::fs::write(&config, format!("model_repository = {:?}\n", repo.to_str().unwrap())).unwrap();
    let (code, _, err) = refused_start(&root.path().join("state"), &["--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("model.onnx is readable by other users (mode 644)"), "{err}");
    assert!(err.contains(&format!("run: chmod -R o-rwx {}", repo.join("m").display())), "{err}");
    // Writable by others is refused too, readable by the group is not.
    std::fs::set_permissions(repo.join("m/1/model.onnx"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::set_permissions(repo.join("m/1"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let (_, _, err) = refused_start(&root.path().join("state"), &["--config", config.to_str().unwrap()]);
    assert!(err.contains("is writable by other users (mode 777)"), "{err}");
    std::fs::set_permissions(repo.join("m/1"), std::fs::Permissions::from_mode(0o750)).unwrap();
    let server = Server::start_with(Options::args(&["--config", config.to_str().unwrap()]));
    assert!(server.stdout.lock().unwrap().iter().any(|l| l.contains("models: m")));
}
