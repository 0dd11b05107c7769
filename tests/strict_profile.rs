//! The strict validation profile (`PIN_PROFILE_STRICT`): for every check, a chain that passes
//! it and one that fails it. Each failing chain is also verified under the default profile,
//! which accepts it as rustls-webpki does: the default's verdicts are unchanged.
//!
//! Certificates are made with rcgen (extensions it cannot shape are given as custom extensions
//! encoded with yasna), and with the openssl CLI for subject keys rcgen cannot write (DSA,
//! P-192, odd RSA sizes). Everything goes through the exported C functions.

mod common;

use std::ffi::{CStr, c_char};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use certpin::{
    PIN_ERR_BAD_CONFIG, PIN_ERR_INVALID_ARGUMENT, PIN_ERR_INVALID_CHAIN, PIN_ERR_PIN_MISMATCH,
    PIN_OK, PIN_PROFILE_STRICT, PIN_PROFILE_WEBPKI, pin_store_export_policy, pin_store_load_policy,
    pin_store_set_validation_profile,
};
use common::{NOT_AFTER, NOT_BEFORE, Store, T, expect, explain, pin_of, verify};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, SanType, SerialNumber, date_time_ymd,
};
use yasna::models::ObjectIdentifier;
use yasna::{DERWriter, Tag};

const HOST: &str = "good.example.com";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Root,
    Intermediate,
    Leaf,
}
use Role::{Intermediate, Leaf, Root};

/// A certificate that passes every strict check in its role.
fn params(role: Role) -> CertificateParams {
    let sans = if role == Leaf { vec![HOST.to_owned()] } else { Vec::new() };
    let mut p = CertificateParams::new(sans).expect("valid SANs");
    p.distinguished_name = dn(match role {
        Root => "Strict Root",
        Intermediate => "Strict Intermediate",
        Leaf => HOST,
    });
    p.not_before = date_time_ymd(1970, 1, 1) + std::time::Duration::from_secs(NOT_BEFORE);
    p.not_after = date_time_ymd(1970, 1, 1) + std::time::Duration::from_secs(NOT_AFTER);
    p.use_authority_key_identifier_extension = role != Root;
    if role == Leaf {
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    } else {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    }
    p
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

/// A certificate with what it takes to issue others.
struct Issued {
    der: Vec<u8>,
    params: CertificateParams,
    key: KeyPair,
}

impl Issued {
    fn self_signed(params: CertificateParams) -> Self {
        let key = KeyPair::generate().expect("P-256 key");
        let der = params.self_signed(&key).expect("self-signed").der().to_vec();
        Self { der, params, key }
    }

    fn signed_by(params: CertificateParams, issuer: &Issued) -> Self {
        let key = KeyPair::generate().expect("P-256 key");
        let der = params.signed_by(&key, &issuer.issuer()).expect("signed").der().to_vec();
        Self { der, params, key }
    }

    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }

    /// The subjectKeyIdentifier rcgen gives this certificate's key.
    fn key_id(&self) -> Vec<u8> {
        self.params.key_identifier(&self.key)
    }
}

/// A root (the store's trust anchor), an intermediate and a leaf for [`HOST`].
struct Pki {
    root: Issued,
    intermediate: Issued,
    leaf: Issued,
}

impl Pki {
    /// The three certificates, each made from [`params`] and then changed by `edit`.
    fn with(edit: impl Fn(Role, &mut CertificateParams)) -> Self {
        let made = |role| {
            let mut p = params(role);
            edit(role, &mut p);
            p
        };
        let root = Issued::self_signed(made(Root));
        let intermediate = Issued::signed_by(made(Intermediate), &root);
        let leaf = Issued::signed_by(made(Leaf), &intermediate);
        Self { root, intermediate, leaf }
    }

    fn good() -> Self {
        Self::with(|_, _| {})
    }

    fn chain(&self) -> Vec<&[u8]> {
        vec![&self.leaf.der, &self.intermediate.der]
    }
}

/// A store trusting `anchors`, under `profile`.
fn store(anchors: &[&[u8]], profile: u32) -> Store {
    let store = Store::with_anchors(anchors);
    expect(set_profile(&store, profile), PIN_OK, "pin_store_set_validation_profile");
    store
}

fn set_profile(store: &Store, profile: u32) -> u32 {
    // SAFETY: a live store.
    unsafe { pin_store_set_validation_profile(store.ptr(), profile) }
}

/// Both profiles accept the chain.
#[track_caller]
fn passes(pki: &Pki) {
    passes_chain(&[&pki.root.der], &pki.chain());
}

#[track_caller]
fn passes_chain(anchors: &[&[u8]], chain: &[&[u8]]) {
    expect(verify(&store(anchors, PIN_PROFILE_WEBPKI), chain, HOST, T), PIN_OK, "default");
    let (code, text) = explain(&store(anchors, PIN_PROFILE_STRICT), chain, HOST, T);
    assert_eq!(code, PIN_OK, "strict profile refused a chain it should accept:\n{text}");
}

