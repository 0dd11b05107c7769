//! Benchmarks of the C entry points on the bundled sample chains (testdata/).
//!
//! Run: `cargo bench --bench verify`. Medians are what the README quotes.

use std::ffi::{CString, c_char};
use std::hint::black_box;

use certpin::*;
use criterion::{Criterion, criterion_group, criterion_main};

/// 2027-01-01, inside the samples' validity window.
const AT: u64 = 1_798_761_600;

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/testdata/{name}.der", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pin_of(der: &[u8]) -> CString {
    let mut out = [0 as c_char; CERTPIN_PIN_BUFFER_LEN];
    // SAFETY: valid slices and a buffer of the documented size.
    let code = unsafe { pin_spki_sha256(der.as_ptr(), der.len(), out.as_mut_ptr(), out.len()) };
    assert_eq!(code, PIN_OK);
    // SAFETY: pin_spki_sha256 wrote a NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(out.as_ptr()) }.to_owned()
}

/// A store trusting `root` and pinning `pinned` for api.example.com, and the chain to verify.
struct Case {
    store: *mut pin_store,
    certs: Vec<Vec<u8>>,
}

impl Case {
    fn new(prefix: &str) -> Self {
        let root = sample(&format!("{prefix}root-ca"));
        let intermediate = sample(&format!("{prefix}intermediate-ca"));
        let leaf = sample(&format!("{prefix}leaf"));
        let store = pin_store_new();
        let host = CString::new("api.example.com").unwrap();
        // SAFETY: live store, valid buffers and strings.
        unsafe {
            assert_eq!(pin_store_add_trust_anchor(store, root.as_ptr(), root.len()), PIN_OK);
            assert_eq!(pin_store_add(store, host.as_ptr(), pin_of(&intermediate).as_ptr()), PIN_OK);
        }
        Self { store, certs: vec![leaf, intermediate] }
    }

    fn chain(&self) -> Vec<pin_bytes> {
        self.certs.iter().map(|c| pin_bytes { data: c.as_ptr(), len: c.len() }).collect()
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        // SAFETY: made by pin_store_new, freed once.
        unsafe { pin_store_free(self.store) };
    }
}

fn verification(c: &mut Criterion) {
    let host = CString::new("api.example.com").unwrap();
    for (name, prefix) in [("rsa2048", ""), ("p256", "ec-")] {
        let case = Case::new(prefix);
        // Cold: every call checks the chain in full.
        // SAFETY: live store.
        assert_eq!(unsafe { pin_store_set_verdict_cache(case.store, 0) }, PIN_OK);
        let chain = case.chain();
        c.bench_function(&format!("verify_chain_at/{name}/3-cert"), |b| {
            b.iter(|| {
                // SAFETY: live store, chain of valid slices, NUL-terminated host.
                let code = unsafe {
                    pin_verify_chain_at(case.store, chain.as_ptr(), chain.len(), host.as_ptr(), AT)
                };
                assert_eq!(black_box(code), PIN_OK);
            })
        });
        // The same under the strict validation profile: its checks on the one path.
        // SAFETY: live store.
        assert_eq!(
            unsafe { pin_store_set_validation_profile(case.store, PIN_PROFILE_STRICT) },
            PIN_OK
        );
        c.bench_function(&format!("verify_chain_at/{name}/3-cert/strict"), |b| {
            b.iter(|| {
                // SAFETY: as above.
                let code = unsafe {
                    pin_verify_chain_at(case.store, chain.as_ptr(), chain.len(), host.as_ptr(), AT)
                };
                assert_eq!(black_box(code), PIN_OK);
            })
        });
    }
}

/// One certificate's signature and its issuer's key.
struct SignatureCheck<'a> {
    signed: &'a [u8],
    signature: &'a [u8],
    key: ring::signature::UnparsedPublicKey<&'a [u8]>,
}

