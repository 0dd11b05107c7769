//! The pin store: a policy and trust anchors, shared between threads.
//!
//! Readers take the current [`Snapshot`] without waiting (an `ArcSwap` load); writers build the
//! next snapshot aside, under a mutex that only writers take, and publish it in one atomic
//! swap. A write that fails, or panics, publishes nothing, so the store is exactly as it was.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::{ArcSwap, ArcSwapOption};
use rustls_pki_types::{CertificateDer, TrustAnchor};

use crate::cache::{VerdictCache, Window};
use crate::document::{DocumentError, parse_document, policy_document};
use crate::host::HostPattern;
use crate::limits::CERTPIN_MAX_ANCHORS;
use crate::persist::write_atomically;
use crate::pin::Pin;
use crate::policy::{PinRules, PinSet, Policy, UnpinnedHosts, ValidationProfile};
use crate::report::{ReportLog, build_report};
use crate::result::PinError;
use crate::update::{UpdateError, UpdateKey, check_freshness, open_update};
use crate::verify::{Verdict, notes, verify_chain};

/// What a store update changed.
enum Change {
    /// Nothing: publish nothing.
    Nothing,
    /// State that decides no verdict (update keys): publish, same generation.
    State,
    /// Something that can change a verdict: publish under a new generation.
    Policy,
}

impl From<bool> for Change {
    fn from(changed: bool) -> Self {
        if changed { Change::Policy } else { Change::Nothing }
    }
}

/// Most update keys one store trusts.
pub const CERTPIN_MAX_UPDATE_KEYS: usize = 16;

/// One consistent state of a store: what a verification sees from start to end.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Host patterns and their pins.
    pub policy: Policy,
    /// The store's own trust anchors; when empty, the built-in Mozilla roots are used.
    pub anchors: Vec<TrustAnchor<'static>>,
    /// The DER certificate of each of `anchors`, in the same order.
    pub anchor_ders: Vec<Vec<u8>>,
    /// Changes whenever the effective policy changes: a signal to drop pooled connections
    /// and TLS session caches.
    pub generation: u64,
    /// The version number of the policy document last loaded (0 if none).
    pub version: u64,
    /// The expiry of the policy document last loaded, in Unix seconds.
    pub expires_at: Option<u64>,
    /// Keys trusted to sign policy updates.
    pub update_keys: Vec<UpdateKey>,
}

impl Snapshot {
    /// The anchors that chains are validated against.
    pub fn trust_anchors(&self) -> &[TrustAnchor<'static>] {
        if self.anchors.is_empty() { webpki_roots::TLS_SERVER_ROOTS } else { &self.anchors }
    }
}

/// The times a trusted verdict's notes stay the same: until the pin set's next warning or
/// expiry date (a verdict before them carries no warning; one after them would).
fn policy_window(verdict: &Verdict) -> Window {
    let until = verdict
        .pin_set
        .as_ref()
        .map_or(u64::MAX, |set| set.rules.unchanged_until(verdict.unix_time));
    Window { from: 0, until }
}

/// Where failure reports go: a function the app gives, called on the verifying thread.
pub struct ReportSink(pub Box<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for ReportSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReportSink")
    }
}

/// A pin store (the `pin_store` of the C API).
#[derive(Debug, Default)]
pub struct PinStore {
    current: ArcSwap<Snapshot>,
    writer: Mutex<()>,
    reports: ArcSwapOption<ReportSink>,
    report_log: ReportLog,
    cache: VerdictCache,
    cache_disabled: AtomicBool,
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

    /// The verdict on `chain` for `host` (and `port`, when known, for reports) at `unix_time`,
    /// delivering a failure report to the report sink when there is one to make.
    pub fn verify(
        &self,
        chain: &[&[u8]],
        host: &str,
        port: Option<u16>,
        unix_time: u64,
    ) -> Verdict {
        let snapshot = self.current.load();
        let mut verdict = verify_chain(&snapshot, chain, host, unix_time);
        if verdict.is_pin_failure()
            && let Some(sink) = self.reports.load_full()
            && self.report_log.should_deliver(&verdict, chain, port)
            && let Some(report) = build_report(&verdict, &snapshot, chain, port)
        {
            verdict.notes |= notes::REPORTED;
            (sink.0)(&report);
        }
        if verdict.result.is_ok()
            && verdict.notes == 0
            && self.cache_enabled()
            && !self.cache.holds(snapshot.generation, host, chain, unix_time)
        {
            self.cache.remember(snapshot.generation, host, chain, policy_window(&verdict));
        }
        verdict
    }

