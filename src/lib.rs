//! certpin: pin TLS server keys on a validated certificate path, behind a stable C ABI.
//!
//! The core (host names, pins, policy, verification) is safe Rust with no raw pointers; the C
//! functions re-exported at the crate root (`pin_store_new`, `pin_verify_chain`, ...) are a
//! thin skin that checks pointers and lengths and calls it.
//!
//! The Rust API: [`host`] and [`pin`] parse what a policy names, [`policy`] and [`document`]
//! hold and read policies, [`store::PinStore`] keeps one and verifies chains against it
//! ([`verify::Verdict`], explained by [`explain`]), [`update`] checks signed policy updates,
//! [`result`] names every outcome; with the `rustls` feature, `rustls_verifier` makes
//! certpin a rustls `ServerCertVerifier`.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

// The Rust API (README: "Rust API") is the modules below that are `pub` and not hidden: a
// Rust user parses hosts and pins, builds or loads a policy into a store, verifies chains and
// reads the verdict and its explanation; with the `rustls` feature, plugs certpin into rustls.
// The C ABI (`extern "C"` functions, `PIN_*` and `CERTPIN_*` constants) is re-exported at the
// crate root below; its modules (`ffi`, `limits`) are private so that each item has one path.
// Three modules are public only because the project's own tools are separate crates (the CLI
// in cli/, tests/verdict_cache.rs, the test fixtures): hidden from the documentation, NOT
// part of the Rust API, they change without notice.
// (The order is the header's: cbindgen reads the modules in this order.)
/// The verdict cache, public for tests/verdict_cache.rs (which finds slots through it).
#[doc(hidden)]
pub mod cache;
mod candidates;
/// Certificate fields as text, public for the CLI (`certpin pin`, `monitor`).
#[doc(hidden)]
pub mod cert_fields;
pub mod document;
pub mod explain;
mod ffi;
pub mod host;
mod limits;
mod path_checks;
mod persist;
pub mod pin;
pub mod policy;
/// Failure reports and PEM text, public for the CLI (`keygen`) and the test fixtures.
#[doc(hidden)]
pub mod report;
pub mod result;
#[cfg(feature = "rustls")]
pub mod rustls_verifier;
mod sharded_map;
mod signature_budget;
pub mod store;
// The strict profile's checks; what a verdict says of them is `verify::StrictFailure`.
mod strict;
pub mod update;
pub mod verify;

pub use ffi::*;
pub use limits::*;
pub use report::{CERTPIN_REPORT_INTERVAL_SECS, CERTPIN_REPORT_MEMORY};
pub use result::*;
pub use verify::{
    PIN_VERDICT_PINS_EXPIRED, PIN_VERDICT_PINS_EXPIRING, PIN_VERDICT_REPORT_ONLY_MISMATCH,
    PIN_VERDICT_REPORTED, PIN_VERDICT_TOFU_FIRST_USE,
};
