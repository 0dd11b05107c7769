//! Pin failure reports through the C ABI: a Rust `extern "C"` callback registered with
//! `pin_store_set_report_callback` receives RFC 7469-style JSON for enforced and report-only
//! mismatches (and nothing else), at most once in 24 hours per failure, from any thread.
//!
//! The stores trust both the genuine root and the rogue proxy root, so a MITM chain is valid
//! and fails for its pins only.

mod policy_support;

use std::collections::BTreeSet;
use std::ffi::{c_char, c_void};
use std::sync::{Barrier, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use certpin::*;
use policy_support::*;
use serde_json::Value;

/// 2028-01-01T00:00:00Z.
const EXPIRES_2028: u64 = 1_830_297_600;

/// The DER certificates in a list of PEM texts, each checked to be one well-formed block.
fn pem_ders(value: &Value) -> Vec<Vec<u8>> {
    let list = value.as_array().unwrap_or_else(|| panic!("a list of PEM: {value}"));
    list.iter()
        .map(|pem| {
            let pem = pem.as_str().expect("PEM text");
            let body = pem
                .strip_prefix("-----BEGIN CERTIFICATE-----\n")
                .and_then(|rest| rest.strip_suffix("-----END CERTIFICATE-----\n"))
                .unwrap_or_else(|| panic!("one PEM certificate block: {pem}"));
            assert!(body.lines().all(|line| line.len() <= 64), "PEM lines of 64: {pem}");
            STANDARD.decode(body.replace('\n', "")).expect("base64")
        })
        .collect()
}

/// The reports delivered so far, parsed.
fn delivered(log: &ReportLog) -> Vec<Value> {
    let reports = log.lock().unwrap();
    reports.iter().map(|text| serde_json::from_str(text).expect("a JSON report")).collect()
}

/// A store trusting both roots, with the genuine pins for api.example.com (expiring in 2028),
/// and a report log.
fn reporting_store() -> (Store, std::sync::Arc<ReportLog>) {
    let mut store = Store::with_proxy_installed();
    let log = store.collect_reports();
    store.domain(HOST, &genuine_pins(), 0, EXPIRES_2028, 0);
    (store, log)
}

// ---------------------------------------------------------------------------------------------
// What a report says

#[test]
fn an_enforced_mismatch_is_reported_with_every_field() {
    let (store, log) = reporting_store();
    let chain = mitm_appending_genuine();
    let v = store.verify_port(&chain, HOST, 8443, T);
    v.expect(PIN_ERR_PIN_MISMATCH, PIN_VERDICT_REPORTED, "MITM with the genuine intermediate");
    assert!(v.explanation.contains("a failure report was delivered"), "{}", v.explanation);
    let raw = log.lock().unwrap().clone();
    assert_eq!(raw.len(), 1, "one report");
    let report: Value = serde_json::from_str(&raw[0]).expect("the report is JSON");

    let keys: BTreeSet<&str> = report.as_object().unwrap().keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "date-time",
        "hostname",
        "port",
        "noted-hostname",
        "include-subdomains",
        "effective-expiration-date",
        "served-certificate-chain",
        "validated-certificate-chain",
        "known-pins",
        "certpin-result",
        "certpin-enforced",
    ]
    .into_iter()
    .collect();
    assert_eq!(keys, expected, "exactly the RFC 7469 fields and certpin's two: nothing else");
    assert_eq!(report["date-time"], "2027-01-01T00:00:00Z", "the verification time, RFC 3339");
    assert_eq!(report["hostname"], HOST);
    assert_eq!(report["port"], 8443);
    assert_eq!(report["noted-hostname"], HOST);
    assert_eq!(report["include-subdomains"], false);
    assert_eq!(report["effective-expiration-date"], "2028-01-01T00:00:00Z");
    let served = pem_ders(&report["served-certificate-chain"]);
    assert_eq!(served, chain.iter().map(|der| der.to_vec()).collect::<Vec<_>>(), "as sent");
    let s = samples();
    let validated = pem_ders(&report["validated-certificate-chain"]);
    assert_eq!(
        validated,
        vec![s.mitm.clone(), s.rogue.clone()],
        "the path webpki validated: the MITM leaf and the rogue root, not the appended \
         genuine intermediate"
    );
    let known_pins: Vec<String> =
        genuine_pins().iter().map(|p| format!("pin-sha256=\"{}\"", &p[7..])).collect();
    assert_eq!(report["known-pins"], serde_json::json!(known_pins));
    assert_eq!(report["certpin-result"], "PIN_ERR_PIN_MISMATCH");
    assert_eq!(report["certpin-enforced"], true);

    // No device identifier: nothing names this machine.
    let machine = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let machine = machine.trim();
    if machine.len() >= 6 {
        assert!(!raw[0].contains(machine), "the report names this machine ({machine})");
    }
}

