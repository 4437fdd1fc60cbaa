//! Build provenance for `warden --version --verbose`: the git revision the binary was
//! built from (or WARDEN_GIT_REVISION when built outside a checkout, as from a source
//! tarball) and the SHA-256 of Cargo.lock, which pins every dependency by version and
//! checksum: two binaries with the same digest were built from the same crates.

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let lock = root.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    println!("cargo:rerun-if-env-changed=WARDEN_GIT_REVISION");
    for git in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        println!("cargo:rerun-if-changed={}", root.join(git).display());
    }
    let bytes = std::fs::read(&lock).unwrap_or_default();
    let digest = hex(&Sha256::digest(&bytes));
    let crates = String::from_utf8_lossy(&bytes).matches("[[package]]").count();
    let revision = std::env::var("WARDEN_GIT_REVISION").ok().filter(|r| !r.is_empty()).or_else(|| {
        let out = Command::new("git").args(["rev-parse", "HEAD"]).current_dir(&root).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    println!("cargo:rustc-env=WARDEN_GIT_REVISION={}", revision.as_deref().unwrap_or("unknown"));
    println!("cargo:rustc-env=WARDEN_LOCK_SHA256={digest}");
    println!("cargo:rustc-env=WARDEN_LOCK_CRATES={crates}");
    println!("cargo:rustc-env=WARDEN_TARGET={}", std::env::var("TARGET").unwrap_or_default());
    println!("cargo:rustc-env=WARDEN_PROFILE={}", std::env::var("PROFILE").unwrap_or_default());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
