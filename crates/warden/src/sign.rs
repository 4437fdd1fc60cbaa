//! `warden signing-key create`, `warden sign`, `warden verify`: model signatures in the
//! OpenSSF model-signing format, key mode and certificate mode, interchangeable with
//! `model_signing sign key|certificate` / `model_signing verify key|certificate`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use warden_scan::signing::{
    self, CertificateRoot, CertificateSigner, Curve, SignOptions, Signer, SignerIdentity, SigningKey, TrustPolicy,
    VerifyError, VerifyingKey,
};

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
    P521,
}

#[derive(Args)]
pub struct SignArgs {
    /// The model: a directory (every file in it is signed) or a single file.
    pub model_path: PathBuf,
    /// Private key (PEM: PKCS#8 or SEC1, P-256, P-384 or P-521).
    #[arg(long)]
    pub key: PathBuf,
    /// Certificate mode: the signing certificate (PEM) of --key, issued by your CA. It must
    /// allow signing (KeyUsage digitalSignature or ExtendedKeyUsage codeSigning).
    #[arg(long)]
    pub certificate: Option<PathBuf>,
    /// Certificate mode: an intermediate CA certificate (PEM) to carry in the signature so
    /// verifiers can chain the signing certificate to their root; repeat, leaf's issuer first.
    #[arg(long, requires = "certificate")]
    pub chain: Vec<PathBuf>,
    /// Where to write the signature [default: model.sig inside the model directory, or
    /// next to a single-file model].
    #[arg(long)]
    pub signature: Option<PathBuf>,
    /// A file or directory inside the model to leave unsigned (relative to the current
    /// directory, as model_signing takes it); repeat for several.
    #[arg(long = "ignore-paths", value_name = "PATH")]
    pub ignore_paths: Vec<PathBuf>,
}

#[derive(Args)]
#[command(group(ArgGroup::new("trust").args(["key", "root"]).required(true).multiple(true)))]
pub struct VerifyArgs {
    /// The model: the directory or file that was signed.
    pub model_path: PathBuf,
    /// Trusted public key (SPKI PEM) for key-mode signatures; repeat to trust several.
    #[arg(long)]
    pub key: Vec<PathBuf>,
    /// Trusted root CA certificate(s) (PEM, one or several per file) for certificate-mode
    /// signatures; repeat to trust several. The chain is checked at the signing
    /// certificate's notBefore time, as model_signing does.
    #[arg(long)]
    pub root: Vec<PathBuf>,
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
                CurveArg::P521 => Curve::P521,
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

/// The key, and in certificate mode its certificate and chain, from the files given.
fn load_signer(args: &SignArgs) -> Result<Signer> {
    let key = SigningKey::from_pem(&read_text(&args.key)?).with_context(|| args.key.display().to_string())?;
    let Some(cert) = &args.certificate else { return Ok(Signer::Key(key)) };
    let chain: Vec<String> = args.chain.iter().map(|p| read_text(p)).collect::<Result<_>>()?;
    let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
    let signer = CertificateSigner::new(key, &read_text(cert)?, &chain)
        .with_context(|| format!("{} with {}", args.key.display(), cert.display()))?;
    Ok(Signer::Certificate(signer))
}

pub fn run_sign(args: SignArgs) -> Result<ExitCode> {
    let prepared = (|| -> Result<Signer> {
        check_model(&args.model_path)?;
        load_signer(&args)
    })();
    let signer = match prepared {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let options = SignOptions { signature: args.signature.clone(), ignore_paths: args.ignore_paths.clone() };
    match signing::sign_with_to_file(&args.model_path, &signer, &options) {
        Ok(path) => {
            let by = match &signer {
                Signer::Key(k) => format!("key {}", k.verifying_key().hint()),
                Signer::Certificate(c) => format!("certificate {}", c.subject()),
            };
            println!("signed {} -> {} ({by})", args.model_path.display(), path.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: signing failed: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// The trust policy from --key and --root, and for each root the file it came from.
fn load_trust(args: &VerifyArgs) -> Result<(TrustPolicy, Vec<PathBuf>)> {
    let mut trust = TrustPolicy::default();
    let mut root_files = Vec::new();
    for p in &args.key {
        let text = read_text(p)?;
        if text.contains("-----BEGIN CERTIFICATE-----") {
            bail!("{}: a certificate, not a public key (trust CA certificates with --root)", p.display());
        }
        trust.keys.push(VerifyingKey::from_pem(&text).with_context(|| p.display().to_string())?);
    }
    for p in &args.root {
        let roots = CertificateRoot::from_pem(&read_text(p)?).with_context(|| p.display().to_string())?;
        root_files.extend(std::iter::repeat_n(p.clone(), roots.len()));
        trust.roots.extend(roots);
    }
    Ok((trust, root_files))
}

pub fn run_verify(args: VerifyArgs) -> Result<ExitCode> {
    let prepared = (|| -> Result<(TrustPolicy, Vec<PathBuf>)> {
        check_model(&args.model_path)?;
        load_trust(&args)
    })();
    let (trust, root_files) = match prepared {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let sig = args.signature.clone().unwrap_or_else(|| signing::default_signature_path(&args.model_path));
    match signing::verify_with(&args.model_path, &sig, &trust) {
        Ok(v) => {
            let by = match &v.signer {
                SignerIdentity::Key { .. } => args.key[v.key_index].display().to_string(),
                cert => format!("{cert} from {}", root_files[v.key_index].display()),
            };
            println!(
                "verified: model {} ({} files, sha256 {}) signed by {by}",
                v.model_name,
                v.files.len(),
                v.root_digest,
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
