//! Checked use of the exported C functions: a store that frees itself, C strings and output
//! buffers laid out so that AddressSanitizer sees any access out of bounds, and the checks
//! every target makes of what the library writes back.

use std::ffi::{c_char, c_void};

use certpin::{
    PIN_ERR_BAD_CONFIG, PIN_ERR_BAD_HOST, PIN_ERR_BAD_PIN, PIN_ERR_BUFFER_TOO_SMALL,
    PIN_ERR_INTERNAL, PIN_ERR_INVALID_ARGUMENT, PIN_ERR_IO, PIN_OK, pin_bytes, pin_result,
    pin_result_description, pin_result_name, pin_store, pin_store_export_policy, pin_store_free,
    pin_store_new, pin_store_policy_generation, pin_store_policy_version, pin_verdict,
    pin_verify_chain_explain_at,
};

/// Fails the run if `result` is `PIN_ERR_INTERNAL` (the library caught a panic: a bug the
/// panic boundary would otherwise hide) or not a code the header defines.
#[track_caller]
pub fn checked(result: pin_result, call: &str) -> pin_result {
    assert_ne!(result, PIN_ERR_INTERNAL, "{call} returned PIN_ERR_INTERNAL: a caught panic");
    assert!(result <= PIN_ERR_IO, "{call} returned {result}, a code the header does not define");
    result
}

/// Fails the run unless `result` is one of `allowed` (the codes the header documents).
#[track_caller]
pub fn expect_one_of(result: pin_result, allowed: &[pin_result], call: &str) -> pin_result {
    checked(result, call);
    assert!(allowed.contains(&result), "{call} returned {}, not one of {allowed:?}", name(result));
    result
}

/// What `pin_store_add` and `pin_store_set_domain` may return for NUL-terminated arguments:
/// `PIN_ERR_INVALID_ARGUMENT` past a limit, `PIN_ERR_BAD_CONFIG` for a set the rules refuse
/// (or a pin under an excluded pattern).
pub const PIN_SET_RESULTS: &[pin_result] =
    &[PIN_OK, PIN_ERR_INVALID_ARGUMENT, PIN_ERR_BAD_HOST, PIN_ERR_BAD_PIN, PIN_ERR_BAD_CONFIG];

/// The name of a result code.
pub fn name(result: pin_result) -> String {
    // SAFETY: pin_result_name returns a static NUL-terminated string for any value.
    unsafe { std::ffi::CStr::from_ptr(pin_result_name(result)) }.to_string_lossy().into_owned()
}

/// The description of a result code.
pub fn description(result: pin_result) -> String {
    // SAFETY: as for `name`.
    unsafe { std::ffi::CStr::from_ptr(pin_result_description(result)) }
        .to_string_lossy()
        .into_owned()
}

/// A `pin_store` made by `pin_store_new` and freed with `pin_store_free` on drop.
pub struct Store(*mut pin_store);

/// What a call that fails must leave as it was.
#[derive(Debug, PartialEq, Eq)]
pub struct StoreState {
    /// `pin_store_export_policy`.
    pub export: String,
    /// `pin_store_policy_generation`.
    pub generation: u64,
    /// `pin_store_policy_version`.
    pub version: u64,
}

impl Store {
    /// A new, empty store.
    pub fn new() -> Self {
        let store = pin_store_new();
        assert!(!store.is_null(), "pin_store_new returned NULL");
        Self(store)
    }

    /// The pointer to pass to certpin.
    pub fn ptr(&self) -> *mut pin_store {
        self.0
    }

    /// The exported policy document, checked: `needed` is reported on every outcome, a
    /// buffer one byte short is refused and left untouched, an exact one is filled and
    /// NUL-terminated.
    pub fn export(&self) -> String {
        let mut needed = 0usize;
        // SAFETY: a live store; a NULL `out` with length 0 is allowed; `needed` is writable.
        let code = unsafe { pin_store_export_policy(self.0, std::ptr::null_mut(), 0, &mut needed) };
        expect_one_of(code, &[certpin::PIN_ERR_NULL_ARGUMENT], "pin_store_export_policy");
        assert!(needed >= 2, "export needs {needed} bytes");
        let mut short = OutBuf::new(needed - 1);
        let mut again = 0usize;
        // SAFETY: `short` has `len()` writable bytes.
        let code = unsafe { pin_store_export_policy(self.0, short.ptr(), short.len(), &mut again) };
        expect_one_of(code, &[PIN_ERR_BUFFER_TOO_SMALL], "pin_store_export_policy (short)");
        assert_eq!(again, needed, "export's `needed` changed between two calls");
        assert!(short.untouched(), "a refused export wrote into the buffer");
        let mut out = OutBuf::new(needed);
        // SAFETY: `out` has `len()` writable bytes.
        let code = unsafe { pin_store_export_policy(self.0, out.ptr(), out.len(), &mut again) };
        expect_one_of(code, &[PIN_OK], "pin_store_export_policy");
        let text = out.c_text().expect("export is NUL-terminated in its buffer");
        assert_eq!(text.len() + 1, needed, "export is not as long as `needed` said");
        assert!(out.guard_intact(), "export wrote past its buffer");
        String::from_utf8(text.to_vec()).expect("export is UTF-8")
    }

