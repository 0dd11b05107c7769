//! What the certpin fuzz targets share: the input formats (read by the targets, written by
//! the seed generator), the sample certificates and the update-signing key, and checked
//! wrappers around the exported C functions.
//!
//! Every target goes through the `extern "C"` functions (`certpin::pin_store_new`,
//! `pin_verify_chain_at`, ...) exactly as a C caller would, never through the Rust API
//! beneath, and treats `PIN_ERR_INTERNAL` (a panic the boundary caught) as a crash.

pub mod abi;
pub mod cases;
pub mod input;
pub mod samples;
