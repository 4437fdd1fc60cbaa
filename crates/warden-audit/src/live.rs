//! `warden audit --host`: the running host instead of files in a repository. The
//! live state becomes ordinary inputs, so the same rules judge it:
//!
//! - sysctl: the values in `ROOT/proc/sys` of the keys the host rules check, as a
//!   synthetic sysctl file (`/proc/sys`) with one `key = value` line each, so a
//!   finding points at the line of its key;
//! - sshd: `sshd -T` (the effective configuration, every keyword) when the root is
//!   `/` and sshd runs, else `ROOT/etc/ssh/sshd_config` and its `sshd_config.d`;
//! - firewall: ufw's `ufw.conf`, `/etc/default/ufw` and `user.rules`,
//!   `/etc/nftables.conf`, and `nft list ruleset` when the root is `/`;
//! - systemd units (`ROOT/etc/systemd/system/*.service` and their drop-ins) and
//!   Warden configs (`ROOT/etc/warden/*.toml`);
//! - the modes of private keys and secrets under `/etc/warden` and the state dir,
//!   of the state dir itself, and of the model repository's files, as lines of a
//!   synthetic file that the `host-file-permissions` rule reads (see [`MODE_MARKER`]).
//!
//! Commands run only for the real root, with a timeout; anything missing is
//! skipped, and anything unreadable is a per-file error.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::input::{File, FileError, Input, Inputs, MAX_FILE_SIZE};
use crate::keyvalue::{KeyValues, Syntax};

/// The sysctl keys read from `/proc/sys`: every key a host rule checks.
pub const SYSCTL_KEYS: &[&str] = &[
    "kernel.randomize_va_space",
    "kernel.kptr_restrict",
    "kernel.dmesg_restrict",
    "kernel.yama.ptrace_scope",
    "kernel.sysrq",
    "fs.suid_dumpable",
    "fs.protected_symlinks",
    "fs.protected_hardlinks",
    "fs.protected_regular",
    "net.ipv4.conf.all.accept_redirects",
    "net.ipv4.conf.default.accept_redirects",
    "net.ipv6.conf.all.accept_redirects",
    "net.ipv6.conf.default.accept_redirects",
    "net.ipv4.conf.all.secure_redirects",
    "net.ipv4.conf.default.secure_redirects",
    "net.ipv4.conf.all.send_redirects",
    "net.ipv4.conf.default.send_redirects",
    "net.ipv4.conf.all.accept_source_route",
    "net.ipv4.conf.default.accept_source_route",
    "net.ipv6.conf.all.accept_source_route",
    "net.ipv6.conf.default.accept_source_route",
    "net.ipv4.conf.all.rp_filter",
    "net.ipv4.conf.default.rp_filter",
    "net.ipv4.conf.all.log_martians",
    "net.ipv4.conf.default.log_martians",
    "net.ipv4.tcp_syncookies",
];

/// Starts a line of the synthetic file-modes input:
/// `# warden-live file-mode MODE KIND PATH`, KIND one of [`ModeKind`]'s words.
pub const MODE_MARKER: &str = "# warden-live file-mode ";

/// What a file found by the permissions walk is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeKind {
    /// A private key (`*.key`, a PEM holding `PRIVATE KEY`) or the API key store.
    PrivateKey,
    /// A token or secret file (`*.token`, `*secret*`).
    Secret,
    /// Warden's state directory itself.
    StateDir,
    /// A file or directory of the model repository.
    Model,
}

impl ModeKind {
    pub fn word(self) -> &'static str {
        match self {
            ModeKind::PrivateKey => "private-key",
            ModeKind::Secret => "secret",
            ModeKind::StateDir => "state-dir",
            ModeKind::Model => "model",
        }
    }

    pub fn parse(word: &str) -> Option<ModeKind> {
        [ModeKind::PrivateKey, ModeKind::Secret, ModeKind::StateDir, ModeKind::Model]
            .into_iter()
            .find(|k| k.word() == word)
    }
}

