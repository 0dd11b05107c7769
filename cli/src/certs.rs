//! Certificates: reading them from files, describing them, and naming the keys of a chain a
//! policy could pin. Also the `pin` subcommand, which prints those descriptions.

use std::path::{Path, PathBuf};

use certpin::cert_fields::name_text;
use certpin::explain::{fingerprint, printable};
use certpin::pin::Pin;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::output::{Failure, Status, as_text, print_json, read_file};

/// `certpin pin FILE...`
#[derive(clap::Args)]
pub struct Args {
    /// Certificate files: PEM (any number of CERTIFICATE blocks) or one DER certificate.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// What `pin` and `probe` show of one certificate.
#[derive(Serialize)]
pub struct CertificateInfo {
    /// `sha256/` + base64 of the SHA-256 of the SubjectPublicKeyInfo.
    pub pin: String,
    /// RFC 4514 subject.
    pub subject: String,
    /// RFC 4514 issuer.
    pub issuer: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// SHA-256 of the whole certificate, `AB:CD:...`.
    pub sha256_fingerprint: String,
}

impl CertificateInfo {
    /// The description of a DER certificate (one that [`read_certificates`] accepted).
    pub fn of(der: &[u8]) -> Self {
        let cert = parse(der);
        let time = |t: x509_parser::time::ASN1Time| {
            t.to_datetime().format(&Rfc3339).unwrap_or_else(|_| t.timestamp().to_string())
        };
        Self {
            pin: certificate_pin(der).to_string(),
            subject: printable(&name_text(cert.subject())),
            issuer: printable(&name_text(cert.issuer())),
            not_before: time(cert.validity().not_before),
            not_after: time(cert.validity().not_after),
            sha256_fingerprint: fingerprint(der),
        }
    }

    /// Prints the description as aligned lines, each starting with `indent`.
    pub fn print(&self, indent: &str) {
        let lines = [
            ("pin", &self.pin),
            ("subject", &self.subject),
            ("issuer", &self.issuer),
            ("not before", &self.not_before),
            ("not after", &self.not_after),
            ("sha256", &self.sha256_fingerprint),
        ];
        for (label, value) in lines {
            println!("{indent}{label:<11} {value}");
        }
    }
}

/// The pin of a certificate [`first_unreadable`] accepted: certpin's one definition of it.
fn certificate_pin(der: &[u8]) -> Pin {
    Pin::of_certificate(der).expect("read_certificates accepts only certificates with a pin")
}

/// Parses a certificate that [`first_unreadable`] has accepted.
fn parse(der: &[u8]) -> X509Certificate<'_> {
    X509Certificate::from_der(der).expect("certificates are checked when read").1
}

/// The DER certificates in a file: every CERTIFICATE block of a PEM file, or the file itself
/// as one DER certificate. A file with none, or with one that does not parse, is a failure.
pub fn read_certificates(path: &Path) -> Result<Vec<Vec<u8>>, Failure> {
    let bytes = read_file(path)?;
    let ders: Vec<Vec<u8>> = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        CertificateDer::pem_slice_iter(&bytes)
            .map(|cert| cert.map(|cert| cert.to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|error| Failure::file(path, format!("bad PEM: {error}")))?
    } else {
        vec![bytes]
    };
    if ders.is_empty() {
        return Err(Failure::file(path, "no CERTIFICATE block in this PEM file"));
    }
    if let Some(index) = first_unreadable(&ders) {
        return Err(Failure::file(
            path,
            format!("certificate [{index}] is not a DER X.509 certificate"),
        ));
    }
    Ok(ders)
}

/// The index of the first certificate in `ders` that the tool cannot describe (webpki gives
/// it no pin, or x509-parser cannot read it), if any: what [`read_certificates`] refuses in a
/// file, and what `probe` refuses from a server.
pub fn first_unreadable(ders: &[Vec<u8>]) -> Option<usize> {
    ders.iter().position(|der| {
        Pin::of_certificate(der).is_err() || X509Certificate::from_der(der).is_err()
    })
}

/// Where a key stands on a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The server's own certificate.
    Leaf,
    /// A CA certificate between the leaf and the root.
    Intermediate,
    /// The self-signed root (trust anchor).
    Root,
}

impl Role {
    /// The role's name, as JSON has it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Leaf => "leaf",
            Self::Intermediate => "intermediate",
            Self::Root => "root",
        }
    }
}

/// A key of a chain that a policy could pin.
#[derive(Debug, Serialize)]
pub struct ChainKey {
    /// Its place on the chain.
    pub role: Role,
    /// Its pin.
    #[serde(serialize_with = "as_text")]
    pub pin: Pin,
    /// The subject of its certificate.
    pub subject: String,
    /// Where it was found: `chain`, `anchor FILE` or `webpki-roots`.
    pub source: String,
}

/// One certificate of one file, for `pin --json`.
#[derive(Serialize)]
struct FileCertificate {
    file: String,
    index: usize,
    #[serde(flatten)]
    certificate: CertificateInfo,
}

/// Runs `certpin pin`.
pub fn run(args: &Args, json: bool) -> Result<Status, Failure> {
    let mut certificates = Vec::new();
    for file in &args.files {
        for (index, der) in read_certificates(file)?.iter().enumerate() {
            certificates.push(FileCertificate {
                file: file.display().to_string(),
                index,
                certificate: CertificateInfo::of(der),
            });
        }
    }
    if json {
        print_json(&serde_json::json!({ "certificates": certificates }));
        return Ok(Status::Ok);
    }
    for (number, item) in certificates.iter().enumerate() {
        if number > 0 {
            println!();
        }
        println!("{} [{}]", item.file, item.index);
        item.certificate.print("  ");
    }
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_with_one_bad_certificate_names_it() {
        let leaf =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/leaf.der")).unwrap();
        let truncated = leaf[..leaf.len() / 2].to_vec();
        assert_eq!(first_unreadable(std::slice::from_ref(&leaf)), None);
        assert_eq!(first_unreadable(&[leaf.clone(), truncated, leaf]), Some(1));
    }
}