    /// The exported policy document in two calls (the size, then the text): for the checks
    /// made around every call; [`Store::export`] checks the export itself.
    pub fn export_quick(&self) -> String {
        let mut needed = 0usize;
        // SAFETY: a live store; a NULL `out` with length 0 is allowed; `needed` is writable.
        unsafe { pin_store_export_policy(self.0, std::ptr::null_mut(), 0, &mut needed) };
        let mut out = vec![0u8; needed.max(1)];
        // SAFETY: `out` has `out.len()` writable bytes.
        let code = unsafe {
            pin_store_export_policy(self.0, out.as_mut_ptr().cast(), out.len(), &mut needed)
        };
        expect_one_of(code, &[PIN_OK], "pin_store_export_policy");
        out.truncate(needed - 1);
        String::from_utf8(out).expect("export is UTF-8")
    }

    /// `pin_store_policy_generation`.
    pub fn generation(&self) -> u64 {
        let mut generation = 0u64;
        // SAFETY: a live store and a writable u64.
        let code = unsafe { pin_store_policy_generation(self.0, &mut generation) };
        expect_one_of(code, &[PIN_OK], "pin_store_policy_generation");
        generation
    }

    /// `pin_store_policy_version`.
    pub fn version(&self) -> u64 {
        let mut version = 0u64;
        // SAFETY: a live store and a writable u64.
        let code = unsafe { pin_store_policy_version(self.0, &mut version) };
        expect_one_of(code, &[PIN_OK], "pin_store_policy_version");
        version
    }

    /// Everything a refused call must leave unchanged.
    pub fn state(&self) -> StoreState {
        StoreState {
            export: self.export_quick(),
            generation: self.generation(),
            version: self.version(),
        }
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: made by pin_store_new, freed once, no call is using it.
        unsafe { pin_store_free(self.0) }
    }
}

/// `bytes` and a NUL in an allocation of exactly that size, so that reading past the NUL is
/// an out-of-bounds read under AddressSanitizer. `bytes` may hold NULs (C sees a shorter
/// string) and need not be UTF-8.
pub fn c_string(bytes: &[u8]) -> Box<[u8]> {
    let mut text = Vec::with_capacity(bytes.len() + 1);
    text.extend_from_slice(bytes);
    text.push(0);
    text.into_boxed_slice()
}

/// A string with no NUL at all in an allocation of exactly `limit + 1` bytes (the most the
/// library may read of a string whose limit is `limit`): `bytes` repeated, NULs made `'a'`.
pub fn unterminated(bytes: &[u8], limit: usize) -> Box<[u8]> {
    let fill = if bytes.is_empty() { &b"a"[..] } else { bytes };
    fill.iter().cycle().take(limit + 1).map(|b| if *b == 0 { b'a' } else { *b }).collect()
}

/// A pointer C may take for a C string held in `text`.
pub fn c_ptr(text: &[u8]) -> *const c_char {
    text.as_ptr().cast()
}

/// Each certificate in an allocation of exactly its size (so that AddressSanitizer sees a
/// read past any of them), and the `pin_bytes` array that points to them.
pub struct Chain {
    _ders: Vec<Box<[u8]>>,
    /// The array to pass as `chain`.
    pub entries: Vec<pin_bytes>,
}

impl Chain {
    /// A chain of copies of `ders`.
    pub fn new<'a>(ders: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let ders: Vec<Box<[u8]>> = ders.into_iter().map(Box::from).collect();
        let entries =
            ders.iter().map(|der| pin_bytes { data: der.as_ptr(), len: der.len() }).collect();
        Self { _ders: ders, entries }
    }

    /// The `chain` pointer. Never NULL, even for an empty chain.
    pub fn ptr(&self) -> *const pin_bytes {
        if self.entries.is_empty() {
            std::ptr::NonNull::dangling().as_ptr()
        } else {
            self.entries.as_ptr()
        }
    }

    /// The `chain_len`.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the chain has no certificate.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// `pin_verify_chain_explain_at` of `chain` for the C string `host` at `time`, into `buf`.
