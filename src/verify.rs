//! The verdict on a chain: Web PKI path validation by rustls-webpki, with the pins checked
//! inside path building, on each candidate path, so that only keys on a validated path count;
//! then the policy's rules (report-only, expiry, pins-only trust, trust on first use).

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use webpki::{EndEntityCert, KeyUsage, VerifiedPath};

pub use crate::candidates::Ignored;
use crate::candidates::choose;
use crate::host::HostName;
use crate::limits::{CERTPIN_MAX_CERT_LEN, CERTPIN_MAX_CHAIN_LEN};
use crate::path_checks::IssuerKeyUsage;
use crate::pin::Pin;
use crate::policy::{Enforcement, PinSet, TrustMode, UnpinnedHosts};
use crate::result::PinError;
use crate::signature_budget::{Budgeted, SignatureBudget};
use crate::store::Snapshot;
use crate::strict::PathCheck;
pub use crate::strict::{Finding, StrictFailure};

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

/// A path that validated but held no pinned key, kept to explain and report the verdict.
#[derive(Clone, Debug)]
pub struct RejectedPath {
    /// Pins of the path's certificates: the leaf, the intermediates, then the trust anchor.
    pub pins: Vec<Pin>,
    /// Where the leaf and intermediates of the path stand in the chain the server sent.
    pub chain_indexes: Vec<usize>,
    /// The trust anchor's subject, as DER contents without the outer SEQUENCE.
    pub anchor_subject: Vec<u8>,
    /// Where the trust anchor stands in the snapshot's trust anchors.
    pub anchor_index: Option<usize>,
}

/// Facts about a verdict besides its result, as bits (the `PIN_VERDICT_*` flags of the C API).
pub mod notes {
    pub use super::{
        PIN_VERDICT_PINS_EXPIRED as PINS_EXPIRED, PIN_VERDICT_PINS_EXPIRING as PINS_EXPIRING,
        PIN_VERDICT_REPORT_ONLY_MISMATCH as REPORT_ONLY_MISMATCH, PIN_VERDICT_REPORTED as REPORTED,
        PIN_VERDICT_TOFU_FIRST_USE as TOFU_FIRST_USE,
    };

    /// One note bit as people and programs read it.
    pub struct Note {
        /// The bit.
        pub bit: u32,
        /// Its name in the tool's JSON.
        pub name: &'static str,
        /// The line an explanation gives it.
        pub line: &'static str,
        /// Whether the explanation follows the line with the pin set's expiry date.
        pub shows_expiry: bool,
    }

    /// Every note bit, in the order explanations list them.
    pub static ALL: [Note; 5] = [
        Note {
            bit: PINS_EXPIRED,
            name: "pins_expired",
            line: "warning: the pin set expired; pins were NOT enforced (fail open)",
            shows_expiry: true,
        },
        Note {
            bit: PINS_EXPIRING,
            name: "pins_expiring",
            line: "warning: the pin set is past its warning date; ship new pins before it expires",
            shows_expiry: true,
        },
        Note {
            bit: REPORT_ONLY_MISMATCH,
            name: "report_only_mismatch",
            line: "warning: no pinned key on the chain; accepted because the pin set is report-only",
            shows_expiry: false,
        },
        Note {
            bit: TOFU_FIRST_USE,
            name: "tofu_first_use",
            line: "trust on first use: no pin yet; compare the leaf's pin and fingerprint out of band, then remember the pin",
            shows_expiry: false,
        },
        Note {
            bit: REPORTED,
            name: "reported",
            line: "a failure report was delivered to the report callback",
            shows_expiry: false,
        },
    ];
}

