//! Confining a process is one-way, so each case runs in a child: this test
//! binary again, told by `WARDEN_SANDBOX_CASE` which case to play. The parent
//! judges from outside: what the child printed, and how it died.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use warden_sandbox::{Enforced, Policy, apply};

const CASE: &str = "WARDEN_SANDBOX_CASE";
const DIR: &str = "WARDEN_SANDBOX_DIR";
/// SIGSYS: what the seccomp filter kills with.
const SIGSYS: i32 = 31;

/// The child's entry point: a no-op unless the parent set `WARDEN_SANDBOX_CASE`.
#[test]
fn child() {
    let Ok(case) = std::env::var(CASE) else { return };
    let dir = PathBuf::from(std::env::var(DIR).unwrap());
    let policy =
        Policy { read_only: vec![dir.join("ro"), PathBuf::from("/proc/self")], read_write: vec![dir.join("rw")] };
    let report = apply(&policy).unwrap();
    say(&format!("landlock {:?}", report.landlock));
    match case.as_str() {
        "files" => files(&dir),
        "threads" => {
            let n = std::thread::spawn(|| 6 * 7).join().unwrap();
            say(&format!("thread answered {n}"));
        }
        "bind" => {
            let _ = std::net::TcpListener::bind("127.0.0.1:0");
            say("bind returned");
        }
        "netlink" => {
            // What glibc's getaddrinfo does to sort a name's addresses.
            // SAFETY: a plain socket call; the descriptor is closed if one comes back.
            let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, 0) };
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            if fd >= 0 {
                // SAFETY: closing the descriptor just opened.
                unsafe { libc::close(fd) };
            }
            say(&format!("netlink refused: {}", if fd < 0 { errno } else { 0 }));
        }
        "resolve" => {
            // getaddrinfo as reqwest calls it for a JWKS or OTLP host: whatever it
            // answers, it must not meet a forbidden system call.
            use std::net::ToSocketAddrs;
            let answer = ("localhost", 443).to_socket_addrs().map(|a| a.count());
            say(&format!("resolved: {answer:?}"));
        }
        "spawn" => {
            let _ = Command::new("/bin/true").status();
            say("spawn returned");
        }
        other => panic!("unknown case {other}"),
    }
    std::process::exit(0);
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

fn files(dir: &Path) {
    let outcome = |r: std::io::Result<()>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("{:?}", e.kind()),
    };
    say(&format!("read ro: {}", outcome(std::fs::read(dir.join("ro/a")).map(drop))));
    say(&format!("write ro: {}", outcome(std::fs::write(dir.join("ro/b"), "x"))));
    say(&format!("write rw: {}", outcome(std::fs::write(dir.join("rw/c"), "x"))));
    say(&format!("read outside: {}", outcome(std::fs::read(dir.join("outside/secret")).map(drop))));
    // This thread's: the test harness runs the case on a thread of its own, and
    // capabilities and Landlock hold per thread (the server confines its main
    // thread before any other exists).
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap_or_default();
    for key in ["NoNewPrivs", "Seccomp", "CapEff"] {
        let v = status.lines().find_map(|l| l.strip_prefix(&format!("{key}:"))).unwrap_or("?").trim().to_string();
        say(&format!("{key} {v}"));
    }
}

fn play(case: &str) -> (Output, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["ro", "rw", "outside"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    std::fs::write(dir.path().join("ro/a"), "a").unwrap();
    std::fs::write(dir.path().join("outside/secret"), "s").unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child", "--exact", "--nocapture", "--test-threads", "1"])
        .env(CASE, case)
        .env(DIR, dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, text, dir)
}

fn landlock_of(text: &str) -> Option<&str> {
    text.lines().find_map(|l| l.strip_prefix("landlock "))
}

#[test]
fn files_outside_the_policy_are_out_of_reach() {
    let (out, text, _dir) = play("files");
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("NoNewPrivs 1") && text.contains("Seccomp 2") && text.contains("CapEff 0000000000000000"),
        "{text}"
    );
    if landlock_of(&text) == Some(&format!("{:?}", Enforced::Not)) {
        eprintln!("this kernel has no Landlock: file rules not checked");
        return;
    }
    for line in ["read ro: ok", "write ro: PermissionDenied", "write rw: ok", "read outside: PermissionDenied"] {
        assert!(text.contains(line), "expected `{line}` in:\n{text}");
    }
}

#[test]
fn threads_still_start_through_clone() {
    let (out, text, _dir) = play("threads");
    assert!(out.status.success() && text.contains("thread answered 42"), "{text}");
}

#[test]
fn a_new_listening_socket_kills_the_process() {
    let (out, text, _dir) = play("bind");
    assert_eq!(out.status.signal(), Some(SIGSYS), "{text}");
    assert!(!text.contains("bind returned"), "{text}");
}

#[test]
fn starting_a_program_kills_the_process() {
    let (out, text, _dir) = play("spawn");
    assert_eq!(out.status.signal(), Some(SIGSYS), "{text}");
    assert!(!text.contains("spawn returned"), "{text}");
}

#[test]
fn the_allowlist_compiles_for_this_architecture() {
    warden_sandbox::check_seccomp().unwrap();
}

#[test]
fn other_socket_families_are_refused_not_fatal() {
    let (out, text, _dir) = play("netlink");
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("netlink refused: 97"), "{text}");
}

#[test]
fn name_lookups_do_not_meet_a_forbidden_call() {
    let (out, text, _dir) = play("resolve");
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("resolved: "), "{text}");
}
