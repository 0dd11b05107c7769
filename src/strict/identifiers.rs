//! Serial numbers and key identifiers (RFC 5280 4.1.2.2, 4.2.1.1, 4.2.1.2).

use x509_parser::extensions::{KeyIdentifier, ParsedExtension};
use x509_parser::oid_registry::{
    OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};

use super::{Check, PathCert, fail};

/// The serial number is positive, not zero, and at most 20 octets long as encoded.
pub(super) fn serial(c: &PathCert<'_>) -> Check {
    const RULE: &str = "RFC 5280 4.1.2.2";
    // The INTEGER's contents: two's complement, big-endian, as encoded.
    let serial = c.cert.raw_serial();
    if serial.first().is_some_and(|byte| byte & 0x80 != 0) {
        return fail("has a negative serial number", RULE);
    }
    if serial.iter().all(|byte| *byte == 0) {
        return fail("has a zero serial number", RULE);
    }
    if serial.len() > 20 {
        return fail(format!("has a serial number of {} octets (at most 20)", serial.len()), RULE);
    }
    Ok(())
}

/// authorityKeyIdentifier: present in every certificate that is not self-signed, never
/// critical, holding a keyIdentifier; on a self-signed certificate, if present, only a
/// keyIdentifier equal to its own subjectKeyIdentifier.
pub(super) fn authority_key_identifier(c: &PathCert<'_>) -> Check {
    const RULE: &str = "RFC 5280 4.2.1.1";
    let Some(extension) = c.extension(&OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER)? else {
        if c.self_signed {
            return Ok(());
        }
        return fail("has no authorityKeyIdentifier", RULE);
    };
    if extension.critical {
        return fail("has a critical authorityKeyIdentifier", RULE);
    }
    let ParsedExtension::AuthorityKeyIdentifier(aki) = extension.parsed_extension() else {
        return fail("has a malformed authorityKeyIdentifier", RULE);
    };
    let Some(key_id) = &aki.key_identifier else {
        return fail("has an authorityKeyIdentifier without a keyIdentifier", RULE);
    };
    if c.self_signed {
        if aki.authority_cert_issuer.is_some() || aki.authority_cert_serial.is_some() {
            return fail(
                "is self-signed and its authorityKeyIdentifier holds more than a keyIdentifier",
                RULE,
            );
        }
        if subject_key_id(c).is_none_or(|own| own.0 != key_id.0) {
            return fail(
                "is self-signed and its authorityKeyIdentifier is not its own subjectKeyIdentifier",
                RULE,
            );
        }
    }
    Ok(())
}

/// subjectKeyIdentifier: present in every CA certificate, never critical.
pub(super) fn subject_key_identifier(c: &PathCert<'_>) -> Check {
    const RULE: &str = "RFC 5280 4.2.1.2";
    match c.extension(&OID_X509_EXT_SUBJECT_KEY_IDENTIFIER)? {
        None if c.role.is_ca() => fail("has no subjectKeyIdentifier", RULE),
        None => Ok(()),
        Some(extension) if extension.critical => fail("has a critical subjectKeyIdentifier", RULE),
        Some(_) if subject_key_id(c).is_none() => {
            fail("has a malformed subjectKeyIdentifier", RULE)
        }
        Some(_) => Ok(()),
    }
}

/// The certificate's subjectKeyIdentifier, when it has a readable one.
fn subject_key_id<'a>(c: &'a PathCert<'_>) -> Option<&'a KeyIdentifier<'a>> {
    let extension = c.extension(&OID_X509_EXT_SUBJECT_KEY_IDENTIFIER).ok()??;
    match extension.parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(key_id) => Some(key_id),
        _ => None,
    }
}
