//! The extensions that say what a certificate may do: basicConstraints with keyUsage,
//! extendedKeyUsage, nameConstraints, policyConstraints, authorityInformationAccess, and
//! critical extensions nobody here understands.

use x509_parser::extensions::{GeneralName, ParsedExtension, X509Extension};
use x509_parser::oid_registry::{
    OID_CT_LIST_SCT, OID_PKIX_AUTHORITY_INFO_ACCESS, OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
    OID_X509_EXT_BASIC_CONSTRAINTS, OID_X509_EXT_CRL_DISTRIBUTION_POINTS,
    OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_NAME_CONSTRAINTS,
    OID_X509_EXT_POLICY_CONSTRAINTS, OID_X509_EXT_SUBJECT_ALT_NAME,
    OID_X509_EXT_SUBJECT_KEY_IDENTIFIER, Oid,
};

use super::{Check, PathCert, Role, fail};

/// The extensions webpki or this module reads: any other one marked critical refuses the
/// certificate (webpki already refuses them in leaves and intermediates; this covers the
/// anchor, which webpki reads only for its name, key and name constraints).
const UNDERSTOOD: [&Oid<'static>; 11] = [
    &OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
    &OID_X509_EXT_KEY_USAGE,
    &OID_X509_EXT_SUBJECT_ALT_NAME,
    &OID_X509_EXT_BASIC_CONSTRAINTS,
    &OID_X509_EXT_NAME_CONSTRAINTS,
    &OID_X509_EXT_CRL_DISTRIBUTION_POINTS,
    &OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
    &OID_X509_EXT_POLICY_CONSTRAINTS,
    &OID_X509_EXT_EXTENDED_KEY_USAGE,
    &OID_PKIX_AUTHORITY_INFO_ACCESS,
    &OID_CT_LIST_SCT,
];

/// basicConstraints present and critical in every CA certificate, with cA=TRUE; keyUsage
/// keyCertSign never in a leaf (so only with cA=TRUE: every other certificate on a path is a
/// CA, held to cA=TRUE here), and in a CA's keyUsage when it has one.
pub(super) fn basic_constraints_and_key_usage(c: &PathCert<'_>) -> Check {
    const BC_RULE: &str = "RFC 5280 4.2.1.9";
    const KU_RULE: &str = "RFC 5280 4.2.1.3";
    let basic = c.extension(&OID_X509_EXT_BASIC_CONSTRAINTS)?;
    let is_ca = match basic.map(X509Extension::parsed_extension) {
        Some(ParsedExtension::BasicConstraints(constraints)) => constraints.ca,
        Some(_) => return fail("has a malformed basicConstraints", BC_RULE),
        None => false,
    };
    if c.role.is_ca() {
        match basic {
            None => return fail("is a CA certificate without basicConstraints", BC_RULE),
            Some(basic) if !basic.critical => {
                return fail("is a CA certificate whose basicConstraints is not critical", BC_RULE);
            }
            Some(_) if !is_ca => {
                return fail("is a CA certificate whose basicConstraints has cA=FALSE", BC_RULE);
            }
            Some(_) => {}
        }
    }
    let Some(key_usage) = c.extension(&OID_X509_EXT_KEY_USAGE)? else { return Ok(()) };
    let ParsedExtension::KeyUsage(key_usage) = key_usage.parsed_extension() else {
        return fail("has a malformed keyUsage", KU_RULE);
    };
    let cert_sign = key_usage.key_cert_sign();
    if cert_sign && c.role == Role::Leaf {
        return fail("is a leaf with keyUsage keyCertSign", KU_RULE);
    }
    if !cert_sign && c.role.is_ca() {
        return fail("is a CA certificate whose keyUsage lacks keyCertSign", KU_RULE);
    }
    Ok(())
}

/// No critical extension that neither webpki nor these checks understand.
pub(super) fn no_unknown_critical(c: &PathCert<'_>) -> Check {
    let unknown =
        c.cert.extensions().iter().find(|ext| {
            ext.critical && !UNDERSTOOD.iter().any(|understood| **understood == ext.oid)
        });
    match unknown {
        Some(ext) => fail(
            format!("has an unknown critical extension {}", ext.oid.to_id_string()),
            "RFC 5280 4.2",
        ),
        None => Ok(()),
    }
}

