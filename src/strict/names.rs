//! Names: the subject, the subjectAltName and its dNSNames, and the leaf's commonName.

use std::net::IpAddr;

use psl::Psl;
use x509_parser::extensions::{GeneralName, ParsedExtension, X509Extension};
use x509_parser::oid_registry::OID_X509_EXT_SUBJECT_ALT_NAME;

use super::{Check, PathCert, Role, fail};

fn alt_name<'a>(c: &'a PathCert<'_>) -> Result<Option<&'a X509Extension<'a>>, super::Finding> {
    c.extension(&OID_X509_EXT_SUBJECT_ALT_NAME)
}

/// The subjectAltName entries, or a failure when the extension does not parse.
fn alt_names<'a>(c: &'a PathCert<'_>) -> Result<&'a [GeneralName<'a>], super::Finding> {
    match alt_name(c)?.map(X509Extension::parsed_extension) {
        None => Ok(&[]),
        Some(ParsedExtension::SubjectAlternativeName(san)) => Ok(&san.general_names),
        Some(_) => Err(super::Finding {
            problem: "has a malformed subjectAltName".to_owned(),
            rule: "RFC 5280 4.2.1.6",
        }),
    }
}

/// A CA's subject is not empty; an empty subject needs a critical subjectAltName, a non-empty
/// one a non-critical subjectAltName (when it has one).
pub(super) fn subject_and_alt_name(c: &PathCert<'_>) -> Check {
    let empty = c.cert.subject().iter().next().is_none();
    if empty && c.role.is_ca() {
        return fail("is a CA certificate with an empty subject", "RFC 5280 4.1.2.6");
    }
    match (empty, alt_name(c)?) {
        (true, None) => fail("has an empty subject and no subjectAltName", "RFC 5280 4.2.1.6"),
        (true, Some(san)) if !san.critical => {
            fail("has an empty subject and a non-critical subjectAltName", "RFC 5280 4.2.1.6")
        }
        (false, Some(san)) if san.critical => {
            fail("has a subject and a critical subjectAltName", "RFC 5280 4.2.1.6")
        }
        _ => Ok(()),
    }
}

/// The leaf's commonName, when present, equals one subjectAltName entry exactly: a dNSName
/// byte for byte, or an iPAddress written in its canonical form.
pub(super) fn common_name_in_alt_names(c: &PathCert<'_>) -> Check {
    const RULE: &str = "CA/B Forum BR 7.1.4.3";
    if c.role != Role::Leaf {
        return Ok(());
    }
    let names = alt_names(c)?;
    for common_name in c.cert.subject().iter_common_name() {
        let Ok(text) = common_name.as_str() else {
            return fail("has a commonName that is not a string", RULE);
        };
        let listed = names.iter().any(|name| match name {
            GeneralName::DNSName(dns) => *dns == text,
            GeneralName::IPAddress(octets) => ip_text(octets).is_some_and(|ip| ip == text),
            _ => false,
        });
        if !listed {
            return fail(
                format!("has a commonName {text:?} that is no subjectAltName entry"),
                RULE,
            );
        }
    }
    Ok(())
}

/// An iPAddress entry in canonical text form (RFC 5952 for IPv6).
fn ip_text(octets: &[u8]) -> Option<String> {
    let ip = match octets.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(octets).ok()?),
        16 => IpAddr::from(<[u8; 16]>::try_from(octets).ok()?),
        _ => return None,
    };
    Some(ip.to_string())
}

/// Every subjectAltName dNSName is a preferred-syntax name (letters, digits and hyphens; no
/// underscore), a wildcard only as a whole first label, and no wildcard covers a public suffix.
pub(super) fn dns_names(c: &PathCert<'_>) -> Check {
    for name in alt_names(c)? {
        let GeneralName::DNSName(dns) = name else { continue };
        if !preferred_syntax(dns) {
            return fail(
                format!("has a subjectAltName dNSName that is not a valid name: {dns:?}"),
                "RFC 5280 4.2.1.6",
            );
        }
        if let Some(base) = dns.strip_prefix("*.")
            && is_public_suffix(base)
        {
            return fail(
                format!("has a wildcard dNSName over a public suffix: {dns:?}"),
                "CA/B Forum BR 3.2.2.6",
            );
        }
    }
    Ok(())
}

/// RFC 1034 3.5 preferred name syntax (with RFC 1123's leading digits), at most 253 octets,
/// labels of 1 to 63 letters, digits and hyphens that neither start nor end with a hyphen; a
/// first label of `*` alone is a wildcard.
fn preferred_syntax(name: &str) -> bool {
    let rest = name.strip_prefix("*.").unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && rest.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Whether `name` is a whole public suffix (`co.uk`, `github.io`) in the Public Suffix List,
/// or a single label (a top-level domain, listed or not).
fn is_public_suffix(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if !name.contains('.') {
        return true;
    }
    psl::List
        .suffix(name.as_bytes())
        .is_some_and(|suffix| suffix.is_known() && suffix.as_bytes() == name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferred_syntax_names() {
        for good in
            ["example.com", "a-b.example.com", "*.example.com", "1.example.com", "xn--bcher-kva.de"]
        {
            assert!(preferred_syntax(good), "{good}");
        }
        for bad in [
            "",
            "a_b.example.com",
            "-a.example.com",
            "a-.example.com",
            "a..b",
            "example.com.",
            "*",
            "a.*.example.com",
            "*a.example.com",
            "é.example.com",
            &format!("{}.com", "a".repeat(64)),
        ] {
            assert!(!preferred_syntax(bad), "{bad}");
        }
    }

    #[test]
    fn public_suffixes_from_the_list() {
        for suffix in ["com", "co.uk", "CO.UK", "github.io", "corp"] {
            assert!(is_public_suffix(suffix), "{suffix}");
        }
        for name in ["example.com", "example.co.uk", "user.github.io", "foo.corp"] {
            assert!(!is_public_suffix(name), "{name}");
        }
    }
}
