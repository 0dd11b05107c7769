//! The strict validation profile: RFC 5280 and CA/Browser Forum rules that rustls-webpki
//! leaves out, checked on every candidate path inside webpki's path building (as pins are),
//! so that a path failing one is skipped and path building goes on to the next.
//!
//! `PathCheck::check` is the single entry point, called from `verify`'s path callback. Each
//! certificate of the path (the leaf, the intermediates, and the trust anchor when the store
//! was given it as a certificate) is parsed with x509-parser and put through the checks of
//! `identifiers`, `extensions`, `names` and `keys`, in the order the README lists them; the
//! first failure is kept for the explanation, naming the check and the certificate.

mod extensions;
mod identifiers;
mod keys;
mod names;

use std::cell::RefCell;
use std::fmt;

use rustls_pki_types::CertificateDer;
use webpki::VerifiedPath;
use x509_parser::asn1_rs::Any;
use x509_parser::extensions::X509Extension;
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::cert_fields::name_text;
use crate::explain::printable;
use crate::policy::ValidationProfile;
use crate::store::Snapshot;

/// A rule a certificate broke: what is wrong, and where the rule is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What is wrong, as the end of a sentence whose subject is the certificate
    /// (`has no subjectKeyIdentifier`).
    pub problem: String,
    /// The rule's source (`RFC 5280 4.2.1.2`, `CA/B Forum BR 6.1.5`).
    pub rule: &'static str,
}

/// The result of one check on one certificate.
type Check = Result<(), Finding>;

/// A failed check.
fn fail(problem: impl Into<String>, rule: &'static str) -> Check {
    Err(Finding { problem: problem.into(), rule })
}

/// The first strict check a candidate path failed, and the certificate that failed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrictFailure {
    /// The certificate: its place in the chain the server sent (`[1]`) or `trust anchor`,
    /// then its subject, made safe to print.
    pub certificate: String,
    /// The check it failed.
    pub finding: Finding,
}

impl fmt::Display for StrictFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.certificate, self.finding.problem, self.finding.rule)
    }
}

/// Where a certificate stands on a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The end-entity (server) certificate.
    Leaf,
    /// A CA certificate between the leaf and the anchor.
    Intermediate,
    /// The trust anchor, given to the store as a certificate.
    Anchor,
}

impl Role {
    fn is_ca(self) -> bool {
        self != Role::Leaf
    }
}

/// One certificate of a candidate path, parsed, with what the checks need to know about its
/// place on the path.
struct PathCert<'a> {
    cert: X509Certificate<'a>,
    role: Role,
    /// Issued by itself: its issuer is its subject and it is signed with its own key (the key
    /// of the next certificate up the path; for the anchor, issuer and subject alone).
    self_signed: bool,
}

impl<'a> PathCert<'a> {
    /// The extension `oid`, if the certificate has it; a failure if it has it twice.
    fn extension(&self, oid: &Oid<'_>) -> Result<Option<&X509Extension<'a>>, Finding> {
        self.cert.get_extension_unique(oid).map_err(|_| Finding {
            problem: format!("has the extension {} more than once", oid.to_id_string()),
            rule: "RFC 5280 4.2",
        })
    }
}

/// Candidate-path checks under a snapshot's validation profile, for one verification.
pub(crate) struct PathCheck<'a> {
    snapshot: &'a Snapshot,
    served: &'a [&'a [u8]],
    unix_time: u64,
    failure: RefCell<Option<StrictFailure>>,
}

