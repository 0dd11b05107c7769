//! Shared helpers for the pinning-policy tests (`tests/policy_*.rs`): the sample certificates
//! of testdata/ with their pins from testdata/pins.txt, and a store wrapper that calls certpin
//! only through its exported `extern "C"` functions, with real pointers and C strings, as a C
//! caller would.
//!
//! Every verification runs at a fixed time inside the samples' validity (2026..2046), so that
//! nothing depends on today's date.
//!
//! Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code, unused_imports)]

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char, c_void};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use certpin::*;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, date_time_ymd,
};

/// 2027-01-01T00:00:00Z: the time every verification runs at unless a test says otherwise.
pub const T: u64 = 1_798_761_600;
/// 2050-01-01T00:00:00Z: after every sample certificate has expired.
pub const AFTER_VALIDITY: u64 = 2_524_608_000;
/// One hour and one day, in seconds.
pub const HOUR: u64 = 3_600;
/// One day in seconds.
pub const DAY: u64 = 86_400;

/// The host the genuine leaf and the MITM leaf are both issued for.
pub const HOST: &str = "api.example.com";
/// The genuine leaf's other name (the MITM leaf of testdata/ does not have it).
pub const WWW: &str = "www.example.com";

/// Pins no sample certificate has: stand-ins for backup keys kept offline.
pub const BACKUP_PIN: &str = "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// A second such pin.
pub const BACKUP_PIN_2: &str = "sha256/ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

/// The sample certificates of testdata/, as DER.
pub struct Samples {
    /// `leaf.der`: CN=api.example.com, SAN api.example.com + www.example.com.
    pub leaf: Vec<u8>,
    /// `intermediate-ca.der`: the leaf's issuer.
    pub intermediate: Vec<u8>,
    /// `root-ca.der`: the genuine trust anchor.
    pub root: Vec<u8>,
    /// `rogue-ca.der`: a user-installed proxy root.
    pub rogue: Vec<u8>,
    /// `mitm-leaf.der`: the proxy's leaf for api.example.com, issued by the rogue root.
    pub mitm: Vec<u8>,
    /// `expired-leaf.der`: api.example.com, valid 2020..2021 only, issued by the intermediate.
    pub expired: Vec<u8>,
    /// `ec-leaf.der`: an unrelated P-256 leaf for api.example.com.
    pub ec_leaf: Vec<u8>,
    /// The proxy's leaf for www.example.com: made here, signed by the rogue root's real key
    /// (testdata/rogue-ca.key), because testdata/ has a MITM leaf for api.example.com only.
    pub rogue_www: Vec<u8>,
}

/// The samples, read once.
pub fn samples() -> &'static Samples {
    static SAMPLES: OnceLock<Samples> = OnceLock::new();
    SAMPLES.get_or_init(|| Samples {
        leaf: testdata("leaf.der"),
        intermediate: testdata("intermediate-ca.der"),
        root: testdata("root-ca.der"),
        rogue: testdata("rogue-ca.der"),
        mitm: testdata("mitm-leaf.der"),
        expired: testdata("expired-leaf.der"),
        ec_leaf: testdata("ec-leaf.der"),
        rogue_www: rogue_leaf_for(WWW),
    })
}

/// The path of a file in testdata/.
pub fn testdata_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata").join(file)
}

/// Reads a file from testdata/.
pub fn testdata(file: &str) -> Vec<u8> {
    let path = testdata_path(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The pin of a sample certificate, from testdata/pins.txt (`NAME sha256/...` lines).
pub fn pin(name: &str) -> &'static str {
    static PINS: OnceLock<HashMap<String, String>> = OnceLock::new();
    let pins = PINS.get_or_init(|| {
        let text = String::from_utf8(testdata("pins.txt")).expect("pins.txt is UTF-8");
        text.lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(name, pin)| (name.to_owned(), pin.trim().to_owned()))
            .collect()
    });
    pins.get(name).unwrap_or_else(|| panic!("no pin for {name} in pins.txt"))
}