/// The default profile accepts the chain; the strict one refuses it with `PIN_ERR_INVALID_CHAIN`
/// and an explanation line that holds `expected` (the certificate, the problem, the rule).
#[track_caller]
fn fails(pki: &Pki, expected: &str) {
    fails_chain(&[&pki.root.der], &pki.chain(), expected);
}

#[track_caller]
fn fails_chain(anchors: &[&[u8]], chain: &[&[u8]], expected: &str) {
    expect(verify(&store(anchors, PIN_PROFILE_WEBPKI), chain, HOST, T), PIN_OK, "default");
    let (code, text) = explain(&store(anchors, PIN_PROFILE_STRICT), chain, HOST, T);
    expect(code, PIN_ERR_INVALID_CHAIN, &format!("strict profile, expecting {expected:?}\n{text}"));
    let line = text.lines().find(|line| line.starts_with("  strict profile: "));
    let line = line.unwrap_or_else(|| panic!("no strict profile line in:\n{text}"));
    assert!(line.contains(expected), "expected {expected:?} in {line:?}");
}

fn der(write: impl FnOnce(DERWriter)) -> Vec<u8> {
    yasna::construct_der(write)
}

fn extension(oid: &[u64], critical: bool, content: Vec<u8>) -> CustomExtension {
    let mut extension = CustomExtension::from_oid_content(oid, content);
    extension.set_criticality(critical);
    extension
}

const AKI: &[u64] = &[2, 5, 29, 35];
const SKI: &[u64] = &[2, 5, 29, 14];
const BC: &[u64] = &[2, 5, 29, 19];
const SAN: &[u64] = &[2, 5, 29, 17];
const EKU: &[u64] = &[2, 5, 29, 37];
const NC: &[u64] = &[2, 5, 29, 30];
const POLICY_CONSTRAINTS: &[u64] = &[2, 5, 29, 36];
const AIA: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 1];

fn key_id_content(id: &[u8]) -> Vec<u8> {
    der(|w| {
        w.write_sequence(|w| w.next().write_tagged_implicit(Tag::context(0), |w| w.write_bytes(id)))
    })
}

fn ca_true() -> Vec<u8> {
    der(|w| w.write_sequence(|w| w.next().write_bool(true)))
}

fn dns_san(name: &str) -> Vec<u8> {
    der(|w| {
        w.write_sequence(|w| {
            w.next().write_tagged_implicit(Tag::context(2), |w| w.write_ia5_string(name))
        })
    })
}

/// An intermediate made without rcgen's basicConstraints and subjectKeyIdentifier, which
/// come back as `extensions` (rcgen writes both for every CA).
fn bare_ca(p: &mut CertificateParams, extensions: Vec<CustomExtension>) {
    p.is_ca = IsCa::NoCa;
    p.custom_extensions = extensions;
}

// ---------------------------------------------------------------------------------------------
// Serial numbers

#[test]
fn serial_numbers_are_positive_non_zero_and_at_most_20_octets() {
    passes(&Pki::with(|role, p| {
        if role == Leaf {
            p.serial_number = Some(SerialNumber::from_slice(&[0x7f; 20]));
        }
    }));
    fails(
        &Pki::with(|role, p| {
            if role == Leaf {
                p.serial_number = Some(SerialNumber::from_slice(&[0]));
            }
        }),
        "[0] CN=good.example.com has a zero serial number (RFC 5280 4.1.2.2)",
    );
    fails(
        &Pki::with(|role, p| {
            if role == Intermediate {
                p.serial_number = Some(SerialNumber::from_slice(&[0x7f; 21]));
            }
        }),
        "[1] CN=Strict Intermediate has a serial number of 21 octets (at most 20) (RFC 5280 4.1.2.2)",
    );
}

// ---------------------------------------------------------------------------------------------
// Key identifiers

#[test]
fn a_certificate_not_self_signed_needs_an_authority_key_identifier() {
    fails(
        &Pki::with(|role, p| p.use_authority_key_identifier_extension &= role != Leaf),
        "[0] CN=good.example.com has no authorityKeyIdentifier (RFC 5280 4.2.1.1)",
    );
    fails(
        &Pki::with(|role, p| p.use_authority_key_identifier_extension &= role != Intermediate),
        "[1] CN=Strict Intermediate has no authorityKeyIdentifier (RFC 5280 4.2.1.1)",
    );
    // Self-issued (a new key under the root's own name) is not self-signed: it needs one.
    let self_issued = |aki: bool| {
        Pki::with(move |role, p| {
            if role == Intermediate {
                p.distinguished_name = dn("Strict Root");
                p.use_authority_key_identifier_extension = aki;
            }
        })
    };
    passes(&self_issued(true));
    fails(&self_issued(false), "[1] CN=Strict Root has no authorityKeyIdentifier");
}