/// The two signature checks any path check of the chain makes, with ring as webpki calls it
/// (leaf by the intermediate's key, intermediate by the root's key): the floor under a cold
/// verification, to which `verify_chain_at/*/3-cert` is compared.
fn signatures_only(c: &mut Criterion) {
    use ring::signature::{
        ECDSA_P256_SHA256_ASN1, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
        VerificationAlgorithm,
    };
    use x509_parser::prelude::{FromDer, X509Certificate};
    let cases: [(&str, &str, &'static dyn VerificationAlgorithm); 2] =
        [("rsa2048", "", &RSA_PKCS1_2048_8192_SHA256), ("p256", "ec-", &ECDSA_P256_SHA256_ASN1)];
    for (name, prefix, algorithm) in cases {
        let ders: Vec<Vec<u8>> = ["leaf", "intermediate-ca", "root-ca"]
            .iter()
            .map(|which| sample(&format!("{prefix}{which}")))
            .collect();
        let certs: Vec<X509Certificate<'_>> =
            ders.iter().map(|der| X509Certificate::from_der(der).unwrap().1).collect();
        // (signed bytes, signature, the issuer's key) for leaf <- intermediate <- root.
        let checks: Vec<SignatureCheck<'_>> = (0..2)
            .map(|i| SignatureCheck {
                signed: certs[i].tbs_certificate.as_ref(),
                signature: &certs[i].signature_value.data,
                key: UnparsedPublicKey::new(
                    algorithm,
                    certs[i + 1].public_key().subject_public_key.data.as_ref(),
                ),
            })
            .collect();
        c.bench_function(&format!("signatures_only/{name}/2-signatures"), |b| {
            b.iter(|| {
                for check in &checks {
                    check.key.verify(black_box(check.signed), black_box(check.signature)).unwrap();
                }
            })
        });
    }
}

fn warm(c: &mut Criterion) {
    let host = CString::new("api.example.com").unwrap();
    for (name, prefix) in [("rsa2048", ""), ("p256", "ec-")] {
        let case = Case::new(prefix);
        let chain = case.chain();
        c.bench_function(&format!("verify_chain_at/{name}/3-cert/warm"), |b| {
            b.iter(|| {
                // SAFETY: live store, chain of valid slices, NUL-terminated host.
                let code = unsafe {
                    pin_verify_chain_at(case.store, chain.as_ptr(), chain.len(), host.as_ptr(), AT)
                };
                assert_eq!(black_box(code), PIN_OK);
            })
        });
    }
}

fn explanation(c: &mut Criterion) {
    let case = Case::new("");
    let mitm = sample("mitm-leaf");
    let chain = [pin_bytes { data: mitm.as_ptr(), len: mitm.len() }];
    let host = CString::new("api.example.com").unwrap();
    let rogue = sample("rogue-ca");
    // SAFETY: live store, valid buffer.
    assert_eq!(
        unsafe { pin_store_add_trust_anchor(case.store, rogue.as_ptr(), rogue.len()) },
        PIN_OK
    );
    let mut text = vec![0 as c_char; 4096];
    c.bench_function("verify_chain_explain_at/mitm", |b| {
        b.iter(|| {
            // SAFETY: as above, with a 4096-byte output buffer.
            let code = unsafe {
                pin_verify_chain_explain_at(
                    case.store,
                    chain.as_ptr(),
                    chain.len(),
                    host.as_ptr(),
                    AT,
                    text.as_mut_ptr(),
                    text.len(),
                )
            };
            assert_eq!(black_box(code), PIN_ERR_PIN_MISMATCH);
        })
    });
}

fn pins(c: &mut Criterion) {
    let leaf = sample("leaf");
    let mut out = [0 as c_char; CERTPIN_PIN_BUFFER_LEN];
    c.bench_function("spki_sha256/rsa2048-leaf", |b| {
        b.iter(|| {
            // SAFETY: valid slice and buffer.
            let code =
                unsafe { pin_spki_sha256(leaf.as_ptr(), leaf.len(), out.as_mut_ptr(), out.len()) };
            assert_eq!(black_box(code), PIN_OK);
        })
    });
    let pin = pin_of(&leaf);
    c.bench_function("store_add/1000-hosts", |b| {
        b.iter_with_large_drop(|| {
            let store = pin_store_new();
            for i in 0..1000 {
                let host = CString::new(format!("host{i}.example.com")).unwrap();
                // SAFETY: live store, NUL-terminated strings.
                assert_eq!(unsafe { pin_store_add(store, host.as_ptr(), pin.as_ptr()) }, PIN_OK);
            }
            // SAFETY: made above, freed once.
            unsafe { pin_store_free(store) };
        })
    });
}

fn policy_lookup(c: &mut Criterion) {
    use certpin::host::{HostName, HostPattern};
    use certpin::pin::Pin;
    use certpin::policy::{PinRules, PinSet, Policy};
    // 10,000 patterns of the three kinds, built as one document would build them.
    let mut policy = Policy::default();
    for i in 0..10_000 {
        let pattern = match i % 3 {
            0 => format!("host{i}.example.com"),
            1 => format!("*.svc{i}.example.net"),
            _ => format!("**.zone{i}.example.org"),
        };
        let set = PinSet {
            pattern: HostPattern::parse(&pattern).unwrap(),
            pins: vec![Pin::of_spki(&[1]), Pin::of_spki(&[2])],
            rules: PinRules::default(),
        };
        policy.insert_pin_set(set).unwrap();
    }
    let mut group = c.benchmark_group("policy_lookup/10000-patterns");
    group.bench_function("parse-only/a.b.zone9998.example.org", |b| {
        b.iter(|| black_box(HostName::parse(black_box("a.b.zone9998.example.org")).unwrap()))
    });
    for host in [
        "host9999.example.com",
        "a.svc9997.example.net",
        "a.b.zone9998.example.org",
        "unpinned.example.com",
    ] {
        group.bench_function(host, |b| {
            b.iter(|| {
                let name = HostName::parse(black_box(host)).unwrap();
                black_box(policy.lookup(&name).is_some())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, verification, signatures_only, warm, explanation, pins, policy_lookup);
criterion_main!(benches);