    /// The verdict's result alone, answered from the verdict cache when an identical chain
    /// was trusted for the same host under the same policy (no allocation, no lock, no
    /// signature check), and by [`PinStore::verify`] otherwise.
    pub fn verify_result(
        &self,
        chain: &[&[u8]],
        host: &str,
        unix_time: u64,
    ) -> Result<(), PinError> {
        if self.cached_trust(chain, host, unix_time) {
            return Ok(());
        }
        self.verify(chain, host, None, unix_time).result
    }

    /// Whether the verdict cache holds a plain `PIN_OK` for this chain and host spelling at
    /// `unix_time` under the current policy: the answer [`PinStore::verify`] would give, with
    /// no allocation, no lock and no signature check.
    pub fn cached_trust(&self, chain: &[&[u8]], host: &str, unix_time: u64) -> bool {
        let generation = self.current.load().generation;
        self.cache_enabled() && self.cache.holds(generation, host, chain, unix_time)
    }

    /// Turns the verdict cache on (the default) or off. Off, every verification checks the
    /// chain in full (for measuring, or for apps that want no cached state).
    pub fn set_verdict_cache(&self, enabled: bool) {
        self.cache_disabled.store(!enabled, Ordering::Relaxed);
    }

    fn cache_enabled(&self) -> bool {
        !self.cache_disabled.load(Ordering::Relaxed)
    }

    /// Adds `pin` (`sha256/...`) under `host_pattern`. On error the store is unchanged.
    pub fn add_pin(&self, host_pattern: &str, pin: &str) -> Result<(), PinError> {
        let pattern = HostPattern::parse(host_pattern)?;
        let pin: Pin = pin.parse()?;
        self.update(|snapshot| match snapshot.policy.with_pin(&pattern, pin)? {
            Some(policy) => {
                snapshot.policy = policy;
                Ok(Change::Policy)
            }
            None => Ok(Change::Nothing),
        })
    }

    /// Sets the whole entry for `host_pattern`: its pins and rules, replacing what it had.
    /// The entry must follow the rules of a configured set (an enforced set has a backup pin):
    /// `PIN_ERR_BAD_CONFIG` otherwise. On error the store is unchanged.
    pub fn set_domain(
        &self,
        host_pattern: &str,
        pins: &[&str],
        rules: PinRules,
    ) -> Result<(), PinError> {
        let pattern = HostPattern::parse(host_pattern)?;
        let mut parsed: Vec<Pin> = Vec::with_capacity(pins.len());
        let mut seen = std::collections::HashSet::with_capacity(pins.len());
        for pin in pins {
            let pin: Pin = pin.parse()?;
            if seen.insert(pin) {
                parsed.push(pin);
            }
        }
        let set = PinSet { pattern, pins: parsed, rules };
        set.check_configured(false).map_err(|_| PinError::BadConfig)?;
        self.update(|snapshot| {
            if snapshot.policy.get(&set.pattern).is_some_and(|old| **old == set) {
                return Ok(Change::Nothing);
            }
            snapshot.policy = snapshot.policy.with_pin_set(set)?;
            Ok(Change::Policy)
        })
    }

    /// Sets what happens to hosts no pattern covers.
    pub fn set_unpinned_hosts(&self, rule: UnpinnedHosts) -> Result<(), PinError> {
        self.update(|snapshot| {
            let changed = snapshot.policy.unpinned_hosts != rule;
            snapshot.policy.unpinned_hosts = rule;
            Ok(changed.into())
        })
    }

    /// Sets the X.509 rules every path must follow (a new policy generation when it changes).
    pub fn set_validation_profile(&self, profile: ValidationProfile) -> Result<(), PinError> {
        self.update(|snapshot| {
            let changed = snapshot.policy.validation_profile != profile;
            snapshot.policy.validation_profile = profile;
            Ok(changed.into())
        })
    }

    /// Replaces the policy (every domain, the unpinned-host rule and the validation profile; not
    /// the trust anchors) with a JSON policy document. A document with any problem is refused
    /// whole and the store keeps its policy.
    pub fn load_policy(&self, json: &[u8]) -> Result<(), DocumentError> {
        let loaded = parse_document(json)?;
        self.update(|snapshot| {
            let same = snapshot.policy == loaded.policy
                && snapshot.version == loaded.version
                && snapshot.expires_at == loaded.expires_at;
            if same {
                return Ok(Change::Nothing);
            }
            snapshot.policy = loaded.policy;
            snapshot.version = loaded.version;
            snapshot.expires_at = loaded.expires_at;
            Ok(Change::Policy)
        })
        .map_err(|error| DocumentError { key: "(store)".into(), problem: error.to_string() })
    }