#[test]
fn an_authority_key_identifier_is_not_critical_and_holds_a_key_identifier() {
    // The intermediate's AKI, made by hand with the root's key identifier.
    let root = Issued::self_signed(params(Root));
    let with_aki = |critical: bool, content: Vec<u8>| {
        let mut p = params(Intermediate);
        p.use_authority_key_identifier_extension = false;
        p.custom_extensions = vec![extension(AKI, critical, content)];
        let intermediate = Issued::signed_by(p, &root);
        let leaf = Issued::signed_by(params(Leaf), &intermediate);
        (leaf.der, intermediate.der)
    };
    let (leaf, intermediate) = with_aki(false, key_id_content(&root.key_id()));
    passes_chain(&[&root.der], &[&leaf, &intermediate]);
    // webpki refuses a critical authorityKeyIdentifier below the anchor (an extension it does
    // not read), so the anchor carries it here.
    fails(
        &Pki::with(|role, p| {
            if role == Root {
                p.custom_extensions = vec![extension(AKI, true, key_id_content(&[1; 20]))];
            }
        }),
        "trust anchor CN=Strict Root has a critical authorityKeyIdentifier (RFC 5280 4.2.1.1)",
    );
    let (leaf, intermediate) = with_aki(false, der(|w| w.write_sequence(|_| {})));
    fails_chain(
        &[&root.der],
        &[&leaf, &intermediate],
        "[1] CN=Strict Intermediate has an authorityKeyIdentifier without a keyIdentifier",
    );
}

#[test]
fn a_self_signed_anchor_may_have_only_its_own_key_identifier_as_authority() {
    // rcgen writes a self-signed certificate's AKI from its own key: its own SKI.
    passes(&Pki::with(|role, p| p.use_authority_key_identifier_extension |= role == Root));
    fails(
        &Pki::with(|role, p| {
            if role == Root {
                p.custom_extensions = vec![extension(AKI, false, key_id_content(&[7; 20]))];
            }
        }),
        "trust anchor CN=Strict Root is self-signed and its authorityKeyIdentifier is not its own subjectKeyIdentifier (RFC 5280 4.2.1.1)",
    );
}

#[test]
fn a_ca_certificate_needs_a_non_critical_subject_key_identifier() {
    fails(
        &Pki::with(|role, p| {
            if role == Intermediate {
                bare_ca(p, vec![extension(BC, true, ca_true())]);
            }
        }),
        "[1] CN=Strict Intermediate has no subjectKeyIdentifier (RFC 5280 4.2.1.2)",
    );
    let with_ski = |role_with: Role, critical: bool| {
        Pki::with(move |role, p| {
            if role == role_with {
                let ski = der(|w| w.write_bytes(&[9; 20]));
                bare_ca(p, vec![extension(BC, true, ca_true()), extension(SKI, critical, ski)]);
            }
        })
    };
    passes(&with_ski(Intermediate, false));
    passes(&with_ski(Root, false));
    // webpki refuses a critical subjectKeyIdentifier below the anchor (an extension it does not
    // read), so the anchor carries it here.
    fails(
        &with_ski(Root, true),
        "trust anchor CN=Strict Root has a critical subjectKeyIdentifier (RFC 5280 4.2.1.2)",
    );
}

// ---------------------------------------------------------------------------------------------
// basicConstraints and keyUsage

#[test]
fn every_ca_certificate_has_critical_basic_constraints() {
    // A v1-style root: no basicConstraints (and no keyCertSign, which needs cA=TRUE).
    fails(
        &Pki::with(|role, p| {
            if role == Root {
                bare_ca(p, vec![extension(SKI, false, der(|w| w.write_bytes(&[9; 20])))]);
                p.key_usages.clear();
            }
        }),
        "trust anchor CN=Strict Root is a CA certificate without basicConstraints (RFC 5280 4.2.1.9)",
    );
    fails(
        &Pki::with(|role, p| {
            if role == Intermediate {
                let ski = der(|w| w.write_bytes(&[9; 20]));
                bare_ca(p, vec![extension(BC, false, ca_true()), extension(SKI, false, ski)]);
            }
        }),
        "[1] CN=Strict Intermediate is a CA certificate whose basicConstraints is not critical (RFC 5280 4.2.1.9)",
    );
    fails(
        &Pki::with(|role, p| {
            if role == Root {
                p.is_ca = IsCa::ExplicitNoCa;
            }
        }),
        "trust anchor CN=Strict Root is a CA certificate whose basicConstraints has cA=FALSE (RFC 5280 4.2.1.9)",
    );
}