/// One line of the file-modes input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMode {
    /// Permission bits (`0o640`).
    pub mode: u32,
    pub kind: ModeKind,
    pub path: String,
}

impl FileMode {
    pub fn line(&self) -> String {
        format!("{MODE_MARKER}{:04o} {} {}", self.mode, self.kind.word(), self.path)
    }

    /// Reads a line written by [`FileMode::line`].
    pub fn parse(line: &str) -> Option<FileMode> {
        let rest = line.trim_start().strip_prefix(MODE_MARKER.trim_end())?.trim_start();
        let mut parts = rest.splitn(3, ' ');
        let mode = u32::from_str_radix(parts.next()?, 8).ok()?;
        let kind = ModeKind::parse(parts.next()?)?;
        let path = parts.next()?.trim().to_string();
        (!path.is_empty() && mode <= 0o7777).then_some(FileMode { mode, kind, path })
    }
}

/// How long a command may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// Entries the permissions walk looks at under each directory, and how deep.
const WALK_LIMIT: usize = 20_000;
const WALK_DEPTH: usize = 8;

/// The running host under `root` (normally `/`) as audit inputs.
pub fn live_inputs(root: &Path) -> Inputs {
    let real = root == Path::new("/");
    let mut inputs = Inputs::default();
    inputs.files.push(sysctl(root));
    sshd(root, real, &mut inputs);
    firewall(root, real, &mut inputs);
    units(&root.join("etc/systemd/system"), &mut inputs);
    for path in listing(&root.join("etc/warden"), |n| n.ends_with(".toml")) {
        read_into(&path, &mut inputs, |path, text, inputs| inputs.add_text(path, text, false));
    }
    inputs.files.push(modes(root, &inputs));
    inputs
}

/// `/proc/sys` for the real root, `ROOT/proc/sys` for another.
fn shown(root: &Path, rel: &str) -> String {
    root.join(rel).display().to_string()
}

fn sysctl(root: &Path) -> File {
    let mut text = format!("# live values read by warden audit --host from {}\n", shown(root, "proc/sys"));
    for key in SYSCTL_KEYS {
        let path = root.join("proc/sys").join(key.replace('.', "/"));
        if let Ok(value) = std::fs::read_to_string(&path) {
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            if !value.is_empty() {
                text.push_str(&format!("{key} = {value}\n"));
            }
        }
    }
    let kv = KeyValues::parse(&text, Syntax::Equals);
    File { path: shown(root, "proc/sys"), text, input: Input::Sysctl(kv) }
}

fn sshd(root: &Path, real: bool, inputs: &mut Inputs) {
    if real
        && let Some(sshd) = binary(&["/usr/sbin/sshd", "/usr/bin/sshd", "/sbin/sshd"])
        && let Some(out) = run(&sshd, &["-T"], COMMAND_TIMEOUT)
        && out.lines().any(|l| l.starts_with("permitrootlogin "))
    {
        let kv = KeyValues::parse(&out, Syntax::Spaced);
        inputs.files.push(File { path: "sshd -T".into(), text: out, input: Input::Sshd(kv) });
        return;
    }
    let main = root.join("etc/ssh/sshd_config");
    if main.exists() {
        read_into(&main, inputs, |path, text, inputs| inputs.add_text(path, text, false));
    }
    for path in listing(&root.join("etc/ssh/sshd_config.d"), |n| n.ends_with(".conf")) {
        read_into(&path, inputs, |path, text, inputs| inputs.add_text(path, text, false));
    }
}

fn firewall(root: &Path, real: bool, inputs: &mut Inputs) {
    for rel in ["etc/ufw/ufw.conf", "etc/default/ufw", "etc/ufw/user.rules", "etc/ufw/user6.rules", "etc/nftables.conf"]
    {
        let path = root.join(rel);
        if path.exists() {
            read_into(&path, inputs, |path, text, inputs| {
                inputs.files.push(File { path: path.into(), input: Input::Firewall(text.clone()), text })
            });
        }
    }
    if real
        && let Some(nft) = binary(&["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"])
        && let Some(out) = run(&nft, &["list", "ruleset"], COMMAND_TIMEOUT)
    {
        // The whole live ruleset: as a file that replaces everything, so an empty
        // one (or one with no input chain) reads as "everything accepted".
        let text = format!("flush ruleset\n{out}");
        inputs.files.push(File { path: "nft list ruleset".into(), input: Input::Firewall(text.clone()), text });
    }
}

