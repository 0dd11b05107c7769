//! certpin: pin TLS server keys on a validated certificate path, behind a stable C ABI.
//!
//! The core (host names, pins, policy, verification) is safe Rust with no raw pointers; the
//! [`ffi`] module is a thin skin that checks pointers and lengths and calls it.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod cache;
pub mod candidates;
pub mod cert_fields;
pub mod document;
pub mod explain;
pub mod ffi;
pub mod host;
pub mod limits;
mod path_checks;
pub mod persist;
pub mod pin;
pub mod policy;
pub mod report;
pub mod result;
#[cfg(feature = "rustls")]
pub mod rustls_verifier;
pub mod sharded_map;
mod signature_budget;
pub mod store;
pub mod strict;
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