/// Verdict flag: the pins did not match, but the pin set is report-only, so the verdict is
/// `PIN_OK` (the chain itself is valid) and a report was made.
pub const PIN_VERDICT_REPORT_ONLY_MISMATCH: u32 = 1;
/// Verdict flag: the pin set has expired and was not enforced (fail open): plain validation.
pub const PIN_VERDICT_PINS_EXPIRED: u32 = 2;
/// Verdict flag: the pin set is past its warning date: ship new pins before it expires.
pub const PIN_VERDICT_PINS_EXPIRING: u32 = 4;
/// Verdict flag: trust on first use: the host has no pin yet (`PIN_ERR_NOT_PINNED`); the
/// leaf's pin and fingerprint are offered to show, compare out of band and remember.
pub const PIN_VERDICT_TOFU_FIRST_USE: u32 = 8;
/// Verdict flag: a failure report was delivered to the report callback for this verdict.
pub const PIN_VERDICT_REPORTED: u32 = 16;

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
    /// Under the strict profile, when no path was left: the first check a path failed.
    pub strict_failure: Option<StrictFailure>,
    /// [`notes`] bits.
    pub notes: u32,
    /// Certificates of the chain left out of path building (by index), and why.
    pub ignored: Vec<(usize, Ignored)>,
    /// The first issuer a candidate path was refused for because its keyUsage does not allow
    /// signing certificates, as DER.
    pub refused_issuer: Option<Vec<u8>>,
    /// Whether path building ran out of its signature-checking budget
    /// (`crate::signature_budget`): a signature check was refused without being made.
    pub signature_budget_spent: bool,
    /// The time the chain was checked at, in seconds since the Unix epoch.
    pub unix_time: u64,
    /// The store's policy generation the verdict was reached under.
    pub generation: u64,
}

impl Verdict {
    fn new(unix_time: u64, generation: u64) -> Self {
        Self {
            result: Err(PinError::Internal),
            host: None,
            pin_set: None,
            matched_pin: None,
            rejected_path: None,
            strict_failure: None,
            notes: 0,
            ignored: Vec::new(),
            refused_issuer: None,
            signature_budget_spent: false,
            unix_time,
            generation,
        }
    }

    /// Whether the pins failed (enforced or report-only): what a failure report is made for.
    pub fn is_pin_failure(&self) -> bool {
        self.result == Err(PinError::PinMismatch) || self.notes & notes::REPORT_ONLY_MISMATCH != 0
    }
}

/// Checks the chain's shape against the limits: not empty, not too long, no certificate too
/// large, and a leaf that is not empty (other empty certificates are ignored, as any other
/// that does not parse).
fn check_chain_limits(chain: &[&[u8]]) -> Result<(), PinError> {
    let Some(leaf) = chain.first() else { return Err(PinError::EmptyChain) };
    if chain.len() > CERTPIN_MAX_CHAIN_LEN || chain.iter().any(|c| c.len() > CERTPIN_MAX_CERT_LEN) {
        return Err(PinError::InvalidArgument);
    }
    if leaf.is_empty() {
        return Err(PinError::BadCertificate);
    }
    Ok(())
}

/// The verdict on `chain` (leaf first, then intermediates in any order, as the server sent
/// them) for `host` at `unix_time`, under the snapshot's policy and trust anchors.
pub fn verify_chain(snapshot: &Snapshot, chain: &[&[u8]], host: &str, unix_time: u64) -> Verdict {
    let mut verdict = Verdict::new(unix_time, snapshot.generation);
    if let Err(error) = check_chain_limits(chain) {
        verdict.result = Err(error);
        return verdict;
    }
    let host = match HostName::parse(host) {
        Ok(host) => host,
        Err(error) => {
            verdict.result = Err(error);
            return verdict;
        }
    };
    verdict.pin_set = snapshot.policy.lookup(&host).cloned();
    verdict.result = decide(snapshot, chain, &host, &mut verdict);
    verdict.host = Some(host);
    verdict
}

/// The parsed chain: the leaf, as webpki takes it (the intermediates are chosen when a path
/// is built: `candidates.rs`).
struct Chain<'a> {
    leaf: EndEntityCert<'a>,
}

