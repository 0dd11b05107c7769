//! Fixtures shared by the integration tests: certificates made on the fly with rcgen, and thin
//! helpers that call certpin only through its exported `extern "C"` functions, with real
//! pointers, as a C caller would.
//!
//! Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::ffi::{CStr, CString, c_char};
use std::time::Duration;

use certpin::{
    CERTPIN_PIN_BUFFER_LEN, PIN_OK, pin_bytes, pin_result_name, pin_spki_sha256, pin_store,
    pin_store_add, pin_store_add_trust_anchor, pin_store_free, pin_store_new, pin_verify_chain_at,
    pin_verify_chain_explain_at,
};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SerialNumber, date_time_ymd,
};

/// 2026-01-01T00:00:00Z: when the default validity window opens (as in testdata/).
pub const NOT_BEFORE: u64 = 1_767_225_600;
/// 2046-01-01T00:00:00Z: when the default validity window closes (as in testdata/).
pub const NOT_AFTER: u64 = 2_398_377_600;
/// 2030-01-01T00:00:00Z: the fixed time every verification runs at, unless a test says otherwise.
pub const T: u64 = 1_893_456_000;
/// One day in seconds.
pub const DAY: u64 = 86_400;

/// A pin that no certificate has (the SHA-256 of nothing in particular).
pub const UNRELATED_PIN: &str = "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// A second such pin, for backup-pin tests.
pub const UNRELATED_PIN_2: &str = "sha256/q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=";

/// Builds one certificate: a root or intermediate CA, or a leaf. Start with [`Pki::root`],
/// [`Pki::intermediate`] or [`Pki::leaf`], adjust, then [`Pki::self_signed`] or
/// [`Pki::signed_by`]. Every certificate gets a fresh ECDSA P-256 key.
pub struct Pki {
    params: CertificateParams,
}

impl Pki {
    /// A self-signable CA: `CA:TRUE`, keyCertSign + cRLSign, valid 2026..2046.
    pub fn root(cn: &str) -> Self {
        Self::ca(cn)
    }

    /// A CA to be signed by another CA (same shape as a root).
    pub fn intermediate(cn: &str) -> Self {
        Self::ca(cn)
    }

    fn ca(cn: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no SANs");
        params.distinguished_name = name(cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        Self { params }.valid(NOT_BEFORE, NOT_AFTER)
    }

    /// A server leaf for these DNS names or IP addresses: `CA:FALSE`, digitalSignature,
    /// EKU serverAuth, valid 2026..2046, CN the first name.
    pub fn leaf(sans: &[&str]) -> Self {
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans.clone()).expect("valid SANs");
        params.distinguished_name = name(sans.first().map_or("leaf", |s| s.as_str()));
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        Self { params }.valid(NOT_BEFORE, NOT_AFTER)
    }

    /// Sets the subject to `CN=cn, O=certpin tests`.
    pub fn cn(mut self, cn: &str) -> Self {
        self.params.distinguished_name = name(cn);
        self
    }

    /// Sets the validity window, in seconds since the Unix epoch (both ends inclusive).
    pub fn valid(mut self, not_before: u64, not_after: u64) -> Self {
        // rcgen takes `time` values; the epoch plus a std Duration avoids naming that crate.
        self.params.not_before = date_time_ymd(1970, 1, 1) + Duration::from_secs(not_before);
        self.params.not_after = date_time_ymd(1970, 1, 1) + Duration::from_secs(not_after);
        self
    }

    /// Replaces the extended key usages (an empty list leaves the extension out).
    pub fn eku(mut self, ekus: &[ExtendedKeyUsagePurpose]) -> Self {
        self.params.extended_key_usages = ekus.to_vec();
        self
    }

    /// Makes the certificate a CA (`CA:TRUE`), whatever it was built as.
    pub fn into_ca(mut self) -> Self {
        self.params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        self.params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        self
    }

    /// Constrains a CA to `n` intermediates below it.
    pub fn path_len(mut self, n: u8) -> Self {
        self.params.is_ca = IsCa::Ca(BasicConstraints::Constrained(n));
        self
    }

    /// Sets the serial number (big-endian bytes; keep the first byte below 0x80).
    pub fn serial(mut self, bytes: &[u8]) -> Self {
        self.params.serial_number = Some(SerialNumber::from_slice(bytes));
        self
    }

    /// Signs the certificate with its own new key.
    pub fn self_signed(self) -> Cert {
        let key = KeyPair::generate().expect("P-256 key");
        let der = self.params.self_signed(&key).expect("self-signed").der().to_vec();
        Cert { der, params: self.params, key }
    }