#[test]
fn key_cert_sign_goes_with_ca_true_and_never_on_a_leaf() {
    fails(
        &Pki::with(|role, p| {
            if role == Leaf {
                p.key_usages.push(KeyUsagePurpose::KeyCertSign);
            }
        }),
        "[0] CN=good.example.com is a leaf with keyUsage keyCertSign (RFC 5280 4.2.1.3)",
    );
    // A CA whose keyUsage lacks keyCertSign: the default profile's issuer check (issue 12)
    // refuses it already, before the strict checks run, so both profiles refuse it and name it.
    let no_cert_sign = Pki::with(|role, p| {
        if role == Intermediate {
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        }
    });
    for profile in [PIN_PROFILE_WEBPKI, PIN_PROFILE_STRICT] {
        let store = store(&[&no_cert_sign.root.der], profile);
        let (code, text) = explain(&store, &no_cert_sign.chain(), HOST, T);
        expect(code, PIN_ERR_INVALID_CHAIN, &format!("profile {profile}\n{text}"));
        assert!(text.contains("keyCertSign") && text.contains("CN=Strict Intermediate"), "{text}");
    }
}

#[test]
fn no_unknown_critical_extension_even_in_the_anchor() {
    let unknown = || extension(&[1, 3, 6, 1, 4, 1, 55555, 1], true, der(|w| w.write_null()));
    passes(&Pki::with(|role, p| {
        if role == Root {
            let mut known = unknown();
            known.set_criticality(false);
            p.custom_extensions = vec![known];
        }
    }));
    fails(
        &Pki::with(|role, p| {
            if role == Root {
                p.custom_extensions = vec![unknown()];
            }
        }),
        "trust anchor CN=Strict Root has an unknown critical extension 1.3.6.1.4.1.55555.1 (RFC 5280 4.2)",
    );
}

#[test]
fn the_anchor_must_be_valid_at_the_verification_time() {
    let root_until = |until: u64| {
        Pki::with(move |role, p| {
            if role == Root {
                p.not_after = date_time_ymd(1970, 1, 1) + std::time::Duration::from_secs(until);
            }
        })
    };
    passes(&root_until(T));
    fails(
        &root_until(T - 1),
        "trust anchor CN=Strict Root is a trust anchor outside its validity period",
    );
}

// ---------------------------------------------------------------------------------------------
// Names

#[test]
fn a_ca_subject_is_never_empty() {
    fails(
        &Pki::with(|role, p| {
            if role == Intermediate {
                p.distinguished_name = DistinguishedName::new();
            }
        }),
        "[1] (empty subject) is a CA certificate with an empty subject (RFC 5280 4.1.2.6)",
    );
}

#[test]
fn an_empty_subject_needs_a_critical_alt_name_and_a_subject_a_non_critical_one() {
    // rcgen marks the subjectAltName critical when the subject is empty.
    passes(&Pki::with(|role, p| {
        if role == Leaf {
            p.distinguished_name = DistinguishedName::new();
        }
    }));
    let custom_san = |subject: bool, critical: bool| {
        Pki::with(move |role, p| {
            if role == Leaf {
                if !subject {
                    p.distinguished_name = DistinguishedName::new();
                }
                p.subject_alt_names.clear();
                p.custom_extensions = vec![extension(SAN, critical, dns_san(HOST))];
            }
        })
    };
    passes(&custom_san(true, false));
    fails(
        &custom_san(false, false),
        "[0] (empty subject) has an empty subject and a non-critical subjectAltName (RFC 5280 4.2.1.6)",
    );
    fails(
        &custom_san(true, true),
        "[0] CN=good.example.com has a subject and a critical subjectAltName (RFC 5280 4.2.1.6)",
    );
}

#[test]
fn the_leaf_common_name_is_one_of_its_alt_names_exactly() {
    let leaf = |cn: &'static str, sans: Vec<SanType>| {
        Pki::with(move |role, p| {
            if role == Leaf {
                p.distinguished_name = dn(cn);
                p.subject_alt_names = sans.clone();
            }
        })
    };
    let dns = |name: &str| SanType::DnsName(name.try_into().unwrap());
    let ip = |text: &str| SanType::IpAddress(text.parse().unwrap());
    passes(&leaf(HOST, vec![dns("other.example.com"), dns(HOST)]));
    fails(
        &leaf("other.example.com", vec![dns(HOST)]),
        "[0] CN=other.example.com has a commonName \"other.example.com\" that is no subjectAltName entry (CA/B Forum BR 7.1.4.3)",
    );
    fails(&leaf("Good.Example.com", vec![dns(HOST)]), "has a commonName \"Good.Example.com\"");
    // IP addresses compare in canonical form.
    passes(&leaf("2001:db8::1", vec![dns(HOST), ip("2001:db8::1")]));
    fails(
        &leaf("2001:db8:0:0::1", vec![dns(HOST), ip("2001:db8::1")]),
        "has a commonName \"2001:db8:0:0::1\" that is no subjectAltName entry",
    );
}

