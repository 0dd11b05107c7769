//! The `keygen` and `sign` subcommands: the Ed25519 key pair that signs policy updates, and
//! the detached signature over a policy document's exact bytes that `pin_store_apply_update`
//! checks.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certpin::document::{format_time, parse_document};
use certpin::report::pem_block;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;
use serde::Serialize;
use x509_parser::asn1_rs::{Integer, OctetString, Oid, Sequence, SerializeResult, ToDer};

use crate::output::{Failure, Status, print_json, read_file};

/// `certpin keygen [--out KEYFILE]`
#[derive(clap::Args)]
pub struct KeygenArgs {
    /// Where to write the private key (PKCS#8 v1 PEM, as `openssl genpkey -algorithm ed25519`
    /// writes it; mode 0600). An existing file is never overwritten.
    #[arg(long, value_name = "KEYFILE", default_value = "certpin-update.key")]
    out: PathBuf,
}

/// `certpin sign --key KEYFILE FILE [--out SIGFILE]`
#[derive(clap::Args)]
pub struct SignArgs {
    /// The private key from `certpin keygen`.
    #[arg(long, value_name = "KEYFILE")]
    key: PathBuf,
    /// The policy document to sign, as it will be shipped (its exact bytes are signed).
    #[arg(value_name = "FILE")]
    document: PathBuf,
    /// Where to write the signature (base64): FILE.sig by default.
    #[arg(long, value_name = "SIGFILE")]
    out: Option<PathBuf>,
}

/// What `keygen` made.
#[derive(Serialize)]
struct KeygenReport {
    private_key_file: String,
    /// Standard base64 of the 32-byte Ed25519 public key, for `pin_store_add_update_key`.
    public_key: String,
}

/// What `sign` wrote.
#[derive(Serialize)]
struct SignReport {
    document: String,
    signature_file: String,
    signature: String,
    /// The public key that verifies the signature.
    public_key: String,
    version: u64,
    expires: String,
}

/// Runs `certpin keygen`.
pub fn keygen(args: &KeygenArgs, json: bool) -> Result<Status, Failure> {
    let mut seed = [0u8; 32];
    SystemRandom::new()
        .fill(&mut seed)
        .map_err(|_| Failure("the system random number generator failed".into()))?;
    let pkcs8 = pkcs8_v1(&seed).map_err(|error| Failure(format!("encoding the key: {error}")))?;
    // The key is read back as `sign` reads it, so what is written is known to work.
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).expect("ring reads the key");
    let public_key = STANDARD.encode(pair.public_key().as_ref());
    write_private_key(&args.out, &pem_block("PRIVATE KEY", &pkcs8))?;
    let report = KeygenReport { private_key_file: args.out.display().to_string(), public_key };
    if json {
        print_json(&report);
    } else {
        println!("private key  {} (keep it secret and out of the app)", args.out.display());
        println!("public key   {}", report.public_key);
        println!("\nembed the public key in the app:");
        println!("  pin_store_add_update_key(store, \"{}\");", report.public_key);
    }
    Ok(Status::Ok)
}

/// An Ed25519 private key as a PKCS#8 v1 `PrivateKeyInfo` (RFC 8410), the form OpenSSL 3.0
/// reads and writes; ring makes v2 (RFC 5958, with the public key), which OpenSSL 3.0 refuses:
/// `SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }`.
fn pkcs8_v1(seed: &[u8; 32]) -> SerializeResult<Vec<u8>> {
    let ed25519 = Oid::from(&[1, 3, 101, 112]).expect("a valid OID");
    let algorithm = Sequence::new(ed25519.to_der_vec()?.into());
    let curve_private_key = OctetString::new(seed).to_der_vec()?;
    let mut info = Integer::from_u32(0).to_der_vec()?;
    info.extend(algorithm.to_der_vec()?);
    info.extend(OctetString::new(&curve_private_key).to_der_vec()?);
    Sequence::new(info.into()).to_der_vec()
}

/// Writes a new file readable by its owner only, refusing to replace an existing one.
fn write_private_key(path: &Path, text: &str) -> Result<(), Failure> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::AlreadyExists => {
            Failure::file(path, "already exists; not replacing a key")
        }
        _ => Failure::file(path, error),
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|error| Failure::file(path, error))
}

/// Runs `certpin sign`.
pub fn sign(args: &SignArgs, json: bool) -> Result<Status, Failure> {
    let key = PrivatePkcs8KeyDer::from_pem_slice(&read_file(&args.key)?)
        .map_err(|_| Failure::file(&args.key, "no PRIVATE KEY (PKCS#8 PEM) block"))?;
    // `maybe_unchecked` reads PKCS#8 v1 keys (keygen's, and `openssl genpkey -algorithm
    // ed25519`'s) as well as v2 (ring's, and keygen's before 0.2).
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(key.secret_pkcs8_der())
        .map_err(|_| Failure::file(&args.key, "not an Ed25519 private key"))?;
    let document = read_file(&args.document)?;
    let loaded = parse_document(&document).map_err(|error| Failure::file(&args.document, error))?;
    if loaded.version == 0 {
        return Err(Failure::file(&args.document, "version: an update needs a version above 0"));
    }
    let Some(expires) = loaded.expires_at else {
        return Err(Failure::file(&args.document, "expires: an update needs an expiry date"));
    };
    let signature = STANDARD.encode(pair.sign(&document).as_ref());
    let out = args.out.clone().unwrap_or_else(|| {
        let mut name = args.document.clone().into_os_string();
        name.push(".sig");
        name.into()
    });
    std::fs::write(&out, format!("{signature}\n")).map_err(|error| Failure::file(&out, error))?;
    let report = SignReport {
        document: args.document.display().to_string(),
        signature_file: out.display().to_string(),
        signature,
        public_key: STANDARD.encode(pair.public_key().as_ref()),
        version: loaded.version,
        expires: format_time(expires),
    };
    if json {
        print_json(&report);
    } else {
        println!("signed      {}", args.document.display());
        println!("version     {}", report.version);
        println!("expires     {}", report.expires);
        println!("signature   {}", out.display());
        println!("public key  {} (the app must trust it)", report.public_key);
    }
    Ok(Status::Ok)
}