/// A leaf for `host` issued by the rogue root of testdata/ with its own private key: the
/// issuer name is the rogue root's subject, byte for byte (O=mitm, CN=Rogue Proxy CA, UTF8).
fn rogue_leaf_for(host: &str) -> Vec<u8> {
    let key_pem = String::from_utf8(testdata("rogue-ca.key")).expect("PEM key");
    let rogue_key = KeyPair::from_pem(&key_pem).expect("the rogue root's RSA key");
    let mut rogue = CertificateParams::new(Vec::<String>::new()).expect("no SANs");
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "mitm");
    name.push(DnType::CommonName, "Rogue Proxy CA");
    rogue.distinguished_name = name;
    rogue.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let issuer = Issuer::from_params(&rogue, &rogue_key);

    let mut leaf = CertificateParams::new(vec![host.to_owned()]).expect("a DNS SAN");
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, host);
    leaf.distinguished_name = name;
    leaf.not_before = date_time_ymd(2026, 1, 1);
    leaf.not_after = date_time_ymd(2046, 1, 1);
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().expect("a P-256 key");
    leaf.signed_by(&key, &issuer).expect("signed by the rogue root").der().to_vec()
}

/// The genuine chain as the server sends it: leaf, then intermediate.
pub fn genuine() -> Vec<&'static [u8]> {
    let s = samples();
    vec![&s.leaf, &s.intermediate]
}

/// A proxy's chain for api.example.com: its leaf only.
pub fn mitm() -> Vec<&'static [u8]> {
    vec![&samples().mitm]
}

/// A proxy's chain for api.example.com with the genuine intermediate appended, as an attacker
/// would send it to smuggle a pinned key into the chain (CVE-2016-2402).
pub fn mitm_appending_genuine() -> Vec<&'static [u8]> {
    let s = samples();
    vec![&s.mitm, &s.intermediate]
}

/// A proxy's chain for www.example.com: its leaf only.
pub fn mitm_www() -> Vec<&'static [u8]> {
    vec![&samples().rogue_www]
}

/// The genuine pins: the intermediate (on every genuine path) and an offline backup.
pub fn genuine_pins() -> [&'static str; 2] {
    [pin("intermediate-ca"), BACKUP_PIN]
}

/// Two pins that no sample chain holds.
pub fn unrelated_pins() -> [&'static str; 2] {
    [BACKUP_PIN, BACKUP_PIN_2]
}

/// A Rust string as a C string (test inputs never hold a NUL).
pub fn cstring(text: &str) -> CString {
    CString::new(text).expect("no NUL inside a test string")
}

/// `pin_result_name(code)`.
pub fn name_of(code: u32) -> &'static str {
    // SAFETY: pin_result_name returns a static NUL-terminated string for any value.
    unsafe { CStr::from_ptr(pin_result_name(code)) }.to_str().expect("ASCII name")
}

/// `PIN_VERDICT_*` bits as names, for assertion messages.
pub fn flag_names(flags: u32) -> String {
    let names = [
        (PIN_VERDICT_REPORT_ONLY_MISMATCH, "REPORT_ONLY_MISMATCH"),
        (PIN_VERDICT_PINS_EXPIRED, "PINS_EXPIRED"),
        (PIN_VERDICT_PINS_EXPIRING, "PINS_EXPIRING"),
        (PIN_VERDICT_TOFU_FIRST_USE, "TOFU_FIRST_USE"),
        (PIN_VERDICT_REPORTED, "REPORTED"),
    ];
    let known: u32 = names.iter().map(|(bit, _)| bit).sum();
    let mut parts: Vec<String> =
        names.iter().filter(|(bit, _)| flags & bit != 0).map(|(_, n)| (*n).to_owned()).collect();
    if flags & !known != 0 {
        parts.push(format!("unknown {:#x}", flags & !known));
    }
    if parts.is_empty() { "0".to_owned() } else { parts.join("|") }
}

/// Asserts that a call returned `expected`, naming both codes on failure.
#[track_caller]
pub fn expect_code(actual: u32, expected: u32, what: &str) {
    assert!(
        actual == expected,
        "{what}: got {} ({actual}), expected {} ({expected})",
        name_of(actual),
        name_of(expected)
    );
}

/// `pin_domain_options` with these flags and no dates.
pub fn options(flags: u32) -> pin_domain_options {
    pin_domain_options { flags, expires_at: 0, warn_after: 0 }
}

