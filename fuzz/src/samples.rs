//! Fixed material the targets build on: the repository's sample certificates and their pins
//! (`testdata/`), moments around their validity, and the key that signs policy updates.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{Ed25519KeyPair, KeyPair};

/// One sample certificate from `testdata/`.
pub struct Sample {
    /// Its name in `testdata/` and `testdata/pins.txt`.
    pub name: &'static str,
    /// Its DER bytes.
    pub der: &'static [u8],
}

macro_rules! sample {
    ($name:literal) => {
        Sample { name: $name, der: include_bytes!(concat!("../../testdata/", $name, ".der")) }
    };
}

/// The sample certificates, in the order their indexes are used in fuzz inputs.
pub const SAMPLES: [Sample; 9] = [
    sample!("leaf"),
    sample!("intermediate-ca"),
    sample!("root-ca"),
    sample!("ec-leaf"),
    sample!("ec-intermediate-ca"),
    sample!("ec-root-ca"),
    sample!("mitm-leaf"),
    sample!("rogue-ca"),
    sample!("expired-leaf"),
];

/// Indexes into [`SAMPLES`].
pub mod sample {
    pub const LEAF: usize = 0;
    pub const INTERMEDIATE: usize = 1;
    pub const ROOT: usize = 2;
    pub const EC_LEAF: usize = 3;
    pub const EC_INTERMEDIATE: usize = 4;
    pub const EC_ROOT: usize = 5;
    pub const MITM_LEAF: usize = 6;
    pub const ROGUE_CA: usize = 7;
    pub const EXPIRED_LEAF: usize = 8;
}

/// The DER of sample `index` (taken modulo the number of samples).
pub fn sample_der(index: usize) -> &'static [u8] {
    SAMPLES[index % SAMPLES.len()].der
}

/// The `sha256/` pin of sample `index` (modulo the number of samples), from
/// `testdata/pins.txt`: computed by OpenSSL, not by certpin.
pub fn sample_pin(index: usize) -> &'static str {
    static PINS: OnceLock<Vec<&'static str>> = OnceLock::new();
    let pins = PINS.get_or_init(|| {
        let table = include_str!("../../testdata/pins.txt");
        SAMPLES
            .iter()
            .map(|sample| {
                table
                    .lines()
                    .find_map(|line| line.strip_prefix(sample.name)?.strip_prefix(' '))
                    .unwrap_or_else(|| panic!("testdata/pins.txt has no pin for {}", sample.name))
            })
            .collect()
    });
    pins[index % pins.len()]
}

/// Pins of no sample: well-formed backups that never match.
pub const BACKUP_PINS: [&str; 2] = [
    "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "sha256/ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
];

/// Unix times the targets check chains at. The samples are valid from 2026-01-01 to
/// 2046-01-01 (both included), `expired-leaf` from 2020-01-01 to 2021-01-01.
pub const TIMES: [u64; 8] = [
    1_893_456_000, // 2030-01-01: every sample but expired-leaf is valid
    1_767_225_599, // one second before the samples' notBefore
    1_767_225_600, // the samples' notBefore
    2_398_377_600, // the samples' notAfter
    2_398_377_601, // one second after
    1_590_969_600, // 2020-06-01: expired-leaf is valid, the others are not yet
    0,
    u64::MAX,
];

/// A moment: one of [`TIMES`], or any `u64`.
#[derive(Clone, Copy, Debug)]
pub enum Moment {
    /// `TIMES[index % TIMES.len()]`.
    Preset(u8),
    /// This Unix time.
    Raw(u64),
}

impl Moment {
    /// Reads a moment: one byte, 0xFF meaning eight more bytes of Unix time follow.
    pub fn read(input: &mut crate::input::Reader<'_>) -> Self {
        match input.u8() {
            0xFF => Self::Raw(input.u64()),
            index => Self::Preset(index),
        }
    }

    /// Writes the moment as [`Moment::read`] reads it.
    pub fn write(&self, out: &mut crate::input::Writer) {
        match *self {
            Self::Preset(index) => out.u8(index),
            Self::Raw(time) => out.u8(0xFF).u64(time),
        };
    }

    /// The Unix time.
    pub fn unix(&self) -> u64 {
        match *self {
            Self::Preset(index) => TIMES[usize::from(index) % TIMES.len()],
            Self::Raw(time) => time,
        }
    }
}

/// The default moment: 2030-01-01.
pub const IN_2030: Moment = Moment::Preset(0);

/// The Ed25519 key that signs policy updates in the fuzz targets, as PKCS#8 (made once with
/// `openssl genpkey -algorithm ed25519 -outform DER`). A test key: it protects nothing.
pub const UPDATE_KEY_PKCS8: &[u8] = include_bytes!("../update-key.pk8");

fn update_key() -> &'static Ed25519KeyPair {
    static KEY: OnceLock<Ed25519KeyPair> = OnceLock::new();
    KEY.get_or_init(|| {
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(UPDATE_KEY_PKCS8)
            .expect("fuzz/update-key.pk8 is an Ed25519 PKCS#8 key")
    })
}

/// The update key's public half, as `pin_store_add_update_key` takes it (base64), with a NUL.
pub fn update_public_key() -> &'static std::ffi::CStr {
    static TEXT: OnceLock<std::ffi::CString> = OnceLock::new();
    TEXT.get_or_init(|| {
        let text = STANDARD.encode(update_key().public_key().as_ref());
        std::ffi::CString::new(text).expect("base64 has no NUL")
    })
}

/// The detached Ed25519 signature of `document` by the update key.
pub fn sign_update(document: &[u8]) -> [u8; 64] {
    let signature = update_key().sign(document);
    signature.as_ref().try_into().expect("an Ed25519 signature is 64 bytes")
}

/// A policy like the README's, with the samples' pins.
pub fn base_policy() -> String {
    let [b0, b1] = BACKUP_PINS;
    let leaf = sample_pin(sample::LEAF);
    format!(
        r#"{{"certpin_policy": 1, "version": 3, "unpinned_hosts": "allow", "domains": {{
            "example.com": {{"include_subdomains": true, "pins": ["{leaf}", "{b0}"],
                            "warn_after": "2027-05-01", "expires": "2027-06-01T00:00:00Z"}},
            "legacy.example.com": {{"exclude": true}},
            "*.cdn.example.com": {{"pins": ["{b0}", "{b1}"], "mode": "report_only"}},
            "printer.local": {{"tofu": true, "trust": "pins_only"}}}}}}"#
    )
}

/// A policy update of `version` that expires with the samples.
pub fn base_update(version: u8) -> Vec<u8> {
    let [b0, _] = BACKUP_PINS;
    let leaf = sample_pin(sample::LEAF);
    format!(
        r#"{{"certpin_policy": 1, "version": {version}, "expires": "2046-01-01T00:00:00Z",
            "domains": {{"api.example.com": {{"pins": ["{leaf}", "{b0}"]}}}}}}"#
    )
    .into_bytes()
}
