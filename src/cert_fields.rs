//! The few fields certpin reads from a DER certificate besides what rustls-webpki checks: its
//! subject, validity and SubjectPublicKeyInfo, found by walking the TBSCertificate's element
//! headers with asn1-rs (borrowed slices, nothing copied), and names written as text.
//!
//! Parsing a whole `X509Certificate` also parses every extension, and formatting a name with
//! x509-parser's `Display` builds its registry of every known OID; neither is needed to show a
//! subject or read two dates, and both cost time on the cold path and size in the library.

use std::fmt::Write;

use x509_parser::asn1_rs::{Any, FromDer, Tag, ToDer};
use x509_parser::certificate::Validity;
use x509_parser::prelude::X509Name;

/// Borrowed DER slices of one certificate's fields, each a whole element (header included).
#[derive(Clone, Copy, Debug)]
pub struct CertFields<'a> {
    /// The issuer Name.
    pub issuer: &'a [u8],
    /// The Validity SEQUENCE (notBefore, notAfter).
    pub validity: &'a [u8],
    /// The subject Name.
    pub subject: &'a [u8],
    /// The SubjectPublicKeyInfo: the bytes a `sha256/` pin hashes.
    pub spki: &'a [u8],
    /// The contents of the `[3]` extensions field (a SEQUENCE OF Extension, header included),
    /// if the certificate has one.
    pub extensions: Option<&'a [u8]>,
}

impl<'a> CertFields<'a> {
    /// The fields of `cert_der`, or `None` when its outer structure does not parse.
    ///
    /// Only element headers are read: a certificate that walks here may still be refused by
    /// webpki, which is what decides whether it is valid.
    pub fn of(cert_der: &'a [u8]) -> Option<Self> {
        let (_, certificate) = Any::from_der(cert_der).ok()?;
        let (_, tbs) = Any::from_der(certificate.data).ok()?;
        let mut rest = tbs.data;
        let (after_first, first) = Any::from_der(rest).ok()?;
        if first.header.is_contextspecific() && first.header.tag().0 == 0 {
            rest = after_first; // the optional [0] version
        }
        let mut next = || -> Option<&'a [u8]> {
            let (after, _) = Any::from_der(rest).ok()?;
            let element = &rest[..rest.len() - after.len()];
            rest = after;
            Some(element)
        };
        let _serial = next()?;
        let _signature_algorithm = next()?;
        let issuer = next()?;
        let validity = next()?;
        let subject = next()?;
        let spki = next()?;
        // Then the optional [1] issuerUniqueID, [2] subjectUniqueID and [3] extensions.
        let mut extensions = None;
        while let Some(element) = next() {
            let (_, field) = Any::from_der(element).ok()?;
            if field.header.is_contextspecific() && field.header.tag().0 == 3 {
                extensions = Some(field.data);
            }
        }
        Some(Self { issuer, validity, subject, spki, extensions })
    }

    /// The DER of each extension (a whole Extension SEQUENCE) whose extnID is `oid_der` (the
    /// OID's contents, without tag and length). Extensions that do not walk end the list.
    pub fn extensions_with_oid(&self, oid_der: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut rest = self
            .extensions
            .and_then(|der| Any::from_der(der).ok())
            .map_or(&[][..], |(_, seq)| seq.data);
        std::iter::from_fn(move || {
            while !rest.is_empty() {
                let (after, extension) = Any::from_der(rest).ok()?;
                let element = &rest[..rest.len() - after.len()];
                rest = after;
                let (_, oid) = Any::from_der(extension.data).ok()?;
                if oid.tag() == Tag::Oid && oid.data == oid_der {
                    return Some(element);
                }
            }
            None
        })
    }

    /// notBefore and notAfter as Unix seconds (notBefore clamped at 0), or `None` when the
    /// Validity does not parse.
    pub fn validity_secs(&self) -> Option<(u64, u64)> {
        let (_, validity) = Validity::from_der(self.validity).ok()?;
        let from = u64::try_from(validity.not_before.timestamp()).unwrap_or(0);
        let until = u64::try_from(validity.not_after.timestamp()).ok()?;
        Some((from, until))
    }

    /// The subject as text (see [`name_text`]), or `None` when it does not parse.
    pub fn subject_text(&self) -> Option<String> {
        let (_, name) = X509Name::from_der(self.subject).ok()?;
        Some(name_text(&name))
    }
}

