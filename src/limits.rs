//! Input limits. Every entry point checks its input against these before doing any work, so
//! that no input can make a call take unbounded time or memory; past a limit a call fails fast
//! with `PIN_ERR_INVALID_ARGUMENT` (or the code named below) and changes nothing.

/// Most certificates accepted in one chain (the leaf included). Real servers send 2 to 4;
/// path-building test suites send dozens. Path building stays bounded at this length:
/// see `certpin::candidates`.
pub const CERTPIN_MAX_CHAIN_LEN: usize = 64;

/// Most bytes accepted for one DER certificate. Real certificates are 0.5 to 4 KiB.
pub const CERTPIN_MAX_CERT_LEN: usize = 65536;

/// Most bytes read from a host or host-pattern string, the NUL not counted. A longer string
/// is refused with `PIN_ERR_INVALID_ARGUMENT`; a shorter one whose DNS form is longer than 253
/// bytes is refused with `PIN_ERR_BAD_HOST`.
pub const CERTPIN_MAX_HOST_LEN: usize = 1024;

/// Most bytes read from a pin string, the NUL not counted (a valid pin has 51).
pub const CERTPIN_MAX_PIN_LEN: usize = 128;

/// Most pins one store holds, over all its host patterns.
pub const CERTPIN_MAX_PINS: usize = 20_000;

/// Most host patterns one store holds (with pins or without: exclusions, trust on first use).
/// With `CERTPIN_MAX_PINS`, it bounds a store's memory and makes any store's exported
/// document fit in `CERTPIN_MAX_POLICY_LEN`.
pub const CERTPIN_MAX_PATTERNS: usize = 10_000;

/// Most trust anchors one store holds.
pub const CERTPIN_MAX_ANCHORS: usize = 1024;

/// Bytes needed for a pin written by `pin_spki_sha256`: `"sha256/"`, 44 base64 characters
/// and the terminating NUL.
pub const CERTPIN_PIN_BUFFER_LEN: usize = 52;

/// Most bytes a policy document (or signed update) may have. The export of the largest store
/// (`CERTPIN_MAX_PATTERNS` patterns of 253-byte names with every option, `CERTPIN_MAX_PINS`
/// pins) takes about 6 MiB, so every store's export loads back.
pub const CERTPIN_MAX_POLICY_LEN: usize = 8 * 1024 * 1024;

/// The latest time certpin accepts for an expiry or warning date: 9999-12-31T23:59:59Z, the
/// last second an RFC 3339 date can write. For "never", give no date (0 in C).
pub const CERTPIN_MAX_TIME: u64 = 253_402_300_799;