    /// Has `issuer` sign the certificate (the subject key is new).
    pub fn signed_by(self, issuer: &Cert) -> Cert {
        let key = KeyPair::generate().expect("P-256 key");
        let der = self.params.signed_by(&key, &issuer.issuer()).expect("signed").der().to_vec();
        Cert { der, params: self.params, key }
    }
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "certpin tests");
    dn
}

/// A certificate with its parameters and private key, so that it can issue others and be
/// cross-signed.
pub struct Cert {
    der: Vec<u8>,
    params: CertificateParams,
    key: KeyPair,
}

impl Cert {
    /// The certificate's DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate's pin, as `pin_spki_sha256` computes it.
    pub fn pin(&self) -> String {
        pin_of(&self.der)
    }

    /// The certificate as PEM (certpin's PEM writer).
    pub fn pem(&self) -> String {
        certpin::report::pem(&self.der)
    }

    /// The private key as PKCS#8 PEM (for a test server).
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// The DER SubjectPublicKeyInfo of the certificate's key, straight from rcgen.
    pub fn spki_der(&self) -> Vec<u8> {
        self.key.subject_public_key_info()
    }

    /// The same subject and key, in a new certificate signed by `issuer`: a cross-signed
    /// intermediate (or a root cross-signed by another root).
    pub fn cross_signed_by(&self, issuer: &Cert) -> Vec<u8> {
        self.params.signed_by(&self.key, &issuer.issuer()).expect("cross-signed").der().to_vec()
    }

    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

/// A root, an intermediate under it and a leaf under that.
pub struct Hierarchy {
    /// The root CA (to be added as a trust anchor).
    pub root: Cert,
    /// The intermediate CA the server sends.
    pub intermediate: Cert,
    /// The server's leaf.
    pub leaf: Cert,
}

impl Hierarchy {
    /// A fresh hierarchy whose CA names start with `label` and whose leaf holds `sans`.
    pub fn new(label: &str, sans: &[&str]) -> Self {
        let root = Pki::root(&format!("{label} Root CA")).self_signed();
        let intermediate = Pki::intermediate(&format!("{label} Intermediate CA")).signed_by(&root);
        let leaf = Pki::leaf(sans).signed_by(&intermediate);
        Self { root, intermediate, leaf }
    }

    /// The chain as a server sends it: the leaf, then the intermediate.
    pub fn chain(&self) -> [&[u8]; 2] {
        [self.leaf.der(), self.intermediate.der()]
    }
}

/// A `pin_store`, freed with `pin_store_free` when dropped.
pub struct Store(*mut pin_store);

impl Store {
    /// An empty store: no pins, the built-in roots.
    pub fn new() -> Self {
        let store = pin_store_new();
        assert!(!store.is_null(), "pin_store_new returned NULL");
        Self(store)
    }

    /// A store that trusts exactly these roots.
    pub fn with_anchors(anchors: &[&[u8]]) -> Self {
        let store = Self::new();
        for anchor in anchors {
            expect(store.add_anchor(anchor), PIN_OK, "pin_store_add_trust_anchor");
        }
        store
    }

    /// The raw pointer, for calls that take one.
    pub fn ptr(&self) -> *mut pin_store {
        self.0
    }

    /// `pin_store_add(store, pattern, pin)`.
    pub fn add(&self, pattern: &str, pin: &str) -> u32 {
        let (pattern, pin) = (cstring(pattern), cstring(pin));
        // SAFETY: a live store and NUL-terminated strings.
        unsafe { pin_store_add(self.0, pattern.as_ptr(), pin.as_ptr()) }
    }

    /// `pin_store_add`, which must succeed.
    #[track_caller]
    pub fn pin(&self, pattern: &str, pin: &str) {
        expect(self.add(pattern, pin), PIN_OK, &format!("pin_store_add({pattern:?}, {pin:?})"));
    }

