//! Checks on a candidate path that rustls-webpki 0.103 does not make, run from its
//! `verify_path` callback (beside the pin check), so that a refused path makes path building
//! go on to the next candidate.
//!
//! The issuer keyUsage check (RFC 5280 4.2.1.3): when a certificate that signed another on the
//! path (an intermediate, or a trust anchor the store was given as a certificate) has a
//! keyUsage extension without keyCertSign, its key must not verify certificate signatures.
//! OpenSSL and pyca/cryptography refuse such a path. rustls-webpki checks it from
//! rustls/webpki#510 on; drop this check once a webpki release certpin uses does.

use std::cell::RefCell;

use x509_parser::extensions::{ParsedExtension, X509Extension};
use x509_parser::prelude::FromDer;

use crate::cert_fields::CertFields;

/// id-ce-keyUsage (2.5.29.15), as an OID's contents.
const KEY_USAGE_OID: &[u8] = &[0x55, 0x1d, 0x0f];

/// Whether the certificate `der` may sign certificates by its keyUsage: yes without the
/// extension; with it, only if keyCertSign is asserted. A keyUsage that does not parse (or a
/// certificate whose extensions do not walk) may not sign.
pub fn may_sign_certificates(der: &[u8]) -> bool {
    let Some(fields) = CertFields::of(der) else { return false };
    let mut found = fields.extensions_with_oid(KEY_USAGE_OID);
    let Some(extension) = found.next() else { return true };
    if found.next().is_some() {
        return false; // a repeated extension: webpki refuses it too
    }
    match X509Extension::from_der(extension) {
        Ok((_, parsed)) => match parsed.parsed_extension() {
            ParsedExtension::KeyUsage(usage) => usage.key_cert_sign(),
            _ => false,
        },
        Err(_) => false,
    }
}

/// The issuer keyUsage check for one verification: each certificate's answer is worked out
/// once, however many candidate paths it is on.
#[derive(Debug, Default)]
pub struct IssuerKeyUsage {
    /// Answers so far: the certificate's DER address and length, and whether it may sign.
    known: RefCell<Vec<(usize, usize, bool)>>,
    /// The first certificate refused, as DER, for the explanation.
    refused: RefCell<Option<Vec<u8>>>,
}

impl IssuerKeyUsage {
    /// Refuses the path if one of `issuers` (the DER of each certificate on it that signed
    /// another: its intermediates, and its anchor when known as a certificate) may not sign
    /// certificates.
    pub fn check(
        &self,
        issuers: impl Iterator<Item = impl AsRef<[u8]>>,
    ) -> Result<(), webpki::Error> {
        for der in issuers {
            let der = der.as_ref();
            if !self.may_sign(der) {
                self.refused.borrow_mut().get_or_insert_with(|| der.to_vec());
                return Err(webpki::Error::EndEntityUsedAsCa);
            }
        }
        Ok(())
    }

    /// The first certificate a path was refused for, if any.
    pub fn refused(self) -> Option<Vec<u8>> {
        self.refused.into_inner()
    }

    fn may_sign(&self, der: &[u8]) -> bool {
        let key = (der.as_ptr() as usize, der.len());
        let mut known = self.known.borrow_mut();
        if let Some(&(_, _, answer)) = known.iter().find(|(at, len, _)| (*at, *len) == key) {
            return answer;
        }
        let answer = may_sign_certificates(der);
        known.push((key.0, key.1, answer));
        answer
    }
}