impl<'a> PathCheck<'a> {
    /// The checks for verifying `served` (the chain as the server sent it) at `unix_time`.
    pub(crate) fn new(snapshot: &'a Snapshot, served: &'a [&'a [u8]], unix_time: u64) -> Self {
        Self { snapshot, served, unix_time, failure: RefCell::new(None) }
    }

    /// Called by webpki on each candidate path. Under the Web PKI profile, `Ok` without a look.
    /// Under the strict profile, `Ok` when every certificate passes every check; otherwise the
    /// first failure is kept (see [`PathCheck::into_failure`]) and an error makes webpki go on
    /// to the next candidate path.
    pub(crate) fn check(&self, path: &VerifiedPath<'_>) -> Result<(), webpki::Error> {
        if self.snapshot.policy.validation_profile != ValidationProfile::Strict {
            return Ok(());
        }
        match self.check_path(path) {
            Ok(()) => Ok(()),
            Err(failure) => {
                self.failure.borrow_mut().get_or_insert(failure);
                Err(webpki::Error::UnknownIssuer)
            }
        }
    }

    /// The first failure of a path the strict profile refused, if any was refused.
    pub(crate) fn into_failure(self) -> Option<StrictFailure> {
        self.failure.into_inner()
    }

    fn check_path(&self, path: &VerifiedPath<'_>) -> Result<(), StrictFailure> {
        let anchor = path.anchor();
        let mut ders: Vec<(CertificateDer<'_>, Role)> = vec![(path.end_entity().der(), Role::Leaf)];
        ders.extend(path.intermediate_certificates().map(|cert| (cert.der(), Role::Intermediate)));
        // The anchor's certificate, when the store was given one (built-in roots come as
        // names and keys only).
        let anchor_der = self
            .snapshot
            .anchors
            .iter()
            .position(|candidate| std::ptr::eq(candidate, anchor))
            .and_then(|index| self.snapshot.anchor_ders.get(index));
        if let Some(der) = anchor_der {
            ders.push((CertificateDer::from(der.as_slice()), Role::Anchor));
        }
        let mut certs = Vec::with_capacity(ders.len());
        for (der, role) in &ders {
            match X509Certificate::from_der(der) {
                Ok((_, cert)) => certs.push((cert, *role)),
                Err(error) => {
                    return Err(StrictFailure {
                        certificate: format!("{} (unparsable)", self.place(der, *role)),
                        finding: Finding {
                            problem: format!("does not parse as an X.509 certificate ({error})"),
                            rule: "RFC 5280 4.1",
                        },
                    });
                }
            }
        }
        // Each certificate's key, and the key that signed it (the next one up; the anchor's
        // key for the last certificate webpki holds).
        let keys: Vec<&[u8]> = certs.iter().map(|(cert, _)| spki_contents(cert)).collect();
        let anchor_key = anchor.subject_public_key_info.as_ref();
        for (index, ((cert, role), (der, _))) in certs.into_iter().zip(&ders).enumerate() {
            let signer_key = keys.get(index + 1).copied().unwrap_or(anchor_key);
            let same_name = cert.subject().as_raw() == cert.issuer().as_raw();
            let self_signed = same_name && (role == Role::Anchor || signer_key == keys[index]);
            let path_cert = PathCert { cert, role, self_signed };
            self.check_certificate(&path_cert).map_err(|finding| StrictFailure {
                certificate: self.describe(der, &path_cert),
                finding,
            })?;
        }
        Ok(())
    }

    /// Every check on one certificate, in the README's order.
    fn check_certificate(&self, c: &PathCert<'_>) -> Check {
        identifiers::serial(c)?;
        identifiers::authority_key_identifier(c)?;
        identifiers::subject_key_identifier(c)?;
        extensions::basic_constraints_and_key_usage(c)?;
        extensions::no_unknown_critical(c)?;
        anchor_validity(c, self.unix_time)?;
        names::subject_and_alt_name(c)?;
        names::common_name_in_alt_names(c)?;
        names::dns_names(c)?;
        extensions::extended_key_usage(c)?;
        extensions::name_constraints(c)?;
        extensions::policy_constraints(c)?;
        extensions::authority_information_access(c)?;
        keys::key(c)
    }

    /// `[1] CN=...`: the certificate's place and its subject, safe to print.
    fn describe(&self, der: &[u8], c: &PathCert<'_>) -> String {
        let subject = name_text(c.cert.subject());
        let subject = if subject.is_empty() { "(empty subject)".to_owned() } else { subject };
        format!("{} {}", self.place(der, c.role), printable(&subject))
    }

    /// `[index]` in the chain the server sent, or `trust anchor`.
    fn place(&self, der: &[u8], role: Role) -> String {
        match (role, self.served.iter().position(|served| *served == der)) {
            (Role::Anchor, _) | (_, None) => "trust anchor".to_owned(),
            (_, Some(index)) => format!("[{index}]"),
        }
    }
}

/// The trust anchor's own validity period covers the verification time (webpki checks the
/// leaf's and the intermediates' validity, never the anchor's).
fn anchor_validity(c: &PathCert<'_>, unix_time: u64) -> Check {
    if c.role != Role::Anchor {
        return Ok(());
    }
    let validity = c.cert.validity();
    let time = i64::try_from(unix_time).unwrap_or(i64::MAX);
    if time < validity.not_before.timestamp() || time > validity.not_after.timestamp() {
        return fail(
            format!(
                "is a trust anchor outside its validity period ({} to {})",
                validity.not_before, validity.not_after
            ),
            "RFC 5280 4.1.2.5",
        );
    }
    Ok(())
}

/// A certificate's SubjectPublicKeyInfo without its outer SEQUENCE header: the form webpki
/// keeps an anchor's key in, so that keys compare as bytes.
fn spki_contents<'a>(cert: &X509Certificate<'a>) -> &'a [u8] {
    let raw = cert.tbs_certificate.subject_pki.raw;
    Any::from_der(raw).map_or(raw, |(_, spki)| spki.data)
}