fn decide(
    snapshot: &Snapshot,
    chain: &[&[u8]],
    host: &HostName,
    verdict: &mut Verdict,
) -> Result<(), PinError> {
    let leaf_der = CertificateDer::from(*chain.first().ok_or(PinError::EmptyChain)?);
    // Only the leaf must parse: intermediates that do not are left out of path building.
    let leaf = EndEntityCert::try_from(&leaf_der).map_err(|_| PinError::BadCertificate)?;
    let parsed = Chain { leaf };
    let time = verdict.unix_time;

    let Some(set) = verdict.pin_set.clone() else {
        if snapshot.policy.unpinned_hosts == UnpinnedHosts::Refuse {
            return Err(PinError::NotPinned);
        }
        return validate(snapshot, &parsed, chain, host, None, verdict);
    };
    let rules = set.rules;
    if rules.excluded {
        return validate(snapshot, &parsed, chain, host, None, verdict);
    }
    if set.pins.is_empty() && !rules.tofu {
        // `PinSet::check_configured` lets no such entry into a policy; were one to get there,
        // it is refused, never taken as unpinned.
        return Err(PinError::NotPinned);
    }
    if set.pins.is_empty() {
        // Trust on first use: the chain must stand on its own (unless the pin is the whole
        // identity), then the app is offered the leaf's pin to show and remember.
        if rules.trust == TrustMode::CaAndPins {
            validate(snapshot, &parsed, chain, host, None, verdict)?;
        }
        verdict.notes |= notes::TOFU_FIRST_USE;
        return Err(PinError::NotPinned);
    }
    if rules.expired_at(time) {
        verdict.notes |= notes::PINS_EXPIRED;
        return validate(snapshot, &parsed, chain, host, None, verdict);
    }
    if rules.warns_at(time) {
        verdict.notes |= notes::PINS_EXPIRING;
    }
    let pinned = match rules.trust {
        TrustMode::PinsOnly => leaf_is_pinned(&parsed, &set, verdict),
        TrustMode::CaAndPins => validate(snapshot, &parsed, chain, host, Some(&set), verdict),
    };
    match pinned {
        // A mismatch is only reached once a whole path validated for the host (webpki calls
        // the pin check on complete paths, and the name is checked before the mismatch is
        // returned), so in report-only mode the chain stands without a second validation.
        Err(PinError::PinMismatch) if rules.enforcement == Enforcement::ReportOnly => {
            verdict.notes |= notes::REPORT_ONLY_MISMATCH;
            Ok(())
        }
        other => other,
    }
}

/// Pins-only trust: the leaf's key is pinned, and nothing else is checked.
fn leaf_is_pinned(chain: &Chain<'_>, set: &PinSet, verdict: &mut Verdict) -> Result<(), PinError> {
    let pin = certificate_pin(&chain.leaf);
    if set.contains(&pin) {
        verdict.matched_pin = Some(pin);
        Ok(())
    } else {
        // Nothing was validated: there is no path to show or report, only the leaf's key,
        // which the explanation lists with the chain.
        Err(PinError::PinMismatch)
    }
}

/// Web PKI validation of the chain for the host; with `pins`, each candidate path must also
/// hold one of them.
fn validate(
    snapshot: &Snapshot,
    chain: &Chain<'_>,
    served: &[&[u8]],
    host: &HostName,
    pins: Option<&PinSet>,
    verdict: &mut Verdict,
) -> Result<(), PinError> {
    let time = UnixTime::since_unix_epoch(Duration::from_secs(verdict.unix_time));
    let candidates = choose(served, snapshot.trust_anchors());
    verdict.ignored = candidates.ignored;
    let budget = SignatureBudget::new();
    let budgeted = Budgeted::all(SIGNATURE_ALGORITHMS, &budget);
    let algorithms: Vec<&dyn SignatureVerificationAlgorithm> =
        budgeted.iter().map(|algorithm| algorithm as &dyn SignatureVerificationAlgorithm).collect();
    let key_usage = IssuerKeyUsage::default();
    let matched = RefCell::new(None);
    let rejected = RefCell::new(None);
    let strict = PathCheck::new(snapshot, served, verdict.unix_time);
    let check_path = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
        key_usage.check(path_issuers(path, snapshot))?;
        strict.check(path)?;
        let Some(pin_set) = pins else { return Ok(()) };
        match path_pins(path).find(|pin| pin_set.contains(pin)) {
            Some(pin) => {
                *matched.borrow_mut() = Some(pin);
                Ok(())
            }
            None => {
                rejected.borrow_mut().get_or_insert_with(|| rejected_path(path, served, snapshot));
                // Any error makes webpki go on to the next candidate path.
                Err(webpki::Error::UnknownIssuer)
            }
        }
    };
    let validated = chain.leaf.verify_for_usage(
        &algorithms,
        snapshot.trust_anchors(),
        &candidates.intermediates,
        time,
        KeyUsage::server_auth(),
        None,
        Some(&check_path),
    );
    verdict.refused_issuer = key_usage.refused();
    verdict.signature_budget_spent = budget.spent();
    let name_check = chain.leaf.verify_is_valid_for_subject_name(&host.server_name());
    if let Some(pin) = matched.into_inner() {
        verdict.matched_pin = Some(pin);
    }
    let rejected = rejected.into_inner();
    let strict_failure = strict.into_failure();
    let any_rejected = rejected.is_some();
    if rejected.is_some() {
        verdict.rejected_path = rejected;
    }
    match validated {
        Ok(_) => name_check.map_err(|_| PinError::HostMismatch),
        // A valid path existed but held no pinned key. A chain for another host is the more
        // basic failure, so it is reported first.
        Err(_) if any_rejected => {
            name_check.map_err(|_| PinError::HostMismatch)?;
            Err(PinError::PinMismatch)
        }
        // A path was valid but for a strict-profile check (see `crate::strict`).
        Err(_) if strict_failure.is_some() => {
            verdict.strict_failure = strict_failure;
            name_check.map_err(|_| PinError::HostMismatch)?;
            Err(PinError::InvalidChain)
        }
        Err(error) => Err(path_error(error)),
    }
}

