//! Pin failure reports: an RFC 7469-style JSON document handed to the app, which decides where
//! to send it (certpin sends nothing over the network). The same report is delivered at most
//! once in 24 hours; the memory of what was sent is bounded. Reports carry no device
//! identifier: only the host, the chains and the policy.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::document::format_time;
use crate::host::HostPattern;
use crate::result::{result_code, result_name};
use crate::store::{ReportSink, Snapshot};
use crate::verify::Verdict;

/// How long the same report is held back after it was delivered.
pub const CERTPIN_REPORT_INTERVAL_SECS: u64 = 24 * 60 * 60;

/// Most distinct reports remembered for holding back duplicates.
pub const CERTPIN_REPORT_MEMORY: usize = 1024;

/// The report, field for field as RFC 7469 section 3 names them, plus what certpin decided.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Report<'a> {
    date_time: String,
    hostname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    effective_expiration_date: Option<String>,
    include_subdomains: bool,
    noted_hostname: String,
    served_certificate_chain: Vec<String>,
    validated_certificate_chain: Vec<String>,
    known_pins: Vec<String>,
    certpin_result: &'a str,
    certpin_enforced: bool,
}

/// The JSON report for a pin failure, or `None` when the verdict is not one.
pub fn build_report(
    verdict: &Verdict,
    snapshot: &Snapshot,
    served: &[&[u8]],
    port: Option<u16>,
) -> Option<String> {
    if !verdict.is_pin_failure() {
        return None;
    }
    let (host, set) = (verdict.host.as_ref()?, verdict.pin_set.as_ref()?);
    let (noted_hostname, include_subdomains) = match &set.pattern {
        HostPattern::Exact(name) => (name.to_string(), false),
        HostPattern::OneLabel(base) | HostPattern::AnyDepth(base) => (base.clone(), true),
    };
    let mut validated: Vec<String> = Vec::new();
    if let Some(path) = &verdict.rejected_path {
        validated
            .extend(path.chain_indexes.iter().filter_map(|i| served.get(*i)).map(|der| pem(der)));
        let anchor = path.anchor_index.and_then(|i| snapshot.anchor_ders.get(i));
        validated.extend(anchor.map(|der| pem(der)));
    }
    let report = Report {
        date_time: format_time(verdict.unix_time),
        hostname: host.to_string(),
        port,
        effective_expiration_date: set.rules.expires_at.map(format_time),
        include_subdomains,
        noted_hostname,
        served_certificate_chain: served.iter().map(|der| pem(der)).collect(),
        validated_certificate_chain: validated,
        known_pins: set.pins.iter().map(|pin| format!("pin-sha256=\"{}\"", pin.base64())).collect(),
        certpin_result: result_name(result_code(&verdict.result)),
        certpin_enforced: verdict.result.is_err(),
    };
    serde_json::to_string_pretty(&report).ok()
}

/// A DER certificate as PEM text.
pub fn pem(der: &[u8]) -> String {
    pem_block("CERTIFICATE", der)
}