pub fn explain_at(
    store: &Store,
    chain: &Chain,
    host: &[u8],
    time: u64,
    buf: &mut OutBuf,
) -> pin_result {
    // SAFETY: a live store, `chain.len()` entries pointing at live certificates, a C string
    // the caller made NUL-terminated (or bounded, see `unterminated`), `buf.len()` writable
    // bytes.
    unsafe {
        pin_verify_chain_explain_at(
            store.ptr(),
            chain.ptr(),
            chain.len(),
            c_ptr(host),
            time,
            buf.ptr(),
            buf.len(),
        )
    }
}

/// The byte an output buffer is filled with before a call, to see what the call wrote.
pub const SENTINEL: u8 = 0xA5;
const GUARD: usize = 32;

/// An output buffer of `len` bytes the library may write, followed by guard bytes it must
/// not, all filled with [`SENTINEL`].
pub struct OutBuf {
    bytes: Vec<u8>,
    len: usize,
}

impl OutBuf {
    /// A buffer of `len` writable bytes.
    pub fn new(len: usize) -> Self {
        Self { bytes: vec![SENTINEL; len + GUARD], len }
    }

    /// The pointer to pass (never NULL, also when `len` is 0).
    pub fn ptr(&mut self) -> *mut c_char {
        self.bytes.as_mut_ptr().cast()
    }

    /// The length to pass.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer has no writable bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether nothing at all was written.
    pub fn untouched(&self) -> bool {
        self.bytes.iter().all(|b| *b == SENTINEL)
    }

    /// Whether nothing was written past the `len` bytes.
    pub fn guard_intact(&self) -> bool {
        self.bytes[self.len..].iter().all(|b| *b == SENTINEL)
    }

    /// The bytes before the first NUL among the `len` writable ones, or `None` when there is
    /// no NUL there.
    pub fn c_text(&self) -> Option<&[u8]> {
        let writable = &self.bytes[..self.len];
        writable.iter().position(|b| *b == 0).map(|end| &writable[..end])
    }
}

/// Checks an explanation written into `buf` for a call that returned `result`: it is
/// NUL-terminated within the buffer (nothing written for a 0-byte buffer), nothing lies past
/// the buffer, it is UTF-8, it begins with the result's name and description, and a text cut
/// to fit ends in `"...\n"`. With `full` (the same explanation from a buffer it fitted), the
/// text must be `full` or a cut of it. Returns the text.
#[track_caller]
pub fn check_explanation(buf: &OutBuf, result: pin_result, full: Option<&str>) -> String {
    assert!(buf.guard_intact(), "the explanation was written past its buffer");
    if buf.is_empty() {
        assert!(buf.untouched(), "an explanation was written into a 0-byte buffer");
        return String::new();
    }
    let text = buf.c_text().expect("the explanation is NUL-terminated within its buffer");
    let text = std::str::from_utf8(text).expect("the explanation is UTF-8 (cut at a character)");
    let room = buf.len() - 1;
    let first_line = format!("{}: {}\n", name(result), description(result));
    let head = text.strip_suffix("...\n").unwrap_or(text);
    assert!(
        text.starts_with(&first_line) || first_line.starts_with(head),
        "the explanation does not begin with {first_line:?}: {text:?}"
    );
    // Certificate subjects come from the attacker: no control character but the line ends
    // may reach the text (a NUL would cut it for C, a newline would forge a line), and a text
    // not cut for size ends its last line.
    assert!(
        text.chars().all(|c| c == '\n' || !c.is_control()),
        "the explanation holds a control character: {text:?}"
    );
    assert!(
        text.len() + 7 > room || text.ends_with('\n'),
        "the explanation stops mid-line: {text:?}"
    );
    if let Some(full) = full {
        if full.len() <= room {
            assert_eq!(text, full, "the explanation differs between buffer sizes");
        } else if room >= 4 {
            let head = text.strip_suffix("...\n").expect("a cut explanation ends in \"...\\n\"");
            assert!(full.starts_with(head), "a cut explanation is not a prefix of the whole");
            assert!(room - text.len() < 4, "an explanation was cut shorter than it had to be");
        } else {
            assert!(full.starts_with(text), "a cut explanation is not a prefix of the whole");
        }
    }
    text.to_owned()
}