/// A Name as text in the usual `CN=api.example.com, O=Example` form: RDNs in certificate
/// order joined by `, `, attributes of one RDN joined by ` + `, well-known attribute types by
/// their short names and others by their dotted OID, values that are not strings as `#` and
/// the hex of their DER. The text is not escaped for display: see `explain::printable`.
pub fn name_text(name: &X509Name<'_>) -> String {
    let mut out = String::new();
    for (i, rdn) in name.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        for (j, attribute) in rdn.iter().enumerate() {
            if j > 0 {
                out.push_str(" + ");
            }
            let oid = attribute.attr_type().to_id_string();
            out.push_str(attribute_short_name(&oid).unwrap_or(&oid));
            out.push('=');
            write_value(&mut out, attribute.attr_value());
        }
    }
    out
}

/// The short names of the attribute types found in server certificates' names (RFC 4519 and
/// the CA/Browser Forum's EV fields); others are shown by OID.
fn attribute_short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.15" => "businessCategory",
        "2.5.4.17" => "postalCode",
        "2.5.4.97" => "organizationIdentifier",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.2.840.113549.1.9.1" => "Email",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        _ => return None,
    })
}

/// A value of a string type as its text (UTF-8 as given; BMPString decoded); anything else, or
/// a string that is not valid in its encoding, as `#` and the hex of its whole DER.
fn write_value(out: &mut String, value: &Any<'_>) {
    let text = match value.tag() {
        Tag::BmpString => bmp_text(value.data),
        Tag::NumericString
        | Tag::VisibleString
        | Tag::PrintableString
        | Tag::GeneralString
        | Tag::GraphicString
        | Tag::T61String
        | Tag::VideotexString
        | Tag::Utf8String
        | Tag::Ia5String => std::str::from_utf8(value.data).ok().map(str::to_owned),
        _ => None,
    };
    match text {
        Some(text) => out.push_str(&text),
        None => {
            out.push('#');
            for byte in value.to_der_vec().unwrap_or_default() {
                let _ = write!(out, "{byte:02X}"); // writing to a String cannot fail
            }
        }
    }
}

/// A BMPString (UTF-16 big-endian) as text, or `None` for an odd length or a lone surrogate.
fn bmp_text(data: &[u8]) -> Option<String> {
    if !data.len().is_multiple_of(2) {
        return None;
    }
    let units = data.chunks_exact(2).map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    char::decode_utf16(units).collect::<Result<String, _>>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/testdata/{name}.der", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn fields_and_names_agree_with_a_full_parse() {
        use x509_parser::prelude::X509Certificate;
        for name in ["leaf", "intermediate-ca", "root-ca", "ec-leaf", "ec-root-ca"] {
            let der = sample(name);
            let fields = CertFields::of(&der).unwrap();
            let (_, cert) = X509Certificate::from_der(&der).unwrap();
            assert_eq!(fields.subject, cert.subject().as_raw(), "{name}");
            assert_eq!(fields.issuer, cert.issuer().as_raw(), "{name}");
            assert_eq!(fields.spki, cert.public_key().raw, "{name}");
            let validity = cert.validity();
            let (from, until) = fields.validity_secs().unwrap();
            assert_eq!(from as i64, validity.not_before.timestamp(), "{name}");
            assert_eq!(until as i64, validity.not_after.timestamp(), "{name}");
            // x509-parser's own text, for the attribute types both know.
            assert_eq!(fields.subject_text().unwrap(), cert.subject().to_string(), "{name}");
        }
    }

    #[test]
    fn truncated_certificates_have_no_fields() {
        let der = sample("leaf");
        for len in [0, 1, 4, 10, 100, der.len() / 2] {
            assert!(CertFields::of(&der[..len]).is_none(), "{len} bytes");
        }
    }

    #[test]
    fn unknown_types_show_their_oid_and_non_strings_their_hex() {
        // SEQUENCE { SET { SEQUENCE { OID 1.2.3.4, INTEGER 5 } },
        //            SET { SEQUENCE { OID 2.5.4.3 (CN), BMPString "é" } } }
        let int_atv = [0x30, 0x08, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x02, 0x01, 0x05];
        let bmp_atv = [0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x1e, 0x02, 0x00, 0xe9];
        let mut name = vec![0x30, (2 + int_atv.len() + 2 + bmp_atv.len()) as u8];
        name.extend([0x31, int_atv.len() as u8]);
        name.extend(int_atv);
        name.extend([0x31, bmp_atv.len() as u8]);
        name.extend(bmp_atv);
        let (_, parsed) = X509Name::from_der(&name).unwrap();
        assert_eq!(name_text(&parsed), "1.2.3.4=#020105, CN=é");
    }
}