/// A PEM block: `label` and the base64 of `der` in 64-column lines.
pub fn pem_block(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 32);
    text.push_str(&format!("-----BEGIN {label}-----\n"));
    for line in body.as_bytes().chunks(64) {
        // base64 is ASCII, so every chunk is UTF-8.
        text.push_str(std::str::from_utf8(line).unwrap_or_default());
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

/// Remembers which reports were delivered when, to hold back repeats for 24 hours.
#[derive(Debug, Default)]
pub struct ReportLog {
    sent: Mutex<HashMap<[u8; 32], u64>>,
}

impl ReportLog {
    /// Whether a report for this verdict should be delivered now; if so, it is remembered as
    /// delivered at `unix_time`. "The same report" is the same host, port, result, served
    /// chain and pins, whatever its time or warnings.
    pub fn should_deliver(&self, verdict: &Verdict, served: &[&[u8]], port: Option<u16>) -> bool {
        let key = report_key(verdict, served, port);
        let now = verdict.unix_time;
        let mut sent = self.sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(last) = sent.get(&key)
            && now.saturating_sub(*last) < CERTPIN_REPORT_INTERVAL_SECS
            && now >= *last
        {
            return false;
        }
        if sent.len() >= CERTPIN_REPORT_MEMORY && !sent.contains_key(&key) {
            sent.retain(|_, last| now.saturating_sub(*last) < CERTPIN_REPORT_INTERVAL_SECS);
            if sent.len() >= CERTPIN_REPORT_MEMORY {
                // Still full of recent reports: forget the oldest.
                if let Some(oldest) = sent.iter().min_by_key(|(_, last)| **last).map(|(k, _)| *k) {
                    sent.remove(&oldest);
                }
            }
        }
        sent.insert(key, now);
        true
    }
}

fn report_key(verdict: &Verdict, served: &[&[u8]], port: Option<u16>) -> [u8; 32] {
    let mut hash = Sha256::new();
    let host = verdict.host.as_ref().map(|h| h.to_string()).unwrap_or_default();
    hash.update((host.len() as u64).to_be_bytes());
    hash.update(host.as_bytes());
    hash.update(port.unwrap_or(0).to_be_bytes());
    hash.update(result_code(&verdict.result).to_be_bytes());
    for der in served {
        hash.update((der.len() as u64).to_be_bytes());
        hash.update(der);
    }
    for pin in verdict.pin_set.iter().flat_map(|set| set.pins.iter()) {
        hash.update(pin.as_bytes());
    }
    hash.finalize().into()
}

/// The report sink of a store, with the lifetime guarantee the C API states: once
/// [`ReportSinkSlot::set`] returns, the sink it replaced is never called again, and no call of
/// it is still running except on the calling thread (a sink that replaces itself) or on a
/// thread that is itself inside `set` from within a sink (two sinks replacing each other at
/// once: each waits only for what can finish, so neither deadlocks).
///
/// A delivery takes the current sink and counts itself as running under the slot's mutex,
/// then calls the sink with no lock held (so a sink may verify, change the store, or replace
/// itself); `set` swaps the sink under the mutex and then waits until no other thread is
/// running a delivery.
#[derive(Default)]
pub struct ReportSinkSlot {
    state: Mutex<SlotState>,
    idle: Condvar,
}

#[derive(Default)]
struct SlotState {
    sink: Option<Arc<ReportSink>>,
    /// Threads running a delivery: how many deep (a sink may verify, which may deliver), and
    /// whether the thread is waiting inside `set` from within the sink.
    running: Vec<Running>,
}

struct Running {
    thread: ThreadId,
    depth: usize,
    setting: bool,
}

impl std::fmt::Debug for ReportSinkSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReportSinkSlot")
    }
}

impl ReportSinkSlot {
    /// Whether a sink is set.
    pub fn is_set(&self) -> bool {
        self.lock().sink.is_some()
    }

    /// Calls the current sink with `report`, if there is one; whether there was.
    pub fn deliver(&self, report: &str) -> bool {
        let me = thread::current().id();
        let sink = {
            let mut state = self.lock();
            let Some(sink) = state.sink.clone() else { return false };
            match state.running.iter_mut().find(|running| running.thread == me) {
                Some(running) => running.depth += 1,
                None => state.running.push(Running { thread: me, depth: 1, setting: false }),
            }
            sink
        };
        // Counted out again even if the sink panics (a Rust sink may).
        let _done = Finished { slot: self, thread: me };
        (sink.0)(report);
        true
    }

    /// Replaces the sink (`None`: no reports), and returns once the old one can no longer be
    /// running anywhere but on this thread (see the type's documentation).
    pub fn set(&self, sink: Option<ReportSink>) {
        let me = thread::current().id();
        let mut state = self.lock();
        let old = std::mem::replace(&mut state.sink, sink.map(Arc::new));
        mark_setting(&mut state, me, true);
        while state.running.iter().any(|r| r.thread != me && !r.setting) {
            state = self.idle.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        mark_setting(&mut state, me, false);
        drop(state);
        drop(old);
    }

    /// The slot's state. Its lock guards counts that every holder leaves consistent before
    /// anything can panic, so a poisoned lock is taken again.
    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn mark_setting(state: &mut SlotState, thread: ThreadId, setting: bool) {
    if let Some(running) = state.running.iter_mut().find(|running| running.thread == thread) {
        running.setting = setting;
    }
}

/// Counts a delivery out when dropped, and wakes a waiting `set` once a thread has none left.
struct Finished<'s> {
    slot: &'s ReportSinkSlot,
    thread: ThreadId,
}

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        let mut state = self.slot.lock();
        if let Some(at) = state.running.iter().position(|running| running.thread == self.thread) {
            state.running[at].depth -= 1;
            if state.running[at].depth == 0 {
                state.running.swap_remove(at);
            }
        }
        drop(state);
        self.slot.idle.notify_all();
    }
}
