//! Hostile chains at the input limits, for the work-bound test (tests/hostile_chains.rs) and
//! the adversarial benchmark (benches/hostile_chains.rs): each family is a store and a chain
//! within every limit that makes path building do as much work as it can.
//!
//! Include it with `#[path = "support/hostile_chains.rs"] mod hostile_chains;` (from
//! benches/: `#[path = "../tests/support/hostile_chains.rs"]`).

#![allow(dead_code)] // each includer uses part of it

use certpin::{CERTPIN_MAX_CERT_LEN, CERTPIN_MAX_CHAIN_LEN};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P384_SHA384,
    PKCS_RSA_SHA256, PublicKeyData, SignatureAlgorithm, date_time_ymd,
};

/// The host every leaf is for.
pub const HOST: &str = "api.example.com";
/// 2030-01-01T00:00:00Z: inside every certificate's validity.
pub const T: u64 = 1_893_456_000;

/// A store's setup and a chain to verify against it.
pub struct Family {
    /// What it is, for messages.
    pub name: String,
    /// The store's trust anchors (DER); the store pins `pins` for [`HOST`].
    pub anchors: Vec<Vec<u8>>,
    /// Pins (`sha256/...`) set for [`HOST`], none for an unpinned host.
    pub pins: Vec<String>,
    /// The chain, leaf first.
    pub chain: Vec<Vec<u8>>,
}

/// A distinguished name of one common name.
pub fn name(cn: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, cn);
    name.push(DnType::OrganizationName, "certpin hostile chains");
    name
}

/// A CA's parameters: `cn`, cA=TRUE, keyCertSign, valid 2026 to 2040, padded with `padding`
/// unknown non-critical extensions of one byte each (each a distinct private OID).
pub fn ca_params(cn: &str, padding: usize) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no SAN");
    params.distinguished_name = name(cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = date_time_ymd(2026, 1, 1);
    params.not_after = date_time_ymd(2040, 1, 1);
    params.custom_extensions = (0..padding)
        .map(|n| {
            let oid = [1, 3, 6, 1, 4, 1, 99999, 2, (n / 1000) as u64, (n % 1000) as u64];
            CustomExtension::from_oid_content(&oid, vec![0])
        })
        .collect();
    params
}

/// How many padding extensions bring a CA certificate to just under `CERTPIN_MAX_CERT_LEN`.
pub fn padding_for_limit() -> usize {
    let key = KeyPair::generate().expect("P-256 key");
    let size = |padding| ca_params("Loop CA", padding).self_signed(&key).expect("CA").der().len();
    let (small, large) = (size(100), size(1100));
    let per_extension = (large - small) as f64 / 1000.0;
    let mut padding = 100 + ((CERTPIN_MAX_CERT_LEN - small) as f64 / per_extension) as usize;
    while size(padding) > CERTPIN_MAX_CERT_LEN - 64 {
        padding -= 8;
    }
    padding
}

/// A self-signed CA named `cn` with a fresh P-256 key.
pub fn self_signed(cn: &str, padding: usize) -> (Vec<u8>, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("P-256 key");
    let params = ca_params(cn, padding);
    let der = params.self_signed(&key).expect("CA").der().to_vec();
    (der, Issuer::new(params, key))
}

/// A leaf for [`HOST`] issued by `issuer`.
pub fn leaf(issuer: &Issuer<'_, KeyPair>) -> Vec<u8> {
    let key = KeyPair::generate().expect("P-256 key");
    let mut params = CertificateParams::new(vec![HOST.to_owned()]).expect("SAN");
    params.distinguished_name = name("leaf");
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = date_time_ymd(2026, 1, 1);
    params.not_after = date_time_ymd(2040, 1, 1);
    params.signed_by(&key, issuer).expect("leaf").der().to_vec()
}

/// A pin that no certificate here has.
pub fn foreign_pin() -> String {
    "sha256/WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=".to_owned()
}