    /// `pin_store_add_trust_anchor(store, der, len)`.
    pub fn add_anchor(&self, der: &[u8]) -> u32 {
        // SAFETY: a live store and `der.len()` readable bytes.
        unsafe { pin_store_add_trust_anchor(self.0, der.as_ptr(), der.len()) }
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: the pointer came from pin_store_new and is freed only here.
        unsafe { pin_store_free(self.0) }
    }
}

/// A store pointer that may cross threads: the C contract makes `pin_store` safe to share.
#[derive(Clone, Copy)]
pub struct SharedStore(pub *mut pin_store);

// SAFETY: certpin documents a pin_store as safe to use from many threads at once; the tests
// that share one keep the owning `Store` alive until every thread has joined.
unsafe impl Send for SharedStore {}
// SAFETY: as above.
unsafe impl Sync for SharedStore {}

/// A Rust string as a C string (test inputs never hold a NUL).
pub fn cstring(text: &str) -> CString {
    CString::new(text).expect("no NUL inside a test string")
}

/// The `pin_bytes` array a C caller would build for `chain`.
pub fn pin_bytes_of(chain: &[&[u8]]) -> Vec<pin_bytes> {
    chain.iter().map(|der| pin_bytes { data: der.as_ptr(), len: der.len() }).collect()
}

/// `pin_verify_chain_at(store, chain, len, host, time)`.
pub fn verify(store: &Store, chain: &[&[u8]], host: &str, time: u64) -> u32 {
    verify_ptr(store.ptr(), chain, &cstring(host), time)
}

/// `pin_verify_chain_at` with a raw store pointer and a host given as C string bytes.
pub fn verify_ptr(store: *const pin_store, chain: &[&[u8]], host: &CStr, time: u64) -> u32 {
    let entries = pin_bytes_of(chain);
    // SAFETY: a live store, `entries.len()` entries pointing at live certificates, a
    // NUL-terminated host.
    unsafe { pin_verify_chain_at(store, entries.as_ptr(), entries.len(), host.as_ptr(), time) }
}

/// `pin_verify_chain_explain_at` with an 8 KiB buffer: the verdict and the explanation.
pub fn explain(store: &Store, chain: &[&[u8]], host: &str, time: u64) -> (u32, String) {
    explain_into(store, chain, host, time, 8192)
}

/// `pin_verify_chain_explain_at` with a buffer of `buffer_len` bytes.
pub fn explain_into(
    store: &Store,
    chain: &[&[u8]],
    host: &str,
    time: u64,
    buffer_len: usize,
) -> (u32, String) {
    let entries = pin_bytes_of(chain);
    let host = cstring(host);
    let mut buffer = vec![0x7fu8; buffer_len];
    // SAFETY: as for `verify_ptr`, and `buffer_len` writable bytes.
    let code = unsafe {
        pin_verify_chain_explain_at(
            store.ptr(),
            entries.as_ptr(),
            entries.len(),
            host.as_ptr(),
            time,
            buffer.as_mut_ptr().cast::<c_char>(),
            buffer.len(),
        )
    };
    let text = CStr::from_bytes_until_nul(&buffer)
        .expect("the explanation is NUL-terminated within the buffer")
        .to_str()
        .expect("the explanation is UTF-8")
        .to_owned();
    (code, text)
}

/// The `sha256/...` pin of a DER certificate, from `pin_spki_sha256`.
pub fn pin_of(der: &[u8]) -> String {
    let mut out = [0 as c_char; CERTPIN_PIN_BUFFER_LEN];
    // SAFETY: `der.len()` readable bytes and an out buffer of its stated length.
    let code = unsafe { pin_spki_sha256(der.as_ptr(), der.len(), out.as_mut_ptr(), out.len()) };
    expect(code, PIN_OK, "pin_spki_sha256");
    // SAFETY: on PIN_OK the buffer holds a NUL-terminated string.
    unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().expect("ASCII pin").to_owned()
}

/// `pin_result_name(code)` as a Rust string.
pub fn name_of(code: u32) -> &'static str {
    // SAFETY: pin_result_name returns a static NUL-terminated string for any value.
    unsafe { CStr::from_ptr(pin_result_name(code)) }.to_str().expect("ASCII name")
}

/// Asserts that a call returned `expected`, naming both codes on failure.
#[track_caller]
pub fn expect(actual: u32, expected: u32, what: &str) {
    assert!(
        actual == expected,
        "{what}: got {} ({actual}), expected {} ({expected})",
        name_of(actual),
        name_of(expected)
    );
}

/// Reads a file from testdata/ (at the repository root: the nearest one above the package that
/// compiles this file, the library or the CLI in `cli/`).
pub fn testdata(file: &str) -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.ancestors().map(|dir| dir.join("testdata")).find(|dir| dir.is_dir());
    let path = dir.expect("a testdata/ directory at the repository root").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// testdata/pins.txt as (name, pin) pairs: openssl's pins of the sample certificates.
pub fn testdata_pins() -> Vec<(String, String)> {
    String::from_utf8(testdata("pins.txt"))
        .expect("pins.txt is text")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (name, pin) = line.split_once(' ').expect("NAME PIN");
            (name.to_owned(), pin.trim().to_owned())
        })
        .collect()
}

/// Replaces the one occurrence of `from` in `der` with `to` (same length), so that the DER
/// stays well-formed while the signed bytes change.
pub fn tamper(der: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let starts: Vec<usize> =
        der.windows(from.len()).enumerate().filter(|(_, w)| *w == from).map(|(i, _)| i).collect();
    assert_eq!(starts.len(), 1, "the bytes to tamper occur exactly once");
    let mut out = der.to_vec();
    out[starts[0]..starts[0] + to.len()].copy_from_slice(to);
    out
}
