//! `warden signing-key create`, `warden sign`, `warden verify`: model signatures in the
//! OpenSSF model-signing format (key mode), interchangeable with `model_signing sign key` /
//! `model_signing verify key`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use warden_scan::signing::{self, Curve, SigningKey, VerifyError, VerifyingKey};

#[derive(Subcommand)]
pub enum SigningKeyCommand {
    /// Create an ECDSA key pair: NAME.key (PKCS#8 PEM, mode 0600) and NAME.pub (SPKI PEM).
    Create {
        /// Path prefix of the two files written.
        name: PathBuf,
        /// Elliptic curve.
        #[arg(long, value_enum, default_value_t = CurveArg::P256)]
        curve: CurveArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CurveArg {
    P256,
    P384,
}

#[derive(Args)]
pub struct SignArgs {
    /// The model: a directory (every file in it is signed) or a single file.
    pub model_path: PathBuf,
    /// Private key (PEM: PKCS#8 or SEC1, P-256 or P-384).
    #[arg(long)]
    pub key: PathBuf,
    /// Where to write the signature [default: model.sig inside the model directory, or
    /// next to a single-file model].
    #[arg(long)]
    pub signature: Option<PathBuf>,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The model: the directory or file that was signed.
    pub model_path: PathBuf,
    /// Trusted public key (SPKI PEM); repeat to trust several.
    #[arg(long, required = true)]
    pub key: Vec<PathBuf>,
    /// The signature file [default: model.sig inside the model directory, or next to a
    /// single-file model].
    #[arg(long)]
    pub signature: Option<PathBuf>,
}

fn with_ext(name: &Path, ext: &str) -> PathBuf {
    let mut s = name.as_os_str().to_os_string();
    s.push(ext);
    PathBuf::from(s)
}

fn write_new(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(data).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

pub fn run_key(cmd: SigningKeyCommand) -> Result<ExitCode> {
    match cmd {
        SigningKeyCommand::Create { name, curve } => {
            let curve = match curve {
                CurveArg::P256 => Curve::P256,
                CurveArg::P384 => Curve::P384,
            };
            let (key_path, pub_path) = (with_ext(&name, ".key"), with_ext(&name, ".pub"));
            for p in [&key_path, &pub_path] {
                if p.exists() {
                    eprintln!("error: {} already exists; not overwriting it", p.display());
                    return Ok(ExitCode::from(2));
                }
            }
            let key = SigningKey::generate(curve);
            write_new(&key_path, key.to_pkcs8_pem().as_bytes(), 0o600)?;
            write_new(&pub_path, key.verifying_key().to_spki_pem().as_bytes(), 0o644)?;
            println!(
                "created {} key pair: {} (private, mode 0600) and {}",
                curve.name(),
                key_path.display(),
                pub_path.display()
            );
            println!("key hint: {}", key.verifying_key().hint());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn check_model(path: &Path) -> Result<()> {
    if !path.exists() {
        bail!("{}: no such file or directory", path.display());
    }
    Ok(())
}

pub fn run_sign(args: SignArgs) -> Result<ExitCode> {
    let prepared = (|| -> Result<SigningKey> {
        check_model(&args.model_path)?;
        SigningKey::from_pem(&read_text(&args.key)?).with_context(|| args.key.display().to_string())
    })();
    let key = match prepared {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    match signing::sign_to_file(&args.model_path, &key, args.signature.as_deref()) {
        Ok(path) => {
            println!("signed {} -> {}", args.model_path.display(), path.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: signing failed: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

pub fn run_verify(args: VerifyArgs) -> Result<ExitCode> {
    let prepared = (|| -> Result<Vec<VerifyingKey>> {
        check_model(&args.model_path)?;
        args.key
            .iter()
            .map(|p| VerifyingKey::from_pem(&read_text(p)?).with_context(|| p.display().to_string()))
            .collect()
    })();
    let keys = match prepared {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let sig = args.signature.clone().unwrap_or_else(|| signing::default_signature_path(&args.model_path));
    match signing::verify(&args.model_path, &sig, &keys) {
        Ok(v) => {
            println!(
                "verified: model {} ({} files, sha256 {}) signed by {}",
                v.model_name,
                v.files.len(),
                v.root_digest,
                args.key[v.key_index].display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.is_read_error() => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
        Err(VerifyError::Mismatch(m)) => {
            println!("NOT VERIFIED: the model differs from what was signed");
            for f in &m.changed {
                println!("  changed: {f}");
            }
            for f in &m.added {
                println!("  added:   {f}");
            }
            for f in &m.removed {
                println!("  removed: {f}");
            }
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            println!("NOT VERIFIED: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