#[test]
fn alt_name_dns_names_have_the_preferred_syntax() {
    let sans = |names: &'static [&'static str]| {
        Pki::with(move |role, p| {
            if role == Leaf {
                p.subject_alt_names = names
                    .iter()
                    .map(|name| SanType::DnsName((*name).try_into().unwrap()))
                    .collect();
            }
        })
    };
    passes(&sans(&[HOST, "xn--bcher-kva.example.com", "a-1.example.com"]));
    fails(
        &sans(&[HOST, "bad_name.example.com"]),
        "[0] CN=good.example.com has a subjectAltName dNSName that is not a valid name: \"bad_name.example.com\" (RFC 5280 4.2.1.6)",
    );
}

#[test]
fn no_wildcard_covers_a_public_suffix() {
    let sans = |names: &'static [&'static str]| {
        Pki::with(move |role, p| {
            if role == Leaf {
                p.subject_alt_names = names
                    .iter()
                    .map(|name| SanType::DnsName((*name).try_into().unwrap()))
                    .collect();
            }
        })
    };
    passes(&sans(&[HOST, "*.example.co.uk", "*.user.github.io"]));
    fails(
        &sans(&[HOST, "*.co.uk"]),
        "[0] CN=good.example.com has a wildcard dNSName over a public suffix: \"*.co.uk\" (CA/B Forum BR 3.2.2.6)",
    );
    // A suffix from the list's private section.
    fails(&sans(&[HOST, "*.github.io"]), "over a public suffix: \"*.github.io\"");
    // A single label is a top-level domain, listed or not.
    fails(&sans(&[HOST, "*.corp"]), "over a public suffix: \"*.corp\"");
}

// ---------------------------------------------------------------------------------------------
// extendedKeyUsage

#[test]
fn the_leaf_has_a_non_critical_eku_without_any_usage() {
    fails(
        &Pki::with(|role, p| {
            if role == Leaf {
                p.extended_key_usages.clear();
            }
        }),
        "[0] CN=good.example.com is a leaf without extendedKeyUsage (CA/B Forum BR 7.1.2.7.10)",
    );
    fails(
        &Pki::with(|role, p| {
            if role == Leaf {
                p.extended_key_usages.push(ExtendedKeyUsagePurpose::Any);
            }
        }),
        "[0] CN=good.example.com has anyExtendedKeyUsage (CA/B Forum BR 7.1.2.7.10)",
    );
    fails(
        &Pki::with(|role, p| {
            if role == Leaf {
                p.extended_key_usages.clear();
                let server_auth = ObjectIdentifier::from_slice(&[1, 3, 6, 1, 5, 5, 7, 3, 1]);
                let content = der(|w| w.write_sequence(|w| w.next().write_oid(&server_auth)));
                p.custom_extensions = vec![extension(EKU, true, content)];
            }
        }),
        "[0] CN=good.example.com has a critical extendedKeyUsage (CA/B Forum BR 7.1.2.7.10)",
    );
}

#[test]
fn a_trust_anchor_has_no_eku() {
    fails(
        &Pki::with(|role, p| {
            if role == Root {
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            }
        }),
        "trust anchor CN=Strict Root is a trust anchor with extendedKeyUsage (CA/B Forum BR 7.1.2.1.2)",
    );
}

// ---------------------------------------------------------------------------------------------
// nameConstraints

fn permitted(names: &[&str]) -> NameConstraints {
    NameConstraints {
        permitted_subtrees: names.iter().map(|n| GeneralSubtree::DnsName(n.to_string())).collect(),
        excluded_subtrees: vec![],
    }
}

#[test]
fn name_constraints_are_critical_non_empty_and_only_in_cas() {
    passes(&Pki::with(|role, p| {
        if role == Intermediate {
            p.name_constraints = Some(permitted(&["example.com"]));
        }
    }));
    fails(
        &Pki::with(|role, p| {
            if role == Leaf {
                p.name_constraints = Some(permitted(&["example.com"]));
            }
        }),
        "[0] CN=good.example.com is a leaf with nameConstraints (RFC 5280 4.2.1.10)",
    );
    // The same constraint, not critical: the extension's value as rcgen wrote it.
    let value = extension_value(&Pki::with(|role, p| {
        if role == Intermediate {
            p.name_constraints = Some(permitted(&["example.com"]));
        }
    }));
    fails(
        &Pki::with(move |role, p| {
            if role == Intermediate {
                p.custom_extensions = vec![extension(NC, false, value.clone())];
            }
        }),
        "[1] CN=Strict Intermediate has a non-critical nameConstraints (RFC 5280 4.2.1.10)",
    );
    fails(
        &Pki::with(|role, p| {
            if role == Intermediate {
                p.custom_extensions = vec![extension(NC, true, der(|w| w.write_sequence(|_| {})))];
            }
        }),
        "[1] CN=Strict Intermediate has a nameConstraints with no subtree (RFC 5280 4.2.1.10)",
    );
    fails(
        &Pki::with(|role, p| {
            if role == Intermediate {
                p.name_constraints = Some(permitted(&[".example.com"]));
            }
        }),
        "[1] CN=Strict Intermediate has a nameConstraints dNSName with a leading period: \".example.com\"",
    );
}