fn units(dir: &Path, inputs: &mut Inputs) {
    for path in listing(dir, |n| n.ends_with(".service")) {
        read_into(&path, inputs, |path, text, inputs| inputs.add_text(path, text, false));
        let dropins = PathBuf::from(format!("{}.d", path.display()));
        for conf in listing(&dropins, |n| n.ends_with(".conf")) {
            read_into(&conf, inputs, |path, text, inputs| inputs.add_text(path, text, false));
        }
    }
}

/// The regular files of `dir` (following symlinks) whose names pass `keep`, sorted.
fn listing(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .filter(|e| keep(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
        .collect();
    found.sort();
    found
}

/// Reads `path` as text within the size limit and hands it to `add`; a failure is a
/// per-file error.
fn read_into(path: &Path, inputs: &mut Inputs, add: impl FnOnce(&str, String, &mut Inputs)) {
    let shown = path.display().to_string();
    let text = std::fs::metadata(path)
        .map_err(|e| e.to_string())
        .and_then(|m| {
            if m.len() > MAX_FILE_SIZE {
                Err(format!("{} bytes, over the limit of {MAX_FILE_SIZE}", m.len()))
            } else {
                std::fs::read(path).map_err(|e| e.to_string())
            }
        })
        .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string()));
    match text {
        Ok(text) => add(&shown, text, inputs),
        Err(error) => inputs.errors.push(FileError { path: shown, error }),
    }
}

fn binary(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// Runs `program args` and returns its standard output if it exits 0 within the
/// timeout; it is killed past the timeout.
fn run(program: &Path, args: &[&str], timeout: Duration) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.by_ref().take(MAX_FILE_SIZE).read_to_end(&mut out);
        out
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let out = reader.join().ok()?;
    status.filter(|s| s.success()).and_then(|_| String::from_utf8(out).ok())
}

/// The model repositories and state dirs to look at: the usual places, and those
/// the Warden configs read above name.
fn warden_dirs(root: &Path, inputs: &Inputs) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut state = vec![root.join("var/lib/warden")];
    let mut models = vec![root.join("var/lib/warden/models"), root.join("srv/models")];
    let under_root = |p: &str| root.join(p.trim_start_matches('/'));
    for file in &inputs.files {
        let Input::WardenConfig(table) = &file.input else { continue };
        if let Some(dir) = crate::warden_config::get(table, "state_dir").and_then(toml::Value::as_str) {
            state.push(under_root(dir));
        }
        if let Some(dir) = crate::warden_config::get(table, "model_repository").and_then(toml::Value::as_str) {
            models.push(under_root(dir));
        }
    }
    for list in [&mut state, &mut models] {
        list.sort();
        list.dedup();
    }
    (state, models)
}