#[test]
fn the_port_is_left_out_when_unknown() {
    let (store, log) = reporting_store();
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, PIN_VERDICT_REPORTED, "port 0");
    let reports = delivered(&log);
    assert_eq!(reports.len(), 1);
    assert!(reports[0].get("port").is_none(), "no port key: {}", reports[0]);
    let served = pem_ders(&reports[0]["served-certificate-chain"]);
    assert_eq!(served, vec![samples().mitm.clone()]);
}

#[test]
fn a_wildcard_pattern_is_noted_with_include_subdomains() {
    for (pattern, noted) in [("**.example.com", "example.com"), ("*.example.com", "example.com")] {
        let mut store = Store::with_proxy_installed();
        let log = store.collect_reports();
        store.domain(pattern, &genuine_pins(), 0, 0, 0);
        let v = store.verify_port(&mitm_www(), WWW, 443, T + 5 * HOUR);
        v.expect(PIN_ERR_PIN_MISMATCH, PIN_VERDICT_REPORTED, pattern);
        let reports = delivered(&log);
        assert_eq!(reports.len(), 1, "{pattern}");
        let report = &reports[0];
        assert_eq!(report["hostname"], WWW, "{pattern}");
        assert_eq!(report["noted-hostname"], noted, "{pattern}");
        assert_eq!(report["include-subdomains"], true, "{pattern}");
        assert_eq!(report["effective-expiration-date"], Value::Null, "{pattern}: never expires");
        assert_eq!(report["date-time"], "2027-01-01T05:00:00Z", "{pattern}");
        assert_eq!(report["port"], 443, "{pattern}");
        let validated = pem_ders(&report["validated-certificate-chain"]);
        assert_eq!(validated, vec![samples().rogue_www.clone(), samples().rogue.clone()]);
    }
}

#[test]
fn a_report_only_mismatch_is_reported_as_not_enforced() {
    let mut store = Store::with_proxy_installed();
    let log = store.collect_reports();
    store.domain(HOST, &genuine_pins(), PIN_DOMAIN_REPORT_ONLY, 0, 0);
    let v = store.verify_port(&mitm(), HOST, 443, T);
    v.expect(
        PIN_OK,
        PIN_VERDICT_REPORT_ONLY_MISMATCH | PIN_VERDICT_REPORTED,
        "MITM under report-only",
    );
    let reports = delivered(&log);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["certpin-result"], "PIN_OK");
    assert_eq!(reports[0]["certpin-enforced"], false);
    let validated = pem_ders(&reports[0]["validated-certificate-chain"]);
    assert_eq!(validated, vec![samples().mitm.clone(), samples().rogue.clone()]);
    // Held back like any other report.
    let again = store.verify_port(&mitm(), HOST, 443, T + HOUR);
    again.expect(PIN_OK, PIN_VERDICT_REPORT_ONLY_MISMATCH, "the same, an hour later");
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[test]
fn only_pin_failures_are_reported() {
    let mut store = Store::with_genuine_root();
    let log = store.collect_reports();
    let s = samples();
    store.domain(HOST, &genuine_pins(), 0, 0, 0);
    store.domain("printer.local", &[], PIN_DOMAIN_TOFU | PIN_DOMAIN_PINS_ONLY, 0, 0);
    store.domain("old.example.com", &unrelated_pins(), 0, T - DAY, 0);
    expect_code(store.set_unpinned_hosts(PIN_UNPINNED_REFUSE), PIN_OK, "refuse");
    let expired: Vec<&[u8]> = vec![&s.expired, &s.intermediate];
    store.verify(&genuine(), HOST, T).expect(PIN_OK, 0, "trusted");
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_UNKNOWN_ISSUER, 0, "untrusted issuer");
    store.verify(&expired, HOST, T).expect(PIN_ERR_EXPIRED, 0, "expired leaf");
    store.verify(&genuine(), HOST, AFTER_VALIDITY).expect(PIN_ERR_EXPIRED, 0, "after validity");
    store.verify(&genuine(), WWW, T).expect(PIN_ERR_NOT_PINNED, 0, "unpinned, refused");
    store.verify(&[&s.leaf], "printer.local", T).expect(
        PIN_ERR_NOT_PINNED,
        PIN_VERDICT_TOFU_FIRST_USE,
        "first use",
    );
    store.verify(&genuine(), "old.example.com", T).expect(
        PIN_ERR_HOST_MISMATCH,
        PIN_VERDICT_PINS_EXPIRED,
        "expired pins, another host's chain",
    );
    assert!(log.lock().unwrap().is_empty(), "none of these is a pin failure");
    // Expired pins fail open without a report, even for a chain the pins would refuse.
    expect_code(store.add_anchor(&s.rogue), PIN_OK, "trust the rogue root");
    store.domain(HOST, &genuine_pins(), 0, T, 0);
    store.verify(&mitm(), HOST, T).expect(PIN_OK, PIN_VERDICT_PINS_EXPIRED, "pins expired");
    assert!(log.lock().unwrap().is_empty(), "expired pins make no report");
}