    /// The current policy as a JSON document (configured and learned pins alike), which
    /// `load_policy` reads back to the same policy.
    pub fn export_policy(&self) -> String {
        let snapshot = self.current.load();
        let document = policy_document(&snapshot.policy, snapshot.version, snapshot.expires_at);
        serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
    }

    /// Writes `export_policy()` to `path` atomically: after a crash the file holds the old
    /// document or the new one, whole.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        write_atomically(path, self.export_policy().as_bytes())
    }

    /// Trusts `key` to sign policy updates. Adding a key twice is a no-op.
    pub fn add_update_key(&self, key: UpdateKey) -> Result<(), PinError> {
        self.update(|snapshot| {
            if snapshot.update_keys.contains(&key) {
                return Ok(Change::Nothing);
            }
            if snapshot.update_keys.len() >= CERTPIN_MAX_UPDATE_KEYS {
                return Err(PinError::InvalidArgument);
            }
            snapshot.update_keys.push(key);
            // A key decides no verdict: the policy generation stays.
            Ok(Change::State)
        })
    }

    /// Applies a signed policy update (see [`crate::update`] for the checks, in order). The
    /// new policy replaces the old in one atomic swap; on any failure the store is unchanged.
    pub fn apply_update(
        &self,
        document: &[u8],
        signature: &[u8],
        unix_time: u64,
    ) -> Result<(), UpdateError> {
        let keys = self.current.load().update_keys.clone();
        let update = open_update(&keys, document, signature)?;
        let mut refused = None;
        // The version is compared under the writer lock, so two updates racing cannot both
        // pass against the same old version.
        let applied = self.update(|snapshot| {
            if let Err(error) = check_freshness(&update, snapshot.version, unix_time) {
                let code = error.error;
                refused = Some(error);
                return Err(code);
            }
            snapshot.policy = update.policy.clone();
            snapshot.version = update.version;
            snapshot.expires_at = update.expires_at;
            Ok(Change::Policy)
        });
        match (applied, refused) {
            (Ok(()), _) => Ok(()),
            (Err(_), Some(error)) => Err(error),
            (Err(error), None) => Err(UpdateError { error, problem: error.to_string() }),
        }
    }

    /// Trusts the DER certificate `der` as a root. On error the store is unchanged.
    pub fn add_trust_anchor(&self, der: &[u8]) -> Result<(), PinError> {
        let cert = CertificateDer::from(der);
        let anchor = webpki::anchor_from_trusted_cert(&cert)
            .map_err(|_| PinError::BadCertificate)?
            .to_owned();
        self.update(|snapshot| {
            if snapshot.anchors.contains(&anchor) {
                return Ok(Change::Nothing);
            }
            if snapshot.anchors.len() >= CERTPIN_MAX_ANCHORS {
                return Err(PinError::InvalidArgument);
            }
            snapshot.anchors.push(anchor);
            snapshot.anchor_ders.push(der.to_vec());
            Ok(Change::Policy)
        })
    }

    /// Sends failure reports to `sink` from now on (`None`: make no reports).
    pub fn set_report_sink(&self, sink: Option<ReportSink>) {
        self.reports.store(sink.map(Arc::new));
    }

    /// The current policy generation.
    pub fn generation(&self) -> u64 {
        self.current.load().generation
    }

    /// Applies `change` to a copy of the current snapshot and publishes the copy if `change`
    /// succeeds and changed something; the generation moves on when the change can alter a
    /// verdict. Writers are serialised so that none loses another's change.
    fn update(
        &self,
        change: impl FnOnce(&mut Snapshot) -> Result<Change, PinError>,
    ) -> Result<(), PinError> {
        let _writer = self.lock_writer();
        let mut next = Snapshot::clone(&self.current.load());
        match change(&mut next)? {
            Change::Nothing => return Ok(()),
            Change::State => {}
            Change::Policy => next.generation += 1,
        }
        self.current.store(Arc::new(next));
        Ok(())
    }

    /// The writer lock. It guards no data (the state lives in the `ArcSwap` and is only ever
    /// replaced whole), so a lock poisoned by a panicking writer is safe to take again.
    fn lock_writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