/// The synthetic file of modes the permissions rule reads.
fn modes(root: &Path, inputs: &Inputs) -> File {
    let (state_dirs, model_dirs) = warden_dirs(root, inputs);
    let mut found = Vec::new();
    let mut secrets_in = vec![root.join("etc/warden")];
    for dir in &state_dirs {
        if let Ok(meta) = std::fs::symlink_metadata(dir)
            && meta.is_dir()
        {
            found.push(mode_of(&meta, ModeKind::StateDir, dir));
            secrets_in.push(dir.clone());
        }
    }
    for dir in &secrets_in {
        walk(dir, &mut |path, meta| {
            if meta.is_file()
                && let Some(kind) = secret_kind(path)
            {
                found.push(mode_of(meta, kind, path));
            }
        });
    }
    for dir in &model_dirs {
        walk(dir, &mut |path, meta| found.push(mode_of(meta, ModeKind::Model, path)));
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found.dedup();
    let mut text =
        format!("# modes of key, state and model files read by warden audit --host under {}\n", root.display());
    for mode in &found {
        text.push_str(&mode.line());
        text.push('\n');
    }
    File { path: format!("{} (file modes)", root.display()), text, input: Input::Sysctl(KeyValues::default()) }
}

fn mode_of(meta: &std::fs::Metadata, kind: ModeKind, path: &Path) -> FileMode {
    FileMode { mode: meta.permissions().mode() & 0o7777, kind, path: path.display().to_string() }
}

/// Whether a file holds a private key or a secret, by name and (for PEM) content.
fn secret_kind(path: &Path) -> Option<ModeKind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".key") || name == "keys.json" {
        return Some(ModeKind::PrivateKey);
    }
    if name.ends_with(".pem") {
        let mut head = Vec::new();
        std::fs::File::open(path).ok()?.take(64 << 10).read_to_end(&mut head).ok()?;
        return String::from_utf8_lossy(&head).contains("PRIVATE KEY").then_some(ModeKind::PrivateKey);
    }
    (name.ends_with(".token") || name.contains("secret")).then_some(ModeKind::Secret)
}