// ---------------------------------------------------------------------------------------------
// Holding back repeats

#[test]
fn the_same_failure_is_delivered_once_in_24_hours() {
    let (store, log) = reporting_store();
    let count = || log.lock().unwrap().len();
    let mismatch = |time: u64, port: u16| store.verify_port(&mitm(), HOST, port, time);
    mismatch(T, 443).expect(PIN_ERR_PIN_MISMATCH, PIN_VERDICT_REPORTED, "first failure");
    assert_eq!(count(), 1);
    for later in [1, HOUR, 23 * HOUR, CERTPIN_REPORT_INTERVAL_SECS - 1] {
        let v = mismatch(T + later, 443);
        v.expect(PIN_ERR_PIN_MISMATCH, 0, &format!("the same failure {later} s later"));
        assert!(!v.explanation.contains("report was delivered"), "{}", v.explanation);
    }
    assert_eq!(count(), 1, "held back within 24 hours");
    let day_later = T + CERTPIN_REPORT_INTERVAL_SECS + 1;
    mismatch(day_later, 443).expect(PIN_ERR_PIN_MISMATCH, PIN_VERDICT_REPORTED, "24 h + 1 s");
    assert_eq!(count(), 2, "delivered again after 24 hours");
    assert_eq!(delivered(&log)[1]["date-time"], "2027-01-02T00:00:01Z");
    mismatch(day_later + 1, 443).expect(PIN_ERR_PIN_MISMATCH, 0, "and held back again");
    assert_eq!(count(), 2);
}

#[test]
fn passing_the_warning_date_does_not_make_a_new_report() {
    // README: "The same report (host, port, result, chain, pins) is delivered at most once in
    // 24 hours". Crossing the pin set's warning date changes none of these.
    let mut store = Store::with_proxy_installed();
    let log = store.collect_reports();
    let warn = T + HOUR;
    store.domain(HOST, &genuine_pins(), 0, T + 30 * DAY, warn);
    store.verify(&mitm(), HOST, warn - 1).expect(
        PIN_ERR_PIN_MISMATCH,
        PIN_VERDICT_REPORTED,
        "before the warning date",
    );
    store.verify(&mitm(), HOST, warn).expect(
        PIN_ERR_PIN_MISMATCH,
        PIN_VERDICT_PINS_EXPIRING,
        "the same failure a second later, past the warning date",
    );
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[test]
fn a_different_host_port_or_chain_is_a_different_report() {
    let mut store = Store::with_proxy_installed();
    let log = store.collect_reports();
    store.domain("**.example.com", &genuine_pins(), 0, 0, 0);
    let count = || log.lock().unwrap().len();
    let reported = PIN_VERDICT_REPORTED;
    store.verify_port(&mitm(), HOST, 443, T).expect(PIN_ERR_PIN_MISMATCH, reported, "api");
    store.verify_port(&mitm(), HOST, 443, T + 1).expect(PIN_ERR_PIN_MISMATCH, 0, "api again");
    store.verify_port(&mitm_www(), WWW, 443, T + 2).expect(PIN_ERR_PIN_MISMATCH, reported, "www");
    store.verify_port(&mitm(), HOST, 8443, T + 3).expect(PIN_ERR_PIN_MISMATCH, reported, "port");
    store.verify_port(&mitm_appending_genuine(), HOST, 443, T + 4).expect(
        PIN_ERR_PIN_MISMATCH,
        reported,
        "another chain",
    );
    store.verify_port(&mitm_www(), WWW, 443, T + 5).expect(PIN_ERR_PIN_MISMATCH, 0, "www again");
    assert_eq!(count(), 4);
    let hosts: Vec<Value> = delivered(&log).iter().map(|r| r["hostname"].clone()).collect();
    assert_eq!(hosts, [HOST, WWW, HOST, HOST]);
}

// ---------------------------------------------------------------------------------------------
// The callback

#[test]
fn no_callback_no_report() {
    let (mut store, log) = reporting_store();
    store.stop_reports();
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, 0, "no callback");
    assert!(log.lock().unwrap().is_empty(), "nothing delivered after removal");
    // A failure nobody received is not held back from the next callback.
    let next = store.collect_reports();
    store.verify(&mitm(), HOST, T + 1).expect(PIN_ERR_PIN_MISMATCH, PIN_VERDICT_REPORTED, "back");
    assert_eq!(next.lock().unwrap().len(), 1);
    assert!(log.lock().unwrap().is_empty(), "the replaced callback gets nothing");
    // SAFETY: a NULL store is refused.
    let code = unsafe {
        pin_store_set_report_callback(
            std::ptr::null_mut(),
            Some(collect_report),
            std::ptr::null_mut(),
        )
    };
    expect_code(code, PIN_ERR_NULL_ARGUMENT, "NULL store");
}

