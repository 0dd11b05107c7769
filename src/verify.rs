//! The verdict on a chain: Web PKI path validation by rustls-webpki, with the pins checked
//! inside path building, on each candidate path, so that only keys on a validated path count.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use webpki::{EndEntityCert, KeyUsage, VerifiedPath};

use crate::host::HostName;
use crate::limits::{CERTPIN_MAX_CERT_LEN, CERTPIN_MAX_CHAIN_LEN};
use crate::pin::Pin;
use crate::policy::PinSet;
use crate::result::PinError;
use crate::store::Snapshot;

/// The signature algorithms accepted on a path: those rustls accepts for TLS, via *ring*.
static SIGNATURE_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PKCS1_3072_8192_SHA384,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// A path that validated but held no pinned key, kept to explain the verdict.
#[derive(Clone, Debug)]
pub struct RejectedPath {
    /// Pins of the path's certificates: the leaf, the intermediates, then the trust anchor.
    pub pins: Vec<Pin>,
    /// The trust anchor's subject, as DER contents without the outer SEQUENCE.
    pub anchor_subject: Vec<u8>,
}

/// The outcome of verifying a chain for a host, with what is needed to explain it.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// `Ok` when the chain is trusted, else why not.
    pub result: Result<(), PinError>,
    /// The host in normal form, when it could be read.
    pub host: Option<HostName>,
    /// The pin set that applied to the host, if any.
    pub pin_set: Option<Arc<PinSet>>,
    /// On success with a pin set: the pin that matched.
    pub matched_pin: Option<Pin>,
    /// On a pin mismatch: the first valid path that was rejected.
    pub rejected_path: Option<RejectedPath>,
    /// The time the chain was checked at, in seconds since the Unix epoch.
    pub unix_time: u64,
}

impl Verdict {
    fn failed(error: PinError, unix_time: u64) -> Self {
        Self {
            result: Err(error),
            host: None,
            pin_set: None,
            matched_pin: None,
            rejected_path: None,
            unix_time,
        }
    }
}

/// Checks the chain's shape against the limits: not empty, not too long, no certificate
/// empty or too large.
pub fn check_chain_limits(chain: &[&[u8]]) -> Result<(), PinError> {
    if chain.is_empty() {
        return Err(PinError::EmptyChain);
    }
    if chain.len() > CERTPIN_MAX_CHAIN_LEN {
        return Err(PinError::InvalidArgument);
    }
    for cert in chain {
        if cert.len() > CERTPIN_MAX_CERT_LEN {
            return Err(PinError::InvalidArgument);
        }
        if cert.is_empty() {
            return Err(PinError::BadCertificate);
        }
    }
    Ok(())
}

/// The verdict on `chain` (leaf first, then intermediates in any order, as the server sent
/// them) for `host` at `unix_time`, under the snapshot's policy and trust anchors.
pub fn verify_chain(snapshot: &Snapshot, chain: &[&[u8]], host: &str, unix_time: u64) -> Verdict {
    if let Err(error) = check_chain_limits(chain) {
        return Verdict::failed(error, unix_time);
    }
    let host = match HostName::parse(host) {
        Ok(host) => host,
        Err(error) => return Verdict::failed(error, unix_time),
    };
    let mut verdict = Verdict::failed(PinError::Internal, unix_time);
    verdict.pin_set = snapshot.policy.lookup(&host).cloned();
    verdict.result = validate(snapshot, chain, &host, unix_time, &mut verdict);
    verdict.host = Some(host);
    verdict
}

fn validate(
    snapshot: &Snapshot,
    chain: &[&[u8]],
    host: &HostName,
    unix_time: u64,
    verdict: &mut Verdict,
) -> Result<(), PinError> {
    let certs: Vec<CertificateDer<'_>> =
        chain.iter().map(|der| CertificateDer::from(*der)).collect();
    let (leaf_der, intermediates) = certs.split_first().ok_or(PinError::EmptyChain)?;
    let leaf = EndEntityCert::try_from(leaf_der).map_err(|_| PinError::BadCertificate)?;
    for der in intermediates {
        EndEntityCert::try_from(der).map_err(|_| PinError::BadCertificate)?;
    }
    let time = UnixTime::since_unix_epoch(Duration::from_secs(unix_time));

    let matched = RefCell::new(None);
    let rejected = RefCell::new(None);
    let check_pins = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
        let Some(pin_set) = verdict.pin_set.as_deref() else { return Ok(()) };
        match pinned_key_on(path, pin_set) {
            Some(pin) => {
                *matched.borrow_mut() = Some(pin);
                Ok(())
            }
            None => {
                rejected.borrow_mut().get_or_insert_with(|| rejected_path(path));
                // Any error makes webpki go on to the next candidate path.
                Err(webpki::Error::UnknownIssuer)
            }
        }
    };
    let validated = leaf.verify_for_usage(
        SIGNATURE_ALGORITHMS,
        snapshot.trust_anchors(),
        intermediates,
        time,
        KeyUsage::server_auth(),
        None,
        Some(&check_pins),
    );
    let name_check = leaf.verify_is_valid_for_subject_name(&host.server_name());
    verdict.matched_pin = matched.into_inner();
    verdict.rejected_path = rejected.into_inner();
    match validated {
        Ok(_) => name_check.map_err(|_| PinError::HostMismatch),
        // A valid path existed but held no pinned key. A chain for another host is the more
        // basic failure, so it is reported first.
        Err(_) if verdict.rejected_path.is_some() => {
            name_check.map_err(|_| PinError::HostMismatch)?;
            Err(PinError::PinMismatch)
        }
        Err(error) => Err(path_error(error)),
    }
}

/// The first pinned key on the path, looking at the leaf, the intermediates and the anchor.
fn pinned_key_on(path: &VerifiedPath<'_>, pin_set: &PinSet) -> Option<Pin> {
    path_pins(path).find(|pin| pin_set.contains(pin))
}

fn path_pins<'a>(path: &'a VerifiedPath<'a>) -> impl Iterator<Item = Pin> + 'a {
    let leaf = std::iter::once(Pin::of_spki(path.end_entity().subject_public_key_info().as_ref()));
    let intermediates = path
        .intermediate_certificates()
        .map(|cert| Pin::of_spki(cert.subject_public_key_info().as_ref()));
    // webpki keeps the anchor's key without its outer SEQUENCE; the pin is of the full DER.
    let anchor = std::iter::once_with(|| {
        Pin::of_spki_contents(path.anchor().subject_public_key_info.as_ref())
    });
    leaf.chain(intermediates).chain(anchor)
}

fn rejected_path(path: &VerifiedPath<'_>) -> RejectedPath {
    RejectedPath {
        pins: path_pins(path).collect(),
        anchor_subject: path.anchor().subject.as_ref().to_vec(),
    }
}

/// The `PIN_ERR_*` code of a path-validation error.
fn path_error(error: webpki::Error) -> PinError {
    use webpki::Error as E;
    match error {
        E::UnknownIssuer => PinError::UnknownIssuer,
        E::CertExpired { .. } => PinError::Expired,
        E::CertNotValidYet { .. } => PinError::NotYetValid,
        E::CertNotValidForName(_) => PinError::HostMismatch,
        E::BadDer | E::BadDerTime | E::TrailingData(_) | E::UnsupportedCertVersion => {
            PinError::BadCertificate
        }
        _ => PinError::InvalidChain,
    }
}