/// The nameConstraints value of the intermediate of `pki`, as DER.
fn extension_value(pki: &Pki) -> Vec<u8> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(&pki.intermediate.der).expect("parses");
    let nc = x509_parser::oid_registry::OID_X509_EXT_NAME_CONSTRAINTS;
    cert.get_extension_unique(&nc).unwrap().expect("has nameConstraints").value.to_vec()
}

// ---------------------------------------------------------------------------------------------
// policyConstraints and authorityInformationAccess

#[test]
fn policy_constraints_are_critical() {
    // webpki refuses any critical policyConstraints below the anchor, so the anchor holds it.
    let root_with = |critical: bool| {
        Pki::with(move |role, p| {
            if role == Root {
                let require_explicit = der(|w| {
                    w.write_sequence(|w| {
                        w.next().write_tagged_implicit(Tag::context(0), |w| w.write_u32(0))
                    })
                });
                p.custom_extensions =
                    vec![extension(POLICY_CONSTRAINTS, critical, require_explicit)];
            }
        })
    };
    passes(&root_with(true));
    fails(
        &root_with(false),
        "trust anchor CN=Strict Root has a non-critical policyConstraints (RFC 5280 4.2.1.11)",
    );
}

#[test]
fn authority_information_access_is_well_formed() {
    let leaf_with = |content: Vec<u8>| {
        Pki::with(move |role, p| {
            if role == Leaf {
                p.custom_extensions = vec![extension(AIA, false, content.clone())];
            }
        })
    };
    let ocsp = ObjectIdentifier::from_slice(&[1, 3, 6, 1, 5, 5, 7, 48, 1]);
    let access = |location: Tag, text: &'static str| {
        let ocsp = ocsp.clone();
        der(move |w| {
            w.write_sequence(|w| {
                w.next().write_sequence(|w| {
                    w.next().write_oid(&ocsp);
                    w.next().write_tagged_implicit(location, |w| w.write_ia5_string(text));
                })
            })
        })
    };
    passes(&leaf_with(access(Tag::context(6), "http://ocsp.example.com")));
    fails(
        &leaf_with(der(|w| w.write_bytes(b"not a sequence"))),
        "[0] CN=good.example.com has a malformed authorityInformationAccess (RFC 5280 4.2.2.1)",
    );
    fails(
        &leaf_with(access(Tag::context(2), "ocsp.example.com")),
        "[0] CN=good.example.com has an authorityInformationAccess location that is not a URI",
    );
    fails(&leaf_with(der(|w| w.write_sequence(|_| {}))), "has an empty authorityInformationAccess");
}

// ---------------------------------------------------------------------------------------------
// Keys, made by the openssl CLI (rcgen writes only the key types it can sign with)

static SCRATCH: AtomicUsize = AtomicUsize::new(0);

/// `openssl ARGS` in `dir`, which must succeed.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let output = Command::new("openssl").current_dir(dir).args(args).output().unwrap_or_else(|e| {
        panic!("openssl CLI not runnable ({e}); install it: apt-get install -y openssl")
    });
    assert!(
        output.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A leaf for [`HOST`] that passes every other strict check, with a subject key made by
/// `openssl genpkey GENPKEY` (after `openssl genpkey PARAMS -out params.pem` when given), issued
/// by `pki`'s intermediate with `openssl x509 -req`.
fn openssl_leaf(pki: &Pki, params: Option<&[&str]>, genpkey: &[&str]) -> Vec<u8> {
    openssl_leaf_with_serial(pki, params, genpkey, "4660")
}

/// [`openssl_leaf`] with this serial number (`openssl x509 -set_serial`, which takes negative
/// numbers, unlike rcgen).
fn openssl_leaf_with_serial(
    pki: &Pki,
    params: Option<&[&str]>,
    genpkey: &[&str],
    serial: &str,
) -> Vec<u8> {
    let n = SCRATCH.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("certpin-strict-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let issuer = &pki.intermediate;
    let pem = |der: &[u8]| {
        let text = base64_lines(der);
        format!("-----BEGIN CERTIFICATE-----\n{text}-----END CERTIFICATE-----\n")
    };
    std::fs::write(dir.join("ca.pem"), pem(&issuer.der)).unwrap();
    std::fs::write(dir.join("ca.key"), issuer.key.serialize_pem()).unwrap();
    std::fs::write(
        dir.join("ext.cnf"),
        format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=DNS:{HOST}\n\
             subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n"
        ),
    )
    .unwrap();
    if let Some(params) = params {
        openssl(&dir, &[params, &["-out", "params.pem"]].concat());
    }
    openssl(&dir, &[genpkey, &["-out", "leaf.key"]].concat());
    openssl(
        &dir,
        &["req", "-new", "-key", "leaf.key", "-subj", &format!("/CN={HOST}"), "-out", "leaf.csr"],
    );
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            serial,
            "-days",
            "7300",
            "-extfile",
            "ext.cnf",
            "-outform",
            "DER",
            "-out",
            "leaf.der",
        ],
    );
    let der = std::fs::read(dir.join("leaf.der")).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    der
}