/// The DER of each certificate on a path that signed another: its intermediates, then its
/// trust anchor when the store was given it as a certificate (the built-in roots are not).
fn path_issuers<'a>(
    path: &'a VerifiedPath<'a>,
    snapshot: &'a Snapshot,
) -> impl Iterator<Item = CertificateDer<'a>> + 'a {
    let intermediates = path.intermediate_certificates().map(|cert| cert.der());
    let anchor = anchor_index(path, snapshot)
        .and_then(|index| snapshot.anchor_ders.get(index))
        .map(|der| CertificateDer::from(der.as_slice()));
    intermediates.chain(anchor)
}

/// Where a path's trust anchor stands in the snapshot's trust anchors.
fn anchor_index(path: &VerifiedPath<'_>, snapshot: &Snapshot) -> Option<usize> {
    snapshot.trust_anchors().iter().position(|a| std::ptr::eq(a, path.anchor()))
}

/// The pins of a path's certificates: the leaf, the intermediates, then the anchor.
fn path_pins<'a>(path: &'a VerifiedPath<'a>) -> impl Iterator<Item = Pin> + 'a {
    let leaf = std::iter::once(certificate_pin(path.end_entity()));
    let intermediates = path.intermediate_certificates().map(certificate_pin);
    // webpki keeps the anchor's key without its outer SEQUENCE; the pin is of the full DER.
    let anchor = std::iter::once_with(|| {
        Pin::of_spki_contents(path.anchor().subject_public_key_info.as_ref())
    });
    leaf.chain(intermediates).chain(anchor)
}

/// The pin of a certificate on a path, hashed in place in its DER.
fn certificate_pin(cert: &webpki::Cert<'_>) -> Pin {
    let der = cert.der();
    // webpki has parsed the certificate, so the walk finds its key; the copying form is only
    // a fallback that yields the same pin.
    Pin::of_certificate_spki(der.as_ref())
        .unwrap_or_else(|| Pin::of_spki(cert.subject_public_key_info().as_ref()))
}

fn rejected_path(path: &VerifiedPath<'_>, served: &[&[u8]], snapshot: &Snapshot) -> RejectedPath {
    let index_of = |der: &[u8]| served.iter().position(|cert| *cert == der);
    let leaf = std::iter::once(path.end_entity().der());
    let ders = leaf.chain(path.intermediate_certificates().map(|cert| cert.der()));
    RejectedPath {
        pins: path_pins(path).collect(),
        chain_indexes: ders.filter_map(|der| index_of(der.as_ref())).collect(),
        anchor_subject: path.anchor().subject.as_ref().to_vec(),
        anchor_index: anchor_index(path, snapshot),
    }
}

/// The `PIN_ERR_*` code of a path-validation error. (webpki raises `CertNotValidForName` only
/// from the name check, which `validate` makes and maps itself.)
fn path_error(error: webpki::Error) -> PinError {
    use webpki::Error as E;
    match error {
        E::UnknownIssuer => PinError::UnknownIssuer,
        E::CertExpired { .. } => PinError::Expired,
        E::CertNotValidYet { .. } => PinError::NotYetValid,
        E::BadDer | E::BadDerTime | E::TrailingData(_) | E::UnsupportedCertVersion => {
            PinError::BadCertificate
        }
        _ => PinError::InvalidChain,
    }
}
