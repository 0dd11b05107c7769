//! Registering the callback that receives pin failure reports.

use std::ffi::{CString, c_char, c_void};

use super::ffi_result;
use super::store::pin_store;
use super::try_ref;
use crate::result::pin_result;
use crate::store::ReportSink;

/// Receives a pin failure report: `report` is `report_len` bytes of JSON (RFC 7469 section 3
/// fields: date-time, hostname, port, noted-hostname, include-subdomains,
/// effective-expiration-date, served-certificate-chain, validated-certificate-chain,
/// known-pins; plus certpin-result and certpin-enforced), NUL-terminated, valid only during
/// the call: copy it to keep it. `userdata` is what was registered with the callback.
///
/// Called on the thread that verified, after the verdict is reached and with no certpin lock
/// held; it may call certpin. certpin sends nothing over the network: the app decides where
/// reports go. The same report is delivered at most once in 24 hours.
#[allow(non_camel_case_types)]
pub type pin_report_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, report: *const c_char, report_len: usize)>;

/// The app's callback and its userdata. The app promises (see `pin_store_set_report_callback`)
/// that both may be used from any thread.
struct CallbackTarget {
    callback: unsafe extern "C" fn(*mut c_void, *const c_char, usize),
    userdata: *mut c_void,
}

impl CallbackTarget {
    fn deliver(&self, report: &str) {
        // JSON text holds no NUL byte (serde_json escapes it); fail quiet, never panic.
        if let Ok(text) = CString::new(report) {
            // SAFETY: the app registered this callback for exactly this call shape.
            unsafe { (self.callback)(self.userdata, text.as_ptr(), report.len()) };
        }
    }
}

// SAFETY: the caller of pin_store_set_report_callback guarantees the callback and userdata
// are safe to use from any thread, for as long as they are registered.
unsafe impl Send for CallbackTarget {}
// SAFETY: as above.
unsafe impl Sync for CallbackTarget {}

/// Registers `callback` to receive pin failure reports (enforced mismatches and report-only
/// mismatches), with `userdata` passed back as its first argument. NULL `callback` removes
/// it. A later registration replaces an earlier one.
///
/// The callback and `userdata` must be usable from any thread (verifications run on many).
///
/// Lifetime: once this function returns (with a new callback or NULL), the previous callback
/// is never invoked again, and no invocation of it is still running on another thread: this
/// function waits for invocations in progress on other threads to return, so the previous
/// `userdata` may be freed as soon as it returns. Once `pin_store_free` returns, no callback
/// runs. The callback may re-enter the store: verify (which may invoke the callback again on
/// the same thread), change the store, or call this function to replace or remove itself,
/// without deadlock. Called from inside the callback, this function does not wait for the
/// invocation it is called from (it is still running when this returns: free its `userdata`
/// only after it returns), nor for a callback on another thread that is itself waiting in
/// this function.
///
/// Returns `PIN_OK`, `PIN_ERR_NULL_ARGUMENT` (store).
///
/// # Safety
/// `store` must be NULL or a live store; `callback` NULL or a function of the declared type.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pin_store_set_report_callback(
    store: *mut pin_store,
    callback: pin_report_callback,
    userdata: *mut c_void,
) -> pin_result {
    ffi_result(|| {
        // SAFETY: the caller passes NULL or a live store.
        let store = unsafe { try_ref(store)? };
        let sink = callback.map(|callback| {
            let target = CallbackTarget { callback, userdata };
            ReportSink(Box::new(move |report: &str| target.deliver(report)))
        });
        store.store.set_report_sink(sink);
        Ok(())
    })
}