/// An all-zero `pin_verdict` filled with [`SENTINEL`] instead, to see what a call writes.
pub fn blank_verdict() -> pin_verdict {
    pin_verdict {
        result: 0xA5A5_A5A5,
        flags: 0xA5A5_A5A5,
        policy_generation: 0xA5A5_A5A5_A5A5_A5A5,
        leaf_pin: [SENTINEL as c_char; 52],
        leaf_fingerprint: [SENTINEL as c_char; 96],
    }
}

/// The text of a fixed `char` array, which must be NUL-terminated.
#[track_caller]
pub fn array_text(array: &[c_char]) -> String {
    let bytes: Vec<u8> = array.iter().map(|c| *c as u8).collect();
    let end = bytes.iter().position(|b| *b == 0).expect("a pin_verdict string is NUL-terminated");
    String::from_utf8(bytes[..end].to_vec()).expect("a pin_verdict string is UTF-8")
}

/// Checks a `pin_verdict` filled for a call that returned `result` on a store at
/// `generation`: its result, its known flag bits, and its leaf pin and fingerprint (empty,
/// or of the documented shape).
#[track_caller]
pub fn check_verdict(verdict: &pin_verdict, result: pin_result, generation: u64) {
    assert_eq!(verdict.result, result, "pin_verdict.result is not the call's result");
    assert_eq!(verdict.flags & !31, 0, "pin_verdict.flags has bits the header does not define");
    assert!(
        verdict.policy_generation == generation || verdict.policy_generation == 0,
        "pin_verdict.policy_generation {} is not the store's {generation}",
        verdict.policy_generation
    );
    let pin = array_text(&verdict.leaf_pin);
    assert!(pin.is_empty() || is_pin(&pin), "pin_verdict.leaf_pin {pin:?} is not a pin");
    let fingerprint = array_text(&verdict.leaf_fingerprint);
    assert!(
        fingerprint.is_empty() || is_fingerprint(&fingerprint),
        "pin_verdict.leaf_fingerprint {fingerprint:?} is not AB:CD:..."
    );
}

/// Whether `text` has the shape of a pin: `sha256/` and 44 base64 characters ending in `=`.
pub fn is_pin(text: &str) -> bool {
    let Some(encoded) = text.strip_prefix("sha256/") else { return false };
    encoded.len() == 44
        && encoded.ends_with('=')
        && encoded[..43].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

fn is_fingerprint(text: &str) -> bool {
    text.len() == 95
        && text.split(':').count() == 32
        && text.split(':').all(|pair| {
            pair.len() == 2
                && pair.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
        })
}

/// A report callback that checks what it is handed: `report_len` bytes of JSON with the
/// fields the header lists, NUL-terminated. `userdata` points to a `usize` count of reports.
///
/// # Safety
/// As `pin_report_callback`; `userdata` must point to a live `usize`.
pub unsafe extern "C" fn check_report(userdata: *mut c_void, report: *const c_char, len: usize) {
    assert!(!report.is_null(), "a report callback got a NULL report");
    // SAFETY: the library promises `len` bytes and a NUL.
    let bytes = unsafe { std::slice::from_raw_parts(report.cast::<u8>(), len + 1) };
    assert_eq!(bytes[len], 0, "a report is not NUL-terminated at report_len");
    assert!(!bytes[..len].contains(&0), "a report holds a NUL before report_len");
    let json: serde_json::Value = serde_json::from_slice(&bytes[..len]).expect("a report is JSON");
    for field in
        ["date-time", "hostname", "noted-hostname", "served-certificate-chain", "known-pins"]
    {
        assert!(json.get(field).is_some(), "a report lacks {field}: {json}");
    }
    // SAFETY: the caller registered a pointer to a live usize.
    unsafe { *userdata.cast::<usize>() += 1 };
}

/// Whether `CERTPIN_FUZZ_TRACE=1` is set: the targets then print what they did, to read a
/// reproducer's story (`cargo +nightly fuzz run TARGET FILE` with it set).
pub fn tracing() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("CERTPIN_FUZZ_TRACE").is_some_and(|v| v == "1"))
}

/// Prints to stderr when [`tracing`].
#[macro_export]
macro_rules! trace {
    ($($arg:tt)*) => {
        if $crate::abi::tracing() {
            eprintln!($($arg)*);
        }
    };
}
