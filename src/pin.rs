//! Pins: the SHA-256 of a DER SubjectPublicKeyInfo, written `sha256/<base64>` (RFC 7469,
//! OkHttp, TrustKit and Android's Network Security Config all use this form).

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::cert_fields::CertFields;
use crate::result::PinError;

const PREFIX: &str = "sha256/";

/// The SHA-256 hash of a public key's full DER SubjectPublicKeyInfo.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pin([u8; 32]);

impl Pin {
    /// The pin of a DER SubjectPublicKeyInfo, outer SEQUENCE included.
    pub fn of_spki(spki_der: &[u8]) -> Self {
        Self(Sha256::digest(spki_der).into())
    }

    /// The pin of a SubjectPublicKeyInfo given without its outer SEQUENCE tag and length, as
    /// rustls-webpki keeps a trust anchor's key. The header is hashed first, so the pin is the
    /// same as that of the full DER and nothing is copied.
    pub fn of_spki_contents(contents: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(der_sequence_header(contents.len()).as_slice());
        hasher.update(contents);
        Self(hasher.finalize().into())
    }

    /// The pin of the public key of a DER certificate: the certificate must parse as
    /// rustls-webpki parses it (as a server or CA certificate, or as a trust anchor), and the
    /// pin is of the SubjectPublicKeyInfo element where it lies in the DER, hashed in place.
    ///
    /// This is the one definition of a certificate's pin: verification hashes keys on a path
    /// the same way, so the pin certpin shows for a certificate is always the pin it checks.
    pub fn of_certificate(cert_der: &[u8]) -> Result<Self, PinError> {
        let cert = rustls_pki_types::CertificateDer::from(cert_der);
        let parses = webpki::EndEntityCert::try_from(&cert).is_ok()
            || webpki::anchor_from_trusted_cert(&cert).is_ok();
        if !parses {
            return Err(PinError::BadCertificate);
        }
        Self::of_certificate_spki(cert_der).ok_or(PinError::BadCertificate)
    }

    /// The pin of the SubjectPublicKeyInfo element of DER that has the shape of a certificate,
    /// hashed in place (no copy, no full parse); `None` when the shape is not there. For a
    /// certificate webpki has already parsed (see [`Pin::of_certificate`]).
    pub fn of_certificate_spki(cert_der: &[u8]) -> Option<Self> {
        CertFields::of(cert_der).map(|fields| Self::of_spki(fields.spki))
    }

    /// The hash in standard base64 (the pin without its `sha256/` prefix).
    pub fn base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// The raw 32-byte hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// The DER header (tag 0x30, then the definite length) of a SEQUENCE of `len` content bytes.
pub(crate) struct SequenceHeader {
    bytes: [u8; 6],
    len: usize,
}

impl SequenceHeader {
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

pub(crate) fn der_sequence_header(content_len: usize) -> SequenceHeader {
    let mut bytes = [0u8; 6];
    bytes[0] = 0x30;
    if content_len < 0x80 {
        bytes[1] = content_len as u8;
        return SequenceHeader { bytes, len: 2 };
    }
    // Long form: 0x80 | number of length bytes, then the length big-endian without leading zeros.
    let be = (content_len as u32).to_be_bytes();
    let skip = be.iter().take_while(|b| **b == 0).count();
    let count = be.len() - skip;
    bytes[1] = 0x80 | count as u8;
    bytes[2..2 + count].copy_from_slice(&be[skip..]);
    SequenceHeader { bytes, len: 2 + count }
}

impl FromStr for Pin {
    type Err = PinError;

    /// Parses exactly `sha256/` followed by the padded, canonical base64 of 32 bytes.
    fn from_str(text: &str) -> Result<Self, PinError> {
        let encoded = text.strip_prefix(PREFIX).ok_or(PinError::BadPin)?;
        // 32 bytes are 44 base64 characters with one '=' of padding; checking the length first
        // bounds the work and rejects unpadded or overlong forms.
        if encoded.len() != 44 {
            return Err(PinError::BadPin);
        }
        let mut hash = [0u8; 32];
        match STANDARD.decode_slice(encoded, &mut hash) {
            Ok(32) => Ok(Self(hash)),
            _ => Err(PinError::BadPin),
        }
    }
}

/// The length of a pin's text: `sha256/` and 44 base64 characters.
pub const PIN_TEXT_LEN: usize = PREFIX.len() + 44;

// The C buffer for a pin holds its text and a NUL.
const _: () = assert!(PIN_TEXT_LEN + 1 == crate::limits::CERTPIN_PIN_BUFFER_LEN);

/// A pin's text held on the stack, so that writing a pin out allocates nothing.
pub struct PinText([u8; PIN_TEXT_LEN]);

impl PinText {
    /// The text, `sha256/...=`.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written into it (the prefix and base64), so this never fails.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Pin {
    /// The pin's text (`sha256/` + base64), without allocating.
    pub fn text(&self) -> PinText {
        let mut text = [0u8; PIN_TEXT_LEN];
        text[..PREFIX.len()].copy_from_slice(PREFIX.as_bytes());
        // 32 bytes always encode to exactly 44 characters, so the slice always fits.
        let _ = STANDARD.encode_slice(self.0, &mut text[PREFIX.len()..]);
        PinText(text)
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().as_str())
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn round_trips_the_standard_form() {
        let pin: Pin = SAMPLE.parse().unwrap();
        assert_eq!(pin.as_bytes()[31], 31);
        assert_eq!(pin.to_string(), SAMPLE);
    }

    #[test]
    fn refuses_everything_else() {
        let bad = [
            "",
            "sha256/",
            "sha1/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            "SHA256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            " sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= ",
            "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
            "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==",
            "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+=",
            "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-=",
            "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A",
            "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHhA=AA",
        ];
        for text in bad {
            assert_eq!(text.parse::<Pin>(), Err(PinError::BadPin), "{text:?}");
        }
    }

    #[test]
    fn spki_is_found_in_place() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
        for name in ["leaf", "intermediate-ca", "root-ca", "ec-leaf", "mitm-leaf"] {
            let der = std::fs::read(format!("{dir}/{name}.der")).unwrap();
            let parsed = Pin::of_certificate(&der).unwrap();
            assert_eq!(Pin::of_certificate_spki(&der), Some(parsed), "{name}");
        }
        assert_eq!(Pin::of_certificate_spki(b"\x30\x03\x02\x01\x01"), None);
    }

    #[test]
    fn header_matches_der_lengths() {
        assert_eq!(der_sequence_header(0x10).as_slice(), [0x30, 0x10]);
        assert_eq!(der_sequence_header(0x7f).as_slice(), [0x30, 0x7f]);
        assert_eq!(der_sequence_header(0x80).as_slice(), [0x30, 0x81, 0x80]);
        assert_eq!(der_sequence_header(0x122).as_slice(), [0x30, 0x82, 0x01, 0x22]);
        assert_eq!(der_sequence_header(0x01_0000).as_slice(), [0x30, 0x83, 0x01, 0x00, 0x00]);
    }
}