/// extendedKeyUsage: the leaf has one, not critical, without anyExtendedKeyUsage; a trust
/// anchor has none.
pub(super) fn extended_key_usage(c: &PathCert<'_>) -> Check {
    let eku = c.extension(&OID_X509_EXT_EXTENDED_KEY_USAGE)?;
    match (c.role, eku) {
        (Role::Anchor, Some(_)) => {
            fail("is a trust anchor with extendedKeyUsage", "CA/B Forum BR 7.1.2.1.2")
        }
        (Role::Leaf, None) => {
            fail("is a leaf without extendedKeyUsage", "CA/B Forum BR 7.1.2.7.10")
        }
        (Role::Leaf, Some(eku)) if eku.critical => {
            fail("has a critical extendedKeyUsage", "CA/B Forum BR 7.1.2.7.10")
        }
        (Role::Leaf, Some(eku)) => match eku.parsed_extension() {
            ParsedExtension::ExtendedKeyUsage(usages) if usages.any => {
                fail("has anyExtendedKeyUsage", "CA/B Forum BR 7.1.2.7.10")
            }
            ParsedExtension::ExtendedKeyUsage(_) => Ok(()),
            _ => fail("has a malformed extendedKeyUsage", "RFC 5280 4.2.1.12"),
        },
        _ => Ok(()),
    }
}

/// nameConstraints: only in CA certificates, critical, with at least one subtree, and no DNS
/// constraint with a leading period (that is the form for URIs, not DNS names).
pub(super) fn name_constraints(c: &PathCert<'_>) -> Check {
    const RULE: &str = "RFC 5280 4.2.1.10";
    let Some(constraints) = c.extension(&OID_X509_EXT_NAME_CONSTRAINTS)? else { return Ok(()) };
    if c.role == Role::Leaf {
        return fail("is a leaf with nameConstraints", RULE);
    }
    if !constraints.critical {
        return fail("has a non-critical nameConstraints", RULE);
    }
    let ParsedExtension::NameConstraints(constraints) = constraints.parsed_extension() else {
        return fail("has a malformed nameConstraints", RULE);
    };
    let subtrees = |trees: &Option<Vec<_>>| trees.as_ref().map_or(0, Vec::len);
    if subtrees(&constraints.permitted_subtrees) + subtrees(&constraints.excluded_subtrees) == 0 {
        return fail("has a nameConstraints with no subtree", RULE);
    }
    let trees = [&constraints.permitted_subtrees, &constraints.excluded_subtrees];
    for subtree in trees.into_iter().flatten().flatten() {
        if let GeneralName::DNSName(name) = subtree.base
            && name.starts_with('.')
        {
            return fail(
                format!("has a nameConstraints dNSName with a leading period: {name:?}"),
                RULE,
            );
        }
    }
    Ok(())
}

/// policyConstraints, when present, is critical.
pub(super) fn policy_constraints(c: &PathCert<'_>) -> Check {
    match c.extension(&OID_X509_EXT_POLICY_CONSTRAINTS)? {
        Some(ext) if !ext.critical => {
            fail("has a non-critical policyConstraints", "RFC 5280 4.2.1.11")
        }
        _ => Ok(()),
    }
}

/// authorityInformationAccess, when present: not critical, readable, at least one access
/// description, each location a URI.
pub(super) fn authority_information_access(c: &PathCert<'_>) -> Check {
    const RULE: &str = "RFC 5280 4.2.2.1";
    let Some(access) = c.extension(&OID_PKIX_AUTHORITY_INFO_ACCESS)? else { return Ok(()) };
    if access.critical {
        return fail("has a critical authorityInformationAccess", RULE);
    }
    let ParsedExtension::AuthorityInfoAccess(access) = access.parsed_extension() else {
        return fail("has a malformed authorityInformationAccess", RULE);
    };
    if access.accessdescs.is_empty() {
        return fail("has an empty authorityInformationAccess", RULE);
    }
    if access.iter().any(|description| !matches!(description.access_location, GeneralName::URI(_)))
    {
        return fail("has an authorityInformationAccess location that is not a URI", RULE);
    }
    Ok(())
}
