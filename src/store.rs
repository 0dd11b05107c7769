//! The pin store: a policy and trust anchors, shared between threads.
//!
//! Readers take the current [`Snapshot`] without waiting (an `ArcSwap` load); writers build the
//! next snapshot aside, under a mutex that only writers take, and publish it in one atomic
//! swap. A write that fails, or panics, publishes nothing, so the store is exactly as it was.

use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use rustls_pki_types::{CertificateDer, TrustAnchor};

use crate::host::HostPattern;
use crate::limits::CERTPIN_MAX_ANCHORS;
use crate::pin::Pin;
use crate::policy::Policy;
use crate::result::PinError;

/// One consistent state of a store: what a verification sees from start to end.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Host patterns and their pins.
    pub policy: Policy,
    /// The store's own trust anchors; when empty, the built-in Mozilla roots are used.
    pub anchors: Vec<TrustAnchor<'static>>,
}

impl Snapshot {
    /// The anchors that chains are validated against.
    pub fn trust_anchors(&self) -> &[TrustAnchor<'static>] {
        if self.anchors.is_empty() { webpki_roots::TLS_SERVER_ROOTS } else { &self.anchors }
    }
}

/// A pin store (the `pin_store` of the C API).
#[derive(Debug, Default)]
pub struct PinStore {
    current: ArcSwap<Snapshot>,
    writer: Mutex<()>,
}

impl PinStore {
    /// An empty store: no pins, the built-in roots.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current state. Never blocks.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Adds `pin` (`sha256/...`) under `host_pattern`. On error the store is unchanged.
    pub fn add_pin(&self, host_pattern: &str, pin: &str) -> Result<(), PinError> {
        let pattern = HostPattern::parse(host_pattern)?;
        let pin: Pin = pin.parse()?;
        self.update(|snapshot| {
            snapshot.policy = snapshot.policy.with_pin(&pattern, pin)?;
            Ok(())
        })
    }

    /// Trusts the DER certificate `der` as a root. On error the store is unchanged.
    pub fn add_trust_anchor(&self, der: &[u8]) -> Result<(), PinError> {
        let cert = CertificateDer::from(der);
        let anchor = webpki::anchor_from_trusted_cert(&cert)
            .map_err(|_| PinError::BadCertificate)?
            .to_owned();
        self.update(|snapshot| {
            if snapshot.anchors.contains(&anchor) {
                return Ok(());
            }
            if snapshot.anchors.len() >= CERTPIN_MAX_ANCHORS {
                return Err(PinError::InvalidArgument);
            }
            snapshot.anchors.push(anchor);
            Ok(())
        })
    }

    /// Applies `change` to a copy of the current snapshot and publishes the copy if `change`
    /// succeeds. Writers are serialised so that none loses another's change.
    fn update(
        &self,
        change: impl FnOnce(&mut Snapshot) -> Result<(), PinError>,
    ) -> Result<(), PinError> {
        let _writer = self.lock_writer();
        let mut next = Snapshot::clone(&self.current.load());
        change(&mut next)?;
        self.current.store(Arc::new(next));
        Ok(())
    }

    /// The writer lock. It guards no data (the state lives in the `ArcSwap` and is only ever
    /// replaced whole), so a lock poisoned by a panicking writer is safe to take again.
    fn lock_writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