/// What the re-entrant callback saw: the generation and a verdict, from inside the callback.
struct Reentrant {
    store: SharedStore,
    seen: Mutex<Vec<(u32, u32, u32)>>,
}

/// A report callback that calls certpin on the reporting store: reads, verifies and writes.
unsafe extern "C" fn reenter(userdata: *mut c_void, _report: *const c_char, _len: usize) {
    // SAFETY: registered with a pointer to a live Reentrant.
    let state = unsafe { &*userdata.cast::<Reentrant>() };
    let store = state.store.0;
    let mut generation = 0u64;
    // SAFETY: a live store and valid arguments.
    let codes = unsafe {
        let generation_code = pin_store_policy_generation(store, &mut generation);
        let chain = genuine();
        let entries: Vec<pin_bytes> =
            chain.iter().map(|der| pin_bytes { data: der.as_ptr(), len: der.len() }).collect();
        let verify_code = pin_verify_chain_at(
            store,
            entries.as_ptr(),
            entries.len(),
            c"api.example.com".as_ptr(),
            T,
        );
        let add_code =
            pin_store_add(store, c"reentrant.example.com".as_ptr(), BACKUP_PIN_C.as_ptr());
        (generation_code, verify_code, add_code)
    };
    state.seen.lock().unwrap_or_else(|p| p.into_inner()).push(codes);
}

const BACKUP_PIN_C: &std::ffi::CStr = c"sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[test]
fn the_callback_may_call_certpin() {
    let store = Store::with_proxy_installed();
    store.domain(HOST, &genuine_pins(), 0, 0, 0);
    let state = Reentrant { store: SharedStore(store.ptr()), seen: Mutex::new(Vec::new()) };
    let userdata = (&state as *const Reentrant).cast_mut().cast::<c_void>();
    // SAFETY: a live store; `state` outlives the registration (removed below).
    let code = unsafe { pin_store_set_report_callback(store.ptr(), Some(reenter), userdata) };
    expect_code(code, PIN_OK, "register");
    let generation = store.generation();
    store.verify(&mitm(), HOST, T).expect(PIN_ERR_PIN_MISMATCH, PIN_VERDICT_REPORTED, "MITM");
    assert_eq!(*state.seen.lock().unwrap(), [(PIN_OK, PIN_OK, PIN_OK)], "calls from the callback");
    assert_ne!(store.generation(), generation, "the callback's pin_store_add took effect");
    store.stop_reports();
}

#[test]
fn reports_from_many_threads_at_once_are_delivered_once_each() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 10;
    let (store, log) = reporting_store();
    let shared = SharedStore(store.ptr());
    let barrier = Barrier::new(THREADS);
    // Every thread verifies the same failure (one report in all) and its own port (one each).
    let flags: Vec<Vec<u32>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let shared = shared;
                    barrier.wait();
                    let mut flags = Vec::new();
                    for round in 0..ROUNDS {
                        let same = verify_on(shared.0, &mitm(), HOST, 443, T + round as u64);
                        assert_eq!(same.result, PIN_ERR_PIN_MISMATCH);
                        flags.push(same.flags);
                        let port = 10_000 + thread as u16;
                        let own = verify_on(shared.0, &mitm(), HOST, port, T + round as u64);
                        assert_eq!(own.result, PIN_ERR_PIN_MISMATCH);
                        flags.push(own.flags);
                    }
                    flags
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("no thread panicked")).collect()
    });
    let reported = flags.iter().flatten().filter(|f| **f == PIN_VERDICT_REPORTED).count();
    assert!(flags.iter().flatten().all(|f| *f == 0 || *f == PIN_VERDICT_REPORTED));
    let reports = delivered(&log);
    assert_eq!(reports.len(), 1 + THREADS, "one shared report and one per thread's port");
    assert_eq!(reported, reports.len(), "PIN_VERDICT_REPORTED on exactly the delivered ones");
    let mut ports: Vec<u64> = reports.iter().map(|r| r["port"].as_u64().unwrap()).collect();
    ports.sort_unstable();
    let mut expected: Vec<u64> = (0..THREADS as u64).map(|t| 10_000 + t).collect();
    expected.insert(0, 443);
    assert_eq!(ports, expected);
}
