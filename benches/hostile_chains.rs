//! The adversarial benchmark: every hostile chain family at the input limits (64 certificates,
//! each up to 64 KiB; see tests/support/hostile_chains.rs), verified through the C API with
//! the verdict cache off, and the worst single call printed. Then what one signature check
//! costs with each key type, which the signature budget (src/signature_budget.rs) charges.
//!
//! Run: `cargo bench --bench hostile_chains` (`-- families` or `-- signature_costs` for one
//! part). The README quotes the worst case it prints.

use std::ffi::CString;
use std::hint::black_box;
use std::time::{Duration, Instant};

use certpin::*;
use criterion::Criterion;
use rcgen::{KeyPair, PKCS_ECDSA_P384_SHA384, PKCS_ED25519, SigningKey};
use rustls_pki_types::SignatureVerificationAlgorithm;

#[path = "../tests/support/hostile_chains.rs"]
mod hostile_chains;

use hostile_chains::{Family, HOST, T, families, padding_for_limit};

/// Calls timed per family; the worst one counts.
const CALLS: usize = 5;

/// A store set up for a family, freed when dropped.
struct Store(*mut pin_store);

impl Store {
    fn for_family(family: &Family) -> Self {
        let store = pin_store_new();
        let host = CString::new(HOST).unwrap();
        // SAFETY: a live store, readable buffers, NUL-terminated strings.
        unsafe {
            assert_eq!(pin_store_set_verdict_cache(store, 0), PIN_OK);
            for anchor in &family.anchors {
                assert_eq!(
                    pin_store_add_trust_anchor(store, anchor.as_ptr(), anchor.len()),
                    PIN_OK
                );
            }
            for pin in &family.pins {
                let pin = CString::new(pin.as_str()).unwrap();
                assert_eq!(pin_store_add(store, host.as_ptr(), pin.as_ptr()), PIN_OK);
            }
        }
        Self(store)
    }

    fn verify(&self, chain: &[Vec<u8>]) -> (pin_result, Duration) {
        let entries: Vec<pin_bytes> =
            chain.iter().map(|der| pin_bytes { data: der.as_ptr(), len: der.len() }).collect();
        let host = CString::new(HOST).unwrap();
        let started = Instant::now();
        // SAFETY: a live store, readable entries, a NUL-terminated host.
        let code = unsafe {
            pin_verify_chain_at(self.0, entries.as_ptr(), entries.len(), host.as_ptr(), T)
        };
        (black_box(code), started.elapsed())
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: made by pin_store_new, freed once.
        unsafe { pin_store_free(self.0) }
    }
}

fn name_of(code: pin_result) -> String {
    // SAFETY: a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(pin_result_name(code)) }.to_string_lossy().into_owned()
}

fn hostile_families() {
    let started = Instant::now();
    let padding = padding_for_limit();
    let families = families(padding);
    eprintln!(
        "hostile families built in {:?} ({padding} padding extensions per CA)",
        started.elapsed()
    );
    let mut worst = (Duration::ZERO, String::new());
    for family in &families {
        let store = Store::for_family(family);
        let bytes: usize = family.chain.iter().map(Vec::len).sum();
        let mut times = Vec::with_capacity(CALLS);
        let mut code = PIN_OK;
        for _ in 0..CALLS {
            let (result, took) = store.verify(&family.chain);
            code = result;
            times.push(took);
        }
        times.sort();
        let max = *times.last().unwrap();
        println!(
            "hostile/{:<70} {:>3} certs {:>8} bytes  {:<24} median {:>10.3?}  max {:>10.3?}",
            family.name,
            family.chain.len(),
            bytes,
            name_of(code),
            times[CALLS / 2],
            max
        );
        if max > worst.0 {
            worst = (max, family.name.clone());
        }
    }
    println!("hostile/worst case: {:.3?} ({})", worst.0, worst.1);
}

/// One check that does all its arithmetic and fails (a signature over another message, or a
/// random RSA signature below the modulus).
fn signature_costs(c: &mut Criterion) {
    let message = b"the message that was not signed";
    let mut group = c.benchmark_group("signature_costs");
    let ec = |key: &KeyPair| (key.public_key_raw().to_vec(), key.sign(b"another").unwrap());
    let p256 = ec(&KeyPair::generate().unwrap());
    let p384 = ec(&KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap());
    let ed25519 = ec(&KeyPair::generate_for(&PKCS_ED25519).unwrap());
    let mut cases: Vec<(&str, &dyn SignatureVerificationAlgorithm, Vec<u8>, Vec<u8>)> = vec![
        ("p256", webpki::ring::ECDSA_P256_SHA256, p256.0, p256.1),
        ("p384", webpki::ring::ECDSA_P384_SHA384, p384.0, p384.1),
        ("ed25519", webpki::ring::ED25519, ed25519.0, ed25519.1),
    ];
    let testdata = format!("{}/testdata", env!("CARGO_MANIFEST_DIR"));
    for (name, file) in [
        ("rsa2048", format!("{testdata}/intermediate-ca.der")),
        ("rsa4096", format!("{testdata}/hostile/rsa4096.spki.der")),
        ("rsa8192", format!("{testdata}/hostile/rsa8192-1.spki.der")),
    ] {
        let der = std::fs::read(&file).unwrap();
        let key = rsa_public_key(&der);
        let modulus_len = if name == "rsa2048" {
            256
        } else if name == "rsa4096" {
            512
        } else {
            1024
        };
        let mut signature = vec![0x5a; modulus_len];
        signature[0] = 0;
        eprintln!("{name}: public key of {} bytes", key.len());
        cases.push((name, webpki::ring::RSA_PKCS1_2048_8192_SHA256, key, signature));
    }
    for (name, algorithm, key, signature) in &cases {
        assert!(algorithm.verify_signature(key, message, signature).is_err());
        group.bench_function(*name, |b| {
            b.iter(|| black_box(algorithm.verify_signature(key, message, signature)))
        });
    }
    group.finish();
}

/// The RSAPublicKey in a certificate's or an SPKI's DER, as webpki hands it to *ring*.
fn rsa_public_key(der: &[u8]) -> Vec<u8> {
    use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate};
    if let Ok((_, cert)) = X509Certificate::from_der(der) {
        return cert.public_key().subject_public_key.data.to_vec();
    }
    let (_, spki) = SubjectPublicKeyInfo::from_der(der).unwrap();
    spki.subject_public_key.data.to_vec()
}

fn main() {
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    if filter.as_deref().is_none_or(|f| "families".contains(f) || f.starts_with("hostile")) {
        hostile_families();
    }
    if filter.as_deref().is_none_or(|f| "signature_costs".contains(f)) {
        let mut c = Criterion::default().configure_from_args();
        signature_costs(&mut c);
        c.final_summary();
    }
}