/// Everything `pin_verify_chain_detailed` gave back.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The returned code (checked equal to `pin_verdict.result`).
    pub result: u32,
    /// `pin_verdict.flags`.
    pub flags: u32,
    /// `pin_verdict.policy_generation`.
    pub generation: u64,
    /// `pin_verdict.leaf_pin`.
    pub leaf_pin: String,
    /// `pin_verdict.leaf_fingerprint`.
    pub leaf_fingerprint: String,
    /// The explanation text.
    pub explanation: String,
}

impl Verdict {
    /// Asserts the exact result and the exact flags.
    #[track_caller]
    pub fn expect(&self, result: u32, flags: u32, what: &str) {
        assert!(
            self.result == result && self.flags == flags,
            "{what}: got {} with flags {}, expected {} with flags {}\n{}",
            name_of(self.result),
            flag_names(self.flags),
            name_of(result),
            flag_names(flags),
            self.explanation
        );
    }
}

/// Failure reports as the callback received them: the JSON text of each, in order.
pub type ReportLog = Mutex<Vec<String>>;

/// The report callback: appends the report to the `ReportLog` that `userdata` points at.
/// A report whose `report_len` disagrees with its NUL, or that is not UTF-8, is recorded as
/// `MALFORMED: ...` (a panic must not unwind out of an `extern "C"` function).
///
/// # Safety
/// `userdata` must point to a live `ReportLog`; `report` to `report_len` bytes and a NUL.
pub unsafe extern "C" fn collect_report(
    userdata: *mut c_void,
    report: *const c_char,
    report_len: usize,
) {
    // SAFETY: registered with a pointer to a ReportLog that outlives the registration.
    let log = unsafe { &*userdata.cast::<ReportLog>() };
    // SAFETY: certpin passes `report_len` bytes followed by a NUL.
    let (bytes, nul) = unsafe {
        (std::slice::from_raw_parts(report.cast::<u8>(), report_len), *report.add(report_len))
    };
    let text = match (std::str::from_utf8(bytes), nul) {
        (Ok(text), 0) => text.to_owned(),
        _ => format!("MALFORMED: {} bytes, NUL {nul}", report_len),
    };
    log.lock().unwrap_or_else(|p| p.into_inner()).push(text);
}

/// A store, freed on drop; with the report logs it registered, freed after it.
pub struct Store {
    ptr: *mut pin_store,
    /// Every log ever registered: a verification on another thread may still hold the
    /// callback of a replaced one, so none is dropped before the store is freed.
    reports: Vec<Arc<ReportLog>>,
}

impl Store {
    /// An empty store: no pins, the built-in roots.
    pub fn new() -> Self {
        let ptr = pin_store_new();
        assert!(!ptr.is_null(), "pin_store_new returned NULL");
        Self { ptr, reports: Vec::new() }
    }

    /// A store that trusts the genuine root and the rogue proxy root, like a device with a
    /// proxy CA installed: a MITM chain is valid, so only pins can refuse it.
    pub fn with_proxy_installed() -> Self {
        let store = Self::new();
        let s = samples();
        expect_code(store.add_anchor(&s.root), PIN_OK, "trust root-ca");
        expect_code(store.add_anchor(&s.rogue), PIN_OK, "trust rogue-ca");
        store
    }

    /// A store that trusts the genuine root only.
    pub fn with_genuine_root() -> Self {
        let store = Self::new();
        expect_code(store.add_anchor(&samples().root), PIN_OK, "trust root-ca");
        store
    }

    /// The raw pointer.
    pub fn ptr(&self) -> *mut pin_store {
        self.ptr
    }

    /// `pin_store_add(store, pattern, pin)`.
    pub fn add(&self, pattern: &str, pin: &str) -> u32 {
        let (pattern, pin) = (cstring(pattern), cstring(pin));
        // SAFETY: a live store and NUL-terminated strings.
        unsafe { pin_store_add(self.ptr, pattern.as_ptr(), pin.as_ptr()) }
    }

    /// `pin_store_add_trust_anchor(store, der, len)`.
    pub fn add_anchor(&self, der: &[u8]) -> u32 {
        // SAFETY: a live store and `der.len()` readable bytes.
        unsafe { pin_store_add_trust_anchor(self.ptr, der.as_ptr(), der.len()) }
    }