/// Base64 in 64-character lines, through the library's own pin encoder's crate.
fn base64_lines(der: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    text.as_bytes()
        .chunks(64)
        .map(|line| format!("{}\n", std::str::from_utf8(line).unwrap()))
        .collect()
}

#[track_caller]
fn key_case(params: Option<&[&str]>, genpkey: &[&str], expected: Option<&str>) {
    let pki = Pki::good();
    let leaf = openssl_leaf(&pki, params, genpkey);
    let chain: [&[u8]; 2] = [&leaf, &pki.intermediate.der];
    match expected {
        None => passes_chain(&[&pki.root.der], &chain),
        Some(expected) => fails_chain(&[&pki.root.der], &chain, expected),
    }
}

#[test]
fn rsa_keys_have_at_least_2048_bits_in_whole_octets() {
    for (bits, expected) in [
        (2048, None),
        (
            1024,
            Some(
                "[0] CN=good.example.com has an RSA key of 1024 bits (at least 2048) (CA/B Forum BR 6.1.5)",
            ),
        ),
        (2052, Some("[0] CN=good.example.com has an RSA key of 2052 bits (not a multiple of 8)")),
    ] {
        let size = format!("rsa_keygen_bits:{bits}");
        key_case(None, &["genpkey", "-algorithm", "RSA", "-pkeyopt", &size], expected);
    }
}

#[test]
fn no_p192_and_no_dsa_keys() {
    key_case(None, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], None);
    key_case(
        None,
        &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-192"],
        Some("[0] CN=good.example.com has a P-192 key (CA/B Forum BR 6.1.5)"),
    );
    key_case(
        Some(&["genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:1024"]),
        &["genpkey", "-paramfile", "params.pem"],
        Some("[0] CN=good.example.com has a DSA key (CA/B Forum BR 6.1.5)"),
    );
}

#[test]
fn a_negative_serial_number_is_refused() {
    let pki = Pki::good();
    let p256 = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
    let positive = openssl_leaf_with_serial(&pki, None, &p256, "5");
    passes_chain(&[&pki.root.der], &[&positive, &pki.intermediate.der]);
    let negative = openssl_leaf_with_serial(&pki, None, &p256, "-5");
    fails_chain(
        &[&pki.root.der],
        &[&negative, &pki.intermediate.der],
        "[0] CN=good.example.com has a negative serial number (RFC 5280 4.1.2.2)",
    );
}

// ---------------------------------------------------------------------------------------------
// Path building goes on past a path the profile refuses

/// An intermediate cross-signed by two roots: through root A it has no authorityKeyIdentifier
/// (strict refuses that path), through root B it has one.
struct Cross {
    root_a: Issued,
    root_b: Issued,
    via_a: Vec<u8>,
    via_b: Vec<u8>,
    leaf: Issued,
}

fn cross() -> Cross {
    let root = |cn: &str| {
        let mut p = params(Root);
        p.distinguished_name = dn(cn);
        Issued::self_signed(p)
    };
    let (root_a, root_b) = (root("Root A"), root("Root B"));
    let key = KeyPair::generate().unwrap();
    let mut without_aki = params(Intermediate);
    without_aki.use_authority_key_identifier_extension = false;
    let via_a = without_aki.signed_by(&key, &root_a.issuer()).unwrap().der().to_vec();
    let with_aki = params(Intermediate);
    let via_b = with_aki.signed_by(&key, &root_b.issuer()).unwrap().der().to_vec();
    let intermediate = Issued { der: via_b.clone(), params: with_aki, key };
    let leaf = Issued::signed_by(params(Leaf), &intermediate);
    Cross { root_a, root_b, via_a, via_b, leaf }
}

#[test]
fn a_path_the_profile_refuses_is_skipped_for_one_it_accepts() {
    let x = cross();
    let anchors: [&[u8]; 2] = [&x.root_a.der, &x.root_b.der];
    // Through root A alone, strict refuses; webpki tries A's path first when both are sent.
    fails_chain(
        &anchors,
        &[&x.leaf.der, &x.via_a],
        "[1] CN=Strict Intermediate has no authorityKeyIdentifier",
    );
    passes_chain(&anchors, &[&x.leaf.der, &x.via_a, &x.via_b]);
    passes_chain(&anchors, &[&x.leaf.der, &x.via_b, &x.via_a]);
}

