//! What `warden serve` may reach once it confines itself (warden-sandbox): the
//! paths its configuration names, and the few system paths a running server
//! reads (shared libraries the onnxruntime backend and name resolution load,
//! CA roots for JWKS over HTTPS, resolver files, its own /proc entry, CPU
//! topology). Everything else on the file system is out of reach.

use std::path::{Component, Path, PathBuf};

use warden_sandbox::Policy;

use crate::ServeConfig;
use crate::config::JwksSource;

/// System paths read after start: libraries (dlopen of onnxruntime and its
/// dependencies, NSS modules), CA roots, resolver files, CPU topology and
/// cgroup limits (thread pools size themselves from them), /proc/self, the
/// loader's cache (dlopen by name) and the host name (syslog records carry it).
const SYSTEM_READ: &[&str] = &[
    "/usr/lib",
    "/usr/lib64",
    "/lib",
    "/lib64",
    "/usr/local/lib",
    "/etc/ssl",
    "/etc/pki",
    "/usr/share/ca-certificates",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/gai.conf",
    "/etc/host.conf",
    "/etc/localtime",
    "/etc/ld.so.cache",
    "/proc/sys/kernel/hostname",
    "/proc/self",
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/sys/devices/system/cpu",
    "/sys/fs/cgroup",
    "/dev/null",
    "/dev/urandom",
];

/// Directories too broad to open to a file kept in them: such a file gets a rule
/// of its own (a rename over it is then not seen, which the log says).
const BROAD: &[&str] = &[
    "/",
    "/etc",
    "/tmp",
    "/var",
    "/var/lib",
    "/var/tmp",
    "/usr",
    "/usr/local",
    "/usr/local/etc",
    "/opt",
    "/srv",
    "/run",
    "/home",
    "/root",
];

/// The policy for `config` (read from `config_file`, if any); `onnxruntime_lib`
/// is the library the onnxruntime backend would load.
pub fn policy(config: &ServeConfig, config_file: Option<&Path>, onnxruntime_lib: Option<&Path>) -> Policy {
    let mut read_only: Vec<PathBuf> = SYSTEM_READ.iter().map(PathBuf::from).collect();
    let files = [
        config_file,
        config.tls_cert.as_deref(),
        config.tls_key.as_deref(),
        config.tls_client_ca.as_deref(),
        config.tls_crl.as_deref(),
        config.tls_identities.as_deref(),
        config.metrics_token_file.as_deref(),
        config.jwt.ca_file.as_deref(),
        config.jwt.hmac_secret_file.as_deref(),
        match &config.jwt.jwks {
            Some(JwksSource::File(p)) => Some(p.as_path()),
            _ => None,
        },
        onnxruntime_lib,
    ];
    let keys = config.models.trusted_keys.iter().chain(&config.models.trusted_roots).map(PathBuf::as_path);
    for file in files.into_iter().flatten().chain(keys) {
        read_only.push(beside(file));
    }
    if let Some(repo) = &config.model_repository {
        read_only.push(absolute(repo));
    }
    let audit = crate::trail::settings(config).dir;
    let read_write = vec![absolute(&config.state_dir), absolute(&audit)];
    read_only.sort();
    read_only.dedup();
    Policy { read_only, read_write }
}

/// The directory a configured file is in, so a replacement renamed into place
/// (certificate rotation, a Kubernetes Secret update) stays readable; the file
/// itself when that directory is a broad system one.
fn beside(file: &Path) -> PathBuf {
    let file = absolute(file);
    // A home directory is broad too: a config kept in ~ must not open all of it.
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match file.parent() {
        Some(dir)
            if !BROAD.iter().any(|b| dir == Path::new(b))
                && home.as_deref() != Some(dir)
                && dir.components().count() > 1 =>
        {
            dir.to_path_buf()
        }
        _ => file,
    }
}

/// Absolute and lexically normal (no `.` or `..`), without following links: a
/// Kubernetes Secret's `..data` link must not be resolved to the directory the
/// next update replaces.
fn absolute(path: &Path) -> PathBuf {
    let joined = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_files_open_their_directory_unless_it_is_broad() {
        let config = ServeConfig {
            state_dir: PathBuf::from("/var/lib/warden"),
            model_repository: Some(PathBuf::from("/models")),
            tls_key: Some(PathBuf::from("/etc/warden/tls/tls.key")),
            metrics_token_file: Some(PathBuf::from("/etc/metrics-token")),
            ..ServeConfig::default()
        };
        let p = policy(&config, Some(Path::new("/etc/warden/../warden/warden.toml")), None);
        assert!(p.read_only.contains(&PathBuf::from("/etc/warden/tls")));
        assert!(p.read_only.contains(&PathBuf::from("/etc/warden")));
        assert!(p.read_only.contains(&PathBuf::from("/etc/metrics-token")));
        assert!(!p.read_only.contains(&PathBuf::from("/etc")));
        assert!(p.read_only.contains(&PathBuf::from("/models")));
        assert_eq!(p.read_write, [PathBuf::from("/var/lib/warden"), PathBuf::from("/var/lib/warden/audit")]);
    }
}