    /// `pin_store_set_domain(store, pattern, pins, len, options)`; `None`: NULL options.
    pub fn set_domain(
        &self,
        pattern: &str,
        pins: &[&str],
        options: Option<&pin_domain_options>,
    ) -> u32 {
        let pattern = cstring(pattern);
        let pins: Vec<CString> = pins.iter().map(|p| cstring(p)).collect();
        let pointers: Vec<*const c_char> = pins.iter().map(|p| p.as_ptr()).collect();
        let pins_ptr = if pointers.is_empty() { std::ptr::null() } else { pointers.as_ptr() };
        let options = options.map_or(std::ptr::null(), |o| o as *const pin_domain_options);
        // SAFETY: a live store, a NUL-terminated pattern, `pointers.len()` pointers to
        // NUL-terminated pins (or NULL with 0), NULL or readable options.
        unsafe {
            pin_store_set_domain(self.ptr, pattern.as_ptr(), pins_ptr, pointers.len(), options)
        }
    }

    /// `pin_store_set_domain` with these flags and dates, which must succeed.
    #[track_caller]
    pub fn domain(&self, pattern: &str, pins: &[&str], flags: u32, expires_at: u64, warn: u64) {
        let options = pin_domain_options { flags, expires_at, warn_after: warn };
        let code = self.set_domain(pattern, pins, Some(&options));
        expect_code(code, PIN_OK, &format!("pin_store_set_domain({pattern:?})"));
    }

    /// `pin_store_set_unpinned_hosts(store, rule)`.
    pub fn set_unpinned_hosts(&self, rule: u32) -> u32 {
        // SAFETY: a live store.
        unsafe { pin_store_set_unpinned_hosts(self.ptr, rule) }
    }

    /// `pin_store_load_policy` with a 1 KiB error buffer: the code and the error text.
    pub fn load(&self, json: &str) -> (u32, String) {
        self.load_bytes(json.as_bytes())
    }

    /// `pin_store_load_policy` of raw bytes with a 1 KiB error buffer.
    pub fn load_bytes(&self, json: &[u8]) -> (u32, String) {
        let mut error = vec![0u8; 1024];
        // A non-NULL pointer even for an empty document (NULL is PIN_ERR_NULL_ARGUMENT).
        let empty = [0u8; 1];
        let data = if json.is_empty() { empty.as_ptr() } else { json.as_ptr() };
        // SAFETY: a live store, `json.len()` readable bytes, `error.len()` writable bytes.
        let code = unsafe {
            pin_store_load_policy(
                self.ptr,
                data,
                json.len(),
                error.as_mut_ptr().cast::<c_char>(),
                error.len(),
            )
        };
        let text = CStr::from_bytes_until_nul(&error).expect("NUL-terminated error text");
        (code, text.to_str().expect("UTF-8 error text").to_owned())
    }

    /// `pin_store_load_policy`, which must succeed.
    #[track_caller]
    pub fn load_ok(&self, json: &str) {
        let (code, error) = self.load(json);
        assert!(code == PIN_OK, "pin_store_load_policy: {}: {error}\n{json}", name_of(code));
    }

    /// `pin_store_export_policy`: first asks the size with a 1-byte buffer, then exports.
    pub fn export(&self) -> String {
        let mut needed = 0usize;
        let mut probe = [0 as c_char; 1];
        // SAFETY: a live store, a 1-byte buffer, a writable `needed`.
        let code = unsafe { pin_store_export_policy(self.ptr, probe.as_mut_ptr(), 1, &mut needed) };
        expect_code(code, PIN_ERR_BUFFER_TOO_SMALL, "export into 1 byte");
        let mut out = vec![0 as c_char; needed];
        // SAFETY: as above, with a buffer of the size asked for.
        let code =
            unsafe { pin_store_export_policy(self.ptr, out.as_mut_ptr(), out.len(), &mut needed) };
        expect_code(code, PIN_OK, "export");
        // SAFETY: NUL-terminated on success.
        let text = unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().expect("UTF-8 export");
        assert_eq!(text.len() + 1, needed, "`needed` counts the text and its NUL");
        text.to_owned()
    }

    /// `pin_store_policy_generation`.
    pub fn generation(&self) -> u64 {
        let mut generation = u64::MAX;
        // SAFETY: a live store and a writable u64.
        let code = unsafe { pin_store_policy_generation(self.ptr, &mut generation) };
        expect_code(code, PIN_OK, "pin_store_policy_generation");
        generation
    }

