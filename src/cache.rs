//! The verdict cache: repeat verifications of an identical chain for the same host, under the
//! same policy generation, are answered without redoing the signature checks.
//!
//! Only plain successes are cached (a trusted verdict with no note: no report, no warning), so
//! an entry can only ever answer `PIN_OK`, and only when everything that decided it still
//! holds: the chain is equal byte for byte (the hash only picks a slot; no collision can fool
//! the comparison), the host is spelled the same, the store's generation has not moved (any
//! change to pins, rules or anchors moves it), and the time is inside every validity window of
//! the chain's certificates and before the pin set's next warning or expiry date. Failures are
//! never cached.
//!
//! Slots are lock-free (`ArcSwapOption`): a lookup takes no lock and allocates nothing, so
//! threads verifying in parallel do not wait for each other.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use arc_swap::ArcSwapOption;

use crate::cert_fields::CertFields;
use crate::limits::CERTPIN_MAX_CHAIN_LEN;

/// How many verdicts the cache holds; a new one replaces whatever was in its slot.
pub const CERTPIN_CACHE_SLOTS: usize = 256;

/// The times (Unix seconds, both included) during which a cached verdict holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The first second the verdict holds.
    pub from: u64,
    /// The last second the verdict holds.
    pub until: u64,
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    host: Box<str>,
    lengths: [usize; CERTPIN_MAX_CHAIN_LEN],
    count: usize,
    chain: Box<[u8]>,
    window: Window,
}

impl Entry {
    fn matches(&self, generation: u64, host: &str, chain: &[&[u8]], unix_time: u64) -> bool {
        if self.generation != generation
            || unix_time < self.window.from
            || unix_time > self.window.until
            || self.count != chain.len()
            || *self.host != *host
        {
            return false;
        }
        let mut offset = 0;
        for (cert, len) in chain.iter().zip(&self.lengths) {
            if self.chain.get(offset..offset + len) != Some(*cert) {
                return false;
            }
            offset += len;
        }
        true
    }
}

/// A bounded, lock-free cache of trusted verdicts.
#[derive(Debug)]
pub struct VerdictCache {
    slots: Box<[ArcSwapOption<Entry>]>,
}

impl Default for VerdictCache {
    fn default() -> Self {
        Self { slots: (0..CERTPIN_CACHE_SLOTS).map(|_| ArcSwapOption::empty()).collect() }
    }
}

impl VerdictCache {
    /// Whether a trusted verdict for exactly this chain and host, under `generation`, holds
    /// at `unix_time`.
    pub fn holds(&self, generation: u64, host: &str, chain: &[&[u8]], unix_time: u64) -> bool {
        let slot = &self.slots[slot_index(host, chain)];
        slot.load().as_ref().is_some_and(|entry| entry.matches(generation, host, chain, unix_time))
    }

    /// Remembers that the chain was trusted for `host` under `generation`, for times inside
    /// `policy_window` and every certificate's validity. Chains whose dates cannot be read
    /// are not cached.
    pub fn remember(&self, generation: u64, host: &str, chain: &[&[u8]], policy_window: Window) {
        if chain.len() > CERTPIN_MAX_CHAIN_LEN {
            return;
        }
        let Some(window) = chain_window(chain, policy_window) else { return };
        let mut lengths = [0; CERTPIN_MAX_CHAIN_LEN];
        for (slot, cert) in lengths.iter_mut().zip(chain) {
            *slot = cert.len();
        }
        let entry = Entry {
            generation,
            host: host.into(),
            lengths,
            count: chain.len(),
            chain: chain.concat().into_boxed_slice(),
            window,
        };
        self.slots[slot_index(host, chain)].store(Some(Arc::new(entry)));
    }
}

/// Picks a slot from the host, the lengths and the last bytes of each certificate (its
/// signature, which differs between certificates): cheap, and only a slot, never a match.
fn slot_index(host: &str, chain: &[&[u8]]) -> usize {
    let mut hasher = DefaultHasher::new();
    host.hash(&mut hasher);
    for cert in chain {
        cert.len().hash(&mut hasher);
        cert[cert.len().saturating_sub(16)..].hash(&mut hasher);
    }
    (hasher.finish() % CERTPIN_CACHE_SLOTS as u64) as usize
}

/// The intersection of `window` with every certificate's validity period.
fn chain_window(chain: &[&[u8]], window: Window) -> Option<Window> {
    chain.iter().try_fold(window, |window, der| {
        let (from, until) = CertFields::of(der)?.validity_secs()?;
        let narrowed = Window { from: window.from.max(from), until: window.until.min(until) };
        (narrowed.from <= narrowed.until).then_some(narrowed)
    })
}