/// Every hostile family at the limits: `CERTPIN_MAX_CHAIN_LEN` certificates, each padded to
/// the certificate size limit with `padding` extensions (see [`padding_for_limit`]).
pub fn families(padding: usize) -> Vec<Family> {
    let mut families = Vec::new();
    let slots = CERTPIN_MAX_CHAIN_LEN - 1;

    // 1. A leaf issued by "Loop CA" (by a key in no certificate sent) and self-signed CAs all
    //    named "Loop CA", each with its own key: every one claims to issue every other.
    let (_, hidden) = self_signed("Loop CA", 0);
    let loop_leaf = leaf(&hidden);
    let loop_cas: Vec<Vec<u8>> = (0..slots).map(|_| self_signed("Loop CA", padding).0).collect();
    let (same_name_anchor, _) = self_signed("Loop CA", 0);
    let (other_anchor, _) = self_signed("Some Root", 0);
    let loop_chain: Vec<Vec<u8>> =
        std::iter::once(loop_leaf.clone()).chain(loop_cas.iter().cloned()).collect();
    for (what, anchor, pins) in [
        ("an anchor of the same name", &same_name_anchor, vec![]),
        ("an anchor of the same name, host pinned", &same_name_anchor, vec![foreign_pin()]),
        ("no anchor of that name", &other_anchor, vec![]),
    ] {
        families.push(Family {
            name: format!("{slots} same-name CAs, {what}"),
            anchors: vec![anchor.clone()],
            pins,
            chain: loop_chain.clone(),
        });
    }

    // 2. The same at unpadded size: more certificates fit nowhere, but each step is cheap, so
    //    path building goes further.
    let small_cas: Vec<Vec<u8>> = (0..slots).map(|_| self_signed("Loop CA", 0).0).collect();
    families.push(Family {
        name: format!("{slots} unpadded same-name CAs, no anchor of that name"),
        anchors: vec![other_anchor.clone()],
        pins: vec![],
        chain: std::iter::once(loop_leaf.clone()).chain(small_cas).collect(),
    });

    // 3. Duplicates: one padded CA, sent again and again.
    families.push(Family {
        name: format!("one padded CA sent {slots} times"),
        anchors: vec![same_name_anchor.clone()],
        pins: vec![],
        chain: std::iter::once(loop_leaf.clone())
            .chain(std::iter::repeat_n(loop_cas[0].clone(), slots))
            .collect(),
    });

    // 4. Mutual cross-signs: 8 CAs, each with one key, each cross-signed by every other
    //    (56 certificates), the leaf issued by the first: every order of names is a path.
    let names: Vec<String> = (0..8).map(|n| format!("Cross CA {n}")).collect();
    let keys: Vec<KeyPair> = names.iter().map(|_| KeyPair::generate().expect("key")).collect();
    let issuers: Vec<Issuer<'_, &KeyPair>> =
        names.iter().zip(&keys).map(|(n, key)| Issuer::new(ca_params(n, 0), key)).collect();
    let mut cross = vec![leaf_signed_by(&issuers[0])];
    for (i, subject) in names.iter().enumerate() {
        for (j, issuer) in issuers.iter().enumerate() {
            if i != j && cross.len() < CERTPIN_MAX_CHAIN_LEN {
                let params = ca_params(subject, padding);
                cross.push(params.signed_by(&keys[i], issuer).expect("cross").der().to_vec());
            }
        }
    }
    let (cross_anchor, _) = self_signed("Cross CA 7", 0);
    families.push(Family {
        name: format!("{} mutually cross-signed CAs, an anchor of a CA's name", cross.len() - 1),
        anchors: vec![cross_anchor],
        pins: vec![],
        chain: cross,
    });

    // 5. Costly signature checks: CAs named "Loop CA" with RSA-8192 keys, each signed by the
    //    anchor (so that each candidate path gets as far as a check with an RSA-8192 key),
    //    then the rest of the chain as in 1.
    let anchor_key = KeyPair::generate().expect("key");
    let anchor_params = ca_params("Loop CA", 0);
    let rsa_anchor = anchor_params.self_signed(&anchor_key).expect("anchor").der().to_vec();
    let anchor = Issuer::new(anchor_params, anchor_key);
    let mut rsa_chain = vec![loop_leaf.clone()];
    for n in 1..=4 {
        let spki = rsa_8192_spki(n);
        let params = ca_params("Loop CA", 0);
        rsa_chain.push(params.signed_by(&spki, &anchor).expect("RSA CA").der().to_vec());
    }
    rsa_chain.extend(loop_cas.iter().take(slots - 4).cloned());
    families.push(Family {
        name: "RSA-8192 CAs signed by the anchor, then padded same-name CAs".to_owned(),
        anchors: vec![rsa_anchor],
        pins: vec![],
        chain: rsa_chain,
    });

    // 6. P-384 CAs signed by the anchor: the slowest curve.
    let p384_anchor_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).expect("key");
    let p384_anchor_params = ca_params("Loop CA", 0);
    let p384_anchor =
        p384_anchor_params.self_signed(&p384_anchor_key).expect("anchor").der().to_vec();
    let p384_issuer = Issuer::new(p384_anchor_params, p384_anchor_key);
    let mut p384_chain = vec![loop_leaf];
    for _ in 0..slots {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).expect("key");
        p384_chain.push(
            ca_params("Loop CA", 0).signed_by(&key, &p384_issuer).expect("CA").der().to_vec(),
        );
    }
    families.push(Family {
        name: format!("{slots} P-384 same-name CAs signed by a P-384 anchor"),
        anchors: vec![p384_anchor],
        pins: vec![],
        chain: p384_chain,
    });
    families
}

fn leaf_signed_by(issuer: &Issuer<'_, &KeyPair>) -> Vec<u8> {
    let key = KeyPair::generate().expect("P-256 key");
    let mut params = CertificateParams::new(vec![HOST.to_owned()]).expect("SAN");
    params.distinguished_name = name("leaf");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = date_time_ymd(2026, 1, 1);
    params.not_after = date_time_ymd(2040, 1, 1);
    params.signed_by(&key, issuer).expect("leaf").der().to_vec()
}

/// One of four RSA-8192 public keys (testdata/hostile/, made with `openssl genpkey`; the
/// private keys were not kept): a certificate's key needs no private key to be costly to
/// check a signature with.
pub fn rsa_8192_spki(n: u32) -> RsaPublicKey {
    use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo};
    let path = format!("{}/testdata/hostile/rsa8192-{n}.spki.der", env!("CARGO_MANIFEST_DIR"));
    let der = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (_, spki) = SubjectPublicKeyInfo::from_der(&der).expect("SPKI");
    RsaPublicKey(spki.subject_public_key.data.to_vec())
}

/// An RSA public key (its RSAPublicKey DER), for rcgen to put in a certificate.
pub struct RsaPublicKey(Vec<u8>);

impl PublicKeyData for RsaPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_RSA_SHA256
    }
}