    /// Registers [`collect_report`] with a fresh log (kept alive by the store) and returns it.
    pub fn collect_reports(&mut self) -> Arc<ReportLog> {
        let log = Arc::new(ReportLog::default());
        let userdata = Arc::as_ptr(&log).cast_mut().cast::<c_void>();
        // SAFETY: a live store; the log outlives the registration (it is dropped after the
        // store is freed, or after the callback is replaced).
        let code =
            unsafe { pin_store_set_report_callback(self.ptr, Some(collect_report), userdata) };
        expect_code(code, PIN_OK, "pin_store_set_report_callback");
        self.reports.push(log.clone());
        log
    }

    /// `pin_store_set_report_callback(store, NULL, NULL)`.
    pub fn stop_reports(&self) {
        // SAFETY: a live store; NULL removes the callback.
        let code = unsafe { pin_store_set_report_callback(self.ptr, None, std::ptr::null_mut()) };
        expect_code(code, PIN_OK, "remove the report callback");
    }

    /// `pin_verify_chain_at`: the result alone (the call the verdict cache answers).
    pub fn verify_at(&self, chain: &[&[u8]], host: &str, time: u64) -> u32 {
        let entries: Vec<pin_bytes> =
            chain.iter().map(|der| pin_bytes { data: der.as_ptr(), len: der.len() }).collect();
        let host = cstring(host);
        // SAFETY: a live store, `entries.len()` entries pointing at live certificates, a
        // NUL-terminated host.
        unsafe {
            pin_verify_chain_at(self.ptr, entries.as_ptr(), entries.len(), host.as_ptr(), time)
        }
    }

    /// `pin_verify_chain_detailed` at `time`, port 0 (unknown).
    pub fn verify(&self, chain: &[&[u8]], host: &str, time: u64) -> Verdict {
        self.verify_port(chain, host, 0, time)
    }

    /// `pin_verify_chain_detailed` with an 8 KiB explanation buffer.
    pub fn verify_port(&self, chain: &[&[u8]], host: &str, port: u16, time: u64) -> Verdict {
        verify_on(self.ptr, chain, host, port, time)
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: the pointer came from pin_store_new and is freed only here; the report log
        // (a field) is dropped after this.
        unsafe { pin_store_free(self.ptr) }
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

/// `pin_verify_chain_detailed` on a raw store pointer, with an 8 KiB explanation buffer.
pub fn verify_on(
    store: *const pin_store,
    chain: &[&[u8]],
    host: &str,
    port: u16,
    time: u64,
) -> Verdict {
    let entries: Vec<pin_bytes> =
        chain.iter().map(|der| pin_bytes { data: der.as_ptr(), len: der.len() }).collect();
    let host = cstring(host);
    let mut details = pin_verdict {
        result: u32::MAX,
        flags: u32::MAX,
        policy_generation: u64::MAX,
        leaf_pin: [0x7f; 52],
        leaf_fingerprint: [0x7f; 96],
    };
    let mut explanation = vec![0x7fu8; 8192];
    // SAFETY: a live store, `entries.len()` entries pointing at live certificates, a
    // NUL-terminated host, a writable verdict and `explanation.len()` writable bytes.
    let code = unsafe {
        pin_verify_chain_detailed(
            store,
            entries.as_ptr(),
            entries.len(),
            host.as_ptr(),
            port,
            time,
            &mut details,
            explanation.as_mut_ptr().cast::<c_char>(),
            explanation.len(),
        )
    };
    assert_eq!(code, details.result, "the returned code is pin_verdict.result");
    let c_text = |chars: &[c_char]| {
        let bytes: Vec<u8> = chars.iter().map(|c| *c as u8).collect();
        CStr::from_bytes_until_nul(&bytes).expect("NUL-terminated").to_str().unwrap().to_owned()
    };
    let explanation =
        CStr::from_bytes_until_nul(&explanation).expect("NUL-terminated").to_str().unwrap();
    Verdict {
        result: code,
        flags: details.flags,
        generation: details.policy_generation,
        leaf_pin: c_text(&details.leaf_pin),
        leaf_fingerprint: c_text(&details.leaf_fingerprint),
        explanation: explanation.to_owned(),
    }
}

/// The SHA-256 fingerprint of a DER certificate as `openssl x509 -fingerprint -sha256`
/// prints it: upper-case hex pairs joined by colons.
pub fn fingerprint(der: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let hex: Vec<String> = Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect();
    hex.join(":")
}