/// Every file and directory under `dir` (not `dir` itself), symlinks not followed,
/// within the depth and count limits.
fn walk(dir: &Path, visit: &mut dyn FnMut(&Path, &std::fs::Metadata)) {
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    let mut seen = 0usize;
    while let Some((current, depth)) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&current) else { continue };
        let mut entries: Vec<PathBuf> = read.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            seen += 1;
            if seen > WALK_LIMIT {
                return;
            }
            let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
            if meta.file_type().is_symlink() {
                continue;
            }
            visit(&path, &meta);
            if meta.is_dir() && depth < WALK_DEPTH {
                stack.push((path, depth + 1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_lines_round_trip() {
        let m = FileMode { mode: 0o644, kind: ModeKind::PrivateKey, path: "/etc/warden/tls key.pem".into() };
        assert_eq!(m.line(), "# warden-live file-mode 0644 private-key /etc/warden/tls key.pem");
        assert_eq!(FileMode::parse(&m.line()), Some(m));
        assert_eq!(FileMode::parse("# warden-live file-mode 0999 model /x"), None);
        assert_eq!(FileMode::parse("# warden-live file-mode 0644 bogus /x"), None);
    }

    fn write(root: &Path, rel: &str, text: &str, mode: u32) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// A fake root: live values, sshd files, ufw, a unit, a config, a key others can
    /// read, a state dir others can enter and a model others can write.
    #[test]
    fn a_fake_root_is_audited_like_a_host() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "proc/sys/kernel/randomize_va_space", "1\n", 0o644);
        write(root, "proc/sys/kernel/yama/ptrace_scope", "1\n", 0o644);
        write(root, "proc/sys/net/ipv4/tcp_syncookies", "1\n", 0o644);
        write(root, "etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n", 0o644);
        write(
            root,
            "etc/ssh/sshd_config.d/50-hardening.conf",
            "PermitRootLogin no\nPasswordAuthentication no\n",
            0o644,
        );
        write(root, "etc/ufw/ufw.conf", "ENABLED=no\nLOGLEVEL=low\n", 0o644);
        write(root, "etc/ufw/user.rules", "*filter\n-A ufw-user-input -p tcp --dport 8443 -j ACCEPT\nCOMMIT\n", 0o640);
        let unit = "[Service]\nUser=root\nExecStart=/usr/local/bin/warden serve --config /etc/warden/warden.toml\n";
        write(root, "etc/systemd/system/warden.service", unit, 0o644);
        let config = "state_dir = \"/var/lib/warden\"\nmodel_repository = \"/data/models\"\nlog_payloads = true\n";
        write(root, "etc/warden/warden.toml", config, 0o640);
        write(root, "etc/warden/tls/server.key", "-----BEGIN PRIVATE KEY-----\n", 0o644);
        write(root, "etc/warden/tls/server.crt", "-----BEGIN CERTIFICATE-----\n", 0o644);
        write(root, "var/lib/warden/keys.json", "{}", 0o600);
        std::fs::set_permissions(root.join("var/lib/warden"), std::fs::Permissions::from_mode(0o755)).unwrap();
        write(root, "data/models/digits/1/model.onnx", "onnx", 0o666);

        let inputs = live_inputs(root);
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
        let kinds: Vec<(String, &str)> = inputs
            .files
            .iter()
            .map(|f| (f.path.strip_prefix(&root.display().to_string()).unwrap_or(&f.path).to_string(), f.input.kind()))
            .collect();
        for expected in [
            ("/proc/sys", "sysctl"),
            ("/etc/ssh/sshd_config", "sshd"),
            ("/etc/ssh/sshd_config.d/50-hardening.conf", "sshd"),
            ("/etc/ufw/ufw.conf", "firewall"),
            ("/etc/ufw/user.rules", "firewall"),
            ("/etc/systemd/system/warden.service", "systemd"),
            ("/etc/warden/warden.toml", "warden-config"),
            (" (file modes)", "sysctl"),
        ] {
            assert!(kinds.contains(&(expected.0.to_string(), expected.1)), "{expected:?} not in {kinds:?}");
        }
        let sysctl = &inputs.files[0].text;
        assert!(sysctl.contains("\nkernel.randomize_va_space = 1\n"), "{sysctl}");

        let audit = crate::audit(inputs, None);
        let mut found: Vec<(&str, String, usize)> = audit
            .findings
            .iter()
            .filter(|f| f.rule.id.starts_with("host-") || f.rule.id.starts_with("warden-"))
            .map(|f| (f.rule.id, f.file.rsplit('/').next().unwrap_or("").to_string(), f.line))
            .collect();
        found.sort();
        found.dedup();
        let modes = format!("{} (file modes)", root.file_name().unwrap().to_string_lossy());
        let expected = [
            ("host-file-permissions", modes.clone(), 4),
            ("host-file-permissions", modes.clone(), 5),
            ("host-file-permissions", modes.clone(), 6),
            ("host-firewall-default-allow", "ufw.conf".to_string(), 1),
            ("host-firewall-inference-open", "user.rules".to_string(), 2),
            ("host-sshd-forwarding", "sshd_config".to_string(), 1),
            ("host-sshd-max-auth-tries", "sshd_config".to_string(), 1),
            ("host-sshd-timeouts", "sshd_config".to_string(), 1),
            ("host-sysctl-aslr", "sys".to_string(), 2),
            ("host-systemd-root", "warden.service".to_string(), 2),
            ("host-systemd-sandbox", "warden.service".to_string(), 1),
            ("warden-log-payloads", "warden.toml".to_string(), 3),
            ("warden-unsigned-models", "warden.toml".to_string(), 2),
        ];
        assert_eq!(found, expected);
        let messages: Vec<&str> = audit
            .findings
            .iter()
            .filter(|f| f.rule.id == "host-file-permissions")
            .map(|f| f.message.as_str())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains("server.key is mode 0644: group and others can read the private key")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("var/lib/warden (Warden's state dir) is mode 0755")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("model.onnx is mode 0666: group and others can change")),
            "{messages:?}"
        );
    }

    #[test]
    fn commands_time_out_and_fail_quietly() {
        let second = Duration::from_secs(1);
        assert_eq!(run(Path::new("/bin/echo"), &["hello"], second).as_deref(), Some("hello\n"));
        assert_eq!(run(Path::new("/bin/false"), &[], second), None);
        assert_eq!(run(Path::new("/nonexistent/binary"), &[], second), None);
        let started = Instant::now();
        assert_eq!(run(Path::new("/bin/sleep"), &["30"], Duration::from_millis(200)), None);
        assert!(started.elapsed() < Duration::from_secs(5), "the command was not killed");
    }
}