#[test]
fn pins_count_only_on_paths_the_profile_accepts() {
    let x = cross();
    let chain: [&[u8]; 3] = [&x.leaf.der, &x.via_a, &x.via_b];
    let pinned = |root: &Issued| {
        let store = store(&[&x.root_a.der, &x.root_b.der], PIN_PROFILE_STRICT);
        store.pin(HOST, &pin_of(&root.der));
        verify(&store, &chain, HOST, T)
    };
    expect(pinned(&x.root_b), PIN_OK, "root B's path passes the profile and holds the pin");
    expect(pinned(&x.root_a), PIN_ERR_PIN_MISMATCH, "root A's path fails the profile");
}

// ---------------------------------------------------------------------------------------------
// The setting: C API and policy documents

fn load(store: &Store, json: &str) -> (u32, String) {
    let mut error = [0 as c_char; 256];
    // SAFETY: a live store, `json.len()` readable bytes, a writable error buffer.
    let code = unsafe {
        pin_store_load_policy(
            store.ptr(),
            json.as_ptr(),
            json.len(),
            error.as_mut_ptr(),
            error.len(),
        )
    };
    // SAFETY: the error buffer is NUL-terminated.
    (code, unsafe { CStr::from_ptr(error.as_ptr()) }.to_string_lossy().into_owned())
}

fn export(store: &Store) -> serde_json::Value {
    let mut out = vec![0 as c_char; 4096];
    let mut needed = 0usize;
    // SAFETY: a live store, a writable buffer of its length, a writable `needed`.
    let code =
        unsafe { pin_store_export_policy(store.ptr(), out.as_mut_ptr(), out.len(), &mut needed) };
    expect(code, PIN_OK, "pin_store_export_policy");
    // SAFETY: on PIN_OK the buffer holds a NUL-terminated document.
    let text = unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().unwrap().to_owned();
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn the_profile_is_set_by_the_c_api_or_a_document_and_exported_with_the_policy() {
    let pki = Pki::with(|role, p| p.use_authority_key_identifier_extension &= role != Leaf);
    let store = store(&[&pki.root.der], PIN_PROFILE_WEBPKI);
    let verdict = |store: &Store| verify(store, &pki.chain(), HOST, T);
    expect(verdict(&store), PIN_OK, "default profile");
    assert!(export(&store).get("validation_profile").is_none(), "the default is not written");

    expect(set_profile(&store, PIN_PROFILE_STRICT), PIN_OK, "strict");
    expect(verdict(&store), PIN_ERR_INVALID_CHAIN, "strict via the C API");
    let document = export(&store);
    assert_eq!(document["validation_profile"], "strict");

    for bad in [2, 255, u32::MAX] {
        expect(set_profile(&store, bad), PIN_ERR_INVALID_ARGUMENT, "unknown profile");
        expect(verdict(&store), PIN_ERR_INVALID_CHAIN, "an unknown profile changes nothing");
    }

    // A document without the key means the default; the exported one brings strict back.
    expect(load(&store, r#"{"certpin_policy": 1}"#).0, PIN_OK, "load default");
    expect(verdict(&store), PIN_OK, "a document without the key");
    expect(load(&store, &document.to_string()).0, PIN_OK, "load the export");
    expect(verdict(&store), PIN_ERR_INVALID_CHAIN, "the exported document is strict");
    expect(
        load(&store, r#"{"certpin_policy": 1, "validation_profile": "webpki"}"#).0,
        PIN_OK,
        "webpki",
    );
    expect(verdict(&store), PIN_OK, "\"webpki\"");

    let (code, error) = load(&store, r#"{"certpin_policy": 1, "validation_profile": "lax"}"#);
    expect(code, PIN_ERR_BAD_CONFIG, "an unknown profile name");
    assert_eq!(error, "validation_profile: must be \"webpki\" or \"strict\"");
    expect(verdict(&store), PIN_OK, "a refused document changes nothing");
}

// ---------------------------------------------------------------------------------------------
// The openssl-made samples

#[test]
fn the_openssl_samples_pass_the_strict_profile() {
    for (prefix, host) in [("", "api.example.com"), ("ec-", "api.example.com")] {
        let file = |name: &str| common::testdata(&format!("{prefix}{name}.der"));
        let (leaf, intermediate, root) = (file("leaf"), file("intermediate-ca"), file("root-ca"));
        let store = store(&[&root], PIN_PROFILE_STRICT);
        let (code, text) = explain(&store, &[&leaf, &intermediate], host, T);
        assert_eq!(code, PIN_OK, "{prefix}samples:\n{text}");
    }
}
